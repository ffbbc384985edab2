"""The case model: what a case file may say, checked by pydantic (unknown keys are errors).

Values in a case (inputs, parameters, expected gradients) are numbers, nested
lists of numbers, or expressions in the case language (see `expr`). They are
compiled by `Case.compile()`, which the loader calls after validation so that
an expression error can be reported with its file and line.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Annotated, Any, ClassVar, Literal, get_args

import numpy as np
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from pydantic import AfterValidator, BaseModel, ConfigDict, Discriminator, Field, PrivateAttr, Tag, model_validator

from conformance import expr
from conformance.expr import Shape, Size
from conformance.tolerance import EPS, is_complex, real_dtype
from conformance.vocabulary import Expect, Regime

Dtype = Literal["float32", "float64", "complex64", "complex128", "float16", "bfloat16"]
#: the dtypes a case runs in unless it says `dtypes:`
DTYPES: tuple[Dtype, ...] = ("float32", "float64")
#: every dtype a case may name (`--dtype` takes these): complex64 and complex128 are complex of float32 and float64;
#: float16 and bfloat16 are half precision
ALL_DTYPES: tuple[Dtype, ...] = get_args(Dtype)
Value = float | str | list[Any]
#: the dtypes of data inputs: indices, masks, counts (never differentiated unless a case asks what happens then)
DataDtype = Literal["int32", "int64", "bool"]
Path = tuple[str | int, ...]

#: the finite-difference oracle's budget for one case, in element operations (see expr.NODE_WORK): 1 to 2 s of
#: NumPy here. The library's dearest case needs 5e6; 10,000 scalar inputs summed need 4e11.
MAX_ORACLE_WORK = 1_000_000_000


class ExprAt(expr.ExprError):
    """An expression error with the path of the value in the case file."""

    def __init__(self, path: Path, error: expr.ExprError):
        super().__init__(str(error), error.line)
        self.path = path


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Tolerance(Strict):
    """|got - want| <= rtol * |want| + atol, elementwise; without a stated atol, a floor derived per element
    (conformance/tolerance.py)."""

    rtol: float = Field(ge=0, description="relative tolerance, times |want|")
    atol: float | None = Field(
        None,
        ge=0,
        description="absolute tolerance, honoured as stated; unstated: a few "
        "ulps of the expectation in the job's dtype",
    )

    def __str__(self) -> str:
        return f"rtol {self.rtol:g}, " + (f"atol {self.atol:g}" if self.atol is not None else "a floor of a few ulps")


#: per real dtype; a complex dtype takes its component's (complex64: float32's), as the tolerance rule measures
#: the modulus |got - want| (see conformance/tolerance.py)
DEFAULT_TOLERANCE = {
    "float32": Tolerance(rtol=1e-5),
    "float64": Tolerance(rtol=1e-10),
    # half precision, from its eps: a gradient a few operations deep rounds a few times, each by eps / 2 of
    # its size, and a framework may compute in float32 and round once (JAX on a CPU) or round every operation
    **{dtype: Tolerance(rtol=8 * EPS[dtype]) for dtype in ("float16", "bfloat16")},
}


def _specifier(text: str) -> str:
    """A PEP 440 version range, checked at load so that a typo is an error with its file and line."""
    try:
        SpecifierSet(text)
    except InvalidSpecifier:
        raise ValueError(f"not a PEP 440 version range: {text!r} (e.g. '>=2.1,<2.3'; empty for all versions)") from None
    return text


Versions = Annotated[
    str,
    AfterValidator(_specifier),
    Field(description="PEP 440 specifier of the versions this holds for; empty means all"),
]
Link = Annotated[str, Field(pattern=r"^https?://\S+$", description="public URL of the upstream doc, source or issue")]

#: a case file's id and a sample's name, lower case so that an id is safe in a file name, a URL and HTML
CASE_ID, SAMPLE_NAME = r"[a-z0-9][a-z0-9_.-]*", r"[a-z][a-z0-9_]*"
#: their caps, far above the library's longest id (34 characters) and so that a sample's `<id>[<name>]` stays
#: within 128, which leaves a page's file name (an id with a suffix) well inside the 255 bytes file systems allow
CASE_ID_LENGTH, SAMPLE_NAME_LENGTH = 96, 30
#: a case in a report: a case file's id, or a sample's `<id>[<name>]` (see kinds.function.expand_samples)
CaseId = Annotated[
    str, Field(pattern=rf"^{CASE_ID}(\[{SAMPLE_NAME}\])?$", max_length=CASE_ID_LENGTH + SAMPLE_NAME_LENGTH + 2)
]
#: a framework's name (an adapter's: torch, tensorflow, jax, or another package's), and what a report calls it in a
#: regime: its name in its default regime, else `name[regime]` (adapters.Regimes.label)
FRAMEWORK, FRAMEWORK_LENGTH = r"[A-Za-z][A-Za-z0-9_.-]*", 64
Framework = Annotated[str, Field(pattern=rf"^{FRAMEWORK}$", max_length=FRAMEWORK_LENGTH)]
Label = Annotated[
    str,
    Field(
        pattern=rf"^{FRAMEWORK}(\[({'|'.join(Regime)})\])?$", max_length=FRAMEWORK_LENGTH + max(map(len, Regime)) + 2
    ),
]


class Convention(Strict):
    """One framework's documented choice where it differs from the preferred value.

    A value or status convention (a subgradient at a kink, None for zero) is judged
    against its own value; a tolerance-only convention (a documented approximation)
    is judged against the case's math and the oracle with its own, looser tolerance.
    """

    value: Value | None = Field(None, description="the framework's value, where it differs from the math's")
    status: Expect | None = Field(None, description="the framework's status, where it differs from the math's")
    tolerance: dict[Dtype, Tolerance] = Field(
        default_factory=dict, description="a documented approximation: the framework's own tolerance, per dtype"
    )
    dtypes: list[Dtype] = Field(
        default_factory=list, description="the dtypes it holds in; default: all (or the tolerance's dtypes)"
    )
    versions: Versions = ""
    why: str = Field(description="the framework's documented reason")
    link: Link

    @model_validator(mode="after")
    def _says_something(self) -> Convention:
        if self.value is None and self.status is None and not self.tolerance:
            raise ValueError("a convention needs a value, a status or a tolerance")
        return self

    def applies(self, dtype: str) -> bool:
        dtypes = self.dtypes or list(self.tolerance)
        return not dtypes or dtype in dtypes or real_dtype(dtype) in dtypes


class Expectation(Strict):
    value: Value | None = Field(None, description="the expected gradient: a number, a list or an expression")
    status: Expect = Field(
        Expect.VALUE,
        description="value, disconnected (None / symbolic zero), error, "
        "or zero (0.0, None and a symbolic zero all match)",
    )
    why: str = Field(description="the algebra behind the value; printed in the docs")
    conventions: dict[str, Convention | list[Convention]] = Field(
        default_factory=dict,
        description="per framework, its documented choice where it differs from the math "
        "(verdict `convention`); a list for several version ranges, the first that matches applies",
    )

    @model_validator(mode="after")
    def _needs_value(self) -> Expectation:
        if self.status == Expect.VALUE and self.value is None and not self.conventions:
            raise ValueError(
                "an expectation with status 'value' needs a value (or, to let the oracle judge, conventions to record)"
            )
        if self.status != Expect.VALUE and self.value is not None:
            raise ValueError(f"an expectation with status {self.status.value!r} takes no value")
        return self

    def conventions_for(self) -> dict[str, list[Convention]]:
        """Per framework, its conventions in order (the first whose versions and dtype match applies)."""
        return {fw: list(spec) if isinstance(spec, list) else [spec] for fw, spec in self.conventions.items()}


class Divergence(Strict):
    """A known bug of one framework: its failures are xfail, with the link."""

    framework: str = Field(description="the framework with the bug: torch, tensorflow or jax (or another adapter)")
    versions: Versions = ""
    gradients: list[str] = Field(default_factory=list, description="the gradients it affects; default: all")
    dtypes: list[Dtype] = Field(
        default_factory=list,
        description="the dtypes it shows in; default: all (a kernel of one precision, a float32 rounding)",
    )
    regimes: list[Regime] = Field(
        default_factory=list,
        description="the execution regimes it shows in; default: all (an eager kernel that a compiled program avoids)",
    )
    issue: Link
    why: str = Field(description="what goes wrong, in a sentence")

    def covers(self, gradient: str, of: str | None = None) -> bool:
        """Whether the mark covers `gradient`; one that names an input covers each composition that computes its
        gradient (`of`: an hvp job's `x by fwd-over-rev`)."""
        return not self.gradients or gradient in self.gradients or of in self.gradients


class DataInput(Strict):
    """An input that is data, not a variable: indices, a mask, a count.

    Handed to every framework (and the oracle) in its own integer or boolean dtype and not differentiated;
    `differentiate: true` asks each framework for its gradient anyway, so that its answer (an error, None,
    JAX's float0) is recorded as a result. Checked at load by `array()`.
    """

    value: int | bool | list[Any] = Field(
        description="an integer, true/false, or nested lists of them (no expressions: data is written out)"
    )
    dtype: DataDtype = Field(description="int32, int64 or bool")
    differentiate: bool = Field(
        False,
        description="ask each framework for this input's gradient anyway (its "
        "answer is the result: an error, None or JAX's float0)",
    )

    def array(self) -> np.ndarray:
        """The value as a NumPy array of `dtype`; ValueError naming what is wrong (ragged, a float, out of range)."""

        def leaves(v: Any) -> list[Any]:
            return [x for item in v for x in leaves(item)] if isinstance(v, list) else [v]

        wanted = bool if self.dtype == "bool" else int
        bad = next((v for v in leaves(self.value) if type(v) is not wanted), None)
        if bad is not None:
            what = "true or false" if self.dtype == "bool" else "an integer"
            raise ValueError(f"{self.dtype} data holds {bad!r}, not {what}")
        try:
            out = np.array(self.value, dtype=object)
        except ValueError:  # NumPy refuses some ragged nestings outright
            out = np.array(None)
        if out.dtype != object or (out.ndim and any(isinstance(v, list) for v in out.flat)) or out.size == 0:
            raise ValueError(f"{self.dtype} data must be rectangular and not empty: nested lists of equal lengths")
        if out.size > expr.MAX_ELEMENTS:
            raise ValueError(f"a value of {out.size:,} elements is larger than the limit of {expr.MAX_ELEMENTS:,}")
        if self.dtype != "bool":
            info = np.iinfo(self.dtype)
            outside = next((v for v in out.flat if not info.min <= v <= info.max), None)
            if outside is not None:
                raise ValueError(f"{outside} is out of range for {self.dtype} ({info.min} to {info.max})")
        return out.astype(self.dtype)


def _input_kind(value: Any) -> str:
    """A mapping is a data input; anything else is a value."""
    return "DataInput" if isinstance(value, dict | DataInput) else "Value"


#: an input: a differentiable value, or data of an integer or boolean dtype
Input = Annotated[Annotated[Value, Tag("Value")] | Annotated[DataInput, Tag("DataInput")], Discriminator(_input_kind)]


class CaseBase(Strict):
    id: str = Field(
        pattern=rf"^{CASE_ID}$",
        max_length=CASE_ID_LENGTH,
        description="unique across the run: lower case, digits, '_', '.' and '-'; names the case "
        "in reports, test ids and docs pages",
    )
    title: str = Field(description="one line: what is differentiated, and where")
    why: str = Field(description="one or two sentences, with the algebra, printed in the docs")
    tags: list[str] = Field(default_factory=list, description="free labels, for filters in the docs and pytest -m")
    dtypes: list[Dtype] = Field(
        default_factory=lambda: list(DTYPES),
        description="the dtypes it runs in: real (float32, float64) or complex (complex64, "
        "complex128), not both: the references differ between the two",
    )
    tolerance: dict[Dtype, Tolerance] = Field(
        default_factory=dict,
        description="per dtype, instead of the default (rtol 1e-5 in float32, 1e-10 "
        "in float64, with no atol: a floor derived per element; a complex dtype "
        "takes its component's)",
    )
    divergences: list[Divergence] = Field(
        default_factory=list, description="known bugs: the failures they cover are xfail"
    )
    oracle: bool = Field(
        True,
        description="false where finite differences are meaningless (a kink, "
        "a singular point); give the reason in oracle_why",
    )
    oracle_why: str | None = Field(None, description="why the oracle is off (required with oracle: false)")

    _compiled: dict[str, expr.Expr] = PrivateAttr(default_factory=dict)
    #: whether the kind runs in complex dtypes (the function kinds)
    complex_allowed: ClassVar[bool] = False
    #: names (besides the case's own) that expected-value expressions may use
    expected_extra_names: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="after")
    def _oracle_reason(self) -> CaseBase:
        if not self.oracle and not self.oracle_why:
            raise ValueError("a case with oracle: false needs an oracle_why (why finite differences do not apply)")
        if len({is_complex(d) for d in self.dtypes}) > 1:
            raise ValueError(
                f"dtypes {self.dtypes} mix real and complex: a case is one or the other (its inputs, "
                "and so its references, are real or complex); write two cases"
            )
        if self.complex and not self.complex_allowed:
            raise ValueError("complex dtypes are for the function kinds (vjp, grad, jvp)")
        return self

    @property
    def complex(self) -> bool:
        """Whether the case runs in complex dtypes: its inputs are complex, its oracle works in complex128."""
        return any(map(is_complex, self.dtypes))

    def tolerance_for(self, dtype: str) -> Tolerance:
        """The case's tolerance for `dtype` (or for its real component), else the component's default."""
        given = self.tolerance.get(dtype) or self.tolerance.get(real_dtype(dtype))  # type: ignore[call-overload]
        return given or DEFAULT_TOLERANCE[real_dtype(dtype)]

    def expr(self, key: str) -> expr.Expr:
        return self._compiled[key]

    def gradient_shapes(self) -> dict[str, Shape] | None:
        """The gradients a job of this case gives, by name, with their shapes (each its input's): an adapter's
        answer is held to them. None where the adapter names its own (a behaviour's scenario)."""
        return None

    def exercised(self) -> frozenset[str]:
        """The functions whose derivatives the case checks: those its function or model calls (not its math)."""
        return frozenset().union(
            *(e.calls() for key, e in self._compiled.items() if key == "function" or key.startswith("model."))
        )

    def _compile(self, key: str, path: Path, value: Value, names: frozenset[str]) -> None:
        try:
            self._compiled[key] = expr.parse(_as_source(value), names)
        except expr.ExprError as err:
            raise ExprAt(path, err) from None
        # a real case's function may compute complex values (fft(x), x * 1j) and its cotangent match them; its
        # inputs, tangents and gradients are real
        if self._compiled[key].complex and not self.complex and key not in ("function", "cotangent"):
            raise ExprAt(
                path,
                expr.ExprError(
                    "a complex number (an imaginary literal such as 1j) in a case that runs in "
                    f"{', '.join(self.dtypes)}: give it dtypes: [complex64, complex128]"
                ),
            )

    def _measure(self, key: str, path: Path, shapes: Mapping[str, Shape]) -> Size:
        """The shape and cost of a compiled value, or the error where NumPy would raise (see `expr.measure`)."""
        try:
            return expr.measure(self._compiled[key], shapes)
        except expr.ExprError as err:
            raise ExprAt(path, err) from None

    def _shapes(self, prefix: str, names: Mapping[str, Any]) -> dict[str, Shape]:
        """The shapes of the compiled values `prefix.name` (inputs, params: they use no names)."""
        return {name: self._measure(f"{prefix}.{name}", (prefix, name), {}).shape for name in names}

    def _check_expected(
        self, expected: dict[str, Expectation], gradients: Mapping[str, Shape], shapes: Mapping[str, Shape]
    ) -> None:
        """Every expected value and convention value fits its gradient's shape (broadcasts to it) where known."""
        for name, expectation in expected.items():
            values: list[tuple[str, Path, Value | None]] = [
                (f"expected.{name}", ("expected", name, "value"), expectation.value)
            ]
            values += [
                (f"expected.{name}.{fw}.{i}", ("expected", name, "conventions", fw), spec.value)
                for fw, specs in expectation.conventions_for().items()
                for i, spec in enumerate(specs)
            ]
            for key, path, value in values:
                if value is None:
                    continue
                got, want = self._measure(key, path, shapes).shape, gradients.get(name)
                if want is not None and (len(got) > len(want) or _broadcasts(got, want) != want):
                    raise ExprAt(
                        path,
                        expr.ExprError(
                            f"{expr.describe(got)} where the gradient of {name!r} has {expr.describe(want)} "
                            "(an expected value must broadcast to its gradient's shape)"
                        ),
                    )

    def _check_oracle(self, path: Path, evaluations: int, work: int) -> None:
        """Refuse a case whose finite differences would cost more than MAX_ORACLE_WORK (unless the oracle is off)."""
        total = evaluations * work
        if self.oracle and total > MAX_ORACLE_WORK:
            raise ExprAt(
                path,
                expr.ExprError(
                    f"the finite-difference oracle would evaluate this case {evaluations:,} times at about {work:.2g} "
                    f"element operations each ({total:.2g} in all), above the limit of {MAX_ORACLE_WORK:.0e} per case: "
                    "use fewer or smaller inputs, or set oracle: false with an oracle_why"
                ),
            )

    def _compile_expected(self, expected: dict[str, Expectation], names: frozenset[str], wrt: frozenset[str]) -> None:
        for name, expectation in expected.items():
            if name not in wrt:
                raise ExprAt(
                    ("expected", name),
                    expr.ExprError(
                        f"expected value for {name!r}, which is not differentiated (inputs: {', '.join(sorted(wrt))})"
                    ),
                )
            if expectation.value is not None:
                self._compile(
                    f"expected.{name}",
                    ("expected", name, "value"),
                    expectation.value,
                    names | self.expected_extra_names,
                )
            for fw, specs in expectation.conventions_for().items():
                for i, spec in enumerate(specs):
                    if spec.value is not None:
                        self._compile(
                            f"expected.{name}.{fw}.{i}",
                            ("expected", name, "conventions", fw),
                            spec.value,
                            names | self.expected_extra_names,
                        )


def compile_family_params(
    case: CaseBase,
    name: str,
    params: dict[str, Value],
    table: dict[str, Any],
    unknown: str,
    accepted: Callable[[Any], tuple[str, ...]],
) -> Any:
    """The family `name` from `table`, after checking and compiling the `params` it takes."""
    family = table.get(name)
    if family is None:
        raise ExprAt(("family",), expr.ExprError(f"{unknown} {name!r} (known: {', '.join(sorted(table))})"))
    if set(params) != set(accepted(family)):
        raise ExprAt(
            ("params",), expr.ExprError(f"{name} takes params {', '.join(accepted(family))}, got {', '.join(params)}")
        )
    for name, value in params.items():
        case._compile(f"params.{name}", ("params", name), value, frozenset())
    return family


def _broadcasts(got: Shape, want: Shape) -> Shape | None:
    """The broadcast of two shapes, or None where they do not broadcast."""
    try:
        return expr.broadcast(got, want)
    except expr.ExprError:
        return None


def check_size(path: Path, what: str, elements: int) -> None:
    """Refuse data (samples, noise) larger than expr.MAX_ELEMENTS, as an expression's values are."""
    if elements > expr.MAX_ELEMENTS:
        raise ExprAt(
            path,
            expr.ExprError(
                f"{what} make {elements:,} elements, above the limit of {expr.MAX_ELEMENTS:,} for one value"
            ),
        )


def _as_source(value: Value) -> str:
    """Numbers and nested lists become expression text; strings already are."""
    if isinstance(value, list):
        return "[" + ", ".join(_as_source(v) for v in value) + "]"
    return repr(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else str(value)
