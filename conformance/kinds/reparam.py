"""reparam: sum(log_prob(x)) of a reparameterized sample x = loc + scale * z, differentiated."""

from __future__ import annotations

import math
from typing import ClassVar, Literal

import numpy as np
from pydantic import Field

from conformance import expr, oracle
from conformance.adapters import Adapter
from conformance.families import FAMILIES
from conformance.kinds.base import (
    FAMILY_WORK,
    Computed,
    Kind,
    Reference,
    as_handed,
    drawn,
    oracle_or_nothing,
    primal,
    probe,
    references,
    values,
    vjp_per_input,
)
from conformance.model import CaseBase, Expectation, Value, check_size, compile_family_params
from conformance.vocabulary import Expect


class ReparamCase(CaseBase):
    """sum(log_prob(x)) of a reparameterized sample x = loc + scale * z, differentiated."""

    kind: Literal["reparam"] = Field(description="sum(log_prob(x)) of a reparameterized sample, differentiated")
    family: str = Field(description="the distribution family, e.g. Normal, LogNormal, MultivariateNormal")
    params: dict[str, Value] = Field(description="the family's parameters (e.g. loc, scale), differentiated")
    samples: int = Field(1, ge=1, description="how many samples x are drawn")
    seed: int = Field(0, description="the seed of the shared NumPy noise (or of the native sampler)")
    sampler: Literal["shared", "native"] = Field(
        "shared", description="shared: x built from NumPy noise; native: the framework's own sampler"
    )
    expected: dict[str, Expectation] = Field(
        description="per parameter, its gradient; expressions may use n (samples), z (the noise) and x (the samples)"
    )
    #: n: the number of samples; z: the standard noise; x: the samples
    expected_extra_names: ClassVar[frozenset[str]] = frozenset({"n", "z", "x"})

    def gradient_shapes(self) -> dict[str, expr.Shape]:
        return self._shapes("params", self.params)

    def compile(self) -> None:
        family = compile_family_params(
            self, self.family, self.params, FAMILIES, "unknown family", lambda family: family.reparam_params
        )
        self._compile_expected(self.expected, frozenset(self.params), frozenset(self.params))
        shapes = self._shapes("params", self.params)

        def one_sample() -> tuple[np.ndarray, np.ndarray]:
            params = values(self, "params", self.params)
            z = family.noise(np.random.default_rng(self.seed), 1, params)
            x = np.asarray(family.transform(params, z, oracle.NUMPY))
            family.log_prob(params, x)
            return z, x

        z, x = probe(("params",), f"{self.family} cannot take these params", one_sample)
        n, per_sample = self.samples, max(z[0].size, x[0].size)
        check_size(("samples",), f"{n:,} samples of {per_sample:,} elements", n * per_sample)
        self._check_expected(self.expected, shapes, {**shapes, "n": (), "z": (n, *z.shape[1:]), "x": (n, *x.shape[1:])})
        elements = sum(map(math.prod, shapes.values()))
        self._check_oracle(("params",), 5 * elements, FAMILY_WORK * (n * per_sample + expr.NODE_WORK))


def _reparam_inputs(case: ReparamCase, samples: np.ndarray | None = None) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Parameters and standard noise: ours from the seed, or recovered from a framework's samples."""
    params = values(case, "params", case.params)
    family = FAMILIES[case.family]
    if samples is not None:
        return params, family.standardize(params, np.asarray(samples, np.float64))
    return params, family.noise(np.random.default_rng(case.seed), case.samples, params)


def _compute_reparam(case: ReparamCase, adapter: Adapter, dtype: str) -> Computed:
    params, noise = _reparam_inputs(case)
    family, ops = FAMILIES[case.family], adapter.ops(dtype)
    total = ops.functions["sum"]
    if case.sampler == "native":

        def sample(p):
            return adapter.sample(case.family, p, case.samples, case.seed)
    else:
        z = adapter.array(noise, dtype)

        def sample(p):
            return family.transform(p, z, ops)

    def loss(p):
        return total(adapter.log_prob(case.family, p, sample(p)))

    out, grads = vjp_per_input(adapter, loss, params, dtype, None)
    details = {"samples": drawn(adapter, sample, params, dtype)} if case.sampler == "native" else {}
    return Computed(grads, details=details, primal=primal(adapter, loss, params, dtype, out, grads.values()))


def _primal_reference(case: ReparamCase, dtype: str, details: dict) -> np.ndarray:
    """sum(log_prob(x)) in NumPy at the params and noise as the job's dtype rounds them; with a native sampler at
    the framework's own samples (drawn in its regime, as its loss drew them)."""
    params, noise = _reparam_inputs(case)
    family, rounded = FAMILIES[case.family], {k: as_handed(v, dtype) for k, v in params.items()}
    samples = details.get("samples")
    x = (
        np.asarray(samples, np.float64)
        if samples is not None
        else family.transform(rounded, as_handed(noise, dtype), oracle.NUMPY)
    )
    with np.errstate(all="ignore"):
        return np.asarray(np.sum(family.log_prob(rounded, x)), np.float64)


def _reference_reparam(case: ReparamCase, samples: np.ndarray | None) -> dict[str, Reference]:
    params, noise = _reparam_inputs(case, samples)
    family = FAMILIES[case.family]

    def x_of(p):
        return family.transform(p, noise, oracle.NUMPY)

    log_prob = lambda p: np.sum(family.log_prob(p, x_of(p)))
    env = {**params, "n": np.asarray(case.samples, np.float64), "z": noise, "x": x_of(params)}
    fd = oracle_or_nothing(case, lambda: oracle.differences(log_prob, params), params)
    refs = references(case, params, env, fd)
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


KIND = Kind(
    ReparamCase,
    _compute_reparam,
    lambda case, details: _reference_reparam(case, (details or {}).get("samples")),
    primal_reference=_primal_reference,
)
