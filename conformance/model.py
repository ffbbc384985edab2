"""The case model: what a case file may say, checked by pydantic (unknown keys are errors).

Values in a case (inputs, parameters, expected gradients) are numbers, nested
lists of numbers, or expressions in the case language (see `expr`). They are
compiled by `Case.compile()`, which the loader calls after validation so that
an expression error can be reported with its file and line.
"""
from __future__ import annotations

from typing import Annotated, Any, Callable, ClassVar, Literal, Union

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PrivateAttr, model_validator

from conformance import expr
from conformance.families import FAMILIES, IMPLICIT
from conformance.vocabulary import Expect

DTYPES = ("float32", "float64")
Dtype = Literal["float32", "float64"]
Value = Union[float, str, list[Any]]
Path = tuple[str | int, ...]


class ExprAt(expr.ExprError):
    """An expression error with the path of the value in the case file."""

    def __init__(self, path: Path, error: expr.ExprError):
        super().__init__(str(error), error.line)
        self.path = path


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Tolerance(Strict):
    """|got - want| <= atol + rtol * |want|, elementwise."""

    rtol: float = Field(ge=0)
    atol: float = Field(ge=0)


DEFAULT_TOLERANCE = {
    "float32": Tolerance(rtol=1e-5, atol=1e-6),
    "float64": Tolerance(rtol=1e-10, atol=1e-12),
}


def _specifier(text: str) -> str:
    """A PEP 440 version range, checked at load so that a typo is an error with its file and line."""
    try:
        SpecifierSet(text)
    except InvalidSpecifier:
        raise ValueError(f"not a PEP 440 version range: {text!r} (e.g. '>=2.1,<2.3'; empty for all versions)")
    return text


Versions = Annotated[str, AfterValidator(_specifier),
                     Field(description="PEP 440 specifier of the versions this holds for; empty means all")]
Link = Annotated[str, Field(pattern=r"^https?://\S+$", description="public URL of the upstream doc, source or issue")]


class Convention(Strict):
    """One framework's documented choice where it differs from the preferred value.

    A value or status convention (a subgradient at a kink, None for zero) is judged
    against its own value; a tolerance-only convention (a documented approximation)
    is judged against the case's math and the oracle with its own, looser tolerance.
    """

    value: Value | None = Field(None, description="the framework's value, where it differs from the math's")
    status: Expect | None = Field(None, description="the framework's status, where it differs from the math's")
    tolerance: dict[Dtype, Tolerance] = Field(
        default_factory=dict, description="a documented approximation: the framework's own tolerance, per dtype")
    dtypes: list[Dtype] = Field(default_factory=list,
                                description="the dtypes it holds in; default: all (or the tolerance's dtypes)")
    versions: Versions = ""
    why: str = Field(description="the framework's documented reason")
    link: Link

    @model_validator(mode="after")
    def _says_something(self) -> "Convention":
        if self.value is None and self.status is None and not self.tolerance:
            raise ValueError("a convention needs a value, a status or a tolerance")
        return self

    def applies(self, dtype: str) -> bool:
        dtypes = self.dtypes or (list(self.tolerance) if self.tolerance else list(DTYPES))
        return dtype in dtypes


class Expectation(Strict):
    value: Value | None = Field(None, description="the expected gradient: a number, a list or an expression")
    status: Expect = Field(Expect.VALUE, description="value, disconnected (None / symbolic zero), error, "
                                                     "or zero (0.0, None and a symbolic zero all match)")
    why: str = Field(description="the algebra behind the value; printed in the docs")
    conventions: dict[str, Convention | list[Convention]] = Field(
        default_factory=dict,
        description="per framework, its documented choice where it differs from the math "
                    "(verdict `convention`); a list for several version ranges, the first that matches applies")

    @model_validator(mode="after")
    def _needs_value(self) -> "Expectation":
        if self.status == Expect.VALUE and self.value is None and not self.conventions:
            raise ValueError("an expectation with status 'value' needs a value (or, to let the oracle judge, "
                             "conventions to record)")
        if self.status != Expect.VALUE and self.value is not None:
            raise ValueError(f"an expectation with status {self.status.value!r} takes no value")
        return self

    def conventions_for(self) -> dict[str, list[Convention]]:
        """Per framework, its conventions in order (the first whose versions and dtype match applies)."""
        return {fw: list(spec) if isinstance(spec, list) else [spec] for fw, spec in self.conventions.items()}


class Divergence(Strict):
    """A known bug of one framework: its failures are xfail, with the link."""

    framework: str
    versions: Versions = ""
    gradients: list[str] = Field(default_factory=list, description="the gradients it affects; default: all")
    issue: Link
    why: str

    def covers(self, gradient: str) -> bool:
        return not self.gradients or gradient in self.gradients


class CaseBase(Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    title: str
    why: str = Field(description="one or two sentences, with the algebra, printed in the docs")
    tags: list[str] = Field(default_factory=list)
    dtypes: list[Dtype] = Field(default_factory=lambda: list(DTYPES))
    tolerance: dict[Dtype, Tolerance] = Field(default_factory=dict)
    divergences: list[Divergence] = Field(default_factory=list)
    oracle: bool = Field(True, description="false where finite differences are meaningless (a kink, "
                                          "a singular point); give the reason in oracle_why")
    oracle_why: str | None = None

    _compiled: dict[str, expr.Expr] = PrivateAttr(default_factory=dict)
    #: names (besides the case's own) that expected-value expressions may use
    expected_extra_names: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="after")
    def _oracle_reason(self) -> "CaseBase":
        if not self.oracle and not self.oracle_why:
            raise ValueError("a case with oracle: false needs an oracle_why (why finite differences do not apply)")
        return self

    def tolerance_for(self, dtype: str) -> Tolerance:
        return self.tolerance.get(dtype, DEFAULT_TOLERANCE[dtype])

    def expr(self, key: str) -> expr.Expr:
        return self._compiled[key]

    def _compile(self, key: str, path: Path, value: Value, names: frozenset[str]) -> None:
        try:
            self._compiled[key] = expr.parse(_as_source(value), names)
        except expr.ExprError as err:
            raise ExprAt(path, err) from None

    def _compile_expected(self, expected: dict[str, Expectation], names: frozenset[str],
                          wrt: frozenset[str]) -> None:
        for name, expectation in expected.items():
            if name not in wrt:
                raise ExprAt(("expected", name), expr.ExprError(
                    f"expected value for {name!r}, which is not differentiated "
                    f"(inputs: {', '.join(sorted(wrt))})"))
            if expectation.value is not None:
                self._compile(f"expected.{name}", ("expected", name, "value"), expectation.value,
                              names | self.expected_extra_names)
            for fw, specs in expectation.conventions_for().items():
                for i, spec in enumerate(specs):
                    if spec.value is not None:
                        self._compile(f"expected.{name}.{fw}.{i}", ("expected", name, "conventions", fw),
                                      spec.value, names | self.expected_extra_names)


class ReparamCase(CaseBase):
    """sum(log_prob(x)) of a reparameterized sample x = loc + scale * z, differentiated."""

    kind: Literal["reparam"]
    family: str
    params: dict[str, Value]
    samples: int = Field(1, ge=1)
    seed: int = 0
    sampler: Literal["shared", "native"] = Field(
        "shared", description="shared: x built from NumPy noise; native: the framework's own sampler")
    expected: dict[str, Expectation]
    #: n: the number of samples; z: the standard noise; x: the samples
    expected_extra_names: ClassVar[frozenset[str]] = frozenset({"n", "z", "x"})

    def compile(self) -> None:
        _compile_family_params(self, FAMILIES, "unknown family", lambda family: family.reparam_params)
        self._compile_expected(self.expected, frozenset(self.params), frozenset(self.params))


JVP_OUTPUTS = ("jvp", "jvp_reverse")


class FunctionCase(CaseBase):
    """A function in the expression language, differentiated.

    vjp: with a cotangent; grad: a scalar output; jvp: forward mode along
    `tangent` (one per input), reported as `jvp` and, the same product built
    from reverse-mode VJPs, `jvp_reverse`; hvp: the Hessian of a scalar
    function times `tangent`, per input.
    """

    kind: Literal["vjp", "grad", "jvp", "hvp"]
    inputs: dict[str, Value]
    function: str
    cotangent: Value | None = None
    tangent: dict[str, Value] | None = Field(None, description="jvp and hvp: the direction, per input")
    expected: dict[str, Expectation] = Field(default_factory=dict)

    def compile(self) -> None:
        if self.kind != "vjp" and self.cotangent is not None:
            raise ExprAt(("cotangent",), expr.ExprError(f"a {self.kind} case takes no cotangent"))
        if self.kind == "vjp" and self.cotangent is None:
            raise ExprAt(("kind",), expr.ExprError("a vjp case needs a cotangent"))
        if self.kind in ("jvp", "hvp"):
            if not self.tangent:
                raise ExprAt(("kind",), expr.ExprError(f"a {self.kind} case needs a tangent (one per input)"))
            if set(self.tangent) != set(self.inputs):
                raise ExprAt(("tangent",), expr.ExprError("the tangent must name every input, and only inputs"))
        elif self.tangent is not None:
            raise ExprAt(("tangent",), expr.ExprError(f"a {self.kind} case takes no tangent"))
        for name, value in self.inputs.items():
            self._compile(f"inputs.{name}", ("inputs", name), value, frozenset())
        names = frozenset(self.inputs)
        self._compile("function", ("function",), self.function, names)
        if self.cotangent is not None:
            self._compile("cotangent", ("cotangent",), self.cotangent, frozenset())
        for name, value in (self.tangent or {}).items():
            self._compile(f"tangent.{name}", ("tangent", name), value, frozenset())
        self._compile_expected(self.expected, names, frozenset(JVP_OUTPUTS[:1]) if self.kind == "jvp" else names)


class MleCase(CaseBase):
    """Maximum likelihood: recover parameters of `family` from data drawn at `truth`."""

    kind: Literal["mle"]
    family: str
    model: dict[str, str] = Field(description="the family's params as expressions of the parameters")
    truth: dict[str, Value] = Field(description="parameter values the data are drawn at")
    parameters: dict[str, Value] = Field(description="initial values of the parameters")
    samples: int = Field(1000, ge=2)
    seed: int = 0
    optimizer: Literal["lbfgs"] = "lbfgs"
    max_iterations: int = Field(200, ge=1)
    estimate_tolerance: float = Field(1e-3, gt=0, description="max |estimate - closed form|")
    expected: dict[str, Expectation] = Field(
        description="closed-form MLE of each parameter, as expressions of the family's statistics")

    def compile(self) -> None:
        family = FAMILIES.get(self.family)
        if family is None or family.mle_statistics is None:
            known = sorted(name for name, f in FAMILIES.items() if f.mle_statistics)
            raise ExprAt(("family",), expr.ExprError(
                f"no MLE support for family {self.family!r} (known: {', '.join(known)})"))
        if set(self.model) != set(family.model_params):
            raise ExprAt(("model",), expr.ExprError(
                f"{self.family} model takes {', '.join(family.model_params)}, got {', '.join(self.model)}"))
        if set(self.truth) != set(self.parameters):
            raise ExprAt(("truth",), expr.ExprError("truth and parameters must name the same parameters"))
        names = frozenset(self.parameters)
        for name in self.parameters:
            self._compile(f"truth.{name}", ("truth", name), self.truth[name], frozenset())
            self._compile(f"parameters.{name}", ("parameters", name), self.parameters[name], frozenset())
        for name, source in self.model.items():
            self._compile(f"model.{name}", ("model", name), source, names)
        stats = frozenset(family.mle_statistics)
        for name in names:
            if name not in self.expected:
                raise ExprAt(("expected",), expr.ExprError(f"no closed-form expectation for {name!r}"))
        self._compile_expected(self.expected, stats, names)


class ImplicitCase(CaseBase):
    """dx/dparam of the framework's own sample x, against the implicit function theorem on the CDF.

    Each framework draws its own samples (only properties are compared across
    frameworks); the oracle at each sample is dx/dtheta = -(dF/dtheta)(x) / f(x).
    Parameters given as vectors of length m give m independent samples, one each,
    so the gradient of sum(x) is each sample's own derivative.
    """

    kind: Literal["implicit"]
    family: str
    params: dict[str, Value]
    seed: int = 0
    expected: dict[str, Expectation] = Field(default_factory=dict)
    expected_extra_names: ClassVar[frozenset[str]] = frozenset({"x"})

    def compile(self) -> None:
        family = _compile_family_params(self, IMPLICIT, "no implicit reparameterization for",
                                        lambda family: family.params)
        if family.cdf is None and self.oracle:
            raise ExprAt(("oracle",), expr.ExprError(
                f"{self.family} has no per-sample CDF oracle: set oracle: false and check properties"))
        self._compile_expected(self.expected, frozenset(self.params), frozenset(self.params))


class Outcome(Strict):
    """What a scenario's naive idiom does on one framework (for a version range)."""

    outcome: Literal["ok", "raises"]
    error: str | None = Field(None, description="a substring of the observed 'ExceptionType: message'")
    versions: Versions = ""
    why: str
    link: str | None = Field(None, description="the upstream doc or issue that documents it")


class BehaviourCase(CaseBase):
    """A named scenario, written in each adapter in that framework's idiom.

    The adapter returns what happened (`outcome`, `error`) and the values the
    scenario observed (as gradients: a value, disconnected, or an error); the case
    states, per framework, the outcome and, per value, the expectation
    (`frameworks:` for the ones that differ by design). Frameworks are not
    compared with each other: each is checked against its own expectation.
    """

    kind: Literal["behaviour"]
    scenario: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    outcomes: dict[str, Outcome | list[Outcome]] = Field(description="per framework: what the naive idiom does")
    expected: dict[str, Expectation] = Field(default_factory=dict)
    oracle: bool = False
    oracle_why: str | None = "a behaviour is a scenario, not a function: nothing to difference"

    def outcomes_for(self, framework: str) -> list[Outcome]:
        spec = self.outcomes.get(framework, [])
        return list(spec) if isinstance(spec, list) else [spec]

    def compile(self) -> None:
        self._compile_expected(self.expected, frozenset(), frozenset(self.expected))


Case = Annotated[Union[ReparamCase, FunctionCase, MleCase, ImplicitCase, BehaviourCase],
                 Field(discriminator="kind")]


def _compile_family_params(case: ReparamCase | ImplicitCase, table: dict[str, Any], unknown: str,
                           accepted: Callable[[Any], tuple[str, ...]]) -> Any:
    """The case's family from `table`, after checking and compiling the params it takes."""
    family = table.get(case.family)
    if family is None:
        raise ExprAt(("family",), expr.ExprError(f"{unknown} {case.family!r} (known: {', '.join(sorted(table))})"))
    if set(case.params) != set(accepted(family)):
        raise ExprAt(("params",), expr.ExprError(
            f"{case.family} takes params {', '.join(accepted(family))}, got {', '.join(case.params)}"))
    for name, value in case.params.items():
        case._compile(f"params.{name}", ("params", name), value, frozenset())
    return family


def _as_source(value: Value) -> str:
    """Numbers and nested lists become expression text; strings already are."""
    if isinstance(value, list):
        return "[" + ", ".join(_as_source(v) for v in value) + "]"
    return repr(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else str(value)
