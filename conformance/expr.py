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
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

# name -> number of positional arguments (a tuple lists every accepted arity).
FUNCTIONS: dict[str, tuple[int, ...]] = {
    "exp": (1,), "log": (1,), "log1p": (1,), "expm1": (1,),
    "sin": (1,), "cos": (1,), "tanh": (1,), "atanh": (1,),
    "sqrt": (1,), "abs": (1,), "square": (1,),
    "sigmoid": (1,), "softplus": (1,),
    "sum": (1, 2), "prod": (1, 2), "mean": (1, 2),  # optional second argument: the axis
    "maximum": (2,), "minimum": (2,), "where": (3,),
    "diag": (1,), "tril": (1,), "matmul": (2,), "transpose": (1,),
    # conventions at kinks and singular points
    "relu": (1,), "clip": (3,), "max": (1, 2), "min": (1, 2),  # max/min: reductions, optional axis
    "logsumexp": (1,), "norm": (1,), "xlogy": (2,), "lgamma": (1,), "digamma": (1,),
    # linear algebra (matrices built in the case, e.g. from a list literal)
    "cholesky": (1,), "solve": (2,), "logdet": (1,), "eigvalsh": (1,), "det": (1,),
}
_AXIS_FUNCTIONS = frozenset({"sum", "prod", "mean", "max", "min"})
#: names every expression may use without declaring them
CONSTANTS: dict[str, float] = {"pi": math.pi, "inf": math.inf, "nan": math.nan}

_BINARY: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
    ast.Div: operator.truediv, ast.Pow: operator.pow,
}
_COMPARE: dict[type, Callable[[Any, Any], Any]] = {
    ast.Gt: operator.gt, ast.GtE: operator.ge, ast.Lt: operator.lt, ast.LtE: operator.le,
}


class ExprError(ValueError):
    """An expression that is not in the language; `line` is relative to the expression's text."""

    def __init__(self, message: str, line: int = 1):
        super().__init__(message)
        self.line = line


@dataclass(frozen=True)
class Ops:
    """What an evaluator needs from an array library.

    `functions` implements every name in FUNCTIONS; `const` turns a Python
    number into an array of the evaluation dtype; `stack` turns a list of
    arrays into one array (list literals mean stack).
    """

    functions: Mapping[str, Callable[..., Any]]
    const: Callable[[float], Any]
    stack: Callable[[list[Any]], Any]


def ops_from_namespace(namespace: Any, renames: Mapping[str, Any], const: Callable[[float], Any],
                       stack: Callable[[list[Any]], Any]) -> Ops:
    """Build an Ops table from a module that names most functions as we do.

    `renames` maps our name to either the module's attribute name or a callable.
    """
    functions = {}
    for name in FUNCTIONS:
        target = renames.get(name, name)
        functions[name] = target if callable(target) else getattr(namespace, target)
    return Ops(functions, const, stack)


@dataclass(frozen=True)
class Expr:
    """A checked expression: its source and the tree that evaluates it."""

    source: str
    tree: tuple
    names: frozenset[str]

    def evaluate(self, env: Mapping[str, Any], ops: Ops) -> Any:
        return _evaluate(self.tree, env, ops)


def parse(source: str | int | float, names: frozenset[str] | set[str] = frozenset()) -> Expr:
    """Parse and check `source`; raise ExprError naming the offending token and its line."""
    text = str(source)
    try:
        module = ast.parse(text.strip(), mode="eval")
    except SyntaxError as err:
        raise ExprError(f"not a valid expression: {err.msg} in {text!r}", err.lineno or 1) from None
    used: set[str] = set()
    tree = _check(module.body, frozenset(names), used)
    return Expr(text, tree, frozenset(used))


def _fail(node: ast.AST, what: str) -> ExprError:
    return ExprError(f"{what} is not allowed in an expression (column {node.col_offset + 1})",
                     getattr(node, "lineno", 1))


def _check(node: ast.AST, names: frozenset[str], used: set[str]) -> tuple:
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise _fail(node, f"the constant {node.value!r}")
        return ("num", float(node.value))
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
        return ("cmp", type(node.ops[0]), _check(node.left, names, used),
                _check(node.comparators[0], names, used))
    if isinstance(node, ast.Subscript):
        index = node.slice
        negative = isinstance(index, ast.UnaryOp) and isinstance(index.op, ast.USub)
        literal = index.operand if negative else index
        if not (isinstance(literal, ast.Constant) and type(literal.value) is int):
            raise _fail(index, "an index other than an integer literal")
        return ("index", _check(node.value, names, used), -literal.value if negative else literal.value)
    if isinstance(node, ast.List):
        if not node.elts:
            raise _fail(node, "an empty list")
        return ("stack", tuple(_check(e, names, used) for e in node.elts))
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name):
            raise _fail(node.func, "calling anything but a function name")
        name = node.func.id
        if name not in FUNCTIONS:
            raise ExprError(f"unknown function {name!r} (allowed: {', '.join(sorted(FUNCTIONS))})",
                            node.lineno)
        if node.keywords:
            raise _fail(node, f"a keyword argument to {name}()")
        if len(node.args) not in FUNCTIONS[name]:
            raise ExprError(f"{name}() takes {' or '.join(map(str, FUNCTIONS[name]))} argument(s), "
                            f"got {len(node.args)}", node.lineno)
        args = [_check(a, names, used) for a in node.args]
        if name in _AXIS_FUNCTIONS and len(args) == 2:
            if args[1][0] != "num" or args[1][1] != int(args[1][1]):
                raise _fail(node.args[1], f"an axis of {name}() other than an integer literal")
            args[1] = ("axis", int(args[1][1]))
        return ("call", name, tuple(args))
    kind = {ast.Attribute: "attribute access", ast.Lambda: "a lambda",
            ast.ListComp: "a comprehension", ast.GeneratorExp: "a comprehension",
            ast.DictComp: "a comprehension", ast.SetComp: "a comprehension",
            ast.Dict: "a dict", ast.Tuple: "a tuple", ast.NamedExpr: "assignment",
            ast.IfExp: "a conditional expression (use where())", ast.BoolOp: "and/or",
            ast.Starred: "unpacking"}.get(type(node), f"{type(node).__name__}")
    raise _fail(node, kind)


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
    if tag == "call":
        args = [a[1] if a[0] == "axis" else _evaluate(a, env, ops) for a in tree[2]]
        return ops.functions[tree[1]](*args)
    raise AssertionError(f"unknown node {tag}")
