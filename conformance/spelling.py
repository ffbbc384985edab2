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
from collections.abc import Callable, Mapping
from typing import Any

from conformance.functions import Function


def is_path(spelling: str) -> bool:
    """Whether the spelling is a dotted path such as `torch.linalg.det`."""
    return all(part.isidentifier() for part in spelling.split("."))


def to_callable(spelling: str | None, function: Function, namespace: Mapping[str, Any],
                library: str = "this library") -> Callable[..., Any]:
    """The callable a spelling denotes, its names resolved in `namespace` (the library's modules).

    No spelling (None) means the library has no such function: calling it raises, and the
    framework's answer for that case is the error.
    """
    if spelling is None:
        def missing(*args: Any) -> Any:
            raise NotImplementedError(f"{library} has no {function.name}")
        return missing
    if is_path(spelling):
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
    return eval(compile(source, f"<{function.name} spelled>", "eval"), dict(namespace))


def render(spelling: str, function: Function, args: list[str]) -> str:
    """The code of one call: `spelling` with `args` (source text, positional) in place of its names.

    Options not given take their defaults; a keyword argument that is None is
    left out, and a conditional on a known value keeps only its branch, so
    `torch.max(x) if axis is None else torch.max(x, axis).values` renders as `torch.max(a)`.
    """
    if is_path(spelling):
        return f"{spelling}({', '.join(args)})"
    given = dict(zip(function.signature, args, strict=False))
    values = {name: ast.parse(text, mode="eval").body for name, text in given.items()}
    values.update({name: ast.Constant(default) for name, default in function.options.items() if name not in given})
    tree = _Simplify().visit(_Substitute(values).visit(ast.parse(spelling, mode="eval")))
    return ast.unparse(tree)


class _Substitute(ast.NodeTransformer):
    def __init__(self, values: Mapping[str, ast.expr]):
        self.values = values

    def visit_Name(self, node: ast.Name) -> ast.expr:
        return self.values.get(node.id, node)


class _Simplify(ast.NodeTransformer):
    """Drop `keyword=None` and pick the branch of a conditional whose test compares constants by identity."""

    def visit_Call(self, node: ast.Call) -> ast.Call:
        self.generic_visit(node)
        node.keywords = [k for k in node.keywords if not (isinstance(k.value, ast.Constant) and k.value.value is None)]
        return node

    def visit_IfExp(self, node: ast.IfExp) -> ast.expr:
        self.generic_visit(node)
        test = node.test
        if (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], (ast.Is, ast.IsNot))
                and isinstance(test.left, ast.Constant) and isinstance(test.comparators[0], ast.Constant)):
            same = test.left.value is test.comparators[0].value
            return node.body if same == isinstance(test.ops[0], ast.Is) else node.orelse
        return node
