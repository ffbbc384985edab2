"""What the case library checks: every function of the Array API standard and of the language's table,
covered or not, per framework and per kind of dtype, with the number of cases that exercise it.

A case exercises the functions its function (or model) calls, operators under the Array API's names
(`a * b` is multiply); its expected-value expressions are its math, not what it tests. Without a report
every case counts for every framework it would run on; with one, only the jobs that ran (not unavailable).
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import asdict, dataclass, field

from rich.table import Table

from conformance import array_api
from conformance.functions import FUNCTIONS, Domain, Standard
from conformance.loader import LoadedCase
from conformance.report import Report
from conformance.vocabulary import Verdict

#: the special functions the breadth issue asks for, by scipy.special's names (stop_gradient besides)
SPECIAL = (
    "erf",
    "erfc",
    "erfinv",
    "log_ndtr",
    "gammaln",
    "digamma",
    "polygamma",
    "i0e",
    "i1e",
    "xlogy",
    "xlog1py",
    "betainc",
    "gammainc",
    "gammaincc",
    "stop_gradient",
)


#: where the functions beyond the Array API come from, in the order coverage lists them: scipy.special, the
#: neural-network functions (named as jax.nn and torch.nn.functional name them), then the extensions
SOURCES = (Standard.ARRAY_API, Standard.SPECIAL, Standard.NN, Standard.EXTENSION)


def domain_of(dtype: str) -> Domain:
    if dtype.startswith("complex"):
        return Domain.COMPLEX
    return Domain.INTEGER if dtype.startswith(("int", "uint", "bool")) else Domain.REAL


@dataclass
class Row:
    """One function: where its name comes from, and the cases that check it per framework and dtype kind."""

    name: str
    source: str
    differentiable: bool = True
    #: framework -> dtype kind -> number of cases
    cases: dict[str, dict[str, int]] = field(default_factory=dict)

    def covered(self, framework: str, domain: Domain = Domain.REAL) -> bool:
        return self.cases.get(framework, {}).get(domain, 0) > 0


@dataclass
class Coverage:
    frameworks: list[str]
    rows: list[Row]

    def array_api(self) -> list[Row]:
        return [r for r in self.rows if r.source.startswith("array-api") and r.differentiable]

    def share(self, rows: list[Row]) -> tuple[int, int]:
        """How many of `rows` are covered on every framework, in real or complex dtypes (imag takes only complex
        values); and how many there are."""
        return sum(all(r.covered(fw) or r.covered(fw, Domain.COMPLEX) for fw in self.frameworks) for r in rows), len(
            rows
        )

    def to_json(self) -> str:
        covered, total = self.share(self.array_api())
        return json.dumps(
            {
                "array_api_version": array_api.VERSION,
                "frameworks": self.frameworks,
                "array_api_differentiable_covered": covered,
                "array_api_differentiable": total,
                "functions": [asdict(r) for r in self.rows],
            },
            indent=1,
        )

    def table(self) -> Table:
        covered, total = self.share(self.array_api())
        table = Table(
            "function",
            "from",
            *self.frameworks,
            title=(
                f"{covered} of {total} differentiable functions of the Array API standard {array_api.VERSION} "
                f"checked on every framework (cases per dtype kind)"
            ),
        )
        for row in self.rows:
            table.add_row(row.name, row.source, *(_cell(row, fw) for fw in self.frameworks))
        return table

    def markdown(self) -> str:
        covered, total = self.share(self.array_api())
        lines = [
            f"{covered} of {total} differentiable functions of the Array API standard {array_api.VERSION} "
            f"are checked on all of {', '.join(self.frameworks)}.",
            "",
            f"| function | from | {' | '.join(self.frameworks)} |",
            "|---|---|" + "---|" * len(self.frameworks),
        ]
        for row in self.rows:
            cells = [_cell(row, fw) for fw in self.frameworks]
            lines.append(f"| `{row.name}` | {row.source} | {' | '.join(cells)} |")
        return "\n".join(lines) + "\n"


def _cell(row: Row, framework: str) -> str:
    if not row.differentiable:
        return "n/a"
    counts = row.cases.get(framework, {})
    return ", ".join(f"{d} {n}" for d, n in sorted(counts.items())) or "—"


def measure(cases: list[LoadedCase], frameworks: list[str], report: Report | None = None) -> Coverage:
    """Coverage of `cases` on `frameworks` (from `report` where given)."""
    ran: dict[tuple[str, str], set[str]] = defaultdict(set)  # (case, framework) -> dtypes that ran
    if report is not None:
        for job in report.jobs:
            if job.verdict != Verdict.UNAVAILABLE:
                ran[(job.case, job.framework)].add(job.dtype)
    counts: dict[str, dict[str, dict[str, int]]] = defaultdict(lambda: defaultdict(lambda: defaultdict(int)))
    for loaded in cases:
        case = loaded.case
        for framework in frameworks:
            dtypes = ran[(case.id, framework)] if report is not None else set(case.dtypes)
            for domain in {domain_of(d) for d in dtypes}:
                for name in case.exercised():
                    counts[name][framework][domain] += 1
    rows = []
    for entry in array_api.FUNCTIONS:
        ours = _ours(entry.name)
        name = ours if ours in FUNCTIONS or ours in counts else entry.name
        rows.append(
            Row(entry.name, f"array-api: {entry.category}", not entry.not_differentiable, _plain(counts.get(name, {})))
        )
    standard = {_ours(f.name) for f in array_api.FUNCTIONS}
    others = [f for f in FUNCTIONS.values() if f.name not in standard]
    for function in sorted(others, key=lambda f: SOURCES.index(f.standard)):  # by source, in the table's order
        rows.append(Row(function.name, function.standard.value, True, _plain(counts.get(function.name, {}))))
    return Coverage(frameworks, rows)


def _ours(name: str) -> str:
    """The table's name of a standard function: the extensions' without their prefix (linalg.det is det)."""
    return name.removeprefix("linalg.").removeprefix("fft.")


def _plain(counts: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
    return {fw: dict(by_domain) for fw, by_domain in counts.items()}
