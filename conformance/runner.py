"""Run jobs: one worker process per framework, all in parallel, each job under a timeout.

Frameworks never share a process (each brings its own thread pools and
allocators). A worker that crashes or hangs is killed; its current job gets an
error verdict and a fresh worker takes the remaining jobs, so nothing else is lost.
Workers report over their own pipe, whose sends are synchronous: a result sent
before a crash is never lost in a buffer.
"""
from __future__ import annotations

import multiprocessing as mp
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait

from conformance.kinds import Case
from conformance.verdicts import Job

STARTUP_SECONDS = 300.0  # importing a framework the first time can be slow on a cold disk


@dataclass
class _Worker:
    framework: str
    target: str
    jobs: list[int]  # indexes into the job list, in order
    process: mp.Process
    connection: Connection
    started: float
    current: int | None = None  # job index being computed
    current_since: float = 0.0
    closed: bool = False  # the pipe reached EOF: everything the worker sent has been read


def plan(cases: list[Case], frameworks: list[str], dtypes: list[str] | None = None) -> list[Job]:
    """Every (case, framework, dtype) the case allows, in a stable order."""
    return [Job(case, fw, dtype) for case in cases for fw in frameworks for dtype in case.dtypes
            if dtypes is None or dtype in dtypes]


def shard(jobs: list[Job], index: int, count: int) -> list[Job]:
    """Shard `index` of `count` (1-based): every count-th (case, dtype) of the plan. A (case, dtype)
    stays whole, so its frameworks are still compared with each other."""
    groups = list(dict.fromkeys((job.case.id, job.dtype) for job in jobs))
    mine = set(groups[index - 1::count])
    return [job for job in jobs if (job.case.id, job.dtype) in mine]


def run(jobs: list[Job], adapters: dict[str, str], timeout: float = 120.0,
        progress: Callable[[int, int], None] | None = None) -> list[Job]:
    """Fill in each job's result. `adapters` maps framework name to "module:Class"."""
    ctx = mp.get_context("spawn")
    workers: dict[str, _Worker] = {}
    for fw in dict.fromkeys(job.framework for job in jobs):
        indexes = [i for i, job in enumerate(jobs) if job.framework == fw]
        if fw not in adapters:
            for i in indexes:
                jobs[i].unavailable = f"unavailable: no adapter named {fw!r}"
            continue
        workers[fw] = _start(ctx, fw, adapters[fw], indexes, jobs)
    done = sum(job.unavailable is not None for job in jobs)
    if progress:
        progress(done, len(jobs))
    while workers:
        by_connection = {w.connection: w for w in workers.values()}
        for connection in wait(list(by_connection), timeout=0.2):
            worker = by_connection[connection]
            try:
                what, index, payload = connection.recv()
            except EOFError:  # the worker is gone; the liveness check below handles it
                worker.closed = True
                continue
            if what == "start":
                worker.current, worker.current_since = index, time.monotonic()
            elif what == "versions":
                for i in worker.jobs:
                    jobs[i].versions = payload
            elif what == "unavailable":
                for i in worker.jobs:
                    jobs[i].unavailable = payload
                done += len(worker.jobs)
                worker.jobs = []
            else:  # "done"
                jobs[index].computed, jobs[index].error, jobs[index].seconds = payload
                worker.jobs.remove(index)
                worker.current = None
                done += 1
            if progress:
                progress(done, len(jobs))
        for fw, worker in list(workers.items()):
            if not worker.jobs:
                worker.process.join(timeout=5)
                worker.connection.close()
                del workers[fw]
                continue
            failure = _failure(worker, timeout)
            if failure is None:
                continue
            worker.process.kill()
            worker.process.join()
            worker.connection.close()
            lost = worker.current if worker.current is not None else worker.jobs[0]
            jobs[lost].error = failure
            worker.jobs.remove(lost)
            done += 1
            if progress:
                progress(done, len(jobs))
            if worker.jobs:
                workers[fw] = _start(ctx, fw, worker.target, worker.jobs, jobs)
            else:
                del workers[fw]
    return jobs


def _failure(worker: _Worker, timeout: float) -> str | None:
    """Why a worker must be stopped, or None while it is healthy."""
    now = time.monotonic()
    if worker.closed:
        worker.process.join(timeout=5)  # EOF can arrive before the exit is reaped
        return f"worker crashed (exit code {worker.process.exitcode})"
    if worker.current is not None and now - worker.current_since > timeout:
        return f"timeout: no result after {timeout:g} s"
    if worker.current is None and now - worker.started > STARTUP_SECONDS:
        return f"timeout: worker did not start within {STARTUP_SECONDS:g} s"
    return None


def _start(ctx, framework: str, target: str, indexes: list[int], jobs: list[Job]) -> _Worker:
    tasks = [(i, jobs[i].case, jobs[i].dtype) for i in indexes]
    receiver, sender = ctx.Pipe(duplex=False)
    process = ctx.Process(target=_work, args=(target, tasks, sender), daemon=True)
    process.start()
    sender.close()  # the child holds the only send end: its exit shows as EOF here
    return _Worker(framework, target, list(indexes), process, receiver, time.monotonic())


def _work(target: str, tasks: list, results: Connection) -> None:
    """The worker: import the framework once, then compute each job and send it back."""
    from conformance import adapters, kinds

    try:
        adapter = adapters.load(target)
    except Exception as err:  # not installed, or installed but broken: either way it cannot run
        results.send(("unavailable", None, f"unavailable: {adapters.describe_error(err)}"))
        return
    results.send(("versions", None, adapter.versions()))
    for index, case, dtype in tasks:
        results.send(("start", index, None))
        started = time.perf_counter()
        try:
            computed, error = kinds.compute(case, adapter, dtype), None
        except Exception as err:  # the job's result is the error; the worker goes on
            computed, error = None, adapters.describe_error(err)
        results.send(("done", index, (computed, error, time.perf_counter() - started)))
