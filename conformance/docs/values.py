"""Report values (numbers, nested lists, "nan"/"inf" strings) as arrays and as short text."""

from __future__ import annotations

from typing import Any

import numpy as np

from conformance.tolerance import numeric

_NONFINITE = {"nan": np.nan, "inf": np.inf, "-inf": -np.inf}


def _number(value: Any) -> Any:
    if isinstance(value, list):
        return [_number(v) for v in value]
    return _NONFINITE.get(value, value) if isinstance(value, str) else value


def array(value: Any) -> np.ndarray | None:
    """The report's JSON value as a float64 array (complex128 for a complex value's parts); None where there is
    none."""
    if value is None:
        return None
    try:
        return numeric(value if hasattr(value, "model_dump") or isinstance(value, dict) else _number(value))
    except (TypeError, ValueError, KeyError):
        return None


def text(value: Any, digits: int = 6, limit: int = 8) -> str:
    """Compact: 0.3, [0.3, 3, 0.0003], the first `limit` elements of a long array then '...'."""
    values = array(value)
    if values is None:
        return "" if value is None else str(value)
    if values.ndim == 0:
        return _scalar(values[()], digits)
    flat = values.ravel()
    shown = ", ".join(_scalar(v, digits) for v in flat[:limit])
    more = ", ..." if flat.size > limit else ""
    if values.ndim == 1:
        return f"[{shown}{more}]"
    return f"{'x'.join(map(str, values.shape))} [{shown}{more}]"


def _scalar(value: Any, digits: int) -> str:
    if np.iscomplexobj(value):
        return f"{complex(value):.{digits}g}"
    value = float(value)
    if value == 0:
        return "-0" if np.signbit(value) else "0"
    return f"{value:.{digits}g}"
