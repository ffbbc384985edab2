"""Write one sweep case per function of real arrays in the table (`conformance generate-sweeps`).

A sweep is a vjp case with samples, drawn by a NumPy generator seeded with the function's name and judged by the
oracle. A unary or binary elementwise function is swept by points: a vector, a scalar and an empty vector of
generic points of its domain, and its special points from its record's `Sweep` (`conformance/functions.py`), each
with the derivative stated there and the frameworks' documented differences. Any other function is swept by
calls: one sample per call and shape of its `Sweep` (axes, options, batches, scalar and empty inputs), its
matrices made well conditioned where the function needs it. The output is reviewed and committed like any case;
`tests/test_generate.py` checks that it is current.
"""

from __future__ import annotations

import zlib
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from conformance import expr, oracle
from conformance.functions import (
    FUNCTIONS,
    RANGE,
    Call,
    Domain,
    Function,
    Kind,
    Known,
    SpecialPoint,
    Structure,
    Sweep,
    elementwise,
)

#: generic points in the vector sample
POINTS = 4
EMPTY = "the empty vector: the gradient is empty, which every representation of zero matches"
STRUCTURES = {
    Structure.SPD: "symmetric positive definite with eigenvalues 1, ..., n (Q diag(1, ..., n) Q^T, Q from the QR of B)",
    Structure.CONDITIONED: "well conditioned (B + (|B|_2 + 1) I: singular values at least 1)",
}
HEADER = (
    "# yaml-language-server: $schema=../../../schema/case.schema.json\n"
    "# Written by `conformance generate-sweeps --out conformance/cases/sweeps` from the function's record in\n"
    "# conformance/functions.py (its Sweep): edit the record, not this file.\n"
)


def sweepable(function: Function) -> bool:
    """A function of real arrays: what a sweep covers (imag takes complex ones only)."""
    return Domain.REAL in function.domains


def by_points(function: Function) -> bool:
    """A unary or binary elementwise function: swept by points of its domain (any other function by calls), its
    options of a number or a flag (an activation's slope, gelu's approximation) at their defaults; an axis makes it
    a function of the whole array (cumulative_sum)."""
    scalar_options = all(
        name in function.options and kind in (Kind.NUMBER, Kind.BOOLEAN) for name, kind in function.literal.items()
    )
    return (
        function.shape is elementwise
        and function.outputs is None
        and scalar_options
        and not function.lists
        and len(function.params) <= 2
    )


def sweep_case(function: Function) -> dict[str, Any]:
    """The sweep case of one function, as the YAML's data."""
    sweep = function.sweep
    if sweep is None:
        raise ValueError(f"{function.name} has no Sweep in conformance/functions.py")
    if sweep.calls:
        return _calls_case(function, sweep)
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
        case["cotangent"] = [1.0] * POINTS  # value only under a cotangent of ones
    expected = {p: _expectation(v, sweep.why) for p, v in sweep.everywhere.items()}
    for p in {p for k in sweep.known if not k.bug for p in _params(k, params)} - set(expected):
        expected[p] = {"why": "judged by the oracle; a framework's documented difference is recorded"}
    _record(expected, sweep.known, params)
    if expected:
        case["expected"] = expected
    if sweep.oracle_off:
        case["oracle"], case["oracle_why"] = False, sweep.oracle_off
    bugs = [_divergence(k) for k in sweep.known if k.bug and k.points is None]
    if bugs:
        case["divergences"] = bugs
    empty_expected: dict[str, dict[str, Any]] = {p: {"status": "zero", "why": EMPTY} for p in params}
    empty = {
        "name": "empty",
        "why": f"At {EMPTY}.",
        "inputs": {p: [] for p in params},
        "cotangent": [],
        "expected": empty_expected,
    }
    _record(empty_expected, tuple(k for k in sweep.known if k.status), params)  # no values here to differ
    case["samples"] = [
        {"name": "generic"},
        {"name": "scalar", "inputs": scalar, "cotangent": 1.0},
        empty,
        *(_sample(point, sweep, params) for point in sweep.special),
    ]
    for sample in case["samples"]:  # a bug that holds at the generic points (not the empty one) and some special ones
        held = [
            _divergence(k)
            for k in sweep.known
            if k.bug and k.points is not None and (sample["name"] in k.generic or sample["name"] in k.points)
        ]
        if held:
            sample["divergences"] = [*sample.get("divergences", []), *held]
    return case


def _calls_case(function: Function, sweep: Sweep) -> dict[str, Any]:
    """The sweep of a function that is not elementwise: one sample per call, its inputs drawn in its shapes."""
    rng = np.random.default_rng(zlib.crc32(function.name.encode()))
    samples = [_call_sample(call, sweep, rng) for call in sweep.calls]
    names = sorted({n for s in samples for n in s["inputs"]})
    drawn = ", ".join(
        f"{n} in ({lo:g}, {hi:g})"
        for n in sorted({n for c in sweep.calls for n in c.shapes})
        for lo, hi in [sweep.ranges.get(n, RANGE)]
    )
    made = "".join(f"; {n} is made {STRUCTURES[s]}" for n, s in sweep.structure.items())
    first = dict(samples[0])
    case: dict[str, Any] = {
        "id": f"{function.name.replace('_', '-')}-sweep",
        "kind": "vjp",
        "title": f"{function.name} in each of its shapes and options",
        "why": f"Inputs drawn uniformly from {drawn} by a generator seeded with the name, in the shapes and calls of "
        f"the samples, judged by the oracle{made}." + (f" {sweep.why}." if sweep.why else ""),
        "tags": ["sweep", function.standard.value],
        "inputs": first["inputs"],
        "function": first["function"],
        "cotangent": first["cotangent"],
    }
    for call, sample in zip(sweep.calls, samples, strict=True):
        held = tuple(k for k in sweep.known if k.points is None or call.name in k.points)
        expected: dict[str, dict[str, Any]] = {}
        for p in {p for k in held if not k.bug for p in _params(k, tuple(names))} & set(call.shapes):
            expected[p] = {"why": "judged by the oracle; a framework's documented difference is recorded"}
        _record(expected, held, tuple(names))
        if expected:
            sample["expected"] = expected
        bugs = [_divergence(k) for k in held if k.bug]
        if bugs:
            sample["divergences"] = bugs
    del samples[0]["inputs"], samples[0]["function"], samples[0]["cotangent"]  # the case's own
    case["samples"] = samples
    return case


def _call_sample(call: Call, sweep: Sweep, rng: np.random.Generator) -> dict[str, Any]:
    """A call as a sample: its inputs drawn (or given), and a cotangent of its output's shape and kind."""
    inputs: dict[str, Any] = dict(call.given)
    arrays: dict[str, np.ndarray] = {}
    for name, shape in call.shapes.items():
        lo, hi = sweep.ranges.get(name, RANGE)
        value = np.round(rng.uniform(lo, hi, shape), 3)
        if name in sweep.structure:
            value = np.round(structured(value, sweep.structure[name]), 3)
        arrays[name], inputs[name] = value, nested(value)
    env = {**arrays, **{n: np.asarray(v["value"], dtype=v["dtype"]) for n, v in call.given.items()}}
    output = oracle.evaluate(expr.parse(call.function, set(env)), env)
    # multiples of 1/16, exact in every dtype: a cotangent's own rounding never enters a gradient (astype's)
    cotangent = np.round(rng.uniform(0.5, 1.5, output.shape) * 16) / 16
    if np.iscomplexobj(output):  # a complex output takes a complex cotangent, written as an expression per element
        cotangent = np.vectorize(lambda re, im: f"{re:g}{im:+g}j", otypes=[object])(
            cotangent, np.round(rng.uniform(-1.0, 1.0, output.shape) * 16) / 16
        )
    return {
        "name": call.name,
        "function": call.function,
        "inputs": inputs,
        "cotangent": nested(cotangent) if output.shape else cotangent.item(),
    }


def nested(value: np.ndarray) -> Any:
    """An array as nested lists; an empty one of several axes must have a non-zero first axis ((3, 0) is
    [[], [], []]; (0, 3) has no nested lists, and the docs' snippets write every value as them)."""
    if value.ndim > 1 and value.shape[0] == 0:
        raise ValueError(f"a sweep input of shape {value.shape}: give an empty one its 0 last, as (3, 0)")
    return value.tolist()


def structured(value: np.ndarray, structure: Structure) -> np.ndarray:
    """A drawn array's matrices (its last two axes) made symmetric positive definite with eigenvalues 1, ..., n
    (eigenvalues 1 apart keep eigenvectors well conditioned in float32), or well conditioned: by Weyl's inequality
    the singular values of B + (|B|_2 + 1) I are at least 1, whatever B's shape."""
    m, n = value.shape[-2:]
    if structure is Structure.SPD:
        q = np.linalg.qr(value)[0]
        return q @ (np.arange(1.0, n + 1)[:, None] * np.swapaxes(q, -1, -2))
    return value + (np.linalg.norm(value, 2, axis=(-2, -1))[..., None, None] + 1) * np.eye(m, n)


def _sample(point: SpecialPoint, sweep: Sweep, params: tuple[str, ...]) -> dict[str, Any]:
    """A special point as a sample: its inputs, its stated derivative under a cotangent of 1, what is known there."""
    sample: dict[str, Any] = {
        "name": point.name,
        "why": f"At {point.name}: {point.why}.",
        "inputs": {p: float(v) for p, v in point.inputs.items()},
        "cotangent": 1.0,
    }
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
    if known.dtypes:
        out["dtypes"] = list(known.dtypes)
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
    text = yaml.safe_dump(
        [sweep_case(function)], sort_keys=False, width=120, allow_unicode=False, default_flow_style=None
    )
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
