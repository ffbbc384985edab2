"""Write one sweep case per unary and binary elementwise function of the table (`conformance generate-sweeps`).

A sweep is a vjp case with samples: a vector and a scalar of generic points drawn by a NumPy generator seeded
with the function's name (judged by the oracle), and the function's special points from its record's `Sweep`
(`conformance/functions.py`), each with the derivative stated there, and the frameworks' documented differences.
The output is reviewed and committed like any case; `tests/test_generate.py` checks that it is current.
"""
from __future__ import annotations

import zlib
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from conformance.functions import FUNCTIONS, Domain, Function, Known, SpecialPoint, Sweep, elementwise

#: generic points in the vector sample
POINTS = 4
HEADER = ("# yaml-language-server: $schema=../../../schema/case.schema.json\n"
          "# Written by `conformance generate-sweeps --out conformance/cases/sweeps` from the function's record in\n"
          "# conformance/functions.py (its domain and special points): edit the record, not this file.\n")


def sweepable(function: Function) -> bool:
    """A unary or binary elementwise function of real arrays: what a sweep covers (imag takes complex ones only)."""
    return (function.shape is elementwise and function.outputs is None and not function.literal
            and not function.lists and len(function.params) <= 2 and Domain.REAL in function.domains)


def sweep_case(function: Function) -> dict[str, Any]:
    """The sweep case of one function, as the YAML's data."""
    sweep = function.sweep
    if sweep is None:
        raise ValueError(f"{function.name} has no Sweep in conformance/functions.py")
    rng = np.random.default_rng(zlib.crc32(function.name.encode()))
    params = function.params

    def draw(n: int | None) -> dict[str, Any]:
        return {p: _numbers(rng.uniform(lo, hi, n), 3) for p, (lo, hi) in zip(params, sweep.domain, strict=True)}
    vector, scalar = draw(POINTS), draw(None)
    domain = ", ".join(f"{p} in ({lo:g}, {hi:g})" for p, (lo, hi) in zip(params, sweep.domain, strict=True))
    case: dict[str, Any] = {
        "id": f"{function.name.replace('_', '-')}-sweep",
        "kind": "vjp",
        "title": f"{function.name} over its domain and at its special points",
        "why": f"Generic points drawn uniformly from {domain} by a generator seeded with the name, judged by "
               + ("the derivative stated for every point" if sweep.oracle_off else "the oracle")
               + ("; each special point states the derivative there." if sweep.special else ".")
               + (f" {sweep.why}." if sweep.why else ""),
        "tags": ["sweep", "elementwise"],
        "inputs": vector,
        "function": sweep.function or f"{function.name}({', '.join(params)})",
        "cotangent": _numbers(rng.uniform(0.5, 1.5, POINTS), 2),
    }
    if any(v != "zero" for v in sweep.everywhere.values()):  # a derivative stated for every point is the VJP's
        case["cotangent"] = [1.0] * POINTS                    # value only under a cotangent of ones
    expected = {p: _expectation(v, sweep.why) for p, v in sweep.everywhere.items()}
    for p in {p for k in sweep.known if not k.bug for p in _params(k, params)} - set(expected):
        expected[p] = {"why": "judged by the oracle; a framework's documented difference is recorded"}
    _record(expected, sweep.known, params)
    if expected:
        case["expected"] = expected
    if sweep.oracle_off:
        case["oracle"], case["oracle_why"] = False, sweep.oracle_off
    bugs = [_divergence(k) for k in sweep.known if k.bug]
    if bugs:
        case["divergences"] = bugs
    case["samples"] = [{"name": "generic"}, {"name": "scalar", "inputs": scalar, "cotangent": 1.0},
                       *(_sample(point, sweep, params) for point in sweep.special)]
    return case


def _sample(point: SpecialPoint, sweep: Sweep, params: tuple[str, ...]) -> dict[str, Any]:
    """A special point as a sample: its inputs, its stated derivative under a cotangent of 1, what is known there."""
    sample: dict[str, Any] = {"name": point.name, "why": f"At {point.name}: {point.why}.",
                              "inputs": {p: float(v) for p, v in point.inputs.items()}, "cotangent": 1.0}
    expected = {p: _expectation(v, point.why) for p, v in point.expected.items()}
    held = tuple(k for k in sweep.known if k.points is None or point.name in k.points)
    _record(expected, (*held, *point.known), params)
    sample["expected"] = expected
    bugs = [_divergence(k) for k in point.known if k.bug]
    if bugs:
        sample["divergences"] = bugs
    if point.dtypes:
        sample["dtypes"] = list(point.dtypes)
    if point.tolerance:
        sample["tolerance"] = {d: {"rtol": r, "atol": a} for d, (r, a) in point.tolerance.items()}
    if not point.differentiable or point.oracle_off:
        sample["oracle"] = False
        sample["oracle_why"] = point.oracle_off or "not differentiable here: the why says what is admissible"
    return sample


def _params(known: Known, params: tuple[str, ...]) -> tuple[str, ...]:
    """The parameters a difference concerns: those its value names, or those it lists, or all."""
    return tuple(known.value) or known.params or params


def _record(expected: dict[str, dict[str, Any]], known: tuple[Known, ...], params: tuple[str, ...]) -> None:
    """Each documented difference (not a bug) as a convention on the expectations of the parameters it concerns."""
    for k in known:
        for p in _params(k, params) if not k.bug else ():
            if p not in expected:
                continue
            note: dict[str, Any] = {}
            if k.value:
                note["value"] = _number(k.value[p])
            if k.status:
                note["status"] = k.status
            if k.tolerance:
                note["tolerance"] = {d: {"rtol": r, "atol": a} for d, (r, a) in k.tolerance.items()}
            if k.dtypes:
                note["dtypes"] = list(k.dtypes)
            expected[p].setdefault("conventions", {})[k.framework] = {**note, "why": k.why, "link": k.link}


def _expectation(value: str, why: str) -> dict[str, Any]:
    """A stated derivative as an expectation: "zero" is zero in any representation (0, None, a symbolic zero)."""
    return {"status": "zero", "why": why} if value == "zero" else {"value": _number(value), "why": why}


def _divergence(known: Known) -> dict[str, Any]:
    """A known bug as the case's or sample's divergence (xfail), on the gradients it names."""
    out: dict[str, Any] = {"framework": known.framework, "issue": known.link, "why": known.why}
    if known.params:
        out["gradients"] = list(known.params)
    return out


def _number(text: str) -> float | str:
    """A plain number as a YAML number, anything else (an expression, inf) as its text."""
    try:
        value = float(text)
    except ValueError:
        return text
    return value if np.isfinite(value) else text


def _numbers(values: np.ndarray | float, digits: int) -> Any:
    return np.round(values, digits).tolist()


def render(function: Function) -> str:
    """The file of one function's sweep case."""
    text = yaml.safe_dump([sweep_case(function)], sort_keys=False, width=120, allow_unicode=False,
                          default_flow_style=None)
    return HEADER + text


def files() -> dict[str, str]:
    """Every sweep file: name -> text, in the table's order."""
    return {f"{f.name}.yaml": render(f) for f in FUNCTIONS.values() if sweepable(f)}


def write(out: Path) -> list[Path]:
    """Write every sweep file under `out`; the paths written."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in files().items():
        path = out / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
