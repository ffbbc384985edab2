"""The one tolerance rule, used by the verdicts, the agreement between frameworks, `compare` and the fuzzer.

    |got - want| <= max(rtol * |want| + absolute + normwise + slack, zero floor), elementwise,

where `want` is finite, and

- `absolute` is the case's stated `atol` where it states one; else a floor derived per element from `want`
  itself: ROUNDINGS ulps of `want` in the job's dtype, at least the dtype's smallest subnormal step. It never
  exceeds `want` by more than a few roundings, so a derivative of 1e-17 (tanh' at 20) is not met by 0 or by a
  value of the wrong sign, at every magnitude down to the subnormals;
- `normwise`, for a gradient through a factorization accurate normwise only (a function record's `normwise`: qr,
  svd, eigh, LU's solve, inv, det, slogdet, cholesky): ROUNDINGS * m n * eps * max|want|, m n the largest matrix
  the factorizations take (expr.normwise_size). Their algorithms are backward stable, exact for A + dA with
  |dA| <= c(m, n) eps |A| normwise, c of order m n (Householder QR: gamma_mn per column, Higham, Accuracy and
  Stability of Numerical Algorithms, Thm 19.4; LU gamma_n, ch. 9; the SVD and the symmetric eigensolver c mn,
  Golub and Van Loan 8.3, 8.6), and the gradient is formed from the computed factors by a few products, solves and
  divisions, each accurate to the norm of what it forms, not to each element: an element near zero (the gradient's
  exact zeros, where Q's last column is fixed by the others) is off by roundings of the largest element. ROUNDINGS
  counts those operations as it counts a result's own. Measured on the library's well-conditioned sweeps in
  float32: at most 34 eps max|want| (tensorflow's svd U, a 4 x 3, allowed 48); a gradient off by 1e3 eps
  max|want| still fails up to m n = 250;
- `zero floor` is the derived rounding floor of the terms that cancel, where the math cancels to zero (the
  `zero_tolerance` of a reparameterized gradient);
- `slack` is what the expectation itself is unsure of: the oracle's error bound where the oracle is the
  expectation, k standard errors of a Monte Carlo mean.

The term that set the allowance at the element nearest to it (or furthest past it) is the `Rule` that decided,
recorded per gradient. A non-finite `want` matches only itself: inf only the same inf, NaN only NaN. No
allowance is ever infinite or NaN, so a finite value never matches an infinite expectation, and a NaN in a slack
(an oracle bound that could not be computed) allows nothing.

Complex values (complex64, complex128) follow the same rule with |.| the
modulus: the gap |got - want| is the distance in the complex plane, and the
tolerances are those of the real component dtype (complex64: float32's eps), as
each part of a complex number rounds in it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from conformance.vocabulary import Class, Rule

#: machine epsilon per real dtype, as data: NumPy has no bfloat16 (its values are exact in float32)
EPS: dict[str, float] = {"float16": 2.0**-10, "bfloat16": 2.0**-7, "float32": 2.0**-23, "float64": 2.0**-52}
#: the smallest subnormal step per real dtype: the spacing of its floats at zero
SUBNORMAL: dict[str, float] = {"float16": 2.0**-24, "bfloat16": 2.0**-133, "float32": 2.0**-149, "float64": 2.0**-1074}
#: roundings a derived floor allows, in ulps of `want`: the result's own rounding and a few of the operations before
#: it, as each term of a cancelled sum carries (`kinds.zero_tolerance`); far below the default rtol in float32 and
#: float64, it is what decides at a subnormal or a zero `want`, where rtol * |want| is nothing
ROUNDINGS = 4
#: the NumPy dtype that carries a framework's values of a dtype out of its worker
CARRIER: dict[str, str] = {"bfloat16": "float32"}


def eps(dtype: str) -> float:
    """Machine epsilon of `dtype`, of its real parts for a complex dtype."""
    return EPS[real_dtype(dtype)]


def real_dtype(dtype: str) -> str:
    """The real dtype of a complex dtype's parts (complex64 -> float32); a real dtype itself."""
    return str(np.finfo(np.dtype(dtype)).dtype) if is_complex(dtype) else dtype


def complex_dtype(dtype: str) -> str:
    """The complex dtype whose parts are `dtype` (float32 -> complex64); a complex dtype itself."""
    return dtype if is_complex(dtype) else str(np.result_type(np.dtype(dtype), np.complex64))


def is_complex(dtype: str) -> bool:
    return dtype.startswith("complex")


def numeric(value: Any) -> np.ndarray:
    """`value` as complex128 where it is complex, else float64; the report's forms parse too: "nan" / "inf"
    strings, and a complex value as its parts ({"re": ..., "im": ...}, or the report's model of them)."""
    if hasattr(value, "model_dump"):
        value = value.model_dump()
    if isinstance(value, dict):
        return np.asarray(value["re"], np.float64) + 1j * np.asarray(value["im"], np.float64)
    array = np.asarray(value)
    return array.astype(np.complex128) if np.iscomplexobj(array) else np.asarray(value, np.float64)


@dataclass(frozen=True)
class Judged:
    """Whether `got` matched `want`, and what decided it at the element nearest its allowance (or furthest past)."""

    ok: bool
    rule: Rule
    #: that element's gap as a share of its allowance: above 1 it fails
    share: float


def ulp(want: Any, dtype: str) -> np.ndarray:
    """The spacing of `dtype`'s floats at |want|, elementwise (its real parts' for a complex dtype): eps times the
    power of two at or below |want|, and at least the smallest subnormal step (bfloat16 too, which NumPy lacks)."""
    real = real_dtype(dtype)
    magnitude = np.abs(numeric(want))
    _, exponent = np.frexp(magnitude)
    return np.maximum(np.where(magnitude == 0, 0.0, EPS[real] * np.ldexp(0.5, exponent)), SUBNORMAL[real])


def floor(want: Any, dtype: str) -> np.ndarray:
    """The derived absolute floor per element: ROUNDINGS ulps of `want` in `dtype`."""
    return ROUNDINGS * ulp(want, dtype)


def normwise(want: Any, dtype: str, size: int) -> np.ndarray:
    """The normwise term per element: ROUNDINGS * size * eps(dtype) * the largest finite |want| (`size`: the m n of
    the largest matrix a factorization takes, expr.normwise_size)."""
    magnitude = np.abs(numeric(want))
    largest = float(np.max(magnitude[np.isfinite(magnitude)], initial=0.0))
    return np.full(magnitude.shape, ROUNDINGS * size * eps(dtype) * largest)


def terms(
    want: Any,
    dtype: str,
    rtol: float,
    atol: float | None,
    zero_tolerance: np.ndarray | None = None,
    slack: Mapping[Rule, Any] | None = None,
    normwise_size: int = 0,
) -> dict[Rule, np.ndarray]:
    """Each term of the rule above, elementwise: the relative one, the absolute one (stated or derived), the
    normwise one where a factorization is differentiated (`normwise_size`, 0: none), the slacks, and the zero floor
    where the math cancels."""
    magnitude = np.abs(numeric(want))
    found = {
        Rule.RELATIVE: rtol * magnitude,
        **(
            {Rule.STATED_ATOL: np.full(magnitude.shape, atol)}
            if atol is not None
            else {Rule.ULP_FLOOR: floor(want, dtype)}
        ),
        **({Rule.NORMWISE: normwise(want, dtype, normwise_size)} if normwise_size else {}),
        **{
            rule: np.broadcast_to(np.asarray(value, np.float64), magnitude.shape)
            for rule, value in (slack or {}).items()
        },
    }
    if zero_tolerance is not None:
        found[Rule.ZERO_FLOOR] = np.broadcast_to(np.asarray(zero_tolerance, np.float64), magnitude.shape)
    return found


def allowed(
    want: Any,
    dtype: str,
    rtol: float,
    atol: float | None,
    zero_tolerance: np.ndarray | None = None,
    slack: Mapping[Rule, Any] | None = None,
    normwise_size: int = 0,
) -> np.ndarray:
    """The elementwise allowance around `want`: finite wherever `want` is finite, else 0."""
    return _allowance(numeric(want), terms(want, dtype, rtol, atol, zero_tolerance, slack, normwise_size))


def _allowance(want: np.ndarray, found: dict[Rule, np.ndarray]) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        allowance = sum((v for r, v in found.items() if r != Rule.ZERO_FLOOR), np.zeros(want.shape))
        if Rule.ZERO_FLOOR in found:  # the rounding floor of a cancelled sum bounds every element of it
            allowance = np.maximum(allowance, found[Rule.ZERO_FLOOR])
    return np.where(np.isfinite(want) & np.isfinite(allowance), allowance, 0.0)


def assess(
    got: Any,
    want: Any,
    dtype: str,
    rtol: float,
    atol: float | None,
    zero_tolerance: np.ndarray | None = None,
    slack: Mapping[Rule, Any] | None = None,
    normwise_size: int = 0,
) -> Judged:
    """`got` against `want` under the rule above (shapes must be equal, else it fails)."""
    got, want = numeric(got), numeric(want)
    if got.shape != want.shape:
        return Judged(False, Rule.EXACT, np.inf)
    found = terms(want, dtype, rtol, atol, zero_tolerance, slack, normwise_size)
    allowance, diff = _allowance(want, found), gap(got, want)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        shares = np.where(diff == 0, 0.0, diff / allowance)
    if shares.size == 0:
        return Judged(True, Rule.EXACT, 0.0)
    at = np.unravel_index(np.argmax(shares), shares.shape)
    share = float(shares[at])
    if not np.isfinite(want[at]):
        rule = Rule.EXACT
    else:
        additive = {r: v[at] for r, v in found.items() if r != Rule.ZERO_FLOOR}
        zero = found.get(Rule.ZERO_FLOOR)
        rule = (
            Rule.ZERO_FLOOR
            if zero is not None and zero[at] >= sum(additive.values())
            else max(additive, key=lambda r: additive[r])
        )
    return Judged(share <= 1, rule, share)


def within(
    got: Any,
    want: Any,
    dtype: str,
    rtol: float,
    atol: float | None,
    zero_tolerance: np.ndarray | None = None,
    slack: Mapping[Rule, Any] | None = None,
    normwise_size: int = 0,
) -> bool:
    """Whether `got` matches `want` elementwise under the rule above (shapes must be equal)."""
    return assess(got, want, dtype, rtol, atol, zero_tolerance, slack, normwise_size).ok


def gap(got: Any, want: Any) -> np.ndarray:
    """|got - want| elementwise (the modulus for complex values): 0 where both are the same NaN or infinity, inf
    where only one is non-finite."""
    got, want = numeric(got), numeric(want)
    same = (got == want) | (np.isnan(got) & np.isnan(want))
    with np.errstate(invalid="ignore"):
        diff = np.abs(got - want)
    return np.where(same, 0.0, np.where(np.isnan(diff), np.inf, diff))


def errors(got: Any, want: Any) -> dict[str, float]:
    """The largest absolute and relative gap, for the report."""
    want = numeric(want)
    diff = gap(got, want)
    with np.errstate(invalid="ignore", divide="ignore"):
        rel = np.where(diff == 0, 0.0, diff / np.abs(want))
    rel = np.where(np.isnan(rel), np.inf, rel)
    return {"max_abs": float(np.max(diff, initial=0)), "max_rel": float(np.max(rel, initial=0))}


def short(value: Any, precision: int = 6) -> str:
    """A value for a message, on one line (the report's "nan"/"inf" strings parse too)."""
    array = numeric(value)
    if array.ndim == 0:
        return f"{complex(array):.{precision}g}" if np.iscomplexobj(array) else f"{float(array):.{precision}g}"
    text = np.array2string(array, precision=precision, separator=", ", threshold=6, max_line_width=10_000)
    return text.replace("\n", "")


def classify(value: Any, zero_tolerance: np.ndarray | None) -> Class:
    """The class of a whole array: its most notable element decides."""
    value = numeric(value)
    if np.isnan(value).any():
        return Class.NAN
    if np.isinf(value).any():
        return Class.INF
    if (value == 0).all():
        return Class.EXACT_ZERO
    if zero_tolerance is not None and (np.abs(value) <= zero_tolerance).all():
        return Class.TOLERANCE_ZERO
    return Class.FINITE
