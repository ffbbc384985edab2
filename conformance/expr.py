"""The case files' expression language: Python syntax, parsed with `ast`, never evaluated by Python.

A parsed expression is a small tree of tuples. It is checked once, at load time,
against the declared names and the fixed function table; evaluation walks the
tree with an `Ops` table, so the same expression runs in NumPy (the oracle) and
in every framework (each adapter maps the table to its own functions).
"""

from __future__ import annotations

import ast
import math
import operator
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeGuard

from conformance import functions, renames
from conformance.functions import CHOICES, Function, Kind, Shape, ShapeError, describe
from conformance.functions import FUNCTIONS as TABLE

# name -> the accepted numbers of positional arguments, from the function table
FUNCTIONS: dict[str, tuple[int, ...]] = {name: f.arity for name, f in TABLE.items()}
#: names every expression may use without declaring them
CONSTANTS: dict[str, float] = {"pi": math.pi, "inf": math.inf, "nan": math.nan}

# Limits, so that a hostile expression is an error and not a crash. Python's parser raises RecursionError near
# 1,000 nested operators and MemoryError near 6,000 nested unary minuses, and the checker and the evaluators
# recurse once per level; the library's deepest expression is 8 levels.
#: nesting levels of an expression (operators, calls, lists, indexing)
MAX_DEPTH = 100
#: characters of an expression's text (a list literal of 100,000 numbers is about 2.5 million)
MAX_LENGTH = 10_000_000
#: elements of any value an expression computes, its inputs included (8 MB in float64)
MAX_ELEMENTS = 1_000_000
#: what evaluating one node costs beyond its elements, in element operations: NumPy's call overhead (about 3 us)
#: is worth about 1,000 elementwise operations (about 2 ns each)
NODE_WORK = 1_000


_BINARY: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
}
#: the Array API's names of the arithmetic operators
_OPERATOR_NAMES = {ast.Add: "add", ast.Sub: "subtract", ast.Mult: "multiply", ast.Div: "divide", ast.Pow: "pow"}
_COMPARE: dict[type, Callable[[Any, Any], Any]] = {
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
}


class ExprError(ValueError):
    """An expression that is not in the language; `line` is relative to the expression's text."""

    def __init__(self, message: str, line: int = 1):
        super().__init__(message)
        self.line = line


@dataclass(frozen=True)
class Ops:
    """What an evaluator needs from an array library.

    `functions` implements every name in FUNCTIONS (compiled from spellings,
    see conformance/spelling.py); `const` turns a Python
    number into an array of the evaluation dtype; `stack` turns a list of
    arrays into one array (list literals mean stack; `[]`, the empty vector, is a
    constant only, so NumPy alone evaluates it).
    """

    functions: Mapping[str, Callable[..., Any]]
    const: Callable[[float], Any]
    stack: Callable[[list[Any]], Any]


@dataclass(frozen=True)
class Expr:
    """A checked expression: its source and the tree that evaluates it."""

    source: str
    tree: tuple
    names: frozenset[str]

    def evaluate(self, env: Mapping[str, Any], ops: Ops) -> Any:
        return _evaluate(self.tree, env, ops)

    @property
    def complex(self) -> bool:
        """Whether it writes a complex number (an imaginary literal such as 1j)."""
        return _has_imaginary(self.tree)

    def calls(self) -> frozenset[str]:
        """The functions it calls, with its arithmetic operators under the Array API's names (add, pow, ...)."""
        found: set[str] = set()

        def walk(tree: tuple) -> None:
            tag = tree[0]
            if tag == "call":
                found.add(tree[1])
            elif tag == "bin":
                found.add(_OPERATOR_NAMES[tree[1]])
            elif tag == "neg":
                found.add("negative")
            match tree:
                case ("bin" | "cmp", _, left, right):
                    children: tuple = (left, right)
                case ("neg", operand) | ("index", operand, _):
                    children = (operand,)
                case ("stack" | "list", items) | ("call", _, items):
                    children = items
                case _:
                    children = ()
            for child in children:
                walk(child)

        walk(self.tree)
        return frozenset(found)


def _has_imaginary(tree: Any) -> bool:
    if isinstance(tree, tuple):
        return (tree[:1] == ("num",) and isinstance(tree[1], complex)) or any(map(_has_imaginary, tree))
    return False


def parse(source: str | int | float, names: frozenset[str] | set[str] = frozenset()) -> Expr:
    """Parse and check `source`; raise ExprError naming the offending token and its line."""
    text = str(source)
    if len(text) > MAX_LENGTH:
        raise ExprError(f"an expression of {len(text):,} characters is longer than the limit of {MAX_LENGTH:,}")
    try:
        module = ast.parse(text.strip(), mode="eval")
    except SyntaxError as err:
        raise ExprError(f"not a valid expression: {err.msg} in {_abridged(repr(text))}", err.lineno or 1) from None
    except (RecursionError, MemoryError):  # CPython's parser gives up on deep nesting with these, not SyntaxError
        raise ExprError(f"an expression nested more than {MAX_DEPTH} levels deep (the limit)") from None
    _check_depth(module.body)
    used: set[str] = set()
    tree = _check(_OldNames().visit(module).body, frozenset(names), used)
    return Expr(text, tree, frozenset(used))


class _OldNames(ast.NodeTransformer):
    """Calls of a renamed function that still loads, rewritten to the new name (logdet(x) to slogdet(x)[1]), each
    with a RenamedWarning."""

    def visit_Call(self, node: ast.Call) -> ast.expr:
        self.generic_visit(node)
        old = node.func.id if isinstance(node.func, ast.Name) else ""
        renamed = renames.FUNCTIONS.get(old)
        if renamed is None or not renamed.loads() or old in TABLE:
            return node
        warnings.warn(renames.RenamedWarning(old, renamed), stacklevel=2)
        node.func = ast.copy_location(ast.Name(renamed.new, ast.Load()), node.func)
        if renamed.select is None:
            return node
        return ast.copy_location(ast.Subscript(node, ast.Constant(renamed.select), ast.Load()), node)


def _abridged(text: str, keep: int = 60, unit: str = "characters") -> str:
    """`text` with its middle cut out when long, so that an error message stays readable."""
    return text if len(text) <= keep else f"{text[: keep // 2]}...{text[-keep // 2 :]} ({len(text):,} {unit})"


def _check_depth(root: ast.expr) -> None:
    """Refuse nesting beyond MAX_DEPTH before the recursive checker meets it (iteratively: no recursion here)."""
    stack = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ExprError(
                f"an expression nested more than {MAX_DEPTH} levels deep (the limit)", getattr(node, "lineno", 1)
            )
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node) if isinstance(child, ast.expr))


def _fail(node: ast.AST, what: str) -> ExprError:
    return ExprError(
        f"{what} is not allowed in an expression (column {getattr(node, 'col_offset', 0) + 1})",
        getattr(node, "lineno", 1),
    )


def _check(node: ast.AST, names: frozenset[str], used: set[str]) -> tuple:
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float, complex)):
            raise _fail(node, f"the constant {_abridged(repr(node.value))}")
        if isinstance(node.value, complex):  # an imaginary literal, 2j (Python writes 1 + 2j as a sum)
            if not math.isfinite(node.value.imag):
                raise _fail(node, f"the imaginary literal {_abridged(repr(node.value))} (not finite)")
            return ("num", node.value)
        try:
            return ("num", float(node.value))
        except OverflowError:  # an integer literal beyond float64, e.g. 400 hex digits
            digits = _abridged(str(node.value), unit="digits")
            raise ExprError(
                f"the integer {digits} is beyond float64's range (about 1.8e308) (column {node.col_offset + 1})",
                node.lineno,
            ) from None
    if isinstance(node, ast.Name):
        if node.id in CONSTANTS and node.id not in names:
            return ("num", CONSTANTS[node.id])
        if node.id not in names:
            known = ", ".join(sorted(names)) or "none"
            raise ExprError(f"unknown name {node.id!r} (declared: {known})", node.lineno)
        used.add(node.id)
        return ("name", node.id)
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        return ("bin", type(node.op), _check(node.left, names, used), _check(node.right, names, used))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        operand = _check(node.operand, names, used)
        return ("neg", operand) if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in _COMPARE:
        return ("cmp", type(node.ops[0]), _check(node.left, names, used), _check(node.comparators[0], names, used))
    if isinstance(node, ast.Subscript):
        index = node.slice
        negative = isinstance(index, ast.UnaryOp) and isinstance(index.op, ast.USub)
        literal = index.operand if isinstance(index, ast.UnaryOp) and negative else index
        if not (isinstance(literal, ast.Constant) and type(literal.value) is int):
            raise _fail(index, "an index other than an integer literal")
        k = -literal.value if negative else literal.value
        if _returns_tuple(node.value):  # one array of a tuple, selected at once: slogdet(x)[1]
            return ("index", _call(node.value, names, used, k), k)
        return ("index", _check(node.value, names, used), k)
    if isinstance(node, ast.List):
        if not node.elts and names:  # an adapter never sees it: only a constant is evaluated in NumPy alone
            raise _fail(
                node,
                "an empty list in an expression of the inputs (an empty input is written as the "
                "input's value: [] for shape (0,), [[], [], []] for (3, 0))",
            )
        return ("stack", tuple(_check(e, names, used) for e in node.elts))
    if isinstance(node, ast.Call):
        return _call(node, names, used)
    kind = {
        ast.Attribute: "attribute access",
        ast.Lambda: "a lambda",
        ast.ListComp: "a comprehension",
        ast.GeneratorExp: "a comprehension",
        ast.DictComp: "a comprehension",
        ast.SetComp: "a comprehension",
        ast.Dict: "a dict",
        ast.Tuple: "a tuple",
        ast.NamedExpr: "assignment",
        ast.IfExp: "a conditional expression (use where())",
        ast.BoolOp: "and/or",
        ast.Starred: "unpacking",
    }.get(type(node), f"{type(node).__name__}")
    raise _fail(node, kind)


def _returns_tuple(node: ast.expr) -> TypeGuard[ast.Call]:
    """Whether `node` calls a function of the table that returns a tuple."""
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in TABLE
        and TABLE[node.func.id].outputs is not None
    )


def _call(node: ast.Call, names: frozenset[str], used: set[str], selected: int | None = None) -> tuple:
    """A call of the table; `selected`, the index right after it, picks one array of a function returning a tuple
    (which is refused without one)."""
    if not isinstance(node.func, ast.Name):
        raise _fail(node.func, "calling anything but a function name")
    name = node.func.id
    if name not in FUNCTIONS:
        raise ExprError(renames.unknown("function", name, FUNCTIONS, renames.FUNCTIONS), node.lineno)
    function = TABLE[name]
    if function.outputs is not None:
        returns = f"{name}() returns ({', '.join(function.outputs.names)})"
        if selected is None:
            raise ExprError(f"{returns}: select one, as {_abridged(ast.unparse(node))}[0]", node.lineno)
        if function.outputs.fixed and not -len(function.outputs.names) <= selected < len(function.outputs.names):
            raise ExprError(f"{returns}: index {selected} is out of range", node.lineno)
    given = _keyword_arguments(node, function)
    twice = [k for k in given if function.signature.index(k) < len(node.args)]
    if twice:
        raise _fail(node, f"{name}() given {twice[0]} twice")
    # keyword arguments become positions; an option skipped before one given takes its default
    last = max((function.signature.index(k) for k in given), default=len(node.args) - 1)
    arg_nodes: list[ast.expr | None] = [
        *node.args,
        *(given.get(option) for option in function.signature[len(node.args) : last + 1]),
    ]
    required = arg_nodes[: len(function.params)]
    if len(node.args) > len(function.signature) or len(required) < len(function.params) or None in required:
        raise ExprError(
            f"{name}() takes {' or '.join(map(str, FUNCTIONS[name]))} argument(s), got {len(node.args)}", node.lineno
        )
    return (
        "call",
        name,
        tuple(
            _argument(function, parameter, a, names, used)
            for parameter, a in zip(function.signature, arg_nodes, strict=False)
        ),
    )


def _argument(
    function: Function, parameter: str, node: ast.expr | None, names: frozenset[str], used: set[str]
) -> tuple:
    """One argument of a call: a literal (an option left out takes its default), a list of arrays, or an operand."""
    if node is None:
        return ("literal", function.options[parameter])
    if parameter in function.literal:
        kind = function.literal[parameter]
        value = _literal(node)
        if not _is_kind(value, kind):
            article = "an" if parameter[0] in "aeiou" else "a"
            raise _fail(node, f"{article} {parameter} of {function.name}() other than {kind}")
        return ("literal", value)
    if parameter in function.lists:
        if not isinstance(node, ast.List) or not node.elts:
            raise _fail(node, f"{function.name}()'s {parameter} other than a list literal of arrays")
        return ("list", tuple(_check(e, names, used) for e in node.elts))
    return _check(node, names, used)


#: a literal the parser cannot read (an expression, a name): no kind admits it
_NOT_LITERAL = object()


def _literal(node: ast.expr) -> object:
    """A literal argument's Python value: a number (with its sign), inf, a string, True/False, a tuple of those."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name) and node.id == "inf":
        return math.inf
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        value = _literal(node.operand)
        return -value if isinstance(value, int | float) and not isinstance(value, bool) else _NOT_LITERAL
    if isinstance(node, ast.Tuple):
        return tuple(_literal(e) for e in node.elts)
    return _NOT_LITERAL


def _is_kind(value: object, kind: Kind) -> bool:
    """Whether a literal's value is of `kind`; integers within MAX_ELEMENTS, so that none is absurd."""

    def integer(v: object) -> bool:
        return type(v) is int and abs(v) <= MAX_ELEMENTS

    if kind == Kind.INTEGER:
        return integer(value)
    if kind == Kind.SHAPE:
        return isinstance(value, tuple) and all(map(integer, value))
    if kind == Kind.INTEGERS:
        return integer(value) or (isinstance(value, tuple) and bool(value) and all(map(integer, value)))
    if kind == Kind.BOOLEAN:
        return type(value) is bool
    if kind == Kind.NUMBER:
        return (type(value) is float and math.isfinite(value)) or integer(value)
    if kind in CHOICES:
        return isinstance(value, str) and value in CHOICES[kind]
    return (type(value) is float and not math.isnan(value)) or integer(value) or value in ("fro", "nuc")


def _keyword_arguments(node: ast.Call, function: Function) -> dict[str, ast.expr]:
    """A call's keyword arguments: its options and literal parameters, as the Array API writes them
    (`var(x, correction=1)`, `squeeze(x, axis=0)`)."""
    keywords = [*function.options, *(p for p in function.params if p in function.literal)]
    given: dict[str, ast.expr] = {}
    for keyword in node.keywords:
        if keyword.arg is None or keyword.arg not in keywords:
            raise _fail(
                keyword.value,
                f"a keyword argument {keyword.arg or '**'!s} to {function.name}() "
                f"(its options: {', '.join(keywords) or 'none'})",
            )
        given[keyword.arg] = keyword.value
    return given


def _evaluate(tree: tuple, env: Mapping[str, Any], ops: Ops) -> Any:
    tag = tree[0]
    if tag == "num":
        return ops.const(tree[1])
    if tag == "name":
        return env[tree[1]]
    if tag == "bin":
        return _BINARY[tree[1]](_evaluate(tree[2], env, ops), _evaluate(tree[3], env, ops))
    if tag == "cmp":
        return _COMPARE[tree[1]](_evaluate(tree[2], env, ops), _evaluate(tree[3], env, ops))
    if tag == "neg":
        return -_evaluate(tree[1], env, ops)
    if tag == "index":
        return _evaluate(tree[1], env, ops)[tree[2]]
    if tag == "stack":
        return ops.stack([_evaluate(e, env, ops) for e in tree[1]])
    if tag == "list":  # a list of arrays, one argument (concat's)
        return [_evaluate(e, env, ops) for e in tree[1]]
    if tag == "call":
        args = [a[1] if a[0] == "literal" else _evaluate(a, env, ops) for a in tree[2]]
        return ops.functions[tree[1]](*args)
    raise AssertionError(f"unknown node {tag}")


@dataclass(frozen=True)
class Size:
    """What evaluating an expression gives and costs, known without evaluating it."""

    shape: Shape
    #: element operations of one evaluation: every node's elements plus NODE_WORK for the call
    work: int


def measure(expression: Expr, shapes: Mapping[str, Shape]) -> Size:
    """The shape and cost of `expression` given its names' shapes, by NumPy's rules, computing no value.

    Raises ExprError where NumPy would raise (shapes that do not broadcast, an index or an axis out of range,
    a list of unequal shapes, a matrix function of a vector) or where a value would exceed MAX_ELEMENTS.
    """
    work = [0]

    def account(shape: Shape) -> Shape:
        """One value computed: bounded, and its cost counted."""
        size = math.prod(shape)
        if size > MAX_ELEMENTS:
            raise ExprError(
                f"a value of {describe(shape)} ({size:,} elements) is larger than the limit of "
                f"{MAX_ELEMENTS:,} elements"
            )
        work[0] += NODE_WORK + size
        return shape

    def visit(tree: tuple) -> Shape:
        return account(_node_shape(tree, shapes, visit, account))

    try:
        shape = visit(expression.tree)
    except ShapeError as err:
        raise ExprError(str(err)) from None
    return Size(shape, work[0])


def broadcast(*shapes: Shape) -> Shape:
    """NumPy's broadcasting of `shapes`, or ExprError."""
    try:
        return functions.broadcast(*shapes)
    except ShapeError as err:
        raise ExprError(str(err)) from None


def _node_shape(
    tree: tuple, shapes: Mapping[str, Shape], visit: Callable[[tuple], Shape], account: Callable[[Shape], Shape]
) -> Shape:
    tag = tree[0]
    if tag == "num":
        return ()
    if tag == "name":
        return shapes[tree[1]]
    if tag in ("bin", "cmp"):
        return functions.broadcast(visit(tree[2]), visit(tree[3]))
    if tag == "neg":
        return visit(tree[1])
    if tag == "index":
        operand, i = tree[1], tree[2]
        outputs = TABLE[operand[1]].outputs if operand[0] == "call" else None
        if outputs is not None:  # every array of the tuple is computed, the one selected is kept
            function, operands, options = _call_shapes(operand, visit)
            arrays = [account(s) for s in outputs.shapes(function.name, operands, options)]
            if not -len(arrays) <= i < len(arrays):
                raise ExprError(f"{function.name}() returns {len(arrays)} arrays here: index {i} is out of range")
            return arrays[i]
        shape = visit(operand)
        if not shape or not -shape[0] <= i < shape[0]:
            raise ExprError(f"index {i} is out of range for a value of {describe(shape)}")
        return shape[1:]
    if tag == "stack":
        parts = [visit(e) for e in tree[1]]
        if not parts:
            return (0,)
        if len(set(parts)) > 1:
            raise ExprError(f"a list of values of different shapes ({', '.join(map(str, dict.fromkeys(parts)))})")
        return (len(parts), *parts[0])
    if tag == "call":
        function, operands, options = _call_shapes(tree, visit)
        return function.shape(function.name, operands, options)
    raise AssertionError(f"unknown node {tag}")


def _call_shapes(tree: tuple, visit: Callable[[tuple], Shape]) -> tuple[Function, list[Shape], dict[str, Any]]:
    """A call's function, its operands' shapes (a list argument's items in order) and its literal options."""
    function, args = TABLE[tree[1]], tree[2]
    operands = [visit(e) for a in args if a[0] != "literal" for e in (a[1] if a[0] == "list" else [a])]
    options = {
        **function.options,
        **{option: a[1] for option, a in zip(function.signature, args, strict=False) if a[0] == "literal"},
    }
    return function, operands, options


def normwise_size(expression: Expr, shapes: Mapping[str, Shape]) -> int:
    """The largest m n of the matrices (an operand's last two axes) that the functions whose gradients are accurate
    normwise only (their record's `normwise`) take in `expression`, given its names' shapes; 0 where it calls none.
    The tolerance rule allows such a gradient roundings in proportion (conformance/tolerance.py)."""
    largest, known = [0], {}

    def visit(tree: tuple) -> Shape:
        if id(tree) not in known:  # each node once: a call's operands are visited again for its shape
            call = tree[1] if tree[0] == "index" and tree[1][0] == "call" and TABLE[tree[1][1]].outputs else tree
            if call[0] == "call":
                function, operands, _ = _call_shapes(call, visit)
                if function.normwise:
                    largest[0] = max([largest[0], *(math.prod(s[-2:]) for s in operands)])
            known[id(tree)] = _node_shape(tree, shapes, visit, lambda shape: shape)
        return known[id(tree)]

    try:
        visit(expression.tree)
    except ShapeError as err:
        raise ExprError(str(err)) from None
    return largest[0]
