"""Run jobs: worker processes for the frameworks and one for the references, in parallel, each task under a timeout.

As many framework workers run at once as there are cores (`workers`). Each
framework's jobs wait in a queue, dearest first (their cost is learned from the
last report where there is one); every framework with jobs gets a worker, and a
core that comes free splits the framework with the most work left, while that
saves more than the worker's start-up (importing the framework) costs. Frameworks
never share a process (each brings its own thread pools and allocators), and the
main process imports none: versions travel as plain strings. The references (the NumPy
oracle, `verdicts.references`) run in a worker of their own, under the same
timeout and a memory limit, so a case whose oracle raises, hangs or grows is
that case's error, never the run's. A worker that crashes or hangs is killed;
its current task gets an error and a fresh worker takes the remaining ones, so
nothing else is lost.

Workers get one task at a time over their own pipe and answer on it; sends are
synchronous, so a result sent before a crash is never lost in a buffer. Each
worker writes its stdout and stderr into a log file of its own (TensorFlow's
start-up log would otherwise land in the progress bar); a crash or a timeout
quotes the log's last lines and names the file.

Workers die with the run. They leave the terminal's process group, so Ctrl-C
and a SIGTERM to the group reach only the main process, which stops them; on
Linux the kernel kills them when the main process dies, even by SIGKILL
(PR_SET_PDEATHSIG); elsewhere a watchdog thread notices within half a second.
"""

from __future__ import annotations

import ctypes
import faulthandler
import io
import itertools
import math
import multiprocessing as mp
import os
import re
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from functools import partial
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from pathlib import Path
from types import FrameType
from typing import Any

import platformdirs

from conformance import adapters, kinds
from conformance.kinds import KINDS, Case, Reference
from conformance.verdicts import Job, Referenced, references, uses_own_samples
from conformance.vocabulary import Regime

STARTUP_SECONDS = 300.0  # importing a framework the first time can be slow on a cold disk
#: a framework worker's memory at most, with its framework imported and its caches full (measured: benchmarks/)
WORKER_MEMORY = 1 << 30
#: where a framework keeps compiled programs between runs (JAX's persistent compilation cache), by default
COMPILE_CACHE = Path(platformdirs.user_cache_dir("gradient-conformance")) / "compiled"
#: what a job is assumed to cost until this run or the last report has measured it (a start-up is never guessed:
#: a framework is split only once its first worker has started)
GUESSED_JOB_SECONDS = 0.1
#: Bytes of address space the reference worker may add to its start-up footprint (Linux). A case's values are at
#: most expr.MAX_ELEMENTS (8 MB in float64) and the whole library's references need under 1 MiB and 0.2 s, so
#: 1 GiB stops only a runaway, before it takes the machine (a 10,000-input case once held a run at 1.8 GB).
REFERENCE_MEMORY = 1 << 30
#: the reference worker's name among the workers: with a space, which no framework's (entry point) name should have,
#: so an adapter named "reference" is still a framework
REFERENCE = "numpy reference"
TAIL_LINES = 6
ESTIMATE_SECONDS = 1.0  # the ETA is estimated at most this often (an estimate visits every job)
PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>

#: `progress(done, total, label, remaining)`: done counts jobs ready to judge; label names the task just started or
#: finished; remaining: the scheduler's estimate of the seconds left (`eta`), None until it has one
Progress = Callable[[int, int, str, float | None], None]
#: a framework worker's task is a job index; the reference worker's a case id (its shared references) or a job
#: index (references from that job's own samples)
Key = int | str


class Interrupted(KeyboardInterrupt):
    """The run was stopped by SIGINT or SIGTERM: the finished jobs keep their results, the others have none."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"interrupted by {signal.Signals(signum).name}")
        self.signum = signum


@contextmanager
def interruptible() -> Iterator[None]:
    """SIGINT and SIGTERM raise `Interrupted` inside, so `run` stops its workers and the caller reports what
    finished (SIGTERM would otherwise end the process at once and lose it all)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: FrameType | None) -> None:
        raise Interrupted(signum)

    previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


@dataclass(frozen=True)
class Ready:
    """A framework worker's first message: its framework's versions, as plain strings (a str subclass such as
    torch's TorchVersion would import its framework in the main process)."""

    versions: dict[str, str]


@dataclass
class _Worker:
    name: str  # unique among the live workers: the framework (a second one "jax-2"), or REFERENCE
    framework: str  # the framework, or REFERENCE
    target: str | None  # the adapter's "module:Class"; None for the reference worker
    tasks: list[Key]  # not finished yet, in order; tasks[0] is running once sent (a framework worker holds one)
    process: BaseProcess
    connection: Connection
    log: Path
    started: float
    ready: bool = False
    sent: float | None = None  # when tasks[0] was sent
    closed: bool = False  # the pipe reached EOF: everything the worker sent has been read
    problem: str | None = None  # why it must be stopped although it runs (a result that cannot be read)


def plan(
    cases: list[Case], frameworks: list[str], dtypes: list[str] | None = None, regimes: list[Regime] | None = None
) -> list[Job]:
    """Every (case, framework, regime, dtype) the case allows, in a stable order.

    `regimes`: those of each framework's own among them, each program once (JAX's xla is its jax.jit, its compiled);
    None: each framework's default. A kind whose work is the framework's own code (`Kind.regimes`) runs once, in the
    default regime. A framework with none of the regimes asked for: its jobs are unavailable, saying so.
    """
    jobs = []
    for case in cases:
        for fw in frameworks:
            declared = adapters.regimes(fw)
            found = [r for r in dict.fromkeys(declared.resolve(r) for r in regimes or [declared.default]) if r]
            unavailable = None
            if not found:
                assert regimes  # the default is always found
                unavailable = (
                    f"unavailable: {fw} has no {' or '.join(regimes)} regime "
                    f"(its regimes: {', '.join(declared.spelled)})"
                )
                found = [regimes[0]]
            elif not KINDS[case.kind].regimes:
                found = [declared.default]
            jobs += [
                Job(case, fw, dtype, unavailable=unavailable, regime=regime)
                for regime in found
                for dtype in case.dtypes
                if dtypes is None or dtype in dtypes
            ]
    return jobs


def shard(jobs: list[Job], index: int, count: int) -> list[Job]:
    """Shard `index` of `count` (1-based): every count-th (case, dtype) of the plan. A (case, dtype)
    stays whole, so its frameworks are still compared with each other."""
    groups = list(dict.fromkeys((job.case.id, job.dtype) for job in jobs))
    mine = set(groups[index - 1 :: count])
    return [job for job in jobs if (job.case.id, job.dtype) in mine]


def default_workers() -> int:
    """One framework worker per core, but no more than the available memory holds (WORKER_MEMORY each)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    try:
        with open("/proc/meminfo") as f:
            available = next(int(line.split()[1]) * 1024 for line in f if line.startswith("MemAvailable:"))
    except (OSError, StopIteration, ValueError):  # not Linux: the cores decide
        return cores
    return max(1, min(cores, available // WORKER_MEMORY))


#: a job's cost in seconds, by (case id, label, dtype), as a previous report measured it (a label: the framework in
#: a regime, `Job.label`)
Costs = dict[tuple[str, str, str], float]


def run(
    jobs: list[Job],
    adapters: dict[str, str],
    timeout: float = 120.0,
    progress: Progress | None = None,
    memory: int | None = REFERENCE_MEMORY,
    logs: str | Path | None = None,
    workers: int | None = None,
    costs: Costs | None = None,
    compile_cache: Path | None = None,
) -> list[Job]:
    """Fill in each job's result and references. `adapters` maps framework name to "module:Class".

    `progress(done, total, label)` is called once at the start (label "") and as each task starts and finishes:
    `done` counts the jobs ready to judge (no result, or a result and its references); `label` is
    "case-id [framework dtype]" for a job and "case-id [reference]" for its references. `memory`: bytes the
    reference worker may add to its footprint (None: no limit). `logs`: a folder for the workers' logs, kept;
    by default a temporary one, kept only when a worker crashed or timed out (the job's error names it).
    `workers`: framework workers at once (default `default_workers()`; the reference worker is not counted: it
    needs 0.2 s for the whole library). `costs`: the jobs' costs as a previous run measured them, to start the
    dearest first and to split the framework with the most work left; by default they are learned as jobs finish.
    `compile_cache`: a folder where frameworks keep compiled programs between runs (None: compile afresh).
    On an exception (`Interrupted` too) every worker is killed before it propagates.
    """
    pool = _Pool(adapters, timeout, progress, memory, logs, workers or default_workers(), compile_cache)
    pool.assign(jobs, costs or {})
    try:
        pool.loop()
    finally:
        pool.stop()
    return jobs


class Session:
    """Workers kept from one run to the next, for many small runs (`conformance fuzz`): a framework's start-up
    (seconds) is paid once, not per run. Each framework keeps one worker; a kept pool is not split."""

    def __init__(self, adapters: dict[str, str], timeout: float = 120.0, compile_cache: Path | None = None) -> None:
        self.pool = _Pool(adapters, timeout, None, REFERENCE_MEMORY, None, 1, compile_cache, keep=True)

    def run(self, jobs: list[Job]) -> list[Job]:
        """Fill in each job's result and references, as `run` does."""
        self.pool.assign(jobs, {})
        try:
            self.pool.loop()
        except BaseException:
            self.close()
            raise
        return jobs

    def close(self) -> None:
        self.pool.stop()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Pool:
    def __init__(
        self,
        adapters: dict[str, str],
        timeout: float,
        progress: Progress | None,
        memory: int | None,
        logs: str | Path | None,
        slots: int,
        compile_cache: Path | None,
        keep: bool = False,
    ) -> None:
        self.compile_cache, self.keep = compile_cache, keep
        self.adapters, self.timeout, self.progress, self.memory = adapters, timeout, progress, memory
        self.slots = max(1, slots)
        self.ctx = mp.get_context("spawn")
        self.keep_logs = logs is not None
        self.logs = Path(logs) if logs is not None else Path(tempfile.mkdtemp(prefix="conformance-logs-"))
        self.logs.mkdir(parents=True, exist_ok=True)
        self.workers: dict[str, _Worker] = {}
        self.ready: dict[str, Ready] = {}  # per framework, what its first worker said
        self.startup: dict[str, float] = {}  # seconds from a framework worker's start to ready, measured
        self.refused: dict[str, str] = {}  # per framework that cannot run here, why (kept for a kept pool's runs)
        self.estimated: tuple[float, float | None] = (-math.inf, None)  # when `remaining` last ran, and its answer
        self.assign([], {})

    def assign(self, jobs: list[Job], costs: Costs) -> None:
        """The jobs of one run (the workers of a kept pool stay from the last)."""
        self.jobs = jobs
        self.cases = {job.case.id: job.case for job in jobs}
        self.shared: dict[str, Referenced] = {}  # case id -> (references, error), once computed
        self.waiting: dict[str, list[int]] = {}  # case id -> jobs waiting for its shared references
        self.done = sum(job.unavailable is not None for job in jobs)  # planned so (a regime the framework lacks)
        self.known = {
            i: costs[key] for i, job in enumerate(jobs) if (key := (job.case.id, job.label, job.dtype)) in costs
        }
        #: per framework, the jobs no worker has taken yet, dearest first (unmeasured ones at the known mean)
        self.pending: dict[str, list[int]] = {}
        for fw in dict.fromkeys(job.framework for job in jobs):
            indexes = [i for i, job in enumerate(jobs) if job.framework == fw and job.unavailable is None]
            self.pending[fw] = sorted(indexes, key=lambda i: -self.known.get(i, 0.0))
        if self.keep:  # a kept worker never closes: every framework needs a slot of its own
            kept = {w.framework for w in self.workers.values() if w.target is not None}
            self.slots = max(self.slots, len({*self.pending, *kept}))

    def loop(self) -> None:
        for fw in list(self.pending):
            if fw not in self.adapters:
                self._unavailable(fw, f"unavailable: no adapter named {fw!r}", [])
            elif fw in self.refused:
                self._unavailable(fw, self.refused[fw], [])
        self._count(0, "")
        self._schedule()
        while self.workers and not (self.keep and all(job.finished for job in self.jobs)):
            live = {w.connection: w for w in self.workers.values() if not w.closed}
            for connection in wait(list(live), timeout=0.2):
                self._receive(live[connection])  # type: ignore[index]
            for worker in list(self.workers.values()):
                self._tend(worker)
            self._schedule()

    def _schedule(self) -> None:
        """Give each free core a framework worker, as `next_worker` decides."""
        while sum(w.framework != REFERENCE for w in self.workers.values()) < self.slots:
            remaining = {fw: self._remaining(fw) for fw, queue in self.pending.items() if queue}
            workers = {fw: sum(w.framework == fw for w in self.workers.values()) for fw in remaining}
            fw = next_worker(remaining, workers, self.startup)
            if fw is None:
                return
            self._start_framework(fw)

    def _remaining(self, fw: str) -> float:
        """Seconds of work no worker of `fw` has taken yet, as measured or estimated."""
        done = [job.seconds for job in self.jobs if job.framework == fw and job.computed is not None]
        guess = sum(done) / len(done) if done else GUESSED_JOB_SECONDS
        return sum(self.known.get(i, guess) for i in self.pending[fw])

    def _start_framework(self, fw: str) -> None:
        if REFERENCE not in self.workers:  # started now, it is ready by the first result
            self.workers[REFERENCE] = self._start(REFERENCE, REFERENCE, None, [])
        name = next(n for k in itertools.count(1) if (n := fw if k == 1 else f"{fw}-{k}") not in self.workers)
        self.workers[name] = self._start(name, fw, self.adapters[fw], [self.pending[fw].pop(0)])

    def stop(self) -> None:
        """Kill every worker still running, then remove the logs unless an error names them."""
        blocked = (
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
            if hasattr(signal, "pthread_sigmask")
            else None
        )  # a second Ctrl-C must not cut this short
        try:
            for worker in self.workers.values():
                _kill(worker)
            self.workers.clear()
            if not self.keep_logs:
                shutil.rmtree(self.logs, ignore_errors=True)
        finally:
            if blocked is not None:
                signal.pthread_sigmask(signal.SIG_SETMASK, blocked)

    def _start(self, name: str, framework: str, target: str | None, tasks: Sequence[Key]) -> _Worker:
        log = self.logs / (f"{re.sub(r'[^A-Za-z0-9_.-]', '_', name)}.log" if target else "numpy-reference.log")
        connection, child = self.ctx.Pipe()
        memory = self.memory if target is None else None
        process = self.ctx.Process(
            target=_serve,
            args=(name, target, os.getpid(), str(log), memory, self.compile_cache, child),
            daemon=True,
            name=f"conformance-{name}",
        )
        process.start()
        child.close()  # the worker holds the only other end: its exit shows as EOF here
        return _Worker(name, framework, target, list(tasks), process, connection, log, time.monotonic())

    def _receive(self, worker: _Worker) -> None:
        try:
            what, key, payload = worker.connection.recv()
        except (EOFError, OSError):  # the worker is gone; _tend handles it
            worker.closed = True
            return
        except Exception as err:  # a result that cannot be unpickled: that task's error
            worker.problem = f"its result could not be read: {type(err).__name__}: {err}"
            return
        if what == "ready":
            worker.ready = True
            if worker.target is not None:
                self.ready[worker.framework] = payload
                self.startup.setdefault(worker.framework, time.monotonic() - worker.started)
        elif what == "unavailable":
            self._unavailable(worker.framework, payload, worker.tasks)
            worker.tasks = []
        else:  # "done": the answer to tasks[0]
            worker.tasks.pop(0)
            worker.sent = None
            if worker.target is None:
                self._referenced(key, *payload)
            else:
                self._computed(key, payload)
                if self.pending[worker.framework]:  # the next job of its framework, dearest first
                    worker.tasks.append(self.pending[worker.framework].pop(0))

    def _unavailable(self, fw: str, reason: str, taken: list[Key]) -> None:
        """The framework cannot run here: every job of it not started yet gets the reason."""
        self.refused[fw] = reason
        lost = [*taken, *self.pending.get(fw, [])]
        self.pending[fw] = []
        for key in lost:
            self._job(key).unavailable = reason
        self._count(len(lost), f"{fw}: unavailable")

    def _tend(self, worker: _Worker) -> None:
        """Stop a worker that crashed or hangs, close one with nothing left to do, or give it its next task."""
        failure = self._failure(worker)
        if failure is not None:
            self._lose(worker, failure)
        elif not worker.tasks and (
            worker.closed or (not self.keep and (worker.target is not None or self._only_references_left()))
        ):
            _close(worker)  # the reference worker stays while a framework may still need it
            del self.workers[worker.name]
        elif worker.target is not None and not worker.tasks and self.pending.get(worker.framework):
            worker.tasks.append(self.pending[worker.framework].pop(0))  # a kept worker's first job of a run
        elif worker.ready and worker.tasks and worker.sent is None and not worker.closed:
            self._send(worker)

    def _only_references_left(self) -> bool:
        return len(self.workers) == 1 and not any(self.pending.values())

    def _failure(self, worker: _Worker) -> str | None:
        """Why a worker must be stopped, or None while it is healthy."""
        now = time.monotonic()
        if worker.problem:
            return worker.problem
        if worker.closed and worker.tasks:
            worker.process.join(timeout=5)  # EOF can arrive before the exit is reaped
            return f"worker crashed (exit code {worker.process.exitcode})"
        if worker.sent is not None and now - worker.sent > self.timeout:
            return f"timeout: no result after {self.timeout:g} s"
        if not worker.ready and worker.tasks and now - worker.started > STARTUP_SECONDS:
            return f"timeout: worker did not start within {STARTUP_SECONDS:g} s"
        return None

    def _lose(self, worker: _Worker, failure: str) -> None:
        """Kill the worker; its current task gets the failure, with the log's tail. A framework's other jobs stay
        in its queue for a fresh worker; the reference worker's other tasks go to a fresh one at once. A framework
        that never started here, its worker lost while starting (it hung or crashed), is unavailable: a fresh
        worker would fail the same way, each paying the start-up limit."""
        _kill(worker)
        self.keep_logs = True  # the error names the log
        message = failure + _tail(worker.log)
        if worker.target is not None and not worker.ready and worker.framework not in self.startup:
            del self.workers[worker.name]
            self._unavailable(worker.framework, f"unavailable: {message}", worker.tasks)
            return
        lost = worker.tasks.pop(0)
        del self.workers[worker.name]
        if worker.target is None:
            self._referenced(lost, None, message)
            if worker.tasks:
                self.workers[worker.name] = self._start(worker.name, REFERENCE, None, worker.tasks)
        else:
            self._job(lost).error = message
            self._count(1, self._label(worker, lost))

    def _send(self, worker: _Worker) -> None:
        key = worker.tasks[0]
        if worker.target is not None:
            job = self._job(key)
            job.versions = self.ready[worker.framework].versions
            task: tuple[Any, ...] = (job.case, job.dtype, job.regime)
        elif isinstance(key, str):
            task = (self.cases[key], None)
        else:
            computed = self._job(key).computed
            task = (self._job(key).case, computed.details if computed else None)
        try:
            worker.connection.send((key, task))
        except OSError:  # it died meanwhile: _failure reports the crash
            worker.closed = True
            return
        worker.sent = time.monotonic()
        self._count(0, self._label(worker, key))

    def _computed(self, index: int, payload: tuple[Any, str | None, float]) -> None:
        """A job's result is in: done if it failed, else waiting for its references (shared or its own)."""
        job = self.jobs[index]
        job.computed, job.error, job.seconds = payload
        label = f"{job.case.id} [{job.label} {job.dtype}]"
        if job.computed is None:
            self._count(1, label)
        elif uses_own_samples(job.computed):
            self._ask_reference(index)
            self._count(0, label)
        elif job.case.id in self.shared:
            job.references, job.reference_error = self.shared[job.case.id]
            self._count(1, label)
        else:
            if job.case.id not in self.waiting:
                self.waiting[job.case.id] = []
                self._ask_reference(job.case.id)
            self.waiting[job.case.id].append(index)
            self._count(0, label)

    def _referenced(self, key: Key, refs: dict[str, Reference] | None, error: str | None) -> None:
        """References are in (or failed): every job waiting for them is done."""
        if isinstance(key, str):
            self.shared[key] = (refs, error)
            indexes = self.waiting.pop(key, [])
        else:
            indexes = [key]
        for i in indexes:
            self.jobs[i].references, self.jobs[i].reference_error = refs, error
        self._count(len(indexes), self._reference_label(key))

    def _ask_reference(self, key: Key) -> None:
        if REFERENCE in self.workers:
            self.workers[REFERENCE].tasks.append(key)
        else:  # the last one crashed with nothing left to do
            self.workers[REFERENCE] = self._start(REFERENCE, REFERENCE, None, [key])

    def _label(self, worker: _Worker, key: Key) -> str:
        if worker.target is None:
            return self._reference_label(key)
        job = self._job(key)
        return f"{job.case.id} [{job.label} {job.dtype}]"

    def _reference_label(self, key: Key) -> str:
        return f"{key if isinstance(key, str) else self._job(key).case.id} [reference]"

    def _job(self, key: Key) -> Job:
        assert isinstance(key, int), key
        return self.jobs[key]

    def _count(self, finished: int, label: str) -> None:
        self.done += finished
        if self.progress:
            now = time.monotonic()
            if now - self.estimated[0] >= ESTIMATE_SECONDS:  # each estimate goes over every job: once a second
                self.estimated = (now, self.remaining())
            self.progress(self.done, len(self.jobs), label, self.estimated[1])

    def remaining(self) -> float | None:
        """Seconds until the last job is computed, from the costs the scheduler ranks by (a previous report's, else
        the mean of its framework's jobs finished so far): `eta` of each framework's work not yet done, the running
        job's less the time it has run. None while a framework with work left has no measured start-up and no
        finished job: its costs would be guessed."""
        now = time.monotonic()
        work: dict[str, float] = {}
        workers: dict[str, int] = {}
        for fw, queue in self.pending.items():
            running = [w for w in self.workers.values() if w.framework == fw]
            if not queue and not any(w.tasks for w in running):
                continue
            measured = [job.seconds for job in self.jobs if job.framework == fw and job.computed is not None]
            if fw not in self.startup and not measured:
                return None
            guess = sum(measured) / len(measured) if measured else GUESSED_JOB_SECONDS
            left = self._remaining(fw)
            for w in running:
                for n, key in enumerate(w.tasks):
                    ran = now - w.sent if n == 0 and w.sent is not None else 0.0
                    left += max(self.known.get(key, guess) - ran, 0.0) if isinstance(key, int) else 0.0
            work[fw], workers[fw] = left, len(running)
        return eta(work, workers, self.slots)


def next_worker(remaining: dict[str, float], workers: dict[str, int], startup: dict[str, float]) -> str | None:
    """The framework a free core should start a worker for, or None to leave it free. `remaining`: seconds of work
    not yet taken, per framework with jobs waiting; `workers`: its workers now; `startup`: its measured start-up.
    First each framework with no worker (the dearest first), then the one with the most work left per worker, while
    splitting it saves more than the new worker's start-up costs (R/n - R/(n+1) > start-up, for R seconds left over
    n workers). A framework whose start-up is not yet measured is never split: a start-up is never guessed."""
    alone = [fw for fw in remaining if not workers.get(fw)]
    if alone:
        return max(alone, key=lambda fw: remaining[fw])

    def saving(fw: str) -> float:
        return remaining[fw] / (workers[fw] * (workers[fw] + 1))

    fw = max((fw for fw in remaining if fw in startup), key=saving, default=None)
    return fw if fw is not None and saving(fw) > startup[fw] else None


def eta(work: dict[str, float], workers: dict[str, int], slots: int) -> float:
    """Seconds until `work` (seconds left per framework, as the scheduler costs it) is done by `workers` (per
    framework, at least one each once it starts) on `slots` cores: the frameworks run side by side, so the framework
    with the most work per worker decides, unless the cores cannot hold them all at once (then the total over the
    cores)."""
    if not work:
        return 0.0
    alongside = max(left / max(workers.get(fw, 0), 1) for fw, left in work.items())
    return max(alongside, sum(work.values()) / max(slots, 1))


def _close(worker: _Worker) -> None:
    """A worker with nothing left to do: closing its pipe ends it."""
    worker.connection.close()
    worker.process.join(timeout=5)
    if worker.process.is_alive():
        _kill(worker)


def _kill(worker: _Worker) -> None:
    worker.process.kill()
    worker.process.join()
    worker.connection.close()


def _tail(log: Path) -> str:
    """The last lines the worker wrote, for its error; from a fatal error's dump, that dump's first lines."""
    try:
        with open(log, "rb") as f:
            f.seek(max(0, f.seek(0, os.SEEK_END) - 8192))
            text = f.read().decode("utf-8", "replace")
    except OSError:
        return f"; log {log} (unreadable)"
    lines = [line.strip()[:200] for line in text.splitlines() if line.strip()]
    lines = lines[next((i for i, line in enumerate(lines) if line.startswith("--- worker ")), -1) + 1 :]
    fatal = next((i for i, line in enumerate(lines) if line.startswith("Fatal Python error")), None)
    shown = lines[fatal : fatal + TAIL_LINES] if fatal is not None else lines[-TAIL_LINES:]
    return f"; log {log}" + (": " + " | ".join(shown) if shown else " (empty)")


def _serve(
    name: str,
    target: str | None,
    parent: int,
    log: str,
    memory: int | None,
    compile_cache: Path | None,
    connection: Connection,
) -> None:
    """A worker: bound to its parent, its output into its log; then one task at a time until the pipe closes.

    A framework worker imports its framework once, after its output is redirected; the reference worker
    runs under its memory limit.
    """
    _bind_to_parent(parent)
    _capture_output(log, name)
    compute: Callable[..., Any]
    info: Ready | None
    if target is None:
        _limit_memory(memory)
        compute, info = _reference, None
    else:
        try:
            adapter = adapters.load(target)
            adapter.cache_compiled(compile_cache)
        except Exception as err:  # not installed, or installed but broken: either way it cannot run
            connection.send(("unavailable", None, f"unavailable: {adapters.describe_error(err)}"))
            return
        versions = {str(k): str(v) for k, v in adapter.versions().items()}
        compute, info = partial(_compute, adapter), Ready(versions)
    connection.send(("ready", None, info))
    while True:
        try:
            key, task = connection.recv()
        except EOFError:  # the main process closed the pipe (nothing left) or is gone
            return
        connection.send(("done", key, compute(*task)))


def _compute(
    adapter: adapters.Adapter, case: Case, dtype: str, regime: Regime | None
) -> tuple[kinds.Computed | None, str | None, float]:
    """One job in a framework's worker, in `regime` (None: its default): (computed, None, seconds), or (None, the
    error, seconds)."""
    started = time.perf_counter()
    adapter.regime = adapter.REGIMES.default if regime is None else regime
    try:
        computed, error = kinds.compute(case, adapter, dtype), None
    except Exception as err:  # the job's result is the error; the worker goes on
        computed, error = None, adapters.describe_error(err)
    return computed, error, time.perf_counter() - started


def _reference(case: Case, details: dict[str, Any] | None) -> Referenced:
    """One case's references in the reference worker: (references, None), or (None, the error)."""
    try:
        return references(case, details), None
    except Exception as err:  # LinAlgError, bad shapes, MemoryError under the limit: that case's error
        return None, adapters.describe_error(err)


def _bind_to_parent(parent: int) -> None:
    """No worker may outlive the run: one in a hung job would otherwise run forever."""
    if hasattr(os, "setpgrp"):
        os.setpgrp()  # out of the terminal's process group: signals to it reach the main process, which stops us
    if sys.platform.startswith("linux"):
        with suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # it died before the signal was armed
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True, name="parent-watchdog").start()


def _watch_parent(parent: int) -> None:
    """Where the kernel sends no signal: a dead parent's children are re-parented, so the parent id changes."""
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


def _capture_output(log: str, name: str) -> None:
    """Send the worker's stdout and stderr (file descriptors 1 and 2, so C libraries' writes too) to its log."""
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o666)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(line_buffering=True)  # a crash must not lose what was printed
    print(f"--- worker {name}, pid {os.getpid()}, {time.strftime('%Y-%m-%d %H:%M:%S')}", flush=True)
    faulthandler.enable()  # a segfault's Python stack goes to the log


def _limit_memory(memory: int | None) -> None:
    """Cap the address space at the current footprint plus `memory` (Linux): a runaway raises MemoryError."""
    if memory is None or not sys.platform.startswith("linux"):
        return
    import resource

    with open("/proc/self/statm") as f:
        footprint = int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = footprint + memory if hard == resource.RLIM_INFINITY else min(footprint + memory, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
