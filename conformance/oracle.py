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

from collections.abc import Callable

import numpy as np
from scipy import special

from conformance import spelling
from conformance.expr import Ops
from conformance.functions import FUNCTIONS

EPS = float(np.finfo(np.float64).eps)

#: the language in NumPy float64, compiled from each function's NumPy spelling (conformance/functions.py)
NUMPY = Ops({name: spelling.to_callable(f.numpy, f, {"np": np, "special": special}, "NumPy")
             for name, f in FUNCTIONS.items()},
            const=lambda v: np.float64(v), stack=lambda xs: np.stack([np.asarray(x, np.float64) for x in xs]))


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

            def shifted(step: float, x: np.ndarray = x, e: tuple = e, name: str = name) -> float:  # bound now
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


def directional(f: Callable[[dict[str, np.ndarray]], np.ndarray], at: dict[str, np.ndarray],
                tangent: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """The directional derivative J t of a (vector) f along `tangent`, by central differences.

    The same step rule and bound as `finite_differences`, with the step scaled by
    the largest |x| along the direction; returns (estimate, error bound), elementwise in f.
    """
    at = {k: np.asarray(v, np.float64) for k, v in at.items()}
    scale = max([1e-3] + [float(np.max(np.abs(at[k])[np.asarray(t) != 0], initial=0)) for k, t in tangent.items()])
    h = EPS ** (1 / 3) * scale

    def moved(step: float) -> np.ndarray:
        return np.asarray(f({k: v + step * np.asarray(tangent.get(k, 0.0), np.float64) for k, v in at.items()}),
                          np.float64)

    plus, minus = moved(h), moved(-h)
    d1 = (plus - minus) / (2 * h)
    d2 = (moved(2 * h) - moved(-2 * h)) / (4 * h)
    return d1, np.abs(d1 - d2) + 4 * EPS * np.maximum(np.abs(plus), np.abs(minus)) / h


def hessian_vector(f: Callable[[dict[str, np.ndarray]], float], at: dict[str, np.ndarray],
                   vector: dict[str, np.ndarray]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """H v of scalar f, per input: the mixed second difference along e_i and v.

    (Hv)_i ~ [f(x+h e_i+k v) - f(x+h e_i-k v) - f(x-h e_i+k v) + f(x-h e_i-k v)] / (4hk),
    with h, k = eps**(1/4) * scale (truncation O(h^2), rounding O(eps/(hk)) balance there);
    the bound is |D(h, k) - D(2h, 2k)| plus 4 eps max|f| / (hk).
    """
    at = {k: np.asarray(v, np.float64) for k, v in at.items()}
    vscale = max([1e-3] + [float(np.max(np.abs(at[k])[np.asarray(t) != 0], initial=0)) for k, t in vector.items()])

    def value(name: str, e: tuple, a: float, b: float) -> float:
        env = {k: np.asarray(v + b * np.asarray(vector.get(k, 0.0), np.float64)) for k, v in at.items()}
        moved = np.array(env[name], np.float64)
        moved[e] += a
        return float(f({**env, name: moved}))

    out = {}
    for name, x in at.items():
        grad, bound = np.zeros_like(x), np.zeros_like(x)
        for e in np.ndindex(x.shape):
            h, k = EPS ** 0.25 * max(abs(x[e]), 1e-3), EPS ** 0.25 * vscale

            def mixed(h: float, k: float, name: str = name, e: tuple = e) -> tuple[float, float]:  # bound now
                corners = [value(name, e, h, k), value(name, e, h, -k), value(name, e, -h, k), value(name, e, -h, -k)]
                return (corners[0] - corners[1] - corners[2] + corners[3]) / (4 * h * k), max(map(abs, corners))

            d1, top = mixed(h, k)
            d2, _ = mixed(2 * h, 2 * k)
            grad[e] = d1
            bound[e] = abs(d1 - d2) + 4 * EPS * top / (h * k)
        out[name] = (grad, bound)
    return out
