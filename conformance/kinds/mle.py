"""mle: recover parameters from data drawn at `truth`, with each framework's own optimizer."""
from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np
from pydantic import Field

from conformance import expr, oracle
from conformance.adapters import Adapter
from conformance.families import FAMILIES
from conformance.kinds.base import (
    FAMILY_WORK,
    Checked,
    Computed,
    Kind,
    Reference,
    oracle_or_nothing,
    probe,
    references,
    values,
    vjp_per_input,
)
from conformance.model import CaseBase, Expectation, ExprAt, Value, check_size
from conformance.tolerance import errors, short


class MleCase(CaseBase):
    """Maximum likelihood: recover parameters of `family` from data drawn at `truth`."""

    kind: Literal["mle"] = Field(description="maximum likelihood with each framework's own optimizer")
    family: str = Field(description="the family the data are drawn from: Normal or MultivariateNormal")
    model: dict[str, str] = Field(description="the family's params as expressions of the parameters")
    truth: dict[str, Value] = Field(description="parameter values the data are drawn at")
    parameters: dict[str, Value] = Field(description="initial values of the parameters")
    samples: int = Field(1000, ge=2, description="how many data points are drawn")
    seed: int = Field(0, description="the seed of the NumPy generator that draws the data")
    optimizer: Literal["lbfgs"] = Field("lbfgs", description="the optimizer: each framework's L-BFGS")
    max_iterations: int = Field(200, ge=1, description="the optimizer's iteration limit")
    estimate_tolerance: float = Field(1e-3, gt=0, description="max |estimate - closed form|")
    expected: dict[str, Expectation] = Field(
        description="closed-form MLE of each parameter, as expressions of the family's statistics")

    def compile(self) -> None:
        family = FAMILIES.get(self.family)
        if family is None or family.mle_statistics is None:
            known = sorted(name for name, f in FAMILIES.items() if f.mle_statistics)
            raise ExprAt(("family",), expr.ExprError(
                f"no MLE support for family {self.family!r} (known: {', '.join(known)})"))
        if set(self.model) != set(family.model_params):
            raise ExprAt(("model",), expr.ExprError(
                f"{self.family} model takes {', '.join(family.model_params)}, got {', '.join(self.model)}"))
        if set(self.truth) != set(self.parameters):
            raise ExprAt(("truth",), expr.ExprError("truth and parameters must name the same parameters"))
        names = frozenset(self.parameters)
        for name in self.parameters:
            self._compile(f"truth.{name}", ("truth", name), self.truth[name], frozenset())
            self._compile(f"parameters.{name}", ("parameters", name), self.parameters[name], frozenset())
        for name, source in self.model.items():
            self._compile(f"model.{name}", ("model", name), source, names)
        stats = frozenset(family.mle_statistics)
        for name in names:
            if name not in self.expected:
                raise ExprAt(("expected",), expr.ExprError(f"no closed-form expectation for {name!r}"))
        self._compile_expected(self.expected, stats, names)
        self._check_shapes()

    def _check_shapes(self) -> None:
        """Shapes the oracle and the optimizers would refuse, from two samples at load; the oracle's cost bounded."""
        shapes = self._shapes("parameters", self.parameters)
        for name, shape in self._shapes("truth", self.truth).items():
            if shape != shapes[name]:
                raise ExprAt(("truth", name), expr.ExprError(
                    f"the truth has {expr.describe(shape)}, the initial value {expr.describe(shapes[name])}: "
                    "they must be the same"))
        work = sum(self._measure(f"model.{name}", ("model", name), shapes).work for name in self.model)
        family = FAMILIES[self.family]

        def two_samples() -> tuple[np.ndarray, dict[str, np.ndarray]]:
            model = _model(self, values(self, "truth", self.truth))
            data = family.sample(np.random.default_rng(self.seed), 2, {k: np.asarray(v) for k, v in model.items()})
            family.log_prob(model, data)
            return data, {name: np.asarray(stat(data)) for name, stat in (family.mle_statistics or {}).items()}

        data, stats = probe(("model",), f"{self.family} cannot take this model at the truth", two_samples)
        check_size(("samples",), f"{self.samples:,} samples of {data[0].size:,} elements", self.samples * data[0].size)
        self._check_expected(self.expected, shapes, {name: stat.shape for name, stat in stats.items()})
        elements = sum(map(math.prod, shapes.values()))
        self._check_oracle(("parameters",), 4 * elements, FAMILY_WORK * self.samples * data[0].size + work)


def _model(case: MleCase, env: dict[str, Any], ops=oracle.NUMPY) -> dict[str, Any]:
    return {name: case.expr(f"model.{name}").evaluate(env, ops) for name in case.model}


def mle_data(case: MleCase) -> tuple[np.ndarray, dict[str, np.ndarray], dict[str, np.ndarray]]:
    truth = values(case, "truth", case.truth)
    initial = values(case, "parameters", case.parameters)
    family = FAMILIES[case.family]
    data = family.sample(np.random.default_rng(case.seed), case.samples,
                         {k: np.asarray(v) for k, v in _model(case, truth).items()})
    return data, initial, truth


def _compute_mle(case: MleCase, adapter: Adapter, dtype: str) -> Computed:
    data, initial, _ = mle_data(case)
    ops, observed = adapter.ops(dtype), adapter.array(data, dtype)
    mean = ops.functions["mean"]
    def loss(env):
        return -mean(adapter.log_prob(case.family, _model(case, env, ops), observed))
    _, grads = vjp_per_input(adapter, loss, initial, dtype, None)
    minimum = adapter.minimize(loss, initial, dtype, case.max_iterations)
    return Computed(grads, estimates=minimum.params,
                    details={"loss": minimum.loss, "iterations": minimum.iterations, "history": minimum.history,
                             "trajectory": minimum.trajectory})


def reference(case: MleCase, details: dict[str, Any] | None = None) -> dict[str, Reference]:
    data, initial, _ = mle_data(case)
    def loss(env):
        return -np.mean(FAMILIES[case.family].log_prob(_model(case, env), data))
    fd = oracle_or_nothing(case, lambda: oracle.finite_differences(loss, initial), initial)
    return references(case, initial, {}, fd, expected={})  # its `expected` are the estimates, checked in `check`


def expected_estimates(case: MleCase) -> dict[str, np.ndarray]:
    """The closed-form MLE of each parameter, from the data's statistics."""
    data, _, _ = mle_data(case)
    stats = {name: stat(data) for name, stat in (FAMILIES[case.family].mle_statistics or {}).items()}
    return {name: oracle.evaluate(case.expr(f"expected.{name}"), stats) for name in case.expected}


def check(case: MleCase, computed: Computed, framework: str, versions: dict[str, str]) -> Checked:
    """Each estimate against the closed-form MLE, within the case's estimate tolerance."""
    checked = Checked()
    for name, want in expected_estimates(case).items():
        got = np.asarray(computed.estimates.get(name, np.nan), np.float64)
        err = errors(got, want)
        checked.estimates[name] = {"value": got, "expected": want, **err}
        if not err["max_abs"] <= case.estimate_tolerance:
            checked.failures.append(f"estimate {name}: closed form {short(want)}, got {short(got)} "
                                    f"(max abs error {err['max_abs']:.3g} > {case.estimate_tolerance})")
    return checked


KIND = Kind(MleCase, _compute_mle, reference, check)
