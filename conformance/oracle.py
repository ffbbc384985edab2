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
The bound holds where the model D(k) = f' + c2 k**2 + ... does; where it cannot be trusted the oracle abstains
instead, elementwise and typed (`Estimate.abstains`, vocabulary.Abstention): f not finite at a step (a pole,
outside the domain, overflow), differences that overflow, and differences that do not converge as the step shrinks
(`_converging`, on D and on the second differences S(k), which show a kink within the steps that D hides). The
verdict then judges those elements by the case's stated math alone. tests/test_oracle_truth.py holds the bound
against closed-form derivatives in 50-digit mpmath, at ordinary points, tails, poles, 1e200 and 1e-300, for the
first, directional and second (Hessian-vector) derivatives.
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
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
from scipy import special

from conformance import spelling
from conformance.expr import Ops
from conformance.functions import FUNCTIONS
from conformance.tolerance import ROUNDINGS, numeric
from conformance.vocabulary import Abstention

EPS = float(np.finfo(np.float64).eps)

#: the language in NumPy float64, compiled from each function's NumPy spelling (conformance/functions.py)
NUMPY = Ops(
    {name: spelling.to_callable(f.numpy, f, {"np": np, "special": special}, "NumPy") for name, f in FUNCTIONS.items()},
    const=lambda v: np.complex128(v) if isinstance(v, complex) else np.float64(v),
    stack=lambda xs: np.stack([numeric(x) for x in xs]) if xs else np.empty(0),
)


def evaluate(expression, env: dict | None = None) -> np.ndarray:
    """An expression's value in float64, or complex128 where it is complex; NumPy's warnings (the mean of
    nothing, log 0) are silenced, as its value says what happened."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return numeric(expression.evaluate(env or {}, NUMPY))


@dataclass(frozen=True)
class Estimate:
    """A derivative by finite differences and its error bound, elementwise; NaN in both where the oracle abstains,
    `abstains` saying why (empty: it judges every element)."""

    estimate: np.ndarray
    bound: np.ndarray
    abstains: tuple[Abstention, ...] = ()


@dataclass(frozen=True)
class Differences(Estimate):
    """One input's gradient of sum(f) by finite differences (f may return the terms of its sum)."""

    #: per element, sum_i |d f_i / dx|: the size of the terms a framework's gradient sums, where they cancel the
    #: scale of its rounding (kinds.zero_tolerance); an elementwise f has one term, |f'(x)| itself
    terms: np.ndarray = field(default_factory=lambda: np.zeros(()))
    #: how many terms f sums
    count: int = 1


def finite_differences(
    f: Callable[[dict[str, np.ndarray]], np.ndarray | float], at: dict[str, np.ndarray]
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Gradient of sum(f) at `at` (f may return the terms of its sum): name -> (estimate, error bound), both NaN
    where the oracle abstains (`differences` says why)."""
    return {name: (d.estimate, d.bound) for name, d in differences(f, at).items()}


def differences(
    f: Callable[[dict[str, np.ndarray]], np.ndarray | float], at: dict[str, np.ndarray], normwise_size: int = 0
) -> dict[str, Differences]:
    """Gradient of sum(f) at `at`, with its bound, the size of the terms it sums and where it abstains
    (`Differences`).

    `normwise_size`: where f goes through a factorization accurate normwise only (expr.normwise_size, the m n of
    its largest matrix), NumPy's evaluation of f is exact only for an input moved by about ROUNDINGS m n eps
    max|x| in any element (conformance/tolerance.py), which moves f by up to that times max|gradient|, not eps |f|:
    each element's bound allows 4 such roundings over its step, as it allows 4 noise / h (an SVD's f, rounded so,
    put an element with a short step at 1.05 of the bound without it)."""
    with np.errstate(all="ignore"):  # a NaN or an inf says what happened
        centre = np.asarray(f(at), np.float64)
        return {name: _gradient(f, at, name, numeric(x), centre, normwise_size) for name, x in at.items()}


def _gradient(
    f: Callable[[dict[str, np.ndarray]], np.ndarray | float],
    at: dict[str, np.ndarray],
    name: str,
    x: np.ndarray,
    centre: np.ndarray,
    normwise_size: int,
) -> Differences:
    """One input's `Differences` (see `differences`); `centre` is f at `at`."""
    grad, bound, terms = np.zeros_like(x), np.zeros(x.shape), np.zeros(x.shape)
    why = np.zeros(x.shape, int)
    # a complex element is moved along 1 and along i: the two parts of dL/dx + i dL/dy
    directions = (1.0, 1j) if np.iscomplexobj(x) else (1.0,)
    for e in np.ndindex(x.shape):
        for direction in directions:

            def moved(step: float, e: tuple = e, direction: complex = direction) -> np.ndarray:  # bound now
                shifted = x.copy()
                shifted[e] += step * direction
                return np.asarray(f({**at, name: shifted}), np.float64)

            found = _richardson(moved, max(float(abs(x[e])), 1e-3), _summed, centre)
            grad[e] += found.best * direction
            bound[e] += found.bound
            terms[e] += found.terms
            why[e] = why[e] or found.why
    if normwise_size:
        rounding = ROUNDINGS * normwise_size * EPS * np.max(np.abs(x), initial=0.0) * np.max(np.abs(grad))
        bound = bound + 4 * rounding / (EPS**0.2 * np.maximum(np.abs(x), 1e-3))
    estimate, bound, abstains = _abstain(grad, bound, why)
    return Differences(estimate, bound, abstains, terms, int(np.size(centre)))


def directional(
    f: Callable[[dict[str, np.ndarray]], np.ndarray], at: dict[str, np.ndarray], tangent: dict[str, np.ndarray]
) -> Estimate:
    """The directional derivative J t of a (vector) f along `tangent`, elementwise in f, with its bound.

    The same scheme, bound and abstentions as `differences`, with the step scaled by the largest |x| along the
    direction.
    """
    at = {k: numeric(v) for k, v in at.items()}
    scale = max([1e-3] + [float(np.max(np.abs(at[k])[np.asarray(t) != 0], initial=0)) for k, t in tangent.items()])

    def moved(step: float) -> np.ndarray:
        return numeric(f({k: v + step * numeric(tangent.get(k, 0.0)) for k, v in at.items()}))

    with np.errstate(all="ignore"):
        found = _richardson(moved, scale, lambda stack: stack, moved(0.0))
    return Estimate(*_abstain(found.best, found.bound, found.why))


#: an abstention's code in the oracle's arrays: 0 where it judges, i + 1 for the i-th reason (the first found wins)
_REASONS: tuple[Abstention, ...] = tuple(Abstention)
#: the smallest float64 step: a subnormal value rounds by it, not by eps of itself
TINY = 2.0**-1074


class _Found(NamedTuple):
    best: np.ndarray
    bound: np.ndarray
    terms: np.ndarray
    #: per element, the abstention's code (_REASONS)
    why: np.ndarray


def _code(reason: Abstention) -> int:
    return _REASONS.index(reason) + 1


def _abstain(
    estimate: np.ndarray, bound: np.ndarray, why: np.ndarray
) -> tuple[np.ndarray, np.ndarray, tuple[Abstention, ...]]:
    """The estimate and bound with NaN where the oracle abstains, and the reasons found (in _REASONS' order)."""
    why = np.asarray(why)
    if not why.any():
        return estimate, bound, ()
    out = np.where(why == 0, estimate, np.nan), np.where(why == 0, bound, np.nan)
    return out[0], out[1], tuple(_REASONS[c - 1] for c in sorted(set(why[why > 0].tolist())))


#: how much of the change between steps 2h and 4h the change between h and 2h may keep: a smooth f's differences
#: keep a quarter (a k^2 leads) to a sixteenth (b k^4); an error linear in k (a jump of f'' at the point: i1e at 0,
#: relu(x)^2 at 0) keeps a half; a step near f's own scale keeps up to 0.4 (logsumexp at 1000: its step is 0.74)
KEEPS = 0.45


def _converging(differences: np.ndarray, noise: np.ndarray) -> np.ndarray:
    """Whether a sequence at steps h, 2h, 4h (the first axis of `differences`) follows the model of a smooth
    function's differences, A(k) = A + a k^2 + b k^4: the change between h and 2h at most KEEPS of that between 2h
    and 4h, beyond `noise`, the rounding of a change. A kink, a jump or a pole within the steps breaks it: the
    change then grows as the step shrinks (as 1/k at a kink), or halves only (i1e at 0 left the estimate 2e-7 off,
    14 times its bound)."""
    near, far = differences[0] - differences[1], differences[1] - differences[2]
    return np.abs(near) <= KEEPS * np.abs(far) + noise


def _richardson(
    moved: Callable[[float], np.ndarray], scale: float, rows: Callable[[np.ndarray], np.ndarray], centre: np.ndarray
) -> _Found:
    """The extrapolated derivative, its bound (module docstring), the size of the outputs' own derivatives,
    total |D(h)| of each output, and where it abstains, from f moved by +-h, +-2h, +-4h, h = eps**(1/5) * scale;
    `rows` reduces each row of a stack of f's outputs (`_SUMMED` for a gradient, the identity along a tangent), once
    for all; `centre` is f unmoved; the caller silences NumPy's warnings (a NaN or an inf says what happened).

    It abstains where f is not finite at a step or at the centre, where the differences overflow, and where either
    the first differences D(k) or the second differences S(k) = (f(x + k) - 2 f(x) + f(x - k)) / k**2 do not
    converge (`_converging`): D(k) alone can hide a kink within the steps (it sees the mean of the two slopes, at
    every step), S(k) then grows as 1/k."""
    h = EPS**0.2 * scale
    # NumPy's methods rather than its functions (np.any, np.max): their dispatch is a third of this function's time
    plus, minus = np.array([moved(k) for k in (h, 2 * h, 4 * h)]), np.array([moved(-k) for k in (h, 2 * h, 4 * h)])
    # the outputs the step moves; if none moved at all, the change may be below their resolution: all of them
    moved_any = (plus != minus).any(axis=0)
    affected = moved_any if moved_any.any() else np.ones_like(moved_any)
    size = np.where(affected, np.abs(np.concatenate([plus[:2], minus[:2]])).max(axis=0), 0.0)
    summed = rows(np.concatenate([plus - minus, plus - 2 * centre + minus, size[None], np.abs(plus[:1] - minus[:1])]))
    steps = np.array([h, 2 * h, 4 * h]).reshape((3,) + (1,) * (summed.ndim - 1))
    # sizes are real, though a complex f's differences make the stack complex: its bound must be real
    d, s, magnitude = summed[:3] / (2 * steps), summed[3:6] / steps / steps, np.real(summed[6])
    r1, r2 = (4 * d[0] - d[1]) / 3, (4 * d[1] - d[2]) / 3
    best = (16 * r1 - r2) / 15
    # f's terms that cancel in its value still round: no estimate is trusted beyond eps times |x f'(x)|; a
    # subnormal value rounds by TINY
    noise = EPS * np.maximum(magnitude, scale * np.abs(best)) + TINY
    bound = np.abs(best - r1) + 4 * noise / h + TINY  # no float64 is nearer than TINY to a truth between two
    # the rounding of a change of D (of S): 4 noise / h, as the bound allows, and 16 noise / h**2 for S's four
    # terms divided by k**2
    smooth = _converging(d, 4 * noise / h) & _converging(s, 16 * noise / h / h)
    # a value that is not finite reaches best (through D) or S (with the centre): only then is there more to say
    finite = np.isfinite(best) & np.isfinite(bound) & np.isfinite(s[0] + s[1] + s[2])
    why = np.where(smooth, 0, _code(Abstention.NOT_CONVERGED))
    if not finite.all():
        blind = np.concatenate([~np.isfinite(plus), ~np.isfinite(minus), (~np.isfinite(centre) & affected)[None]])
        infinite = np.any(rows(blind.astype(float)) > 0, axis=0)
        why = np.where(infinite, _code(Abstention.NOT_FINITE), np.where(finite, why, _code(Abstention.OVERFLOW)))
    return _Found(best, bound, np.real(summed[7]) / (2 * h), why)


def _summed(stack: np.ndarray) -> np.ndarray:
    """Each row of a stack of f's outputs summed: a gradient of sum(f)."""
    return stack.reshape(len(stack), -1).sum(axis=1)


def hessian_vector(
    f: Callable[[dict[str, np.ndarray]], np.ndarray | float], at: dict[str, np.ndarray], vector: dict[str, np.ndarray]
) -> dict[str, Estimate]:
    """H v of scalar f, per input: the mixed second difference along e_i and v, extrapolated.

    M(h, k) = [f(x+h e_i+k v) - f(x+h e_i-k v) - f(x-h e_i+k v) + f(x-h e_i-k v)] / (4hk) is (Hv)_i + O(h^2 + k^2)
    (the terms in h^2 and k^2 alike scale by 4 when both steps double), with h, k = eps**(1/4) * scale (truncation
    and rounding, eps / (hk), balance there). At steps (h, k), (2h, 2k) and (4h, 4k) it is extrapolated as the first
    derivatives are, best = (64 M1 - 20 M2 + M4) / 45 with bound |best - R1| (R1 = (4 M1 - M2) / 3, whose truncation
    over-estimates best's) plus 4 noise / (hk), noise = eps max(|f| at the corners, h k |best|) (a cancelled f still
    rounds). The oracle abstains where a corner is not finite, where the differences overflow (h k is never formed:
    at 1e200 it is above float64's range), and where M does not converge as the steps shrink (`_converging`: a kink
    of the gradient, a singular matrix within the steps).
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
        grad, bound, why = np.zeros_like(x), np.zeros_like(x), np.zeros(x.shape, int)
        for e in np.ndindex(x.shape):
            h, k = EPS**0.25 * max(abs(x[e]), 1e-3), EPS**0.25 * vscale

            def mixed(c: float, h: float = h, k: float = k, name: str = name, e: tuple = e) -> tuple[float, float]:
                corners = [
                    value(name, e, c * h, c * k),
                    value(name, e, c * h, -c * k),
                    value(name, e, -c * h, c * k),
                    value(name, e, -c * h, -c * k),
                ]
                difference = (corners[0] - corners[1]) / (2 * c * k) - (corners[2] - corners[3]) / (2 * c * k)
                return difference / (2 * c * h), max(map(abs, corners))

            with np.errstate(all="ignore"):
                (m1, top), (m2, _), (m4, _) = mixed(1.0), mixed(2.0), mixed(4.0)
                r1, best = (4 * m1 - m2) / 3, (64 * m1 - 20 * m2 + m4) / 45
                # M's rounding, noise / (hk) with h k never formed
                rounding = EPS * top / h / k + EPS * abs(best) + TINY / h / k
                grad[e] = best
                bound[e] = abs(best - r1) + 4 * rounding + TINY
                smooth = bool(_converging(np.array([m1, m2, m4]), np.asarray(8 * rounding)))
            why[e] = (
                _code(Abstention.NOT_FINITE)
                if not np.isfinite(top)
                else _code(Abstention.OVERFLOW)
                if not (np.isfinite(best) and np.isfinite(bound[e]))
                else 0
                if smooth
                else _code(Abstention.NOT_CONVERGED)
            )
        out[name] = Estimate(*_abstain(grad, bound, why))
    return out


#: central differences of order k, offset (in steps) -> weight; each errs by c2 h^2 + c4 h^4 + ... (even powers)
STENCILS: dict[int, dict[int, float]] = {
    1: {1: 0.5, -1: -0.5},
    2: {1: 1.0, 0: -2.0, -1: 1.0},
    3: {2: 0.5, 1: -1.0, -1: 1.0, -2: -0.5},
    4: {2: 1.0, 1: -4.0, 0: 6.0, -1: -4.0, -2: 1.0},
}


@dataclass(frozen=True)
class Along(Estimate):
    """d^k/ds^k f(x + s v) at s = 0, elementwise in f, with its error bound; NaN in both where it abstains."""

    #: the largest of |f| and |d^j/ds^j f| for j <= k, elementwise: the size of the terms an AD computation of the
    #: derivative sums, which is the scale of its rounding where the math cancels to zero (kinds.zero_tolerance)
    terms: np.ndarray = field(default_factory=lambda: np.zeros(()))


def derivative_along(
    f: Callable[[dict[str, np.ndarray]], np.ndarray],
    at: dict[str, np.ndarray],
    direction: dict[str, np.ndarray],
    order: int,
) -> Along:
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

    It abstains (`Estimate.abstains`) where p is not finite at a step; where its steps' k-th power leaves float64's
    range (at 1e200 a third derivative's h^3 overflows, and the differences divided by it read 0 with a bound of
    0): everywhere; where best or its bound overflow; and where D(h), D(2h), D(4h) do not converge as a smooth p's
    do (`_converging`: a kink, a singular matrix or a pole within the steps).
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


def _along(
    f: Callable[[dict[str, np.ndarray]], np.ndarray],
    at: dict[str, np.ndarray],
    v: dict[str, np.ndarray],
    order: int,
    h: float,
    shaky: float,
) -> Along:
    """`derivative_along` with step h; `shaky`: how far s moves per unit of rounding in the inputs."""
    cache: dict[int, np.ndarray] = {}
    h = np.float64(h)  # its powers overflow to inf (which abstains), not raise

    def p(i: int) -> np.ndarray:  # p at s = i h
        if i not in cache:
            cache[i] = np.real(numeric(f({k: x + (i * h) * v[k] for k, x in at.items()})))
        return cache[i]

    def stencil(k: int, m: int) -> np.ndarray:
        return np.asarray(sum(w * p(i * m) for i, w in STENCILS[k].items()) / (m * h) ** k)

    with np.errstate(all="ignore"):
        d = [stencil(order, m) for m in (1, 2, 4)]
        r1, r2 = (4 * d[0] - d[1]) / 3, (4 * d[1] - d[2]) / 3
        best = (16 * r1 - r2) / 15
        size = np.max([np.abs(value) for value in cache.values()], axis=0)
        noise = EPS * np.maximum(size, shaky * np.abs(stencil(1, 1)))
        weight = sum(map(abs, STENCILS[order].values())) * (64 + 20 / 2**order + 1 / 4**order) / 45
        rounding = 4 * weight * noise / h**order
        bound = np.abs(best - r1) + rounding + TINY  # no float64 is nearer than TINY to a truth between two
        terms = np.max([size, *(np.abs(stencil(k, 1)) for k in range(1, order + 1))], axis=0)

        def converging(k: int) -> np.ndarray:  # the differences of order k at h, 2h, 4h, beyond their rounding
            return _converging(
                np.array([stencil(k, m) for m in (1, 2, 4)]), 4 * sum(map(abs, STENCILS[k].values())) * noise / h**k
            )

        # an odd order's differences are blind to a kink of p at 0 (|s| differences to 0 at every step), as the first
        # differences are in `_richardson`: the next order's, which grow as 1 / step there, see it
        smooth = converging(order) & (converging(order + 1) if order % 2 else True)
    powers = [(m * h) ** order for m in (1, 4)]
    if not all(0 < power < np.inf for power in powers):  # the step's power out of range: nothing here is measured
        why = np.full(np.shape(best), _code(Abstention.OVERFLOW))
    else:
        blind = ~np.all([np.isfinite(value) for value in cache.values()], axis=0)
        why = np.where(
            blind,
            _code(Abstention.NOT_FINITE),
            np.where(
                ~(np.isfinite(best) & np.isfinite(bound)),
                _code(Abstention.OVERFLOW),
                np.where(smooth, 0, _code(Abstention.NOT_CONVERGED)),
            ),
        )
    return Along(*_abstain(best, bound, why), terms=terms)
