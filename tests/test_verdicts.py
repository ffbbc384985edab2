"""The judgement model, rule by rule, on gradients given directly (the engine's logic; no framework needed)."""

from __future__ import annotations

import numpy as np
import pytest

from conformance import kinds, loader, oracle, report
from conformance.adapters import Adapter, Gradient
from conformance.agreement import agreement
from conformance.kinds import Computed, ConventionRef, Reference
from conformance.model import DEFAULT_TOLERANCE, Convention
from conformance.verdicts import Job, judge, judge_gradient, matching_divergences
from conformance.vocabulary import Abstention, Agreement, Difference, Expect, Regime, Rule, Status, Verdict

F64 = DEFAULT_TOLERANCE["float64"]
INF, NAN = np.inf, np.nan


def value(x) -> Gradient:
    return Gradient(Status.VALUE, np.asarray(x, np.float64))


def verdict(grad: Gradient, ref: Reference, dtype: str = "float64") -> Verdict:
    return judge_gradient(grad, ref, DEFAULT_TOLERANCE[dtype], dtype).verdict


@pytest.mark.parametrize(
    "got, want, ok",
    [
        (1.29e15, INF, False),  # a finite value never matches an infinite expectation
        (-INF, INF, False),
        (INF, INF, True),
        (NAN, 1.0, False),
        (NAN, NAN, True),  # NaN only where NaN is expected
        (1.0, NAN, False),
        (1.0 + 1e-11, 1.0, True),
        (1.0 + 1e-9, 1.0, False),
    ],
)
def test_non_finite_values_match_only_themselves(got, want, ok):
    ref = Reference(expected=np.asarray(want))
    assert verdict(value(got), ref) == (Verdict.PASS if ok else Verdict.FAIL)


def test_an_infinite_oracle_or_bound_never_widens_the_tolerance():
    ref = Reference(oracle=np.asarray([1.0, 2.0]), oracle_bound=np.asarray([NAN, INF]))
    result = judge_gradient(value([5.0, 7.0]), ref, F64, "float64")
    assert result.verdict == Verdict.PASS and result.notes  # not judged there, and it says so
    ref = Reference(expected=np.asarray([1.0, 2.0]), oracle=np.asarray([1.0, 2.0]), oracle_bound=np.asarray([INF, 1]))
    assert verdict(value([5.0, 2.0]), ref) == Verdict.FAIL


def test_where_the_oracle_abstains_the_stated_math_alone_judges_and_the_report_says_why():
    """|x - 1| at 1 + 1e-9 (a kink within the oracle's steps, where it used to report the mean slope, 0, with a
    bound of 1e-12): the oracle abstains there, typed, and judges the smooth element beside it."""
    found = oracle.differences(lambda env: np.abs(env["x"] - 1) + env["x"] ** 2, {"x": np.array([1 + 1e-9, 3.0])})
    ref = Reference(oracle=found["x"].estimate, oracle_bound=found["x"].bound, oracle_abstains=found["x"].abstains)
    result = judge_gradient(value([123.0, 7.0]), ref, F64, "float64")
    assert result.oracle_abstains == (Abstention.NOT_CONVERGED,) and result.verdict == Verdict.PASS
    assert result.notes == ["the oracle abstains at 1 element(s): not converged"]
    assert verdict(value([123.0, 7.5]), ref) == Verdict.FAIL  # the smooth element is still judged
    stated = Reference(
        expected=np.array([3.0, 7.0]),
        oracle=ref.oracle,
        oracle_bound=ref.oracle_bound,
        oracle_abstains=ref.oracle_abstains,
    )
    assert verdict(value([123.0, 7.0]), stated) == Verdict.FAIL and verdict(value([3.0, 7.0]), stated) == Verdict.PASS
    blind = oracle.differences(lambda env: np.abs(env["x"] - 1), {"x": np.array([1 + 1e-9])})["x"]
    alone = judge_gradient(
        value([0.5]),
        Reference(oracle=blind.estimate, oracle_bound=blind.bound, oracle_abstains=blind.abstains),
        F64,
        "float64",
    )
    assert alone.matches_math is None  # nothing judged it: no pass claimed against the math
    assert report.GradientRecord.model_fields["oracle_abstains"].annotation == list[Abstention]


@pytest.mark.parametrize(
    "grad",
    [
        value(0.0),
        value(1e-323),
        Gradient(Status.DISCONNECTED, representation="None"),
        Gradient(Status.VALUE, np.zeros(()), representation="symbolic zero"),
    ],
)
def test_zero_in_any_representation(grad):
    """0.0, a few subnormal steps (the derived floor where nothing cancels), None and JAX's symbolic zero."""
    assert verdict(grad, Reference(status=Expect.ZERO)) == Verdict.PASS


def test_a_rounding_level_zero_is_zero_within_the_floor_of_what_cancels():
    assert verdict(value(1e-16), Reference(status=Expect.ZERO, cancelling=np.asarray(1.0))) == Verdict.PASS
    assert verdict(value(1e-16), Reference(status=Expect.ZERO)) == Verdict.FAIL


@pytest.mark.parametrize("grad", [value(0.5), Gradient(Status.ERROR, error="RuntimeError: no")])
def test_zero_in_any_representation_is_still_zero(grad):
    assert verdict(grad, Reference(status=Expect.ZERO)) in (Verdict.FAIL, Verdict.ERROR)


def _convention(**fields) -> ConventionRef:
    conv = Convention(why="documented", link="https://example.org/doc", **fields)
    return ConventionRef(conv, np.asarray(fields["value"], np.float64) if "value" in fields else None)


def test_a_convention_is_its_own_verdict_and_stale_once_the_framework_matches_the_math():
    ref = Reference(expected=np.asarray(0.0), convention=_convention(value=1.0))
    assert verdict(value(1.0), ref) == Verdict.CONVENTION
    stale = judge_gradient(value(0.0), ref, F64, "float64")
    assert stale.verdict == Verdict.STALE and "https://example.org/doc" in stale.failures[0]
    assert verdict(value(0.5), ref) == Verdict.FAIL


def test_a_tolerance_convention_applies_in_its_dtypes_only():
    conv = _convention(tolerance={"float64": {"rtol": 1e-4, "atol": 0}})
    ref = Reference(expected=np.asarray(1.0), oracle=np.asarray(1.0), oracle_bound=np.asarray(0.0), convention=conv)
    assert verdict(value(1 + 5e-5), ref) == Verdict.CONVENTION
    assert verdict(value(1 + 1e-3), ref) == Verdict.FAIL
    assert verdict(value(1.0), ref) == Verdict.STALE
    assert conv.convention.applies("float64") and not conv.convention.applies("float32")


def test_an_unexpected_error_is_an_error_and_an_expected_one_passes():
    raised = Gradient(Status.ERROR, error="TypeError: no")
    assert verdict(raised, Reference(expected=np.asarray(1.0))) == Verdict.ERROR
    assert verdict(raised, Reference(status=Expect.ERROR)) == Verdict.PASS


CASES = """
- {id: kink, kind: grad, title: t, why: w, oracle: false, oracle_why: a kink, inputs: {x: 0.0}, function: abs(x),
   dtypes: [float64], expected: {x: {value: 0, why: sign(0)}}}
- {id: free, kind: grad, title: t, why: w, oracle: false, oracle_why: none, inputs: {x: 0.0}, function: abs(x),
   dtypes: [float64]}
- {id: bug, kind: grad, title: t, why: w, inputs: {a: 1.0, b: 2.0}, function: a*b, dtypes: [float64],
   divergences: [{framework: c, gradients: [b], issue: "https://example.org/bug", why: w}]}
"""


def _jobs(write_case, answers: dict[str, dict[str, dict[str, Gradient]]]) -> list[Job]:
    cases, errors = loader.load([write_case(CASES)])
    assert not errors, errors
    by_id = {c.case.id: c.case for c in cases}
    return [
        Job(by_id[case], fw, "float64", Computed(grads), versions={fw: "1.0"})
        for case, per_fw in answers.items()
        for fw, grads in per_fw.items()
    ]


def test_a_peer_that_differs_never_fails_a_framework_that_matches_the_math(write_case):
    jobs = _jobs(write_case, {"kink": {"a": {"x": value(0.0)}, "b": {"x": value(0.0)}, "c": {"x": value(1.0)}}})
    verdicts = judge(jobs)
    assert [v.verdict for v in verdicts] == [Verdict.PASS, Verdict.PASS, Verdict.FAIL]
    (result,) = agreement(verdicts)
    assert result.result == Agreement.DIFFER and result.difference == Difference.VALUE
    assert result.groups == [["a", "b"], ["c"]] and result.odd == ["c"]


def test_a_peer_that_gives_nan_fails_only_itself(write_case):
    verdicts = judge(_jobs(write_case, {"kink": {"a": {"x": value(0.0)}, "c": {"x": value(NAN)}}}))
    assert [v.verdict for v in verdicts] == [Verdict.PASS, Verdict.FAIL]


def test_without_a_reference_a_difference_is_reported_and_nobody_blamed(write_case):
    verdicts = judge(_jobs(write_case, {"free": {"a": {"x": value(0.0)}, "c": {"x": value(1.0)}}}))
    assert [v.verdict for v in verdicts] == [Verdict.PASS, Verdict.PASS]
    (result,) = agreement(verdicts)
    assert result.result == Agreement.DIFFER_NO_REFERENCE and result.odd == []


def test_a_difference_of_class_only_names_the_minority(write_case):
    zeros = {"a": {"x": value(0.0)}, "b": {"x": value(0.0)}, "c": {"x": value(-1.5e-323)}}  # 3 subnormal steps
    (result,) = agreement(judge(_jobs(write_case, {"kink": zeros})))
    assert result.result == Agreement.DIFFER and result.difference == Difference.CLASS and result.odd == ["c"]


def test_a_known_bug_covers_only_its_gradients_and_goes_stale(write_case):
    raised = Gradient(Status.ERROR, error="TypeError: int")
    (v,) = judge(_jobs(write_case, {"bug": {"c": {"a": value(2.0), "b": raised}}}))
    assert v.verdict == Verdict.XFAIL and v.gradients["a"].verdict == Verdict.PASS
    assert v.gradients["b"].verdict == Verdict.XFAIL and v.gradients["b"].bug is not None
    (v,) = judge(_jobs(write_case, {"bug": {"c": {"a": value(2.0), "b": value(1.0)}}}))
    assert v.verdict == Verdict.STALE and "remove its divergence mark" in v.failures[0]


class _RaisesJointly(Adapter):
    """A stand-in adapter whose pullback raises whenever `b` is differentiated, alone or with others."""

    def array(self, value, dtype):
        return np.asarray(value, np.float64)

    def vjp(self, fn, primals, dtype, cotangent):
        if "b" in primals:
            return np.nan, {k: Gradient(Status.ERROR, error="TypeError: b") for k in primals}
        return fn(primals), {k: value(2 * v) for k, v in primals.items()}


def test_when_the_joint_pullback_raises_each_input_is_differentiated_alone():
    _, grads = kinds.vjp_per_input(
        _RaisesJointly(),
        lambda env: env["a"] ** 2 + env["b"],
        {"a": np.asarray(3.0), "b": np.asarray(1.0)},
        "float64",
        None,
    )
    assert grads["a"].status == Status.VALUE and float(np.asarray(grads["a"].value)) == 6.0
    assert grads["b"].status == Status.ERROR


def test_references_given_by_the_runner_are_used_and_a_job_is_finished_only_with_them(write_case):
    (job,) = _jobs(write_case, {"kink": {"a": {"x": value(0.0)}}})
    assert not job.finished  # a result without its references: judging it would run the oracle here
    job.references = {"x": Reference(expected=np.asarray(5.0))}  # not the case's 0: the given ones are used
    assert job.finished and judge([job])[0].verdict == Verdict.FAIL
    job.references, job.reference_error = None, "timeout: no result after 1 s"
    (v,) = judge([job], {"kink": "cases.yaml:2"})
    assert job.finished and v.verdict == Verdict.ERROR
    assert v.failures == ["cases.yaml:2: the reference (NumPy oracle) failed: timeout: no result after 1 s"]
    assert Job(job.case, "a", "float64", error="boom").finished and not Job(job.case, "a", "float64").finished


def test_a_reference_that_raises_while_judging_is_the_jobs_error_never_the_callers(write_case):
    cases, _ = loader.load(
        [
            write_case("""
        - {id: not-pd, kind: grad, title: t, why: w, inputs: {m: [[1.0, 2.0], [2.0, 1.0]]}, function: sum(cholesky(m)),
           dtypes: [float64]}
    """)
        ]
    )
    jobs = [Job(cases[0].case, fw, "float64", Computed({"m": value(np.ones((2, 2)))})) for fw in ("a", "b")]
    verdicts = judge(jobs, {"not-pd": "x.yaml:7"})
    assert [v.verdict for v in verdicts] == [Verdict.ERROR, Verdict.ERROR]
    assert verdicts[1].failures == [
        "x.yaml:7: the reference (NumPy oracle) failed: LinAlgError: Matrix is not positive definite"
    ]


@pytest.mark.parametrize(
    "grad, ok",
    [
        (value(np.zeros(0)), True),
        (Gradient(Status.DISCONNECTED, np.zeros(0), representation="symbolic zero"), True),
        (Gradient(Status.DISCONNECTED, representation="None"), True),
        (Gradient(Status.ERROR, error="RuntimeError: max() of nothing"), False),
    ],
)
def test_the_gradient_of_an_empty_input_is_zero_in_any_representation(write_case, grad, ok):
    """No elements: an empty array, None and a symbolic zero say the same; an error is still an error."""
    (loaded,), errors = loader.load(
        [
            write_case("""
- id: empty
  kind: grad
  title: t
  why: w
  inputs: {x: []}
  function: prod(x)
""")
        ]
    )
    assert errors == []
    (result,) = judge([Job(loaded.case, "a", "float64", Computed({"x": grad}), versions={"a": "1.0"})])
    assert (result.verdict == Verdict.PASS) == ok


def test_two_regimes_of_one_framework_that_differ_are_a_difference_naming_the_odd_one(tmp_path):
    """A regime is compared as a framework is: by its label, torch[compiled] beside torch."""
    from tests.fake_reports import regimes_report

    (row,) = regimes_report(tmp_path).agreement
    assert row.result == Agreement.DIFFER and row.difference == Difference.VALUE
    assert row.groups == [["torch", "jax"], ["torch[compiled]"]] and row.odd == ["torch[compiled]"]
    assert [(a.framework, a.regime, a.label) for a in row.answers] == [
        ("torch", "eager", "torch"),
        ("torch", "compiled", "torch[compiled]"),
        ("jax", "compiled", "jax"),
    ]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("got", [0.0, -1.6993e-17])
def test_a_tail_of_zero_or_of_the_wrong_sign_fails(dtype, got):
    """tanh'(20) = 1 / cosh(20)^2 = 1.6993e-17: no fixed atol hides a 0 or a wrong sign there."""
    ref = Reference(expected=np.asarray(1.6993e-17))
    assert verdict(value(got), ref, dtype) == Verdict.FAIL
    assert verdict(value(1.6993e-17 * (1 + 1e-12)), ref, dtype) == Verdict.PASS


def test_the_rule_that_decided_is_recorded():
    assert judge_gradient(value(1.0), Reference(expected=np.asarray(1.0)), F64, "float64").rule == Rule.RELATIVE
    at_zero = judge_gradient(value(0.0), Reference(expected=np.asarray(0.0), status=Expect.ZERO), F64, "float64")
    assert at_zero.rule == Rule.ULP_FLOOR
    by_oracle = Reference(oracle=np.asarray(1.0), oracle_bound=np.asarray(1e-6))
    assert judge_gradient(value(1.0 + 1e-9), by_oracle, F64, "float64").rule == Rule.ORACLE_BOUND


#: a step function's case, its expectation of x to be appended
FLOOR = """
id: flat
kind: grad
title: floor
why: piecewise constant
inputs: {x: [0.5, 1.5]}
function: sum(floor(x))
oracle: false
oracle_why: a step function
expected:
  x: """


@pytest.mark.parametrize(
    "grad",
    [
        Gradient(Status.DISCONNECTED, representation="None"),
        Gradient(Status.VALUE, np.zeros(2), representation="symbolic zero"),
    ],
)
def test_a_stated_zero_is_zero_in_any_representation(write_case, grad):
    stated = "value: 0, why: 'floor is piecewise constant: its derivative is 0 wherever it exists'"
    cases, _ = loader.load([write_case(FLOOR + "{" + stated + "}")])
    case = cases[0].case
    job = Job(case, "any", "float64", Computed({"x": grad}))
    assert judge([job])[0].verdict == Verdict.PASS


def test_status_value_still_demands_a_value(write_case):
    stated = "status: value, value: 0, why: 'a materialised 0 is asked for'"
    cases, _ = loader.load([write_case(FLOOR + "{" + stated + "}")])
    none = Job(cases[0].case, "any", "float64", Computed({"x": Gradient(Status.DISCONNECTED, representation="None")}))
    assert judge([none])[0].verdict == Verdict.FAIL


def test_a_stated_zero_keeps_its_statistical_allowance():
    """A Monte Carlo mean of zero is met within k standard errors, as any other stated value."""
    ref = Reference(status=Expect.ZERO, spread=np.asarray(0.05))
    assert verdict(value(0.02), ref) == Verdict.PASS
    assert verdict(value(0.2), ref) == Verdict.FAIL


def test_a_gradient_that_raises_the_declared_outcome_is_that_outcome():
    raised = Gradient(Status.ERROR, error="TracerArrayConversionError: refused")
    ref = Reference(status=Expect.DISCONNECTED)
    declared = judge_gradient(raised, ref, F64, "float64", declared="TracerArrayConversionError")
    assert declared.verdict == Verdict.PASS and declared.matches_math
    assert judge_gradient(raised, ref, F64, "float64", declared="TypeError").verdict == Verdict.ERROR
    assert judge_gradient(raised, ref, F64, "float64").verdict == Verdict.ERROR


def test_a_divergence_mark_holds_in_its_dtypes_and_regimes_only():
    """TFP's Gamma sampler draws other samples under a tape in eager mode only (a tf.function picks the same
    implementation with or without one): the library's mark names the regime, so it neither misses the eager
    failure nor goes stale in the compiled regimes; torch's float64 trigamma mark names its dtype."""
    cases = {c.case.id: c.case for c in loader.load([loader.LIBRARY])[0]}
    tf = {"tensorflow": "2.21.0"}
    gamma = cases["gamma-implicit"]
    assert matching_divergences(gamma, "tensorflow", tf, "float64", Regime.EAGER)
    assert not matching_divergences(gamma, "tensorflow", tf, "float64", Regime.COMPILED)
    trigamma = cases["polygamma-grad"]
    assert matching_divergences(trigamma, "torch", {"torch": "2.13.0"}, "float64", Regime.EAGER)
    assert not matching_divergences(trigamma, "torch", {"torch": "2.13.0"}, "float32", Regime.EAGER)
