"""Case expressions written out as code or LaTeX, by evaluating them on symbols.

A case expression is evaluated with an `Ops` table whose functions build text
instead of arrays (the same `Expr.evaluate` the adapters and the oracle use),
so the rendering cannot disagree with what the suite computes: a snippet says
`torch.log(c)` exactly where the torch adapter calls `torch.log`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import latex2mathml.converter

from conformance.expr import Expr, Ops
from conformance.functions import FUNCTIONS

# operator precedence, as in Python: a child binding less tightly than its parent gets parentheses
ATOM, POW, UNARY, MUL, ADD, CMP = 100, 80, 70, 60, 50, 40


@dataclass(frozen=True)
class Syntax:
    """How one target language spells numbers, calls, stacks and operators.

    A call's arguments are Syms (operands), lists of Syms (concat's arrays) and literal values (an axis, an order).
    """

    call: Callable[[str, list[Any]], str]
    stack: Callable[[list[Sym]], str]
    #: one array selected from a call that returns a tuple: (name, arguments, index) -> text
    select: Callable[[str, list[Any], int], str]
    number: Callable[[complex], str] = lambda v: format_number(v)
    latex: bool = False


class Sym:
    """A piece of text with the precedence of its outermost operator; arithmetic builds more text."""

    def __init__(
        self,
        text: str,
        syntax: Syntax,
        prec: int = ATOM,
        rows: list[Sym] | None = None,
        indexed: tuple[Sym, tuple[int, ...]] | None = None,
    ):
        self.text, self.syntax, self.prec = text, syntax, prec
        self.rows = rows  # the items, when this is a list literal (LaTeX writes a list of lists as a matrix)
        self.indexed = indexed  # (base, indices), so LaTeX writes x[0][1] as x_{0,1}

    def _wrap(self, prec: int) -> str:
        if self.prec >= prec:
            return self.text
        return rf"\left({self.text}\right)" if self.syntax.latex else f"({self.text})"

    def _binary(self, op: str, other: Any, reverse: bool = False) -> Sym:
        left, right = (self._sym(other), self) if reverse else (self, self._sym(other))
        if self.syntax.latex:
            return _latex_binary(op, left, right)
        prec = {"+": ADD, "-": ADD, "*": MUL, "/": MUL, "**": POW}.get(op, CMP)
        if op == "**":  # right-associative, and binds tighter than a unary minus on its left
            return Sym(f"{left._wrap(POW + 1)} ** {right._wrap(UNARY)}", self.syntax, POW)
        return Sym(f"{left._wrap(prec)} {op} {right._wrap(prec + 1)}", self.syntax, prec)

    def _sym(self, value: Any) -> Sym:
        return value if isinstance(value, Sym) else Sym(self.syntax.number(value), self.syntax)

    __add__ = lambda self, o: self._binary("+", o)
    __radd__ = lambda self, o: self._binary("+", o, True)
    __sub__ = lambda self, o: self._binary("-", o)
    __rsub__ = lambda self, o: self._binary("-", o, True)
    __mul__ = lambda self, o: self._binary("*", o)
    __rmul__ = lambda self, o: self._binary("*", o, True)
    __truediv__ = lambda self, o: self._binary("/", o)
    __rtruediv__ = lambda self, o: self._binary("/", o, True)
    __pow__ = lambda self, o: self._binary("**", o)
    __rpow__ = lambda self, o: self._binary("**", o, True)
    __gt__ = lambda self, o: self._binary(">", o)
    __ge__ = lambda self, o: self._binary(">=", o)
    __lt__ = lambda self, o: self._binary("<", o)
    __le__ = lambda self, o: self._binary("<=", o)

    def __neg__(self) -> Sym:
        return Sym(f"-{self._wrap(UNARY + 1 if not self.syntax.latex else MUL)}", self.syntax, UNARY)

    def __getitem__(self, index: int) -> Sym:
        if self.syntax.latex:
            base, indices = self.indexed or (self, ())
            indices = (*indices, index)
            return Sym(f"{base._wrap(ATOM)}_{{{','.join(map(str, indices))}}}", self.syntax, indexed=(base, indices))
        return Sym(f"{self._wrap(ATOM)}[{index}]", self.syntax)

    def __str__(self) -> str:
        return self.text


def _latex_binary(op: str, left: Sym, right: Sym) -> Sym:
    syntax = left.syntax
    if op == "/":
        return Sym(rf"\frac{{{left.text}}}{{{right.text}}}", syntax)
    if op == "**":
        return Sym(f"{{{left._wrap(ATOM)}}}^{{{right.text}}}", syntax, POW)
    if op == "*":
        sep = r" \cdot " if right.text[:1].isdigit() or right.text.startswith("-") else r" \, "
        return Sym(f"{left._wrap(MUL)}{sep}{right._wrap(MUL + 1)}", syntax, MUL)
    prec = ADD if op in "+-" else CMP
    spelled = {">=": r"\geq", "<=": r"\leq"}.get(op, op)
    return Sym(f"{left._wrap(prec)} {spelled} {right._wrap(prec + 1)}", syntax, prec)


def format_number(value: complex) -> str:
    """Shortest text that reads back as the same float; integers without '.0'; a complex number as Python writes
    it (2j, (1-2j); complex(re, im) where a part is not finite)."""
    if isinstance(value, complex):
        re, im = format_number(value.real), format_number(value.imag)
        if not (math.isfinite(value.real) and math.isfinite(value.imag)):
            return f"complex({re}, {im})"
        if value.real == 0:
            return f"{im}j"
        return f"({re}{'-' if value.imag < 0 else '+'}{format_number(abs(value.imag))}j)"
    value = float(value)
    if not math.isfinite(value):
        return f'float("{value}")'
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)


@dataclass(frozen=True)
class _Selectable:
    """A call of a function that returns a tuple: the language always indexes it at once (`slogdet(x)[1]`)."""

    name: str
    args: list[Any]
    syntax: Syntax

    def __getitem__(self, index: int) -> Sym:
        return Sym(self.syntax.select(self.name, self.args, index), self.syntax)


def _ops(syntax: Syntax) -> Ops:
    class Calls(dict):  # every name in the function table, built on demand
        def __missing__(self, name: str) -> Callable[..., Sym | _Selectable]:
            if FUNCTIONS[name].outputs is not None:
                return lambda *args: _Selectable(name, list(args), syntax)
            return lambda *args: Sym(syntax.call(name, list(args)), syntax)

    return Ops(
        Calls(),
        const=lambda v: Sym(syntax.number(v), syntax),
        stack=lambda items: Sym(syntax.stack(items), syntax, rows=items),
    )


def render(expr: Expr, syntax: Syntax, names: dict[str, str] | None = None) -> str:
    """`expr` as text in `syntax`; `names` respells the case's names (default: as written)."""
    env = {name: Sym((names or {}).get(name, name), syntax) for name in expr.names}
    return str(expr.evaluate(env, _ops(syntax)))


def apply(fn: Callable[..., Any], syntax: Syntax, *args: Any) -> str:
    """Run an engine function written against `Ops` (a family's transform) on symbols."""
    return str(fn(*args, _ops(syntax)))


def symbol(name: str, syntax: Syntax) -> Sym:
    return Sym(name, syntax)


# --- LaTeX ---------------------------------------------------------------------------------

GREEK = {
    "alpha",
    "beta",
    "gamma",
    "delta",
    "epsilon",
    "theta",
    "lambda",
    "mu",
    "nu",
    "pi",
    "rho",
    "sigma",
    "tau",
    "phi",
    "psi",
    "omega",
    "eta",
    "kappa",
    "xi",
    "zeta",
    "chi",
}
_LATEX_CALLS = {
    "exp": r"\exp",
    "log": r"\log",
    "sin": r"\sin",
    "cos": r"\cos",
    "tanh": r"\tanh",
    "sqrt": None,
    "abs": None,
    "sum": r"\sum",
    "maximum": r"\max",
    "minimum": r"\min",
}


def latex_name(name: str) -> str:
    """mu -> \\mu, log_sigma -> \\log\\sigma-like text, sample_cov -> \\mathrm{sample\\_cov}."""
    if name in GREEK:
        return "\\" + name
    if len(name) == 1:
        return name
    head, _, tail = name.partition("_")
    if head in GREEK and tail.isalnum():
        return rf"\{head}_{{\mathrm{{{tail}}}}}"
    return r"\mathrm{" + name.replace("_", r"\_") + "}"


def _latex_argument(arg: Any) -> str:
    """An operand as it is; a list of them in brackets; a literal as LaTeX (inf as \\infty, 'fro' upright)."""
    if isinstance(arg, Sym):
        return str(arg)
    if isinstance(arg, list):
        return r"\left[" + ", ".join(map(_latex_argument, arg)) + r"\right]"
    if isinstance(arg, tuple):
        return r"\left(" + ", ".join(map(_latex_argument, arg)) + r"\right)"
    if isinstance(arg, float):
        return _latex_number(arg)
    return rf"\mathrm{{{arg}}}" if isinstance(arg, str | bool) else str(arg)


def _latex_call(name: str, arguments: list[Any]) -> str:
    args = [_latex_argument(a) for a in arguments]
    if name == "sqrt":
        return rf"\sqrt{{{args[0]}}}"
    if name == "abs":
        return rf"\left|{args[0]}\right|"
    if name == "square":
        return rf"\left({args[0]}\right)^{{2}}"
    if name == "matrix_transpose":
        return rf"{{{args[0]}}}^{{\top}}"
    escaped = name.replace("_", r"\_")  # a bare _ would subscript: cumulative_sum
    head = _LATEX_CALLS.get(name) or rf"\operatorname{{{escaped}}}"
    return rf"{head}\left({', '.join(args)}\right)"


def _latex_select(name: str, arguments: list[Any], index: int) -> str:
    """One array of a tuple, subscripted by its name where the tuple's are fixed: slogdet(A)_logabsdet, svd(A)_U;
    in braces, so that an index after it (eigh(S)[1][0]) subscripts the group, not the subscript again."""
    outputs = FUNCTIONS[name].outputs
    assert outputs is not None
    label = rf"\mathrm{{{outputs.names[index]}}}" if outputs.fixed else str(index)
    return rf"{{{_latex_call(name, arguments)}_{{{label}}}}}"


def _latex_stack(items: list[Sym]) -> str:
    """A list as [a, b]; a list of lists as a matrix in \\left[ \\right], brackets that stretch over its rows
    (latex2mathml writes bmatrix's as plain <mo>[</mo>, which no browser stretches; see `mathml`)."""
    if all(item.rows for item in items):
        rows = r" \\ ".join(" & ".join(map(str, row.rows or [])) for row in items)
        return r"\left[\begin{matrix}" + rows + r"\end{matrix}\right]"
    return r"\left[" + ", ".join(map(str, items)) + r"\right]"


LATEX = Syntax(
    call=_latex_call, stack=_latex_stack, select=_latex_select, number=lambda v: _latex_number(v), latex=True
)


def _latex_number(value: complex) -> str:
    if isinstance(value, complex):  # the language's imaginary literal, 2j: 2i
        imaginary = "" if value.imag == 1 else _latex_number(value.imag)
        return f"{imaginary}i" if value.real == 0 else rf"\left({_latex_number(value.real)} + {imaginary}i\right)"
    if not math.isfinite(value):
        return r"\mathrm{NaN}" if math.isnan(value) else ("-" if value < 0 else "") + r"\infty"
    text = format_number(value)
    if "e" in text:
        mantissa, exponent = text.split("e")
        return rf"{mantissa} \times 10^{{{int(exponent)}}}"
    return text


def latex(expr: Expr) -> str:
    return render(expr, LATEX, {name: latex_name(name) for name in expr.names})


# latex2mathml's \left[ matrix \right]: a browser stretches these <mo> only with an OpenType MATH font installed
_FENCED_MATRIX = re.compile(
    r'<mo stretchy="true" fence="true" form="prefix">\[</mo><mtable>(.*?)</mtable>'
    r'<mo stretchy="true" fence="true" form="postfix">\]</mo>',
    re.DOTALL,
)


def mathml(tex: str, display: bool = True) -> str:
    """MathML the browser renders natively: no script, no font download, no network.

    A matrix's brackets are drawn by CSS on its <mtable class="bracketed"> (conformance.css), so they span its
    rows with any font; a stretchy <mo> needs a math font, which many machines (and headless CI) lack.
    """
    converted = latex2mathml.converter.convert(tex, display="block" if display else "inline")
    return _FENCED_MATRIX.sub(r'<mtable class="bracketed">\1</mtable>', converted)
