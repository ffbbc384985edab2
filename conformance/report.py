"""The report: JSON for machines (written atomically), a table for people.

Format (version 1), top level: format, version, created, environment
{python, platform, packages, frameworks {name: {available, versions,
distributions, reason}}}, load_errors [{file, line, message}], cases {id:
{title, kind, why, file, line, tags}}, jobs [{case, framework, dtype,
verdict, messages, seconds, tolerance {rtol, atol}, gradients {name: {status, class,
representation, value, error, expected, oracle, oracle_bound,
zero_tolerance, expected_error {max_abs, max_rel}, oracle_error, peers}},
estimates}], summary {verdict: count}. Non-finite numbers are the strings
"nan", "inf" and "-inf", so the file is strict JSON.
"""
from __future__ import annotations

import json
import os
import platform
import sys
import tempfile
from collections import Counter
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np

from conformance.compare import EXACT_ZERO, FAILING, TOLERANCE_ZERO, Verdict
from conformance.loader import LoadedCase, LoadError

FORMAT, VERSION = "gradient-conformance-report", 1


def build(verdicts: list[Verdict], cases: list[LoadedCase], load_errors: list[LoadError],
          frameworks: list[str]) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "version": VERSION,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "environment": _environment(verdicts, frameworks),
        "load_errors": [{"file": e.file, "line": e.line, "message": e.message} for e in load_errors],
        "cases": {c.case.id: {"title": c.case.title, "kind": c.case.kind, "why": c.case.why,
                              "file": c.file, "line": c.line, "tags": list(c.case.tags)} for c in cases},
        "jobs": [_job(v) for v in verdicts],
        "summary": dict(Counter(v.verdict for v in verdicts)),
        "findings": _findings(verdicts),
    }


def write(report: dict[str, Any], path: str | Path) -> None:
    """Write atomically: a reader sees the old file or the new one, never half of one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(report, f, indent=1, allow_nan=False)
            f.write("\n")
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def read(path: str | Path) -> dict[str, Any]:
    """Load a report, refusing files that are not reports of this format version."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValueError(f"{path}: not a gradient conformance report")
    if data.get("version") != VERSION:
        raise ValueError(f"{path}: report format version {data.get('version')!r}; "
                         f"this conformance reads version {VERSION}: re-run the suite to regenerate it")
    return data


def table(report: dict[str, Any]) -> str:
    """The terminal view: one row per case and dtype, one column per framework."""
    frameworks = list(report["environment"]["frameworks"])
    rows: dict[tuple[str, str], dict[str, str]] = {}
    for job in report["jobs"]:
        rows.setdefault((job["case"], job["dtype"]), {})[job["framework"]] = job["verdict"]
    header = ["case", "dtype", *frameworks]
    body = [[case, dtype, *(cells.get(fw, "-") for fw in frameworks)] for (case, dtype), cells in rows.items()]
    widths = [max(len(str(r[i])) for r in [header, *body]) for i in range(len(header))]
    line = lambda r: "  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip()
    out = [line(header), line(["-" * w for w in widths])] + [line(r) for r in body]
    for job in report["jobs"]:
        for message in _table_messages(job):
            out.append(f"  {job['case']} [{job['framework']}-{job['dtype']}] {job['verdict']}: {message}")
    for fw, info in report["environment"]["frameworks"].items():
        if not info["available"]:
            out.append(f"{fw}: {info['reason']}")
        elif fw in report["findings"]:
            counts = ", ".join(f"{n} {what.replace('_', ' ')}" for what, n in report["findings"][fw].items())
            versions = " ".join(f"{k} {v}" for k, v in info["versions"].items())
            out.append(f"{fw} ({versions}): {counts}")
    for error in report["load_errors"]:
        out.append(f"load error: {error['file']}:{error['line']}: {error['message']}")
    summary = ", ".join(f"{n} {verdict}" for verdict, n in sorted(report["summary"].items()))
    out.append(f"{len(report['jobs'])} jobs: {summary or 'none'}")
    return "\n".join(out)


def _table_messages(job: dict[str, Any]) -> list[str]:
    """What the table says of a job: a failure's reasons; for a known divergence, only its link.

    Notes (a class or convention that differs between frameworks) stay in the JSON and the docs.
    """
    if job["verdict"] == "xfail":
        return [m for m in job["messages"] if m.startswith("known divergence")]
    if job["verdict"] == "pass":
        return []
    return [m for m in job["messages"] if not m.startswith("note:")]


def failed(report: dict[str, Any]) -> bool:
    return any(job["verdict"] in FAILING for job in report["jobs"])


def _environment(verdicts: list[Verdict], frameworks: list[str]) -> dict[str, Any]:
    info: dict[str, dict[str, Any]] = {}
    for fw in frameworks:
        jobs = [v.job for v in verdicts if v.job.framework == fw]
        versions = next((j.versions for j in jobs if j.versions), {})
        reason = next((j.unavailable for j in jobs if j.unavailable), None)
        info[fw] = {"available": reason is None and bool(versions), "versions": versions,
                    "reason": reason if reason or versions else "no jobs ran"}
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "executable": sys.executable,
        "packages": {name: _version(name) for name in ("gradient-conformance", "numpy", "scipy")},
        "frameworks": info,
    }


def _findings(verdicts: list[Verdict]) -> dict[str, dict[str, int]]:
    """Per framework: how many exact zeros, tolerance zeros, disconnected gradients, divergences."""
    counts: dict[str, Counter] = {}
    for v in verdicts:
        c = counts.setdefault(v.job.framework, Counter())
        for res in v.gradients.values():
            if res.kind in (EXACT_ZERO, TOLERANCE_ZERO):
                c[res.kind] += 1
            elif res.status == "disconnected":
                c["disconnected"] += 1
        c["expected_divergence"] += v.verdict == "xfail"
    return {fw: {k: c[k] for k in (EXACT_ZERO, TOLERANCE_ZERO, "disconnected", "expected_divergence")}
            for fw, c in counts.items()}


def _job(v: Verdict) -> dict[str, Any]:
    return {
        "case": v.job.case.id, "framework": v.job.framework, "dtype": v.job.dtype,
        "verdict": v.verdict, "messages": v.messages, "seconds": round(v.job.seconds, 4),
        "tolerance": v.job.case.tolerance_for(v.job.dtype).model_dump(),
        "gradients": {name: {
            "status": r.status, "class": r.kind, "representation": r.representation,
            "value": _plain(r.value), "error": r.error,
            "expected": _plain(r.expected), "oracle": _plain(r.oracle), "oracle_bound": _plain(r.oracle_bound),
            "zero_tolerance": _plain(r.zero_tolerance),
            "expected_error": _plain(r.expected_error), "oracle_error": _plain(r.oracle_error),
            "peers": _plain(r.peers),
        } for name, r in v.gradients.items()},
        "estimates": _plain(v.estimates),
        "details": _plain({k: val for k, val in (v.job.computed.details if v.job.computed else {}).items()
                           if k != "samples"}),
    }


def _plain(value: Any) -> Any:
    """NumPy values and non-finite floats as strict-JSON-friendly Python values."""
    if value is None or isinstance(value, (str, bool)):
        return value
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray) or isinstance(value, np.generic):
        return _plain(value.tolist())
    if isinstance(value, float):
        if value != value:
            return "nan"
        if value in (float("inf"), float("-inf")):
            return "inf" if value > 0 else "-inf"
        return value
    return value


def _version(name: str) -> str | None:
    try:
        return version(name)
    except PackageNotFoundError:
        return None
