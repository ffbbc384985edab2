"""The oracle: the expression language in NumPy float64, and central finite differences.

It shares no code path with any framework. Finite differences, for each input
element e, with step h = eps**(1/3) * max(|x_e|, 1e-3) (eps = 2**-52), which
balances truncation (O(h**2)) against rounding (O(eps/h)) and scales with x
(the floor keeps the step usable at x = 0):

    D(h)  = (f(x + h) - f(x - h)) / (2h)
    bound = |D(h) - D(2h)| + 4 * eps * max(|f(x + h)|, |f(x - h)|) / h

|D(h) - D(2h)| is three times the leading truncation term of D(h), so it
over-estimates that error; the second term bounds rounding in the two
evaluations and the division. For smooth functions the bound is about
eps**(2/3) ~ 4e-11 relative to the function's scale.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
from scipy import special

from conformance.expr import Ops, ops_from_namespace

EPS = float(np.finfo(np.float64).eps)

NUMPY = ops_from_namespace(np, {
    "atanh": "arctanh", "sigmoid": special.expit, "softplus": lambda x: np.logaddexp(0.0, x),
    "transpose": lambda x: np.swapaxes(x, -1, -2),
}, const=lambda v: np.float64(v), stack=lambda xs: np.stack([np.asarray(x, np.float64) for x in xs]))


def evaluate(expression, env: dict | None = None) -> np.ndarray:
    """An expression's value in float64."""
    return np.asarray(expression.evaluate(env or {}, NUMPY), dtype=np.float64)


def finite_differences(f: Callable[[dict[str, np.ndarray]], float],
                       at: dict[str, np.ndarray]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Gradient of scalar f at `at` by central differences: name -> (estimate, error bound)."""
    out = {}
    for name, x in at.items():
        x = np.asarray(x, np.float64)
        grad, bound = np.zeros_like(x), np.zeros_like(x)
        for e in np.ndindex(x.shape):
            h = EPS ** (1 / 3) * max(abs(x[e]), 1e-3)

            def shifted(step: float) -> float:
                moved = x.copy()
                moved[e] += step
                return float(f({**at, name: moved}))

            plus, minus = shifted(h), shifted(-h)
            d1 = (plus - minus) / (2 * h)
            d2 = (shifted(2 * h) - shifted(-2 * h)) / (4 * h)
            grad[e] = d1
            bound[e] = abs(d1 - d2) + 4 * EPS * max(abs(plus), abs(minus)) / h
        out[name] = (grad, bound)
    return out
