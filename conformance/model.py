"""The case model: what a case file may say, checked by pydantic (unknown keys are errors).

Values in a case (inputs, parameters, expected gradients) are numbers, nested
lists of numbers, or expressions in the case language (see `expr`). They are
compiled by `Case.compile()`, which the loader calls after validation so that
an expression error can be reported with its file and line.
"""
from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from conformance import expr
from conformance.families import FAMILIES

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


class Expectation(Strict):
    value: Value = Field(description="the expected gradient: a number, a list or an expression")
    why: str = Field(description="the algebra behind the value; printed in the docs")


class Divergence(Strict):
    """A known, documented difference of one framework (an xfail with a link)."""

    framework: str
    versions: str = Field("", description="PEP 440 specifier of the affected versions; empty means all")
    issue: str = Field(description="link to the upstream issue or doc")
    why: str


class CaseBase(Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    title: str
    why: str = Field(description="one or two sentences, with the algebra, printed in the docs")
    tags: list[str] = Field(default_factory=list)
    dtypes: list[Dtype] = Field(default_factory=lambda: list(DTYPES))
    tolerance: dict[Dtype, Tolerance] = Field(default_factory=dict)
    divergences: list[Divergence] = Field(default_factory=list)

    _compiled: dict[str, expr.Expr] = PrivateAttr(default_factory=dict)
    #: names (besides the case's own) that expected-value expressions may use
    expected_extra_names: ClassVar[frozenset[str]] = frozenset()

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
            self._compile(f"expected.{name}", ("expected", name, "value"), expectation.value,
                          names | self.expected_extra_names)


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
    expected_extra_names: ClassVar[frozenset[str]] = frozenset({"n"})

    def compile(self) -> None:
        family = FAMILIES.get(self.family)
        if family is None:
            raise ExprAt(("family",), expr.ExprError(
                f"unknown family {self.family!r} (known: {', '.join(sorted(FAMILIES))})"))
        if set(self.params) != set(family.reparam_params):
            raise ExprAt(("params",), expr.ExprError(
                f"{self.family} takes params {', '.join(family.reparam_params)}, got {', '.join(self.params)}"))
        for name, value in self.params.items():
            self._compile(f"params.{name}", ("params", name), value, frozenset())
        self._compile_expected(self.expected, frozenset(self.params), frozenset(self.params))


class FunctionCase(CaseBase):
    """A function in the expression language; its VJP with a cotangent, or its gradient if scalar."""

    kind: Literal["vjp", "grad"]
    inputs: dict[str, Value]
    function: str
    cotangent: Value | None = None
    expected: dict[str, Expectation] = Field(default_factory=dict)

    def compile(self) -> None:
        if self.kind == "grad" and self.cotangent is not None:
            raise ExprAt(("cotangent",), expr.ExprError("a grad case has a scalar output: no cotangent"))
        if self.kind == "vjp" and self.cotangent is None:
            raise ExprAt(("kind",), expr.ExprError("a vjp case needs a cotangent"))
        for name, value in self.inputs.items():
            self._compile(f"inputs.{name}", ("inputs", name), value, frozenset())
        names = frozenset(self.inputs)
        self._compile("function", ("function",), self.function, names)
        if self.cotangent is not None:
            self._compile("cotangent", ("cotangent",), self.cotangent, frozenset())
        self._compile_expected(self.expected, names, names)


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


Case = Annotated[Union[ReparamCase, FunctionCase, MleCase], Field(discriminator="kind")]


def _as_source(value: Value) -> str:
    """Numbers and nested lists become expression text; strings already are."""
    if isinstance(value, list):
        return "[" + ", ".join(_as_source(v) for v in value) + "]"
    return repr(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else str(value)
