"""Case kinds, written once for every framework in terms of the adapter contract.

`compute` runs in a framework's worker and returns what the framework gave;
`reference` runs in the engine, in NumPy float64, and returns what each
gradient should be: the case's expected value, the oracle's finite
differences with their error bound, and, for gradients that cancel to zero,
the size of the terms that cancel (from which the zero tolerance follows).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from conformance import oracle
from conformance.adapters import Adapter, Gradient
from conformance.families import FAMILIES
from conformance.model import Case, FunctionCase, MleCase, ReparamCase


@dataclass
class Computed:
    """What one framework computed for one case and dtype."""

    gradients: dict[str, Gradient]
    estimates: dict[str, np.ndarray] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class Reference:
    """What one gradient should be, from the case and the oracle (NumPy float64)."""

    expected: np.ndarray | None = None
    oracle: np.ndarray | None = None
    oracle_bound: np.ndarray | None = None
    #: magnitude of the terms that cancel, elementwise; None where nothing is meant to cancel
    cancelling: np.ndarray | None = None
    #: number of terms summed, for the rounding bound of a cancelled sum
    terms: int = 1


def compute(case: Case, adapter: Adapter, dtype: str) -> Computed:
    if isinstance(case, FunctionCase):
        inputs = _values(case, "inputs", case.inputs)
        ops = adapter.ops(dtype)
        cotangent = oracle.evaluate(case.expr("cotangent")) if case.cotangent is not None else None
        _, grads = adapter.vjp(lambda env: case.expr("function").evaluate(env, ops), inputs, dtype, cotangent)
        return Computed(grads)
    if isinstance(case, ReparamCase):
        return _compute_reparam(case, adapter, dtype)
    if isinstance(case, MleCase):
        return _compute_mle(case, adapter, dtype)
    raise TypeError(f"no kind {type(case).__name__}")


def reference(case: Case, details: dict[str, Any] | None = None) -> dict[str, Reference]:
    """References for a case; a native-sampler case needs the framework's samples (in `details`)."""
    if isinstance(case, FunctionCase):
        inputs = _values(case, "inputs", case.inputs)
        weights = oracle.evaluate(case.expr("cotangent")) if case.cotangent is not None else 1.0
        f = lambda env: np.sum(weights * oracle.evaluate(case.expr("function"), env))
        return _references(case, inputs, inputs, oracle.finite_differences(f, inputs))
    if isinstance(case, ReparamCase):
        return _reference_reparam(case, (details or {}).get("samples"))
    if isinstance(case, MleCase):
        data, initial, _ = _mle_data(case)
        loss = lambda env: -np.mean(FAMILIES[case.family].log_prob(_model(case, env), data))
        return _references(case, initial, {}, oracle.finite_differences(loss, initial))
    raise TypeError(f"no kind {type(case).__name__}")


def expected_estimates(case: MleCase) -> dict[str, np.ndarray]:
    """The closed-form MLE of each parameter, from the data's statistics."""
    data, _, _ = _mle_data(case)
    stats = {name: stat(data) for name, stat in FAMILIES[case.family].mle_statistics.items()}
    return {name: oracle.evaluate(case.expr(f"expected.{name}"), stats) for name in case.expected}


def zero_tolerance(ref: Reference, dtype: str) -> np.ndarray | None:
    """How far from 0.0 a cancelled sum may land by rounding alone.

    Summing `terms` values of total magnitude S pairwise in precision eps gives
    an error of at most ceil(log2(terms)) * eps * S; each term carries a few
    roundings of its own, hence (4 + ceil(log2(terms))) * eps * S.
    """
    if ref.cancelling is None:
        return None
    eps = float(np.finfo(dtype).eps)
    return (4 + math.ceil(math.log2(max(ref.terms, 1)))) * eps * ref.cancelling


def _values(case: Case, prefix: str, names) -> dict[str, np.ndarray]:
    return {name: oracle.evaluate(case.expr(f"{prefix}.{name}")) for name in names}


def _references(case: Case, env: dict[str, np.ndarray], expected_env: dict[str, np.ndarray],
                fd: dict[str, tuple[np.ndarray, np.ndarray]]) -> dict[str, Reference]:
    refs = {}
    for name, (grad, bound) in fd.items():
        expected = None
        if name in case.expected and not isinstance(case, MleCase):
            expected = np.broadcast_to(oracle.evaluate(case.expr(f"expected.{name}"), expected_env),
                                       np.shape(env[name])).copy()
        refs[name] = Reference(expected=expected, oracle=grad, oracle_bound=bound)
    return refs


# --- reparam -------------------------------------------------------------------------------

def _reparam_inputs(case: ReparamCase, samples: np.ndarray | None = None
                    ) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Parameters and standard noise: ours from the seed, or recovered from a framework's samples."""
    params = _values(case, "params", case.params)
    family = FAMILIES[case.family]
    if samples is not None:
        return params, family.standardize(params, np.asarray(samples, np.float64))
    return params, family.noise(np.random.default_rng(case.seed), case.samples, params)


def _compute_reparam(case: ReparamCase, adapter: Adapter, dtype: str) -> Computed:
    params, noise = _reparam_inputs(case)
    family, ops = FAMILIES[case.family], adapter.ops(dtype)
    total = ops.functions["sum"]
    if case.sampler == "native":
        sample = lambda p: adapter.sample(case.family, p, case.samples, case.seed)
    else:
        z = adapter.array(noise, dtype)
        sample = lambda p: family.transform(p, z, ops)
    _, grads = adapter.vjp(lambda p: total(adapter.log_prob(case.family, p, sample(p))), params, dtype, None)
    details = {}
    if case.sampler == "native":
        typed = {k: adapter.array(v, dtype) for k, v in params.items()}
        details["samples"] = adapter.numpy(sample(typed))
    return Computed(grads, details=details)


def _reference_reparam(case: ReparamCase, samples: np.ndarray | None) -> dict[str, Reference]:
    params, noise = _reparam_inputs(case, samples)
    family = FAMILIES[case.family]
    x_of = lambda p: family.transform(p, noise, oracle.NUMPY)
    refs = _references(case, params, {**params, "n": np.float64(case.samples)},
                       oracle.finite_differences(lambda p: np.sum(family.log_prob(p, x_of(p))), params))
    cancelling = _cancelling_terms(family, params, x_of)
    for name, ref in refs.items():
        if ref.expected is not None and np.any(ref.expected == 0):
            ref.cancelling, ref.terms = cancelling[name], case.samples * noise[0].size
    return refs


def _cancelling_terms(family, params: dict[str, np.ndarray], x_of) -> dict[str, np.ndarray]:
    """Per parameter element: sum over samples of |d log p/dx| * |dx/dparam|.

    These are the terms of the chain rule that cancel against the explicit
    derivative when the gradient is zero; their size sets the rounding floor.
    x is affine in each location-scale parameter, so a unit difference gives dx/dparam exactly.
    """
    score = np.abs(family.score(params, x_of(params)))
    out = {}
    for name, value in params.items():
        size = np.zeros(np.shape(value))
        for e in np.ndindex(size.shape):
            moved = np.array(value, np.float64)
            moved[e] += 1.0
            size[e] = np.sum(score * np.abs(x_of({**params, name: moved}) - x_of(params)))
        out[name] = size
    return out


# --- mle -----------------------------------------------------------------------------------

def _model(case: MleCase, env: dict[str, Any], ops=oracle.NUMPY) -> dict[str, Any]:
    return {name: case.expr(f"model.{name}").evaluate(env, ops) for name in case.model}


def _mle_data(case: MleCase) -> tuple[np.ndarray, dict[str, np.ndarray], dict[str, np.ndarray]]:
    truth = _values(case, "truth", case.truth)
    initial = _values(case, "parameters", case.parameters)
    family = FAMILIES[case.family]
    data = family.sample(np.random.default_rng(case.seed), case.samples,
                         {k: np.asarray(v) for k, v in _model(case, truth).items()})
    return data, initial, truth


def _compute_mle(case: MleCase, adapter: Adapter, dtype: str) -> Computed:
    data, initial, _ = _mle_data(case)
    ops, observed = adapter.ops(dtype), adapter.array(data, dtype)
    mean = ops.functions["mean"]
    loss = lambda env: -mean(adapter.log_prob(case.family, _model(case, env, ops), observed))
    _, grads = adapter.vjp(loss, initial, dtype, None)
    minimum = adapter.minimize(loss, initial, dtype, case.max_iterations)
    return Computed(grads, estimates=minimum.params,
                    details={"loss": minimum.loss, "iterations": minimum.iterations, "history": minimum.history})
