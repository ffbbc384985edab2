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
from dataclasses import dataclass, field, replace
from enum import StrEnum
from types import MappingProxyType
from typing import Any, TypeAlias, TypeVar

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
    NUMBER = "a finite number literal"  # an activation's slope or scale, a normalization's epsilon


#: the strings a literal of these kinds may be
CHOICES: Mapping[Kind, tuple[str, ...]] = MappingProxyType(
    {
        Kind.QR_MODE: ("reduced", "complete"),
        Kind.INDEXING: ("xy", "ij"),
        Kind.DTYPE: ("float32", "float64"),
        Kind.NORM: ("backward", "ortho", "forward"),
    }
)


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
    if options.get("left") is False:  # X A = B: B's rows have A's size (torch's left=False takes no vector)
        if len(b) < 2 or b[-1] != n:
            raise ShapeError(f"{name}() of a {first} matrix from the right and a right-hand side of {describe(b)}")
        return (*broadcast(first[:-2], b[:-2]), b[-2], n)
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
        raise ShapeError(
            f"{name}() of shapes {', '.join(map(str, operands))}: axis {options['axis']} must have size 3 in both"
        )
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
    if not 0 <= n <= min(len(a), len(b)) or a[len(a) - n :] != b[:n]:
        raise ShapeError(f"{name}() of shapes {a} and {b} cannot contract {n} axes")
    return (*a[: len(a) - n], *b[n:])


def _svdvals(name: str, operands: list[Shape], options: Options) -> Shape:
    first = _matrix(name, operands[0])
    return (*first[:-2], min(first[-2:]))


def _concat(name: str, operands: list[Shape], options: Options) -> Shape:
    first = operands[0]
    axis = axes(name, first, options["axis"])[0]
    if any(len(s) != len(first) or s[:axis] + s[axis + 1 :] != first[:axis] + first[axis + 1 :] for s in operands):
        raise ShapeError(f"{name}() of shapes {', '.join(map(str, operands))}: they differ beyond axis {axis}")
    return (*first[:axis], sum(s[axis] for s in operands), *first[axis + 1 :])


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
    return (*first[:i], first[i] * repeats, *first[i + 1 :])


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
    return (*first[:i], indices[0], *first[i + 1 :])


def _take_along_axis(name: str, operands: list[Shape], options: Options) -> Shape:
    """Indices of the same rank as x, broadcast with it along every other axis; `axis` gets the indices' length."""
    first, indices = operands
    if len(indices) != len(first):
        raise ShapeError(
            f"{name}() of a value of {describe(first)} takes indices of the same rank, not {describe(indices)}"
        )
    i = axes(name, first, options["axis"])[0]
    rest = broadcast(first[:i] + first[i + 1 :], indices[:i] + indices[i + 1 :])
    return (*rest[:i], indices[i], *rest[i:])


def _diff(name: str, operands: list[Shape], options: Options) -> Shape:
    first, n = operands[0], options["n"]
    assert isinstance(n, int)
    if not first or n < 0:
        raise ShapeError(f"{name}() takes an array of at least one dimension and n >= 0")
    i = axes(name, first, options["axis"])[0]
    return (*first[:i], max(0, first[i] - n), *first[i + 1 :])


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
    return (first[:i] + first[i + 1 :],) * first[i]


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
        return (*first[:axis], size, *first[axis + 1 :])

    return rule


def fftn_shape(last: Callable[[int | None, int], int]) -> ShapeRule:
    """An n-d transform over `axes` (default: all, or the last len(s)): s sets the lengths, and the last axis's size
    becomes last(s[-1] or None, size)."""

    def rule(name: str, operands: list[Shape], options: Options) -> Shape:
        first, s, given = operands[0], options["s"], options["axes"]
        assert s is None or isinstance(s, tuple)
        chosen = axes(name, first, given) if given is not None else tuple(range(len(first)))[-len(s) if s else 0 :]
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
    NN = "nn"  # the neural-network functions: named as jax.nn and torch.nn.functional name them


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
class Known:
    """One framework's answer at a special point where it differs from the math: a documented choice (a
    convention, with `value` or `status`) or, with `bug`, a known bug (xfail), each with its public link."""

    framework: str
    why: str
    link: str
    #: per parameter, the framework's value (an expression in the parameters); empty for a status or a bug
    value: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    #: the framework's status where it is not a value ("error", "disconnected")
    status: str | None = None
    #: a documented approximation: per dtype, the framework's own (rtol, atol)
    tolerance: Mapping[str, tuple[float, float]] = field(default_factory=lambda: MappingProxyType({}))
    bug: bool = False
    #: the dtypes a convention holds in; empty: both (a bug holds in the point's dtypes: give it its own point)
    dtypes: tuple[str, ...] = ()
    #: the parameters whose derivatives it concerns (a value's keys where it gives one); empty: all
    params: tuple[str, ...] = ()
    #: in a Sweep by points, the special points it holds at besides the generic ones; in a Sweep by calls, the calls
    #: it holds at; None: all
    points: tuple[str, ...] | None = None
    #: in a Sweep by points, with `points` given: the generic samples it holds at (a dtype's rounding may miss at one
    #: drawn point only, the vector's or the scalar's)
    generic: tuple[str, ...] = ("generic", "scalar")


@dataclass(frozen=True)
class SpecialPoint:
    """A documented special point of a function (a zero, a tie, a bound, a pole, an extreme value), where its
    derivative is stated rather than left to the oracle."""

    name: str
    #: per parameter, a number
    inputs: Mapping[str, float]
    #: per parameter, the derivative there: an expression in the parameters (`1 / x`, `inf`), or "zero" for zero in
    #: any representation (0.0, None, a symbolic zero); at a point where the function is not differentiable, the
    #: value every framework is judged by (the minimum-norm subgradient, or the side the standard's function takes)
    expected: Mapping[str, str]
    why: str
    #: false where the function is not differentiable there: the oracle is off and `why` says what is admissible
    differentiable: bool = True
    #: the dtypes it is special in (a value below float32's range is special in float64 only); empty: both
    dtypes: tuple[str, ...] = ()
    known: tuple[Known, ...] = ()
    #: why finite differences cannot judge here although the derivative exists (a boundary, an overflow)
    oracle_off: str = ""
    #: per dtype, (rtol, atol) where the point's conditioning needs its own (said in `why`)
    tolerance: Mapping[str, tuple[float, float]] = field(default_factory=lambda: MappingProxyType({}))


class Structure(StrEnum):
    """What a drawn matrix is made into (over its last two axes), so that a linear algebra function is smooth and
    well conditioned at every generic point."""

    SPD = "spd"  # Q diag(1, ..., n) Q^T, Q from B's QR: eigenvalues 1 apart, so eigenvectors are well conditioned
    CONDITIONED = "conditioned"  # B + (|B|_2 + 1) I: its smallest singular value at least 1 (Weyl)


@dataclass(frozen=True)
class Call:
    """A generic sample of a sweep of a function that is not elementwise: how it is called and on what shapes
    (OpInfo's sample inputs). Its inputs are drawn, or given where they are data (indices, masks)."""

    name: str
    function: str
    shapes: Mapping[str, tuple[int, ...]]
    given: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class Sweep:
    """What the generator (`conformance.generate`) needs to write a function's sweep case."""

    #: per parameter, the open interval generic points are drawn from (inside the domain, away from special points);
    #: empty for a sweep by `calls`, whose inputs are drawn from `ranges`
    domain: tuple[tuple[float, float], ...] = ()
    special: tuple[SpecialPoint, ...] = ()
    #: per parameter, the derivative at every generic point where the algebra gives it for all of them ("zero" for a
    #: step function, stop_gradient's defined zero)
    everywhere: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    why: str = ""
    #: why finite differences cannot judge the function at all (stop_gradient: they see the identity)
    oracle_off: str = ""
    #: each framework's documented differences and known bugs at every point
    known: tuple[Known, ...] = ()
    #: the swept expression, where it is not the plain call (its reason in `why`)
    function: str = ""
    #: for a function that is not elementwise: its generic samples, one per call and shape (scalar and empty
    #: included where the function takes them)
    calls: tuple[Call, ...] = ()
    #: for a sweep by calls: per input, the interval its values are drawn from (default `RANGE`)
    ranges: Mapping[str, tuple[float, float]] = field(default_factory=lambda: MappingProxyType({}))
    #: for a sweep by calls: per input, what its drawn matrices are made into
    structure: Mapping[str, Structure] = field(default_factory=lambda: MappingProxyType({}))


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
    #: for a unary or binary elementwise function: its domain and special points (`_SWEEPS`)
    sweep: Sweep | None = None
    #: why its gradient is accurate normwise only (a backward-stable factorization's: Higham, Accuracy and Stability
    #: of Numerical Algorithms), so that an element may be off by roundings of the gradient's largest element rather
    #: than of itself (conformance/tolerance.py, Rule.NORMWISE); empty: accurate elementwise
    normwise: str = ""

    @property
    def arity(self) -> tuple[int, ...]:
        """The accepted numbers of positional arguments."""
        return tuple(range(len(self.params), len(self.params) + len(self.options) + 1))

    @property
    def signature(self) -> tuple[str, ...]:
        return (*self.params, *self.options)


#: why the gradients of the factorizations are accurate normwise only: each factorization is backward stable (Higham,
#: Accuracy and Stability of Numerical Algorithms, 2nd ed., SIAM 2002; Golub and Van Loan, Matrix Computations, 4th
#: ed., for the eigenvalue and singular value algorithms), and its gradient is formed from the computed factors
_LU = (
    "LU with partial pivoting is backward stable (Higham ch. 9: L U = A + dA, |dA| <= gamma_n |L||U|); the "
    "gradient is formed from the factors by products and triangular solves, each accurate normwise"
)
_EIGH = (
    "the symmetric QR algorithm is backward stable (Golub and Van Loan sec. 8.3: the computed eigensystem is "
    "exact for A + dA, |dA|_2 <= c n eps |A|_2); the gradient is formed by products with the eigenvectors"
)
_SVD = (
    "the Golub-Kahan SVD is backward stable (Golub and Van Loan sec. 8.6: exact for A + dA, |dA|_2 <= c mn eps "
    "|A|_2); the gradient is formed by products with the singular vectors and divisions by gaps between squared "
    "singular values"
)
_TRIANGULAR = (
    "triangular solves are backward stable (Higham ch. 8: each is exact for T + dT, |dT| <= gamma_n |T|); "
    "the value and gradient from a Cholesky factor are products and triangular solves with it"
)
#: torch's float64 trigamma value, which the primal check (the output under autodiff against the oracle's f) finds
_TRIGAMMA_VALUE = (
    "torch.polygamma(1, x) is its trigamma kernel (calc_trigamma in aten/src/ATen/native/Math.h), the "
    "short asymptotic series added as a 'low-precision' trigamma: its float64 value is about 1e-10 "
    "relative off, beyond the default rtol"
)
_AXIS = MappingProxyType({"axis": None})
_FIRST_AXIS = MappingProxyType({"axis": 0})
_LAST_AXIS = MappingProxyType({"axis": -1})
_INTEGER_AXIS = MappingProxyType({"axis": Kind.INTEGER})
_OFFSET = MappingProxyType({"offset": 0})
_INTEGER_OFFSET = MappingProxyType({"offset": Kind.INTEGER})


def _unary(
    name: str,
    latex: str,
    numpy: str | None = None,
    standard: Standard = Standard.ARRAY_API,
    domains: frozenset[Domain] = REAL_COMPLEX,
    why: str = "",
) -> Function:
    return Function(name, ("x",), latex, numpy or f"np.{name}", standard, domains=domains, why=why)


_FFT = MappingProxyType({"n": None, "axis": -1, "norm": "backward"})
_FFT_KINDS = MappingProxyType({"n": Kind.INTEGER, "axis": Kind.INTEGER, "norm": Kind.NORM})
_FFTN = MappingProxyType({"s": None, "axes": None, "norm": "backward"})
_FFTN_KINDS = MappingProxyType({"s": Kind.SHAPE, "axes": Kind.SHAPE, "norm": Kind.NORM})
#: the length of a real signal whose Hermitian half has m entries: n, else 2 (m - 1)
_HERMITIAN_LENGTH: Callable[[int | None, int], int] = lambda n, m: n if n else 2 * (m - 1)


def _fft(name: str, latex: str, shape: ShapeRule, domains: frozenset[Domain] = REAL_COMPLEX) -> Function:
    """A 1-d transform of the Array API's fft extension: (x, n=None, axis=-1, norm='backward')."""
    return Function(
        name,
        ("x",),
        latex,
        f"np.fft.{name}(x, n=n, axis=axis, norm=norm)",
        Standard.ARRAY_API,
        options=_FFT,
        domains=domains,
        literal=_FFT_KINDS,
        shape=shape,
    )


def _fftn(
    name: str, latex: str, last: Callable[[int | None, int], int], domains: frozenset[Domain] = REAL_COMPLEX
) -> Function:
    """An n-d transform of the Array API's fft extension: (x, s=None, axes=None, norm='backward')."""
    return Function(
        name,
        ("x",),
        latex,
        f"np.fft.{name}(x, s=s, axes=axes, norm=norm)",
        Standard.ARRAY_API,
        options=_FFTN,
        domains=domains,
        literal=_FFTN_KINDS,
        shape=fftn_shape(last),
    )


def _shift(name: str, latex: str) -> Function:
    return Function(
        name,
        ("x",),
        latex,
        f"np.fft.{name}(x, axes=axes)",
        Standard.ARRAY_API,
        options=MappingProxyType({"axes": None}),
        domains=REAL_COMPLEX,
        literal=MappingProxyType({"axes": Kind.INTEGERS}),
        shape=_shift_shape,
    )


def _shift_shape(name: str, operands: list[Shape], options: Options) -> Shape:
    if options["axes"] is not None:
        axes(name, operands[0], options["axes"])
    return operands[0]


def _reduction(name: str, latex: str, numpy: str | None = None) -> Function:
    return Function(
        name,
        ("x",),
        latex,
        numpy or f"np.{name}(x, axis=axis)",
        Standard.ARRAY_API,
        options=_AXIS,
        literal=_INTEGER_AXIS,
        shape=reduction,
    )


def _layer_norm(name: str, operands: list[Shape], options: Options) -> Shape:
    """x normalized over its last axis, then scaled and shifted elementwise by weight and bias of that axis's size."""
    first, weight, bias = operands
    if not first or weight != first[-1:] or bias != first[-1:]:
        raise ShapeError(
            f"{name}() of a value of {describe(first)} takes a weight and a bias of its last axis's "
            f"size, not {describe(weight)} and {describe(bias)}"
        )
    return first


def _cho_solve(name: str, operands: list[Shape], options: Options) -> Shape:
    """A Cholesky factor's system with a matrix right-hand side (torch's cholesky_solve and TF's take no vector)."""
    if len(operands[1]) < 2:
        raise ShapeError(f"{name}() takes a right-hand side of shape (..., n, k), not {describe(operands[1])}")
    return _solve(name, operands, options)


def _nn(
    name: str,
    latex: str,
    numpy: str,
    options: Options = MappingProxyType({}),
    literal: Mapping[str, Kind] = MappingProxyType({}),
) -> Function:
    """An activation of jax.nn and torch.nn.functional, elementwise on real values; its literals are numbers."""
    return Function(name, ("x",), latex, numpy, Standard.NN, options=options, literal=literal)


_ALPHA = MappingProxyType({"alpha": 1.0})
_ALPHA_KIND = MappingProxyType({"alpha": Kind.NUMBER})
_SOFTMAX_AXIS = MappingProxyType({"axis": None})  # scipy.special's default: over every element

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
    Function(
        "copysign", ("x1", "x2"), r"\operatorname{copysign}\left($x1, $x2\right)", "np.copysign", Standard.ARRAY_API
    ),
    Function("logaddexp", ("x1", "x2"), r"\log\left(e^{$x1} + e^{$x2}\right)", "np.logaddexp", Standard.ARRAY_API),
    Function("remainder", ("x1", "x2"), r"$x1 \bmod $x2", "np.remainder", Standard.ARRAY_API),
    Function(
        "floor_divide",
        ("x1", "x2"),
        r"\left\lfloor \frac{$x1}{$x2} \right\rfloor",
        "np.floor_divide",
        Standard.ARRAY_API,
    ),
    _unary("atanh", r"\operatorname{artanh}\left($x\right)", "np.arctanh"),
    _unary("sqrt", r"\sqrt{$x}"),
    _unary("abs", r"\left|$x\right|"),
    _unary("square", r"\left($x\right)^{2}"),
    _unary("positive", r"+$x"),
    # a cast: its derivative is the identity, cast back to the input's dtype; the oracle computes in float64
    # throughout (as for every function), where the cast's math is the identity
    Function(
        "astype",
        ("x", "dtype"),
        r"\operatorname{astype}\left($x, \mathrm{$dtype}\right)",
        "np.asarray(x, np.float64)",
        Standard.ARRAY_API,
        literal={"dtype": Kind.DTYPE},
    ),
    Function("maximum", ("x1", "x2"), r"\max\left($x1, $x2\right)", "np.maximum", Standard.ARRAY_API),
    Function("minimum", ("x1", "x2"), r"\min\left($x1, $x2\right)", "np.minimum", Standard.ARRAY_API),
    Function(
        "clip", ("x", "min", "max"), r"\operatorname{clip}\left($x, $min, $max\right)", "np.clip", Standard.ARRAY_API
    ),
    Function(
        "where",
        ("condition", "x1", "x2"),
        r"\operatorname{where}\left($condition, $x1, $x2\right)",
        "np.where",
        Standard.ARRAY_API,
        domains=REAL_COMPLEX,
    ),
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
    Function(
        "std",
        ("x",),
        r"\operatorname{std}\left($x\right)",
        "np.std(x, axis=axis, ddof=correction)",
        Standard.ARRAY_API,
        options=MappingProxyType({"axis": None, "correction": 0}),
        literal={"axis": Kind.INTEGER, "correction": Kind.INTEGER},
        shape=reduction,
    ),
    Function(
        "var",
        ("x",),
        r"\operatorname{var}\left($x\right)",
        "np.var(x, axis=axis, ddof=correction)",
        Standard.ARRAY_API,
        options=MappingProxyType({"axis": None, "correction": 0}),
        literal={"axis": Kind.INTEGER, "correction": Kind.INTEGER},
        shape=reduction,
    ),
    Function(
        "cumulative_sum",
        ("x",),
        r"\operatorname{cumsum}\left($x\right)",
        "np.cumsum(x, axis=0 if axis is None else axis)",
        Standard.ARRAY_API,
        options=_AXIS,
        literal=_INTEGER_AXIS,
    ),
    Function(
        "cumulative_prod",
        ("x",),
        r"\operatorname{cumprod}\left($x\right)",
        "np.cumprod(x, axis=0 if axis is None else axis)",
        Standard.ARRAY_API,
        options=_AXIS,
        literal=_INTEGER_AXIS,
    ),
    # linear algebra (Array API and its linalg extension); matrix norms of order 2 and 'nuc' go through the SVD
    Function(
        "matmul", ("x1", "x2"), r"$x1 \, $x2", "np.matmul", Standard.ARRAY_API, domains=REAL_COMPLEX, shape=_matmul
    ),
    Function("matrix_transpose", ("x",), r"{$x}^{\top}", "np.matrix_transpose", Standard.ARRAY_API, shape=_transpose),
    Function(
        "cholesky",
        ("x",),
        r"\operatorname{chol}\left($x\right)",
        "np.linalg.cholesky",
        Standard.ARRAY_API,
        shape=square(lambda s: s),
        normwise="the Cholesky factorization is backward stable (Higham ch. 10: L L^T = A + dA, "
        "|dA| <= gamma_(n+1) |L||L^T|); "
        "its gradient is formed by products and triangular solves with L, each accurate normwise",
    ),
    # left=False solves X A = B (torch.linalg.solve's option; the standard's solve is left=True)
    Function(
        "solve",
        ("x1", "x2"),
        r"{$x1}^{-1} $x2",
        "np.linalg.solve(x1, x2) if left else "
        "np.matrix_transpose(np.linalg.solve(np.matrix_transpose(x1), np.matrix_transpose(x2)))",
        Standard.ARRAY_API,
        options=MappingProxyType({"left": True}),
        literal={"left": Kind.BOOLEAN},
        shape=_solve,
        normwise=_LU,
    ),
    Function("inv", ("x",), r"{$x}^{-1}", "np.linalg.inv", Standard.ARRAY_API, shape=square(lambda s: s), normwise=_LU),
    Function("pinv", ("x",), r"{$x}^{+}", "np.linalg.pinv", Standard.ARRAY_API, shape=_transpose, normwise=_SVD),
    Function(
        "matrix_power",
        ("x", "n"),
        r"{$x}^{$n}",
        "np.linalg.matrix_power",
        Standard.ARRAY_API,
        literal={"n": Kind.INTEGER},
        shape=square(lambda s: s),
    ),
    Function(
        "det",
        ("x",),
        r"\det\left($x\right)",
        "np.linalg.det",
        Standard.ARRAY_API,
        shape=square(lambda s: s[:-2]),
        normwise=_LU,
    ),
    # the decompositions return tuples: a call selects one array at once (slogdet(x)[1], svd(x)[0])
    Function(
        "slogdet",
        ("x",),
        r"\operatorname{slogdet}\left($x\right)",
        "np.linalg.slogdet",
        Standard.ARRAY_API,
        outputs=Outputs(("sign", "logabsdet"), square(lambda s: (s[:-2], s[:-2]))),
        normwise=_LU,
    ),
    Function(
        "eigh",
        ("x",),
        r"\operatorname{eigh}\left($x\right)",
        "np.linalg.eigh",
        Standard.ARRAY_API,
        outputs=Outputs(("eigenvalues", "eigenvectors"), square(lambda s: (s[:-1], s))),
        normwise=_EIGH,
    ),
    Function(
        "qr",
        ("x",),
        r"\operatorname{qr}\left($x\right)",
        "np.linalg.qr(x, mode=mode)",
        Standard.ARRAY_API,
        options=MappingProxyType({"mode": "reduced"}),
        literal={"mode": Kind.QR_MODE},
        outputs=Outputs(("Q", "R"), _qr),
        normwise="Householder QR is backward stable (Higham Thm 19.4: A + dA = QR, |da_j| <= gamma_mn |a_j| "
        "per column); its gradient is formed by products and a triangular solve with R",
    ),
    Function(
        "svd",
        ("x",),
        r"\operatorname{svd}\left($x\right)",
        "np.linalg.svd(x, full_matrices=full_matrices)",
        Standard.ARRAY_API,
        options=MappingProxyType({"full_matrices": True}),
        literal={"full_matrices": Kind.BOOLEAN},
        outputs=Outputs(("U", "S", "Vh"), _svd),
        normwise=_SVD,
    ),
    Function(
        "eigvalsh",
        ("x",),
        r"\lambda\left($x\right)",
        "np.linalg.eigvalsh",
        Standard.ARRAY_API,
        shape=square(lambda s: s[:-1]),
        normwise=_EIGH,
    ),
    Function(
        "svdvals",
        ("x",),
        r"\sigma\left($x\right)",
        "np.linalg.svdvals",
        Standard.ARRAY_API,
        shape=_svdvals,
        normwise=_SVD,
    ),
    Function(
        "trace",
        ("x",),
        r"\operatorname{tr}\left($x\right)",
        "np.linalg.trace(x, offset=offset)",
        Standard.ARRAY_API,
        options=_OFFSET,
        literal=_INTEGER_OFFSET,
        shape=_trace,
    ),
    Function(
        "diagonal",
        ("x",),
        r"\operatorname{diagonal}\left($x\right)",
        "np.linalg.diagonal(x, offset=offset)",
        Standard.ARRAY_API,
        options=_OFFSET,
        literal=_INTEGER_OFFSET,
        shape=_diagonal,
    ),
    Function("outer", ("x1", "x2"), r"$x1 \otimes $x2", "np.linalg.outer", Standard.ARRAY_API, shape=_outer),
    Function(
        "tensordot",
        ("x1", "x2"),
        r"$x1 \cdot_{$axes} $x2",
        "np.linalg.tensordot(x1, x2, axes=axes)",
        Standard.ARRAY_API,
        options=MappingProxyType({"axes": 2}),
        literal={"axes": Kind.INTEGER},
        shape=_tensordot,
    ),
    Function(
        "vecdot",
        ("x1", "x2"),
        r"\langle $x1, $x2 \rangle",
        "np.linalg.vecdot(x1, x2, axis=axis)",
        Standard.ARRAY_API,
        options=_LAST_AXIS,
        literal=_INTEGER_AXIS,
        shape=_vecdot,
    ),
    Function(
        "cross",
        ("x1", "x2"),
        r"$x1 \times $x2",
        "np.linalg.cross(x1, x2, axis=axis)",
        Standard.ARRAY_API,
        options=_LAST_AXIS,
        literal=_INTEGER_AXIS,
        shape=_cross,
    ),
    Function(
        "vector_norm",
        ("x",),
        r"\left\|$x\right\|_{$ord}",
        "np.linalg.vector_norm(x, axis=axis, keepdims=keepdims, ord=ord)",
        Standard.ARRAY_API,
        options=MappingProxyType({"axis": None, "keepdims": False, "ord": 2}),
        literal={"axis": Kind.INTEGER, "keepdims": Kind.BOOLEAN, "ord": Kind.ORDER},
        shape=_vector_norm,
    ),
    Function(
        "matrix_norm",
        ("x",),
        r"\left\|$x\right\|_{$ord}",
        "np.linalg.matrix_norm(x, ord=ord)",
        Standard.ARRAY_API,
        options=MappingProxyType({"ord": "fro"}),
        literal={"ord": Kind.ORDER},
        shape=_matrix_norm,
    ),
    Function(
        "diag",
        ("x",),
        r"\operatorname{diag}\left($x\right)",
        "np.diag",
        Standard.EXTENSION,
        shape=_diag,
        why="NumPy's diag: a vector to a diagonal matrix, a matrix to its diagonal",
    ),
    Function("tril", ("x",), r"\operatorname{tril}\left($x\right)", "np.tril", Standard.ARRAY_API, shape=_tril),
    Function("triu", ("x",), r"\operatorname{triu}\left($x\right)", "np.triu", Standard.ARRAY_API, shape=_tril),
    # manipulation (Array API); concat and stack take a list literal of arrays
    Function(
        "concat",
        ("arrays",),
        r"\operatorname{concat}\left($arrays\right)",
        "np.concat(arrays, axis=axis)",
        Standard.ARRAY_API,
        options=_FIRST_AXIS,
        literal=_INTEGER_AXIS,
        lists=frozenset({"arrays"}),
        shape=_concat,
    ),
    Function(
        "stack",
        ("arrays",),
        r"\operatorname{stack}\left($arrays\right)",
        "np.stack(arrays, axis=axis)",
        Standard.ARRAY_API,
        options=_FIRST_AXIS,
        literal=_INTEGER_AXIS,
        lists=frozenset({"arrays"}),
        shape=_stack,
    ),
    Function(
        "reshape",
        ("x", "shape"),
        r"\operatorname{reshape}\left($x, $shape\right)",
        "np.reshape",
        Standard.ARRAY_API,
        literal={"shape": Kind.SHAPE},
        shape=_reshape,
    ),
    Function(
        "broadcast_to",
        ("x", "shape"),
        r"\operatorname{broadcast}\left($x, $shape\right)",
        "np.broadcast_to",
        Standard.ARRAY_API,
        literal={"shape": Kind.SHAPE},
        shape=_broadcast_to,
    ),
    Function(
        "expand_dims",
        ("x",),
        r"\operatorname{expand\_dims}\left($x\right)",
        "np.expand_dims(x, axis)",
        Standard.ARRAY_API,
        options=_FIRST_AXIS,
        literal=_INTEGER_AXIS,
        shape=_expand_dims,
    ),
    Function(
        "squeeze",
        ("x", "axis"),
        r"\operatorname{squeeze}\left($x\right)",
        "np.squeeze(x, axis)",
        Standard.ARRAY_API,
        literal={"axis": Kind.INTEGERS},
        shape=_squeeze,
    ),
    Function(
        "flip",
        ("x",),
        r"\operatorname{flip}\left($x\right)",
        "np.flip(x, axis=axis)",
        Standard.ARRAY_API,
        options=_AXIS,
        literal={"axis": Kind.INTEGERS},
        shape=_same,
    ),
    Function(
        "roll",
        ("x", "shift"),
        r"\operatorname{roll}\left($x, $shift\right)",
        "np.roll(x, shift, axis=axis)",
        Standard.ARRAY_API,
        options=_AXIS,
        literal={"shift": Kind.INTEGERS, "axis": Kind.INTEGERS},
        shape=_roll,
    ),
    Function(
        "tile",
        ("x", "repetitions"),
        r"\operatorname{tile}\left($x, $repetitions\right)",
        "np.tile",
        Standard.ARRAY_API,
        literal={"repetitions": Kind.SHAPE},
        shape=_tile,
    ),
    Function(
        "repeat",
        ("x", "repeats"),
        r"\operatorname{repeat}\left($x, $repeats\right)",
        "np.repeat(x, repeats, axis=axis)",
        Standard.ARRAY_API,
        options=_AXIS,
        literal={"repeats": Kind.INTEGER, "axis": Kind.INTEGER},
        shape=_repeat,
    ),
    Function(
        "moveaxis",
        ("x", "source", "destination"),
        r"\operatorname{moveaxis}\left($x\right)",
        "np.moveaxis",
        Standard.ARRAY_API,
        literal={"source": Kind.INTEGERS, "destination": Kind.INTEGERS},
        shape=_moveaxis,
    ),
    # the standard's broadcast_arrays and meshgrid take *arrays; the language writes them as a list, like concat's
    Function(
        "unstack",
        ("x",),
        r"\operatorname{unstack}\left($x\right)",
        "np.unstack(x, axis=axis)",
        Standard.ARRAY_API,
        options=_FIRST_AXIS,
        literal=_INTEGER_AXIS,
        outputs=Outputs(("slice", "..."), _unstack),
    ),
    Function(
        "broadcast_arrays",
        ("arrays",),
        r"\operatorname{broadcast}\left($arrays\right)",
        "np.broadcast_arrays(*arrays)",
        Standard.ARRAY_API,
        lists=frozenset({"arrays"}),
        outputs=Outputs(("array", "..."), _broadcast_arrays),
    ),
    Function(
        "meshgrid",
        ("arrays",),
        r"\operatorname{meshgrid}\left($arrays\right)",
        "np.meshgrid(*arrays, indexing=indexing)",
        Standard.ARRAY_API,
        options=MappingProxyType({"indexing": "xy"}),
        literal={"indexing": Kind.INDEXING},
        lists=frozenset({"arrays"}),
        outputs=Outputs(("grid", "..."), _meshgrid),
    ),
    Function(
        "permute_dims",
        ("x", "axes"),
        r"\operatorname{permute}\left($x, $axes\right)",
        "np.permute_dims",
        Standard.ARRAY_API,
        literal={"axes": Kind.SHAPE},
        shape=_permute_dims,
    ),
    Function(
        "diff",
        ("x",),
        r"\Delta^{$n}\left($x\right)",
        "np.diff(x, n=n, axis=axis)",
        Standard.ARRAY_API,
        options=MappingProxyType({"axis": -1, "n": 1}),
        literal={"axis": Kind.INTEGER, "n": Kind.INTEGER},
        shape=_diff,
    ),
    # indexing (Array API): an integer index array is data (a case input with an integer dtype)
    Function(
        "take",
        ("x", "indices"),
        r"\operatorname{take}\left($x, $indices\right)",
        "np.take(x, indices, axis=axis)",
        Standard.ARRAY_API,
        options=_AXIS,
        literal=_INTEGER_AXIS,
        shape=_take,
    ),
    Function(
        "take_along_axis",
        ("x", "indices"),
        r"\operatorname{take\_along\_axis}\left($x, $indices\right)",
        "np.take_along_axis(x, indices, axis=axis)",
        Standard.ARRAY_API,
        options=_LAST_AXIS,
        literal=_INTEGER_AXIS,
        shape=_take_along_axis,
    ),
    # sorting (Array API): the values only; at a tie, which equal element goes where is the derivative's choice
    Function(
        "sort",
        ("x",),
        r"\operatorname{sort}\left($x\right)",
        "-np.sort(-x, axis=axis) if descending else np.sort(x, axis=axis)",
        Standard.ARRAY_API,
        options=MappingProxyType({"axis": -1, "descending": False, "stable": True}),
        literal={"axis": Kind.INTEGER, "descending": Kind.BOOLEAN, "stable": Kind.BOOLEAN},
        shape=_same,
    ),
    Function(
        "top_k",
        ("x", "k"),
        r"\operatorname{top}_{$k}\left($x\right)",
        "(-np.sort(-x, axis=-1)[..., :k], np.argsort(-x, axis=-1, stable=True)[..., :k])",
        Standard.EXTENSION,
        literal={"k": Kind.INTEGER},
        outputs=Outputs(("values", "indices"), _top_k),
        why="the k largest along the last axis, which torch.topk, tf.math.top_k and jax.lax.top_k all ship and "
        "the standard lacks; its values ([0]) are differentiable (indices are integers), and at a tie the "
        "framework's choice of which equal element it keeps decides which input gets the cotangent",
    ),
    # special functions (scipy.special) and activations
    Function(
        "logsumexp", ("x",), r"\log \sum \exp\left($x\right)", "special.logsumexp", Standard.SPECIAL, shape=to_scalar
    ),
    Function("xlogy", ("x", "y"), r"$x \log $y", "special.xlogy", Standard.SPECIAL),
    _unary("gammaln", r"\log\Gamma\left($x\right)", "special.gammaln", Standard.SPECIAL, REAL),
    _unary("digamma", r"\psi\left($x\right)", "special.digamma", Standard.SPECIAL, REAL),
    _unary("erf", r"\operatorname{erf}\left($x\right)", "special.erf", Standard.SPECIAL, REAL),
    _unary("erfc", r"\operatorname{erfc}\left($x\right)", "special.erfc", Standard.SPECIAL, REAL),
    _unary("erfinv", r"\operatorname{erf}^{-1}\left($x\right)", "special.erfinv", Standard.SPECIAL, REAL),
    _unary("log_ndtr", r"\log \Phi\left($x\right)", "special.log_ndtr", Standard.SPECIAL, REAL),
    _unary("i0e", r"e^{-|$x|} I_0\left($x\right)", "special.i0e", Standard.SPECIAL, REAL),
    _unary("i1e", r"e^{-|$x|} I_1\left($x\right)", "special.i1e", Standard.SPECIAL, REAL),
    Function(
        "polygamma",
        ("n", "x"),
        r"\psi^{($n)}\left($x\right)",
        "special.polygamma",
        Standard.SPECIAL,
        literal={"n": Kind.INTEGER},
    ),
    Function("xlog1py", ("x", "y"), r"$x \log\left(1 + $y\right)", "special.xlog1py", Standard.SPECIAL),
    Function("gammainc", ("a", "x"), r"P\left($a, $x\right)", "special.gammainc", Standard.SPECIAL),
    Function("gammaincc", ("a", "x"), r"Q\left($a, $x\right)", "special.gammaincc", Standard.SPECIAL),
    Function("betainc", ("a", "b", "x"), r"I_{$x}\left($a, $b\right)", "special.betainc", Standard.SPECIAL),
    _unary(
        "stop_gradient",
        r"\bot\left($x\right)",
        "np.asarray",
        Standard.EXTENSION,
        REAL_COMPLEX,
        why="the identity whose derivative is defined to be zero: detach / tf.stop_gradient / lax.stop_gradient",
    ),
    _unary(
        "sigmoid",
        r"\sigma\left($x\right)",
        "special.expit",
        Standard.NN,
        REAL,
        why="scipy.special.expit; every framework calls it sigmoid",
    ),
    _unary(
        "softplus",
        r"\operatorname{softplus}\left($x\right)",
        "np.logaddexp(0.0, x)",
        Standard.NN,
        REAL,
        why="log(1 + exp(x)), the activation every framework ships",
    ),
    _unary(
        "relu",
        r"\max\left($x, 0\right)",
        "np.maximum(x, 0.0)",
        Standard.NN,
        REAL,
        why="max(x, 0), the activation every framework ships, with its own choice at 0",
    ),
    # the functions people differentiate most (issue 20): softmax and the special functions by scipy.special's
    # names, the activations and normalizations by jax.nn's and torch.nn.functional's, each distinct operator under
    # its own name (cholesky_inverse is not inv(L L^T): torch differentiates it by its own rule)
    Function(
        "softmax",
        ("x",),
        r"\operatorname{softmax}\left($x\right)",
        "special.softmax(x, axis=axis)",
        Standard.SPECIAL,
        options=_SOFTMAX_AXIS,
        literal=_INTEGER_AXIS,
        shape=_same,
    ),
    Function(
        "log_softmax",
        ("x",),
        r"\log\operatorname{softmax}\left($x\right)",
        "special.log_softmax(x, axis=axis)",
        Standard.SPECIAL,
        options=_SOFTMAX_AXIS,
        literal=_INTEGER_AXIS,
        shape=_same,
    ),
    # gelu's default is the exact x Phi(x) (torch's and TF's; jax.nn.gelu's default is the tanh approximation)
    _nn(
        "gelu",
        r"\operatorname{gelu}\left($x\right)",
        "0.5 * x * (1 + np.tanh(0.7978845608028654 * (x + 0.044715 * x**3))) if approximate else x * special.ndtr(x)",
        MappingProxyType({"approximate": False}),
        MappingProxyType({"approximate": Kind.BOOLEAN}),
    ),
    _nn("silu", r"$x \, \sigma\left($x\right)", "x * special.expit(x)"),
    _nn(
        "elu",
        r"\operatorname{elu}_{$alpha}\left($x\right)",
        "np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))",
        _ALPHA,
        _ALPHA_KIND,
    ),
    # selu's constants: Klambauer et al. 2017, as torch, TF and JAX write them
    _nn(
        "selu",
        r"\operatorname{selu}\left($x\right)",
        "1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * np.expm1(np.minimum(x, 0)))",
    ),
    _nn(
        "celu",
        r"\operatorname{celu}_{$alpha}\left($x\right)",
        "np.maximum(x, 0) + np.minimum(0, alpha * np.expm1(x / alpha))",
        _ALPHA,
        _ALPHA_KIND,
    ),
    # torch's and JAX's default slope (TF's leaky_relu defaults to 0.2)
    _nn(
        "leaky_relu",
        r"\operatorname{leaky\_relu}_{$negative_slope}\left($x\right)",
        "np.where(x > 0, x, negative_slope * x)",
        MappingProxyType({"negative_slope": 0.01}),
        MappingProxyType({"negative_slope": Kind.NUMBER}),
    ),
    _nn("relu6", r"\min\left(\max\left($x, 0\right), 6\right)", "np.clip(x, 0.0, 6.0)"),
    _nn("hardtanh", r"\operatorname{clip}\left($x, -1, 1\right)", "np.clip(x, -1.0, 1.0)"),
    _nn("softsign", r"\frac{$x}{1 + \left|$x\right|}", "x / (1 + np.abs(x))"),
    _nn("log_sigmoid", r"\log\sigma\left($x\right)", "-np.logaddexp(0.0, -x)"),
    _unary("logit", r"\log\frac{$x}{1 - $x}", "special.logit", Standard.SPECIAL, REAL),
    _unary(
        "sinc",
        r"\frac{\sin\left(\pi $x\right)}{\pi $x}",
        "np.sinc",
        Standard.EXTENSION,
        REAL,
        why="NumPy's normalized sinc, sin(pi x)/(pi x), which torch.sinc and jnp.sinc are (TF's NumPy API too)",
    ),
    _unary("i0", r"I_0\left($x\right)", "special.i0", Standard.SPECIAL, REAL),
    _unary("i1", r"I_1\left($x\right)", "special.i1", Standard.SPECIAL, REAL),
    Function(
        "normalize",
        ("x",),
        r"\frac{$x}{\max\left(\left\|$x\right\|_2, \epsilon\right)}",
        "x / np.maximum(np.linalg.vector_norm(x, axis=axis, keepdims=True), eps)",
        Standard.NN,
        options=MappingProxyType({"axis": -1, "eps": 1e-12}),
        literal=MappingProxyType({"axis": Kind.INTEGER, "eps": Kind.NUMBER}),
        shape=_same,
    ),
    Function(
        "layer_norm",
        ("x", "weight", "bias"),
        r"\operatorname{layer\_norm}\left($x\right) $weight + $bias",
        "(x - np.mean(x, -1, keepdims=True)) / np.sqrt(np.var(x, -1, keepdims=True) + eps) * weight + bias",
        Standard.NN,
        options=MappingProxyType({"eps": 1e-5}),
        literal=MappingProxyType({"eps": Kind.NUMBER}),
        shape=_layer_norm,
    ),
    Function(
        "cholesky_inverse",
        ("x",),
        r"\left($x {$x}^{\top}\right)^{-1}",
        "np.linalg.inv(x @ np.matrix_transpose(x))",
        Standard.EXTENSION,
        shape=square(lambda s: s),
        why="torch.cholesky_inverse: the inverse of L L^T from its lower Cholesky factor L, an operator with its "
        "own derivative rule (TF and JAX write it as a Cholesky solve of the identity)",
        normwise=_TRIANGULAR,
    ),
    Function(
        "cho_solve",
        ("x1", "x2"),
        r"\left($x1 {$x1}^{\top}\right)^{-1} $x2",
        "np.linalg.solve(x1 @ np.matrix_transpose(x1), x2)",
        Standard.EXTENSION,
        shape=_cho_solve,
        why="scipy.linalg.cho_solve with a lower factor: torch.cholesky_solve, tf.linalg.cholesky_solve, "
        "jax.scipy.linalg.cho_solve",
        normwise=_TRIANGULAR,
    ),
    Function(
        "ldexp",
        ("x1", "x2"),
        r"$x1 \cdot 2^{$x2}",
        "np.ldexp",
        Standard.EXTENSION,
        literal=MappingProxyType({"x2": Kind.INTEGER}),
        why="NumPy's ldexp, x1 2^x2, which torch and JAX ship; the integer exponent is a literal",
    ),
    _unary(
        "angle",
        r"\arg\left($x\right)",
        "np.angle",
        Standard.EXTENSION,
        why="NumPy's angle, the argument of a complex number (0 or pi for a real one), which torch, TF and JAX ship",
    ),
)


# Sweeps: each unary and binary elementwise function's domain and documented special points, from which
# `conformance generate-sweeps` writes conformance/cases/sweeps/. A derivative is stated only where the algebra
# gives it (in the point's why); generic points are judged by the oracle.
F64 = ("float64",)
_P = SpecialPoint
_TINY, _HUGE = 1e-300, 1e300  # float64 only: float32 rounds them to 0 and inf
_NO_DERIVATIVE = "jump: no derivative exists; 0 is the derivative on either side, and what every framework defines"
_STEP = (_P("integer", {"x": 2.0}, {"x": "zero"}, f"x = 2 is a {_NO_DERIVATIVE}", differentiable=False),)
#: a step function's derivative, zero wherever it exists
_FLAT = MappingProxyType({"x": "zero"})
_FLAT_WHY = "Piecewise constant: the derivative is 0 wherever it exists, in any representation (0, None, symbolic)"
_ONE_SIDED = "the domain ends here: a central difference would step outside it"
#: a tiny derivative judged relatively (the default atol, 1e-6 in float32, would pass a 0 for 1e-30)
_RELATIVE = MappingProxyType({"float32": (1e-5, 0.0)})
F32 = ("float32",)
#: per framework, why and where its float32 derivative below float32's normal range (1.2e-38) is 0: it computes
#: with subnormals flushed to zero
_FLUSHES = MappingProxyType(
    {
        "tensorflow": (
            "TF runs its CPU kernels with subnormals flushed to zero, which its denormal_test asserts: a float32"
            " derivative below 1.2e-38 is 0",
            "https://github.com/tensorflow/tensorflow/blob/v1.2.1/tensorflow/python/kernel_tests/denormal_test.py",
        ),
        "jax": (
            "XLA on a CPU flushes subnormals to zero, as JAX's sharp bits document: a float32 derivative below "
            "1.2e-38 is 0",
            "https://docs.jax.dev/en/latest/notebooks/Common_Gotchas_in_JAX.html",
        ),
    }
)


def _flushed(*frameworks: str) -> tuple[Known, ...]:
    """0 where the float32 derivative is subnormal, from the frameworks that flush subnormals to zero."""
    return tuple(Known(fw, *_FLUSHES[fw], {"x": "0"}, dtypes=F32) for fw in frameworks)


_SQUARED = (
    "{} = 1e-30 at x = 1e30, a normal float32, although x^2 overflows float32 (above 1.8e19): judged "
    "relatively, since the default atol (1e-6) would pass a 0"
)


def _squared(name: str) -> tuple[Known, ...]:
    """torch and JAX evaluate asinh' and acosh' as rsqrt(x^2 +- 1): 0 once x^2 overflows float32."""
    sign = "+" if name == "asinh" else "-"
    why = f"the derivative of {name} is computed as 1/sqrt(x^2 {sign} 1), and x^2 = inf in float32: 0"
    return (
        Known(
            "torch",
            f"{why}; no upstream issue found",
            "https://github.com/pytorch/pytorch/blob/main/tools/autograd/derivatives.yaml",
            bug=True,
        ),
        Known(
            "jax",
            f"{why} (open; acosh's fixed by jax-ml/jax#40643, after JAX 0.10.2)",
            "https://github.com/jax-ml/jax/issues/40634",
            bug=True,
        ),
    )


_MATH_GRAD = "https://github.com/tensorflow/tensorflow/blob/master/tensorflow/python/ops/math_grad.py"


def _log(scale: str) -> tuple[SpecialPoint, ...]:
    """log, log2 and log10 (d/dx = 1/(x ln b), `scale` = ln b, empty for e) at their boundary and extremes."""
    at_one, slope = (f"1 / {scale}", f"1 / (x * {scale})") if scale else ("1", "1 / x")
    return (
        _P("one", {"x": 1.0}, {"x": at_one}, "1/(x ln b) at x = 1"),
        _P(
            "zero",
            {"x": 0.0},
            {"x": "inf"},
            "1/(x ln b) -> +inf as x -> 0+, the boundary of the domain",
            oracle_off=_ONE_SIDED,
        ),
        _P("tiny", {"x": _TINY}, {"x": slope}, "1/(x ln b) = 1e300/ln b: large, still finite", dtypes=F64),
        _P("huge", {"x": _HUGE}, {"x": slope}, "1/(x ln b) = 1e-300/ln b", dtypes=F64),
    )


def _tie(name: str, mask: str) -> SpecialPoint:
    """maximum and minimum at x1 = x2: the split (1/2, 1/2) is the minimum-norm subgradient; TF sends it to x1."""
    return _P(
        "tie",
        {"x1": 1.5, "x2": 1.5},
        {"x1": "0.5", "x2": "0.5"},
        f"{name}(x1, x2) at x1 = x2 is a kink: any split (t, 1 - t), t in [0, 1], is a subgradient; (1/2, 1/2) "
        "is the minimum-norm one, which torch and JAX give",
        differentiable=False,
        known=(
            Known(
                "tensorflow",
                f"_{name.capitalize()}Grad's mask {mask} sends a tie wholly to x1: the split (1, 0)",
                _MATH_GRAD,
                {"x1": "1", "x2": "0"},
            ),
        ),
    )


def _no_grad_a(name: str) -> Known:
    return Known(
        "torch",
        f"torch.special.{name} documents that its backward with respect to the first argument (a) is "
        "not supported: it raises NotImplementedError (pytorch/pytorch#80025)",
        f"https://docs.pytorch.org/docs/stable/special.html#torch.special.{name}",
        status="error",
        params=("a",),
    )


#: the derivatives of gelu, Phi(x) + x phi(x), and of silu, s(x) (1 + x (1 - s(x))), in the language
_GELU_PRIME = "0.5 * erfc(-x / sqrt(2)) + x * exp(-x**2 / 2) / sqrt(2 * pi)"
_SILU_PRIME = "1 / (1 + exp(-x)) * (1 + x / (1 + exp(x)))"
#: selu's scale * alpha, the slope of selu left of 0 at 0
_SELU_SCALE_ALPHA = "1.7580993408473766"
_JAX_NN = "https://github.com/jax-ml/jax/blob/main/jax/_src/nn/functions.py"
_SMOOTH_KINK = (
    "the second derivative jumps at 0: the oracle's extrapolation, which assumes a smooth function, is off "
    "by 1e-7 there, beyond its own bound"
)


def _softsign(how: str) -> tuple[Known, ...]:
    """torch and JAX differentiate x / (1 + |x|) by the quotient rule: 1/(1 + |x|) - |x|/(1 + |x|)^2 cancels."""
    why = (
        f"softsign is x / (1 + |x|), differentiated by the quotient rule: 1/(1 + |x|) - |x|/(1 + |x|)^2, two terms "
        f"near 1/|x| that cancel to 1/(1 + |x|)^2 ({how}; TF's SoftsignGrad kernel is g/(1 + |x|)^2); no upstream "
        "issue found"
    )
    return (
        Known("torch", why, "https://github.com/pytorch/pytorch/blob/main/torch/nn/functional.py", bug=True),
        Known("jax", why, _JAX_NN, bug=True),
    )


def _exp_tail(name: str, tf: str, jax: str) -> tuple[Known, ...]:
    """TF's Elu/Selu gradient kernels, and JAX's expm1 JVP under jax.nn's elu family, take exp(x) from the rounded
    output e^x - 1 = -1: 0 in the tail."""
    return (
        Known(
            "tensorflow",
            f"TF's {name} gradient is computed from the rounded output, (y + 1) with y = e^x - 1 = "
            "-1: 0 (fixed by tensorflow/tensorflow#124902 and #125171, after TF 2.21)",
            tf,
            bug=True,
        ),
        Known(
            "jax",
            f"jax.nn.{name.lower()}'s negative branch is expm1, whose JVP is g (y + 1) from the rounded "
            "output y = -1: 0 (fix proposed in jax#40820)",
            jax,
            bug=True,
        ),
    )


_NO_XLA_BESSEL = (
    "Under XLA (--regime xla) TF errs: tf2xla has no kernel for BesselI0 and BesselI1 (it has them for "
    "the scaled i0e and i1e)"
)
#: at hardtanh's bounds, JAX and TF (a clip) take the identity's slope
_HARDTANH_BOUND = (
    Known(
        "jax",
        "jax.nn.hard_tanh is where(x > 1, 1, where(x < -1, -1, x)): at -1 and 1 the identity branch, slope "
        "1, a subgradient",
        _JAX_NN,
        {"x": "1"},
    ),
    Known(
        "tensorflow",
        "TF has no hardtanh: tf.clip_by_value's gradient passes where min <= x <= max, so 1 at the "
        "bounds, a subgradient",
        "https://github.com/tensorflow/tensorflow/blob/master/tensorflow/python/ops/clip_ops.py",
        {"x": "1"},
    ),
)
_ELU_TAIL = _exp_tail(
    "Elu", "https://github.com/tensorflow/tensorflow/issues/124833", "https://github.com/jax-ml/jax/issues/39795"
)


_SWEEPS: Mapping[str, Sweep] = MappingProxyType(
    {
        "exp": Sweep(
            ((-3.0, 3.0),),
            (
                _P("zero", {"x": 0.0}, {"x": "1"}, "e^0 = 1"),
                _P("large", {"x": 80.0}, {"x": "exp(x)"}, "e^80 = 5.5e34, within float32"),
            ),
        ),
        "log": Sweep(((0.1, 10.0),), _log("")),
        "log2": Sweep(((0.1, 10.0),), _log("log(2)")),
        "log10": Sweep(((0.1, 10.0),), _log("log(10)")),
        "log1p": Sweep(
            ((-0.5, 3.0),),
            (
                _P("zero", {"x": 0.0}, {"x": "1"}, "1/(1 + x) = 1"),
                _P("tiny", {"x": _TINY}, {"x": "1"}, "1/(1 + 1e-300) = 1 to rounding", dtypes=F64),
                _P("huge", {"x": _HUGE}, {"x": "1 / x"}, "1/(1 + x) = 1e-300", dtypes=F64),
            ),
        ),
        "expm1": Sweep(
            ((-3.0, 3.0),),
            (
                _P("zero", {"x": 0.0}, {"x": "1"}, "e^0 = 1"),
                _P("tiny", {"x": _TINY}, {"x": "1"}, "e^1e-300 = 1 to rounding", dtypes=F64),
                _P(
                    "very_negative",
                    {"x": -100.0},
                    {"x": "exp(x)"},
                    "e^-100 = 3.7e-44, a float32 subnormal",
                    known=(
                        Known(
                            "torch",
                            "torch's expm1 backward is grad * (y + 1) from the rounded output y = -1: 0",
                            "https://github.com/pytorch/pytorch/issues/192406",
                            bug=True,
                        ),
                        Known(
                            "jax",
                            "JAX's expm1 JVP is g * (y + 1) from the rounded output y = -1: 0 (fix proposed in "
                            "jax#40820)",
                            "https://github.com/jax-ml/jax/issues/39794",
                            bug=True,
                        ),
                        *_flushed("tensorflow"),
                    ),
                ),
            ),
        ),
        "sin": Sweep(
            ((-3.0, 3.0),),
            (
                _P("zero", {"x": 0.0}, {"x": "1"}, "cos 0 = 1"),
                _P(
                    "large",
                    {"x": 1.0e4},
                    {"x": "cos(x)"},
                    "cos x after argument reduction",
                    oracle_off="the oracle's step is relative to |x|: at 1e4 it spans much of a "
                    "period of sin, and Richardson extrapolation misses (it gives -0.14 "
                    "for cos(1e4) = -0.95)",
                ),
            ),
        ),
        "cos": Sweep(((-3.0, 3.0),), (_P("zero", {"x": 0.0}, {"x": "0"}, "-sin 0 = 0, the maximum of cos"),)),
        "tan": Sweep(((-1.2, 1.2),), (_P("zero", {"x": 0.0}, {"x": "1"}, "1/cos^2 0 = 1"),)),
        "tanh": Sweep(
            ((-3.0, 3.0),),
            (
                _P("zero", {"x": 0.0}, {"x": "1"}, "1 - tanh^2 0 = 1"),
                _P(
                    "large",
                    {"x": 20.0},
                    {"x": "1 / cosh(x)**2"},
                    "sech^2 20 = 1.7e-17: 1 - tanh^2 rounds it to 0",
                    known=(
                        Known(
                            "torch",
                            "torch's tanh backward is grad * (1 - y^2) from the rounded output y = tanh(20) = 1: "
                            "0 (float32 the same from |x| = 9, pytorch#195685)",
                            "https://github.com/pytorch/pytorch/issues/195527",
                            bug=True,
                        ),
                        Known(
                            "tensorflow",
                            "TF's TanhGrad kernel is grad * (1 - y^2) from the rounded output y = 1: 0 (the "
                            "merged fix, tensorflow#126747, is for float64 only and later than TF 2.21)",
                            "https://github.com/tensorflow/tensorflow/issues/126524",
                            bug=True,
                        ),
                        Known(
                            "jax",
                            "JAX's tanh JVP is g * (1 - y^2) from the rounded output y = 1: 0",
                            "https://github.com/jax-ml/jax/issues/40388",
                            bug=True,
                        ),
                    ),
                ),
                _P("huge", {"x": -1000.0}, {"x": "0"}, "sech^2 x = 4 e^-2000 underflows to 0"),
            ),
            known=(
                Known(
                    "jax",
                    "float32: XLA's tanh(2.909) is 0.99407047, 1.1 ulp from the truth 0.99407054, and the tanh "
                    "JVP (g + g y)(1 - y) from the rounded output y multiplies that by 1 / (1 - y) = 170: sech^2 is "
                    "1.15e-5 relative off (the mechanism that gives 0 once y rounds to 1)",
                    "https://github.com/jax-ml/jax/issues/40388",
                    bug=True,
                    dtypes=("float32",),
                    params=("x",),
                    points=(),
                    generic=("generic",),
                ),
            ),
        ),
        "sinh": Sweep(((-3.0, 3.0),), (_P("zero", {"x": 0.0}, {"x": "1"}, "cosh 0 = 1"),)),
        "cosh": Sweep(((-3.0, 3.0),), (_P("zero", {"x": 0.0}, {"x": "0"}, "sinh 0 = 0, the minimum of cosh"),)),
        "asin": Sweep(
            ((-0.9, 0.9),),
            (
                _P("zero", {"x": 0.0}, {"x": "1"}, "1/sqrt(1 - x^2) = 1"),
                _P(
                    "one", {"x": 1.0}, {"x": "inf"}, "1/sqrt(1 - x^2) -> +inf at the bound x = 1", oracle_off=_ONE_SIDED
                ),
            ),
        ),
        "acos": Sweep(
            ((-0.9, 0.9),),
            (
                _P("zero", {"x": 0.0}, {"x": "-1"}, "-1/sqrt(1 - x^2) = -1"),
                _P(
                    "one",
                    {"x": 1.0},
                    {"x": "-inf"},
                    "-1/sqrt(1 - x^2) -> -inf at the bound x = 1",
                    oracle_off=_ONE_SIDED,
                ),
            ),
        ),
        "atan": Sweep(
            ((-3.0, 3.0),),
            (
                _P("zero", {"x": 0.0}, {"x": "1"}, "1/(1 + x^2) = 1"),
                _P("large", {"x": 1.0e30}, {"x": "1 / (1 + x**2)"}, "1/(1 + x^2) = 1e-60, which float32 rounds to 0"),
            ),
        ),
        "asinh": Sweep(
            ((-3.0, 3.0),),
            (
                _P("zero", {"x": 0.0}, {"x": "1"}, "1/sqrt(x^2 + 1) = 1"),
                _P(
                    "large",
                    {"x": 1.0e30},
                    {"x": "1 / x"},
                    _SQUARED.format("1/sqrt(x^2 + 1)"),
                    dtypes=F32,
                    tolerance=_RELATIVE,
                    known=_squared("asinh"),
                ),
            ),
        ),
        "acosh": Sweep(
            ((1.5, 5.0),),
            (
                _P(
                    "one", {"x": 1.0}, {"x": "inf"}, "1/sqrt(x^2 - 1) -> +inf at the bound x = 1", oracle_off=_ONE_SIDED
                ),
                _P(
                    "large",
                    {"x": 1.0e30},
                    {"x": "1 / x"},
                    _SQUARED.format("1/sqrt(x^2 - 1)"),
                    dtypes=F32,
                    tolerance=_RELATIVE,
                    known=_squared("acosh"),
                ),
            ),
        ),
        "atanh": Sweep(
            ((-0.9, 0.9),),
            (
                _P("zero", {"x": 0.0}, {"x": "1"}, "1/(1 - x^2) = 1"),
                _P("one", {"x": 1.0}, {"x": "inf"}, "1/(1 - x^2) -> +inf at the bound x = 1", oracle_off=_ONE_SIDED),
            ),
        ),
        "reciprocal": Sweep(
            ((0.5, 3.0),),
            (
                _P(
                    "zero",
                    {"x": 0.0},
                    {"x": "-inf"},
                    "-1/x^2 = -inf at the pole x = 0 (from either side)",
                    oracle_off="a pole: the function is infinite there",
                ),
                _P("negative", {"x": -2.0}, {"x": "-0.25"}, "-1/x^2 = -1/4"),
            ),
        ),
        "floor": Sweep(((-3.0, 3.0),), _STEP, _FLAT, _FLAT_WHY),
        "ceil": Sweep(((-3.0, 3.0),), _STEP, _FLAT, _FLAT_WHY),
        "trunc": Sweep(((-3.0, 3.0),), _STEP, _FLAT, _FLAT_WHY),
        "round": Sweep(
            ((-3.0, 3.0),),
            (
                _P(
                    "half",
                    {"x": 2.5},
                    {"x": "zero"},
                    f"x = 2.5 (rounded half to even) is a {_NO_DERIVATIVE}",
                    differentiable=False,
                ),
            ),
            _FLAT,
            _FLAT_WHY,
        ),
        "sign": Sweep(
            ((-3.0, 3.0),),
            (_P("zero", {"x": 0.0}, {"x": "zero"}, f"x = 0 is a {_NO_DERIVATIVE}", differentiable=False),),
            _FLAT,
            _FLAT_WHY,
        ),
        "sqrt": Sweep(
            ((0.1, 10.0),),
            (
                _P("zero", {"x": 0.0}, {"x": "inf"}, "1/(2 sqrt x) -> +inf at x = 0", oracle_off=_ONE_SIDED),
                _P("tiny", {"x": _TINY}, {"x": "0.5 / sqrt(x)"}, "1/(2 sqrt x) = 5e149", dtypes=F64),
                _P("huge", {"x": _HUGE}, {"x": "0.5 / sqrt(x)"}, "1/(2 sqrt x) = 5e-151", dtypes=F64),
            ),
        ),
        "abs": Sweep(
            ((-3.0, 3.0),),
            (
                _P(
                    "zero",
                    {"x": 0.0},
                    {"x": "0"},
                    "|x| has one-sided slopes -1 and 1 at 0: any value in [-1, 1] is a subgradient; sign(0) = 0, the "
                    "minimum-norm one, is what torch (sgn) and TF (sign) give",
                    differentiable=False,
                    known=(
                        Known(
                            "jax",
                            "the abs JVP select(x >= 0, g, -g) picks the right derivative, 1, a subgradient in [-1, 1]",
                            "https://github.com/jax-ml/jax/issues/37820",
                            {"x": "1"},
                        ),
                    ),
                ),
                _P("negative", {"x": -2.0}, {"x": "-1"}, "sign(-2) = -1"),
            ),
        ),
        "square": Sweep(((-3.0, 3.0),), (_P("zero", {"x": 0.0}, {"x": "0"}, "2x = 0"),)),
        "positive": Sweep(((-3.0, 3.0),), (_P("zero", {"x": 0.0}, {"x": "1"}, "the identity"),)),
        # on real numbers real and conj are the identity (their complex cases are in array-api/complex.yaml)
        "real": Sweep(((-3.0, 3.0),), (_P("zero", {"x": 0.0}, {"x": "1"}, "the identity on real numbers"),)),
        "conj": Sweep(((-3.0, 3.0),), (_P("zero", {"x": 0.0}, {"x": "1"}, "the identity on real numbers"),)),
        "gammaln": Sweep(
            ((0.5, 5.0),),
            (
                _P(
                    "one",
                    {"x": 1.0},
                    {"x": "-0.5772156649015329"},
                    "psi(1) = -gamma, the Euler-Mascheroni constant",
                    known=(
                        Known(
                            "jax",
                            "jax.scipy.special.gammaln(1.0) is 4.8e-7 in float32, not 0 (its Lanczos "
                            "approximation, a few ulps off near the roots at 1 and 2)",
                            "https://github.com/jax-ml/jax/issues/21284",
                            bug=True,
                            dtypes=("float32",),
                            params=("primal",),
                        ),
                    ),
                ),
                _P(
                    "negative",
                    {"x": -0.5},
                    {"x": "digamma(x)"},
                    "log|Gamma(x)| has derivative psi(x) for negative non-integers too: psi(-1/2) = 0.0365",
                ),
            ),
            known=(
                Known(
                    "jax",
                    "float32: jax.scipy.special.gammaln(2.05) is 0.0219364, the truth 0.0219371: XLA's "
                    "Lanczos approximation is off by 6.5e-7 (5.5 eps) near the root at 2, where scipy's float32 is "
                    "correctly rounded",
                    "https://github.com/jax-ml/jax/issues/21284",
                    bug=True,
                    dtypes=("float32",),
                    params=("primal",),
                    points=(),
                    generic=("scalar",),
                ),
            ),
        ),
        "digamma": Sweep(
            ((0.5, 5.0),),
            (
                _P("one", {"x": 1.0}, {"x": "1.6449340668482264"}, "psi'(1) = pi^2/6"),
                _P(
                    "negative",
                    {"x": -0.5},
                    {"x": "8.934802200544704"},
                    "psi'(-1/2) = psi'(1/2) + 1/(1/2)^2 = pi^2/2 + 4 (the recurrence psi'(x) = psi'(x + 1) + 1/x^2)",
                ),
            ),
            known=(
                Known(
                    "torch",
                    "torch differentiates digamma with its trigamma kernel (calc_trigamma in "
                    "aten/src/ATen/native/Math.h), a short asymptotic series added as a 'low-precision' trigamma: "
                    "about 5e-10 relative in float64; for x < 0 it reflects (pi^2/sin^2(pi x) - psi'(1 - x)) and "
                    "is exact to rounding",
                    "https://github.com/pytorch/pytorch/pull/4399",
                    tolerance={"float64": (1e-9, 0.0)},
                    points=("one",),
                ),
            ),
        ),
        "erf": Sweep(
            ((-2.0, 2.0),),
            (
                _P("zero", {"x": 0.0}, {"x": "1.1283791670955126"}, "2/sqrt(pi) e^0 = 2/sqrt(pi)"),
                _P(
                    "tail",
                    {"x": 10.0},
                    {"x": "1.1283791670955126 * exp(-x**2)"},
                    "2/sqrt(pi) e^-100 = 4.2e-44, a float32 subnormal",
                    known=_flushed("tensorflow", "jax"),
                ),
            ),
        ),
        "erfc": Sweep(
            ((-2.0, 2.0),),
            (
                _P("zero", {"x": 0.0}, {"x": "-1.1283791670955126"}, "-2/sqrt(pi) e^0"),
                _P(
                    "tail",
                    {"x": 10.0},
                    {"x": "-1.1283791670955126 * exp(-x**2)"},
                    "-2/sqrt(pi) e^-100 = -4.2e-44, a float32 subnormal",
                    known=_flushed("tensorflow", "jax"),
                ),
            ),
        ),
        "erfinv": Sweep(
            ((-0.9, 0.9),),
            (
                _P("zero", {"x": 0.0}, {"x": "0.886226925452758"}, "sqrt(pi)/2 e^(erfinv(0)^2) = sqrt(pi)/2"),
                _P(
                    "near_one",
                    {"x": 0.9990234375},
                    {"x": "0.886226925452758 * exp(erfinv(x)**2)"},
                    "sqrt(pi)/2 e^(erfinv(x)^2) = 204, large near the bound x = 1 (x = 1 - 2^-10, exact in float32: "
                    "the "
                    "derivative changes 1e-5 relative per float32 rounding of x here)",
                ),
                _P(
                    "near_minus_one",
                    {"x": -0.9990234375},
                    {"x": "0.886226925452758 * exp(erfinv(x)**2)"},
                    "the derivative is even: 204 at x = -(1 - 2^-10) too",
                ),
                _P(
                    "one",
                    {"x": 1.0},
                    {"x": "inf"},
                    "sqrt(pi)/2 e^(erfinv(x)^2) -> +inf at the bound x = 1",
                    oracle_off=_ONE_SIDED,
                ),
            ),
        ),
        "log_ndtr": Sweep(
            ((-3.0, 3.0),),
            (
                _P("zero", {"x": 0.0}, {"x": "0.7978845608028654"}, "phi(0)/Phi(0) = (1/sqrt(2 pi))/(1/2)"),
                _P(
                    "deep_tail",
                    {"x": -30.0},
                    {"x": "exp(-x**2 / 2 - log_ndtr(x)) / sqrt(2 * pi)"},
                    "phi(x)/Phi(x), the inverse Mills ratio, about -x = 30 deep in the left tail; it is exp of the "
                    "difference "
                    "of two terms near 450, so float32's rounding of them (3e-5 each) bounds its accuracy: rtol 1e-4 "
                    "there",
                    tolerance={"float32": (1e-4, 0.0)},
                    known=(
                        Known(
                            "jax",
                            "below x = -20 (float64's lower segment) jax.scipy.special.log_ndtr sums an asymptotic "
                            "series of series_order = 3 terms; its derivative exp(-x^2/2 - log_ndtr(x))/sqrt(2 pi) "
                            "inherits that error (1.6e-10 relative at x = -30)",
                            "https://docs.jax.dev/en/latest/_autosummary/jax.scipy.special.log_ndtr.html",
                            tolerance={"float64": (1e-8, 0.0)},
                        ),
                    ),
                ),
            ),
        ),
        "i0e": Sweep(
            ((0.2, 3.0),),
            (
                _P(
                    "zero",
                    {"x": 0.0},
                    {"x": "0"},
                    "d/dx e^-|x| I0(x) = i1e(x) - sign(x) i0e(x): slopes -1 and 1 either side of 0, a kink; 0 is the "
                    "minimum-norm subgradient",
                    differentiable=False,
                ),
                _P("negative", {"x": -1.5}, {"x": "i1e(x) + i0e(x)"}, "i1e(x) - sign(x) i0e(x) with sign(x) = -1"),
            ),
        ),
        "i1e": Sweep(
            ((0.2, 3.0),),
            (
                _P(
                    "zero",
                    {"x": 0.0},
                    {"x": "0.5"},
                    "e^-|x| I1(x) = x/2 - x|x|/2 + O(x^3): derivative 1/2 at 0",
                    oracle_off="the second derivative jumps at 0 (the x|x| term): the oracle's extrapolation, which "
                    "assumes a smooth function, is off by 2e-7 there, beyond its own bound",
                ),
                _P(
                    "negative",
                    {"x": -1.5},
                    {"x": "i0e(x) - i1e(x) / x + i1e(x)"},
                    "I1' = I0 - I1/x, so the derivative is i0e(x) - i1e(x)/x - sign(x) i1e(x): 0.0024 from three terms "
                    "of "
                    "total size 0.73 (0.367 + 0.146 + 0.219) that cancel, whose rounding in float32 is (4 + log2 3) "
                    "eps 0.73 = "
                    "5.2e-7, the float32 atol",
                    tolerance={"float32": (1e-5, 5.2e-7)},
                ),
            ),
        ),
        "stop_gradient": Sweep(
            ((-3.0, 3.0),),
            everywhere={"x": "1"},
            function="x + stop_gradient(x)",
            why="The derivative of stop_gradient is defined to be zero, so that of x + stop_gradient(x) "
            "is 1 (the identity's); x is added so that the output depends on x in every framework: "
            "alone, torch's output would not require grad, and torch.autograd.grad raises for it",
            oracle_off="finite differences see 2x, not the defined derivative",
        ),
        "sigmoid": Sweep(
            ((-3.0, 3.0),),
            (
                _P("zero", {"x": 0.0}, {"x": "0.25"}, "s(1 - s) = 1/4"),
                _P(
                    "large",
                    {"x": 40.0},
                    {"x": "exp(-x) / (1 + exp(-x))**2"},
                    "s(1 - s) = 4.2e-18",
                    known=(
                        Known(
                            "torch",
                            "torch's sigmoid backward is grad * y * (1 - y) from the rounded output y = 1: 0",
                            "https://github.com/pytorch/pytorch/issues/195527",
                            bug=True,
                        ),
                        Known(
                            "tensorflow",
                            "TF's SigmoidGrad kernel is grad * y * (1 - y) from the rounded output y = 1: 0",
                            "https://github.com/tensorflow/tensorflow/issues/126060",
                            bug=True,
                        ),
                        Known(
                            "jax",
                            "JAX's logistic JVP is g * y * (1 - y) from the rounded output y = 1: 0 (fix proposed "
                            "in jax#40825)",
                            "https://github.com/jax-ml/jax/issues/40385",
                            bug=True,
                        ),
                    ),
                ),
                _P("huge", {"x": -1000.0}, {"x": "0"}, "s(1 - s) = e^-1000, below float64: 0"),
            ),
        ),
        "softplus": Sweep(
            ((-3.0, 3.0),),
            (
                _P("zero", {"x": 0.0}, {"x": "0.5"}, "sigmoid(0) = 1/2"),
                _P("large", {"x": 1000.0}, {"x": "1"}, "sigmoid(1000) = 1 to rounding"),
                _P("very_negative", {"x": -1000.0}, {"x": "0"}, "sigmoid(-1000) = e^-1000, below float64: 0"),
            ),
        ),
        "relu": Sweep(
            ((0.2, 3.0),),
            (
                _P(
                    "zero",
                    {"x": 0.0},
                    {"x": "0"},
                    "max(x, 0) has slopes 0 and 1 at 0: a kink; 0 is the minimum-norm subgradient, and all three "
                    "define "
                    "relu'(0) = 0 (jax.nn.relu's docs say so)",
                    differentiable=False,
                ),
                _P("negative", {"x": -2.0}, {"x": "0"}, "flat left of 0"),
            ),
        ),
        "atan2": Sweep(
            ((0.5, 3.0), (0.5, 3.0)),
            (
                _P(
                    "branch_cut",
                    {"x1": 0.0, "x2": -1.0},
                    {"x1": "-1", "x2": "0"},
                    "x2/(x1^2 + x2^2) = -1 and -x1/(x1^2 + x2^2) = 0: the cut along x1 = 0, x2 < 0 is a jump of 2 pi "
                    "in the "
                    "value, not in the one-sided slopes",
                    oracle_off="a branch cut: a central difference in x1 straddles the jump of 2 pi",
                ),
                _P(
                    "axis",
                    {"x1": 1.0, "x2": 0.0},
                    {"x1": "0", "x2": "-1"},
                    "x2/(x1^2 + x2^2) = 0, -x1/(x1^2 + x2^2) = -1",
                ),
                _P(
                    "origin",
                    {"x1": 0.0, "x2": 0.0},
                    {"x1": "nan", "x2": "nan"},
                    "atan2 is discontinuous at the origin (every angle is a limit there): no derivative and no "
                    "subgradient; "
                    "NaN, the 0/0 of x2/(x1^2 + x2^2), says so, and TF and JAX give it",
                    differentiable=False,
                    known=(
                        Known(
                            "torch",
                            "torch's atan2 backward gives 0 at the origin (x2 * (1/(x1^2 + x2^2)) masked there)",
                            "https://github.com/pytorch/pytorch/blob/main/torch/csrc/autograd/FunctionsManual.cpp",
                            {"x1": "0", "x2": "0"},
                        ),
                    ),
                ),
            ),
        ),
        "hypot": Sweep(
            ((0.5, 3.0), (-3.0, -0.5)),
            (
                _P(
                    "large",
                    {"x1": 1.0e200, "x2": 1.0e200},
                    {"x1": "0.7071067811865476", "x2": "0.7071067811865476"},
                    "x_i/hypot = 1/sqrt 2, though x^2 overflows float64",
                    dtypes=F64,
                    known=(
                        Known(
                            "tensorflow",
                            "tf.experimental.numpy.hypot is sqrt(x1^2 + x2^2) in TF 2.21: its value "
                            "overflows to inf at 1e200, so x_i/hypot = 0 (fixed by tensorflow/tensorflow#124888)",
                            "https://github.com/tensorflow/tensorflow/issues/124774",
                            bug=True,
                        ),
                        Known(
                            "jax",
                            "jnp.hypot is max * sqrt(1 + (min/max)^2), and the derivative of min/max in max is "
                            "-min/max^2 with max^2 = inf: that term is lost, and with the tie split evenly by "
                            "maximum/minimum each input gets (sqrt 2 + 1/sqrt 2)/2 = 1.06 instead of 1/sqrt 2; no "
                            "upstream issue found (jax-ml/jax#4882 made the value stable, not its gradient)",
                            "https://github.com/jax-ml/jax/blob/main/jax/_src/numpy/ufuncs.py",
                            bug=True,
                        ),
                    ),
                ),
                _P("axis", {"x1": 3.0, "x2": 0.0}, {"x1": "1", "x2": "0"}, "x1/hypot = 1, x2/hypot = 0"),
                _P(
                    "origin",
                    {"x1": 0.0, "x2": 0.0},
                    {"x1": "0", "x2": "0"},
                    "hypot is the cone |(x1, x2)|: at the origin every vector of the unit disk is a subgradient, and "
                    "(0, 0) is "
                    "the minimum-norm one",
                    differentiable=False,
                    known=(
                        Known(
                            "torch",
                            "torch differentiates hypot as grad * x / hypot: 0/0 = NaN at the origin",
                            "https://github.com/pytorch/pytorch/blob/main/tools/autograd/derivatives.yaml",
                            {"x1": "nan", "x2": "nan"},
                        ),
                        Known(
                            "tensorflow",
                            "tf.experimental.numpy.hypot is sqrt(x1^2 + x2^2): the chain rule gives "
                            "inf * 0 = NaN at the origin",
                            "https://github.com/tensorflow/tensorflow/blob/master/tensorflow/python/ops/numpy_ops/"
                            "np_math_ops.py",
                            {"x1": "nan", "x2": "nan"},
                        ),
                        Known(
                            "jax",
                            "jnp.hypot is where(max == 0, max, ...) of max(|x1|, |x2|): the tie of maximum splits "
                            "evenly and abs'(0) = 1, so (1/2, 1/2), a subgradient in the unit disk",
                            "https://github.com/jax-ml/jax/blob/main/jax/_src/numpy/ufuncs.py",
                            {"x1": "0.5", "x2": "0.5"},
                        ),
                    ),
                ),
            ),
        ),
        "copysign": Sweep(
            ((0.5, 3.0), (-3.0, -0.5)),
            everywhere={"x2": "zero"},
            why="The function |x1| sign(x2) is flat in x2 away from x2 = 0",
            special=(
                _P(
                    "positive",
                    {"x1": -2.0, "x2": 1.0},
                    {"x1": "-1", "x2": "zero"},
                    "copysign(x1, x2) = |x1| sign(x2): d/dx1 = sign(x1) sign(x2) = -1; d/dx2 = 0 away from x2 = 0",
                ),
                _P(
                    "zero",
                    {"x1": 0.0, "x2": -2.0},
                    {"x1": "0", "x2": "zero"},
                    "copysign(x1, -2) = -|x1| has slopes 1 and -1 either side of x1 = 0: any value in [-1, 1] is "
                    "admissible, "
                    "0 is the minimum-norm one, which torch and TF give",
                    differentiable=False,
                    known=(
                        Known(
                            "jax",
                            "jnp.copysign is sign(x2) * abs(x1), and JAX's abs JVP select(x >= 0, g, -g) gives "
                            "abs'(0) = 1: -1, in [-1, 1]",
                            "https://github.com/jax-ml/jax/issues/37820",
                            {"x1": "-1"},
                        ),
                    ),
                ),
            ),
        ),
        "logaddexp": Sweep(
            ((-3.0, 3.0), (-3.0, 3.0)),
            (
                _P(
                    "equal",
                    {"x1": 1.0, "x2": 1.0},
                    {"x1": "0.5", "x2": "0.5"},
                    "e^x1/(e^x1 + e^x2) = 1/2 each: logaddexp is smooth at x1 = x2",
                    known=(
                        Known(
                            "tensorflow",
                            "tf.experimental.numpy.logaddexp is maximum(x1, x2) + log1p(exp(-|x1 - x2|)): "
                            "maximum sends the tie wholly to x1 and abs'(0) = 0, so it gives (1, 0) for (1/2, 1/2); "
                            "the "
                            "fix for tnp is tensorflow/tensorflow#127741 (open)",
                            "https://github.com/tensorflow/tensorflow/issues/127232",
                            bug=True,
                        ),
                    ),
                ),
                _P(
                    "far_apart",
                    {"x1": 0.0, "x2": 1000.0},
                    {"x1": "0", "x2": "1"},
                    "e^x1/(e^x1 + e^x2) = 1/(1 + e^1000) underflows to 0; the other 1, though e^1000 overflows",
                ),
            ),
        ),
        "remainder": Sweep(
            ((0.2, 5.0), (0.7, 2.0)),
            (
                _P(
                    "negative",
                    {"x1": -1.5, "x2": 1.0},
                    {"x1": "1", "x2": "2"},
                    "x1 - x2 floor(x1/x2): d/dx1 = 1, d/dx2 = -floor(-1.5) = 2",
                ),
                _P(
                    "multiple",
                    {"x1": 3.0, "x2": 1.5},
                    {"x1": "1", "x2": "-2"},
                    "at x1/x2 = 2 remainder jumps (from 1.5 to 0): no derivative; the one-sided slopes are (1, -2) "
                    "from "
                    "the side where floor(x1/x2) = 2, which the function's value (0) takes, and every framework gives",
                    differentiable=False,
                ),
            ),
        ),
        "floor_divide": Sweep(
            ((0.2, 5.0), (0.7, 2.0)),
            (
                _P(
                    "exact",
                    {"x1": 3.0, "x2": 1.0},
                    {"x1": "zero", "x2": "zero"},
                    f"x1/x2 = 3 is a {_NO_DERIVATIVE}",
                    differentiable=False,
                ),
            ),
            {"x1": "zero", "x2": "zero"},
            _FLAT_WHY,
            known=(
                Known(
                    "torch",
                    "torch raises 'derivative for floor_divide is not implemented' instead of giving zero "
                    "(open since 2020)",
                    "https://github.com/pytorch/pytorch/issues/43327",
                    bug=True,
                ),
            ),
        ),
        "maximum": Sweep(((-3.0, 3.0), (-3.0, 3.0)), (_tie("maximum", "x1 >= x2"),)),
        "minimum": Sweep(((-3.0, 3.0), (-3.0, 3.0)), (_tie("minimum", "x1 <= x2"),)),
        "xlogy": Sweep(
            ((0.1, 3.0), (0.1, 3.0)),
            (
                _P("one", {"x": 2.0, "y": 1.0}, {"x": "0", "y": "2"}, "log y = 0, x/y = 2"),
                _P(
                    "zero_x",
                    {"x": 0.0, "y": 2.0},
                    {"x": "log(y)", "y": "0"},
                    "xlogy is smooth at x = 0 for y > 0: log y, x/y = 0",
                    known=(
                        Known(
                            "tensorflow",
                            "TF's _XLogyGrad computes d/dx as xlogy(x != 0, y), 0 at x = 0 for every y "
                            "(fixed upstream by tensorflow/tensorflow#119869)",
                            "https://github.com/tensorflow/tensorflow/issues/119476",
                            bug=True,
                            params=("x",),
                        ),
                    ),
                ),
                _P(
                    "origin",
                    {"x": 0.0, "y": 0.0},
                    {"x": "-inf", "y": "0"},
                    "xlogy(0, y) = 0 for every y, so d/dy = 0; along y = 0, (xlogy(h, 0) - 0)/h = log 0 = -inf from "
                    "both "
                    "sides, so d/dx = -inf (JAX's custom JVP x_dot log y gives it)",
                    oracle_off="log y is undefined for y < 0",
                    known=(
                        Known(
                            "torch",
                            "xlogy's backward masks d/dx to 0 where x == 0 and y <= 0, so that xlogy(0, 0) has a "
                            "finite gradient",
                            "https://github.com/pytorch/pytorch/issues/80770",
                            {"x": "0"},
                        ),
                        Known(
                            "tensorflow",
                            "_XLogyGrad computes d/dx as xlogy(x != 0, y), 0 wherever x = 0",
                            _MATH_GRAD,
                            {"x": "0"},
                        ),
                        Known(
                            "torch",
                            "d/dy = x / y evaluated at 0/0",
                            "https://github.com/pytorch/pytorch/blob/main/tools/autograd/derivatives.yaml",
                            {"y": "nan"},
                        ),
                        Known(
                            "jax",
                            "the custom JVP's y_dot * x / y at 0/0",
                            "https://github.com/jax-ml/jax/blob/main/jax/_src/scipy/special.py",
                            {"y": "nan"},
                        ),
                    ),
                ),
            ),
        ),
        "xlog1py": Sweep(
            ((0.1, 3.0), (-0.5, 3.0)),
            (
                _P("zero", {"x": 0.0, "y": 0.0}, {"x": "0", "y": "0"}, "log1p(0) = 0 and x/(1 + y) = 0"),
                _P(
                    "zero_x",
                    {"x": 0.0, "y": 1.0},
                    {"x": "log(2)", "y": "0"},
                    "xlog1py is smooth at x = 0 for y > -1: log1p(y) = log 2, x/(1 + y) = 0",
                    known=(
                        Known(
                            "tensorflow",
                            "TF's _XLog1pyGrad computes d/dx as xlog1py(x != 0, y), 0 at x = 0 for every y; "
                            "the issue was closed in 2022, yet TF 2.21 still gives 0",
                            "https://github.com/tensorflow/tensorflow/issues/56873",
                            bug=True,
                            params=("x",),
                        ),
                    ),
                ),
            ),
        ),
        "gammainc": Sweep(
            ((0.5, 4.0), (0.2, 5.0)),
            (
                _P(
                    "zero",
                    {"a": 2.0, "x": 0.0},
                    {"a": "0", "x": "0"},
                    "P(a, 0) = 0 for every a, so d/da = 0; d/dx = x^(a-1) e^-x/Gamma(a) = 0 at x = 0 for a = 2",
                    oracle_off=_ONE_SIDED,
                ),
            ),
            known=(_no_grad_a("gammainc"),),
        ),
        "gammaincc": Sweep(((0.5, 4.0), (0.2, 5.0)), known=(_no_grad_a("gammaincc"),)),
        # the activations (issue 20): their tails, where the derivative is tiny but not zero, and their kinks, where
        # each framework's one-sided choice is recorded as a convention against the minimum-norm subgradient
        "gelu": Sweep(
            ((-3.0, 3.0),),
            (
                _P("zero", {"x": 0.0}, {"x": "0.5"}, "Phi(x) + x phi(x) = Phi(0) = 1/2"),
                _P(
                    "tail",
                    {"x": -10.0},
                    {"x": _GELU_PRIME},
                    "Phi(x) + x phi(x) at -10: 7.6e-24 - 10 * 7.7e-23 = -7.6e-22",
                    known=(
                        Known(
                            "torch",
                            "torch's gelu backward computes Phi(x) as 0.5 (1 + erf(x/sqrt 2)), which cancels to 0 "
                            "below x = -9 in float64 (-6 in float32): the Phi term (1% of the derivative at -10) is "
                            "lost "
                            "(fix proposed in pytorch#189234)",
                            "https://github.com/pytorch/pytorch/issues/187806",
                            bug=True,
                        ),
                    ),
                ),
                _P("large", {"x": 10.0}, {"x": _GELU_PRIME}, "Phi(10) + 10 phi(10) = 1 + 7.6e-22: 1 to rounding"),
            ),
            known=(
                Known(
                    "tensorflow",
                    "tf.nn.gelu scales x by math_ops.cast(0.7071067811865476, dtype), and casting a "
                    "Python float makes a float32 tensor first: in float64 its 1/sqrt(2) is 0.70710676908 (1.7e-8 "
                    "relative), so value and derivative are off by about 1e-8 relative, x^2 times that in the tail "
                    "(1.7e-6 at -10); no upstream issue found",
                    "https://github.com/tensorflow/tensorflow/blob/master/tensorflow/python/ops/nn_ops.py",
                    tolerance={"float64": (3e-6, 0.0)},
                    dtypes=F64,
                    points=("tail",),
                ),
                Known(
                    "tensorflow",
                    "the same float32 1/sqrt(2) makes tf.nn.gelu's float64 value about 1e-8 relative "
                    "off, which the primal check finds; no upstream issue found",
                    "https://github.com/tensorflow/tensorflow/blob/master/tensorflow/python/ops/nn_ops.py",
                    bug=True,
                    dtypes=F64,
                    params=("primal",),
                    points=("tail",),
                ),
            ),
        ),
        "silu": Sweep(
            ((-3.0, 3.0),),
            (
                _P("zero", {"x": 0.0}, {"x": "0.5"}, "s(x) (1 + x (1 - s(x))) = s(0) = 1/2"),
                _P(
                    "tail",
                    {"x": -50.0},
                    {"x": _SILU_PRIME},
                    "s(x) (1 + x (1 - s(x))) at -50: e^-50 (1 - 50) = -9.5e-21",
                ),
                _P("large", {"x": 50.0}, {"x": _SILU_PRIME}, "s(50) (1 + 50 s(-50)) = 1 + 9e-21: 1 to rounding"),
            ),
        ),
        "elu": Sweep(
            ((-3.0, 3.0),),
            (
                _P(
                    "zero",
                    {"x": 0.0},
                    {"x": "1"},
                    "1 right of 0 and alpha e^x = 1 left of it (alpha = 1): smooth at 0",
                    oracle_off=_SMOOTH_KINK,
                ),
                _P(
                    "tail",
                    {"x": -50.0},
                    {"x": "exp(x)"},
                    "alpha e^x = e^-50 = 1.9e-22, a normal float32",
                    known=_ELU_TAIL,
                ),
                _P(
                    "very_negative",
                    {"x": -100.0},
                    {"x": "exp(x)"},
                    "alpha e^x = e^-100 = 3.7e-44",
                    dtypes=F64,
                    known=_ELU_TAIL,
                ),
            ),
        ),
        "selu": Sweep(
            ((-3.0, 3.0),),
            (
                _P(
                    "zero",
                    {"x": 0.0},
                    {"x": "1.0507009873554805"},
                    "selu(x) = scale x right of 0 and scale alpha (e^x - 1) left of it: slopes scale = 1.0507 and "
                    "scale alpha "
                    "= 1.7581 at 0, a kink; every value between is a subgradient, and scale, the smaller, is the "
                    "minimum-norm "
                    "one, which TF gives (eager and tf.function; under XLA, --regime xla, TF takes the negative branch "
                    "too: a "
                    "difference between TF's regimes)",
                    differentiable=False,
                    known=(
                        Known(
                            "torch",
                            "torch's elu backward (selu is elu with selu's scales) takes the negative branch "
                            "where x <= 0: scale alpha at 0, a subgradient",
                            "https://github.com/pytorch/pytorch/blob/main/aten/src/ATen/native/cpu/Activation.cpp",
                            {"x": _SELU_SCALE_ALPHA},
                        ),
                        Known(
                            "jax",
                            "jax.nn.selu is scale elu(x, alpha), and elu is where(x > 0, x, alpha expm1(x)): the "
                            "negative branch at 0, scale alpha, a subgradient",
                            _JAX_NN,
                            {"x": _SELU_SCALE_ALPHA},
                        ),
                    ),
                ),
                _P(
                    "tail",
                    {"x": -50.0},
                    {"x": f"{_SELU_SCALE_ALPHA} * exp(x)"},
                    "scale alpha e^x = 1.7581 e^-50 = 3.4e-22",
                    known=_exp_tail(
                        "Selu",
                        "https://github.com/tensorflow/tensorflow/issues/124834",
                        "https://github.com/jax-ml/jax/issues/39796",
                    ),
                ),
                _P("positive", {"x": 2.0}, {"x": "1.0507009873554805"}, "scale right of 0"),
            ),
        ),
        "celu": Sweep(
            ((-3.0, 3.0),),
            (
                _P(
                    "zero",
                    {"x": 0.0},
                    {"x": "1"},
                    "1 right of 0 and e^(x/alpha) = 1 left of it: celu is smooth at 0 for every alpha (unlike elu)",
                    oracle_off=_SMOOTH_KINK,
                ),
                _P(
                    "tail",
                    {"x": -50.0},
                    {"x": "exp(x)"},
                    "e^(x/alpha) = e^-50 = 1.9e-22 (alpha = 1)",
                    known=_exp_tail(
                        "Elu",
                        "https://github.com/tensorflow/tensorflow/issues/124833",
                        "https://github.com/jax-ml/jax/issues/39794",
                    ),
                ),
            ),
        ),
        # its generic points on the negative slope, which TF rounds in float64 (below); the positive side is a point
        "leaky_relu": Sweep(
            ((-3.0, -0.2),),
            (
                _P(
                    "zero",
                    {"x": 0.0},
                    {"x": "0.01"},
                    "slopes 0.01 (the negative slope) and 1 at 0, a kink; every value between is a subgradient, and "
                    "0.01 is "
                    "the minimum-norm one, which torch and TF give",
                    differentiable=False,
                    known=(
                        Known(
                            "jax",
                            "jax.nn.leaky_relu is where(x >= 0, x, negative_slope x): the right slope, 1, at 0, a "
                            "subgradient",
                            _JAX_NN,
                            {"x": "1"},
                        ),
                    ),
                ),
                _P("positive", {"x": 2.0}, {"x": "1"}, "the identity right of 0"),
            ),
            known=(
                Known(
                    "tensorflow",
                    "TF's LeakyRelu op takes alpha as a float attribute, 32 bits: in float64 its slope "
                    "is 0.01 rounded to float32, 0.0099999998 (2.2e-8 relative); no upstream issue found",
                    "https://www.tensorflow.org/api_docs/python/tf/raw_ops/LeakyRelu",
                    tolerance={"float64": (1e-7, 0.0)},
                    dtypes=F64,
                    points=("zero",),
                ),
                Known(
                    "tensorflow",
                    "the same 32-bit alpha makes TF's float64 value left of 0 about 1e-8 relative off, "
                    "which the primal check finds; no upstream issue found",
                    "https://www.tensorflow.org/api_docs/python/tf/raw_ops/LeakyRelu",
                    bug=True,
                    dtypes=F64,
                    params=("primal",),
                    points=(),
                ),
            ),
        ),
        "relu6": Sweep(
            ((0.2, 5.8),),
            (
                _P(
                    "zero",
                    {"x": 0.0},
                    {"x": "0"},
                    "slopes 0 and 1 at 0, a kink; 0 is the minimum-norm subgradient",
                    differentiable=False,
                ),
                _P(
                    "six",
                    {"x": 6.0},
                    {"x": "0"},
                    "slopes 1 and 0 at 6, a kink; 0 is the minimum-norm subgradient",
                    differentiable=False,
                ),
                _P("negative", {"x": -1.0}, {"x": "0"}, "flat left of 0"),
                _P("above", {"x": 7.0}, {"x": "0"}, "flat right of 6"),
            ),
        ),
        "hardtanh": Sweep(
            ((-0.9, 0.9),),
            (
                _P(
                    "one",
                    {"x": 1.0},
                    {"x": "0"},
                    "slopes 1 and 0 at 1, a kink; 0 is the minimum-norm subgradient, which torch gives",
                    differentiable=False,
                    known=_HARDTANH_BOUND,
                ),
                _P(
                    "minus_one",
                    {"x": -1.0},
                    {"x": "0"},
                    "slopes 0 and 1 at -1, a kink; 0 is the minimum-norm subgradient, which torch gives",
                    differentiable=False,
                    known=_HARDTANH_BOUND,
                ),
                _P("above", {"x": 2.0}, {"x": "0"}, "flat beyond 1"),
            ),
        ),
        "softsign": Sweep(
            ((-3.0, 3.0),),
            (
                _P(
                    "zero",
                    {"x": 0.0},
                    {"x": "1"},
                    "1/(1 + |x|)^2 = 1: smooth at 0, the slopes of |x| cancel",
                    oracle_off=_SMOOTH_KINK,
                ),
                _P(
                    "large",
                    {"x": 1.0e4},
                    {"x": "1 / (1 + x)**2"},
                    "1/(1 + |x|)^2 = 1.0e-8, which differentiating x / (1 + |x|) by the quotient rule gets as the "
                    "difference "
                    "of two terms of 1e-4: a float32 check",
                    dtypes=F32,
                    known=_softsign("8e-5 relative in float32"),
                ),
                _P(
                    "huge",
                    {"x": 1.0e30},
                    {"x": "1 / (1 + x)**2"},
                    "1/(1 + |x|)^2 = 1e-60",
                    dtypes=F64,
                    known=_softsign("0 in float64"),
                ),
            ),
        ),
        "log_sigmoid": Sweep(
            ((-3.0, 3.0),),
            (
                _P("zero", {"x": 0.0}, {"x": "0.5"}, "s(-x) = 1/2"),
                _P("tail", {"x": 40.0}, {"x": "1 / (1 + exp(x))"}, "s(-x) = 1/(1 + e^40) = 4.2e-18"),
                _P("negative", {"x": -40.0}, {"x": "1 / (1 + exp(x))"}, "s(40) = 1 - 4.2e-18: 1 to rounding"),
                _P("huge", {"x": 1000.0}, {"x": "0"}, "s(-x) = e^-1000, below float64: 0"),
            ),
        ),
        "logit": Sweep(
            ((0.1, 0.9),),
            (
                _P("half", {"x": 0.5}, {"x": "4"}, "1/(x (1 - x)) = 4"),
                _P(
                    "near_one",
                    {"x": 0.9990234375},
                    {"x": "1 / (x * (1 - x))"},
                    "1/(x (1 - x)) = 1025 at x = 1 - 2^-10, exact in float32",
                ),
                _P("tiny", {"x": _TINY}, {"x": "1 / x"}, "1/(x (1 - x)) = 1e300, large and finite", dtypes=F64),
                _P("zero", {"x": 0.0}, {"x": "inf"}, "1/(x (1 - x)) -> +inf at the bound x = 0", oracle_off=_ONE_SIDED),
            ),
        ),
        "sinc": Sweep(
            ((0.2, 3.0),),
            (
                _P(
                    "zero",
                    {"x": 0.0},
                    {"x": "0"},
                    "sinc is even and smooth: its maximum at 0, derivative 0",
                    known=(
                        Known(
                            "tensorflow",
                            "tf.experimental.numpy.sinc is where(x == 0, 1, sin(pi x)/(pi x)): the "
                            "unselected branch's gradient is 0/0 = NaN, and 0 * NaN = NaN (fix proposed in "
                            "tensorflow/tensorflow#127742)",
                            "https://github.com/tensorflow/tensorflow/issues/127226",
                            bug=True,
                        ),
                    ),
                ),
                _P(
                    "small",
                    {"x": 1.0e-3},
                    {"x": "-3.289868133696453 * x * (1 - 0.9869604401089358 * x**2)"},
                    "the Maclaurin series sinc x = 1 - (pi x)^2/6 + (pi x)^4/120 - ... gives -(pi^2 x/3)(1 - pi^2 "
                    "x^2/10) to "
                    "1e-13 relative: -3.29e-3, which (cos(pi x) pi x - sin(pi x))/(pi x^2) computes by cancelling two "
                    "terms of "
                    "3e-3, losing 4 of float32's 7 digits: a float32 check",
                    dtypes=F32,
                    known=(
                        Known(
                            "torch",
                            "torch's sinc backward is (pi x cos(pi x) - sin(pi x))/(pi x^2) as it stands: 1.4% off "
                            "in float32 at 1e-3; no upstream issue found",
                            "https://github.com/pytorch/pytorch/blob/main/tools/autograd/derivatives.yaml",
                            bug=True,
                        ),
                        Known(
                            "tensorflow",
                            "TF differentiates sin(pi x)/(pi x) by the quotient rule: 5% off in float32 at "
                            "1e-3; no upstream issue found",
                            "https://github.com/tensorflow/tensorflow/blob/master/tensorflow/"
                            "python/ops/numpy_ops/np_math_ops.py",
                            bug=True,
                        ),
                        Known(
                            "jax",
                            "jnp.sinc away from 0 is sin(pi x)/(pi x), differentiated by the quotient rule: 0.8% "
                            "off in float32 at 1e-3; no upstream issue found (jax#1722 fixed 0 only)",
                            "https://github.com/jax-ml/jax/blob/main/jax/_src/numpy/ufuncs.py",
                            bug=True,
                        ),
                    ),
                ),
                _P(
                    "integer", {"x": 3.0}, {"x": "-1 / 3"}, "(cos(pi x) pi x - sin(pi x))/(pi x^2) = cos(3 pi)/3 = -1/3"
                ),
                _P(
                    "negative",
                    {"x": -2.5},
                    {"x": "1 / (6.25 * pi)"},
                    "(cos(pi x) pi x - sin(pi x))/(pi x^2) with cos(-2.5 pi) = 0, sin(-2.5 pi) = -1: 1/(6.25 pi)",
                ),
            ),
        ),
        "i0": Sweep(
            ((0.2, 3.0),),
            (
                _P(
                    "zero",
                    {"x": 0.0},
                    {"x": "0"},
                    "I0' = I1, and I1(0) = 0",
                    known=(
                        Known(
                            "jax",
                            "jax.scipy.special.i0 is i0e(x) exp(|x|), and abs's JVP gives 1 at 0: the derivative "
                            "comes out i0e(0) = 1 (fixed by jax-ml/jax#40640, after JAX 0.10.2)",
                            "https://github.com/jax-ml/jax/issues/40628",
                            bug=True,
                        ),
                    ),
                ),
                _P("negative", {"x": -1.5}, {"x": "i1(x)"}, "I0' = I1, odd: I1(-1.5) = -0.98"),
                _P("large", {"x": 50.0}, {"x": "i1(x)"}, "I1(50) = 2.9e20, within float32"),
                _P("huge", {"x": 700.0}, {"x": "i1(x)"}, "I1(700) = 1.5e302, within float64", dtypes=F64),
            ),
            why=_NO_XLA_BESSEL,
        ),
        "i1": Sweep(
            ((0.2, 3.0),),
            (
                _P(
                    "zero",
                    {"x": 0.0},
                    {"x": "0.5"},
                    "I1(x) = x/2 + x^3/16 + ...: derivative 1/2 at 0",
                    known=(
                        Known(
                            "tensorflow",
                            "_BesselI1Grad imputes 1 at x = 0 ('the correct gradient is 1.0', its comment "
                            "says) for I0(0) - lim I1(x)/x = 1 - 1/2",
                            "https://github.com/tensorflow/tensorflow/issues/120578",
                            bug=True,
                        ),
                    ),
                ),
                _P("negative", {"x": -1.5}, {"x": "i0(x) - i1(x) / x"}, "I1' = I0 - I1/x, even: 0.99"),
                _P("large", {"x": 50.0}, {"x": "i0(x) - i1(x) / x"}, "I0(50) - I1(50)/50 = 2.9e20"),
            ),
            why=_NO_XLA_BESSEL,
        ),
        "angle": Sweep(
            ((0.5, 3.0),),
            (
                _P("negative", {"x": -2.0}, {"x": "zero"}, "the angle of a negative real number is pi, constant: 0"),
                _P(
                    "zero",
                    {"x": 0.0},
                    {"x": "zero"},
                    "the angle jumps from pi to 0 at x = 0: no derivative exists; 0 is the "
                    "derivative on either side, which torch and TF give",
                    differentiable=False,
                    known=(
                        Known(
                            "jax",
                            "jnp.angle is atan2(imag(x), real(x)), whose derivative in real(x), -imag/(real^2 + "
                            "imag^2), is 0/0 = NaN at 0",
                            "https://github.com/jax-ml/jax/blob/main/jax/_src/numpy/ufuncs.py",
                            {"x": "nan"},
                        ),
                    ),
                ),
            ),
            _FLAT,
            "The angle of a real number is 0 or pi, piecewise constant: its derivative is 0 wherever it exists "
            "(the complex case is in nn/nn.yaml)",
        ),
    }
)


# Sweeps by calls: each function that is not elementwise (or takes more than two arrays, a literal, a mask) in the
# shapes and options OpInfo's sample inputs would give it, judged by the oracle. Their special points (ties, zeros,
# singular and repeated-eigenvalue matrices) are hand-written cases, named in `why`, not repeated here. An empty
# input of several axes has its 0 last, (3, 0), so that it is written as nested lists ([[], [], []]), and so
# must its output (its cotangent): matrix_transpose has no empty sample.
def _C(name: str, function: str, **shapes: tuple[int, ...]) -> Call:
    return Call(name, function, MappingProxyType(shapes))


def _data(value: list[Any], dtype: str = "int64") -> dict[str, Any]:
    return {"value": value, "dtype": dtype}


#: the interval inputs of a sweep by calls are drawn from, unless its `ranges` says otherwise
RANGE = (-2.0, 2.0)


def _reduction_calls(name: str, axis: bool = True, empty: bool = True) -> tuple[Call, ...]:
    """A reduction over everything, over each axis of a matrix and a middle one of a batch, of a scalar, of nothing."""
    calls = [_C("vector", f"{name}(x)", x=(5,)), _C("scalar", f"{name}(x)", x=())]
    calls += (
        [
            _C("axis0", f"{name}(x, 0)", x=(3, 4)),
            _C("axis_last", f"{name}(x, -1)", x=(3, 4)),
            _C("batch", f"{name}(x, 1)", x=(2, 3, 4)),
        ]
        if axis
        else [_C("matrix", f"{name}(x)", x=(3, 4))]
    )
    return (*calls, *([_C("empty", f"{name}(x)", x=(0,))] if empty else []))


def _fft_calls(name: str) -> tuple[Call, ...]:
    """A one-dimensional transform: even and odd lengths, padded and cropped, along the first axis, normalized."""
    return (
        _C("even", f"{name}(x)", x=(8,)),
        _C("odd", f"{name}(x)", x=(5,)),
        _C("padded", f"{name}(x, 8)", x=(5,)),
        _C("cropped", f"{name}(x, 4)", x=(6,)),
        _C("axis0", f"{name}(x, axis=0)", x=(4, 3)),
        _C("ortho", f"{name}(x, norm='ortho')", x=(6,)),
        _C("forward", f"{name}(x, norm='forward')", x=(6,)),
    )


def _fftn_calls(name: str) -> tuple[Call, ...]:
    return (
        _C("matrix", f"{name}(x)", x=(4, 6)),
        _C("batch", f"{name}(x, axes=(1, 2))", x=(2, 3, 4)),
        _C("one_axis", f"{name}(x, axes=(0,))", x=(4, 3)),
        _C("sized", f"{name}(x, s=(4, 4))", x=(3, 5)),
        _C("ortho", f"{name}(x, norm='ortho')", x=(3, 4)),
    )


def _shift_calls(name: str) -> tuple[Call, ...]:
    return (
        _C("odd", f"{name}(x)", x=(5,)),
        _C("matrix", f"{name}(x)", x=(3, 4)),
        _C("one_axis", f"{name}(x, 1)", x=(3, 4)),
        _C("empty", f"{name}(x)", x=(0,)),
    )


def _symmetric(call: str) -> str:
    """The call on the symmetric part of x: what a framework reads of a symmetric input (a triangle, the
    symmetrized matrix) then no longer matters, and the gradient in x is unique (as in eigh-eigenvalues-grad)."""
    return call.format("(x + matrix_transpose(x)) / 2")


_SPD = MappingProxyType({"x": Structure.SPD})
_CONDITIONED = MappingProxyType({"x": Structure.CONDITIONED})
_CONDITIONED_X1 = MappingProxyType({"x1": Structure.CONDITIONED})
_POSITIVE = MappingProxyType({"x": (0.5, 2.0)})
_SIGN_FREE = (
    "A singular vector or an eigenvector is defined up to its sign, which LAPACK, Eigen and XLA choose "
    "each their own way: its square is not"
)
_TRIANGLE = "cholesky, eigh and eigvalsh are called on the symmetric part of x, so the gradient in x is unique"

_FACTOR = (
    "The factor is the lower triangle of x (tril), so what an operator reads of its upper triangle no longer "
    "matters and the gradient in x is unique"
)
_TF_NO_HERMITIAN = Known(
    "tensorflow",
    "TF has no hfft or ihfft (tf.signal lists fft, rfft and their inverses only)",
    "https://www.tensorflow.org/api_docs/python/tf/signal",
    status="error",
)
_TF_NO_FFTND = Known(
    "tensorflow",
    "other shapes, s, axes and norm need tf.signal.fftnd, which has no CPU kernel (only "
    "the whole of a matrix is tf.signal's fft2d family)",
    "https://github.com/tensorflow/tensorflow/issues/69595",
    status="error",
    points=("batch", "one_axis", "sized", "ortho"),
)
_TF_NO_MATRIX_POWER = Known(
    "tensorflow",
    "TF has no matrix_power (neither tf.linalg nor tf.experimental.numpy)",
    "https://www.tensorflow.org/api_docs/python/tf/linalg",
    status="error",
)

_CALL_SWEEPS: Mapping[str, Sweep] = MappingProxyType(
    {
        "astype": Sweep(
            calls=(
                _C("to_float64", "astype(x, 'float64')", x=(4,)),
                _C("to_float32", "astype(x, 'float32')", x=(4,)),
                _C("scalar", "astype(x, 'float64')", x=()),
                _C("empty", "astype(x, 'float32')", x=(0,)),
            )
        ),
        "clip": Sweep(
            calls=(
                _C("scalar_bounds", "clip(x, lo, hi)", x=(6,), lo=(), hi=()),
                _C("array_bounds", "clip(x, lo, hi)", x=(4,), lo=(4,), hi=(4,)),
                _C("scalar", "clip(x, lo, hi)", x=(), lo=(), hi=()),
            ),
            ranges=MappingProxyType({"x": (-3.0, 3.0), "lo": (-2.0, -0.5), "hi": (0.5, 2.0)}),
            why="Its ties (x at a bound) are the hand-written case clip-at-bounds",
        ),
        "where": Sweep(
            calls=(
                Call(
                    "mask",
                    "where(condition, x1, x2)",
                    MappingProxyType({"x1": (4,), "x2": (4,)}),
                    MappingProxyType({"condition": _data([True, False, True, False], "bool")}),
                ),
                Call(
                    "broadcast",
                    "where(condition, x1, x2)",
                    MappingProxyType({"x1": (2, 4), "x2": ()}),
                    MappingProxyType({"condition": _data([True, False, False, True], "bool")}),
                ),
            ),
            why="Its mask through a function undefined where the mask is off is the hand-written case "
            "where-log-at-zero",
        ),
        "polygamma": Sweep(
            calls=(
                _C("trigamma", "polygamma(1, x)", x=(4,)),
                _C("tetragamma", "polygamma(2, x)", x=(4,)),
                _C("scalar", "polygamma(1, x)", x=()),
                _C("empty", "polygamma(1, x)", x=(0,)),
            ),
            ranges=MappingProxyType({"x": (0.5, 5.0)}),
            known=(
                Known(
                    "torch",
                    _TRIGAMMA_VALUE,
                    "https://github.com/pytorch/pytorch/pull/4399",
                    bug=True,
                    dtypes=("float64",),
                    params=("primal",),
                    points=("trigamma", "scalar"),
                ),
            ),
        ),
        "betainc": Sweep(
            calls=(
                _C("vector", "betainc(2.0, 3.0, x)", x=(4,)),
                _C("small", "betainc(0.5, 0.5, x)", x=(4,)),
                _C("scalar", "betainc(3.0, 1.5, x)", x=()),
            ),
            ranges=MappingProxyType({"x": (0.1, 0.9)}),
            why="In x only, the parameters a and b held constant, as in the hand-written case betainc-grad",
            known=(
                Known(
                    "torch", "torch has no betainc", "https://github.com/pytorch/pytorch/issues/129085", status="error"
                ),
            ),
        ),
        **{name: Sweep(calls=_fft_calls(name)) for name in ("fft", "ifft")},
        **{
            name: Sweep(
                calls=_fft_calls(name),
                known=(
                    Known(
                        "tensorflow",
                        f"tf.signal.{name} crops its input to a shorter fft_length, but its gradient does not: it "
                        "raises "
                        "'Incompatible shapes' (the fix for rfft and irfft, tensorflow/tensorflow#108479, is open)",
                        "https://github.com/tensorflow/tensorflow/pull/108479",
                        bug=True,
                        points=("cropped",),
                    ),
                ),
            )
            for name in ("rfft", "irfft")
        },
        **{name: Sweep(calls=_fft_calls(name), known=(_TF_NO_HERMITIAN,)) for name in ("hfft", "ihfft")},
        **{
            name: Sweep(calls=_fftn_calls(name), known=(_TF_NO_FFTND,)) for name in ("fftn", "ifftn", "rfftn", "irfftn")
        },
        "fftshift": Sweep(calls=_shift_calls("fftshift")),
        "ifftshift": Sweep(calls=_shift_calls("ifftshift")),
        "sum": Sweep(calls=_reduction_calls("sum")),
        "prod": Sweep(
            calls=_reduction_calls("prod"),
            ranges=_POSITIVE,
            why="Through zeros: the hand-written cases prod-through-zeros-grad and prod-axis-through-zeros-vjp",
        ),
        "mean": Sweep(calls=_reduction_calls("mean")),
        # the standard leaves the maximum of nothing implementation-defined (an error, NaN or -inf): no empty sample
        "max": Sweep(
            calls=_reduction_calls("max", empty=False),
            why="Ties: the hand-written cases max-reduction-ties and max-axis-ties",
        ),
        "min": Sweep(calls=_reduction_calls("min", empty=False), why="Ties: the hand-written case min-reduction"),
        # a scalar's std is sqrt(0), constant: the chain rule meets sqrt'(0) = inf times 0 (the case sqrt-at-zero's)
        "std": Sweep(
            calls=(
                *(c for c in _reduction_calls("std") if c.name != "scalar"),
                _C("correction", "std(x, correction=1)", x=(5,)),
            )
        ),
        "var": Sweep(calls=(*_reduction_calls("var"), _C("correction", "var(x, correction=1)", x=(5,)))),
        "logsumexp": Sweep(
            calls=_reduction_calls("logsumexp", axis=False),
            why="Its infinite arguments: the hand-written cases logsumexp-with-neg-inf and logsumexp-all-neg-inf",
        ),
        "cumulative_sum": Sweep(
            calls=(
                _C("vector", "cumulative_sum(x)", x=(5,)),
                _C("axis0", "cumulative_sum(x, 0)", x=(3, 4)),
                _C("axis1", "cumulative_sum(x, 1)", x=(3, 4)),
                _C("empty", "cumulative_sum(x)", x=(0,)),
            )
        ),
        "cumulative_prod": Sweep(
            calls=(
                _C("vector", "cumulative_prod(x)", x=(5,)),
                _C("axis0", "cumulative_prod(x, 0)", x=(3, 4)),
                _C("axis1", "cumulative_prod(x, 1)", x=(3, 4)),
                _C("empty", "cumulative_prod(x)", x=(0,)),
            ),
            ranges=_POSITIVE,
            why="Through zeros: the hand-written case cumulative-prod-through-zero",
        ),
        "matmul": Sweep(
            calls=(
                _C("matrices", "matmul(x1, x2)", x1=(3, 4), x2=(4, 2)),
                _C("vector_matrix", "matmul(x1, x2)", x1=(4,), x2=(4, 3)),
                _C("matrix_vector", "matmul(x1, x2)", x1=(3, 4), x2=(4,)),
                _C("vectors", "matmul(x1, x2)", x1=(4,), x2=(4,)),
                _C("batch", "matmul(x1, x2)", x1=(2, 3, 4), x2=(2, 4, 2)),
                _C("broadcast", "matmul(x1, x2)", x1=(2, 3, 4), x2=(4, 2)),
                _C("empty_inner", "matmul(x1, x2)", x1=(3, 0), x2=(0,)),
            )
        ),
        "matrix_transpose": Sweep(
            calls=(_C("matrix", "matrix_transpose(x)", x=(3, 4)), _C("batch", "matrix_transpose(x)", x=(2, 3, 4)))
        ),
        "cholesky": Sweep(
            calls=(
                _C("matrix", _symmetric("cholesky({})"), x=(3, 3)),
                _C("batch", _symmetric("cholesky({})"), x=(2, 3, 3)),
            ),
            structure=_SPD,
            why=_TRIANGLE,
        ),
        "solve": Sweep(
            calls=(
                _C("vector", "solve(x1, x2)", x1=(3, 3), x2=(3,)),
                _C("matrix", "solve(x1, x2)", x1=(3, 3), x2=(3, 2)),
                _C("batch", "solve(x1, x2)", x1=(2, 3, 3), x2=(2, 3, 2)),
                _C("right", "solve(x1, x2, left=False)", x1=(3, 3), x2=(2, 3)),
                _C("right_batch", "solve(x1, x2, left=False)", x1=(2, 3, 3), x2=(2, 4, 3)),
            ),
            structure=_CONDITIONED_X1,
        ),
        "inv": Sweep(
            calls=(_C("matrix", "inv(x)", x=(3, 3)), _C("batch", "inv(x)", x=(2, 3, 3))), structure=_CONDITIONED
        ),
        "pinv": Sweep(
            calls=(_C("square", "pinv(x)", x=(3, 3)), _C("tall", "pinv(x)", x=(4, 2)), _C("wide", "pinv(x)", x=(2, 4))),
            structure=_CONDITIONED,
        ),
        "matrix_power": Sweep(
            calls=(
                _C("cube", "matrix_power(x, 3)", x=(3, 3)),
                _C("inverse_square", "matrix_power(x, -2)", x=(3, 3)),
                _C("one", "matrix_power(x, 1)", x=(3, 3)),
                _C("batch", "matrix_power(x, 2)", x=(2, 3, 3)),
            ),
            structure=_CONDITIONED,
            known=(_TF_NO_MATRIX_POWER,),
        ),
        "det": Sweep(
            calls=(
                _C("matrix", "det(x)", x=(3, 3)),
                _C("batch", "det(x)", x=(2, 3, 3)),
                _C("one_by_one", "det(x)", x=(1, 1)),
            ),
            structure=_CONDITIONED,
            why="At a singular matrix: the hand-written case det-singular",
        ),
        "slogdet": Sweep(
            calls=(_C("logabsdet", "slogdet(x)[1]", x=(3, 3)), _C("batch", "slogdet(x)[1]", x=(2, 3, 3))),
            structure=_CONDITIONED,
            why="Its sign's gradient: the hand-written case slogdet-sign-grad",
        ),
        "eigh": Sweep(
            calls=(
                _C("eigenvalues", _symmetric("eigh({})[0]"), x=(3, 3)),
                _C("eigenvectors_squared", _symmetric("eigh({})[1] ** 2"), x=(3, 3)),
                _C("batch", _symmetric("eigh({})[0]"), x=(2, 3, 3)),
            ),
            structure=_SPD,
            why=f"{_TRIANGLE}; {_SIGN_FREE}. Repeated eigenvalues: the hand-written cases "
            "eigh-eigenvalues-repeated and eigh-eigenvector-repeated",
        ),
        "eigvalsh": Sweep(
            calls=(
                _C("matrix", _symmetric("eigvalsh({})"), x=(3, 3)),
                _C("batch", _symmetric("eigvalsh({})"), x=(2, 3, 3)),
            ),
            structure=_SPD,
            why=_TRIANGLE,
        ),
        "qr": Sweep(
            calls=(
                _C("q_squared", "qr(x)[0] ** 2", x=(4, 3)),
                _C("r_squared", "qr(x)[1] ** 2", x=(4, 3)),
                _C("square", "qr(x)[0] ** 2", x=(3, 3)),
            ),
            structure=_CONDITIONED,
            why="A column of Q and a row of R are defined up to a shared sign: their squares are not. The "
            "complete mode: the hand-written case qr-complete-tall",
        ),
        "svd": Sweep(
            calls=(
                _C("values", "svd(x, full_matrices=False)[1]", x=(4, 3)),
                _C("u_squared", "svd(x, full_matrices=False)[0] ** 2", x=(4, 3)),
                _C("vh_squared", "svd(x, full_matrices=False)[2] ** 2", x=(3, 4)),
            ),
            structure=_CONDITIONED,
            why=f"{_SIGN_FREE}. Repeated singular values: the hand-written case svd-repeated-singular-values; "
            "full_matrices=True (JAX has no JVP for it): svd-full-matrices-tall",
        ),
        "svdvals": Sweep(
            calls=(
                _C("tall", "svdvals(x)", x=(4, 3)),
                _C("wide", "svdvals(x)", x=(3, 4)),
                _C("batch", "svdvals(x)", x=(2, 3, 3)),
            ),
            structure=_CONDITIONED,
        ),
        "trace": Sweep(
            calls=(
                _C("square", "trace(x)", x=(3, 3)),
                _C("offset", "trace(x, 1)", x=(3, 4)),
                _C("below", "trace(x, -1)", x=(3, 4)),
                _C("batch", "trace(x)", x=(2, 3, 3)),
            )
        ),
        "diagonal": Sweep(
            calls=(
                _C("square", "diagonal(x)", x=(3, 3)),
                _C("offset", "diagonal(x, 1)", x=(3, 4)),
                _C("below", "diagonal(x, -2)", x=(4, 3)),
                _C("batch", "diagonal(x)", x=(2, 3, 4)),
            )
        ),
        "outer": Sweep(
            calls=(_C("vectors", "outer(x1, x2)", x1=(3,), x2=(4,)), _C("empty", "outer(x1, x2)", x1=(3,), x2=(0,)))
        ),
        "tensordot": Sweep(
            calls=(
                _C("two_axes", "tensordot(x1, x2)", x1=(2, 3, 4), x2=(3, 4, 2)),
                _C("one_axis", "tensordot(x1, x2, 1)", x1=(3, 4), x2=(4, 2)),
                _C("outer", "tensordot(x1, x2, 0)", x1=(3,), x2=(2,)),
            )
        ),
        "vecdot": Sweep(
            calls=(
                _C("vectors", "vecdot(x1, x2)", x1=(4,), x2=(4,)),
                _C("rows", "vecdot(x1, x2)", x1=(3, 4), x2=(3, 4)),
                _C("broadcast", "vecdot(x1, x2)", x1=(3, 4), x2=(4,)),
                _C("axis0", "vecdot(x1, x2, 0)", x1=(4, 3), x2=(4, 3)),
                _C("empty", "vecdot(x1, x2)", x1=(0,), x2=(0,)),
            )
        ),
        "cross": Sweep(
            calls=(
                _C("vectors", "cross(x1, x2)", x1=(3,), x2=(3,)),
                _C("rows", "cross(x1, x2)", x1=(4, 3), x2=(4, 3)),
                _C("broadcast", "cross(x1, x2)", x1=(4, 3), x2=(3,)),
                _C("axis0", "cross(x1, x2, 0)", x1=(3, 4), x2=(3, 4)),
            )
        ),
        "vector_norm": Sweep(
            calls=(
                _C("euclidean", "vector_norm(x)", x=(5,)),
                _C("one", "vector_norm(x, ord=1)", x=(5,)),
                _C("three", "vector_norm(x, ord=3)", x=(5,)),
                _C("half", "vector_norm(x, ord=0.5)", x=(5,)),
                _C("max", "vector_norm(x, ord=inf)", x=(5,)),
                _C("min", "vector_norm(x, ord=-inf)", x=(5,)),
                _C("axis", "vector_norm(x, axis=1)", x=(3, 4)),
                _C("keepdims", "vector_norm(x, axis=0, keepdims=True)", x=(3, 4)),
                _C("scalar", "vector_norm(x)", x=()),
            ),
            why="At the zero vector: the hand-written case norm-of-zero-vector",
        ),
        "matrix_norm": Sweep(
            calls=(
                _C("frobenius", "matrix_norm(x)", x=(3, 4)),
                _C("nuclear", "matrix_norm(x, ord='nuc')", x=(3, 4)),
                _C("spectral", "matrix_norm(x, ord=2)", x=(3, 4)),
                _C("smallest", "matrix_norm(x, ord=-2)", x=(3, 3)),
                _C("columns", "matrix_norm(x, ord=1)", x=(3, 4)),
                _C("rows", "matrix_norm(x, ord=inf)", x=(3, 4)),
                _C("batch", "matrix_norm(x)", x=(2, 3, 3)),
            ),
            structure=_CONDITIONED,
        ),
        "diag": Sweep(calls=(_C("vector", "diag(x)", x=(4,)), _C("matrix", "diag(x)", x=(3, 4)))),
        "tril": Sweep(
            calls=(
                _C("square", "tril(x)", x=(3, 3)),
                _C("wide", "tril(x)", x=(3, 4)),
                _C("batch", "tril(x)", x=(2, 3, 3)),
            )
        ),
        "triu": Sweep(
            calls=(
                _C("square", "triu(x)", x=(3, 3)),
                _C("tall", "triu(x)", x=(4, 3)),
                _C("batch", "triu(x)", x=(2, 3, 3)),
            )
        ),
        "concat": Sweep(
            calls=(
                _C("rows", "concat([x1, x2])", x1=(2, 3), x2=(1, 3)),
                _C("columns", "concat([x1, x2], 1)", x1=(3, 2), x2=(3, 1)),
                _C("vectors", "concat([x1, x2])", x1=(3,), x2=(2,)),
                _C("empty", "concat([x1, x2], 1)", x1=(3, 2), x2=(3, 0)),
            )
        ),
        "stack": Sweep(
            calls=(
                _C("vectors", "stack([x1, x2])", x1=(3,), x2=(3,)),
                _C("last_axis", "stack([x1, x2], -1)", x1=(2, 3), x2=(2, 3)),
                _C("scalars", "stack([x1, x2])", x1=(), x2=()),
            )
        ),
        "reshape": Sweep(
            calls=(
                _C("matrix", "reshape(x, (3, 4))", x=(2, 6)),
                _C("flatten", "reshape(x, (-1,))", x=(2, 3)),
                _C("scalar", "reshape(x, (1, 1))", x=()),
                _C("empty", "reshape(x, (3, 0))", x=(0,)),
            )
        ),
        "broadcast_to": Sweep(
            calls=(
                _C("rows", "broadcast_to(x, (2, 3))", x=(3,)),
                _C("columns", "broadcast_to(x, (3, 4))", x=(3, 1)),
                _C("scalar", "broadcast_to(x, (2, 2))", x=()),
            )
        ),
        "expand_dims": Sweep(
            calls=(
                _C("first", "expand_dims(x)", x=(3,)),
                _C("last", "expand_dims(x, -1)", x=(2, 3)),
                _C("scalar", "expand_dims(x)", x=()),
            )
        ),
        "squeeze": Sweep(calls=(_C("first", "squeeze(x, 0)", x=(1, 3)), _C("two", "squeeze(x, (0, 2))", x=(1, 3, 1)))),
        "flip": Sweep(
            calls=(
                _C("vector", "flip(x)", x=(4,)),
                _C("axis0", "flip(x, 0)", x=(2, 3)),
                _C("both", "flip(x, (0, 1))", x=(2, 3)),
                _C("empty", "flip(x)", x=(0,)),
            )
        ),
        "roll": Sweep(
            calls=(
                _C("vector", "roll(x, 1)", x=(4,)),
                _C("back", "roll(x, -1, 0)", x=(3, 2)),
                _C("flat", "roll(x, 2)", x=(2, 3)),
                _C("both", "roll(x, (1, 2), (0, 1))", x=(3, 4)),
            )
        ),
        "tile": Sweep(
            calls=(
                _C("vector", "tile(x, (2,))", x=(3,)),
                _C("rows", "tile(x, (2, 1))", x=(2, 3)),
                _C("scalar", "tile(x, (3,))", x=()),
            )
        ),
        "repeat": Sweep(calls=(_C("flat", "repeat(x, 2)", x=(3,)), _C("axis1", "repeat(x, 2, 1)", x=(2, 3)))),
        "moveaxis": Sweep(
            calls=(
                _C("first_last", "moveaxis(x, 0, -1)", x=(2, 3, 4)),
                _C("two", "moveaxis(x, (0, 1), (2, 0))", x=(2, 3, 4)),
            )
        ),
        "unstack": Sweep(calls=(_C("rows", "unstack(x)[1]", x=(3, 4)), _C("columns", "unstack(x, 1)[0]", x=(2, 3)))),
        "broadcast_arrays": Sweep(
            calls=(_C("outer", "broadcast_arrays([x1, x2])[0] * broadcast_arrays([x1, x2])[1]", x1=(3, 1), x2=(1, 4)),),
            why="Both arrays of the tuple, multiplied: the first alone does not depend on x2's values",
        ),
        "meshgrid": Sweep(
            calls=(
                _C("xy", "meshgrid([x1, x2])[0] * meshgrid([x1, x2])[1]", x1=(3,), x2=(4,)),
                _C(
                    "ij",
                    "meshgrid([x1, x2], indexing='ij')[0] * meshgrid([x1, x2], indexing='ij')[1]",
                    x1=(3,),
                    x2=(4,),
                ),
            ),
            why="Both arrays of the tuple, multiplied: the first alone does not depend on x2's values",
        ),
        "permute_dims": Sweep(
            calls=(
                _C("transpose", "permute_dims(x, (1, 0))", x=(2, 3)),
                _C("cycle", "permute_dims(x, (2, 0, 1))", x=(2, 3, 4)),
            )
        ),
        "diff": Sweep(
            calls=(
                _C("vector", "diff(x)", x=(5,)),
                _C("axis0", "diff(x, 0)", x=(3, 4)),
                _C("second", "diff(x, n=2)", x=(5,)),
            )
        ),
        "take": Sweep(
            calls=(
                Call(
                    "vector",
                    "take(x, indices)",
                    MappingProxyType({"x": (5,)}),
                    MappingProxyType({"indices": _data([2, 0, 2, 4])}),
                ),
                Call(
                    "axis1",
                    "take(x, indices, 1)",
                    MappingProxyType({"x": (3, 4)}),
                    MappingProxyType({"indices": _data([3, 1])}),
                ),
            ),
            why="Repeated indices: the hand-written case take-repeated-indices",
        ),
        "take_along_axis": Sweep(
            calls=(
                Call(
                    "last_axis",
                    "take_along_axis(x, indices)",
                    MappingProxyType({"x": (3, 4)}),
                    MappingProxyType({"indices": _data([[0, 3], [1, 1], [2, 0]])}),
                ),
                Call(
                    "axis0",
                    "take_along_axis(x, indices, 0)",
                    MappingProxyType({"x": (3, 4)}),
                    MappingProxyType({"indices": _data([[2, 0, 1, 1], [0, 0, 2, 1]])}),
                ),
            )
        ),
        "sort": Sweep(
            calls=(
                _C("vector", "sort(x)", x=(5,)),
                _C("axis0", "sort(x, 0)", x=(3, 4)),
                _C("descending", "sort(x, descending=True)", x=(5,)),
                _C("empty", "sort(x)", x=(0,)),
            ),
            why="Ties: the hand-written cases sort-ties and sort-ties-equal-weights",
            known=(
                Known(
                    "tensorflow",
                    "tf.sort is top_k, whose gradient raises on an empty input (here "
                    "'Requires delta != 0' from a Range over the last axis's length 0); the issue was "
                    "closed unfixed",
                    "https://github.com/tensorflow/tensorflow/issues/29971",
                    bug=True,
                    points=("empty",),
                ),
            ),
        ),
        "top_k": Sweep(
            calls=(_C("vector", "top_k(x, 2)[0]", x=(5,)), _C("rows", "top_k(x, 3)[0]", x=(3, 5))),
            why="Ties: the hand-written case top-k-ties",
        ),
        **{
            name: Sweep(
                calls=(
                    _C("vector", f"{name}(x)", x=(5,)),
                    _C("whole", f"{name}(x)", x=(3, 4)),
                    _C("axis0", f"{name}(x, 0)", x=(3, 4)),
                    _C("axis_last", f"{name}(x, -1)", x=(3, 4)),
                    _C("batch", f"{name}(x, 1)", x=(2, 3, 4)),
                    _C("scalar", f"{name}(x)", x=()),
                ),
                why="Its tails (logits far apart): the hand-written cases in nn/nn.yaml",
            )
            for name in ("softmax", "log_softmax")
        },
        "normalize": Sweep(
            calls=(
                _C("vector", "normalize(x)", x=(5,)),
                _C("rows", "normalize(x)", x=(3, 4)),
                _C("axis0", "normalize(x, 0)", x=(3, 4)),
                _C("clamped", "normalize(x, eps=10.0)", x=(3,)),
            ),
            why="clamped: |x| < eps, where the function is x/eps. At the zero vector: the hand-written case "
            "normalize-at-zero",
        ),
        "layer_norm": Sweep(
            calls=(
                _C("rows", "layer_norm(x, weight, bias)", x=(3, 4), weight=(4,), bias=(4,)),
                _C("vector", "layer_norm(x, weight, bias)", x=(5,), weight=(5,), bias=(5,)),
                _C("batch", "layer_norm(x, weight, bias)", x=(2, 3, 4), weight=(4,), bias=(4,)),
                _C("eps", "layer_norm(x, weight, bias, eps=0.1)", x=(3, 4), weight=(4,), bias=(4,)),
            ),
            ranges=MappingProxyType({"weight": (0.5, 2.0)}),
        ),
        "cholesky_inverse": Sweep(
            calls=(
                _C("matrix", "cholesky_inverse(tril(x))", x=(3, 3)),
                _C("batch", "cholesky_inverse(tril(x))", x=(2, 3, 3)),
            ),
            structure=_CONDITIONED,
            why=_FACTOR,
        ),
        "cho_solve": Sweep(
            calls=(
                _C("matrix", "cho_solve(tril(x1), x2)", x1=(3, 3), x2=(3, 2)),
                _C("column", "cho_solve(tril(x1), x2)", x1=(3, 3), x2=(3, 1)),
                _C("batch", "cho_solve(tril(x1), x2)", x1=(2, 3, 3), x2=(2, 3, 2)),
            ),
            structure=_CONDITIONED_X1,
            why=_FACTOR,
        ),
        "ldexp": Sweep(
            calls=(
                _C("up", "ldexp(x, 3)", x=(4,)),
                _C("down", "ldexp(x, -2)", x=(4,)),
                _C("scalar", "ldexp(x, 1)", x=()),
                _C("small", "ldexp(x, -100)", x=(3,)),
                _C("empty", "ldexp(x, 2)", x=(0,)),
            ),
            why="small: 2^-100 = 7.9e-31, a normal float32",
            known=(
                Known(
                    "torch",
                    "torch's ldexp backward is grad * pow(2, other) with an integer other: the "
                    "power is taken in integers, 0 for a negative exponent (the forward is right; fixed "
                    "after torch 2.13 by pytorch/pytorch#187537)",
                    "https://github.com/pytorch/pytorch/issues/187460",
                    bug=True,
                    points=("down", "small"),
                ),
            ),
        ),
    }
)

_ALL_SWEEPS = {**_SWEEPS, **_CALL_SWEEPS}
if set(_ALL_SWEEPS) - {f.name for f in _FUNCTIONS} or set(_SWEEPS) & set(_CALL_SWEEPS):
    raise ValueError(f"sweeps of functions not in the table, or swept twice: {sorted(_ALL_SWEEPS)}")
FUNCTIONS: Mapping[str, Function] = MappingProxyType(
    {f.name: replace(f, sweep=_ALL_SWEEPS.get(f.name)) for f in _FUNCTIONS}
)
