"""Well-typed random expressions and inputs, drawn from the function table by a seeded generator.

An expression is a small tree (`Node`) around one function of the table, its core: a unary or binary
elementwise function on inputs of one drawn shape (scalar, vector, matrix or empty), or one of the calls its
record's `Sweep` lists (an axis, an option, a batch: OpInfo's samples, each with its shapes). Each input of the
core may pass through an elementwise wrapper first, and the core's result through one more; a wrapper keeps the
shape, so every tree is well-typed by construction (and `conformance.expr` checks it again when the case loads).

Inputs are drawn per element from the core's domain, and some from its special points: 0, +-1, ties, the points
its record names (bounds, poles, tiny and huge values). Matrices a call needs structured (symmetric positive
definite, well conditioned) are made so, as in the sweeps.
"""

from __future__ import annotations

import ast
import fnmatch
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any

import numpy as np

from conformance import expr, oracle
from conformance.functions import FUNCTIONS, RANGE, Call, Function
from conformance.generate import by_points, structured, sweepable

#: the shapes an elementwise core's inputs take: scalar, vector, matrix, empty
SHAPES: tuple[tuple[int, ...], ...] = ((), (4,), (2, 3), (0,))
#: values special to most functions, drawn besides the core's own special points
COMMON = (0.0, 1.0, -1.0, 0.5)
#: a drawn element is special (a common value, the core's special point, a tie) with this probability
SPECIAL = 0.3
#: an input of the core is wrapped, and the core's result, with these probabilities
WRAP_INPUT, WRAP_OUTPUT = 0.35, 0.35
#: arithmetic wrappers: `{}` is the wrapped expression
ARITHMETIC = ("({} * 2.5)", "({} + 0.5)", "({} - 1.5)", "({} / 3.0)", "({} ** 2)", "({} ** 3)", "(-{})")


@dataclass(frozen=True)
class Node:
    """An expression tree: a leaf names an input; any other node fills its `template`'s `{}` with its children."""

    template: str  # "sin({})", "sum({}, 0)", "({} * 2.5)"; for a leaf, the input's name
    children: tuple[Node, ...] = ()
    function: str = ""  # the function of the table it applies ("" for a leaf or arithmetic)

    @property
    def leaf(self) -> bool:
        return not self.children and not self.function and "{" not in self.template

    def render(self) -> str:
        return self.template if self.leaf else self.template.format(*(c.render() for c in self.children))

    def functions(self) -> frozenset[str]:
        return frozenset({self.function} - {""}).union(*(c.functions() for c in self.children))


@dataclass(frozen=True)
class Trial:
    """One expression and its inputs, ready to be written as a vjp case: what the fuzzer runs and shrinks."""

    tree: Node
    inputs: dict[str, np.ndarray]  # drawn, float64
    cotangent: np.ndarray | complex | float
    data: dict[str, Any] = field(default_factory=dict)  # given data inputs (indices, masks), as the case writes them
    dtypes: tuple[str, ...] = ("float32", "float64")

    @property
    def function(self) -> str:
        return self.tree.render()

    def with_tree(self, tree: Node, inputs: dict[str, np.ndarray] | None = None) -> Trial:
        """The same trial with another tree (and inputs), its cotangent redrawn if the output's shape or kind changed
        (`tan(x)` hoisted out of `ifft(tan(x))` is real: a complex cotangent would not load)."""
        inputs = self.inputs if inputs is None else inputs
        trial = replace(self, tree=tree, inputs={k: v for k, v in inputs.items() if k in _names(tree)})
        value = output(trial)
        kept = (np.shape(value), np.iscomplexobj(value)) == (np.shape(self.cotangent), np.iscomplexobj(self.cotangent))
        return trial if kept else replace(trial, cotangent=cotangent_for(value, np.random.default_rng(0)))


def select(pattern: str | None = None) -> list[Function]:
    """The functions the fuzzer may put at a core: those of real arrays with a sweep the oracle can judge (not
    stop_gradient, which finite differences see as the identity), matching `pattern` (a glob over names, or a
    substring) when given."""
    found = [f for f in FUNCTIONS.values() if sweepable(f) and f.sweep is not None and not f.sweep.oracle_off]
    if pattern:
        glob = any(c in pattern for c in "*?[")
        found = [f for f in found if (fnmatch.fnmatchcase(f.name, pattern) if glob else pattern in f.name)]
    return found


@cache
def wrappers() -> tuple[Function, ...]:
    """Unary elementwise functions of real numbers: what may wrap an input or a result without changing its shape."""
    return tuple(f for f in select() if by_points(f) and len(f.params) == 1)


def draw_trial(rng: np.random.Generator, functions: list[Function]) -> Trial:
    """One well-typed trial around a core drawn from `functions`, whose value NumPy can compute (a wrapper can
    hand a matrix function NaNs, on which LAPACK gives up: then another is drawn)."""
    while True:
        try:
            return _draw(rng, functions)
        except (np.linalg.LinAlgError, ValueError):
            continue


def _draw(rng: np.random.Generator, functions: list[Function]) -> Trial:
    core = functions[int(rng.integers(len(functions)))]
    sweep = core.sweep
    assert sweep is not None
    if by_points(core):
        shape = SHAPES[int(rng.integers(len(SHAPES)))]
        names = ("x", "y")[: len(core.params)]
        call = Call("drawn", f"{core.name}({', '.join(names)})", {n: shape for n in names})
        domains = dict(zip(names, sweep.domain, strict=True))
        # a point where the record turns the oracle off (sin at 1e4) cannot be judged by it
        special = {
            n: [p.inputs[param] for p in sweep.special if not p.dtypes and not p.oracle_off and param in p.inputs]
            for n, param in zip(names, core.params, strict=True)
        }
        common = {n: list(COMMON) for n in names}
    else:
        call = sweep.calls[int(rng.integers(len(sweep.calls)))]
        domains = {n: sweep.ranges.get(n, RANGE) for n in call.shapes}
        special = {n: [] for n in call.shapes}
        # the common values outside a call's interval too: prod's is positive to keep its sweep generic, and its
        # zeros are what a fuzzer is for
        common = {n: list(COMMON) for n in call.shapes}
    template, holes = template_of(call.function, set(call.shapes))
    if not isinstance(ast.parse(call.function, mode="eval").body, ast.Call | ast.Subscript):
        template = f"({template})"  # a call with an operator (eigh's ... ** 2) keeps its precedence when wrapped
    # a matrix made well conditioned stays so: no wrapper between it and its function
    tree = Node(
        template,
        tuple(Node(n) if n in sweep.structure else _maybe_wrapped(Node(n), rng, WRAP_INPUT) for n in holes),
        core.name,
    )
    inputs = {}
    for n, shape in call.shapes.items():
        value = _values(rng, shape, domains[n], [*common[n], *special[n]] if n not in sweep.structure else [])
        inputs[n] = np.round(structured(value, sweep.structure[n]), 3) if n in sweep.structure else value
    trial = Trial(tree, inputs, 0.0, dict(call.given))
    for child in tree.children:  # LAPACK can loop for ever on an inf or a NaN: the core takes finite values only
        if not np.all(np.isfinite(output(replace(trial, tree=child)))):
            raise ValueError(f"{child.render()} is not finite here")
    if not np.iscomplexobj(output(trial)):  # a real wrapper takes real values only
        trial = replace(trial, tree=_maybe_wrapped(tree, rng, WRAP_OUTPUT))
    return replace(trial, cotangent=cotangent_for(output(trial), rng))


def output(trial: Trial) -> np.ndarray:
    """The trial's value in NumPy float64: its shape and kind decide the cotangent's."""
    env = {**trial.inputs, **{n: np.asarray(v["value"], dtype=v["dtype"]) for n, v in trial.data.items()}}
    return oracle.evaluate(expr.parse(trial.function, set(env)), env)


def cotangent_for(value: np.ndarray, rng: np.random.Generator) -> np.ndarray | complex | float:
    """A cotangent of the output's shape and kind, multiples of 1/16 (exact in every dtype)."""
    real = np.round(rng.uniform(0.5, 1.5, np.shape(value)) * 16) / 16
    if np.iscomplexobj(value):
        imag = np.round(rng.uniform(-1.0, 1.0, np.shape(value)) * 16) / 16
        return real + 1j * imag if np.shape(value) else complex(real + 1j * imag)
    return real if np.shape(value) else float(real)


def template_of(function: str, names: set[str]) -> tuple[str, list[str]]:
    """A call's text with each input replaced by `{}`, and the inputs in that order (through `ast`, so a name
    inside a string literal is left alone)."""
    order: list[str] = []

    class Holes(ast.NodeTransformer):
        def visit_Name(self, node: ast.Name) -> ast.AST:
            if node.id not in names:
                return node
            order.append(node.id)
            return ast.Name(f"HOLE{len(order) - 1}")

    text = ast.unparse(Holes().visit(ast.parse(function, mode="eval")))
    text = text.replace("{", "{{").replace("}", "}}")
    for i in range(len(order)):
        text = text.replace(f"HOLE{i}", "{}", 1)
    return text, order


def _maybe_wrapped(node: Node, rng: np.random.Generator, probability: float) -> Node:
    if rng.random() >= probability:
        return node
    if rng.random() < 0.4:
        return Node(ARITHMETIC[int(rng.integers(len(ARITHMETIC)))], (node,))
    pool = wrappers()
    wrapper = pool[int(rng.integers(len(pool)))]
    return Node(f"{wrapper.name}({{}})", (node,), wrapper.name)


def _values(
    rng: np.random.Generator, shape: tuple[int, ...], domain: tuple[float, float], pool: list[float]
) -> np.ndarray:
    """Generic values of the domain, some replaced by special ones (`pool`: common values, the core's points) or
    by a tie with the one before."""
    value = np.round(rng.uniform(*domain, shape), 3)
    flat = value.reshape(-1)
    for i in range(flat.size):
        if rng.random() < SPECIAL and (pool or i):
            flat[i] = flat[i - 1] if i and (not pool or rng.random() < 0.3) else pool[int(rng.integers(len(pool)))]
    return flat.reshape(shape)


def _names(tree: Node) -> set[str]:
    return {tree.template} if tree.leaf else set().union(*(_names(c) for c in tree.children))
