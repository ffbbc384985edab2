"""expectation: d/dtheta E[f(x)], estimated from each framework's own draws and judged statistically.

Some gradients are right only in expectation: a path derivative through a
sampler (Beta, Dirichlet, the StudentT df) or the score-function estimator
f(x) d log p(x)/dtheta. Each framework draws n samples with its own sampler;
every draw gets its own copy of the parameters (they are tiled n times), so
one VJP of the sum gives each draw's gradient, and the worker returns their
mean and standard error. The engine judges |mean - exact| <= k standard
errors (plus the tolerance rule's floor); under normality of the mean that
misses a right gradient with probability 2 * norm.sf(k) per element.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import Field
from scipy import integrate, stats

from conformance import expr, oracle
from conformance.adapters import VALUE, Adapter, Gradient
from conformance.kinds.base import (
    SPECIAL_WORK,
    Computed,
    Kind,
    Oracle,
    Reference,
    drawn,
    oracle_or_nothing,
    primal,
    probe,
    references,
    values,
)
from conformance.model import CaseBase, Expectation, ExprAt, Value, check_size, compile_family_params

#: tanh-sinh's level (fixed): 2**QUAD_LEVEL steps each way from the middle, in each piece of the range
QUAD_LEVEL = 7
#: nodes of one element's E[f(x)], for the oracle's budget: scipy's tanhsinh evaluates 16 * 2**level + 3 nodes
#: (measured), in each of at most two pieces of the range
QUAD_POINTS = 2 * (16 * 2**QUAD_LEVEL + 3)
#: what one of tanhsinh's QUAD_LEVEL + 1 iterations costs beyond its nodes, in element operations: its own
#: bookkeeping and scipy's argument checks in the density, about 0.3 ms (measured)
QUAD_ITERATION_WORK = 100 * expr.NODE_WORK


@dataclass(frozen=True)
class Law:
    """A family as this kind needs it: its parameters, and scipy's distribution for the quadrature oracle."""

    params: tuple[str, ...]
    #: scipy.stats' frozen distribution at the params (arrays broadcast); None where no quadrature applies (on the
    #: simplex)
    scipy: Callable[[dict[str, Any]], Any] | None
    #: draws of shape (n, *batch) from NumPy, at load, for the shapes the case must fit
    draw: Callable[[np.random.Generator, int, dict[str, np.ndarray]], np.ndarray]


def _univariate(params: tuple[str, ...], frozen: Callable[[dict[str, Any]], Any]) -> Law:
    def draw(rng: np.random.Generator, n: int, p: dict[str, np.ndarray]) -> np.ndarray:
        batch = np.broadcast_shapes(*(np.shape(v) for v in p.values()))
        return np.asarray(frozen(p).rvs(size=(n, *batch), random_state=rng))

    return Law(params, frozen, draw)


LAWS: dict[str, Law] = {
    "Normal": _univariate(("loc", "scale"), lambda p: stats.norm(p["loc"], p["scale"])),
    "Gamma": _univariate(("concentration", "rate"), lambda p: stats.gamma(p["concentration"], scale=1 / p["rate"])),
    "Beta": _univariate(
        ("concentration1", "concentration0"), lambda p: stats.beta(p["concentration1"], p["concentration0"])
    ),
    "StudentT": _univariate(("df", "loc", "scale"), lambda p: stats.t(p["df"], p["loc"], p["scale"])),
    "Dirichlet": Law(("concentration",), None, lambda rng, n, p: rng.dirichlet(p["concentration"], n)),
}


def false_alarm_rate(k: float) -> float:
    """P(|Z| > k) for a standard normal Z: how often a right gradient's mean lands beyond k standard errors."""
    return float(2 * stats.norm.sf(k))


@dataclass(frozen=True)
class MonteCarlo:
    """One gradient's estimate from n draws, as the worker hands it to the engine (and the report records it)."""

    mean: np.ndarray
    stderr: np.ndarray
    draws: int
    seed: int
    k: float
    false_alarm_rate: float

    @classmethod
    def of(cls, per_draw: np.ndarray, seed: int, k: float) -> MonteCarlo:
        """Mean and standard error of the mean over axis 0 (one row per draw), in float64."""
        rows = np.asarray(per_draw, np.float64)
        n = rows.shape[0]
        return cls(rows.mean(0), rows.std(0, ddof=1) / math.sqrt(n), n, seed, k, false_alarm_rate(k))

    def allowance(self) -> np.ndarray:
        return self.k * self.stderr


class ExpectationCase(CaseBase):
    """d/dtheta E[sum f(x)] over x drawn from a family, from n draws of each framework's own sampler."""

    kind: Literal["expectation"] = Field(
        description="the gradient of an expectation, from each framework's own draws, judged within k standard errors"
    )
    family: str = Field(description="the family: Normal, Gamma, Beta, StudentT or Dirichlet")
    params: dict[str, Value] = Field(description="the family's parameters, differentiated")
    statistic: str = Field(
        description="f(x) for one draw x, elementwise (an expression in x keeping x's shape, "
        "e.g. x**2, abs(x), x * [0, 1, 0]); its sum is the quantity whose "
        "expectation is differentiated"
    )
    estimator: Literal["path", "score"] = Field(
        "path",
        description="path: differentiate f(x) through the sampler (reparameterized or implicit); "
        "score: f(x) * d log p(x)/dtheta with x held fixed (REINFORCE; univariate families, "
        "through the adapter's log_prob)",
    )
    draws: int = Field(4000, ge=2, description="how many draws n the mean is taken over")
    seed: int = Field(0, description="the seed of each framework's own sampler")
    k: float = Field(
        4.0,
        gt=0,
        description="standard errors allowed: a right gradient fails with probability "
        "2 norm.sf(k) per element (k = 4: 6.3e-5)",
    )
    expected: dict[str, Expectation] = Field(description="per parameter, d/dtheta E[sum f(x)], derived in closed form")

    #: the case's params by name, and n (the number of draws)
    expected_extra_names: ClassVar[frozenset[str]] = frozenset({"n"})

    def gradient_shapes(self) -> dict[str, expr.Shape]:
        return self._shapes("params", self.params)

    def compile(self) -> None:
        law = compile_family_params(
            self, self.family, self.params, LAWS, "no expectation support for family", lambda law: law.params
        )
        self._compile("statistic", ("statistic",), self.statistic, frozenset({"x"}))
        if law.scipy is None and self.oracle:
            raise ExprAt(
                ("oracle",),
                expr.ExprError(
                    f"{self.family} has no quadrature oracle: set oracle: false and derive the expected value"
                ),
            )
        if self.estimator == "score" and law.scipy is None:
            raise ExprAt(
                ("estimator",),
                expr.ExprError(f"the score estimator needs a univariate family; {self.family} is multivariate"),
            )
        self._compile_expected(self.expected, frozenset(self.params), frozenset(self.params))
        shapes = self._shapes("params", self.params)
        draws = probe(
            ("params",),
            f"{self.family} cannot take these params",
            lambda: law.draw(np.random.default_rng(self.seed), 2, values(self, "params", self.params)),
        )
        statistic = self._measure("statistic", ("statistic",), {"x": draws.shape})
        if statistic.shape != draws.shape:
            raise ExprAt(
                ("statistic",),
                expr.ExprError(
                    f"the statistic gives {expr.describe(statistic.shape)} for draws of {expr.describe(draws.shape)}: "
                    "it must keep each draw's shape (elementwise in x, no sums over draws)"
                ),
            )
        check_size(("draws",), f"{self.draws:,} draws of {draws[0].size:,} elements", self.draws * draws[0].size)
        self._check_expected(self.expected, shapes, {**shapes, "n": ()})
        elements = sum(map(math.prod, shapes.values()))
        batch = draws[0].size
        nodes = self._measure("statistic", ("statistic",), {"x": (batch * QUAD_POINTS, *draws.shape[1:])})
        # one E[f] over the batch: the statistic at every node (each on a whole draw), the density at every node,
        # and tanhsinh's iterations
        self._check_oracle(
            ("params",),
            6 * elements,
            nodes.work + batch * QUAD_POINTS * SPECIAL_WORK + (QUAD_LEVEL + 1) * QUAD_ITERATION_WORK,
        )


def _tiled(params: dict[str, np.ndarray], n: int) -> dict[str, np.ndarray]:
    """Each parameter broadcast to the batch and repeated n times along a new first axis: draw i has its own
    copy, so the gradient of the sum over draws with respect to copy i is draw i's own gradient."""
    batch = np.broadcast_shapes(*(np.shape(v) for v in params.values()))
    return {name: np.broadcast_to(v, (n, *batch)).copy() for name, v in params.items()}


def _per_draw(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """A tiled copy's gradient summed back to the parameter's own shape (a scalar shared by the batch
    gets the sum over the batch), one row per draw."""
    rows = np.asarray(grad, np.float64)
    extra = rows.ndim - 1 - len(shape)
    rows = rows.sum(axis=tuple(range(1, 1 + extra))) if extra else rows
    shared = tuple(1 + i for i, size in enumerate(shape) if size == 1 and rows.shape[1 + i] != 1)
    return rows.sum(axis=shared, keepdims=True) if shared else rows


def _compute(case: ExpectationCase, adapter: Adapter, dtype: str) -> Computed:
    own = values(case, "params", case.params)
    params = _tiled(own, case.draws)
    ops, statistic = adapter.ops(dtype), case.expr("statistic")
    total = ops.functions["sum"]

    def draw(p: dict[str, Any]) -> Any:
        return adapter.sample(case.family, p, 1, case.seed)  # one draw from each copy: shape (1, n, ...)

    samples = drawn(adapter, draw, params, dtype)
    if case.estimator == "score":
        x = adapter.array(samples, dtype)
        f = statistic.evaluate({"x": x}, ops)

        def estimate(p: dict[str, Any]) -> Any:
            return total(f * adapter.log_prob(case.family, p, x))
    else:

        def estimate(p: dict[str, Any]) -> Any:
            return total(statistic.evaluate({"x": draw(p)}, ops))

    # its output is a Monte Carlo sum over the framework's own draws: no oracle (E[f] is the gradient's judge, within
    # k standard errors); the direct call, from the same seed, must compute the same sum
    out, per_draw = adapter.vjp(estimate, params, dtype, None)
    under_ad = primal(adapter, estimate, params, dtype, out, per_draw.values())
    gradients, estimates = {}, {}
    for name, grad in per_draw.items():
        if grad.status != VALUE or grad.value is None:
            gradients[name] = grad  # no path through the sampler (None, an error): recorded as the framework gave it
            continue
        mc = MonteCarlo.of(_per_draw(grad.value, np.shape(own[name])), case.seed, case.k)
        gradients[name] = Gradient(VALUE, mc.mean.astype(grad.value.dtype), representation=grad.representation)
        estimates[name] = asdict(mc)
    return Computed(gradients, details={"samples": samples, "expectation": estimates}, primal=under_ad)


def _expectation(case: ExpectationCase, law: Law, params: dict[str, np.ndarray]) -> np.ndarray:
    """E[f(x)] per batch element, by tanh-sinh quadrature over scipy's density: one call for the whole batch.

    An infinite support is mapped by x = m + w sinh(s) (m the median, w half the interquartile range), so
    algebraic tails (StudentT) decay exponentially in s. The range is split at x = 0, where the usual kinks
    of a statistic are (abs, maximum(x, 0)): tanh-sinh needs a smooth integrand inside. The level is fixed,
    not adaptive, so the nodes do not jump as the oracle moves a parameter by a tiny step; an integral whose
    own error estimate is not tight is NaN, which the verdicts report as the oracle abstaining. The statistic
    is elementwise (its shape is checked at load): element e of f at a node is f of a draw filled with it.
    """
    statistic, frozen_at = case.expr("statistic"), law.scipy
    assert frozen_at is not None, "no quadrature for this family"
    batch = np.broadcast_shapes(*(np.shape(v) for v in params.values()))
    size = math.prod(batch)
    flat = {k: np.broadcast_to(v, batch).ravel().astype(np.float64) for k, v in params.items()}
    whole = frozen_at(flat)
    lower, upper = (np.broadcast_to(end, (size,)).astype(np.float64) for end in whole.support())
    infinite = ~(np.isfinite(lower) & np.isfinite(upper))
    m = np.asarray(whole.median(), np.float64)
    w = np.asarray(whole.ppf(0.75) - whole.ppf(0.25), np.float64) / 2
    # two pieces per element, split at 0 where 0 is inside (else the second piece is empty)
    middle = np.where((lower < 0) & (upper > 0), 0.0, upper)
    element = np.concatenate([np.arange(size), np.arange(size)])
    a, b = np.concatenate([lower, middle]), np.concatenate([middle, upper])
    mapped = infinite[element]
    with np.errstate(all="ignore"):
        a = np.where(mapped, np.arcsinh((a - m[element]) / w[element]), a)
        b = np.where(mapped, np.arcsinh((b - m[element]) / w[element]), b)

    def integrand(s: np.ndarray, j: np.ndarray) -> np.ndarray:
        j = j.astype(int)
        x = np.where(mapped[j], m[j] + w[j] * np.sinh(s), s)
        with np.errstate(all="ignore"):
            density = frozen_at({k: v[j] for k, v in flat.items()}).pdf(x) * np.where(mapped[j], w[j] * np.cosh(s), 1.0)
            drawn = np.broadcast_to(np.reshape(x, (-1, *(1,) * len(batch))), (x.size, *batch)).reshape(x.size, size)
            f = np.reshape(oracle.evaluate(statistic, {"x": drawn.reshape(x.size, *batch)}), (x.size, size))
            value = f[np.arange(x.size), np.broadcast_to(j, x.shape).ravel()].reshape(x.shape) * density
        return np.where(density == 0, 0.0, value)  # outside the support: nothing, whatever f gives there

    empty = a == b
    part = integrate.tanhsinh(
        integrand,
        np.where(empty, 0.0, a),
        np.where(empty, 1.0, b),
        args=(element.astype(np.float64),),
        minlevel=QUAD_LEVEL,
        maxlevel=QUAD_LEVEL,
    )
    tight = np.asarray(part.error) <= 1e-12 * np.maximum(np.abs(part.integral), 1.0)
    pieces = np.where(empty, 0.0, np.where(tight, part.integral, np.nan))  # unconverged: the oracle abstains
    return (pieces[:size] + pieces[size:]).reshape(batch)


#: the oracle per case (its JSON): every framework's job of a case needs the same one, and the reference worker
#: lives for the whole run, so the quadratures run once per case and not once per job
_ORACLE: dict[str, Mapping[str, Oracle]] = {}
_ORACLE_CASES = 64


def _oracle(case: ExpectationCase, params: dict[str, np.ndarray]) -> dict[str, Oracle]:
    key = case.model_dump_json()
    if key not in _ORACLE:
        law = LAWS[case.family]
        if len(_ORACLE) >= _ORACLE_CASES:
            _ORACLE.pop(next(iter(_ORACLE)))
        _ORACLE[key] = oracle_or_nothing(
            case, lambda: oracle.differences(lambda p: _expectation(case, law, p), params), params
        )
    return {name: _copied(found) for name, found in _ORACLE[key].items()}


def _copied(found: Oracle) -> Oracle:
    """The cached oracle's arrays copied: a job's references are its own."""
    if isinstance(found, oracle.Estimate):
        return replace(found, estimate=found.estimate.copy(), bound=found.bound.copy())
    estimate, bound = found
    return None if estimate is None else estimate.copy(), None if bound is None else bound.copy()


def reference(case: ExpectationCase, details: dict[str, Any] | None = None) -> dict[str, Reference]:
    params = values(case, "params", case.params)
    fd = _oracle(case, params)
    refs = references(case, params, {**params, "n": np.asarray(case.draws, np.float64)}, fd)
    estimates = (details or {}).get("expectation", {})
    for name, ref in refs.items():
        ref.not_comparable = "each framework averages its own draws"
        if name in estimates:
            mc = MonteCarlo(**estimates[name])
            ref.spread = np.broadcast_to(mc.allowance(), np.shape(params[name])).copy()
    return refs


KIND = Kind(ExpectationCase, _compute, reference)
