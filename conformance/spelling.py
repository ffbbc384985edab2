"""Spellings: how one library writes one function, as data; compiled into ops, rendered into snippets.

A spelling is either a dotted path (`torch.sin`: called with the function's
positional arguments) or a Python expression over the function's parameter
and option names (`torch.sum(x, dim=axis)`, `torch.linalg.slogdet(x)[1]`).
The same text becomes the adapter's op (`to_callable`) and the docs' code
(`render`), so what the docs show is what the suite ran.

Spellings are this package's own source text, written beside each adapter;
nothing from a case file is ever compiled.
"""

from __future__ import annotations

import ast
import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from conformance.functions import Function

#: names every spelling may use besides its parameters and its library, as the case language's constants
CONSTANTS: Mapping[str, float] = {"inf": math.inf}


def is_path(spelling: str, function: Function) -> bool:
    """Whether the spelling is a dotted path such as `torch.linalg.det` (`x.mT` is an attribute of a parameter)."""
    parts = spelling.split(".")
    return all(part.isidentifier() for part in parts) and parts[0] not in function.signature


def to_callable(
    spelling: str | None, function: Function, namespace: Mapping[str, Any], library: str = "this library"
) -> Callable[..., Any]:
    """The callable a spelling denotes, its names resolved in `namespace` (the library's modules).

    No spelling (None) means the library has no such function: calling it raises, and the
    framework's answer for that case is the error.
    """
    if spelling is None:

        def missing(*args: Any) -> Any:
            raise NotImplementedError(f"{library} has no {function.name}")

        return missing
    if is_path(spelling, function):
        try:
            root, *attributes = spelling.split(".")
            target = namespace[root]
            for attribute in attributes:
                target = getattr(target, attribute)
        except (KeyError, AttributeError) as err:  # this version lacks it: only the cases calling it fail

            def absent(*args: Any, error: Exception = err) -> Any:
                raise error

            return absent
        return target
    defaults = "".join(f", {name}={value!r}" for name, value in function.options.items())
    source = f"lambda {', '.join(function.params)}{defaults}: {spelling}"
    # our own spelling text (see the module docstring), never a case file's
    return eval(compile(source, f"<{function.name} spelled>", "eval"), {**namespace, **CONSTANTS})


def render(spelling: str, function: Function, args: Sequence[object], output: int | None = None) -> str:
    """The code of one call: `spelling` with `args` in place of its names; `output` selects one array of a
    function that returns a tuple.

    An operand is source text (or anything whose str() is), a list parameter a list of those, a literal its
    Python value. Options not given take their defaults; a keyword argument that is None is left out, and a
    conditional whose test involves only literals keeps only its branch, so
    `torch.max(x) if axis is None else torch.max(x, axis).values` renders as `torch.max(a)`; a list passed as
    `*arrays` is written out (`torch.broadcast_tensors(a, b)`), and an output selected from a tuple the spelling
    writes out is that element (TF's svd reordered: `(svd(x)[1], svd(x)[0], ...)[0]` is `svd(a)[1]`).
    """
    if is_path(spelling, function):
        tree: ast.expr = ast.Call(
            ast.parse(spelling, mode="eval").body,
            [_node(function, p, a) for p, a in zip(function.signature, args, strict=False)],
            [],
        )
    else:
        values = {name: _node(function, name, arg) for name, arg in zip(function.signature, args, strict=False)}
        values.update({name: _constant(default) for name, default in function.options.items() if name not in values})
        tree = _Substitute(values).visit(ast.parse(spelling, mode="eval").body)
    if output is not None:
        tree = ast.Subscript(tree, ast.Constant(output), ast.Load())
    return ast.unparse(_Infinite().visit(_Simplify().visit(tree)))


def _node(function: Function, parameter: str, arg: object) -> ast.expr:
    if parameter in function.literal:
        return _constant(arg)
    if parameter in function.lists and isinstance(arg, list):
        return ast.List([ast.parse(str(item), mode="eval").body for item in arg], ast.Load())
    return ast.parse(str(arg), mode="eval").body


def _constant(value: object) -> ast.expr:
    """A literal's value as a node (a tuple of them as a tuple)."""
    if isinstance(value, tuple):
        return ast.Tuple([_constant(v) for v in value], ast.Load())
    assert value is None or isinstance(value, str | int | float), value  # the kinds of functions.Literal
    return ast.Constant(value)


class _Substitute(ast.NodeTransformer):
    def __init__(self, values: Mapping[str, ast.expr]):
        self.values = values

    def visit_Name(self, node: ast.Name) -> ast.expr:
        return self.values.get(node.id, node)


#: the nodes of a test that involves only literals (and CONSTANTS), so that it can be decided while rendering
_DECIDABLE = (
    ast.Constant,
    ast.Compare,
    ast.BoolOp,
    ast.UnaryOp,
    ast.Tuple,
    ast.cmpop,
    ast.boolop,
    ast.unaryop,
    ast.expr_context,
)


class _Simplify(ast.NodeTransformer):
    """Drop `keyword=None`, write `*[a, b]` as `a, b`, pick the branch of a conditional whose test involves only
    literals and the element of a tuple display indexed by a literal."""

    def visit_Call(self, node: ast.Call) -> ast.Call:
        self.generic_visit(node)
        node.keywords = [k for k in node.keywords if not (isinstance(k.value, ast.Constant) and k.value.value is None)]
        node.args = [
            item
            for arg in node.args
            for item in (arg.value.elts if isinstance(arg, ast.Starred) and isinstance(arg.value, ast.List) else [arg])
        ]
        return node

    def visit_Subscript(self, node: ast.Subscript) -> ast.expr:
        self.generic_visit(node)
        index = node.slice
        if (
            isinstance(node.value, ast.Tuple)
            and isinstance(index, ast.Constant)
            and type(index.value) is int
            and -len(node.value.elts) <= index.value < len(node.value.elts)
        ):
            return node.value.elts[index.value]
        return node

    def visit_IfExp(self, node: ast.IfExp) -> ast.expr:
        self.generic_visit(node)
        if all(
            isinstance(n, _DECIDABLE) or (isinstance(n, ast.Name) and n.id in CONSTANTS) for n in ast.walk(node.test)
        ):
            # literals, constants and operators only (checked just above): nothing to call, no other name
            test = ast.fix_missing_locations(ast.Expression(node.test))
            with warnings.catch_warnings(action="ignore", category=SyntaxWarning):  # `0 is None`: meant so
                decided = eval(compile(test, "<test>", "eval"), {"__builtins__": {}, **CONSTANTS})
            return node.body if decided else node.orelse
        return node


class _Infinite(ast.NodeTransformer):
    """inf as `float('inf')`: ast.unparse would write the constant as 1e309."""

    def visit_Constant(self, node: ast.Constant) -> ast.expr:
        if isinstance(node.value, float) and math.isinf(node.value):
            return ast.Call(ast.Name("float", ast.Load()), [ast.Constant(str(node.value))], [])
        return node
