"""The directional kind: d^k/ds^k f(x + s v) at s = 0, by every composition of forward and reverse mode.

A framework computes the derivative of phi(s) = f(x + s v) once per composition of its modes (2 at order 1, 4 at
order 2, 8 at order 3), through each of its autodiff APIs with rules of its own (`Adapter.DIRECTIONAL_APIS`);
each composition is one gradient of the job, named outermost first (`fwd-over-rev`, `func:rev-over-fwd-over-fwd`).
Each is judged against the math and the oracle (which differences s -> f(x + s v) k times), and against its
siblings: they are one quantity, and one that differs from the others is a finding of its own (`agreement`).

Complex inputs: x and v complex, s real, f real-valued (a real loss of complex inputs), so that every order is
the derivative of a real function of one real variable and every composition is defined; a complex-valued f is
refused at load (take real(), imag() or abs() of it).
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import Field

from conformance import expr, oracle
from conformance.adapters import (
    BUILTIN,
    MAX_ORDER,
    Adapter,
    Program,
    composition_name,
    composition_names,
    compositions,
    directional_apis,
)
from conformance.kinds.base import (
    Computed,
    ConventionRef,
    Kind,
    Oracle,
    Reference,
    as_handed,
    primal,
    references,
    rounding_scale,
    values,
)
from conformance.model import CaseBase, Convention, Expectation, ExprAt, Path, Value, _broadcasts
from conformance.vocabulary import Expect

#: the name the case's one expectation goes by in the shared helpers (`base.references`)
DERIVATIVE = "derivative"
#: how many evaluations of f the oracle makes: the central differences at h, 2h and 4h of each order, and p(0)
ORACLE_EVALUATIONS = 13


class DirectionalCase(CaseBase):
    """A function in the expression language, differentiated `order` times along `direction`."""

    kind: Literal["directional"] = Field(
        description="directional: d^k/ds^k f(x + s v) at s = 0, by every composition of forward and reverse mode"
    )
    inputs: dict[str, Value] = Field(description="name -> value (a number, a list or an expression of constants)")
    direction: dict[str, Value] = Field(description="v, per input: every input named, each of its input's shape")
    function: str = Field(
        description="an expression of the inputs in the case language; real-valued (in a complex "
        "case too: a real loss of complex inputs)"
    )
    order: int = Field(ge=1, le=MAX_ORDER, description="k, the order of the derivative (1 to 3)")
    expected: Expectation | None = Field(
        None,
        description="what d^k/ds^k f(x + s v) at s = 0 is (f's shape), with the algebra in its why; left out, "
        "the oracle and the compositions' agreement with each other judge",
    )

    complex_allowed: ClassVar[bool] = True

    def compile(self) -> None:
        if set(self.direction) != set(self.inputs):
            raise ExprAt(("direction",), expr.ExprError("the direction must name every input, and only those"))
        for name, value in self.inputs.items():
            self._compile(f"inputs.{name}", ("inputs", name), value, frozenset())
        for name, value in self.direction.items():
            self._compile(f"direction.{name}", ("direction", name), value, frozenset())
        names = frozenset(self.inputs)
        self._compile("function", ("function",), self.function, names)
        if self.expected is not None:
            if self.expected.value is not None:
                self._compile(f"expected.{DERIVATIVE}", ("expected", "value"), self.expected.value, names)
            for fw, specs in self.expected.conventions_for().items():
                for i, spec in enumerate(specs):
                    if spec.value is not None:
                        self._compile(
                            f"expected.{DERIVATIVE}.{fw}.{i}", ("expected", "conventions", fw), spec.value, names
                        )
        self._check_shapes()
        self._check_real()

    def _check_shapes(self) -> None:
        shapes = self._shapes("inputs", self.inputs)
        out = self._measure("function", ("function",), shapes)
        for name in self.direction:
            got = self._measure(f"direction.{name}", ("direction", name), {}).shape
            if got != shapes[name]:
                raise ExprAt(
                    ("direction", name),
                    expr.ExprError(
                        f"the direction has {expr.describe(got)}, the input {expr.describe(shapes[name])}: "
                        "they must be the same"
                    ),
                )
        if self.expected is not None:
            keys: list[tuple[str, Path]] = [(f"expected.{DERIVATIVE}", ("expected", "value"))]
            keys += [
                (f"expected.{DERIVATIVE}.{fw}.{i}", ("expected", "conventions", fw))
                for fw, specs in self.expected.conventions_for().items()
                for i, _ in enumerate(specs)
            ]
            for key, path in keys:
                if key in self._compiled:
                    got = self._measure(key, path, shapes).shape
                    if len(got) > len(out.shape) or _broadcasts(got, out.shape) != out.shape:
                        raise ExprAt(
                            path,
                            expr.ExprError(
                                f"{expr.describe(got)} where the function gives {expr.describe(out.shape)} "
                                "(an expected value must broadcast to the function's shape)"
                            ),
                        )
        largest = max(map(math.prod, shapes.values()), default=1)
        self._check_oracle(
            ("inputs",), ORACLE_EVALUATIONS, out.work + 2 * expr.NODE_WORK + math.prod(out.shape) + largest
        )

    def _check_real(self) -> None:
        """A complex-valued f is refused: the compositions differentiate a real function of the real s."""
        try:
            with np.errstate(all="ignore"):
                value = oracle.evaluate(self.expr("function"), values(self, "inputs", self.inputs))
        except Exception:  # whatever NumPy raises here (a singular matrix) is the reference's error, in its worker
            return
        if np.iscomplexobj(value):
            raise ExprAt(
                ("function",),
                expr.ExprError(
                    "a directional case differentiates a real function of the real s, and this function's value is "
                    "complex: take real(), imag() or abs() of it"
                ),
            )

    def output_shape(self) -> expr.Shape:
        return self._measure("function", ("function",), self._shapes("inputs", self.inputs)).shape

    def gradient_shapes(self, apis: tuple[str, ...] | None = None) -> dict[str, expr.Shape]:
        """Each composition's name, with f's shape: for a framework with these `apis`; None: for every built-in
        framework and an adapter with one unnamed API (the engine's references)."""
        every = [directional_apis(fw)[0] for fw in BUILTIN] + [Adapter.DIRECTIONAL_APIS]
        names = (
            composition_names(apis, self.order)
            if apis is not None
            else [n for group in every for n in composition_names(group, self.order)]
        )
        return dict.fromkeys(names, self.output_shape())


def shapes(case: DirectionalCase, adapter: Adapter) -> dict[str, expr.Shape]:
    """The gradients a job gives on `adapter`: its own APIs' compositions."""
    return case.gradient_shapes(type(adapter).DIRECTIONAL_APIS)


def compute(case: DirectionalCase, adapter: Adapter, dtype: str) -> Computed:
    function, ops = case.expr("function"), adapter.ops(dtype)
    fn = Program(f"{dtype} {function.tree!r}", lambda env: function.evaluate(env, ops))
    inputs = values(case, "inputs", case.inputs)
    out, grads = adapter.directional(fn, inputs, dtype, values(case, "direction", case.direction), case.order)
    return Computed(grads, primal=primal(adapter, fn, inputs, dtype, out, grads.values()))


def primal_reference(case: DirectionalCase, dtype: str, details: dict[str, Any] | None = None) -> np.ndarray:
    """The oracle's f at the inputs as the job's dtype rounds them (the direction moves them by 0 s)."""
    return oracle.evaluate(
        case.expr("function"), {k: as_handed(v, dtype) for k, v in values(case, "inputs", case.inputs).items()}
    )


def primal_rounding(case: DirectionalCase, dtype: str, details: dict[str, Any] | None = None) -> np.ndarray:
    """f's rounding scale where its terms cancel (`base.rounding_scale`)."""
    function = case.expr("function")
    return rounding_scale(
        lambda env: oracle.evaluate(function, env),
        {k: as_handed(v, dtype) for k, v in values(case, "inputs", case.inputs).items()},
    )


def reference(case: DirectionalCase, details: dict[str, Any] | None = None) -> dict[str, Reference]:
    """One reference for every composition: the same derivative, so they are siblings (`Reference.siblings`)."""
    inputs, direction = values(case, "inputs", case.inputs), values(case, "direction", case.direction)

    def f(env: dict[str, np.ndarray]) -> np.ndarray:
        return oracle.evaluate(case.expr("function"), env)

    along = oracle.derivative_along(f, inputs, direction, case.order) if case.oracle else None
    fd: dict[str, Oracle] = {DERIVATIVE: (None, None) if along is None else along}
    expected = {} if case.expected is None else {DERIVATIVE: case.expected}
    ref = references(case, {DERIVATIVE: case.output_shape()}, inputs, fd, expected)[DERIVATIVE]
    if along is not None:  # where the math cancels to zero: the rounding floor of the terms the compositions sum
        ref.cancelling = np.where(np.isfinite(along.terms), along.terms, 0.0)
        # each order's product rule doubles the terms, each summed over the inputs' elements moved
        ref.terms = 2**case.order * sum(int(np.count_nonzero(v)) for v in direction.values())
    ref.siblings = f"d^{case.order}/ds^{case.order} f(x + s v)"
    refs = dict.fromkeys(case.gradient_shapes(), ref)
    for fw in BUILTIN:  # a composition an API documents it cannot nest: its error is that documented limit
        _, limits = directional_apis(fw)
        for limit in limits:
            refused = Convention(status=Expect.ERROR, why=limit.why, link=limit.link)
            for modes in compositions(case.order):
                if limit.refuses(modes):
                    refs[composition_name(modes, limit.api)] = replace(
                        ref, conventions={**ref.conventions, fw: [ConventionRef(refused, None)]}
                    )
    return refs


KIND = Kind(
    DirectionalCase,
    compute,
    reference,
    shapes=shapes,
    primal_reference=primal_reference,
    primal_rounding=primal_rounding,
)
