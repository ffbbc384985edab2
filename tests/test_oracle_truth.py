"""The oracle against the truth: derivatives evaluated in 50-digit mpmath from their closed forms.

Wherever the oracle does not abstain, |estimate - truth| <= bound, for the first derivative, a directional
derivative and a Hessian-vector product; where it must abstain (f not finite at a step, a kink or a pole within the
steps) it does; at ordinary points and in the tails it judges. mpmath's own `diff` is not the reference: at 1e200
and 1e-300 its steps are wrong by hundreds of orders of magnitude, so each derivative is its closed form.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

import mpmath
import numpy as np
import pytest
from scipy import special

from conformance import oracle
from conformance.vocabulary import Abstention

mp = mpmath.mp
mp.dps = 50
NAMES = ("x", "y")


def _expit(x):
    return 1 / (1 + mp.exp(-x))


@dataclass(frozen=True)
class Function:
    """f in NumPy, its gradient and Hessian in mpmath (closed forms), over its arguments x (and y)."""

    numpy: Callable[..., np.ndarray]
    gradient: Callable[..., list]
    hessian: Callable[..., list]


def _unary(numpy, first, second) -> Function:
    return Function(numpy, lambda x: [first(x)], lambda x: [[second(x)]])


def _sech2(x):
    return 1 - mp.tanh(x) ** 2


FUNCTIONS = {
    "exp": _unary(np.exp, mp.exp, mp.exp),
    "log": _unary(np.log, lambda x: 1 / x, lambda x: -1 / x**2),
    "tanh": _unary(np.tanh, _sech2, lambda x: -2 * mp.tanh(x) * _sech2(x)),
    "expit": _unary(
        special.expit, lambda x: _expit(x) * _expit(-x), lambda x: _expit(x) * _expit(-x) * (_expit(-x) - _expit(x))
    ),
    "erf": _unary(
        special.erf, lambda x: 2 / mp.sqrt(mp.pi) * mp.exp(-x * x), lambda x: -4 * x / mp.sqrt(mp.pi) * mp.exp(-x * x)
    ),
    "erfc": _unary(
        special.erfc, lambda x: -2 / mp.sqrt(mp.pi) * mp.exp(-x * x), lambda x: 4 * x / mp.sqrt(mp.pi) * mp.exp(-x * x)
    ),
    "gammaln": _unary(special.gammaln, mp.digamma, lambda x: mp.psi(1, x)),
    "digamma": _unary(special.digamma, lambda x: mp.psi(1, x), lambda x: mp.psi(2, x)),
    "expm1": _unary(np.expm1, mp.exp, mp.exp),
    "log1p": _unary(np.log1p, lambda x: 1 / (1 + x), lambda x: -1 / (1 + x) ** 2),
    # atan2(x, y) = arctan(x / y), the angle of the point (y, x)
    "atan2": Function(
        np.arctan2,
        lambda x, y: [y / (x * x + y * y), -x / (x * x + y * y)],
        lambda x, y: [
            [-2 * x * y / (x * x + y * y) ** 2, (x * x - y * y) / (x * x + y * y) ** 2],
            [(x * x - y * y) / (x * x + y * y) ** 2, 2 * x * y / (x * x + y * y) ** 2],
        ],
    ),
    "hypot": Function(
        np.hypot,
        lambda x, y: [x / mp.hypot(x, y), y / mp.hypot(x, y)],
        lambda x, y: [
            [y * y / mp.hypot(x, y) ** 3, -x * y / mp.hypot(x, y) ** 3],
            [-x * y / mp.hypot(x, y) ** 3, x * x / mp.hypot(x, y) ** 3],
        ],
    ),
    "pow": Function(
        np.power,
        lambda x, y: [y * x ** (y - 1), x**y * mp.log(x)],
        lambda x, y: [
            [y * (y - 1) * x ** (y - 2), x ** (y - 1) * (1 + y * mp.log(x))],
            [x ** (y - 1) * (1 + y * mp.log(x)), x**y * mp.log(x) ** 2],
        ],
    ),
}


class Must(Enum):
    JUDGE = "judge"  # an ordinary point or a tail: the oracle must judge, within its bound
    ABSTAIN = "abstain"  # in x: f is not finite at a step, or a kink or a pole lies within the steps
    EITHER = "either"  # within its bound where it judges


#: (function, point, what the oracle must do) at every order; the point gives x (and y)
SAMPLES = [
    ("exp", (0.5,), Must.JUDGE),
    ("exp", (-700.0,), Must.JUDGE),
    ("exp", (700.0,), Must.JUDGE),
    ("exp", (1e-300,), Must.JUDGE),
    ("exp", (1e200,), Must.ABSTAIN),  # exp(1e200) overflows
    ("log", (2.0,), Must.JUDGE),
    ("log", (1e200,), Must.JUDGE),
    ("log", (1e-5,), Must.JUDGE),
    ("log", (1e-300,), Must.ABSTAIN),  # its step (1e-3 of a unit, at the least) leaves the domain
    ("tanh", (0.3,), Must.JUDGE),
    ("tanh", (20.0,), Must.JUDGE),
    ("tanh", (-5.0,), Must.JUDGE),
    ("tanh", (1e-300,), Must.JUDGE),
    ("expit", (0.0,), Must.JUDGE),
    ("expit", (40.0,), Must.JUDGE),
    ("expit", (-40.0,), Must.JUDGE),
    ("expit", (1e200,), Must.JUDGE),
    ("expit", (1e-300,), Must.JUDGE),
    ("erf", (0.7,), Must.JUDGE),
    ("erf", (5.0,), Must.JUDGE),
    ("erf", (1e-300,), Must.JUDGE),
    ("erfc", (1.5,), Must.JUDGE),
    ("erfc", (10.0,), Must.JUDGE),
    ("erfc", (26.0,), Must.JUDGE),
    ("gammaln", (3.3,), Must.JUDGE),
    ("gammaln", (1e200,), Must.JUDGE),
    ("gammaln", (1e-8,), Must.ABSTAIN),  # its steps cross the pole at 0
    ("digamma", (2.5,), Must.JUDGE),
    ("digamma", (1e200,), Must.JUDGE),
    ("digamma", (-1 + 1e-6,), Must.ABSTAIN),  # its steps cross the pole at -1
    ("expm1", (0.5,), Must.JUDGE),
    ("expm1", (-100.0,), Must.JUDGE),
    ("expm1", (1e-300,), Must.JUDGE),
    ("log1p", (3.0,), Must.JUDGE),
    ("log1p", (1e-300,), Must.JUDGE),
    ("log1p", (-0.999,), Must.EITHER),
    ("atan2", (1.0, 2.0), Must.JUDGE),
    ("atan2", (1e200, 1.0), Must.JUDGE),
    ("atan2", (-3.0, 1e-300), Must.JUDGE),
    ("hypot", (3.0, 4.0), Must.JUDGE),
    ("hypot", (1e200, 1e200), Must.JUDGE),
    ("hypot", (1e-300, 1e-300), Must.ABSTAIN),  # the cone's tip within the steps: a kink to the oracle
    ("pow", (1.5, 2.5), Must.JUDGE),
    ("pow", (1e200, 2.0), Must.ABSTAIN),  # 1e400 overflows
    ("pow", (1e-300, 0.5), Must.ABSTAIN),  # sqrt's step leaves the domain
]
TANGENT = (0.75, -0.5)


def _at(point: tuple[float, ...]) -> dict[str, np.ndarray]:
    return {name: np.array(value) for name, value in zip(NAMES, point, strict=False)}


def _f(function: Function) -> Callable[[dict[str, np.ndarray]], np.ndarray]:
    return lambda env: function.numpy(*(env[name] for name in NAMES if name in env))


def _truths(function: Function, point: tuple[float, ...]) -> dict[str, list]:
    """The gradient, the directional derivative along TANGENT and H TANGENT, in mpmath."""
    args = [mpmath.mpf(v) for v in point]
    gradient, hessian = function.gradient(*args), function.hessian(*args)
    tangent = [mpmath.mpf(t) for t in TANGENT[: len(args)]]
    return {
        "gradient": gradient,
        "directional": [sum(g * t for g, t in zip(gradient, tangent, strict=True))],
        "hvp": [sum(h * t for h, t in zip(row, tangent, strict=True)) for row in hessian],
    }


def _estimates(function: Function, point: tuple[float, ...]) -> dict[str, list[oracle.Estimate]]:
    at, f = _at(point), _f(function)
    tangent = {name: np.array(t) for name, t in zip(NAMES, TANGENT[: len(point)], strict=False)}
    with np.errstate(all="ignore"):
        return {
            "gradient": list(oracle.differences(f, at).values()),
            "directional": [oracle.directional(f, at, tangent)],
            "hvp": list(oracle.hessian_vector(f, at, tangent).values()),
        }


@pytest.mark.parametrize(("name", "point", "must"), SAMPLES, ids=[f"{s[0]}{s[1]}" for s in SAMPLES])
def test_the_bound_covers_the_truth_or_the_oracle_abstains(name, point, must):
    function = FUNCTIONS[name]
    truths, estimates = _truths(function, point), _estimates(function, point)
    for order, found in estimates.items():
        for i, (estimate, truth) in enumerate(zip(found, truths[order], strict=True)):
            value, bound = float(estimate.estimate), float(estimate.bound)
            where = f"{order} {NAMES[i]}: estimate {value!r}, bound {bound!r}, truth {mpmath.nstr(truth, 17)}"
            abstains = np.isnan(value)
            assert abstains == np.isnan(bound) == bool(estimate.abstains), where
            if must == Must.JUDGE:
                assert not abstains, where
            if must == Must.ABSTAIN and order == "gradient" and i == 0:  # the other orders and y: abstaining or right
                assert abstains, where
            if not abstains:
                assert abs(mpmath.mpf(value) - truth) <= bound, where


def test_an_overflowing_f_is_not_finite_and_a_kink_does_not_converge():
    with np.errstate(all="ignore"):
        overflow = oracle.differences(lambda env: env["x"] ** 2, {"x": np.array(1e200)})["x"]
        kink = oracle.differences(lambda env: np.abs(env["x"] - 1), {"x": np.array(1 + 1e-9)})["x"]
    assert overflow.abstains == (Abstention.NOT_FINITE,) and np.isnan(overflow.estimate)
    # the first differences see the mean of the two slopes at every step and agree; the second grow as 1/step
    assert kink.abstains == (Abstention.NOT_CONVERGED,)


@pytest.mark.parametrize(
    ("f", "x"),
    [(special.i1e, 0.0), (lambda x: np.maximum(x - 1, 0) ** 2, 1.0)],
    ids=["i1e-at-0", "relu-squared-at-its-kink"],
)
def test_where_the_second_derivative_jumps_the_oracle_abstains(f, x):
    """D(k) then errs linearly in k, which Richardson's even powers do not model: i1e at 0 was 2.3e-7 off the truth,
    0.5, with a bound of 1.6e-8. The differences' changes halve as the step halves, where a smooth f's quarter."""
    found = oracle.differences(lambda env: f(env["x"]), {"x": np.array(x)})["x"]
    assert found.abstains == (Abstention.NOT_CONVERGED,)


def test_at_1e200_the_mixed_difference_does_not_overflow_its_step_product():
    """h k = 1e392 is above float64's range: formed, it made the estimate and its bound 0 (d^2/dx dy log(x) y =
    1 / x = 1e-200)."""
    at = {"x": np.array(1e200), "y": np.array(1e200)}
    found = oracle.hessian_vector(lambda env: np.log(env["x"]) * env["y"], at, {"x": np.array(0.0), "y": np.array(1.0)})
    assert abs(found["x"].estimate - 1e-200) <= found["x"].bound < 1e-203


@pytest.mark.parametrize(
    ("f", "at", "vector"),
    [
        (lambda env: np.abs(np.linalg.det(env["A"])), [[1.0, 2.0], [2.0, 4.0]], [[1.0, 0.5], [-0.3, 2.0]]),
        (
            lambda env: np.sum(np.linalg.svd(env["A"], compute_uv=False)),
            [[1.0, 2.0], [2.0, 4.0]],
            [[1.0, 0.5], [-0.3, 2.0]],
        ),
        (lambda env: np.sum(np.linalg.inv(env["A"])), [[1.0, 2.0], [2.0, 4.0 + 1e-10]], [[1.0, 0.5], [-0.3, 2.0]]),
    ],
    ids=["abs-det-singular", "nuclear-norm-rank-one", "inv-nearly-singular"],
)
def test_at_a_singular_matrix_the_hessian_vector_product_abstains(f, at, vector):
    """|det| and the nuclear norm have a kink at a singular matrix, inv a pole within the steps of a nearly
    singular one: the mixed differences grow as the steps shrink. (Before, each gave thousands with a bound of half
    its value.)"""
    found = oracle.hessian_vector(f, {"A": np.array(at)}, {"A": np.array(vector)})["A"]
    assert found.abstains == (Abstention.NOT_CONVERGED,) and np.isnan(found.estimate).all()


#: third derivatives in closed form, for the unary functions whose third order is tested
THIRD = {
    "exp": mp.exp,
    "log": lambda x: 2 / x**3,
    "expm1": mp.exp,
    "log1p": lambda x: 2 / (1 + x) ** 3,
    "tanh": lambda x: (6 * mp.tanh(x) ** 2 - 2) * _sech2(x),
    "expit": lambda x: _expit(x) * _expit(-x) * (1 - 6 * _expit(x) * _expit(-x)),
}


def _along_truth(name: str, point: tuple[float, ...], order: int) -> mpmath.mpf:
    """d^k/ds^k f(x + s t) at 0 in mpmath: t's gradient, t^T H t, or f''' t^3 (unary)."""
    function, args = FUNCTIONS[name], [mpmath.mpf(v) for v in point]
    tangent = [mpmath.mpf(t) for t in TANGENT[: len(args)]]
    if order == 1:
        return sum(g * t for g, t in zip(function.gradient(*args), tangent, strict=True))
    if order == 2:
        return sum(
            h * t * u
            for row, u in zip(function.hessian(*args), tangent, strict=True)
            for h, t in zip(row, tangent, strict=True)
        )
    return THIRD[name](args[0]) * tangent[0] ** 3


ALONG = [
    (name, point, must, order) for name, point, must in SAMPLES for order in (1, 2, 3) if order < 3 or (name in THIRD)
]


@pytest.mark.parametrize(("name", "point", "must", "order"), ALONG, ids=[f"{s[0]}{s[1]}-order{s[3]}" for s in ALONG])
def test_the_directional_derivative_of_any_order_is_within_its_bound_or_the_oracle_abstains(name, point, must, order):
    """`derivative_along` at every sample point and order 1 to 3 (third order for the unary functions with a closed
    form here): where it judges, the 50-digit truth is within its bound; where a sample must abstain (f not finite
    at a step, a pole or the cone's tip within the steps) it does, at every order; so it does where its steps' k-th
    power leaves float64's range (1e200 beyond the first order)."""
    at, tangent = _at(point), {n: np.array(t) for n, t in zip(NAMES, TANGENT[: len(point)], strict=False)}
    with np.errstate(all="ignore"):
        found = oracle.derivative_along(_f(FUNCTIONS[name]), at, tangent, order)
    value, bound, truth = float(found.estimate), float(found.bound), _along_truth(name, point, order)
    where = f"order {order}: estimate {value!r}, bound {bound!r}, truth {mpmath.nstr(truth, 17)}, {found.abstains}"
    abstains = np.isnan(value)
    assert abstains == np.isnan(bound) == bool(found.abstains), where
    if not abstains:
        assert abs(mpmath.mpf(value) - truth) <= bound, where
    if must == Must.ABSTAIN:
        assert abstains, where


@pytest.mark.parametrize("order", [2, 3])
def test_at_1e200_the_directional_steps_power_overflows_and_the_oracle_says_so(order):
    """h^k at 1e200 is above float64's range: divided by it, the differences read 0 with a bound of 0 (the truth,
    -1 / x^2 = -1e-400 at order 2, is no float64 either). It abstains, for that reason."""
    found = oracle.derivative_along(lambda env: np.log(env["x"]), {"x": np.array(1e200)}, {"x": np.array(1.0)}, order)
    assert found.abstains == (Abstention.OVERFLOW,) and np.isnan(found.estimate) and np.isnan(found.bound)


@pytest.mark.parametrize(
    ("f", "at", "vector"),
    [
        (lambda env: np.abs(np.linalg.det(env["A"])), [[1.0, 2.0], [2.0, 4.0]], [[1.0, 0.5], [-0.3, 2.0]]),
        (lambda env: np.sum(np.linalg.inv(env["A"])), [[1.0, 2.0], [2.0, 4.0 + 1e-10]], [[1.0, 0.5], [-0.3, 2.0]]),
    ],
    ids=["abs-det-singular", "inv-nearly-singular"],
)
@pytest.mark.parametrize("order", [1, 2, 3])
def test_at_a_singular_matrix_the_directional_derivative_abstains(f, at, vector, order):
    """|det| has a kink at a singular matrix, inv a pole within the steps of a nearly singular one: the differences
    grow as the step shrinks, and the oracle does not converge."""
    found = oracle.derivative_along(f, {"A": np.array(at)}, {"A": np.array(vector)}, order)
    assert found.abstains == (Abstention.NOT_CONVERGED,) and np.isnan(found.estimate)
