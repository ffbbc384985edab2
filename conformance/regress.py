"""Regressions between reports, merged shard reports, and the expectations file of known divergences.

`diff` says per case, label (a framework in a regime: `torch`, `torch[compiled]`) and dtype what changed between
two reports (verdict, a gradient's status or class, a value that moved beyond the case's
tolerance, a job that appeared or vanished) and which changes are regressions;
and per (case, dtype, gradient) where the frameworks started or stopped
differing from each other (never a regression by itself). Only frameworks that
both runs asked for are compared, so reports from envs that each installed one
framework compare cleanly.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import ValidationError

from conformance import ranking, tolerance
from conformance.loader import MAX_FILE_BYTES, LoadedCase, LoadError, Unreadable, read_bytes
from conformance.model import Divergence, Tolerance
from conformance.report import AgreementRecord, FrameworkInfo, GradientRecord, JobRecord, Report, summarize
from conformance.tolerance import short
from conformance.vocabulary import Agreement, Status

COMPARE_FORMAT = "gradient-conformance-compare"
Key = tuple[str, str, str]  # case, label (the framework in a regime), dtype
DIFFERING = (Agreement.DIFFER, Agreement.DIFFER_NO_REFERENCE)


@dataclass(frozen=True)
class Change:
    case: str
    framework: str  # the label (framework in a regime); for a change of agreement: the labels compared
    dtype: str
    #: verdict | status | class | moved | appeared | vanished; across frameworks: started differing,
    #: stopped differing, difference changed (another kind of difference: status, value, class)
    what: str
    gradient: str | None
    old: str
    new: str
    regressed: bool
    detail: str = ""


def diff(old: Report, new: Report, files: tuple[str, str] = ("", "")) -> dict[str, Any]:
    """Every change from `old` to `new` (`files` name them), JSON-ready. A partial (interrupted) report is refused:
    its missing jobs would read as vanished."""
    for report, file in zip((old, new), files, strict=True):
        if report.partial is not None:
            raise ValueError(
                f"{file or 'a report'} is partial ({report.partial.reason}, {report.partial.finished} "
                f"of {report.partial.planned} jobs): compare complete runs"
            )
    old_fw, new_fw = old.environment.frameworks, new.environment.frameworks
    shared = [fw for fw in new_fw if fw in old_fw]
    before, after = _jobs(old, shared), _jobs(new, shared)
    changes: list[Change] = []
    for key in [*after, *(k for k in before if k not in after)]:
        if key not in before:
            changes.append(Change(*key, "appeared", None, "-", after[key].verdict.value, False))
        elif key not in after:
            changes.append(Change(*key, "vanished", None, before[key].verdict.value, "-", False))
        else:
            changes.extend(_job_changes(key, before[key], after[key]))
    ranked = {side: ranking.rank(r.agreement) for side, r in (("old", old), ("new", new))}
    changes.extend(_agreement_changes(old, new, set(shared), ranked["new"], ranked["old"]))
    return {
        "format": COMPARE_FORMAT,
        "old": _side(old, files[0]),
        "new": _side(new, files[1]),
        "frameworks": {fw: {"old": old_fw[fw].versions, "new": new_fw[fw].versions} for fw in shared},
        "only_old": [fw for fw in old_fw if fw not in new_fw],
        "only_new": [fw for fw in new_fw if fw not in old_fw],
        "compared": len(before.keys() & after.keys()),
        "largest_move": _largest_move(before, after),
        "differ": {side: r.count for side, r in ranked.items()},  # the count every view says (ranking.py)
        "changes": [asdict(c) for c in changes],
        "regressed": any(c.regressed for c in changes),
    }


ONE_SIDE = ("vanished", "appeared")


def table(result: dict[str, Any], verbose: bool = False) -> str:
    """The terminal view of `diff`: where each side ran, versions, one row per change (jobs on one side only: one
    counted line, unless `verbose`), where the frameworks differ on each side, then the verdict."""
    out = [
        f"{side}: {info['file'] or '-'} ({info['created']}, Python {info['python']}, {info['platform']})"
        for side, info in (("old", result["old"]), ("new", result["new"]))
    ]
    for fw, versions in result["frameworks"].items():
        before, after = _versions(versions["old"]), _versions(versions["new"])
        out.append(f"{fw}: {before} -> {after}" if before != after else f"{fw}: {after} (unchanged)")
    for side in ("old", "new"):
        if result[f"only_{side}"]:
            out.append(f"only in {side}, not compared: {', '.join(result[f'only_{side}'])}")
    changes = result["changes"] if verbose else [c for c in result["changes"] if c["what"] not in ONE_SIDE]
    one_side = [c for c in result["changes"] if c["what"] in ONE_SIDE]
    differ = result.get("differ")
    if differ:
        out.append(
            f"where the frameworks differ: {differ['old']} gradients (case, input, dtype) in old, "
            f"{differ['new']} in new"
        )
    if one_side and not verbose:
        out.append(_one_side(one_side))
    if not changes:
        out.append(f"{result['compared']} jobs compared: no change beyond tolerance; {result['largest_move']}")
        return "\n".join(out)
    header = ["case", "framework", "dtype", "change", "gradient", "old", "new", ""]
    body = [
        [
            c["case"],
            c["framework"],
            c["dtype"],
            c["what"],
            c["gradient"] or "",
            c["old"],
            c["new"],
            ("REGRESSED " if c["regressed"] else "") + c["detail"],
        ]
        for c in changes
    ]
    widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]
    out += ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in [header, *body]]
    regressions = sum(c["regressed"] for c in result["changes"])
    out.append(
        f"{result['compared']} jobs compared: {len(changes)} changes, {regressions} regressed; {result['largest_move']}"
    )
    return "\n".join(out)


def _one_side(changes: list[dict[str, Any]]) -> str:
    """`4575 jobs only in old (vanished), e.g. abs-at-zero[jax-float32], ...; 0 only in new: not compared`."""
    parts = []
    for what, side in (("vanished", "old"), ("appeared", "new")):
        jobs = [f"{c['case']}[{c['framework']}-{c['dtype']}]" for c in changes if c["what"] == what]
        if jobs:
            parts.append(
                f"{len(jobs)} job{'s' if len(jobs) != 1 else ''} only in {side} ({what}), e.g. "
                + ", ".join(jobs[:3])
                + (", ..." if len(jobs) > 3 else "")
            )
    return "; ".join(parts) + ": not compared (-v lists them)"


def _side(report: Report, file: str) -> dict[str, Any]:
    env = report.environment
    return {"file": file, "created": report.created, "python": env.python, "platform": env.platform}


def _versions(versions: dict[str, str]) -> str:
    return ", ".join(f"{name} {v}" for name, v in versions.items()) or "not installed"


def _jobs(report: Report, frameworks: list[str]) -> dict[Key, JobRecord]:
    return {(j.case, j.label, j.dtype): j for j in report.jobs if j.framework in frameworks}


def _job_changes(key: Key, old: JobRecord, new: JobRecord) -> list[Change]:
    changes = []
    if old.verdict != new.verdict:
        failures = new.all_failures()
        changes.append(
            Change(
                *key,
                "verdict",
                None,
                old.verdict.value,
                new.verdict.value,
                new.verdict.failing and not old.verdict.failing,
                "; ".join(failures),
            )
        )
    for name in dict.fromkeys([*old.gradients, *new.gradients]):
        a, b = old.gradients.get(name), new.gradients.get(name)
        if a is None or b is None or _status(a) != _status(b):
            changes.append(
                Change(
                    *key,
                    "status",
                    name,
                    _status(a),
                    _status(b),
                    b is not None and b.status == Status.ERROR,
                    (b and b.error) or "",
                )
            )
        elif a.status == Status.VALUE:
            if a.cls != b.cls:
                changes.append(Change(*key, "class", name, str(a.cls), str(b.cls), False))
            moved = _moved(a, b, new.tolerance, new.dtype)
            if moved:
                changes.append(Change(*key, "moved", name, short(a.value), short(b.value), True, moved))
    return changes


def _status(gradient: GradientRecord | None) -> str:
    if gradient is None:
        return "absent"
    return gradient.status.value + (f" ({gradient.representation})" if gradient.representation else "")


def _floor(a: GradientRecord, b: GradientRecord) -> np.ndarray | None:
    """Either side's derived zero tolerance, the larger where both have one."""
    floors = [_array(z) for z in (a.zero_tolerance, b.zero_tolerance) if z is not None]
    return np.maximum(*floors) if len(floors) == 2 else next(iter(floors), None)


def _moved(a: GradientRecord, b: GradientRecord, tol: Tolerance, dtype: str) -> str:
    """'' when b's value is within the case's tolerance of a's (the one rule); else how far."""
    old, new = _array(a.value), _array(b.value)
    if old.shape != new.shape:
        return f"shape {old.shape} -> {new.shape}"
    if tolerance.within(
        new, old, dtype, tol.rtol, tol.atol, _floor(a, b), normwise_size=max(a.normwise_size, b.normwise_size)
    ):
        return ""
    size = tolerance.errors(new, old)
    return f"moved by {size['max_abs']:.3g} (rel {size['max_rel']:.3g}; tolerance {tol})"


def _largest_move(before: dict[Key, JobRecord], after: dict[Key, JobRecord]) -> str:
    """The largest move of any gradient as a fraction of its tolerance, so "no change" says how close it was."""
    moves = []
    for key in before.keys() & after.keys():
        tol, dtype = after[key].tolerance, after[key].dtype
        for name, a in before[key].gradients.items():
            b = after[key].gradients.get(name)
            if b is None or not a.status == b.status == Status.VALUE:
                continue
            old, new = _array(a.value), _array(b.value)
            if old.shape == new.shape and np.any(moved := tolerance.gap(new, old)):
                share = tolerance.assess(
                    new,
                    old,
                    dtype,
                    tol.rtol,
                    tol.atol,
                    _floor(a, b),
                    normwise_size=max(a.normwise_size, b.normwise_size),
                ).share
                moves.append((share, float(np.max(moved)), f"{key[0]}[{key[1]}-{key[2]}] {name}"))
    if not moves:
        return "every gradient identical"
    share, size, where = max(moves)
    return f"largest move: {where} by {size:.3g}, {share:.2g} of its tolerance"


def _agreement_changes(old: Report, new: Report, frameworks: set[str], *ranked: ranking.Ranking) -> list[Change]:
    """Where the frameworks (the same ones, on both sides) started or stopped differing, or differ another way; in
    the order the rankings (`ranked`: the new side's, then the old's) give their rows."""
    before = {(a.case, a.dtype, a.gradient): a for a in old.agreement}
    changes = []
    for b in new.agreement:
        a = before.get((b.case, b.dtype, b.gradient))
        if a is None or not _comparable(a, b, frameworks):
            continue
        was, now = a.result in DIFFERING, b.result in DIFFERING
        if was == now and (not now or a.difference == b.difference):
            continue
        what = "difference changed" if was and now else "started differing" if now else "stopped differing"
        changes.append(
            Change(
                b.case,
                ", ".join(sorted(_answering(b))),
                b.dtype,
                what,
                b.gradient,
                _agreement_text(a),
                _agreement_text(b),
                False,
                _answers(b if now else a),
            )
        )
    order: dict[tuple[str, str, str], int] = {}
    for side in ranked:
        for record in side.records():
            order.setdefault((record.case, record.dtype, record.gradient), len(order))
    return sorted(changes, key=lambda c: order.get((c.case, c.dtype, c.gradient or ""), len(order)))


def _comparable(a: AgreementRecord, b: AgreementRecord, frameworks: set[str]) -> bool:
    """Both compared the same frameworks in the same regimes, all frameworks asked for by both runs."""
    return (
        Agreement.NOT_COMPARED not in (a.result, b.result)
        and _answering(a) == _answering(b)
        and {x.framework for x in b.answers} <= frameworks
    )


def _answering(record: AgreementRecord) -> set[str]:
    return {x.label for x in record.answers}


def _agreement_text(record: AgreementRecord) -> str:
    if record.result not in DIFFERING:
        return record.result.value
    return f"{record.result.value}: {record.difference.value if record.difference else '?'}"


def _answers(record: AgreementRecord) -> str:
    """Each framework's answer, and the odd ones out."""
    answers = " | ".join(
        f"{x.label} {short(x.value) if x.status == Status.VALUE else x.status.value}" for x in record.answers
    )
    return answers + (f" (odd: {', '.join(record.odd)})" if record.odd else "")


def _array(value: Any) -> np.ndarray:
    return tolerance.numeric(value)  # also parses the report's "nan" / "inf" / "-inf" strings and complex values


def merge(reports: list[Report]) -> Report:
    """One report from the reports of `conformance run --shard I/N`, i = 1..N, each exactly once, none partial."""
    partial = [_shard(r) for r in reports if r.partial is not None]
    if partial:
        raise ValueError(f"shard {', '.join(partial)} is partial (interrupted): rerun it before merging")
    shards = sorted((r.shard.index, r.shard.count) for r in reports if r.shard)
    if shards != [(i, len(reports)) for i in range(1, len(reports) + 1)]:
        found = ", ".join(map(_shard, reports))
        raise ValueError(f"need the reports of shards 1/N .. N/N, each once; got {found}")
    first = reports[0]
    for other in reports[1:]:
        if other.cases.keys() != first.cases.keys():
            odd = sorted(other.cases.keys() ^ first.cases.keys())
            raise ValueError(
                f"shards {_shard(first)} and {_shard(other)} ran different case sets: {', '.join(odd)} in only one"
            )
        asked = [(r.environment.frameworks.keys(), r.plan) for r in (first, other)]
        if asked[0] != asked[1]:
            raise ValueError(
                f"shards {_shard(first)} and {_shard(other)} ran different plans: {_plan(first)} and {_plan(other)}"
            )
    frameworks: dict[str, FrameworkInfo] = {}
    for report in reports:
        for fw, info in report.environment.frameworks.items():
            seen = frameworks.setdefault(fw, info)
            if info.available and seen.available and info.versions != seen.versions:
                raise ValueError(
                    f"{fw}: shards ran different versions: {_versions(seen.versions)} and {_versions(info.versions)}"
                )
            if info.available and not seen.available:
                frameworks[fw] = info
    jobs: dict[Key, JobRecord] = {}
    for report in reports:
        for job in report.jobs:
            key = (job.case, job.label, job.dtype)
            if key in jobs:
                raise ValueError(f"job {key[0]}[{key[1]}-{key[2]}] is in two shards")
            jobs[key] = job
    case_order, fw_order = {c: i for i, c in enumerate(first.cases)}, {fw: i for i, fw in enumerate(frameworks)}
    merged = sorted(jobs.values(), key=lambda j: (case_order[j.case], fw_order[j.framework], j.label, j.dtype))
    agreement = {(a.case, a.dtype, a.gradient): a for r in reports for a in r.agreement}
    return Report(
        created=max((r.created for r in reports), key=datetime.fromisoformat),
        environment=first.environment.model_copy(update={"frameworks": frameworks}),
        load_errors=list({(e.file, e.line, e.message): e for r in reports for e in r.load_errors}.values()),
        cases=first.cases,
        jobs=merged,
        summary=summarize([j.label for j in merged], [j.verdict for j in merged]),
        agreement=sorted(agreement.values(), key=lambda a: (case_order[a.case], a.dtype)),
        plan=first.plan,
    )


def _shard(report: Report) -> str:
    return f"{report.shard.index}/{report.shard.count}" if report.shard else "unsharded"


def _plan(report: Report) -> str:
    """What a run asked for: its frameworks, dtypes and regimes."""
    frameworks = ", ".join(report.environment.frameworks)
    if report.plan is None:
        return f"frameworks {frameworks} (a report from before plans: dtypes and regimes not recorded)"
    dtypes = ", ".join(report.plan.dtypes or ["each case's"])
    regimes = ", ".join(report.plan.regimes or ["each framework's default"])
    return f"frameworks {frameworks}; dtypes {dtypes}; regimes {regimes}"


# An expectations file, like array-api-tests' xfails files: one known divergence a line,
#   <case id>[<framework>]  <versions, PEP 440, or *>  <issue link>  <why>
_LINE = re.compile(
    r"(?P<case>[^\s\[\]]+)\[(?P<framework>[^\s\[\]]+)\]\s+(?P<versions>\S+)\s+(?P<issue>\S+)\s+"
    r"(?P<why>\S.*)"
)


def read_expectations(path: str | Path) -> tuple[dict[str, list[Divergence]], list[LoadError]]:
    """Known divergences by case id, or errors naming file and line. '#' starts a comment. A file that is not a
    regular file of at most a case file's size, in UTF-8, is a ValueError naming it."""
    try:
        text = read_bytes(path, MAX_FILE_BYTES, "expectations file").decode("utf-8")
    except (Unreadable, UnicodeDecodeError) as err:
        raise ValueError(f"{path}: {err}") from None
    marks: dict[str, list[Divergence]] = {}
    errors = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = _LINE.fullmatch(line)
        if match is None:
            errors.append(
                LoadError(str(path), number, "expected '<case>[<framework>]  <versions or *>  <issue link>  <why>'")
            )
            continue
        try:
            versions = "" if match["versions"] == "*" else match["versions"]
            mark = Divergence(framework=match["framework"], versions=versions, issue=match["issue"], why=match["why"])
        except ValidationError as err:
            errors.extend(
                LoadError(str(path), number, f"invalid {'.'.join(map(str, e['loc']))}: {e['msg']}")
                for e in err.errors()
            )
            continue
        marks.setdefault(match["case"], []).append(mark)
    return marks, errors


def with_expectations(
    cases: list[LoadedCase], marks: dict[str, list[Divergence]]
) -> tuple[list[LoadedCase], list[str]]:
    """The cases with the expectations file's divergences added to their own marks, and the
    marked case ids that are not among them (a typo, or a case outside this run)."""
    ids = {c.case.id for c in cases}
    return (
        [
            LoadedCase(
                c.case.model_copy(update={"divergences": [*c.case.divergences, *marks[c.case.id]]}), c.file, c.line
            )
            if c.case.id in marks
            else c
            for c in cases
        ],
        [case for case in marks if case not in ids],
    )
