"""implicit: dx/dparam of the framework's own sample x, against the implicit function theorem on the CDF."""

from __future__ import annotations

import math
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import Field

from conformance import expr
from conformance.adapters import Adapter
from conformance.families import IMPLICIT, implicit_derivative
from conformance.kinds.base import (
    SPECIAL_WORK,
    Computed,
    Kind,
    Reference,
    oracle_or_nothing,
    primal,
    references,
    values,
)
from conformance.model import CaseBase, Expectation, ExprAt, Value, check_size, compile_family_params


class ImplicitCase(CaseBase):
    """dx/dparam of the framework's own sample x, against the implicit function theorem on the CDF.

    Each framework draws its own samples (only properties are compared across
    frameworks); the oracle at each sample is dx/dtheta = -(dF/dtheta)(x) / f(x).
    Parameters given as vectors of length m give m independent samples, one each,
    so the gradient of sum(x) is each sample's own derivative.
    """

    kind: Literal["implicit"] = Field(description="d sample / d parameter, against the implicit function theorem")
    family: str = Field(description="the family: Gamma, Beta, StudentT or Dirichlet")
    params: dict[str, Value] = Field(
        description="the family's parameters, differentiated; vectors of length m draw m independent samples"
    )
    seed: int = Field(0, description="the seed of each framework's own sampler")
    expected: dict[str, Expectation] = Field(
        default_factory=dict,
        description="per parameter, a property of its gradient; expressions may use x (the framework's samples)",
    )
    expected_extra_names: ClassVar[frozenset[str]] = frozenset({"x"})

    def gradient_shapes(self) -> dict[str, expr.Shape]:
        return self._shapes("params", self.params)

    def compile(self) -> None:
        family = compile_family_params(
            self, self.family, self.params, IMPLICIT, "no implicit reparameterization for", lambda family: family.params
        )
        if family.cdf is None and self.oracle:
            raise ExprAt(
                ("oracle",),
                expr.ExprError(f"{self.family} has no per-sample CDF oracle: set oracle: false and check properties"),
            )
        self._compile_expected(self.expected, frozenset(self.params), frozenset(self.params))
        shapes = self._shapes("params", self.params)
        try:
            batch = expr.broadcast(*shapes.values())
        except expr.ExprError as err:
            raise ExprAt(("params",), err) from None
        check_size(("params",), f"params of {expr.describe(batch)}", math.prod(batch))
        self._check_expected(self.expected, shapes, {**shapes, "x": (1, *batch)})
        elements = sum(map(math.prod, shapes.values()))
        self._check_oracle(("params",), 4 * elements, SPECIAL_WORK * (math.prod(batch) + expr.NODE_WORK))


def _compute_implicit(case: ImplicitCase, adapter: Adapter, dtype: str) -> Computed:
    params = values(case, "params", case.params)
    shape = (1, *np.broadcast_shapes(*(np.shape(v) for v in params.values())))

    # the VJP with a cotangent of ones is d sum(x) / dtheta, and its primal output is the samples themselves:
    # one draw, so the gradient and the samples the oracle is evaluated at cannot come from different draws
    def sample(p: dict[str, Any]) -> Any:
        return adapter.sample(case.family, p, 1, case.seed)

    samples, grads = adapter.vjp(sample, params, dtype, np.ones(shape))
    # its output is the framework's own random draw: no oracle; the direct call, from the same seed, must draw it
    return Computed(
        grads,
        details={"samples": np.asarray(samples)},
        primal=primal(adapter, sample, params, dtype, samples, grads.values()),
    )


def reference(case: ImplicitCase, details: dict[str, Any] | None = None) -> dict[str, Reference]:
    params = values(case, "params", case.params)
    samples = (details or {}).get("samples")
    if samples is None:  # nothing to difference without the framework's samples
        return references(case, params, params, {name: (None, None) for name in params})
    x = np.asarray(samples, np.float64)
    fd = oracle_or_nothing(case, lambda: implicit_derivative(IMPLICIT[case.family], params, x), params)
    refs = references(case, params, {**params, "x": x}, fd)
    for ref in refs.values():  # each framework differentiates its own samples: checked against the oracle
        ref.not_comparable = "each framework differentiates its own samples"
    return refs


KIND = Kind(ImplicitCase, _compute_implicit, reference)
