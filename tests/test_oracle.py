import numpy as np
import pytest
from scipy import special

from conformance import oracle


def test_finite_differences_meet_their_bound():
    x = {"x": np.array([0.3, 1.7, -2.0]), "y": np.array(0.5)}
    f = lambda env: np.sum(np.sin(env["x"]) * np.exp(env["y"]))
    got = oracle.finite_differences(f, x)
    exact = {"x": np.cos(x["x"]) * np.exp(0.5), "y": np.sum(np.sin(x["x"])) * np.exp(0.5)}
    for name, (grad, bound) in got.items():
        assert np.all(np.abs(grad - exact[name]) <= bound), name
        assert np.all(bound < 1e-11), name  # Richardson: tight enough to judge float64 to about 1e-11


@pytest.mark.parametrize(
    "at",
    [
        {"a": 0.1, "b": 1.0, "c": 0.1},  # the seed case: f's terms (0.3, 2, -2.3) cancel to -0.003, yet still round
        {"a": 1e6, "b": 1e-3, "c": 1e3},  # 3a's rounding hides 2b^2's change: the bound says so (it is wide)
        {"a": -2.0, "b": 0.5, "c": 1e-2},
    ],
)
def test_the_bound_holds_where_the_terms_of_f_cancel_or_differ_in_scale(at):
    inputs = {k: np.array(v) for k, v in at.items()}
    got = oracle.finite_differences(lambda env: 3 * env["a"] + 2 * env["b"] ** 2 + np.log(env["c"]), inputs)
    exact = {"a": 3.0, "b": 4 * at["b"], "c": 1 / at["c"]}
    for name, (grad, bound) in got.items():
        assert abs(grad - exact[name]) <= bound, (name, grad - exact[name], bound)
        if at["a"] < 1e3:
            assert bound <= 1e-10 * max(1.0, abs(exact[name])), name


def test_terms_of_f_the_step_leaves_alone_do_not_loosen_the_bound():
    """f returns its terms: a huge term of another element differences to exactly zero."""
    x = {"x": np.array([1.0, 1e12])}
    got, bound = oracle.finite_differences(lambda env: env["x"] ** 2, x)["x"]
    _, summed_bound = oracle.finite_differences(lambda env: np.sum(env["x"] ** 2), x)["x"]
    assert abs(got[0] - 2.0) <= bound[0] < 1e-11
    assert summed_bound[0] > 1e3 * bound[0]  # summed first, the 1e24 term's rounding swamps the first element's


def test_a_directional_derivative_meets_its_bound():
    at = {"x": np.array([0.3, 1.7]), "y": np.array(2.0)}
    tangent = {"x": np.array([1.0, -0.5]), "y": np.array(0.25)}
    found = oracle.directional(lambda env: np.exp(env["x"]) * env["y"] ** 3, at, tangent)
    value, bound = found.estimate, found.bound
    exact = np.exp(at["x"]) * tangent["x"] * 8 + np.exp(at["x"]) * 3 * 4 * 0.25
    assert np.all(np.abs(value - exact) <= bound) and np.all(bound < 1e-10)


@pytest.mark.parametrize(
    ("f", "derivative", "draw"),
    [
        (np.log, lambda x: 1 / x, lambda r: np.exp(r.uniform(-8, 8))),
        (np.sin, np.cos, lambda r: r.uniform(-50, 50)),
        (np.exp, np.exp, lambda r: r.uniform(-20, 20)),
        (special.gammaln, special.digamma, lambda r: np.exp(r.uniform(-3, 4))),
        (special.erf, lambda x: 2 / np.sqrt(np.pi) * np.exp(-x * x), lambda r: r.uniform(-4, 4)),
        (lambda x: x**3 - 3 * x, lambda x: 3 * x * x - 3, lambda r: r.uniform(-3, 3)),  # cancels near x = 0, 1.7
    ],
    ids=["log", "sin", "exp", "gammaln", "erf", "x^3-3x"],
)
def test_the_bound_holds_at_random_points(f, derivative, draw):
    """The rounding allowance (4 noise / h) is measured, not guessed: the error stays inside it everywhere."""
    rng = np.random.default_rng(0)
    for _ in range(300):
        x = np.array(draw(rng))
        grad, bound = oracle.finite_differences(lambda env: f(env["x"]), {"x": x})["x"]
        assert abs(grad - derivative(x)) <= bound, (x, grad - derivative(x), bound)


def test_the_terms_a_gradient_sums_are_measured():
    """An elementwise function sums one term per element, |f'(x)| itself; terms that cancel still count."""
    sines = oracle.differences(lambda env: np.sin(env["x"]), {"x": np.array([0.5, 2.0])})["x"]
    np.testing.assert_allclose(sines.terms, np.abs(np.cos([0.5, 2.0])), rtol=1e-6)
    cancelled = oracle.differences(lambda env: np.array([3 * env["x"][0], -3 * env["x"][0]]), {"x": np.array([1.0])})
    assert cancelled["x"].estimate == 0 and cancelled["x"].count == 2
    np.testing.assert_allclose(cancelled["x"].terms, [6.0])


def test_a_complex_functions_directional_bound_is_real():
    """Along a complex tangent the estimate is complex, its bound a real size (it was complex, with a zero imaginary
    part, which the report cannot hold)."""
    found = oracle.directional(
        lambda env: np.exp(env["z"]), {"z": np.array([0.3 + 0.4j, -1.0j])}, {"z": np.array([1.0 + 1.0j, 0.5])}
    )
    assert np.iscomplexobj(found.estimate) and not np.iscomplexobj(found.bound)
    exact = np.exp([0.3 + 0.4j, -1.0j]) * np.array([1.0 + 1.0j, 0.5])
    assert np.all(np.abs(found.estimate - exact) <= found.bound)
