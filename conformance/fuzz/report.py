"""The fuzz report: what ran, how fast, and each distinct finding, new or known (JSON, and a summary table)."""

from __future__ import annotations

import signal
import time
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field
from rich.console import Console
from rich.table import Table

from conformance.fuzz.cases import case_data
from conformance.fuzz.findings import Finding
from conformance.vocabulary import Symptom

if TYPE_CHECKING:
    from conformance.fuzz import Options, Tally


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FindingRecord(Record):
    signature: str
    functions: list[str]
    odd: list[str] = Field(description="the frameworks (with their regime) that miss the math")
    symptom: Symptom
    new: bool = Field(description="false where the library records a convention or known bug that explains it")
    count: int = Field(description="trials that showed this signature")
    dtype: str
    gradient: str
    kink: bool
    case: dict[str, Any] = Field(description="the (shrunk, for a new one) trial as a case")
    answers: dict[str, str]
    oracle: str
    file: str | None = Field(description="the case file written under --out (new findings)")
    known_why: str | None
    known_link: str | None
    known_case: str | None = Field(description="the library case that records it")


class FuzzReport(Record):
    format: str = "gradient-conformance-fuzz"
    seed: int
    seconds: float
    expressions: int
    jobs: int
    frameworks: list[str] = Field(description="each framework in each regime it ran in (`torch`, `jax[eager]`)")
    dtypes: list[str]
    expressions_per_second: float
    checks_per_second: float = Field(description="expressions x frameworks per second")
    dropped: int = Field(
        0,
        description="trials, drawn or shrunk, whose case did not load (a bug of the fuzzer's): "
        "each dropped, the run going on",
    )
    interrupted: int | None = Field(
        None,
        description="the signal that stopped the run early (2: SIGINT, 15: "
        "SIGTERM); its findings are those confirmed by then",
    )
    findings: list[FindingRecord]

    @property
    def new(self) -> list[FindingRecord]:
        return [f for f in self.findings if f.new]


def record(options: Options, tally: Tally, labels: list[str], jobs: int, dropped: int) -> FuzzReport:
    seconds, drawn = time.monotonic() - tally.started, tally.drawn
    shrunk = {f.signature for f in tally.new}
    rows = [_finding(f, True, tally.counts.get(f.signature, 1), tally.files.get(id(f))) for f in tally.new]
    rows += [
        _finding(f, False, tally.counts[s], None)
        for s, f in tally.seen.items()
        if f.known is not None and s not in shrunk
    ]
    return FuzzReport(
        seed=options.seed,
        seconds=round(seconds, 2),
        expressions=drawn,
        jobs=jobs,
        frameworks=labels,
        dtypes=list(options.dtypes),
        expressions_per_second=round(drawn / seconds, 2) if seconds else 0.0,
        checks_per_second=round(drawn * len(labels) / seconds, 2) if seconds else 0.0,
        dropped=dropped,
        interrupted=tally.interrupted,
        findings=rows,
    )


def _finding(f: Finding, new: bool, count: int, file: Path | None) -> FindingRecord:
    signature = f.signature
    return FindingRecord(
        signature=str(signature),
        functions=list(signature.functions),
        odd=list(f.odd),
        symptom=f.symptom,
        new=new,
        count=count,
        dtype=f.dtype,
        gradient=f.gradient,
        kink=f.kink,
        case=case_data(f.trial, "finding", f.trial.function, "", (f.dtype,)),
        answers=f.answers,
        oracle=f.oracle,
        file=None if file is None else str(file),
        known_why=f.known.why if f.known else None,
        known_link=f.known.link if f.known else None,
        known_case=f.known.case if f.known else None,
    )


def render(report: FuzzReport, console: Console) -> None:
    """The summary: findings per framework and symptom, new and known; then each new one's file."""
    table = Table(
        title=f"fuzz: {report.expressions} expressions in {report.seconds:.0f} s "
        f"({report.expressions_per_second:g}/s, {report.checks_per_second:g} checks/s)"
    )
    table.add_column("framework")
    symptoms = [s for s in Symptom if any(f.symptom == s for f in report.findings)]
    for s in symptoms:
        table.add_column(s.value, justify="right")
    counts = Counter((odd, f.symptom, f.new) for f in report.findings for odd in f.odd)
    for fw in dict.fromkeys(odd for f in report.findings for odd in f.odd):
        table.add_row(fw, *(f"{counts[(fw, s, True)]} new, {counts[(fw, s, False)]} known" for s in symptoms))
    console.print(table)
    for f in report.new:
        console.print(f"new: {f.signature} ({f.dtype}): {f.file}", markup=False, highlight=False)
    console.print(
        f"{len(report.new)} new, {len(report.findings) - len(report.new)} known"
        + (f", {report.dropped} trials dropped (they did not load)" if report.dropped else "")
        + (f"; interrupted by {signal.Signals(report.interrupted).name}" if report.interrupted else ""),
        markup=False,
    )
