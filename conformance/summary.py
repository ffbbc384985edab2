"""The terminal view of a report, findings first (rich; plain text when not a terminal, honours NO_COLOR).

0. An interrupted run's report says first that it is partial, and how much finished.
1. Verdicts per framework and regime, by label (`torch`, `torch[compiled]`), each with its versions and how it
   executed (a framework that is not installed, or lacks the regime asked for: one line saying so, never one per job).
2. Where the frameworks differ, ranked (conformance/ranking.py: the same rows and count as the docs, JUnit and
   pytest): per heading (the odd framework, how it misses the math) a few rows, each with every framework's answer
   (arrays elided), whether it matches the math, and its convention or bug link; the representation-only
   differences one counted line per function; where one framework's compositions of modes differ from each other,
   one line per job naming the odd ones; after complex jobs, each framework's convention for complex gradients.
3. The failures, with their reasons (elided past a line).
4. With `-v`: every ranked row; with `--table`, every job.
5. The next step: the docs site of the report.
"""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from conformance import ranking
from conformance.report import AnswerRecord, Report
from conformance.tolerance import short
from conformance.vocabulary import Agreement, Verdict

STYLE = {
    Verdict.PASS: "green",
    Verdict.CONVENTION: "cyan",
    Verdict.XFAIL: "yellow",
    Verdict.UNAVAILABLE: "dim",
    Verdict.STALE: "red",
    Verdict.FAIL: "bold red",
    Verdict.ERROR: "bold red",
}
ROWS = 3  # rows per heading of the ranked differences, unless verbose
REASON = 240  # characters of a failure's reasons, unless verbose


def render(report: Report, console: Console, verbose: bool = False, full_table: bool = False) -> None:
    """The summary; `verbose` (`-v`) lists every ranked row, `full_table` (`--table`) every job. The command ends it
    with `next_step`."""
    if report.partial:
        console.print(Text(partial_line(report), style="bold yellow"), soft_wrap=True)
    console.print(verdict_table(report))
    ranked = ranking.rank(report.agreement)
    console.print()
    console.print(Text(ranked.headline(), style="bold"), soft_wrap=True)
    for line in difference_lines(ranked, verbose):
        console.print(line, soft_wrap=True)
    inconsistent = consistency_lines(report)
    if inconsistent:
        console.print(
            Text(f"Where a framework's compositions differ from each other: {len(inconsistent)}", style="bold")
        )
        for line in inconsistent:
            console.print(line, soft_wrap=True)
    for said in complex_lines(report):
        console.print(said, markup=False, soft_wrap=True)
    skipped = len(report.agreement) - ranked.compared
    if skipped:
        console.print(
            f"{skipped} gradients not compared across frameworks by construction "
            "(each framework's own samples or idiom)",
            markup=False,
            soft_wrap=True,
        )
    failing = [j for j in report.jobs if j.verdict.failing]
    if failing:
        console.print()
        console.print(Text(f"Failures ({len(failing)} jobs)", style="bold red"))
        for job in failing:
            reasons = "; ".join(job.all_failures() or ["-"])
            line = Text(f"  {job.case} [{job.label}-{job.dtype}] ")
            line.append(job.verdict.value, style=STYLE[job.verdict])
            line.append(": " + (reasons if verbose or len(reasons) <= REASON else reasons[: REASON - 1] + "…"))
            console.print(line, soft_wrap=True)
    for fw, info in report.environment.frameworks.items():
        if not info.available:
            console.print(f"{fw}: {info.reason}", markup=False, soft_wrap=True)
    for error in report.load_errors:
        console.print(f"load error: {error.file}:{error.line}: {error.message}", markup=False, soft_wrap=True)
    if full_table:
        console.print(job_table(report))
    console.print(
        f"{len(report.jobs)} jobs: {counts_line(report) or 'none'}"
        + (f" (partial: {report.partial.reason})" if report.partial else ""),
        markup=False,
    )


def next_step(report_path: str | None) -> str:
    """The summary's last line: where to read the whole of it, the docs site of this run's report."""
    if report_path is None:
        return "next: rerun with --report report.json, then: conformance docs --report report.json --out site"
    return f"next: conformance docs --report {report_path} --out site  (every row, each case's math and links)"


def difference_lines(ranked: ranking.Ranking, verbose: bool = False) -> list[Text]:
    """The ranked rows under their headings (`jax misses the math: value`); without `verbose`, at most ROWS rows per
    heading, the rows of one function after its first folded into a count, and the representation-only rows one
    counted line per function."""
    lines: list[Text] = []
    headings: dict[str, list[ranking.Finding]] = {}
    for finding in ranked.findings:
        if finding.section != ranking.Section.REPRESENTATION:
            headings.setdefault(finding.heading, []).append(finding)
    for heading, findings in headings.items():
        lines.append(Text(f"{heading} ({sum(len(f.records) for f in findings)})", style="bold"))
        shown = [(f, 0) for f in findings] if verbose else _folded(findings)
        for finding, more in shown[: None if verbose else ROWS]:
            line = _row(finding)
            if more:
                line.append(f"  (+{more} more of {finding.function})", style="dim")
            lines.append(line)
        hidden = sum(more + len(f.records) for f, more in shown[ROWS:]) if not verbose else 0
        if hidden:
            lines.append(Text(f"  +{hidden} more gradient{'s' if hidden != 1 else ''} (-v lists them)", style="dim"))
    collapsed = ranked.collapsed()
    if collapsed:
        lines.append(
            Text(
                f"{ranking.Section.REPRESENTATION.value} ({ranked.counted(ranking.Section.REPRESENTATION)})",
                style="bold",
            )
        )
    for group in collapsed:
        if verbose:
            lines += [_row(finding) for finding in group.findings]
        else:
            lines.append(Text(f"  {group.function}: {_gradients(group.count)}: {group.representations()}"))
    return lines


def _gradients(count: int) -> str:
    return f"{count} gradient{'s' if count != 1 else ''}"


def _folded(findings: list[ranking.Finding]) -> list[tuple[ranking.Finding, int]]:
    """Each function's first row, with how many gradients its other rows under the same heading hold."""
    first: dict[str, ranking.Finding] = {}
    more: dict[str, int] = {}
    for finding in findings:
        if finding.function in first:
            more[finding.function] = more.get(finding.function, 0) + len(finding.records)
        else:
            first[finding.function] = finding
    return [(finding, more.get(function, 0)) for function, finding in first.items()]


def _row(finding: ranking.Finding) -> Text:
    """`abs-at-zero x [float32, float64]: torch, tensorflow 0 (exact_zero) ✓ | jax 1 ✗ convention <link>`: the
    frameworks with the same answer share it."""
    line = Text(f"  {finding.case} {finding.gradient} [{', '.join(finding.dtypes)}]: ")
    shared: dict[str, list[AnswerRecord]] = {}
    for answer in finding.records[0].answers:
        shared.setdefault(_answer(answer, False).plain.removeprefix(answer.label), []).append(answer)
    for i, alike in enumerate(shared.values()):
        if i:
            line.append(" | ")
        line.append_text(_answer(alike[0], alike[0].label in finding.odd, ", ".join(a.label for a in alike)))
    return line


def consistency_lines(report: Report) -> list[Text]:
    """One line per job whose sibling gradients differ, each group with its value, the odd ones in bold."""
    lines = []
    for job in report.jobs:
        for c in job.consistency:
            if c.result not in (Agreement.DIFFER, Agreement.DIFFER_NO_REFERENCE):
                continue
            line = Text(f"  {job.case} [{job.label}-{job.dtype}] {c.quantity} ")
            line.append(f"differ in {c.difference.value if c.difference else '?'}", style="bold")
            line.append(": ")
            for i, group in enumerate(c.groups):
                if i:
                    line.append(" | ")
                line.append(", ".join(group), style="bold" if set(group) <= set(c.odd) else "")
                line.append(f" {short(job.gradients[group[0]].value, precision=4)}")
            lines.append(line)
    return lines


def complex_lines(report: Report) -> list[str]:
    """Per framework that ran complex jobs, its documented convention for complex gradients (mapped to the
    math's dL/dx + i dL/dy before judging; the report keeps its raw answers)."""
    seen: dict[str, str] = {}
    for job in report.jobs:
        for g in job.gradients.values():
            if g.complex_convention and job.framework not in seen:
                seen[job.framework] = f"{g.complex_convention.why} ({g.complex_convention.link})"
    frameworks: dict[str, list[str]] = {}  # frameworks documenting the same convention share a line
    for fw, said in seen.items():
        frameworks.setdefault(said, []).append(fw)
    return [f"complex gradients, {', '.join(fws)}: {said}" for said, fws in frameworks.items()]


def partial_line(report: Report) -> str:
    """What an interrupted run's report holds, said before anything else."""
    assert report.partial is not None
    p = report.partial
    return (
        f"Partial report ({p.reason}): {p.finished} of {p.planned} jobs finished; "
        f"the other {p.planned - p.finished} are not in it"
    )


def verdict_table(report: Report) -> Table:
    table = Table(title="Verdicts against the math", title_justify="left")
    table.add_column("framework")
    totals = report.totals()
    shown = [v for v in Verdict if totals[v] or v in (Verdict.PASS, Verdict.FAIL)]
    for verdict in shown:
        table.add_column(verdict.value, justify="right", style=STYLE[verdict])
    for label, counts in report.summary.items():
        table.add_row(Text(_named(report, label)), *(str(counts.get(v, 0)) for v in shown))
    return table


def _named(report: Report, label: str) -> str:
    """A label with each of its framework's packages and how it executed: `tensorflow: tensorflow 2.21.0,
    tensorflow-probability 0.25.0 (eager)` (an older report: its framework's one regime, eager or jit)."""
    job = next((j for j in report.jobs if j.label == label), None)
    info = report.environment.frameworks.get(job.framework) if job else None
    if job is None or info is None:
        return label
    how = info.regimes.get(job.regime) if job.regime else info.regime
    packages = ", ".join(f"{name} {version}" for name, version in info.versions.items())
    return f"{label}: {packages}" + (f" ({how})" if how else "") if packages else label


def _answer(answer: AnswerRecord, odd: bool, labels: str | None = None) -> Text:
    text = Text(f"{labels or answer.label} ")
    text.append(ranking.value_text(answer), style="bold" if odd else "")
    if answer.matches_math is not None:
        text.append(" ✓" if answer.matches_math else " ✗", style="green" if answer.matches_math else "red")
    if answer.verdict != Verdict.PASS:
        text.append(f" {answer.verdict.value}", style=STYLE[answer.verdict])
    if answer.link:
        text.append(f" {answer.link}", style="dim")
    return text


def job_table(report: Report) -> Table:
    """Every (case, dtype) against every label (a framework in a regime); an unavailable one has no column (its line
    says so once)."""
    frameworks = list(dict.fromkeys(j.label for j in report.jobs if j.verdict != Verdict.UNAVAILABLE))
    table = Table(title="Every job", title_justify="left")
    for column in ("case", "dtype", *frameworks):
        table.add_column(Text(column))  # a label's brackets are not markup
    rows: dict[tuple[str, str], dict[str, Verdict]] = {}
    for job in report.jobs:
        rows.setdefault((job.case, job.dtype), {})[job.label] = job.verdict
    for (case, dtype), cells in rows.items():
        table.add_row(
            Text(case),
            dtype,
            *(Text(cells[fw].value, style=STYLE[cells[fw]]) if fw in cells else "-" for fw in frameworks),
        )
    return table


def counts_line(report: Report) -> str:
    totals = report.totals()
    return ", ".join(f"{totals[v]} {v.value}" for v in Verdict if totals[v])
