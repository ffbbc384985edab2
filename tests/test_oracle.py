import numpy as np

from conformance import oracle


def test_finite_differences_meet_their_bound():
    x = {"x": np.array([0.3, 1.7, -2.0]), "y": np.array(0.5)}
    f = lambda env: np.sum(np.sin(env["x"]) * np.exp(env["y"]))
    got = oracle.finite_differences(f, x)
    exact = {"x": np.cos(x["x"]) * np.exp(0.5), "y": np.sum(np.sin(x["x"])) * np.exp(0.5)}
    for name, (grad, bound) in got.items():
        assert np.all(np.abs(grad - exact[name]) <= bound), name
        assert np.all(bound < 1e-8), name  # and the bound is tight enough to be useful

