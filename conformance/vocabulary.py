"""The one vocabulary of the suite: statuses, classes, verdicts and agreement, as enums.

Every stage (adapters, verdicts, agreement, the report, the docs, JUnit, the
pytest plugin) speaks these words; the report writes their values.
"""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    """What a framework gave for one gradient."""

    VALUE = "value"
    DISCONNECTED = "disconnected"  # None (torch, TF) or a symbolic zero (JAX): the representation is recorded
    ERROR = "error"


class Expect(StrEnum):
    """What a case expects of one gradient: a Status, or zero in any representation."""

    VALUE = "value"
    DISCONNECTED = "disconnected"
    ERROR = "error"
    ZERO = "zero"  # 0.0, a rounding-level zero, None or a symbolic zero: all match


class Class(StrEnum):
    """The class of a value: its most notable element decides."""

    EXACT_ZERO = "exact_zero"
    TOLERANCE_ZERO = "tolerance_zero"  # within the derived rounding floor of a cancelled sum
    NAN = "nan"
    INF = "inf"
    FINITE = "finite"


class Rule(StrEnum):
    """The term of the tolerance rule that set a gradient's allowance where it came nearest to it (or went furthest
    past it): see conformance/tolerance.py."""

    RELATIVE = "relative"  # rtol |want|
    STATED_ATOL = "stated atol"  # the case's own absolute tolerance, as stated
    ULP_FLOOR = "ulp floor"  # a few ulps of want in the job's dtype, at least its smallest subnormal step
    ZERO_FLOOR = "zero floor"  # the derived rounding floor of the terms that cancel
    ORACLE_BOUND = "oracle bound"  # the oracle's own error bound, where the oracle is the expectation
    STATISTICAL = "statistical"  # k standard errors of a Monte Carlo mean
    EXACT = "exact"  # a non-finite expectation, matched only by itself
    NORMWISE = "normwise"  # roundings of the largest |want|: a decomposition's gradient, accurate normwise only


class Verdict(StrEnum):
    """One framework's answer judged against the math; listed from best to worst."""

    PASS = "pass"  # matches the reference
    CONVENTION = "convention"  # differs by the framework's documented choice, recorded with why and link
    XFAIL = "xfail"  # a known bug, linked
    UNAVAILABLE = "unavailable"  # the framework is not installed
    UNSUPPORTED = "unsupported"  # `history`: the release lacks the function or API the case needs (not yet added)
    STALE = "stale"  # a recorded convention or bug that no longer happens: remove the record
    FAIL = "fail"  # differs from the math, unexplained
    ERROR = "error"  # the framework raised where a value was expected, or the job crashed or timed out

    @property
    def failing(self) -> bool:
        return self in (Verdict.FAIL, Verdict.ERROR, Verdict.STALE)

    @property
    def rank(self) -> int:
        return list(Verdict).index(self)


class Agreement(StrEnum):
    """One gradient (case, dtype) across the frameworks."""

    AGREE = "agree"
    DIFFER = "differ"
    DIFFER_NO_REFERENCE = "differ (no reference)"  # reported, nobody blamed
    NOT_COMPARED = "not compared"  # not comparable by construction (own samples, own optimizer path)


class Difference(StrEnum):
    """How frameworks differ on a gradient, strongest first."""

    STATUS = "status"  # a value against None, an error against a value
    VALUE = "value"  # values beyond the case's tolerance of each other
    CLASS = "class"  # the same value up to tolerance, another class (exact 0.0 against a rounding-level zero)


class Regime(StrEnum):
    """How a framework executes a job; each framework spells each regime its own way (its adapter's `REGIMES`)."""

    EAGER = "eager"  # op by op: torch and TF by default, JAX without jit
    COMPILED = "compiled"  # the framework's standard compiler: torch.compile, tf.function, jax.jit
    XLA = "xla"  # compiled by XLA: tf.function(jit_compile=True), jax.jit


class Symptom(StrEnum):
    """What a fuzzer's finding looks like in the odd framework's answer (`conformance fuzz`)."""

    VALUE = "value"  # a finite value off the math
    NAN = "nan"
    INF = "inf"
    NONE = "none"  # disconnected: None or a symbolic zero where the math has a value
    ERROR = "error"  # it raised
    CLASS = "class"  # the same value up to tolerance, another class


class Abstention(StrEnum):
    """Why the oracle cannot judge a gradient's element: it says so, rather than give an estimate that its bound
    does not cover; the element is then judged by the case's stated math alone."""

    NOT_FINITE = "not finite"  # f is NaN or infinite at the point or a step (a pole, outside the domain, overflow)
    OVERFLOW = "overflow"  # f is finite, but its differences or the step's product overflow float64
    NOT_CONVERGED = "not converged"  # the differences do not shrink with the step as a smooth f's do: a kink, a
    # singular point or a pole within the steps


class PrimalMismatch(StrEnum):
    """How a job's output computed under autodiff (its primal) misses what it should be: a failure of its own kind,
    beside its gradients' (`verdicts.judge_primal`)."""

    DIRECT = "direct call"  # differs from the framework's own direct call of the function, with no autodiff
    DIRECT_RAISED = "direct call raised"  # the direct call raised where autodiff computed a value
    ORACLE = "oracle"  # differs from the oracle's f (NumPy float64) beyond the case's tolerance
