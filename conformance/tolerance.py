"""The one tolerance rule, used by the verdicts, the agreement between frameworks and `compare`.

    |got - want| <= atol + rtol * |want| + slack, or <= the derived zero tolerance, elementwise,

where `want` is finite. A non-finite `want` matches only itself: inf only the
same inf, NaN only NaN. No allowance is ever infinite or NaN, so a finite value
never matches an infinite expectation, and a NaN in a slack (an oracle bound
that could not be computed) allows nothing.

Complex values (complex64, complex128) follow the same rule with |.| the
modulus: the gap |got - want| is the distance in the complex plane, and the
tolerances are those of the real component dtype (complex64: float32's eps), as
each part of a complex number rounds in it.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from conformance.vocabulary import Class

#: machine epsilon per real dtype, as data: NumPy has no bfloat16 (its values are exact in float32)
EPS: dict[str, float] = {"float16": 2.0 ** -10, "bfloat16": 2.0 ** -7, "float32": 2.0 ** -23, "float64": 2.0 ** -52}
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


def allowed(want: np.ndarray, rtol: float, atol: float, zero_tolerance: np.ndarray | None = None,
            slack: np.ndarray | float = 0.0) -> np.ndarray:
    """The elementwise allowance around `want`: finite wherever `want` is finite, else 0."""
    want = numeric(want)
    with np.errstate(invalid="ignore"):
        allowance = atol + rtol * np.abs(want) + np.asarray(slack, np.float64)
        if zero_tolerance is not None:  # the rounding floor of a cancelled sum bounds every element of it
            allowance = np.maximum(allowance, np.asarray(zero_tolerance, np.float64))
    return np.where(np.isfinite(want) & np.isfinite(allowance), allowance, 0.0)


def within(got: Any, want: Any, rtol: float, atol: float, zero_tolerance: np.ndarray | None = None,
           slack: np.ndarray | float = 0.0) -> bool:
    """Whether `got` matches `want` elementwise under the rule above (shapes must be equal)."""
    got, want = numeric(got), numeric(want)
    if got.shape != want.shape:
        return False
    return bool(np.all(gap(got, want) <= allowed(want, rtol, atol, zero_tolerance, slack)))


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
