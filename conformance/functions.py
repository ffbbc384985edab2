"""The expression language's functions: one record each, everything about it in one place.

A record names the function (the Array API standard's name where the standard
has it, `scipy.special`'s otherwise), its parameters and optional arguments,
the dtypes it takes, its LaTeX form and its NumPy spelling (the oracle's).
Each framework's spelling is data beside its adapter
(`conformance/adapters/<framework>/ops.py`); the adapters' ops, the oracle and
the docs' snippets are all compiled or rendered from these spellings
(`conformance.spelling`), so they cannot drift apart.

Adding a function: a record here, one spelling line per framework, and its cases.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import TypeAlias, TypeVar

Shape: TypeAlias = tuple[int, ...]
#: the value of a literal argument: an axis, a shape, a norm's order, a flag
Literal: TypeAlias = int | float | str | bool | tuple[int, ...] | None
Options: TypeAlias = Mapping[str, Literal]


class ShapeError(ValueError):
    """Operands a function cannot take, found from their shapes alone (where NumPy would raise)."""


class Kind(StrEnum):
    """What a literal argument may be written as; the value names it in the parser's error message."""

    INTEGER = "an integer literal"
    INTEGERS = "an integer literal or a tuple of them"
    SHAPE = "a tuple of integer literals"
    BOOLEAN = "True or False"
    ORDER = "a norm's order (a number, inf, -inf, 'fro' or 'nuc')"
    DTYPE = "a floating-point dtype's name ('float32' or 'float64')"
    QR_MODE = "'reduced' or 'complete'"
    INDEXING = "'xy' or 'ij'"
    NORM = "an FFT normalization ('backward', 'ortho' or 'forward')"


#: the strings a literal of these kinds may be
CHOICES: Mapping[Kind, tuple[str, ...]] = MappingProxyType({Kind.QR_MODE: ("reduced", "complete"),
                                                            Kind.INDEXING: ("xy", "ij"),
                                                            Kind.DTYPE: ("float32", "float64"),
                                                            Kind.NORM: ("backward", "ortho", "forward")})


def describe(shape: Shape) -> str:
    return "a scalar" if shape == () else f"shape {shape}"


def broadcast(*shapes: Shape) -> Shape:
    """NumPy's broadcasting of `shapes`, or ShapeError."""
    out = []
    for i in range(-max(map(len, shapes)), 0):
        dims = {s[i] for s in shapes if len(s) >= -i} - {1}
        if len(dims) > 1:
            raise ShapeError(f"shapes {', '.join(map(str, shapes))} do not broadcast together")
        out.append(dims.pop() if dims else 1)
    return tuple(out)


def axes(name: str, shape: Shape, axis: Literal, extra: int = 0) -> tuple[int, ...]:
    """`axis` (an int or a tuple) as non-negative axes of a value of `shape` (`extra` more, for an inserted axis)."""
    given = axis if isinstance(axis, tuple) else (axis,)
    rank = len(shape) + extra
    if not all(isinstance(a, int) and -rank <= a < rank for a in given):
        raise ShapeError(f"axis {axis} of {name}() is out of range for a value of {describe(shape)}")
    out = tuple(a % rank for a in given if isinstance(a, int))
    if len(set(out)) < len(out):
        raise ShapeError(f"axis {axis} of {name}() repeats an axis")
    return out


# Shape rules: (function name, operand shapes, literal options) -> the result's shape, by NumPy's rules; for a
# function that returns a tuple, the shape of each of its arrays.
ShapeRule: TypeAlias = Callable[[str, list[Shape], Options], Shape]
OutputsRule: TypeAlias = Callable[[str, list[Shape], Options], tuple[Shape, ...]]
Result = TypeVar("Result", Shape, tuple[Shape, ...])


def elementwise(name: str, operands: list[Shape], options: Options) -> Shape:
    return broadcast(*operands)


def reduction(name: str, operands: list[Shape], options: Options) -> Shape:
    """Reduced over `axis` (None: all), the reduced axes kept as 1 with `keepdims`."""
    first, axis = operands[0], options.get("axis")
    reduced = range(len(first)) if axis is None else axes(name, first, axis)
    if options.get("keepdims"):
        return tuple(1 if i in reduced else n for i, n in enumerate(first))
    return tuple(n for i, n in enumerate(first) if i not in reduced)


def to_scalar(name: str, operands: list[Shape], options: Options) -> Shape:
    return ()


def _diag(name: str, operands: list[Shape], options: Options) -> Shape:
    first = operands[0]
    if len(first) not in (1, 2):
        raise ShapeError(f"diag() takes a vector or a matrix, not a value of {describe(first)}")
    return (first[0], first[0]) if len(first) == 1 else (min(first),)


def _tril(name: str, operands: list[Shape], options: Options) -> Shape:
    first = operands[0]
    if not first:
        raise ShapeError(f"{name}() takes a vector or a matrix, not a scalar")
    return (first[0], first[0]) if len(first) == 1 else first


def _matrix(name: str, shape: Shape) -> Shape:
    if len(shape) < 2:
        raise ShapeError(f"{name}() takes a matrix, not a value of {describe(shape)}")
    return shape


def _transpose(name: str, operands: list[Shape], options: Options) -> Shape:
    first = _matrix(name, operands[0])
    return (*first[:-2], first[-1], first[-2])


def _matmul(name: str, operands: list[Shape], options: Options) -> Shape:
    a, b = operands
    if not a or not b:
        raise ShapeError(f"{name}() of a scalar (use *)")
    left = (1, *a) if len(a) == 1 else a
    right = (*b, 1) if len(b) == 1 else b
    if left[-1] != right[-2]:
        raise ShapeError(f"{name}() of shapes {a} and {b}: inner dimensions {left[-1]} and {right[-2]} differ")
    out = (*broadcast(left[:-2], right[:-2]), left[-2], right[-1])
    if len(a) == 1:
        out = (*out[:-2], out[-1])
    return out[:-1] if len(b) == 1 else out


def square(result: Callable[[Shape], Result]) -> Callable[[str, list[Shape], Options], Result]:
    """A function of square matrices in the last two axes, `result` giving its shape (or its outputs') from the
    operand's."""
    def rule(name: str, operands: list[Shape], options: Options) -> Result:
        first = operands[0]
        if len(first) < 2 or first[-1] != first[-2]:
            raise ShapeError(f"{name}() takes a square matrix, not a value of {describe(first)}")
        return result(first)
    return rule


def _solve(name: str, operands: list[Shape], options: Options) -> Shape:
    first, b = square(lambda s: s)(name, operands, options), operands[1]
    n = first[-1]
    if len(b) == 1:  # NumPy 2: a 1-d right-hand side is one vector
        if b[0] != n:
            raise ShapeError(f"{name}() of a {first} matrix and a vector of {describe(b)}")
        return (*first[:-2], n)
    if len(b) < 2 or b[-2] != n:
        raise ShapeError(f"{name}() of a {first} matrix and a right-hand side of {describe(b)}")
    return (*broadcast(first[:-2], b[:-2]), n, b[-1])


#: the orders of the Array API's matrix_norm
MATRIX_ORDERS: tuple[Literal, ...] = ("fro", "nuc", 1, -1, 2, -2, float("inf"), float("-inf"))


def _matrix_norm(name: str, operands: list[Shape], options: Options) -> Shape:
    if options["ord"] not in MATRIX_ORDERS:
        raise ShapeError(f"ord {options['ord']!r} of {name}() is not one of {', '.join(map(repr, MATRIX_ORDERS))}")
    return _matrix(name, operands[0])[:-2]


def _vector_norm(name: str, operands: list[Shape], options: Options) -> Shape:
    if isinstance(options["ord"], str):
        raise ShapeError(f"ord {options['ord']!r} of {name}() is a matrix norm's (use matrix_norm)")
    return reduction(name, operands, options)


def _diagonal(name: str, operands: list[Shape], options: Options) -> Shape:
    first = _matrix(name, operands[0])
    n, m, k = first[-2], first[-1], options["offset"]
    assert isinstance(k, int)
    return (*first[:-2], max(0, min(n, m - k) if k >= 0 else min(n + k, m)))


def _trace(name: str, operands: list[Shape], options: Options) -> Shape:
    return _diagonal(name, operands, options)[:-1]


def _cross(name: str, operands: list[Shape], options: Options) -> Shape:
    out = broadcast(*operands)
    if not all(s[axes(name, s, options["axis"])[0]] == 3 for s in operands):
        raise ShapeError(f"{name}() of shapes {', '.join(map(str, operands))}: axis {options['axis']} must have "
                         "size 3 in both")
    return out


def _vecdot(name: str, operands: list[Shape], options: Options) -> Shape:
    a, b = operands
    i, j = axes(name, a, options["axis"])[0] - len(a), axes(name, b, options["axis"])[0] - len(b)
    if a[i] != b[j]:
        raise ShapeError(f"{name}() of shapes {a} and {b}: axis {options['axis']} differs in size")
    return reduction(name, [broadcast(a, b)], {"axis": options["axis"]})


def _outer(name: str, operands: list[Shape], options: Options) -> Shape:
    if any(len(s) != 1 for s in operands):
        raise ShapeError(f"{name}() takes two vectors, not shapes {operands[0]} and {operands[1]}")
    return (operands[0][0], operands[1][0])


def _tensordot(name: str, operands: list[Shape], options: Options) -> Shape:
    a, b = operands
    n = options["axes"]
    assert isinstance(n, int)
    if not 0 <= n <= min(len(a), len(b)) or a[len(a) - n:] != b[:n]:
        raise ShapeError(f"{name}() of shapes {a} and {b} cannot contract {n} axes")
    return (*a[:len(a) - n], *b[n:])


def _svdvals(name: str, operands: list[Shape], options: Options) -> Shape:
    first = _matrix(name, operands[0])
    return (*first[:-2], min(first[-2:]))


def _concat(name: str, operands: list[Shape], options: Options) -> Shape:
    first = operands[0]
    axis = axes(name, first, options["axis"])[0]
    if any(len(s) != len(first) or s[:axis] + s[axis + 1:] != first[:axis] + first[axis + 1:] for s in operands):
        raise ShapeError(f"{name}() of shapes {', '.join(map(str, operands))}: they differ beyond axis {axis}")
    return (*first[:axis], sum(s[axis] for s in operands), *first[axis + 1:])


def _stack(name: str, operands: list[Shape], options: Options) -> Shape:
    first = operands[0]
    if len(set(operands)) > 1:
        raise ShapeError(f"{name}() of different shapes ({', '.join(map(str, dict.fromkeys(operands)))})")
    axis = axes(name, first, options["axis"], extra=1)[0]
    return (*first[:axis], len(operands), *first[axis:])


def _reshape(name: str, operands: list[Shape], options: Options) -> Shape:
    first, shape = operands[0], options["shape"]
    assert isinstance(shape, tuple)
    known, free = math.prod(n for n in shape if n != -1), shape.count(-1)
    size = math.prod(first)
    fits = size % known == 0 if free and known else size == known and not free
    if free > 1 or any(n < -1 for n in shape) or not fits:
        raise ShapeError(f"{name}() cannot make a value of {describe(first)} into shape {shape}")
    return tuple(size // known if n == -1 else n for n in shape)


def _same(name: str, operands: list[Shape], options: Options) -> Shape:
    """The operand's shape, with its `axis` (if any) checked."""
    if options.get("axis") is not None:
        axes(name, operands[0], options["axis"])
    return operands[0]


def _roll(name: str, operands: list[Shape], options: Options) -> Shape:
    shift, axis = options["shift"], options["axis"]
    if isinstance(shift, tuple) and (not isinstance(axis, tuple) or len(axis) != len(shift)):
        raise ShapeError(f"{name}() of shift {shift} needs a tuple of as many axes, not {axis}")
    return _same(name, operands, options)


def _tile(name: str, operands: list[Shape], options: Options) -> Shape:
    first, reps = operands[0], options["repetitions"]
    assert isinstance(reps, tuple)
    rank = max(len(first), len(reps))
    padded, times = (1,) * (rank - len(first)) + first, (1,) * (rank - len(reps)) + reps
    if any(r < 0 for r in reps):
        raise ShapeError(f"{name}() of negative repetitions {reps}")
    return tuple(n * r for n, r in zip(padded, times, strict=True))


def _repeat(name: str, operands: list[Shape], options: Options) -> Shape:
    first, repeats, axis = operands[0], options["repeats"], options["axis"]
    assert isinstance(repeats, int)
    if repeats < 0:
        raise ShapeError(f"{name}() of a negative count {repeats}")
    if axis is None:
        return (math.prod(first) * repeats,)
    i = axes(name, first, axis)[0]
    return (*first[:i], first[i] * repeats, *first[i + 1:])


def _expand_dims(name: str, operands: list[Shape], options: Options) -> Shape:
    first = operands[0]
    i = axes(name, first, options["axis"], extra=1)[0]
    return (*first[:i], 1, *first[i:])


def _squeeze(name: str, operands: list[Shape], options: Options) -> Shape:
    first = operands[0]
    gone = axes(name, first, options["axis"])
    if any(first[i] != 1 for i in gone):
        raise ShapeError(f"{name}() of axis {options['axis']} of a value of {describe(first)}: not of size 1")
    return tuple(n for i, n in enumerate(first) if i not in gone)


def _moveaxis(name: str, operands: list[Shape], options: Options) -> Shape:
    first = operands[0]
    source, destination = axes(name, first, options["source"]), axes(name, first, options["destination"])
    if len(source) != len(destination):
        raise ShapeError(f"{name}() of {len(source)} source and {len(destination)} destination axes")
    rest = iter(i for i in range(len(first)) if i not in source)
    order = dict(zip(destination, source, strict=True))
    return tuple(first[order[i] if i in order else next(rest)] for i in range(len(first)))


def _permute_dims(name: str, operands: list[Shape], options: Options) -> Shape:
    first, order = operands[0], options["axes"]
    if not isinstance(order, tuple) or sorted(axes(name, first, order)) != list(range(len(first))):
        raise ShapeError(f"{name}() of axes {order}: not a permutation of the {len(first)} axes")
    return tuple(first[i] for i in order)


def _broadcast_to(name: str, operands: list[Shape], options: Options) -> Shape:
    shape = options["shape"]
    assert isinstance(shape, tuple)
    if len(operands[0]) > len(shape) or broadcast(operands[0], shape) != shape:
        raise ShapeError(f"{name}() cannot broadcast a value of {describe(operands[0])} to shape {shape}")
    return shape


def _take(name: str, operands: list[Shape], options: Options) -> Shape:
    """The Array API's take: a one-dimensional index array along `axis` (optional only for a vector)."""
    first, indices, axis = operands[0], operands[1], options["axis"]
    if len(indices) != 1:
        raise ShapeError(f"{name}() takes a one-dimensional index array, not one of {describe(indices)}")
    if axis is None and len(first) != 1:
        raise ShapeError(f"{name}() of a value of {describe(first)} needs an axis")
    i = 0 if axis is None else axes(name, first, axis)[0]
    return (*first[:i], indices[0], *first[i + 1:])


def _take_along_axis(name: str, operands: list[Shape], options: Options) -> Shape:
    """Indices of the same rank as x, broadcast with it along every other axis; `axis` gets the indices' length."""
    first, indices = operands
    if len(indices) != len(first):
        raise ShapeError(f"{name}() of a value of {describe(first)} takes indices of the same rank, not "
                         f"{describe(indices)}")
    i = axes(name, first, options["axis"])[0]
    rest = broadcast(first[:i] + first[i + 1:], indices[:i] + indices[i + 1:])
    return (*rest[:i], indices[i], *rest[i:])


def _diff(name: str, operands: list[Shape], options: Options) -> Shape:
    first, n = operands[0], options["n"]
    assert isinstance(n, int)
    if not first or n < 0:
        raise ShapeError(f"{name}() takes an array of at least one dimension and n >= 0")
    i = axes(name, first, options["axis"])[0]
    return (*first[:i], max(0, first[i] - n), *first[i + 1:])


# Shape rules of the functions that return a tuple: one shape per array, in the standard's order.

def _qr(name: str, operands: list[Shape], options: Options) -> tuple[Shape, ...]:
    *batch, m, n = _matrix(name, operands[0])
    k = m if options["mode"] == "complete" else min(m, n)
    return (*batch, m, k), (*batch, k, n)


def _svd(name: str, operands: list[Shape], options: Options) -> tuple[Shape, ...]:
    *batch, m, n = _matrix(name, operands[0])
    k = min(m, n)
    if options["full_matrices"]:
        return (*batch, m, m), (*batch, k), (*batch, n, n)
    return (*batch, m, k), (*batch, k), (*batch, k, n)


def _unstack(name: str, operands: list[Shape], options: Options) -> tuple[Shape, ...]:
    first = operands[0]
    i = axes(name, first, options["axis"])[0]
    return (first[:i] + first[i + 1:],) * first[i]


def _broadcast_arrays(name: str, operands: list[Shape], options: Options) -> tuple[Shape, ...]:
    return (broadcast(*operands),) * len(operands)


def _meshgrid(name: str, operands: list[Shape], options: Options) -> tuple[Shape, ...]:
    if any(len(s) != 1 for s in operands):
        raise ShapeError(f"{name}() takes one-dimensional arrays, not shapes {', '.join(map(str, operands))}")
    sizes = [s[0] for s in operands]
    if options["indexing"] == "xy" and len(sizes) > 1:  # Cartesian: the first two axes swapped
        sizes[0], sizes[1] = sizes[1], sizes[0]
    return (tuple(sizes),) * len(operands)


def _top_k(name: str, operands: list[Shape], options: Options) -> tuple[Shape, ...]:
    first, k = operands[0], options["k"]
    assert isinstance(k, int)
    if not first or not 1 <= k <= first[-1]:
        raise ShapeError(f"{name}() of k = {k} along the last axis of a value of {describe(first)}")
    return ((*first[:-1], k),) * 2


def fft_shape(output: Callable[[int | None, int], int]) -> ShapeRule:
    """A 1-d transform along `axis`: the axis's size becomes output(n, size) (n the option, None by default)."""
    def rule(name: str, operands: list[Shape], options: Options) -> Shape:
        first, n = operands[0], options["n"]
        axis = axes(name, first, options["axis"])[0]
        if n is not None and (not isinstance(n, int) or n < 1):
            raise ShapeError(f"n {n} of {name}() is not a positive length")
        size = output(n, first[axis])
        if size < 1:
            raise ShapeError(f"{name}() of a value of {describe(first)} along axis {axis} gives no output")
        return (*first[:axis], size, *first[axis + 1:])
    return rule


def fftn_shape(last: Callable[[int | None, int], int]) -> ShapeRule:
    """An n-d transform over `axes` (default: all, or the last len(s)): s sets the lengths, and the last axis's size
    becomes last(s[-1] or None, size)."""
    def rule(name: str, operands: list[Shape], options: Options) -> Shape:
        first, s, given = operands[0], options["s"], options["axes"]
        assert s is None or isinstance(s, tuple)
        chosen = axes(name, first, given) if given is not None else tuple(range(len(first)))[-len(s) if s else 0:]
        if s is not None and (len(s) != len(chosen) or any(k < 1 for k in s)):
            raise ShapeError(f"s {s} of {name}() does not give a positive length for each of axes {chosen}")
        out = list(first)
        for i, axis in enumerate(chosen):
            out[axis] = s[i] if s else first[axis]
        if chosen:
            out[chosen[-1]] = last(s[-1] if s else None, first[chosen[-1]])
        if chosen and out[chosen[-1]] < 1:
            raise ShapeError(f"{name}() of a value of {describe(first)} gives no output")
        return tuple(out)
    return rule


class Standard(StrEnum):
    """Where a function's name and signature come from."""

    ARRAY_API = "array-api"  # the Python Array API standard (2024.12)
    SPECIAL = "scipy.special"
    EXTENSION = "extension"  # in neither: named as NumPy, torch and JAX agree, with its reason


class Domain(StrEnum):
    """A kind of dtype a function takes."""

    REAL = "real"
    COMPLEX = "complex"
    INTEGER = "integer"


REAL = frozenset({Domain.REAL})
COMPLEX = frozenset({Domain.COMPLEX})
REAL_COMPLEX = frozenset({Domain.REAL, Domain.COMPLEX})


@dataclass(frozen=True)
class Outputs:
    """The arrays a function returns as a tuple. A call is valid only with one selected at once by an integer
    literal (`slogdet(x)[1]`), so every value in the language is still one array."""

    #: in the standard's order; "..." last where the arguments decide how many (unstack: one per index along axis)
    names: tuple[str, ...]
    #: each array's shape from the operands' (ShapeError where NumPy would raise), checked at load
    shapes: OutputsRule

    @property
    def fixed(self) -> bool:
        return self.names[-1] != "..."


@dataclass(frozen=True)
class Function:
    """One function of the language.

    `params` are required and positional; `options` are optional, positional
    after them (as `sum(x, 0)`), each with its default. Spellings use these
    names: `torch.sum(x, dim=axis)`.
    """

    name: str
    params: tuple[str, ...]
    #: LaTeX with `$name` placeholders (string.Template), e.g. r"\\sqrt{$x}"
    latex: str
    #: the oracle's spelling: a dotted path (called with the parameters) or an expression over them
    numpy: str
    standard: Standard
    options: Options = field(default_factory=lambda: MappingProxyType({}))
    domains: frozenset[Domain] = REAL
    #: parameters and options written as literals in an expression (an axis, a shape, an order), checked at load
    literal: Mapping[str, Kind] = field(default_factory=lambda: MappingProxyType({}))
    #: parameters that take a list of arrays, written as a list literal (`concat([a, b])`)
    lists: frozenset[str] = frozenset()
    #: the result's shape from the operands' (ShapeError where NumPy would raise), checked at load
    shape: ShapeRule = elementwise
    #: for a function that returns a tuple: its arrays and their shapes (`shape` is then not used)
    outputs: Outputs | None = None
    #: for an extension: why it is in the language although neither standard has it
    why: str = ""

    @property
    def arity(self) -> tuple[int, ...]:
        """The accepted numbers of positional arguments."""
        return tuple(range(len(self.params), len(self.params) + len(self.options) + 1))

    @property
    def signature(self) -> tuple[str, ...]:
        return (*self.params, *self.options)


_AXIS = MappingProxyType({"axis": None})
_FIRST_AXIS = MappingProxyType({"axis": 0})
_LAST_AXIS = MappingProxyType({"axis": -1})
_INTEGER_AXIS = MappingProxyType({"axis": Kind.INTEGER})
_OFFSET = MappingProxyType({"offset": 0})
_INTEGER_OFFSET = MappingProxyType({"offset": Kind.INTEGER})


def _unary(name: str, latex: str, numpy: str | None = None, standard: Standard = Standard.ARRAY_API,
           domains: frozenset[Domain] = REAL_COMPLEX, why: str = "") -> Function:
    return Function(name, ("x",), latex, numpy or f"np.{name}", standard, domains=domains, why=why)


_FFT = MappingProxyType({"n": None, "axis": -1, "norm": "backward"})
_FFT_KINDS = MappingProxyType({"n": Kind.INTEGER, "axis": Kind.INTEGER, "norm": Kind.NORM})
_FFTN = MappingProxyType({"s": None, "axes": None, "norm": "backward"})
_FFTN_KINDS = MappingProxyType({"s": Kind.SHAPE, "axes": Kind.SHAPE, "norm": Kind.NORM})
#: the length of a real signal whose Hermitian half has m entries: n, else 2 (m - 1)
_HERMITIAN_LENGTH: Callable[[int | None, int], int] = lambda n, m: n if n else 2 * (m - 1)


def _fft(name: str, latex: str, shape: ShapeRule, domains: frozenset[Domain] = REAL_COMPLEX) -> Function:
    """A 1-d transform of the Array API's fft extension: (x, n=None, axis=-1, norm='backward')."""
    return Function(name, ("x",), latex, f"np.fft.{name}(x, n=n, axis=axis, norm=norm)", Standard.ARRAY_API,
                    options=_FFT, domains=domains, literal=_FFT_KINDS, shape=shape)


def _fftn(name: str, latex: str, last: Callable[[int | None, int], int],
          domains: frozenset[Domain] = REAL_COMPLEX) -> Function:
    """An n-d transform of the Array API's fft extension: (x, s=None, axes=None, norm='backward')."""
    return Function(name, ("x",), latex, f"np.fft.{name}(x, s=s, axes=axes, norm=norm)", Standard.ARRAY_API,
                    options=_FFTN, domains=domains, literal=_FFTN_KINDS, shape=fftn_shape(last))


def _shift(name: str, latex: str) -> Function:
    return Function(name, ("x",), latex, f"np.fft.{name}(x, axes=axes)", Standard.ARRAY_API,
                    options=MappingProxyType({"axes": None}), domains=REAL_COMPLEX,
                    literal=MappingProxyType({"axes": Kind.INTEGERS}), shape=_shift_shape)


def _shift_shape(name: str, operands: list[Shape], options: Options) -> Shape:
    if options["axes"] is not None:
        axes(name, operands[0], options["axes"])
    return operands[0]


def _reduction(name: str, latex: str, numpy: str | None = None) -> Function:
    return Function(name, ("x",), latex, numpy or f"np.{name}(x, axis=axis)", Standard.ARRAY_API, options=_AXIS,
                    literal=_INTEGER_AXIS, shape=reduction)


_FUNCTIONS = (
    # elementwise (Array API)
    _unary("exp", r"\exp\left($x\right)"),
    _unary("log", r"\log\left($x\right)"),
    _unary("log1p", r"\operatorname{log1p}\left($x\right)"),
    _unary("expm1", r"\operatorname{expm1}\left($x\right)"),
    _unary("sin", r"\sin\left($x\right)"),
    _unary("cos", r"\cos\left($x\right)"),
    _unary("tanh", r"\tanh\left($x\right)"),
    _unary("tan", r"\tan\left($x\right)"),
    _unary("sinh", r"\sinh\left($x\right)"),
    _unary("cosh", r"\cosh\left($x\right)"),
    _unary("asin", r"\arcsin\left($x\right)", "np.arcsin"),
    _unary("acos", r"\arccos\left($x\right)", "np.arccos"),
    _unary("atan", r"\arctan\left($x\right)", "np.arctan"),
    _unary("asinh", r"\operatorname{arsinh}\left($x\right)", "np.arcsinh"),
    _unary("acosh", r"\operatorname{arcosh}\left($x\right)", "np.arccosh"),
    _unary("log2", r"\log_2\left($x\right)"),
    _unary("log10", r"\log_{10}\left($x\right)"),
    _unary("reciprocal", r"\frac{1}{$x}"),
    _unary("floor", r"\lfloor $x \rfloor", domains=REAL),
    _unary("ceil", r"\lceil $x \rceil", domains=REAL),
    _unary("round", r"\operatorname{round}\left($x\right)"),
    _unary("trunc", r"\operatorname{trunc}\left($x\right)", domains=REAL),
    _unary("sign", r"\operatorname{sign}\left($x\right)"),
    Function("atan2", ("x1", "x2"), r"\operatorname{atan2}\left($x1, $x2\right)", "np.arctan2", Standard.ARRAY_API),
    Function("hypot", ("x1", "x2"), r"\sqrt{{$x1}^{2} + {$x2}^{2}}", "np.hypot", Standard.ARRAY_API),
    Function("copysign", ("x1", "x2"), r"\operatorname{copysign}\left($x1, $x2\right)", "np.copysign",
             Standard.ARRAY_API),
    Function("logaddexp", ("x1", "x2"), r"\log\left(e^{$x1} + e^{$x2}\right)", "np.logaddexp", Standard.ARRAY_API),
    Function("remainder", ("x1", "x2"), r"$x1 \bmod $x2", "np.remainder", Standard.ARRAY_API),
    Function("floor_divide", ("x1", "x2"), r"\left\lfloor \frac{$x1}{$x2} \right\rfloor", "np.floor_divide",
             Standard.ARRAY_API),
    _unary("atanh", r"\operatorname{artanh}\left($x\right)", "np.arctanh"),
    _unary("sqrt", r"\sqrt{$x}"),
    _unary("abs", r"\left|$x\right|"),
    _unary("square", r"\left($x\right)^{2}"),
    _unary("positive", r"+$x"),
    # a cast: its derivative is the identity, cast back to the input's dtype; the oracle computes in float64
    # throughout (as for every function), where the cast's math is the identity
    Function("astype", ("x", "dtype"), r"\operatorname{astype}\left($x, \mathrm{$dtype}\right)",
             "np.asarray(x, np.float64)", Standard.ARRAY_API, literal={"dtype": Kind.DTYPE}),
    Function("maximum", ("x1", "x2"), r"\max\left($x1, $x2\right)", "np.maximum", Standard.ARRAY_API),
    Function("minimum", ("x1", "x2"), r"\min\left($x1, $x2\right)", "np.minimum", Standard.ARRAY_API),
    Function("clip", ("x", "min", "max"), r"\operatorname{clip}\left($x, $min, $max\right)", "np.clip",
             Standard.ARRAY_API),
    Function("where", ("condition", "x1", "x2"), r"\operatorname{where}\left($condition, $x1, $x2\right)",
             "np.where", Standard.ARRAY_API, domains=REAL_COMPLEX),
    # complex numbers (Array API): imag takes a complex value, real and conj a real one too
    _unary("real", r"\operatorname{Re}\left($x\right)", "np.real"),
    _unary("imag", r"\operatorname{Im}\left($x\right)", "np.imag", domains=COMPLEX),
    _unary("conj", r"\overline{$x}", "np.conj"),
    # the fft extension (Array API): Array API signatures, NumPy's normalizations
    _fft("fft", r"\mathcal{F}\left($x\right)", fft_shape(lambda n, size: n or size)),
    _fft("ifft", r"\mathcal{F}^{-1}\left($x\right)", fft_shape(lambda n, size: n or size)),
    _fft("rfft", r"\mathcal{F}_{r}\left($x\right)", fft_shape(lambda n, size: (n or size) // 2 + 1), REAL),
    _fft("irfft", r"\mathcal{F}_{r}^{-1}\left($x\right)", fft_shape(_HERMITIAN_LENGTH)),
    _fft("hfft", r"\mathcal{F}_{h}\left($x\right)", fft_shape(_HERMITIAN_LENGTH)),
    _fft("ihfft", r"\mathcal{F}_{h}^{-1}\left($x\right)", fft_shape(lambda n, size: (n or size) // 2 + 1), REAL),
    _fftn("fftn", r"\mathcal{F}_{n}\left($x\right)", lambda k, size: k or size),
    _fftn("ifftn", r"\mathcal{F}_{n}^{-1}\left($x\right)", lambda k, size: k or size),
    _fftn("rfftn", r"\mathcal{F}_{rn}\left($x\right)", lambda k, size: (k or size) // 2 + 1, REAL),
    _fftn("irfftn", r"\mathcal{F}_{rn}^{-1}\left($x\right)", _HERMITIAN_LENGTH),
    _shift("fftshift", r"\operatorname{fftshift}\left($x\right)"),
    _shift("ifftshift", r"\operatorname{ifftshift}\left($x\right)"),
    # reductions (Array API; an optional integer axis)
    _reduction("sum", r"\sum\left($x\right)"),
    _reduction("prod", r"\prod\left($x\right)"),
    _reduction("mean", r"\operatorname{mean}\left($x\right)"),
    _reduction("max", r"\max\left($x\right)"),
    _reduction("min", r"\min\left($x\right)"),
    Function("std", ("x",), r"\operatorname{std}\left($x\right)", "np.std(x, axis=axis, ddof=correction)",
             Standard.ARRAY_API, options=MappingProxyType({"axis": None, "correction": 0}),
             literal={"axis": Kind.INTEGER, "correction": Kind.INTEGER}, shape=reduction),
    Function("var", ("x",), r"\operatorname{var}\left($x\right)", "np.var(x, axis=axis, ddof=correction)",
             Standard.ARRAY_API, options=MappingProxyType({"axis": None, "correction": 0}),
             literal={"axis": Kind.INTEGER, "correction": Kind.INTEGER}, shape=reduction),
    Function("cumulative_sum", ("x",), r"\operatorname{cumsum}\left($x\right)",
             "np.cumsum(x, axis=0 if axis is None else axis)", Standard.ARRAY_API, options=_AXIS,
             literal=_INTEGER_AXIS),
    Function("cumulative_prod", ("x",), r"\operatorname{cumprod}\left($x\right)",
             "np.cumprod(x, axis=0 if axis is None else axis)", Standard.ARRAY_API, options=_AXIS,
             literal=_INTEGER_AXIS),
    # linear algebra (Array API and its linalg extension); matrix norms of order 2 and 'nuc' go through the SVD
    Function("matmul", ("x1", "x2"), r"$x1 \, $x2", "np.matmul", Standard.ARRAY_API, domains=REAL_COMPLEX,
             shape=_matmul),
    Function("matrix_transpose", ("x",), r"{$x}^{\top}", "np.matrix_transpose", Standard.ARRAY_API,
             shape=_transpose),
    Function("cholesky", ("x",), r"\operatorname{chol}\left($x\right)", "np.linalg.cholesky", Standard.ARRAY_API,
             shape=square(lambda s: s)),
    Function("solve", ("x1", "x2"), r"{$x1}^{-1} $x2", "np.linalg.solve", Standard.ARRAY_API, shape=_solve),
    Function("inv", ("x",), r"{$x}^{-1}", "np.linalg.inv", Standard.ARRAY_API, shape=square(lambda s: s)),
    Function("pinv", ("x",), r"{$x}^{+}", "np.linalg.pinv", Standard.ARRAY_API, shape=_transpose),
    Function("matrix_power", ("x", "n"), r"{$x}^{$n}", "np.linalg.matrix_power", Standard.ARRAY_API,
             literal={"n": Kind.INTEGER}, shape=square(lambda s: s)),
    Function("det", ("x",), r"\det\left($x\right)", "np.linalg.det", Standard.ARRAY_API,
             shape=square(lambda s: s[:-2])),
    # the decompositions return tuples: a call selects one array at once (slogdet(x)[1], svd(x)[0])
    Function("slogdet", ("x",), r"\operatorname{slogdet}\left($x\right)", "np.linalg.slogdet", Standard.ARRAY_API,
             outputs=Outputs(("sign", "logabsdet"), square(lambda s: (s[:-2], s[:-2])))),
    Function("eigh", ("x",), r"\operatorname{eigh}\left($x\right)", "np.linalg.eigh", Standard.ARRAY_API,
             outputs=Outputs(("eigenvalues", "eigenvectors"), square(lambda s: (s[:-1], s)))),
    Function("qr", ("x",), r"\operatorname{qr}\left($x\right)", "np.linalg.qr(x, mode=mode)", Standard.ARRAY_API,
             options=MappingProxyType({"mode": "reduced"}), literal={"mode": Kind.QR_MODE},
             outputs=Outputs(("Q", "R"), _qr)),
    Function("svd", ("x",), r"\operatorname{svd}\left($x\right)", "np.linalg.svd(x, full_matrices=full_matrices)",
             Standard.ARRAY_API, options=MappingProxyType({"full_matrices": True}),
             literal={"full_matrices": Kind.BOOLEAN}, outputs=Outputs(("U", "S", "Vh"), _svd)),
    Function("eigvalsh", ("x",), r"\lambda\left($x\right)", "np.linalg.eigvalsh", Standard.ARRAY_API,
             shape=square(lambda s: s[:-1])),
    Function("svdvals", ("x",), r"\sigma\left($x\right)", "np.linalg.svdvals", Standard.ARRAY_API, shape=_svdvals),
    Function("trace", ("x",), r"\operatorname{tr}\left($x\right)", "np.linalg.trace(x, offset=offset)",
             Standard.ARRAY_API, options=_OFFSET, literal=_INTEGER_OFFSET, shape=_trace),
    Function("diagonal", ("x",), r"\operatorname{diagonal}\left($x\right)", "np.linalg.diagonal(x, offset=offset)",
             Standard.ARRAY_API, options=_OFFSET, literal=_INTEGER_OFFSET, shape=_diagonal),
    Function("outer", ("x1", "x2"), r"$x1 \otimes $x2", "np.linalg.outer", Standard.ARRAY_API, shape=_outer),
    Function("tensordot", ("x1", "x2"), r"$x1 \cdot_{$axes} $x2", "np.linalg.tensordot(x1, x2, axes=axes)",
             Standard.ARRAY_API, options=MappingProxyType({"axes": 2}), literal={"axes": Kind.INTEGER},
             shape=_tensordot),
    Function("vecdot", ("x1", "x2"), r"\langle $x1, $x2 \rangle", "np.linalg.vecdot(x1, x2, axis=axis)",
             Standard.ARRAY_API, options=_LAST_AXIS, literal=_INTEGER_AXIS, shape=_vecdot),
    Function("cross", ("x1", "x2"), r"$x1 \times $x2", "np.linalg.cross(x1, x2, axis=axis)", Standard.ARRAY_API,
             options=_LAST_AXIS, literal=_INTEGER_AXIS, shape=_cross),
    Function("vector_norm", ("x",), r"\left\|$x\right\|_{$ord}",
             "np.linalg.vector_norm(x, axis=axis, keepdims=keepdims, ord=ord)", Standard.ARRAY_API,
             options=MappingProxyType({"axis": None, "keepdims": False, "ord": 2}),
             literal={"axis": Kind.INTEGER, "keepdims": Kind.BOOLEAN, "ord": Kind.ORDER}, shape=_vector_norm),
    Function("matrix_norm", ("x",), r"\left\|$x\right\|_{$ord}", "np.linalg.matrix_norm(x, ord=ord)",
             Standard.ARRAY_API, options=MappingProxyType({"ord": "fro"}), literal={"ord": Kind.ORDER},
             shape=_matrix_norm),
    Function("diag", ("x",), r"\operatorname{diag}\left($x\right)", "np.diag", Standard.EXTENSION, shape=_diag,
             why="NumPy's diag: a vector to a diagonal matrix, a matrix to its diagonal"),
    Function("tril", ("x",), r"\operatorname{tril}\left($x\right)", "np.tril", Standard.ARRAY_API, shape=_tril),
    Function("triu", ("x",), r"\operatorname{triu}\left($x\right)", "np.triu", Standard.ARRAY_API, shape=_tril),
    # manipulation (Array API); concat and stack take a list literal of arrays
    Function("concat", ("arrays",), r"\operatorname{concat}\left($arrays\right)", "np.concat(arrays, axis=axis)",
             Standard.ARRAY_API, options=_FIRST_AXIS, literal=_INTEGER_AXIS, lists=frozenset({"arrays"}),
             shape=_concat),
    Function("stack", ("arrays",), r"\operatorname{stack}\left($arrays\right)", "np.stack(arrays, axis=axis)",
             Standard.ARRAY_API, options=_FIRST_AXIS, literal=_INTEGER_AXIS, lists=frozenset({"arrays"}),
             shape=_stack),
    Function("reshape", ("x", "shape"), r"\operatorname{reshape}\left($x, $shape\right)", "np.reshape",
             Standard.ARRAY_API, literal={"shape": Kind.SHAPE}, shape=_reshape),
    Function("broadcast_to", ("x", "shape"), r"\operatorname{broadcast}\left($x, $shape\right)", "np.broadcast_to",
             Standard.ARRAY_API, literal={"shape": Kind.SHAPE}, shape=_broadcast_to),
    Function("expand_dims", ("x",), r"\operatorname{expand\_dims}\left($x\right)", "np.expand_dims(x, axis)",
             Standard.ARRAY_API, options=_FIRST_AXIS, literal=_INTEGER_AXIS, shape=_expand_dims),
    Function("squeeze", ("x", "axis"), r"\operatorname{squeeze}\left($x\right)", "np.squeeze(x, axis)",
             Standard.ARRAY_API, literal={"axis": Kind.INTEGERS}, shape=_squeeze),
    Function("flip", ("x",), r"\operatorname{flip}\left($x\right)", "np.flip(x, axis=axis)", Standard.ARRAY_API,
             options=_AXIS, literal={"axis": Kind.INTEGERS}, shape=_same),
    Function("roll", ("x", "shift"), r"\operatorname{roll}\left($x, $shift\right)", "np.roll(x, shift, axis=axis)",
             Standard.ARRAY_API, options=_AXIS, literal={"shift": Kind.INTEGERS, "axis": Kind.INTEGERS}, shape=_roll),
    Function("tile", ("x", "repetitions"), r"\operatorname{tile}\left($x, $repetitions\right)", "np.tile",
             Standard.ARRAY_API, literal={"repetitions": Kind.SHAPE}, shape=_tile),
    Function("repeat", ("x", "repeats"), r"\operatorname{repeat}\left($x, $repeats\right)",
             "np.repeat(x, repeats, axis=axis)", Standard.ARRAY_API, options=_AXIS,
             literal={"repeats": Kind.INTEGER, "axis": Kind.INTEGER}, shape=_repeat),
    Function("moveaxis", ("x", "source", "destination"), r"\operatorname{moveaxis}\left($x\right)", "np.moveaxis",
             Standard.ARRAY_API, literal={"source": Kind.INTEGERS, "destination": Kind.INTEGERS}, shape=_moveaxis),
    # the standard's broadcast_arrays and meshgrid take *arrays; the language writes them as a list, like concat's
    Function("unstack", ("x",), r"\operatorname{unstack}\left($x\right)", "np.unstack(x, axis=axis)",
             Standard.ARRAY_API, options=_FIRST_AXIS, literal=_INTEGER_AXIS,
             outputs=Outputs(("slice", "..."), _unstack)),
    Function("broadcast_arrays", ("arrays",), r"\operatorname{broadcast}\left($arrays\right)",
             "np.broadcast_arrays(*arrays)", Standard.ARRAY_API, lists=frozenset({"arrays"}),
             outputs=Outputs(("array", "..."), _broadcast_arrays)),
    Function("meshgrid", ("arrays",), r"\operatorname{meshgrid}\left($arrays\right)",
             "np.meshgrid(*arrays, indexing=indexing)", Standard.ARRAY_API,
             options=MappingProxyType({"indexing": "xy"}), literal={"indexing": Kind.INDEXING},
             lists=frozenset({"arrays"}), outputs=Outputs(("grid", "..."), _meshgrid)),
    Function("permute_dims", ("x", "axes"), r"\operatorname{permute}\left($x, $axes\right)", "np.permute_dims",
             Standard.ARRAY_API, literal={"axes": Kind.SHAPE}, shape=_permute_dims),
    Function("diff", ("x",), r"\Delta^{$n}\left($x\right)", "np.diff(x, n=n, axis=axis)", Standard.ARRAY_API,
             options=MappingProxyType({"axis": -1, "n": 1}), literal={"axis": Kind.INTEGER, "n": Kind.INTEGER},
             shape=_diff),
    # indexing (Array API): an integer index array is data (a case input with an integer dtype)
    Function("take", ("x", "indices"), r"\operatorname{take}\left($x, $indices\right)",
             "np.take(x, indices, axis=axis)", Standard.ARRAY_API, options=_AXIS, literal=_INTEGER_AXIS, shape=_take),
    Function("take_along_axis", ("x", "indices"), r"\operatorname{take\_along\_axis}\left($x, $indices\right)",
             "np.take_along_axis(x, indices, axis=axis)", Standard.ARRAY_API, options=_LAST_AXIS,
             literal=_INTEGER_AXIS, shape=_take_along_axis),
    # sorting (Array API): the values only; at a tie, which equal element goes where is the derivative's choice
    Function("sort", ("x",), r"\operatorname{sort}\left($x\right)",
             "-np.sort(-x, axis=axis) if descending else np.sort(x, axis=axis)", Standard.ARRAY_API,
             options=MappingProxyType({"axis": -1, "descending": False, "stable": True}),
             literal={"axis": Kind.INTEGER, "descending": Kind.BOOLEAN, "stable": Kind.BOOLEAN}, shape=_same),
    Function("top_k", ("x", "k"), r"\operatorname{top}_{$k}\left($x\right)",
             "(-np.sort(-x, axis=-1)[..., :k], np.argsort(-x, axis=-1, stable=True)[..., :k])", Standard.EXTENSION,
             literal={"k": Kind.INTEGER}, outputs=Outputs(("values", "indices"), _top_k),
             why="the k largest along the last axis, which torch.topk, tf.math.top_k and jax.lax.top_k all ship and "
                 "the standard lacks; its values ([0]) are differentiable (indices are integers), and at a tie the "
                 "framework's choice of which equal element it keeps decides which input gets the cotangent"),
    # special functions (scipy.special) and activations
    Function("logsumexp", ("x",), r"\log \sum \exp\left($x\right)", "special.logsumexp", Standard.SPECIAL,
             shape=to_scalar),
    Function("xlogy", ("x", "y"), r"$x \log $y", "special.xlogy", Standard.SPECIAL),
    _unary("gammaln", r"\log\Gamma\left($x\right)", "special.gammaln", Standard.SPECIAL, REAL),
    _unary("digamma", r"\psi\left($x\right)", "special.digamma", Standard.SPECIAL, REAL),
    _unary("erf", r"\operatorname{erf}\left($x\right)", "special.erf", Standard.SPECIAL, REAL),
    _unary("erfc", r"\operatorname{erfc}\left($x\right)", "special.erfc", Standard.SPECIAL, REAL),
    _unary("erfinv", r"\operatorname{erf}^{-1}\left($x\right)", "special.erfinv", Standard.SPECIAL, REAL),
    _unary("log_ndtr", r"\log \Phi\left($x\right)", "special.log_ndtr", Standard.SPECIAL, REAL),
    _unary("i0e", r"e^{-|$x|} I_0\left($x\right)", "special.i0e", Standard.SPECIAL, REAL),
    _unary("i1e", r"e^{-|$x|} I_1\left($x\right)", "special.i1e", Standard.SPECIAL, REAL),
    Function("polygamma", ("n", "x"), r"\psi^{($n)}\left($x\right)", "special.polygamma", Standard.SPECIAL,
             literal={"n": Kind.INTEGER}),
    Function("xlog1py", ("x", "y"), r"$x \log\left(1 + $y\right)", "special.xlog1py", Standard.SPECIAL),
    Function("gammainc", ("a", "x"), r"P\left($a, $x\right)", "special.gammainc", Standard.SPECIAL),
    Function("gammaincc", ("a", "x"), r"Q\left($a, $x\right)", "special.gammaincc", Standard.SPECIAL),
    Function("betainc", ("a", "b", "x"), r"I_{$x}\left($a, $b\right)", "special.betainc", Standard.SPECIAL),
    _unary("stop_gradient", r"\bot\left($x\right)", "np.asarray", Standard.EXTENSION, REAL_COMPLEX,
           why="the identity whose derivative is defined to be zero: detach / tf.stop_gradient / lax.stop_gradient"),
    _unary("sigmoid", r"\sigma\left($x\right)", "special.expit", Standard.EXTENSION, REAL,
           why="scipy.special.expit; every framework calls it sigmoid"),
    _unary("softplus", r"\operatorname{softplus}\left($x\right)", "np.logaddexp(0.0, x)", Standard.EXTENSION, REAL,
           why="log(1 + exp(x)), the activation every framework ships"),
    _unary("relu", r"\max\left($x, 0\right)", "np.maximum(x, 0.0)", Standard.EXTENSION, REAL,
           why="max(x, 0), the activation every framework ships, with its own choice at 0"),
)

FUNCTIONS: Mapping[str, Function] = MappingProxyType({f.name: f for f in _FUNCTIONS})
