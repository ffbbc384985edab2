"""Trials as case files: the batch the workers run, and each new finding written for review under `--out`."""

from __future__ import annotations

import re
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from conformance.fuzz.draw import Trial
from conformance.fuzz.findings import Finding
from conformance.generate import nested
from conformance.report import write_text

NEEDS_WHY = "needs a why"


def case_data(
    trial: Trial,
    case_id: str,
    title: str,
    why: str,
    dtypes: tuple[str, ...] | None = None,
    tags: tuple[str, ...] = ("fuzz",),
) -> dict[str, Any]:
    """The trial as a vjp case (YAML data), judged by the oracle alone."""
    return {
        "id": case_id,
        "kind": "vjp",
        "title": title,
        "why": why,
        "tags": list(tags),
        "dtypes": list(dtypes or trial.dtypes),
        "inputs": {**{n: _value(v) for n, v in trial.inputs.items()}, **trial.data},
        "function": trial.function,
        "cotangent": _value(trial.cotangent),
    }


def batch_text(trials: list[Trial]) -> str:
    """One file of cases `t0`, `t1`, ..., in the trials' order."""
    return yaml.safe_dump(
        [case_data(t, f"t{i}", f"trial {i}", "drawn by conformance fuzz") for i, t in enumerate(trials)],
        sort_keys=False,
        width=120,
    )


def slug(finding: Finding) -> str:
    """A case id naming the finding's signature, with a short hash of its expression."""
    signature = finding.signature
    words = "-".join([*signature.functions, *signature.odd, signature.symptom.value, finding.dtype])
    digest = f"{zlib.crc32(finding.trial.function.encode()):08x}"[:6]
    return "fuzz-" + re.sub(r"[^a-z0-9.-]+", "-", words.lower()).strip("-")[:80] + f"-{digest}"


def written(finding: Finding, seed: int, shrunk: bool = True) -> str:
    """A new finding as a case file ready for review: the minimal expression, inputs and dtype, each framework's
    answer and the oracle's, and a why that says it needs one."""
    answers = "; ".join(f"{label}: {text}" for label, text in finding.answers.items())
    where = " at a kink (its neighbours' derivatives differ), outside the admissible set" if finding.kink else ""
    how = "and shrunk" if shrunk else "(interrupted before it was shrunk)"
    why = (
        f"{NEEDS_WHY}: found by conformance fuzz (seed {seed}) {how}. The gradient in {finding.gradient}"
        f"{where}: the oracle gives {finding.oracle or 'nothing'}; {answers}. {', '.join(finding.odd)} "
        f"{'misses' if len(finding.odd) == 1 else 'miss'} it ({finding.symptom.value}). Derive the value or "
        "cite the framework's documentation, then search its tracker for an issue."
    )
    data = case_data(
        finding.trial,
        slug(finding),
        f"{finding.trial.function} in {finding.dtype}",
        why,
        (finding.dtype,),
        ("fuzz", NEEDS_WHY.replace(" ", "-")),
    )
    header = "".join(
        f"# {line}\n"
        for line in [
            "Written by `conformance fuzz`: review it, give it a why, then move it into the library.",
            f"signature: {finding.signature}",
            f"oracle: {finding.oracle}",
            *(f"{label}: {text}" for label, text in finding.answers.items()),
        ]
    )
    return header + yaml.safe_dump([data], sort_keys=False, width=120)


def write(finding: Finding, seed: int, out: Path, shrunk: bool = True) -> Path:
    """Atomically: an interrupted run leaves each finding's file whole or absent."""
    path = out / f"{slug(finding)}.yaml"
    write_text(written(finding, seed, shrunk), path)
    return path


def _value(value: Any) -> Any:
    """A value as the case language writes it: nested lists, a complex element as its text (`1+0.5j`)."""
    array = np.asarray(value)
    if np.iscomplexobj(array):
        array = np.vectorize(lambda z: f"{z.real!r}{z.imag:+}j", otypes=[object])(array)
        return nested(array) if array.shape else array.item()
    return nested(array) if array.shape else float(array)
