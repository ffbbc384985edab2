"""Measure releases: make each one's environment, run the library on its framework there, fold the report in.

The library runs as `conformance run --framework F --quiet --report ...` with the interpreter of the release's
environment and this checkout on PYTHONPATH, in an empty folder (so no ./cases is picked up), each framework in its
default regime. A run's exit 1 (a job failed) is a finding the report holds; a run that writes no report is a
failure of that release's measurement, said and skipped.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from conformance import __version__
from conformance import report as reports
from conformance.history import envs, store
from conformance.history.envs import ROOT, Env

TIMEOUT = 6 * 3600  # seconds for one release's whole run


@dataclass(frozen=True)
class Plan:
    framework: str
    cache: Path = envs.CACHE
    cases: tuple[str, ...] = ()  # -k patterns; empty: the whole library
    paths: tuple[str, ...] = ()  # case files or folders; empty: the shipped library


@dataclass(frozen=True)
class Outcome:
    release: str
    measured: store.Measured | None
    report: reports.Report | None
    error: str | None = None


def library() -> str:
    """This checkout's version and commit, as a release's record names what measured it."""
    head = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=30
    )
    return f"{__version__} ({head.stdout.strip()})" if head.returncode == 0 else __version__


def measure(plan: Plan, release: str, made: Callable[[str, str, Path], Env] = envs.make) -> Outcome:
    """One release: its environment (made or cached), the library run there, its report read back."""
    try:
        env = made(plan.framework, release, plan.cache)
    except (envs.EnvError, OSError, subprocess.SubprocessError) as err:
        return Outcome(release, None, None, str(err))
    try:
        start = time.perf_counter()
        found = run(env, plan)
        seconds = round(time.perf_counter() - start, 1)
    finally:
        if plan.framework in envs.HEAVY:
            envs.remove(env)
    if isinstance(found, str):
        return Outcome(release, None, None, f"{plan.framework} {release}: {found}")
    return Outcome(
        release,
        store.Measured(plan.framework, release, library(), env.installed, env.relaxed, env.seconds, seconds),
        found,
    )


def run(env: Env, plan: Plan) -> reports.Report | str:
    """The library's report on `env`'s release, or why there is none."""
    with tempfile.TemporaryDirectory(prefix="conformance-history-") as folder:
        out = Path(folder) / "report.json"
        argv = [
            str(env.python),
            "-m",
            "conformance",
            "run",
            *plan.paths,
            "--framework",
            plan.framework,
            "--quiet",
            "--no-compile-cache",
            "--report",
            str(out),
        ]
        for pattern in plan.cases:
            argv += ["--case", pattern]
        environ = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
        try:
            done = subprocess.run(argv, cwd=folder, env=environ, capture_output=True, text=True, timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            return f"the run took over {TIMEOUT} s"
        if not out.is_file():
            tail = " ".join((done.stderr or done.stdout).strip().splitlines()[-4:])[-600:]
            return f"the run wrote no report (exit {done.returncode}): {tail}"
        try:
            found = reports.read(out)
        except (OSError, ValueError) as err:
            return str(err)
        if found.partial is not None:  # its missing jobs would read as cases the release does not run
            return f"the run was cut short ({found.partial.reason}): not stored"
        return found


def measure_all(
    plan: Plan, releases: list[str], jobs: int = 1, made: Callable[[str, str, Path], Env] = envs.make
) -> Iterator[Outcome]:
    """Each release measured, `jobs` at a time (a heavy framework's one at a time), as each finishes."""
    workers = 1 if plan.framework in envs.HEAVY else max(1, jobs)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(measure, plan, release, made) for release in releases]
        for future in as_completed(futures):
            yield future.result()
