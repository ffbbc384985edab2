"""The function kinds: a function in the expression language, differentiated.

vjp (with a cotangent), grad (a scalar output), jvp (forward mode along a
tangent, also rebuilt from reverse-mode VJPs), hvp (Hessian times a tangent).
They share one model, so they live in one module.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from dataclasses import replace
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import Field, PrivateAttr

from conformance import expr, oracle
from conformance.adapters import BUILTIN, ERROR, VALUE, Adapter, Gradient, Program, directional_apis, hvp_names
from conformance.kinds.base import (
    Computed,
    Kind,
    Oracle,
    Reference,
    as_handed,
    oracle_or_nothing,
    primal,
    references,
    rounding_scale,
    values,
    vjp_per_input,
)
from conformance.model import (
    SAMPLE_NAME,
    SAMPLE_NAME_LENGTH,
    CaseBase,
    DataInput,
    Divergence,
    Dtype,
    Expectation,
    ExprAt,
    Input,
    Path,
    Strict,
    Tolerance,
    Value,
)
from conformance.tolerance import CARRIER, complex_dtype, real_dtype
from conformance.vocabulary import Expect

JVP_OUTPUTS = ("jvp", "jvp_reverse")
#: the kinds that take `samples`
FUNCTION_KINDS = ("vjp", "grad", "jvp", "hvp")


class Sample(Strict):
    """One named point of a case with samples: the loader makes it a case of its own, `<id>[<name>]`.

    What it gives replaces the case's (inputs and tangent name by name, expected input by input, its own
    function where it calls it otherwise); its divergences are added to the case's; everything else is the case's.
    """

    name: str = Field(
        pattern=rf"^{SAMPLE_NAME}$",
        max_length=SAMPLE_NAME_LENGTH,
        description="unique in the case, identifier-like (lower case, digits, '_'): the case id becomes <id>[<name>]",
    )
    why: str | None = Field(None, description="what is special here, appended to the case's why")
    inputs: dict[str, Input] = Field(default_factory=dict, description="inputs that differ from the case's")
    function: str | None = Field(
        None,
        description="this sample's expression, where it calls the case's function "
        "otherwise (an axis, an option: OpInfo's per-sample arguments)",
    )
    cotangent: Value | None = Field(None, description="vjp: this sample's cotangent (its output's shape)")
    tangent: dict[str, Value] | None = Field(None, description="jvp and hvp: tangents that differ from the case's")
    expected: dict[str, Expectation] = Field(
        default_factory=dict, description="per input, this sample's expectation (replaces the case's)"
    )
    divergences: list[Divergence] = Field(default_factory=list, description="known bugs at this sample")
    dtypes: list[Dtype] | None = Field(None, description="the dtypes this sample runs in (default: the case's)")
    tolerance: dict[Dtype, Tolerance] | None = Field(None, description="this sample's tolerances, per dtype")
    oracle: bool | None = Field(None, description="false at a point where finite differences are meaningless")
    oracle_why: str | None = Field(None, description="why the oracle is off here")


class FunctionCase(CaseBase):
    """A function in the expression language, differentiated.

    vjp: with a cotangent; grad: a scalar output; jvp: forward mode along
    `tangent` (one per input), reported as `jvp` and, the same product built
    from reverse-mode VJPs, `jvp_reverse`; hvp: the Hessian of a scalar
    function times `tangent`, per input.
    """

    kind: Literal["vjp", "grad", "jvp", "hvp"] = Field(
        description="vjp: a VJP with a cotangent; grad: the gradient of a scalar function; jvp: forward mode along "
        "a tangent; hvp: a Hessian-vector product"
    )
    inputs: dict[str, Input] = Field(
        description="name -> value (a number, a list or an expression of constants): the function is "
        "differentiated with respect to each; or name -> {value, dtype: int32 | int64 | bool}: data "
        "(indices, a mask), handed over in that dtype and not differentiated"
    )
    function: str = Field(description="an expression of the inputs in the case language")
    cotangent: Value | None = Field(
        None, description="vjp only: the vector the Jacobian is multiplied by, of the function's output shape"
    )
    tangent: dict[str, Value] | None = Field(None, description="jvp and hvp: the direction, per input")
    expected: dict[str, Expectation] = Field(
        default_factory=dict,
        description="per input (for jvp: `jvp`), what its gradient should be; a gradient "
        "left out is judged by the oracle alone",
    )
    samples: list[Sample] = Field(
        default_factory=list,
        min_length=1,  # `samples: []` would make the case vanish: no case and no error
        description="named points, each judged on its own as the case <id>[<name>] (the loader expands them); the "
        "case's own inputs are then their defaults",
    )

    _data: dict[str, np.ndarray] = PrivateAttr(default_factory=dict)

    @property
    def variables(self) -> dict[str, Value]:
        """The floating-point inputs, which are differentiated."""
        return {name: v for name, v in self.inputs.items() if not isinstance(v, DataInput)}

    @property
    def data(self) -> dict[str, np.ndarray]:
        """The integer and boolean inputs, as NumPy arrays of their dtypes (after `compile`)."""
        return dict(self._data)

    def differentiated(self) -> list[str]:
        """The inputs whose gradients are asked for: the variables, and data marked `differentiate`."""
        return [name for name, v in self.inputs.items() if not isinstance(v, DataInput) or v.differentiate]

    complex_allowed: ClassVar[bool] = True
    #: whether the function's value is complex (known at load, from one evaluation in NumPy)
    _complex_output: bool = PrivateAttr(False)

    @property
    def complex_output(self) -> bool:
        return self._complex_output

    def compile(self) -> None:
        if self.samples:
            raise ExprAt(("samples",), expr.ExprError("a case with samples is expanded by the loader (expand_samples)"))
        if self.kind != "vjp" and self.cotangent is not None:
            raise ExprAt(("cotangent",), expr.ExprError(f"a {self.kind} case takes no cotangent"))
        if self.kind == "vjp" and self.cotangent is None:
            raise ExprAt(("kind",), expr.ExprError("a vjp case needs a cotangent"))
        if self.kind in ("jvp", "hvp"):
            if not self.tangent:
                raise ExprAt(("kind",), expr.ExprError(f"a {self.kind} case needs a tangent (one per input)"))
            if set(self.tangent) != set(self.variables):
                raise ExprAt(
                    ("tangent",), expr.ExprError("the tangent must name every floating-point input, and only those")
                )
        elif self.tangent is not None:
            raise ExprAt(("tangent",), expr.ExprError(f"a {self.kind} case takes no tangent"))
        for name, value in self.inputs.items():
            if isinstance(value, DataInput):
                self._compile_data(name, value)
            else:
                self._compile(f"inputs.{name}", ("inputs", name), value, frozenset())
        names = frozenset(self.inputs)
        self._compile("function", ("function",), self.function, names)
        if self.cotangent is not None:
            self._compile("cotangent", ("cotangent",), self.cotangent, frozenset())
        for name, value in (self.tangent or {}).items():
            self._compile(f"tangent.{name}", ("tangent", name), value, frozenset())
        wrt = frozenset(JVP_OUTPUTS[:1]) if self.kind == "jvp" else frozenset(self.differentiated())
        self._compile_expected(self.expected, names, wrt)
        self._check_shapes()
        self._check_complex()

    def _check_complex(self) -> None:
        """Whether the function's value is complex (one evaluation in NumPy): a grad case differentiates a real
        loss; a vjp's cotangent is complex only where the function's value is (the loss is then
        Re(sum(conj(cotangent) * f))); hvp is for real dtypes."""
        if self.kind == "hvp":
            if self.complex:
                raise ExprAt(("dtypes",), expr.ExprError("an hvp case runs in real dtypes only"))
            return
        try:
            with np.errstate(all="ignore"):
                value = oracle.evaluate(self.expr("function"), {**self.data, **values(self, "inputs", self.variables)})
        except Exception:  # whatever NumPy raises here (a singular matrix) is the reference's error, in its worker
            return
        self._complex_output = bool(np.iscomplexobj(value))
        if self.kind == "grad" and self._complex_output:
            raise ExprAt(
                ("function",),
                expr.ExprError(
                    "a grad case differentiates a real loss, and this function's value is complex: take real(), imag() "
                    "or abs() of it (or use kind vjp, whose loss is Re(sum(conj(cotangent) * f)))"
                ),
            )
        if self.cotangent is not None and self.expr("cotangent").complex and not self._complex_output:
            raise ExprAt(
                ("cotangent",),
                expr.ExprError(
                    "a complex cotangent for a function whose value is real: the cotangent has the output's dtype"
                ),
            )

    def _compile_data(self, name: str, value: DataInput) -> None:
        """A data input's array; one asked to be differentiated needs a status to judge its answer by."""
        try:
            self._data[name] = value.array()
        except ValueError as err:
            raise ExprAt(("inputs", name, "value"), expr.ExprError(str(err))) from None
        if value.differentiate:
            if self.kind not in ("vjp", "grad"):
                raise ExprAt(
                    ("inputs", name, "differentiate"),
                    expr.ExprError(f"only a vjp or grad case can ask for the gradient of {value.dtype} data"),
                )
            spec = self.expected.get(name)
            if spec is None or spec.status == Expect.VALUE:
                raise ExprAt(
                    ("inputs", name, "differentiate"),
                    expr.ExprError(
                        f"{value.dtype} data asked to be differentiated needs an expected status (disconnected, "
                        "error or zero): there is no derivative with respect to it, nor an oracle"
                    ),
                )

    def _input_shapes(self) -> dict[str, expr.Shape]:
        return {**self._shapes("inputs", self.variables), **{n: a.shape for n, a in self._data.items()}}

    def gradient_shapes(self, apis: tuple[str, ...] | None = None) -> dict[str, expr.Shape]:
        """Each differentiated input's shape; for jvp, the output's, of both products; for hvp, its input's per
        composition (`hvp_names`): for a framework with these `apis`, None: for every built-in framework and an
        adapter with one unnamed API (the engine's references)."""
        shapes = self._input_shapes()
        if self.kind == "jvp":
            return dict.fromkeys(JVP_OUTPUTS, self._measure("function", ("function",), shapes).shape)
        if self.kind == "hvp":
            return {name: shapes[of] for name, of in _hvp_inputs(self, apis).items()}
        return {name: shapes[name] for name in self.differentiated()}

    def _check_shapes(self) -> None:
        """Shapes the frameworks and the oracle would refuse, found at load; and the oracle's cost bounded."""
        shapes = self._input_shapes()
        out = self._measure("function", ("function",), shapes)
        if self.kind in ("grad", "hvp") and out.shape != ():
            raise ExprAt(
                ("function",),
                expr.ExprError(
                    f"a {self.kind} case's function gives a scalar, this one {expr.describe(out.shape)}"
                    + (" (for a vector output, use kind vjp with a cotangent)" if self.kind == "grad" else "")
                ),
            )
        if self.cotangent is not None:
            got = self._measure("cotangent", ("cotangent",), {}).shape
            if got != out.shape:
                raise ExprAt(
                    ("cotangent",),
                    expr.ExprError(
                        f"the cotangent has {expr.describe(got)}, the function's output {expr.describe(out.shape)}: "
                        "they must be the same"
                    ),
                )
        for name in self.tangent or {}:
            got = self._measure(f"tangent.{name}", ("tangent", name), {}).shape
            if got != shapes[name]:
                raise ExprAt(
                    ("tangent", name),
                    expr.ExprError(
                        f"the tangent has {expr.describe(got)}, the input {expr.describe(shapes[name])}: "
                        "they must be the same"
                    ),
                )
        self._check_expected(self.expected, {"jvp": out.shape} if self.kind == "jvp" else shapes, shapes)
        elements = sum(math.prod(shapes[name]) for name in self.variables)
        evaluations = {"jvp": 7, "hvp": 12 * elements}.get(self.kind, 6 * elements * (2 if self.complex else 1) + 1)
        largest = max(map(math.prod, shapes.values()), default=1)
        self._check_oracle(("inputs",), evaluations, out.work + 2 * expr.NODE_WORK + math.prod(out.shape) + largest)


def expand_samples(item: dict[str, Any]) -> list[tuple[str, dict[str, Any], Callable[[Path], Path]]]:
    """A validated case's `samples` as one case each: (its id, its fields, where in the file a path of it is).

    `item` has passed validation as a FunctionCase, so its samples are mappings with unique fields; what a
    sample gives is reported at the sample's line, the rest at the case's.
    """
    base = {key: value for key, value in item.items() if key != "samples"}
    out: list[tuple[str, dict[str, Any], Callable[[Path], Path]]] = []
    for i, sample in enumerate(item["samples"]):
        case = dict(base)
        for key in ("inputs", "tangent", "expected"):
            if sample.get(key):
                case[key] = {**(base.get(key) or {}), **sample[key]}
        for key in ("function", "cotangent", "dtypes", "tolerance", "oracle", "oracle_why"):
            if sample.get(key) is not None:
                case[key] = sample[key]
        case["divergences"] = [*base.get("divergences", []), *sample.get("divergences", [])]
        case["title"] = f"{base['title']} [{sample['name']}]"
        case["why"] = f"{base['why']} {sample['why']}" if sample.get("why") else base["why"]
        out.append((f"{base['id']}[{sample['name']}]", case, _in_sample(sample, i)))
    return out


def _in_sample(sample: dict[str, Any], i: int) -> Callable[[Path], Path]:
    """Where a path of the expanded case is written: in sample `i` where the sample gives it, else in the case."""

    def where(path: Path) -> Path:
        key = path[0] if path else None
        named = key in ("inputs", "tangent", "expected")
        own = key in sample and (not named or (len(path) > 1 and path[1] in sample[key]))
        return ("samples", i, *path) if own else path

    return where


def compute(case: FunctionCase, adapter: Adapter, dtype: str) -> Computed:
    inputs = values(case, "inputs", case.variables)
    data = case.data
    inputs.update({name: data.pop(name) for name in case.differentiated() if name in data})
    held = {name: adapter.array(value, value.dtype.name) for name, value in data.items()}
    ops, function = adapter.ops(dtype), case.expr("function")
    # the tree and the data held are the whole program
    fn = Program(f"{dtype} {function.tree!r} {_fingerprint(data)}", lambda env: function.evaluate({**held, **env}, ops))
    if case.kind == "jvp":
        return _compute_jvp(case, adapter, dtype, fn, inputs)
    if case.kind == "hvp":
        out, grads = adapter.hvp(fn, inputs, dtype, values(case, "tangent", case.tangent))
    else:
        out, grads = vjp_per_input(adapter, fn, inputs, dtype, _cotangent(case))
    return Computed(grads, primal=primal(adapter, fn, inputs, dtype, out, grads.values()))


def shapes(case: FunctionCase, adapter: Adapter) -> dict[str, expr.Shape]:
    """The gradients a job gives on `adapter`: an hvp job's per composition of its own APIs."""
    return case.gradient_shapes(type(adapter).DIRECTIONAL_APIS)


def primal_reference(case: FunctionCase, dtype: str, details: dict[str, Any] | None = None) -> np.ndarray:
    """The oracle's f at the inputs as the job's dtype rounds them (its data as it is)."""
    inputs = values(case, "inputs", case.variables)
    return oracle.evaluate(case.expr("function"), {**case.data, **{k: as_handed(v, dtype) for k, v in inputs.items()}})


def primal_rounding(case: FunctionCase, dtype: str, details: dict[str, Any] | None = None) -> np.ndarray:
    """f's rounding scale where its terms cancel (`base.rounding_scale`), its data held as it is."""
    function, data = case.expr("function"), case.data
    return rounding_scale(
        lambda env: oracle.evaluate(function, {**data, **env}),
        {k: as_handed(v, dtype) for k, v in values(case, "inputs", case.variables).items()},
    )


def _cotangent(case: FunctionCase) -> np.ndarray | None:
    """The case's cotangent in the output's dtype kind: complex where the function's value is."""
    if case.cotangent is None:
        return None
    cotangent = oracle.evaluate(case.expr("cotangent"))
    return cotangent.astype(np.complex128) if case.complex_output else cotangent


def reference(case: FunctionCase, details: dict[str, Any] | None = None) -> dict[str, Reference]:
    inputs, data = values(case, "inputs", case.variables), case.data
    size = expr.normwise_size(case.expr("function"), {n: np.shape(v) for n, v in {**data, **inputs}.items()})
    return {name: replace(ref, normwise_size=size) for name, ref in _references(case, inputs, data, size).items()}


def _references(
    case: FunctionCase, inputs: dict[str, np.ndarray], data: dict[str, np.ndarray], normwise_size: int
) -> dict[str, Reference]:
    def function(env):
        return oracle.evaluate(case.expr("function"), {**data, **env})

    if case.kind == "jvp":
        tangent = values(case, "tangent", case.tangent)
        fd = oracle_or_nothing(case, lambda: {"jvp": oracle.directional(function, inputs, tangent)}, {"jvp": ()})
        refs = references(case, {"jvp": np.shape(function(inputs))}, inputs, fd)
        refs["jvp"].siblings = "J t"  # forward mode and the same product from reverse mode: they must agree
        return {name: refs["jvp"] for name in JVP_OUTPUTS}
    if case.kind == "hvp":
        tangent = values(case, "tangent", case.tangent)
        fd = oracle_or_nothing(
            case, lambda: oracle.hessian_vector(lambda env: np.sum(function(env)), inputs, tangent), inputs
        )
        per_input = references(case, inputs, inputs, fd)
        # every composition of an input's H v is one quantity: siblings, and what a mark naming the input covers
        return {name: replace(per_input[of], siblings=f"H v for {of}", of=of) for name, of in _hvp_inputs(case).items()}
    found = oracle.differences(weighted_terms(case), inputs, normwise_size) if case.oracle else {}
    given: dict[str, Oracle] = {name: found[name] if found else (None, None) for name in inputs}
    asked = {name: data[name] for name in case.differentiated() if name in data}
    given.update({name: (None, None) for name in asked})  # no finite difference in an integer: the status judges
    refs = references(case, {**inputs, **asked}, {**data, **inputs}, given)
    for name, differences in found.items():  # the terms the gradient sums: where they cancel, its rounding floor
        measured = np.isfinite(differences.terms)  # no floor where the differences are not finite (a pole, 1e-300)
        refs[name].cancelling = np.where(measured, differences.terms, 0.0)
        refs[name].terms = differences.count
    return refs


def _hvp_inputs(case: FunctionCase, apis: tuple[str, ...] | None = None) -> dict[str, str]:
    """Each gradient name of an hvp job, with the input whose H v it is: on a framework with these `apis`; None: on
    any (see `FunctionCase.gradient_shapes`)."""
    every = [apis] if apis is not None else [directional_apis(fw)[0] for fw in BUILTIN] + [Adapter.DIRECTIONAL_APIS]
    return {name: of for apis in every for name, of in hvp_names(apis, case.differentiated()).items()}


def _fingerprint(data: dict[str, np.ndarray]) -> str:
    """What identifies the data a program holds: a program found again by its key must hold the same data."""
    digest = hashlib.sha256()
    for name, value in sorted(data.items()):
        digest.update(f"{name} {value.dtype} {value.shape} ".encode() + value.tobytes())
    return digest.hexdigest()[:16] if data else ""


def weighted_terms(case: FunctionCase) -> Callable[[dict[str, np.ndarray]], np.ndarray]:
    """The terms of the real loss whose gradient a vjp or grad case asks for, Re(sum(conj(v) * f)): the function's
    elements times the conjugated cotangent, their real parts. The oracle differences the terms before summing them
    (oracle.finite_differences), so an element a step leaves alone costs the bound nothing."""
    cotangent = _cotangent(case)
    weights = np.float64(1.0) if cotangent is None else np.conj(cotangent)
    function, data = case.expr("function"), case.data

    def f(env: dict[str, np.ndarray]) -> np.ndarray:
        return np.real(weights * oracle.evaluate(function, {**data, **env}))

    return f


def _compute_jvp(case: FunctionCase, adapter: Adapter, dtype: str, fn, inputs: dict[str, np.ndarray]) -> Computed:
    """Forward mode J t, and the same product from reverse mode: row k of J is the VJP with e_k.

    In complex dtypes the VJP with e_k is the gradient G of Re(w_k) (and, for a complex output, with i e_k that
    of Im(w_k)); its product with t is the real inner product Re(sum(conj(G) t)).
    """
    tangent = values(case, "tangent", case.tangent)
    out, forward = adapter.jvp(fn, inputs, dtype, tangent)
    under_ad = primal(adapter, fn, inputs, dtype, out, [forward])  # forward mode's: the reverse rows' are vjp's
    shape, complex_out = np.shape(out), bool(np.iscomplexobj(out))
    parts = (1.0, 1j) if complex_out else (1.0,)
    rows = []
    for k in np.ndindex(shape):
        row: complex = 0.0
        for part in parts:
            basis = None
            if shape or complex_out:
                basis = np.zeros(shape, complex if complex_out else float)
                basis[k] = part
            _, grads = adapter.vjp(fn, inputs, dtype, basis)
            failed = [g for g in grads.values() if g.status == ERROR]
            if failed:
                return Computed(
                    {"jvp": forward, "jvp_reverse": Gradient(ERROR, error=failed[0].error)}, primal=under_ad
                )
            row += part * sum(
                (
                    float(np.real(np.sum(np.conj(np.asarray(g.value)) * tangent[name])))
                    for name, g in grads.items()
                    if g.status == VALUE
                ),
                0.0,
            )
        rows.append(row)
    typed = np.asarray(rows, np.dtype(complex_dtype(dtype) if complex_out else CARRIER.get(dtype, real_dtype(dtype))))
    typed = typed.reshape(shape)
    return Computed(
        {"jvp": forward, "jvp_reverse": Gradient(VALUE, typed, representation="from VJPs")}, primal=under_ad
    )


KIND = Kind(
    FunctionCase, compute, reference, primal_reference=primal_reference, primal_rounding=primal_rounding, shapes=shapes
)
