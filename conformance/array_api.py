"""The Python Array API standard's functions, as data: what `conformance coverage` measures the library against.

Copied from the standard's stubs (each module's `__all__`), version 2024.12:
https://github.com/data-apis/array-api/tree/main/src/array_api_stubs/_2024_12
A function is differentiable here when its output is floating point and depends
on a floating-point input; a function that is zero almost everywhere (floor,
sign, round) counts, since what a framework answers there is a finding.
"""

from __future__ import annotations

from dataclasses import dataclass

VERSION = "2024.12"
SPECIFICATION = "https://data-apis.org/array-api/2024.12/API_specification/index.html"

#: category -> the standard's function names (the linalg and fft extensions under their prefixes)
CATEGORIES: dict[str, tuple[str, ...]] = {
    "elementwise": (
        "abs",
        "acos",
        "acosh",
        "add",
        "asin",
        "asinh",
        "atan",
        "atan2",
        "atanh",
        "bitwise_and",
        "bitwise_left_shift",
        "bitwise_invert",
        "bitwise_or",
        "bitwise_right_shift",
        "bitwise_xor",
        "ceil",
        "clip",
        "conj",
        "copysign",
        "cos",
        "cosh",
        "divide",
        "equal",
        "exp",
        "expm1",
        "floor",
        "floor_divide",
        "greater",
        "greater_equal",
        "hypot",
        "imag",
        "isfinite",
        "isinf",
        "isnan",
        "less",
        "less_equal",
        "log",
        "log1p",
        "log2",
        "log10",
        "logaddexp",
        "logical_and",
        "logical_not",
        "logical_or",
        "logical_xor",
        "maximum",
        "minimum",
        "multiply",
        "negative",
        "nextafter",
        "not_equal",
        "positive",
        "pow",
        "real",
        "reciprocal",
        "remainder",
        "round",
        "sign",
        "signbit",
        "sin",
        "sinh",
        "square",
        "sqrt",
        "subtract",
        "tan",
        "tanh",
        "trunc",
    ),
    "creation": (
        "arange",
        "asarray",
        "empty",
        "empty_like",
        "eye",
        "from_dlpack",
        "full",
        "full_like",
        "linspace",
        "meshgrid",
        "ones",
        "ones_like",
        "tril",
        "triu",
        "zeros",
        "zeros_like",
    ),
    "data type": ("astype", "can_cast", "finfo", "iinfo", "isdtype", "result_type"),
    "indexing": ("take", "take_along_axis"),
    "linear algebra": ("matmul", "matrix_transpose", "tensordot", "vecdot"),
    "manipulation": (
        "broadcast_arrays",
        "broadcast_to",
        "concat",
        "expand_dims",
        "flip",
        "moveaxis",
        "permute_dims",
        "repeat",
        "reshape",
        "roll",
        "squeeze",
        "stack",
        "tile",
        "unstack",
    ),
    "searching": ("argmax", "argmin", "count_nonzero", "nonzero", "searchsorted", "where"),
    "set": ("unique_all", "unique_counts", "unique_inverse", "unique_values"),
    "sorting": ("argsort", "sort"),
    "statistical": ("cumulative_sum", "cumulative_prod", "max", "mean", "min", "prod", "std", "sum", "var"),
    "utility": ("all", "any", "diff"),
    "linalg extension": tuple(
        f"linalg.{name}"
        for name in (
            "cholesky",
            "cross",
            "det",
            "diagonal",
            "eigh",
            "eigvalsh",
            "inv",
            "matmul",
            "matrix_norm",
            "matrix_power",
            "matrix_rank",
            "matrix_transpose",
            "outer",
            "pinv",
            "qr",
            "slogdet",
            "solve",
            "svd",
            "svdvals",
            "tensordot",
            "trace",
            "vecdot",
            "vector_norm",
        )
    ),
    "fft extension": tuple(
        f"fft.{name}"
        for name in (
            "fft",
            "ifft",
            "fftn",
            "ifftn",
            "rfft",
            "irfft",
            "rfftn",
            "irfftn",
            "hfft",
            "ihfft",
            "fftfreq",
            "rfftfreq",
            "fftshift",
            "ifftshift",
        )
    ),
}

_INTEGER_OR_BOOLEAN = "its output is integer or boolean"
#: function -> why it has no gradient to check
NOT_DIFFERENTIABLE: dict[str, str] = {
    **{
        name: "it takes and returns integers"
        for name in (
            "bitwise_and",
            "bitwise_left_shift",
            "bitwise_invert",
            "bitwise_or",
            "bitwise_right_shift",
            "bitwise_xor",
        )
    },
    **{
        name: _INTEGER_OR_BOOLEAN
        for name in (
            "equal",
            "greater",
            "greater_equal",
            "less",
            "less_equal",
            "not_equal",
            "isfinite",
            "isinf",
            "isnan",
            "logical_and",
            "logical_not",
            "logical_or",
            "logical_xor",
            "signbit",
            "argmax",
            "argmin",
            "count_nonzero",
            "nonzero",
            "searchsorted",
            "argsort",
            "all",
            "any",
            "linalg.matrix_rank",
            "unique_counts",
            "unique_inverse",
            "unique_all",
        )
    },
    "nextafter": "it returns the next representable float: no framework defines its derivative",
    "unique_values": "its output's shape depends on the values",
    **{
        name: "it creates an array from shapes or Python scalars, not from a differentiable input"
        for name in (
            "arange",
            "asarray",
            "empty",
            "empty_like",
            "eye",
            "from_dlpack",
            "full",
            "full_like",
            "linspace",
            "ones",
            "ones_like",
            "zeros",
            "zeros_like",
            "fft.fftfreq",
            "fft.rfftfreq",
        )
    },
    **{name: "it describes dtypes, not arrays" for name in ("can_cast", "finfo", "iinfo", "isdtype", "result_type")},
}


@dataclass(frozen=True)
class StandardFunction:
    name: str
    category: str
    #: why it has no gradient to check; empty when it has one
    not_differentiable: str = ""


FUNCTIONS: tuple[StandardFunction, ...] = tuple(
    StandardFunction(name, category, NOT_DIFFERENTIABLE.get(name, ""))
    for category, names in CATEGORIES.items()
    for name in names
)


def differentiable() -> list[StandardFunction]:
    return [f for f in FUNCTIONS if not f.not_differentiable]
