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

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import TypeAlias

Shape: TypeAlias = tuple[int, ...]
Options: TypeAlias = Mapping[str, int | None]


class ShapeError(ValueError):
    """Operands a function cannot take, found from their shapes alone (where NumPy would raise)."""


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


# Shape rules: (function name, operand shapes, literal options) -> the result's shape, by NumPy's rules.
ShapeRule: TypeAlias = Callable[[str, list[Shape], Options], Shape]


def elementwise(name: str, operands: list[Shape], options: Options) -> Shape:
    return broadcast(*operands)


def reduction(name: str, operands: list[Shape], options: Options) -> Shape:
    first, axis = operands[0], options.get("axis")
    if axis is None:
        return ()
    if not -len(first) <= axis < len(first):
        raise ShapeError(f"axis {axis} of {name}() is out of range for a value of {describe(first)}")
    axis %= len(first)
    return first[:axis] + first[axis + 1:]


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


def _transpose(name: str, operands: list[Shape], options: Options) -> Shape:
    first = operands[0]
    if len(first) < 2:
        raise ShapeError(f"{name}() takes a matrix, not a value of {describe(first)}")
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


def square(result: Callable[[Shape], Shape]) -> ShapeRule:
    """A function of square matrices in the last two axes, `result` giving its shape from the operand's."""
    def rule(name: str, operands: list[Shape], options: Options) -> Shape:
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
REAL_COMPLEX = frozenset({Domain.REAL, Domain.COMPLEX})


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
    options: Mapping[str, int | None] = field(default_factory=lambda: MappingProxyType({}))
    domains: frozenset[Domain] = REAL
    #: options that must be integer literals in an expression (an axis), checked at load
    literal: frozenset[str] = frozenset()
    #: the result's shape from the operands' (ShapeError where NumPy would raise), checked at load
    shape: ShapeRule = elementwise
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


def _unary(name: str, latex: str, numpy: str | None = None, standard: Standard = Standard.ARRAY_API,
           domains: frozenset[Domain] = REAL_COMPLEX, why: str = "") -> Function:
    return Function(name, ("x",), latex, numpy or f"np.{name}", standard, domains=domains, why=why)


def _reduction(name: str, latex: str, numpy: str | None = None) -> Function:
    return Function(name, ("x",), latex, numpy or f"np.{name}(x, axis=axis)", Standard.ARRAY_API, options=_AXIS,
                    literal=frozenset({"axis"}), shape=reduction)


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
    Function("maximum", ("x1", "x2"), r"\max\left($x1, $x2\right)", "np.maximum", Standard.ARRAY_API),
    Function("minimum", ("x1", "x2"), r"\min\left($x1, $x2\right)", "np.minimum", Standard.ARRAY_API),
    Function("clip", ("x", "min", "max"), r"\operatorname{clip}\left($x, $min, $max\right)", "np.clip",
             Standard.ARRAY_API),
    Function("where", ("condition", "x1", "x2"), r"\operatorname{where}\left($condition, $x1, $x2\right)",
             "np.where", Standard.ARRAY_API, domains=REAL_COMPLEX),
    # reductions (Array API; an optional integer axis)
    _reduction("sum", r"\sum\left($x\right)"),
    _reduction("prod", r"\prod\left($x\right)"),
    _reduction("mean", r"\operatorname{mean}\left($x\right)"),
    _reduction("max", r"\max\left($x\right)"),
    _reduction("min", r"\min\left($x\right)"),
    Function("std", ("x",), r"\operatorname{std}\left($x\right)", "np.std(x, axis=axis, ddof=correction)",
             Standard.ARRAY_API, options=MappingProxyType({"axis": None, "correction": 0}),
             literal=frozenset({"axis", "correction"}), shape=reduction),
    Function("var", ("x",), r"\operatorname{var}\left($x\right)", "np.var(x, axis=axis, ddof=correction)",
             Standard.ARRAY_API, options=MappingProxyType({"axis": None, "correction": 0}),
             literal=frozenset({"axis", "correction"}), shape=reduction),
    Function("cumulative_sum", ("x",), r"\operatorname{cumsum}\left($x\right)",
             "np.cumsum(x, axis=0 if axis is None else axis)", Standard.ARRAY_API, options=_AXIS,
             literal=frozenset({"axis"})),
    Function("cumulative_prod", ("x",), r"\operatorname{cumprod}\left($x\right)",
             "np.cumprod(x, axis=0 if axis is None else axis)", Standard.ARRAY_API, options=_AXIS,
             literal=frozenset({"axis"})),
    # linear algebra (Array API and its linalg extension)
    Function("matmul", ("x1", "x2"), r"$x1 \, $x2", "np.matmul", Standard.ARRAY_API, domains=REAL_COMPLEX,
             shape=_matmul),
    Function("transpose", ("x",), r"{$x}^{\top}", "np.swapaxes(x, -1, -2)", Standard.EXTENSION, shape=_transpose,
             why="the Array API's matrix_transpose; renamed with the breadth work"),
    Function("cholesky", ("x",), r"\operatorname{chol}\left($x\right)", "np.linalg.cholesky", Standard.ARRAY_API,
             shape=square(lambda s: s)),
    Function("solve", ("x1", "x2"), r"{$x1}^{-1} $x2", "np.linalg.solve", Standard.ARRAY_API, shape=_solve),
    Function("det", ("x",), r"\det\left($x\right)", "np.linalg.det", Standard.ARRAY_API,
             shape=square(lambda s: s[:-2])),
    Function("logdet", ("x",), r"\log\left|\det\left($x\right)\right|", "np.linalg.slogdet(x)[1]",
             Standard.EXTENSION, shape=square(lambda s: s[:-2]),
             why="the second output of the Array API's slogdet (the language has no tuples)"),
    Function("eigvalsh", ("x",), r"\lambda\left($x\right)", "np.linalg.eigvalsh", Standard.ARRAY_API,
             shape=square(lambda s: s[:-1])),
    Function("norm", ("x",), r"\left\|$x\right\|", "np.linalg.norm", Standard.EXTENSION, shape=to_scalar,
             why="the Array API's vector_norm for a vector; renamed with the breadth work"),
    Function("diag", ("x",), r"\operatorname{diag}\left($x\right)", "np.diag", Standard.EXTENSION, shape=_diag,
             why="NumPy's diag: a vector to a diagonal matrix, a matrix to its diagonal"),
    Function("tril", ("x",), r"\operatorname{tril}\left($x\right)", "np.tril", Standard.ARRAY_API, shape=_tril),
    # special functions (scipy.special) and activations
    Function("logsumexp", ("x",), r"\log \sum \exp\left($x\right)", "special.logsumexp", Standard.SPECIAL,
             shape=to_scalar),
    Function("xlogy", ("x", "y"), r"$x \log $y", "special.xlogy", Standard.SPECIAL),
    _unary("lgamma", r"\log\Gamma\left($x\right)", "special.gammaln", Standard.SPECIAL, REAL,
           why="scipy.special.gammaln; renamed with the breadth work"),
    _unary("digamma", r"\psi\left($x\right)", "special.digamma", Standard.SPECIAL, REAL),
    _unary("erf", r"\operatorname{erf}\left($x\right)", "special.erf", Standard.SPECIAL, REAL),
    _unary("erfc", r"\operatorname{erfc}\left($x\right)", "special.erfc", Standard.SPECIAL, REAL),
    _unary("erfinv", r"\operatorname{erf}^{-1}\left($x\right)", "special.erfinv", Standard.SPECIAL, REAL),
    _unary("log_ndtr", r"\log \Phi\left($x\right)", "special.log_ndtr", Standard.SPECIAL, REAL),
    _unary("i0e", r"e^{-|$x|} I_0\left($x\right)", "special.i0e", Standard.SPECIAL, REAL),
    _unary("i1e", r"e^{-|$x|} I_1\left($x\right)", "special.i1e", Standard.SPECIAL, REAL),
    Function("polygamma", ("n", "x"), r"\psi^{($n)}\left($x\right)", "special.polygamma", Standard.SPECIAL,
             literal=frozenset({"n"})),
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
