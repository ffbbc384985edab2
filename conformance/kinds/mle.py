"""mle: recover parameters from data drawn at `truth`, with each framework's own optimizer.

The reference is the closed-form MLE where the case states one (`expected`, written in the family's
statistics), else SciPy's optimum of the same NumPy log-likelihood. A fit passes when each estimate is
within the estimate tolerance of the reference: stated by the case, or for L-BFGS derived from its
stopping rule (see `estimate_tolerance`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, Literal, NamedTuple

import numpy as np
from pydantic import Field
from scipy import optimize

from conformance import expr, oracle
from conformance.adapters import Adapter, Optimizer, flatten
from conformance.families import LIKELIHOODS
from conformance.kinds.base import (
    FAMILY_WORK,
    Checked,
    Computed,
    Kind,
    Reference,
    as_handed,
    oracle_or_nothing,
    primal,
    probe,
    references,
    values,
    vjp_per_input,
)
from conformance.model import CaseBase, Expectation, ExprAt, Strict, Value, check_size
from conformance.tolerance import errors, short

#: the gradient norm at which every adapter's L-BFGS stops (torch tolerance_grad, TFP tolerance, optax loop)
LBFGS_GRADIENT_STOP = 1e-9
#: the loss change below which torch's L-BFGS stops (tolerance_change; TFP and the optax loop: no change at all)
LBFGS_CHANGE_STOP = 1e-12
DESIGN = "X"  # the design matrix's name in the model's expressions


class Design(Strict):
    """A regression's design matrix X (samples x columns), drawn from the seed before the data."""

    columns: int = Field(ge=1, le=64, description="columns of X, the intercept's included")
    intercept: bool = Field(True, description="whether X's first column is all ones; the others are standard normal")


class MleCase(CaseBase):
    """Maximum likelihood: recover parameters of `family` from data drawn at `truth`."""

    kind: Literal["mle"] = Field(description="maximum likelihood with each framework's own optimizer")
    family: str = Field(description="the likelihood: " + ", ".join(LIKELIHOODS))
    model: dict[str, str] = Field(
        description="the family's params as expressions of the parameters (and of X, with a design): "
        "log-parameters are spelled here, e.g. rate: exp(log_rate)"
    )
    design: Design | None = Field(
        None,
        description="a regression's design matrix X; the family's params then "
        "have one row per sample, and the data one draw at each",
    )
    truth: dict[str, Value] = Field(description="parameter values the data are drawn at")
    parameters: dict[str, Value] = Field(description="initial values of the parameters")
    samples: int = Field(1000, ge=2, description="how many data points are drawn")
    seed: int = Field(0, description="the seed of the NumPy generator that draws the data")
    optimizer: Literal["lbfgs", "adam"] = Field("lbfgs", description="each framework's own L-BFGS or Adam")
    learning_rate: float | None = Field(None, gt=0, description="Adam's learning rate (Adam only)")
    max_iterations: int = Field(
        200, ge=1, le=100_000, description="L-BFGS's iteration limit; Adam's number of steps (it takes them all)"
    )
    estimate_tolerance: float | None = Field(
        None,
        gt=0,
        description="max |estimate - reference|; required for Adam, for L-BFGS derived from its "
        "stopping rule where not stated",
    )
    expected: dict[str, Expectation] | None = Field(
        None,
        description="closed-form MLE of each parameter, as expressions of the family's statistics; "
        "absent: the reference is SciPy's optimum of the NumPy log-likelihood",
    )

    def gradient_shapes(self) -> dict[str, expr.Shape]:
        return self._shapes("parameters", self.parameters)

    def compile(self) -> None:
        likelihood = LIKELIHOODS.get(self.family)
        if likelihood is None:
            raise ExprAt(
                ("family",),
                expr.ExprError(f"no MLE support for family {self.family!r} (known: {', '.join(sorted(LIKELIHOODS))})"),
            )
        if set(self.model) != set(likelihood.params):
            raise ExprAt(
                ("model",),
                expr.ExprError(
                    f"{self.family} model takes {', '.join(likelihood.params)}, got {', '.join(self.model)}"
                ),
            )
        if set(self.truth) != set(self.parameters):
            raise ExprAt(("truth",), expr.ExprError("truth and parameters must name the same parameters"))
        if self.design is not None and DESIGN in self.parameters:
            raise ExprAt(("parameters",), expr.ExprError(f"{DESIGN!r} names the design matrix, not a parameter"))
        if self.optimizer == "lbfgs" and self.learning_rate is not None:
            raise ExprAt(("learning_rate",), expr.ExprError("L-BFGS takes no learning_rate: its line search steps"))
        if self.optimizer == "adam" and self.learning_rate is None:
            raise ExprAt(("optimizer",), expr.ExprError("Adam takes a learning_rate"))
        if self.optimizer == "adam" and self.estimate_tolerance is None:
            raise ExprAt(
                ("optimizer",),
                expr.ExprError("Adam has no stopping rule to derive a tolerance from: state estimate_tolerance"),
            )
        names = frozenset(self.parameters)
        for name in self.parameters:
            self._compile(f"truth.{name}", ("truth", name), self.truth[name], frozenset())
            self._compile(f"parameters.{name}", ("parameters", name), self.parameters[name], frozenset())
        for name, source in self.model.items():
            self._compile(f"model.{name}", ("model", name), source, names | _covariate_names(self))
        if self.expected is not None:
            if not likelihood.statistics:
                raise ExprAt(
                    ("expected",),
                    expr.ExprError(
                        f"{self.family} has no closed-form MLE: leave out expected (the reference is SciPy's)"
                    ),
                )
            for name in names:
                if name not in self.expected:
                    raise ExprAt(("expected",), expr.ExprError(f"no closed-form expectation for {name!r}"))
            self._compile_expected(self.expected, frozenset(likelihood.statistics), names)
        self._check_shapes()

    def _check_shapes(self) -> None:
        """Shapes the oracle and the optimizers would refuse, from two samples at load; the oracle's cost bounded."""
        shapes = self._shapes("parameters", self.parameters)
        for name, shape in self._shapes("truth", self.truth).items():
            if shape != shapes[name]:
                raise ExprAt(
                    ("truth", name),
                    expr.ExprError(
                        f"the truth has {expr.describe(shape)}, the initial value {expr.describe(shapes[name])}: "
                        "they must be the same"
                    ),
                )
        covariates = {DESIGN: (2, self.design.columns)} if self.design is not None else {}
        work = sum(
            self._measure(f"model.{name}", ("model", name), {**shapes, **covariates}).work for name in self.model
        )
        likelihood = LIKELIHOODS[self.family]

        def two_samples() -> tuple[np.ndarray, dict[str, np.ndarray]]:
            drawn = _draw(self, 2)
            likelihood.log_prob(_model(self, {**drawn.truth, **drawn.covariates}), drawn.observed)
            return drawn.observed, {
                name: np.asarray(stat(drawn.observed)) for name, stat in likelihood.statistics.items()
            }

        data, stats = probe(("model",), f"{self.family} cannot take this model at the truth", two_samples)
        check_size(("samples",), f"{self.samples:,} samples of {data[0].size:,} elements", self.samples * data[0].size)
        if self.expected is not None:
            self._check_expected(self.expected, shapes, {name: stat.shape for name, stat in stats.items()})
        elements = sum(map(math.prod, shapes.values()))
        self._check_oracle(("parameters",), 4 * elements, FAMILY_WORK * self.samples * data[0].size + work)


def _covariate_names(case: MleCase) -> frozenset[str]:
    return frozenset({DESIGN}) if case.design is not None else frozenset()


def _model(case: MleCase, env: dict[str, Any], ops=oracle.NUMPY) -> dict[str, Any]:
    return {name: case.expr(f"model.{name}").evaluate(env, ops) for name in case.model}


class MleData(NamedTuple):
    """What every framework fits: the data, the covariates (X, with a design), and the parameters' values."""

    observed: np.ndarray
    covariates: dict[str, np.ndarray]
    initial: dict[str, np.ndarray]
    truth: dict[str, np.ndarray]


def _draw(case: MleCase, n: int) -> MleData:
    """From one generator: X first (with a design), then the data: n draws, or one per row of X."""
    truth = values(case, "truth", case.truth)
    rng = np.random.default_rng(case.seed)
    covariates = {}
    if case.design is not None:
        x = rng.standard_normal((n, case.design.columns))
        if case.design.intercept:
            x[:, 0] = 1.0
        covariates[DESIGN] = x
    params = {k: np.asarray(v, np.float64) for k, v in _model(case, {**truth, **covariates}).items()}
    sample = LIKELIHOODS[case.family].sample
    observed = sample(rng, 1, params)[0] if covariates else sample(rng, n, params)
    return MleData(observed, covariates, values(case, "parameters", case.parameters), truth)


def mle_data(case: MleCase) -> MleData:
    return _draw(case, case.samples)


def _compute_mle(case: MleCase, adapter: Adapter, dtype: str) -> Computed:
    drawn = mle_data(case)
    ops, observed = adapter.ops(dtype), adapter.array(drawn.observed, dtype)
    constants = {k: adapter.array(v, dtype) for k, v in drawn.covariates.items()}
    mean = ops.functions["mean"]

    def loss(env):
        return -mean(adapter.log_prob(case.family, _model(case, {**env, **constants}, ops), observed))

    out, grads = vjp_per_input(adapter, loss, drawn.initial, dtype, None)
    under_ad = primal(adapter, loss, drawn.initial, dtype, out, grads.values())
    minimum = adapter.minimize(
        loss, drawn.initial, dtype, Optimizer(case.optimizer, case.max_iterations, case.learning_rate)
    )
    return Computed(
        grads,
        estimates=minimum.params,
        details={
            "dtype": dtype,
            "optimizer": case.optimizer,
            "loss": minimum.loss,
            "iterations": minimum.iterations,
            "history": minimum.history,
            "trajectory": minimum.trajectory,
        },
        primal=under_ad,
    )


def _primal_reference(case: MleCase, dtype: str, details: dict[str, Any]) -> np.ndarray:
    """The mean NLL at the initial parameters, in NumPy float64 with everything the framework was handed (the data,
    X, the parameters) rounded to the job's dtype as it was."""
    drawn = mle_data(case)
    rounded = MleData(
        as_handed(drawn.observed, dtype),
        {k: as_handed(v, dtype) for k, v in drawn.covariates.items()},
        {k: as_handed(v, dtype) for k, v in drawn.initial.items()},
        drawn.truth,
    )
    with np.errstate(all="ignore"):
        return np.asarray(_nll(case, rounded)(rounded.initial), np.float64)


def _nll(case: MleCase, drawn: MleData) -> Callable[[dict[str, Any]], float]:
    """The mean negative log-likelihood in NumPy float64, of the named parameters."""
    likelihood = LIKELIHOODS[case.family]

    def loss(env: dict[str, Any]) -> float:
        return -float(np.mean(likelihood.log_prob(_model(case, {**env, **drawn.covariates}), drawn.observed)))

    return loss


def reference(case: MleCase, details: dict[str, Any] | None = None) -> dict[str, Reference]:
    drawn = mle_data(case)
    fd = oracle_or_nothing(case, lambda: oracle.differences(_nll(case, drawn), drawn.initial), drawn.initial)
    return references(case, drawn.initial, {}, fd, expected={})  # its `expected` are the estimates, checked in `check`


class Fit(NamedTuple):
    """The reference optimum, and what the derived tolerance needs there."""

    estimates: dict[str, np.ndarray]
    #: the gradient's norm at the reference (its distance from the true optimum is at most this / curvature)
    gradient_norm: float
    #: the smallest eigenvalue of the mean NLL's Hessian at the reference
    curvature: float
    #: mean |log p_i| at the reference: the size of the terms the loss sums, which its rounding scales with
    magnitude: float


_FITS: dict[str, Fit] = {}


def reference_fit(case: MleCase) -> Fit:
    """The closed form (from the statistics) or SciPy's BFGS optimum, with its gradient and curvature."""
    key = case.model_dump_json()
    if key not in _FITS:
        _FITS[key] = _fit(case)
    return _FITS[key]


def _fit(case: MleCase) -> Fit:
    drawn = mle_data(case)
    loss = _nll(case, drawn)
    flat, unflatten = flatten(drawn.initial)

    def of(vector: np.ndarray) -> dict[str, np.ndarray]:
        return unflatten(vector, np.reshape)

    def gradient(vector: np.ndarray) -> np.ndarray:
        return flatten({k: g for k, (g, _) in oracle.finite_differences(loss, of(vector)).items()})[0]

    if case.expected is not None:
        stats = {name: stat(drawn.observed) for name, stat in LIKELIHOODS[case.family].statistics.items()}
        estimates = {
            name: np.asarray(oracle.evaluate(case.expr(f"expected.{name}"), stats), np.float64)
            for name in case.parameters
        }
        best = flatten(
            {name: np.broadcast_to(estimates[name], np.shape(drawn.initial[name])) for name in drawn.initial}
        )[0]
    else:  # BFGS from the frameworks' starting point, on the oracle's Richardson gradient (error ~1e-11)
        result = optimize.minimize(
            lambda v: loss(of(v)), flat, jac=gradient, method="BFGS", options={"gtol": 1e-10, "maxiter": 10_000}
        )
        best = result.x
        estimates = of(best)
    hessian = np.zeros((best.size, best.size))
    for i in range(best.size):  # central differences of the gradient, symmetrized
        h = 1e-4 * max(abs(best[i]), 1.0)
        up, down = best.copy(), best.copy()
        up[i] += h
        down[i] -= h
        hessian[i] = (gradient(up) - gradient(down)) / (2 * h)
    env = of(best)
    log_p = LIKELIHOODS[case.family].log_prob(_model(case, {**env, **drawn.covariates}), drawn.observed)
    return Fit(
        estimates,
        float(np.linalg.norm(gradient(best))),
        float(np.min(np.linalg.eigvalsh((hessian + hessian.T) / 2))),
        float(np.mean(np.abs(log_p))),
    )


def expected_estimates(case: MleCase) -> dict[str, np.ndarray]:
    """The reference MLE of each parameter: the closed form, or SciPy's optimum."""
    return reference_fit(case).estimates


def estimate_tolerance(case: MleCase, dtype: str) -> float:
    """The case's stated tolerance, or for L-BFGS one derived from its stopping rule, in the parameters' norm.

    Near the optimum the mean NLL is f* + lambda |d|^2 / 2 at least (lambda: the Hessian's smallest eigenvalue).
    L-BFGS stops where the gradient's norm is <= g = 1e-9, so |d| <= (g + the reference's own gradient) / lambda;
    or where the loss changes by less than t = 1e-12 (torch; 0 in TFP and optax) or stops changing, which it
    cannot tell apart within its rounding: summing n terms of mean size F in precision eps rounds by at most
    c eps F, c = 4 + ceil(log2 n) (as the zero tolerance), at the estimate and at the optimum. Taking the gap
    left at such a stop to be of the size of its last change (L-BFGS converges superlinearly there),
    |d| <= sqrt(4 (c eps F + t) / lambda). The tolerance is the sum of the two.
    """
    if case.estimate_tolerance is not None:
        return case.estimate_tolerance
    fit = reference_fit(case)
    if not fit.curvature > 0:
        raise ValueError(
            f"the loss is flat at the reference (Hessian's least eigenvalue {fit.curvature:.3g}): "
            "state estimate_tolerance"
        )
    eps = float(np.finfo(np.dtype(dtype)).eps)
    rounding = (4 + math.ceil(math.log2(case.samples))) * eps * fit.magnitude
    return (
        math.sqrt(4 * (rounding + LBFGS_CHANGE_STOP) / fit.curvature)
        + (LBFGS_GRADIENT_STOP + fit.gradient_norm) / fit.curvature
    )


def check(case: MleCase, computed: Computed, framework: str, versions: dict[str, str]) -> Checked:
    """Each estimate against the reference, within the estimate tolerance; the distance is each max_abs."""
    checked = Checked()
    tolerance = estimate_tolerance(case, computed.details.get("dtype", "float64"))
    for name, want in expected_estimates(case).items():
        got = np.asarray(computed.estimates.get(name, np.nan), np.float64)
        err = errors(got, want)
        checked.estimates[name] = {"value": got, "expected": want, **err, "tolerance": tolerance}
        if not err["max_abs"] <= tolerance:
            source = "closed form" if case.expected is not None else "SciPy's optimum"
            checked.failures.append(
                f"estimate {name}: {source} {short(want)}, got {short(got)} "
                f"(max abs error {err['max_abs']:.3g} > {tolerance:.3g}, "
                f"{computed.details.get('iterations')} iterations)"
            )
    return checked


KIND = Kind(MleCase, _compute_mle, reference, check, regimes=False, primal_reference=_primal_reference)
