"""The terminal view of a report, findings first (rich; plain text when not a terminal, honours NO_COLOR).

0. An interrupted run's report says first that it is partial, and how much finished.
1. Verdicts per framework and regime, by label (`torch`, `torch[compiled]`), each with its versions and how it
   executed (a framework that is not installed, or lacks the regime asked for: one line saying so, never one per job).
2. Where the frameworks differ: one line per (case, gradient), with each
   framework's answer, whether it matches the math, and its convention or bug link; where one framework's
   compositions of modes differ from each other, one line per job naming the odd ones; after complex jobs, each
   framework's documented convention for complex gradients.
3. The failures, with their reasons.
4. On request (`--table`), every job.
"""
from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from conformance.adapters import nothing_flowed
from conformance.report import AgreementRecord, AnswerRecord, Report
from conformance.tolerance import short
from conformance.vocabulary import Agreement, Status, Verdict

STYLE = {Verdict.PASS: "green", Verdict.CONVENTION: "cyan", Verdict.XFAIL: "yellow", Verdict.UNAVAILABLE: "dim",
         Verdict.STALE: "red", Verdict.FAIL: "bold red", Verdict.ERROR: "bold red"}


def render(report: Report, console: Console, full_table: bool = False) -> None:
    if report.partial:
        console.print(Text(partial_line(report), style="bold yellow"), soft_wrap=True)
    console.print(verdict_table(report))
    differences = report.differences()
    compared = [a for a in report.agreement if a.result != Agreement.NOT_COMPARED]
    console.print()
    if differences:
        console.print(Text(f"Where the frameworks differ: {len(differences)} of {len(compared)} gradients "
                           f"(case, dtype) compared", style="bold"))
        for line in difference_lines(differences):
            console.print(line, soft_wrap=True)
    elif compared:
        console.print(Text(f"The frameworks agree on all {len(compared)} gradients compared.", style="bold"))
    inconsistent = consistency_lines(report)
    if inconsistent:
        console.print(Text(f"Where a framework's compositions differ from each other: {len(inconsistent)}",
                           style="bold"))
        for line in inconsistent:
            console.print(line, soft_wrap=True)
    for said in complex_lines(report):
        console.print(said, markup=False, soft_wrap=True)
    skipped = len(report.agreement) - len(compared)
    if skipped:
        console.print(f"{skipped} gradients not compared across frameworks by construction "
                      "(each framework's own samples or idiom)", markup=False, soft_wrap=True)
    failing = [j for j in report.jobs if j.verdict.failing]
    if failing:
        console.print()
        console.print(Text(f"Failures ({len(failing)} jobs)", style="bold red"))
        for job in failing:
            reasons = job.all_failures()
            line = Text(f"  {job.case} [{job.label}-{job.dtype}] ")
            line.append(job.verdict.value, style=STYLE[job.verdict])
            line.append(": " + "; ".join(reasons or ["-"]))
            console.print(line, soft_wrap=True)
    for fw, info in report.environment.frameworks.items():
        if not info.available:
            console.print(f"{fw}: {info.reason}", markup=False, soft_wrap=True)
    for error in report.load_errors:
        console.print(f"load error: {error.file}:{error.line}: {error.message}", markup=False, soft_wrap=True)
    if full_table:
        console.print(job_table(report))
    console.print(f"{len(report.jobs)} jobs: {counts_line(report) or 'none'}"
                  + (f" (partial: {report.partial.reason})" if report.partial else ""), markup=False)


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
    return [f"complex gradients, {fw}: {said}" for fw, said in seen.items()]


def partial_line(report: Report) -> str:
    """What an interrupted run's report holds, said before anything else."""
    assert report.partial is not None
    p = report.partial
    return (f"Partial report ({p.reason}): {p.finished} of {p.planned} jobs finished; "
            f"the other {p.planned - p.finished} are not in it")


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
    """A label with its framework's versions and how it executed: `torch[compiled] 2.13.0 (torch.compile (inductor))`
    (an older report: its framework's one regime, eager or jit)."""
    job = next((j for j in report.jobs if j.label == label), None)
    info = report.environment.frameworks.get(job.framework) if job else None
    if job is None or info is None:
        return label
    how = info.regimes.get(job.regime) if job.regime else info.regime
    return " ".join([label, *info.versions.values(), *([f"({how})"] if how else [])])


def difference_lines(differences: list[AgreementRecord]) -> list[Text]:
    """One line per (case, gradient); dtypes with the same answers share it."""
    merged: dict[tuple[str, str, str], list[str]] = {}
    records: dict[tuple[str, str, str], AgreementRecord] = {}
    for a in differences:
        key = (a.case, a.gradient, _answers_text(a))
        merged.setdefault(key, []).append(a.dtype)
        records.setdefault(key, a)
    lines = []
    for (case, gradient, _), dtypes in merged.items():
        a = records[(case, gradient, _)]
        line = Text(f"  {case} {gradient} [{', '.join(dtypes)}] ")
        line.append(f"differ in {a.difference.value if a.difference else '?'}", style="bold")
        if a.result == Agreement.DIFFER_NO_REFERENCE:
            line.append(" (no reference)")
        line.append(": ")
        for i, answer in enumerate(a.answers):
            if i:
                line.append(" | ")
            line.append_text(_answer(answer, answer.label in a.odd))
        lines.append(line)
    return lines


def _answers_text(a: AgreementRecord) -> str:
    return " | ".join(_answer(x, x.label in a.odd).plain for x in a.answers)


def _answer(answer: AnswerRecord, odd: bool) -> Text:
    text = Text(f"{answer.label} ")
    text.append(_value(answer), style="bold" if odd else "")
    if answer.cls is not None and answer.status == Status.VALUE:
        text.append(f" ({answer.cls.value})")
    if answer.matches_math is not None:
        text.append(" ✓" if answer.matches_math else " ✗", style="green" if answer.matches_math else "red")
    if answer.verdict != Verdict.PASS:
        text.append(f" {answer.verdict.value}", style=STYLE[answer.verdict])
    if answer.link:
        text.append(f" {answer.link}", style="dim")
    return text


def _value(answer: AnswerRecord) -> str:
    if answer.status == Status.DISCONNECTED:
        return answer.representation or "disconnected"
    if answer.status == Status.ERROR:
        return f"error ({(answer.error or '').split(':')[0]})"
    if nothing_flowed(answer.status, answer.representation):  # JAX's symbolic zero: its zeros, and that it is one
        return f"{short(answer.value, precision=4)} ({answer.representation})"
    return short(answer.value, precision=4)


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
        table.add_row(Text(case), dtype, *(Text(cells[fw].value, style=STYLE[cells[fw]]) if fw in cells else "-"
                                     for fw in frameworks))
    return table


def counts_line(report: Report) -> str:
    totals = report.totals()
    return ", ".join(f"{totals[v]} {v.value}" for v in Verdict if totals[v])
