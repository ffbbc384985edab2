"""The fuzz report: what ran, how fast, and each distinct finding, new or known (JSON, and a summary table)."""
from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field
from rich.console import Console
from rich.table import Table

from conformance.fuzz.cases import case_data
from conformance.fuzz.findings import Finding, Signature
from conformance.vocabulary import Symptom

if TYPE_CHECKING:
    from conformance.fuzz import Options


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
    findings: list[FindingRecord]

    @property
    def new(self) -> list[FindingRecord]:
        return [f for f in self.findings if f.new]


def record(options: Options, labels: list[str], drawn: int, jobs: int, seconds: float, seen: dict[Signature, Finding],
           counts: dict[Signature, int], new: list[Finding], files: dict[int, Path]) -> FuzzReport:
    shrunk = {f.signature: f for f in new}
    rows = [_finding(f, True, counts.get(f.signature, 1), files.get(id(f))) for f in new]
    rows += [_finding(f, False, counts[s], None) for s, f in seen.items() if f.known is not None and s not in shrunk]
    return FuzzReport(seed=options.seed, seconds=round(seconds, 2), expressions=drawn, jobs=jobs,
                      frameworks=labels, dtypes=list(options.dtypes),
                      expressions_per_second=round(drawn / seconds, 2) if seconds else 0.0,
                      checks_per_second=round(drawn * len(labels) / seconds, 2) if seconds else 0.0,
                      findings=rows)


def _finding(f: Finding, new: bool, count: int, file: Path | None) -> FindingRecord:
    signature = f.signature
    return FindingRecord(
        signature=str(signature), functions=list(signature.functions), odd=list(f.odd), symptom=f.symptom,
        new=new, count=count, dtype=f.dtype, gradient=f.gradient, kink=f.kink,
        case=case_data(f.trial, "finding", f.trial.function, "", (f.dtype,)), answers=f.answers, oracle=f.oracle,
        file=None if file is None else str(file), known_why=f.known.why if f.known else None,
        known_link=f.known.link if f.known else None, known_case=f.known.case if f.known else None)


def render(report: FuzzReport, console: Console) -> None:
    """The summary: findings per framework and symptom, new and known; then each new one's file."""
    table = Table(title=f"fuzz: {report.expressions} expressions in {report.seconds:.0f} s "
                        f"({report.expressions_per_second:g}/s, {report.checks_per_second:g} checks/s)")
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
    console.print(f"{len(report.new)} new, {len(report.findings) - len(report.new)} known", markup=False)
