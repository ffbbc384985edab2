"""Regressions between reports, merged shard reports, and the expectations file of known divergences.

`diff` says per case, framework and dtype what changed between two reports
(verdict, a gradient's status or class, a value that moved beyond the dtype's
tolerance, a job that appeared or vanished) and which changes are regressions.
Only frameworks that both runs asked for are compared, so reports from envs
that each installed one framework compare cleanly.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from pydantic import ValidationError

from conformance.compare import FAILING
from conformance.loader import LoadedCase, LoadError
from conformance.model import DEFAULT_TOLERANCE, Divergence, Tolerance

COMPARE_FORMAT = "gradient-conformance-compare"
Key = tuple[str, str, str]  # case, framework, dtype


@dataclass(frozen=True)
class Change:
    case: str
    framework: str
    dtype: str
    what: str  # verdict | status | class | moved | appeared | vanished
    gradient: str | None
    old: str
    new: str
    regressed: bool
    detail: str = ""


def diff(old: dict[str, Any], new: dict[str, Any], files: tuple[str, str] = ("", "")) -> dict[str, Any]:
    """Every change from `old` to `new` (both read by report.read; `files` name them), JSON-ready."""
    old_fw, new_fw = old["environment"]["frameworks"], new["environment"]["frameworks"]
    shared = [fw for fw in new_fw if fw in old_fw]
    before, after = _jobs(old, shared), _jobs(new, shared)
    changes: list[Change] = []
    for key in [*after, *(k for k in before if k not in after)]:
        if key not in before:
            changes.append(Change(*key, "appeared", None, "-", after[key]["verdict"], False))
        elif key not in after:
            changes.append(Change(*key, "vanished", None, before[key]["verdict"], "-", False))
        else:
            changes.extend(_job_changes(key, before[key], after[key]))
    return {
        "format": COMPARE_FORMAT,
        "old": _side(old, files[0]), "new": _side(new, files[1]),
        "frameworks": {fw: {"old": old_fw[fw]["versions"], "new": new_fw[fw]["versions"]} for fw in shared},
        "only_old": [fw for fw in old_fw if fw not in new_fw],
        "only_new": [fw for fw in new_fw if fw not in old_fw],
        "compared": len(before.keys() & after.keys()),
        "largest_move": _largest_move(before, after),
        "changes": [asdict(c) for c in changes],
        "regressed": any(c.regressed for c in changes),
    }


def table(result: dict[str, Any]) -> str:
    """The terminal view of `diff`: where each side ran, versions, then one row per change."""
    out = [f"{side}: {info['file'] or '-'} ({info['created']}, Python {info['python']}, {info['platform']})"
           for side, info in (("old", result["old"]), ("new", result["new"]))]
    for fw, versions in result["frameworks"].items():
        before, after = _versions(versions["old"]), _versions(versions["new"])
        out.append(f"{fw}: {before} -> {after}" if before != after else f"{fw}: {after} (unchanged)")
    for side in ("old", "new"):
        if result[f"only_{side}"]:
            out.append(f"only in {side}, not compared: {', '.join(result[f'only_{side}'])}")
    changes = result["changes"]
    if not changes:
        out.append(f"{result['compared']} jobs compared: no change beyond tolerance; {result['largest_move']}")
        return "\n".join(out)
    header = ["case", "framework", "dtype", "change", "gradient", "old", "new", ""]
    body = [[c["case"], c["framework"], c["dtype"], c["what"], c["gradient"] or "", c["old"], c["new"],
             ("REGRESSED " if c["regressed"] else "") + c["detail"]] for c in changes]
    widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]
    out += ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in [header, *body]]
    regressions = sum(c["regressed"] for c in changes)
    out.append(f"{result['compared']} jobs compared: {len(changes)} changes, {regressions} regressed; "
               f"{result['largest_move']}")
    return "\n".join(out)


def _side(report: dict[str, Any], file: str) -> dict[str, Any]:
    env = report["environment"]
    return {"file": file, "created": report["created"], "python": env["python"],
            "platform": env["platform"]}


def _versions(versions: dict[str, str]) -> str:
    return ", ".join(f"{name} {v}" for name, v in versions.items()) or "not installed"


def _jobs(report: dict[str, Any], frameworks: list[str]) -> dict[Key, dict[str, Any]]:
    return {(j["case"], j["framework"], j["dtype"]): j for j in report["jobs"] if j["framework"] in frameworks}


def _job_changes(key: Key, old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    changes = []
    if old["verdict"] != new["verdict"]:
        stale = next((m for m in new["messages"] if m.startswith("now agrees")), "")
        changes.append(Change(*key, "verdict", None, old["verdict"], new["verdict"],
                              new["verdict"] in FAILING and old["verdict"] not in FAILING, stale))
    for name in dict.fromkeys([*old["gradients"], *new["gradients"]]):
        a, b = old["gradients"].get(name), new["gradients"].get(name)
        status_a, status_b = _status(a), _status(b)
        if status_a != status_b:
            detail = (b or {}).get("error") or ""
            changes.append(Change(*key, "status", name, status_a, status_b, status_b.startswith("error"), detail))
        elif a["status"] == "value":
            if a["class"] != b["class"]:
                changes.append(Change(*key, "class", name, a["class"], b["class"], False))
            moved = _moved(a, b, _tolerance(new, key[2]))
            if moved:
                changes.append(Change(*key, "moved", name, _short(a["value"]), _short(b["value"]), True, moved))
    return changes


def _status(gradient: dict[str, Any] | None) -> str:
    if gradient is None:
        return "absent"
    return gradient["status"] + (f" ({gradient['representation']})" if gradient["representation"] else "")


def _tolerance(job: dict[str, Any], dtype: str) -> Tolerance:
    """The case's own tolerance, as the newer report recorded it (the dtype's default if it did not)."""
    return Tolerance(**job["tolerance"]) if "tolerance" in job else DEFAULT_TOLERANCE[dtype]


def _moved(a: dict[str, Any], b: dict[str, Any], tol: Tolerance) -> str:
    """'' when b's value is within the case's tolerance of a's (or its zero tolerance); else how far."""
    old, new = _array(a["value"]), _array(b["value"])
    if old.shape != new.shape:
        return f"shape {old.shape} -> {new.shape}"
    gap = _gap(old, new)
    if np.all((gap == 0) | (gap <= _allowed(a, b, tol))):  # gap 0 also where the tolerance is NaN
        return ""
    rel = np.max(gap / np.where(old != 0, np.abs(old), np.inf), initial=0)
    return f"moved by {np.max(gap):.3g} (rel {rel:.3g}; tolerance rtol {tol.rtol:g}, atol {tol.atol:g})"


def _allowed(a: dict[str, Any], b: dict[str, Any], tol: Tolerance) -> np.ndarray:
    """The case's tolerance around the old value, floored by either side's derived zero tolerance."""
    allowed = tol.atol + tol.rtol * np.abs(_array(a["value"]))
    for zero_tol in (a["zero_tolerance"], b["zero_tolerance"]):
        if zero_tol is not None:
            allowed = np.maximum(allowed, _array(zero_tol))
    return allowed


def _gap(old: np.ndarray, new: np.ndarray) -> np.ndarray:
    """|new - old| elementwise, 0 where both are the same NaN or infinity."""
    same = (old == new) | (np.isnan(old) & np.isnan(new))
    with np.errstate(invalid="ignore"):
        return np.where(same, 0.0, np.abs(new - old))


def _largest_move(before: dict[Key, dict[str, Any]], after: dict[Key, dict[str, Any]]) -> str:
    """The largest move of any gradient as a fraction of its tolerance, so "no change" says how close it was."""
    moves = []
    for key in before.keys() & after.keys():
        for name, a in before[key]["gradients"].items():
            b = after[key]["gradients"].get(name)
            if b and a["status"] == b["status"] == "value":
                old, new = _array(a["value"]), _array(b["value"])
                if old.shape == new.shape and np.any(gap := _gap(old, new)):
                    with np.errstate(invalid="ignore"):
                        share = float(np.max(np.where(gap == 0, 0.0, gap / _allowed(
                            a, b, _tolerance(after[key], key[2])))))
                    moves.append((share, float(np.max(gap)), f"{key[0]}[{key[1]}-{key[2]}] {name}"))
    if not moves:
        return "every gradient identical"
    share, gap, where = max(moves)
    return f"largest move: {where} by {gap:.3g}, {share:.2g} of its tolerance"


def _array(value: Any) -> np.ndarray:
    return np.asarray(value, np.float64)  # also parses the report's "nan" / "inf" / "-inf" strings


def _short(value: Any) -> str:
    return np.array2string(_array(value), precision=6, separator=", ", threshold=6)


def merge(reports: list[dict[str, Any]]) -> dict[str, Any]:
    """One report from the reports of `conformance run --shard I/N`, i = 1..N, each exactly once."""
    shards = sorted((r["shard"]["index"], r["shard"]["count"]) for r in reports if r.get("shard"))
    if shards != [(i, len(reports)) for i in range(1, len(reports) + 1)]:
        found = ", ".join(f"{r['shard']['index']}/{r['shard']['count']}" if r.get("shard") else "unsharded"
                          for r in reports)
        raise ValueError(f"need the reports of shards 1/N .. N/N, each once; got {found}")
    frameworks: dict[str, dict[str, Any]] = {}
    for report in reports:
        for fw, info in report["environment"]["frameworks"].items():
            seen = frameworks.setdefault(fw, info)
            if info["available"] and seen["available"] and info["versions"] != seen["versions"]:
                raise ValueError(f"{fw}: shards ran different versions: {_versions(seen['versions'])} "
                                 f"and {_versions(info['versions'])}")
            if info["available"] and not seen["available"]:
                frameworks[fw] = info
    cases = {case: info for report in reports for case, info in report["cases"].items()}
    jobs: dict[Key, dict[str, Any]] = {}
    for report in reports:
        for job in report["jobs"]:
            key = (job["case"], job["framework"], job["dtype"])
            if key in jobs:
                raise ValueError(f"job {key[0]}[{key[1]}-{key[2]}] is in two shards")
            jobs[key] = job
    case_order, fw_order = {c: i for i, c in enumerate(cases)}, {fw: i for i, fw in enumerate(frameworks)}
    merged_jobs = sorted(jobs.values(), key=lambda j: (case_order[j["case"]], fw_order[j["framework"]], j["dtype"]))
    findings: dict[str, Counter] = {}
    for report in reports:
        for fw, counts_ in report["findings"].items():
            findings.setdefault(fw, Counter()).update(counts_)
    first = reports[0]
    return {
        **{k: v for k, v in first.items() if k != "shard"},
        "created": max(r["created"] for r in reports),
        "environment": {**first["environment"], "frameworks": frameworks},
        "load_errors": list({tuple(e.values()): e for r in reports for e in r["load_errors"]}.values()),
        "cases": cases,
        "jobs": merged_jobs,
        "summary": dict(Counter(j["verdict"] for j in merged_jobs)),
        "findings": {fw: dict(c) for fw, c in findings.items()},
    }


# An expectations file, like array-api-tests' xfails files: one known divergence a line,
#   <case id>[<framework>]  <versions, PEP 440, or *>  <issue link>  <why>
_LINE = re.compile(r"(?P<case>[^\s\[\]]+)\[(?P<framework>[^\s\[\]]+)\]\s+(?P<versions>\S+)\s+(?P<issue>\S+)\s+"
                   r"(?P<why>\S.*)")


def read_expectations(path: str | Path) -> tuple[dict[str, list[Divergence]], list[LoadError]]:
    """Known divergences by case id, or errors naming file and line. '#' starts a comment."""
    marks: dict[str, list[Divergence]] = {}
    errors = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = _LINE.fullmatch(line)
        if match is None:
            errors.append(LoadError(str(path), number, "expected '<case>[<framework>]  <versions or *>  "
                                                       "<issue link>  <why>'"))
            continue
        versions = "" if match["versions"] == "*" else match["versions"]
        try:
            SpecifierSet(versions)
            mark = Divergence(framework=match["framework"], versions=versions, issue=match["issue"],
                              why=match["why"])
        except (InvalidSpecifier, ValidationError) as err:
            errors.append(LoadError(str(path), number, f"invalid version range {versions!r}: {err}"))
            continue
        marks.setdefault(match["case"], []).append(mark)
    return marks, errors


def with_expectations(cases: list[LoadedCase], marks: dict[str, list[Divergence]]
                      ) -> tuple[list[LoadedCase], list[str]]:
    """The cases with the expectations file's divergences added to their own marks, and the
    marked case ids that are not among them (a typo, or a case outside this run)."""
    ids = {c.case.id for c in cases}
    return ([LoadedCase(c.case.model_copy(update={"divergences": [*c.case.divergences, *marks[c.case.id]]}),
                        c.file, c.line) if c.case.id in marks else c for c in cases],
            [case for case in marks if case not in ids])
