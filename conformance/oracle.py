"""The oracle: the expression language in NumPy float64, and finite differences with Richardson extrapolation.

It shares no code path with any framework. First derivatives, for each input
element e (or along a tangent), with step h = eps**(1/5) * max(|x_e|, 1e-3)
(eps = 2**-52), from central differences at h, 2h and 4h:

    D(k)  = (f(x + k) - f(x - k)) / (2k)       error c2 k**2 + c4 k**4 + c6 k**6 ...
    R(k)  = (4 D(k) - D(2k)) / 3                error O(k**4): the k**2 term cancels
    best  = (16 R(h) - R(2h)) / 15              error O(h**6): the h**4 term cancels too
    bound = |best - R(h)| + 4 * noise / h

|best - R(h)| is R(h)'s truncation error to leading order, so it over-estimates
best's, which is smaller by a factor of order h**2 (Richardson's table, as
scipy.differentiate estimates its error). `noise` bounds the error of
evaluating f: eps times the magnitude of the outputs the steps changed
(outputs they leave alone difference to exactly zero, so a large unrelated term
of f does not inflate it; where no output changed at all, every output counts,
since the change may be below their resolution), and at least eps |x f'(x)|, since terms that cancel in f's
value still round. Two evaluations that each round by eps/2 of their magnitude put an error of eps |f| / (2k)
in D(k); best's weights (64 D(h) - 20 D(2h) + D(4h)) / 45 multiply that by 0.83 / h. The factor 4 allows
several roundings per evaluation, and a sum whose terms cancel (its magnitude understates their rounding): a
factor 2 left sin(x) exp(y) summed over three x outside its bound, and single functions (log to gammaln, 30,000
random points) within 0.5 of the bound at 4, 0.8 at 2 (tests/test_oracle.py checks a sample). A function a vjp
or grad case differentiates is handed over as the elements of its weighted sum (kinds/function.py), so a step
pays only for the elements it moves. (Differencing each summand of the expression apart, `3a`, `2b^2` and
`log(c)`, was tried and dropped: 1.5x the cost, and a looser largest bound on the seed cases, 3.0e-11 against
2.4e-11, since log(0.1)'s own rounding then counts where the sum cancels it.)
The step balances truncation against rounding (eps/h): for smooth
functions the bound is about eps**(4/5) ~ 3e-13 relative to the function's
scale, at six evaluations per element, against four for the plain central
difference with its D(2h) check, whose bound is about eps**(2/3) ~ 4e-11.

Complex inputs (complex128): the gradient of a real loss L(z) is dL/dx + i dL/dy
(z = x + iy; the direction of steepest ascent), each part differenced along its
own direction (x moved by h, then y by h), the bound the sum of the two bounds.
Along a complex tangent the directional derivative is differenced as it stands.
"""
from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import special

from conformance import spelling
from conformance.expr import Ops
from conformance.functions import FUNCTIONS
from conformance.tolerance import numeric

EPS = float(np.finfo(np.float64).eps)

#: the language in NumPy float64, compiled from each function's NumPy spelling (conformance/functions.py)
NUMPY = Ops({name: spelling.to_callable(f.numpy, f, {"np": np, "special": special}, "NumPy")
             for name, f in FUNCTIONS.items()},
            const=lambda v: np.complex128(v) if isinstance(v, complex) else np.float64(v),
            stack=lambda xs: np.stack([numeric(x) for x in xs]) if xs else np.empty(0))


def evaluate(expression, env: dict | None = None) -> np.ndarray:
    """An expression's value in float64, or complex128 where it is complex; NumPy's warnings (the mean of
    nothing, log 0) are silenced, as its value says what happened."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return numeric(expression.evaluate(env or {}, NUMPY))


@dataclass(frozen=True)
class Differences:
    """One input's gradient of sum(f) by finite differences (f may return the terms of its sum)."""

    estimate: np.ndarray
    bound: np.ndarray
    #: per element, sum_i |d f_i / dx|: the size of the terms a framework's gradient sums, where they cancel the
    #: scale of its rounding (kinds.zero_tolerance); an elementwise f has one term, |f'(x)| itself
    terms: np.ndarray
    #: how many terms f sums
    count: int


def finite_differences(f: Callable[[dict[str, np.ndarray]], np.ndarray | float],
                       at: dict[str, np.ndarray]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Gradient of sum(f) at `at` (f may return the terms of its sum): name -> (estimate, error bound)."""
    return {name: (d.estimate, d.bound) for name, d in differences(f, at).items()}


def differences(f: Callable[[dict[str, np.ndarray]], np.ndarray | float],
                at: dict[str, np.ndarray]) -> dict[str, Differences]:
    """Gradient of sum(f) at `at`, with its bound and the size of the terms it sums (`Differences`)."""
    out = {}
    count = int(np.size(f(at)))
    for name, x in at.items():
        x = numeric(x)
        grad, bound, terms = np.zeros_like(x), np.zeros(x.shape), np.zeros(x.shape)
        # a complex element is moved along 1 and along i: the two parts of dL/dx + i dL/dy
        directions = (1.0, 1j) if np.iscomplexobj(x) else (1.0,)
        for e in np.ndindex(x.shape):
            for direction in directions:
                def moved(step: float, x: np.ndarray = x, e: tuple = e, name: str = name,
                          direction: complex = direction) -> np.ndarray:  # bound now
                    shifted = x.copy()
                    shifted[e] += step * direction
                    return np.asarray(f({**at, name: shifted}), np.float64)

                d, b, size = _richardson(moved, max(float(abs(x[e])), 1e-3), np.sum)
                grad[e] += d * direction
                bound[e] += b
                terms[e] += size
        out[name] = Differences(grad, bound, terms, count)
    return out


def directional(f: Callable[[dict[str, np.ndarray]], np.ndarray], at: dict[str, np.ndarray],
                tangent: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """The directional derivative J t of a (vector) f along `tangent`: (estimate, error bound), elementwise in f.

    The same scheme and bound as `finite_differences`, with the step scaled by the largest |x| along the direction.
    """
    at = {k: numeric(v) for k, v in at.items()}
    scale = max([1e-3] + [float(np.max(np.abs(at[k])[np.asarray(t) != 0], initial=0)) for k, t in tangent.items()])

    def moved(step: float) -> np.ndarray:
        return numeric(f({k: v + step * numeric(tangent.get(k, 0.0)) for k, v in at.items()}))

    best, bound, _ = _richardson(moved, scale, lambda difference: difference)
    return best, bound


def _richardson(moved: Callable[[float], np.ndarray], scale: float,
                total: Callable[[np.ndarray], np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The extrapolated derivative, its bound (module docstring) and the size of the outputs' own derivatives,
    total(|D(h)| of each output), from f moved by +-h, +-2h, +-4h, h = eps**(1/5) * scale; `total` reduces the
    differences of f's outputs (np.sum for a gradient, the identity along a tangent)."""
    h = EPS ** 0.2 * scale
    values = [(moved(k), moved(-k)) for k in (h, 2 * h, 4 * h)]
    d = [total(plus - minus) / (2 * k) for k, (plus, minus) in zip((h, 2 * h, 4 * h), values, strict=True)]
    # the outputs the step moves; if none moved at all, the change may be below their resolution: all of them
    moved_any = np.logical_or.reduce([plus != minus for plus, minus in values])
    affected = moved_any if np.any(moved_any) else np.ones_like(moved_any)
    magnitude = total(np.where(affected, np.max([np.abs(v) for pair in values[:2] for v in pair], axis=0), 0.0))
    r1, r2 = (4 * d[0] - d[1]) / 3, (4 * d[1] - d[2]) / 3
    best = (16 * r1 - r2) / 15
    # f's terms that cancel in its value still round: no estimate is trusted beyond eps times |x f'(x)|
    noise = EPS * np.maximum(magnitude, scale * np.abs(best))
    return best, np.abs(best - r1) + 4 * noise / h, total(np.abs(values[0][0] - values[0][1])) / (2 * h)


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


#: central differences of order k, offset (in steps) -> weight; each errs by c2 h^2 + c4 h^4 + ... (even powers)
STENCILS: dict[int, dict[int, float]] = {1: {1: 0.5, -1: -0.5}, 2: {1: 1.0, 0: -2.0, -1: 1.0},
                                         3: {2: 0.5, 1: -1.0, -1: 1.0, -2: -0.5}}


@dataclass(frozen=True)
class Along:
    """d^k/ds^k f(x + s v) at s = 0, elementwise in f, with its error bound."""

    estimate: np.ndarray
    bound: np.ndarray
    #: the largest of |f| and |d^j/ds^j f| for j <= k, elementwise: the size of the terms an AD computation of the
    #: derivative sums, which is the scale of its rounding where the math cancels to zero (kinds.zero_tolerance)
    terms: np.ndarray


def derivative_along(f: Callable[[dict[str, np.ndarray]], np.ndarray], at: dict[str, np.ndarray],
                     direction: dict[str, np.ndarray], order: int) -> Along:
    """The order-k derivative of the one-variable p(s) = f(at + s direction) at 0 (k = 1, 2, 3; f real-valued, the
    inputs real or complex, s real), by Richardson extrapolation of a central difference D(h) (STENCILS):

        R(h) = (4 D(h) - D(2h)) / 3,  best = (16 R(h) - R(2h)) / 15,  bound = |best - R(h)| + 4 rounding

    as `finite_differences` does for k = 1. |best - R(h)| is R(h)'s truncation error to leading order, O(h^4), an
    over-estimate of best's; `rounding` bounds what eps does: each evaluation of p rounds by eps times its size
    (at least eps |x| / |v| times |p'|, as the shifted input rounds too), which D(h) weights by sum |w| / h^k and
    best by (64 + 20 / 2^k + 1 / 4^k) / 45. The step balances the two, h = eps^(1 / (4 + k)) times the scale of s:
    the smallest non-zero |x| along the direction over the largest |v|. (The largest |x| steps past a small
    element's pole, or out of the range where |best - R(h)| measures the truncation: its bound was not honest; taking
    per element whichever of the two steps bounds less was not honest either. The price: where |x| spreads, the
    bound of a third derivative is loose, as tests/kinds/test_directional.py measures.)
    """
    at = {k: numeric(v) for k, v in at.items()}
    v = {k: numeric(direction.get(k, 0.0)) for k in at}
    spread = max([float(np.max(np.abs(t), initial=0.0)) for t in v.values()])
    moved = np.concatenate([np.abs(at[k])[np.broadcast_to(t, np.shape(at[k])) != 0].ravel() for k, t in v.items()])
    moved = moved[moved > 0]
    # the shifted input rounds by eps |x|: in s, by up to eps max|x| / min|v| (v's smallest non-zero element)
    least = min(float(np.min(np.abs(t)[t != 0], initial=np.inf)) for t in map(np.atleast_1d, v.values()))
    shaky = float(np.max(moved, initial=0.0)) / least
    reach = float(np.min(moved)) if moved.size else 0.0
    return _along(f, at, v, order, EPS ** (1.0 / (4 + order)) * max(reach, 1e-3) / max(spread, EPS), shaky)


def _along(f: Callable[[dict[str, np.ndarray]], np.ndarray], at: dict[str, np.ndarray], v: dict[str, np.ndarray],
           order: int, h: float, shaky: float) -> Along:
    """`derivative_along` with step h; `shaky`: how far s moves per unit of rounding in the inputs."""
    cache: dict[int, np.ndarray] = {}

    def p(i: int) -> np.ndarray:  # p at s = i h
        if i not in cache:
            cache[i] = np.real(numeric(f({k: x + (i * h) * v[k] for k, x in at.items()})))
        return cache[i]

    def stencil(k: int, m: int) -> np.ndarray:
        return np.asarray(sum(w * p(i * m) for i, w in STENCILS[k].items()) / (m * h) ** k)

    d = [stencil(order, m) for m in (1, 2, 4)]
    r1, r2 = (4 * d[0] - d[1]) / 3, (4 * d[1] - d[2]) / 3
    best = (16 * r1 - r2) / 15
    size = np.max([np.abs(value) for value in cache.values()], axis=0)
    noise = EPS * np.maximum(size, shaky * np.abs(stencil(1, 1)))
    weight = sum(map(abs, STENCILS[order].values())) * (64 + 20 / 2 ** order + 1 / 4 ** order) / 45
    bound = np.abs(best - r1) + 4 * weight * noise / h ** order
    terms = np.max([size, *(np.abs(stencil(k, 1)) for k in range(1, order + 1))], axis=0)
    return Along(best, bound, terms)
