"""`conformance fuzz`: a differential fuzzer that writes what it finds as new cases.

    draw.py      well-typed random expressions and inputs from the function table (seeded)
    findings.py  what differs, the kink and float32 filters, the library's known conventions, signatures
    shrink.py    each new finding shrunk to a minimal expression and input
    cases.py     trials as case files: the batches the workers run, and the findings written for review
    report.py    the fuzz report (JSON) and its summary table

Trials run through the same workers and judgement as `conformance run` (the runner, the oracle, the verdicts), in
batches. A finding whose signature was seen before is counted, not shrunk again. A trial that does not load (a bug of
the generator or the shrinker) is dropped and counted, never the run's end. Each new finding's case file is written as
soon as it is confirmed (and the report, with `report`, after each batch), so SIGINT or SIGTERM keeps what was found.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable, Collection
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.progress import BarColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.progress import Progress as RichProgress

from conformance import loader, runner, verdicts
from conformance.functions import FUNCTIONS, Function
from conformance.fuzz import cases, findings, shrink
from conformance.fuzz.draw import Trial, draw_trial, select
from conformance.fuzz.findings import Finding, Signature
from conformance.fuzz.report import FuzzReport, record
from conformance.generate import by_points
from conformance.report import write_text
from conformance.vocabulary import Regime

#: trials per batch: large enough that the workers stay busy, small enough to stop near --seconds
BATCH = 48

#: `progress(expressions, jobs, findings)`, after each batch
Progress = Callable[[int, int, int], None]
DTYPES = ("float32", "float64")


class Display:
    """The fuzzer's progress on stderr: on a terminal a bar over the time allowed, with the throughput (expressions
    x frameworks per second) and the new findings; into a log a plain line at most every `interval` seconds."""

    def __init__(self, options: Options, quiet: bool = False, interval: float = 10.0) -> None:
        self.options, self.quiet, self.interval = options, quiet, interval
        self.console = Console(stderr=True, highlight=False)
        self._bar: RichProgress | None = None
        self._task: TaskID | None = None
        self._started = self._printed = 0.0

    def __enter__(self) -> Display:
        self._started = time.monotonic()
        if self.console.is_terminal and not self.quiet:
            self._bar = RichProgress(
                TextColumn("[bold]fuzz"),
                BarColumn(),
                TimeElapsedColumn(),
                TextColumn("{task.fields[line]}"),
                console=self.console,
            )
            self._task = self._bar.add_task("fuzz", total=self.options.seconds, line="starting the workers")
            self._bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()

    def __call__(self, expressions: int, jobs: int, new: int) -> None:
        elapsed = time.monotonic() - self._started
        checks = expressions * len(self.options.frameworks) * len(self.options.regimes) / elapsed if elapsed else 0.0
        line = f"{expressions} expressions, {jobs} jobs, {checks:.1f} checks/s, {new} new findings"
        if self._bar is not None and self._task is not None:
            self._bar.update(self._task, completed=min(elapsed, self.options.seconds), line=line)
        elif not self.quiet and elapsed - self._printed >= self.interval:
            self._printed = elapsed
            self.console.print(f"fuzz: {line}, {elapsed:.0f} s", markup=False, highlight=False)


@dataclass
class Options:
    out: Path
    seconds: float = 60.0
    seed: int = 0
    functions: str | None = None
    frameworks: list[str] = field(default_factory=list)
    dtypes: tuple[str, ...] = DTYPES
    #: stop after this many expressions (whichever comes first with `seconds`): a run that repeats exactly
    expressions: int | None = None
    #: eager by default in every framework, JAX too: the differentiation rules are the same under jit, and a
    #: fuzzer's expressions are all distinct programs, which jit would compile one by one (about 80 ms each here,
    #: against 13 ms for the whole of an eager JAX check); `--regime compiled` (or xla, all) adds the others
    regimes: list[Regime] = field(default_factory=lambda: [Regime.EAGER])
    batch: int = BATCH
    timeout: float = 60.0
    #: the JSON report, written after each batch and at the end (an interrupted run's too)
    report: Path | None = None


@dataclass
class Tally:
    """What a run has found so far: all of it is reported when the run is interrupted."""

    started: float = field(default_factory=time.monotonic)
    drawn: int = 0
    seen: dict[Signature, Finding] = field(default_factory=dict)  # the first finding of each signature
    counts: dict[Signature, int] = field(default_factory=dict)  # trials that showed each signature
    new: list[Finding] = field(default_factory=list)  # shrunk, unknown to the library, each written under `out`
    files: dict[int, Path] = field(default_factory=dict)  # by id() of a new finding, its case file
    shrinking: list[Finding] = field(default_factory=list)  # new findings whose shrinking is under way
    interrupted: int | None = None  # the signal that stopped the run

    def confirm(self, finding: Finding, options: Options, shrunk: bool = True) -> None:
        """A new finding, its case file written at once (unless its signature is one already written)."""
        if all(finding.signature != g.signature for g in self.new):
            self.files[id(finding)] = cases.write(finding, options.seed, options.out, shrunk)
            self.new.append(finding)


class Evaluator:
    """Trials through the workers and the judgement of `conformance run`; each trial's filtered findings."""

    def __init__(self, adapters: dict[str, str], options: Options) -> None:
        self.options = options
        self.jobs = 0
        self.dropped = 0  # trials that did not load
        self.labels: set[str] = set()  # each framework in each regime it ran in
        self.folder = Path(tempfile.mkdtemp(prefix="conformance-fuzz-"))
        # JAX compiles each primitive the first time it meets its shapes, eagerly too: kept on disk between runs
        self.session = runner.Session(adapters, options.timeout, runner.COMPILE_CACHE)

    def close(self) -> None:
        self.session.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    def __call__(self, trials: list[Trial], seen: Collection[Signature] = ()) -> list[list[Finding]]:
        """Each trial's findings; one whose signature is in `seen` is only counted by the caller, so it is passed
        on as found, without the filters' cost (the kink filter's neighbours). A trial that does not load has none."""
        path = self.folder / "batch.yaml"
        path.write_text(cases.batch_text(trials), encoding="utf-8")
        loaded, _ = loader.load([path])
        self.dropped += len(trials) - len(loaded)  # the generator's or the shrinker's bug: that trial, not the run
        jobs = runner.plan(
            [c.case for c in loaded], self.options.frameworks, list(self.options.dtypes), self.options.regimes
        )
        self.jobs += len(jobs)
        self.labels.update(job.label for job in jobs)
        self.session.run(jobs)
        judged = verdicts.judge(jobs)
        out = []
        for i, trial in enumerate(trials):
            mine = [v for v in judged if v.job.case.id == f"t{i}" and v.job.dtype in trial.dtypes]
            found = findings.detect(trial, mine)
            out.append(
                [f for f in found if f.signature in seen]
                + findings.filtered([f for f in found if f.signature not in seen], mine)
            )
        return out


def elementwise(trial: Trial) -> bool:
    return not trial.data and all(by_points(FUNCTIONS[f]) for f in trial.tree.functions())


def fuzz(options: Options, adapters: dict[str, str], progress: Progress | None = None) -> FuzzReport:
    """Draw, run, filter, classify, deduplicate, shrink and write, until `seconds` (or `expressions`) are spent."""
    options = replace(options, frameworks=options.frameworks or list(adapters))
    rng = np.random.default_rng(options.seed)
    pool = select(options.functions)
    if not pool:
        raise ValueError(f"no function matches {options.functions!r}")
    options.out.mkdir(parents=True, exist_ok=True)  # there after any run, new findings or none
    tally = Tally()
    # the library's records are read while the first batch runs (its workers start meanwhile)
    with ThreadPoolExecutor(1) as reader:
        reading = reader.submit(lambda: findings.recorded(c.case for c in loader.load([loader.LIBRARY])[0]))
        evaluate = Evaluator(adapters, options)
        try:
            _loop(options, rng, pool, reading, evaluate, tally, progress)
        except runner.Interrupted as stop:  # what was found so far is the run's result, unshrunk where it stopped
            tally.interrupted = stop.signum
            for f in tally.shrinking:
                tally.confirm(f, options, shrunk=False)
        finally:
            evaluate.close()
    return _reported(options, tally, evaluate)


def _loop(
    options: Options,
    rng: np.random.Generator,
    pool: list[Function],
    reading: Future[list[findings.Recorded]],
    evaluate: Evaluator,
    tally: Tally,
    progress: Progress | None,
) -> None:
    while time.monotonic() - tally.started < options.seconds and (
        options.expressions is None or tally.drawn < options.expressions
    ):
        size = options.batch if options.expressions is None else min(options.batch, options.expressions - tally.drawn)
        trials = [draw_trial(rng, pool) for _ in range(size)]
        tally.drawn += size
        fresh = []
        outcomes = evaluate(trials, tally.seen)
        library = reading.result()
        for found in outcomes:
            for f in found:
                tally.counts[f.signature] = tally.counts.get(f.signature, 0) + 1
                if f.signature not in tally.seen:
                    f.known = findings.classify(f, library)
                    tally.seen[f.signature] = f
                    if f.known is None:
                        fresh.append(f)
        tally.shrinking = fresh
        for i, f in enumerate(shrink.shrink(fresh, evaluate, elementwise)):
            f.known = findings.classify(f, library)
            if f.known is None:
                tally.confirm(f, options)
            tally.shrinking = fresh[i + 1 :]
        if options.report:
            _reported(options, tally, evaluate)
        if progress:
            progress(tally.drawn, evaluate.jobs, len(tally.new))


def _reported(options: Options, tally: Tally, evaluate: Evaluator) -> FuzzReport:
    """The report of what `tally` holds, written to `options.report` where it names a file."""
    result = record(options, tally, sorted(evaluate.labels), evaluate.jobs, evaluate.dropped)
    if options.report:
        write_text(result.model_dump_json(indent=1) + "\n", options.report)
    return result
