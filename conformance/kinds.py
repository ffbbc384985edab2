"""Case kinds, written once for every framework in terms of the adapter contract.

`compute` runs in a framework's worker and returns what the framework gave;
`reference` runs in the engine, in NumPy float64, and returns what each
gradient should be: the case's expected value, the oracle's finite
differences with their error bound, and, for gradients that cancel to zero,
the size of the terms that cancel (from which the zero tolerance follows).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any, Callable

import numpy as np

from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version

from conformance import oracle
from conformance.adapters import ERROR, VALUE, Adapter, Gradient
from conformance.families import FAMILIES, IMPLICIT, implicit_derivative
from conformance.vocabulary import Expect
from conformance.model import (JVP_OUTPUTS, BehaviourCase, Case, Convention, Expectation, FunctionCase, ImplicitCase, MleCase,
                               Outcome, ReparamCase)


@dataclass
class Computed:
    """What one framework computed for one case and dtype."""

    gradients: dict[str, Gradient]
    estimates: dict[str, np.ndarray] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class ConventionRef:
    """A framework's recorded convention for one gradient, its value evaluated."""

    convention: Convention
    value: np.ndarray | None


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
    #: the expected status: value, disconnected, error, or zero in any representation
    status: Expect = Expect.VALUE
    #: per framework, its recorded conventions in order (the first that applies is used)
    conventions: dict[str, list[ConventionRef]] = field(default_factory=dict)
    #: for one framework (see `for_framework`): the convention that applies to it, if any
    convention: ConventionRef | None = None
    #: why the frameworks' values here cannot be compared with each other (their own samples, own path)
    not_comparable: str | None = None

    @property
    def stated(self) -> bool:
        """Whether there is any reference to judge against (a stated value or status, or the oracle)."""
        return self.expected is not None or self.oracle is not None or self.status != Expect.VALUE


def compute(case: Case, adapter: Adapter, dtype: str) -> Computed:
    if isinstance(case, FunctionCase):
        inputs = _values(case, "inputs", case.inputs)
        ops = adapter.ops(dtype)
        fn = lambda env: case.expr("function").evaluate(env, ops)
        if case.kind == "jvp":
            return _compute_jvp(case, adapter, dtype, fn, inputs)
        if case.kind == "hvp":
            _, grads = adapter.hvp(fn, inputs, dtype, _values(case, "tangent", case.tangent))
            return Computed(grads)
        cotangent = oracle.evaluate(case.expr("cotangent")) if case.cotangent is not None else None
        _, grads = vjp_per_input(adapter, fn, inputs, dtype, cotangent)
        return Computed(grads)
    if isinstance(case, ReparamCase):
        return _compute_reparam(case, adapter, dtype)
    if isinstance(case, MleCase):
        return _compute_mle(case, adapter, dtype)
    if isinstance(case, ImplicitCase):
        return _compute_implicit(case, adapter, dtype)
    if isinstance(case, BehaviourCase):
        observed = adapter.behaviour(case.scenario, dtype)
        return Computed(observed["gradients"], details={"outcome": observed["outcome"], "error": observed.get("error")})
    raise TypeError(f"no kind {type(case).__name__}")


def reference(case: Case, details: dict[str, Any] | None = None) -> dict[str, Reference]:
    """References for a case; a native-sampler case needs the framework's samples (in `details`)."""
    if isinstance(case, FunctionCase):
        inputs = _values(case, "inputs", case.inputs)
        function = lambda env: oracle.evaluate(case.expr("function"), env)
        if case.kind == "jvp":
            tangent = _values(case, "tangent", case.tangent)
            fd = _fd(case, lambda: {"jvp": oracle.directional(function, inputs, tangent)}, {"jvp": ()})
            refs = _references(case, {"jvp": np.shape(function(inputs))}, inputs, fd)
            return {name: refs["jvp"] for name in JVP_OUTPUTS}
        if case.kind == "hvp":
            tangent = _values(case, "tangent", case.tangent)
            fd = _fd(case, lambda: oracle.hessian_vector(lambda env: np.sum(function(env)), inputs, tangent), inputs)
            return _references(case, inputs, inputs, fd)
        weights = oracle.evaluate(case.expr("cotangent")) if case.cotangent is not None else 1.0
        f = lambda env: np.sum(weights * function(env))
        return _references(case, inputs, inputs, _fd(case, lambda: oracle.finite_differences(f, inputs), inputs))
    if isinstance(case, ReparamCase):
        return _reference_reparam(case, (details or {}).get("samples"))
    if isinstance(case, MleCase):
        data, initial, _ = _mle_data(case)
        loss = lambda env: -np.mean(FAMILIES[case.family].log_prob(_model(case, env), data))
        return _references(case, initial, {}, _fd(case, lambda: oracle.finite_differences(loss, initial), initial))
    if isinstance(case, ImplicitCase):
        params = _values(case, "params", case.params)
        samples = (details or {}).get("samples")
        if samples is None:  # nothing to difference without the framework's samples
            return _references(case, params, params, {name: (None, None) for name in params})
        x = np.asarray(samples, np.float64)
        fd = _fd(case, lambda: implicit_derivative(IMPLICIT[case.family], params, x), params)
        refs = _references(case, params, {**params, "x": x}, fd)
        for ref in refs.values():  # each framework differentiates its own samples: checked against the oracle
            ref.not_comparable = "each framework differentiates its own samples"
        return refs
    if isinstance(case, BehaviourCase):
        refs = _references(case, dict.fromkeys(case.expected), {}, {name: (None, None) for name in case.expected})
        for ref in refs.values():
            ref.not_comparable = "each framework's own idiom of the scenario"
        return refs
    raise TypeError(f"no kind {type(case).__name__}")


def vjp_per_input(adapter: Adapter, fn: Callable[[dict[str, Any]], Any], primals: dict[str, np.ndarray],
                  dtype: str, cotangent: np.ndarray | None) -> tuple[np.ndarray, dict[str, Gradient]]:
    """The adapter's VJP; where the joint pullback raises, each input differentiated alone.

    The others are then held as constants, which gives the same partial
    derivative, so a failure lands only on the gradients that fail and the
    others keep their values.
    """
    out, grads = adapter.vjp(fn, primals, dtype, cotangent)
    if len(primals) < 2 or any(g.status != ERROR for g in grads.values()):
        return out, grads
    alone = {}
    for name in primals:
        held = {k: adapter.array(v, dtype) for k, v in primals.items() if k != name}
        _, grad = adapter.vjp(lambda env: fn({**held, **env}), {name: primals[name]}, dtype, cotangent)
        alone[name] = grad[name]
    return out, alone


def for_framework(refs: dict[str, Reference], framework: str, versions: dict[str, str],
                  dtype: str) -> dict[str, Reference]:
    """The references with, for each gradient, the framework's convention that applies here (if any)."""
    out = {}
    for name, ref in refs.items():
        chosen = next((c for c in ref.conventions.get(framework, [])
                       if c.convention.applies(dtype) and version_matches(c.convention.versions,
                                                                          versions.get(framework))), None)
        out[name] = replace(ref, convention=chosen)
    return out


def version_matches(specifier: str, version: str | None) -> bool:
    """Whether `version` is in the PEP 440 range `specifier` (an empty range holds every version)."""
    if not specifier:
        return True
    if version is None:
        return False
    try:
        return Version(version.split("+")[0]) in SpecifierSet(specifier)
    except InvalidVersion:
        return False


def check(case: Case, computed: Computed, framework: str, versions: dict[str, str]) -> list[str]:
    """Kind-specific checks beyond the gradients: a behaviour's outcome. Returns failure messages."""
    if not isinstance(case, BehaviourCase):
        return []
    outcome = expected_outcome(case, framework, versions)
    if outcome is None:
        return [f"no expected outcome for {framework} {versions.get(framework, '')} in this scenario"]
    got, error = computed.details.get("outcome"), computed.details.get("error") or ""
    messages = []
    if got != outcome.outcome:
        messages.append(f"outcome: expected {outcome.outcome}, got {got}" + (f" ({error})" if error else ""))
    elif outcome.error and outcome.error not in error:
        messages.append(f"error: expected one containing {outcome.error!r}, got {error!r}")
    return messages


def expected_outcome(case: BehaviourCase, framework: str, versions: dict[str, str]) -> Outcome | None:
    return next((o for o in case.outcomes_for(framework) if version_matches(o.versions, versions.get(framework))),
                None)


def _fd(case: Case, differences, shapes: dict[str, Any]) -> dict[str, tuple[np.ndarray | None, np.ndarray | None]]:
    """The oracle's finite differences, unless the case turns the oracle off (a kink, a singular point)."""
    if case.oracle:
        return differences()
    return {name: (None, None) for name in shapes}


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


def _references(case: Case, env: dict[str, Any], expected_env: dict[str, np.ndarray],
                fd: dict[str, tuple[np.ndarray | None, np.ndarray | None]]) -> dict[str, Reference]:
    """`env` gives each gradient's shape (an array or a shape tuple); `fd` the oracle, or (None, None)."""
    refs = {}
    for name, (grad, bound) in fd.items():
        shape = env[name] if isinstance(env[name], tuple) or env[name] is None else np.shape(env[name])
        ref = Reference(oracle=grad, oracle_bound=bound)
        spec: Expectation | None = case.expected.get(name) if not isinstance(case, MleCase) else None
        if spec is not None:
            value = lambda key: (oracle.evaluate(case.expr(key), expected_env) if shape is None else
                                 np.broadcast_to(oracle.evaluate(case.expr(key), expected_env), shape).copy())
            ref.status = spec.status
            if spec.value is not None:
                ref.expected = value(f"expected.{name}")
            ref.conventions = {fw: [ConventionRef(c, value(f"expected.{name}.{fw}.{i}") if c.value is not None
                                                  else None) for i, c in enumerate(entries)]
                               for fw, entries in spec.conventions_for().items()}
        refs[name] = ref
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
    _, grads = vjp_per_input(adapter, lambda p: total(adapter.log_prob(case.family, p, sample(p))), params, dtype,
                             None)
    details = {}
    if case.sampler == "native":
        typed = {k: adapter.array(v, dtype) for k, v in params.items()}
        details["samples"] = adapter.numpy(sample(typed))
    return Computed(grads, details=details)


def _reference_reparam(case: ReparamCase, samples: np.ndarray | None) -> dict[str, Reference]:
    params, noise = _reparam_inputs(case, samples)
    family = FAMILIES[case.family]
    x_of = lambda p: family.transform(p, noise, oracle.NUMPY)
    refs = _references(case, params, {**params, "n": np.float64(case.samples), "z": noise, "x": x_of(params)},
                       _fd(case, lambda: oracle.finite_differences(lambda p: np.sum(family.log_prob(p, x_of(p))),
                                                                   params), params))
    cancelling = _cancelling_terms(family, params, x_of)
    for name, ref in refs.items():
        # native samplers: each framework's own noise, so values are checked against expected and the
        # oracle on that noise, never against each other
        if case.sampler == "native":
            ref.not_comparable = "each framework draws its own samples"
        if ref.status == Expect.ZERO or (ref.expected is not None and np.any(ref.expected == 0)):
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


# --- jvp and implicit -----------------------------------------------------------------------

def _compute_jvp(case: FunctionCase, adapter: Adapter, dtype: str, fn, inputs: dict[str, np.ndarray]) -> Computed:
    """Forward mode J t, and the same product from reverse mode: row k of J is the VJP with e_k."""
    tangent = _values(case, "tangent", case.tangent)
    out, forward = adapter.jvp(fn, inputs, dtype, tangent)
    shape = np.shape(out)
    rows = []
    for k in np.ndindex(shape):
        basis = None
        if shape:
            basis = np.zeros(shape)
            basis[k] = 1.0
        _, grads = adapter.vjp(fn, inputs, dtype, basis)
        failed = [g for g in grads.values() if g.status == ERROR]
        if failed:
            return Computed({"jvp": forward, "jvp_reverse": Gradient(ERROR, error=failed[0].error)})
        rows.append(sum(np.sum(np.asarray(g.value, np.float64) * tangent[name]) for name, g in grads.items()
                        if g.status == VALUE))
    typed = np.asarray(rows, np.dtype(dtype)).reshape(shape)
    return Computed({"jvp": forward, "jvp_reverse": Gradient(VALUE, typed, representation="from VJPs")})


def _compute_implicit(case: ImplicitCase, adapter: Adapter, dtype: str) -> Computed:
    params = _values(case, "params", case.params)
    shape = (1, *np.broadcast_shapes(*(np.shape(v) for v in params.values())))
    # the VJP with a cotangent of ones is d sum(x) / dtheta, and its primal output is the samples themselves:
    # one draw, so the gradient and the samples the oracle is evaluated at cannot come from different draws
    samples, grads = adapter.vjp(lambda p: adapter.sample(case.family, p, 1, case.seed), params, dtype,
                                 np.ones(shape))
    return Computed(grads, details={"samples": np.asarray(samples)})


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
    _, grads = vjp_per_input(adapter, loss, initial, dtype, None)
    minimum = adapter.minimize(loss, initial, dtype, case.max_iterations)
    return Computed(grads, estimates=minimum.params,
                    details={"loss": minimum.loss, "iterations": minimum.iterations, "history": minimum.history,
                             "trajectory": minimum.trajectory})
