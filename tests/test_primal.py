"""The primal under differentiation: each job's output under autodiff, against the direct call and the oracle's f.

The engine's judge is tested with injected numbers; the frameworks' direct call and a primal that differs under
autodiff with real torch and JAX (a custom rule whose forward is its own), never a mock.
"""

from __future__ import annotations

import numpy as np
import pytest

from conformance import junit, kinds, loader, report
from conformance.adapters import BUILTIN, VALUE, Gradient, load
from conformance.kinds import Computed, Primal
from conformance.model import DEFAULT_TOLERANCE
from conformance.verdicts import Job, judge, judge_primal
from conformance.vocabulary import PrimalMismatch, Regime, Rule, Verdict
from tests.conftest import installed

F64, F32 = DEFAULT_TOLERANCE["float64"], DEFAULT_TOLERANCE["float32"]
ULP = 2.0**-52

CASES = """
- {id: exp, kind: grad, title: t, why: "d exp(x)/dx = exp(x)", inputs: {x: 0.5}, function: exp(x), dtypes: [float64],
   expected: {x: {value: exp(0.5), why: w}}}
- {id: marked, kind: grad, title: t, why: w, inputs: {x: 0.5}, function: exp(x), dtypes: [float64],
   divergences: [{framework: fw, gradients: [primal], issue: "https://example.org/primal-bug", why: w}]}
- {id: seed, kind: grad, title: t, why: w, inputs: {a: 0.1, b: 1.0, c: 0.1}, function: 3*a + 2*b*b + log(c),
   dtypes: [float32]}
"""


def primal(under_ad, direct=None, error=None) -> Primal:
    return Primal(np.asarray(under_ad, np.float64), None if direct is None else np.asarray(direct, np.float64), error)


@pytest.mark.parametrize(
    "got, direct, compiled, ok",
    [
        (1.0, 1.0, False, True),
        (1.0 + 2 * ULP, 1.0, False, True),  # within the rule's floor of a few ulps
        (1.0 + 1e-12, 1.0, False, False),  # eager: the same kernels, so no more
        (1.0 + 8 * ULP, 1.0, True, True),  # compiled: a few roundings more, where the compiler fuses otherwise
        (1.0 + 1e-12, 1.0, True, False),
        (np.nan, np.nan, False, True),
        (np.inf, 1.0, False, False),
    ],
)
def test_the_output_under_autodiff_must_equal_the_direct_call_within_a_few_ulps(got, direct, compiled, ok):
    judged = judge_primal(primal(got, direct), None, "float64", F64, compiled)
    assert (judged.verdict == Verdict.PASS) == ok
    assert judged.mismatches == ([] if ok else [PrimalMismatch.DIRECT])
    assert judged.direct_gap is not None and judged.oracle_error is None


def test_against_the_oracle_the_cases_rtol_judges():
    assert judge_primal(primal(1.0 + 1e-11, 1.0 + 1e-11), np.asarray(1.0), "float64", F64, False).verdict == "pass"
    judged = judge_primal(primal(1.0 + 1e-9, 1.0 + 1e-9), np.asarray(1.0), "float64", F64, False)
    assert judged.verdict == Verdict.FAIL and judged.mismatches == [PrimalMismatch.ORACLE]
    assert judged.oracle_rule == Rule.RELATIVE and judged.oracle_error is not None
    assert "the oracle's f" in judged.failures[0]


def test_a_direct_call_that_raises_where_autodiff_computed_is_a_failure_of_its_own():
    judged = judge_primal(primal(1.0, error="RuntimeError: no"), np.asarray(1.0), "float64", F64, False)
    assert judged.verdict == Verdict.FAIL and judged.mismatches == [PrimalMismatch.DIRECT_RAISED]


def test_a_shape_that_differs_fails():
    judged = judge_primal(primal([1.0, 2.0], [1.0, 2.0]), np.ones(3), "float64", F64, False)
    assert judged.mismatches == [PrimalMismatch.ORACLE]


def test_where_the_terms_cancel_their_rounding_is_allowed_and_asked_for_only_then():
    """3a + 2b^2 + log(c) at 0.1, 1, 0.1 is -0.0026 from terms of about 2.3: float32 rounds it by eps times those."""
    asked = []

    def rounding():
        asked.append(1)
        return np.float64(8 * 5.3)

    got, want = np.float32(-0.00258517), np.asarray(-0.0025850929940455)
    assert judge_primal(primal(got, got), want, "float32", F32, False).verdict == Verdict.FAIL
    judged = judge_primal(primal(got, got), want, "float32", F32, False, rounding)
    assert judged.verdict == Verdict.PASS and judged.oracle_rule == Rule.ZERO_FLOOR and asked == [1]
    judge_primal(primal(1.0, 1.0), np.asarray(1.0), "float64", F64, False, rounding)
    assert asked == [1]  # a primal within the rule without it never pays for it


def test_the_kinds_rounding_scale_covers_float32s_cancellation(write_case):
    (case,) = [c.case for c in loader.load([write_case(CASES)])[0] if c.case.id == "seed"]
    scale = kinds.primal_rounding(case, "float32", {})
    want = kinds.primal_reference(case, "float32", {})
    assert scale is not None and want is not None
    float32s = float(np.float32(0.3) + np.float32(2) + np.log(np.float32(0.1)))
    assert float(scale) * 2.0**-23 > abs(float32s - float(want))


def _job(write_case, case_id: str, computed: Computed, framework: str = "fw") -> Job:
    cases = {c.case.id: c.case for c in loader.load([write_case(CASES)])[0]}
    return Job(cases[case_id], framework, "float64", computed, versions={framework: "1.0"}, regime=Regime.EAGER)


def test_a_primal_mismatch_fails_the_job_whose_gradients_pass_and_shows_as_such(write_case, tmp_path):
    grads = {"x": Gradient(VALUE, np.asarray(np.exp(0.5)))}
    honest = _job(write_case, "exp", Computed(grads, primal=primal(np.exp(0.5), np.exp(0.5))))
    sneaky = _job(write_case, "exp", Computed(grads, primal=primal(1.001 * np.exp(0.5), np.exp(0.5))), "other")
    good, bad = judge([honest, sneaky])
    assert good.verdict == Verdict.PASS and good.primal is not None and good.primal.verdict == Verdict.PASS
    assert bad.gradients["x"].verdict == Verdict.PASS
    assert bad.verdict == Verdict.FAIL and bad.primal is not None
    assert bad.primal.mismatches == [PrimalMismatch.DIRECT, PrimalMismatch.ORACLE]
    assert bad.all_failures()[0].startswith("primal: under autodiff the function gave")
    cases = loader.load([write_case(CASES)])[0]
    built = report.build([good, bad], cases, [], ["fw", "other"])
    report.write(built, tmp_path / "r.json")
    record = report.read(tmp_path / "r.json").jobs[1]
    assert record.primal is not None and record.primal.mismatches == [PrimalMismatch.DIRECT, PrimalMismatch.ORACLE]
    assert record.primal.direct_gap is not None and record.primal.oracle_error is not None
    assert "primal: under autodiff" in junit.xml(built)


def test_a_known_primal_bug_is_xfail_and_stale_once_fixed(write_case):
    grads = {"x": Gradient(VALUE, np.asarray(np.exp(0.5)))}
    (v,) = judge([_job(write_case, "marked", Computed(grads, primal=primal(2.0, np.exp(0.5))))])
    assert v.verdict == Verdict.XFAIL and v.primal is not None and v.primal.verdict == Verdict.XFAIL
    assert v.primal.bug is not None and v.gradients["x"].verdict == Verdict.PASS
    (v,) = judge([_job(write_case, "marked", Computed(grads, primal=primal(np.exp(0.5), np.exp(0.5))))])
    assert v.verdict == Verdict.STALE


# the real frameworks: a custom rule whose forward under autodiff is its own, and the honest function


def _torch_exp(sneaky: bool):
    import torch

    class Exp(torch.autograd.Function):
        """exp with its own derivative; `sneaky`: its forward gives another value where a gradient is asked for
        (ctx.needs_input_grad), as a custom rule that saves another form of its output may."""

        @staticmethod
        def forward(ctx, x):
            y = torch.exp(x)
            ctx.save_for_backward(y)
            return y * (1 + 1e-6) if sneaky and ctx.needs_input_grad[0] else y

        @staticmethod
        def backward(ctx, grad):
            (y,) = ctx.saved_tensors
            return grad * y

    return Exp.apply


def _jax_exp(sneaky: bool):
    import jax
    import jax.numpy as jnp

    @jax.custom_vjp
    def exp(x):
        return jnp.exp(x)

    def forward(x):  # jax.vjp runs this, not `exp`: its primal may differ from the function's
        y = jnp.exp(x)
        return (y * (1 + 1e-6) if sneaky else y), y

    exp.defvjp(forward, lambda y, g: (g * y,))
    return exp


CUSTOM = {"torch": _torch_exp, "jax": _jax_exp}


@pytest.mark.parametrize(
    "framework, regime",
    [
        pytest.param(fw, regime, marks=pytest.mark.skipif(not installed(fw), reason=f"{fw} not installed"))
        for fw, regime in [("torch", Regime.EAGER), ("jax", Regime.COMPILED), ("jax", Regime.EAGER)]
    ],
)
@pytest.mark.parametrize("sneaky", [False, True])
def test_a_custom_rule_whose_forward_differs_under_autodiff_fails_that_job(write_case, framework, regime, sneaky):
    """The case's exp spelled as the framework's own custom rule: the gradient is right either way; the job fails
    exactly where the value under autodiff is not the direct call's."""
    adapter = load(BUILTIN[framework])
    adapter.regime = regime
    adapter.ops("float64").functions["exp"] = CUSTOM[framework](sneaky)  # type: ignore[index]
    if framework == "jax":  # its programs are found again by the case's expression, which is exp's either way
        from conformance.adapters.jax import autodiff

        autodiff._PROGRAMS.by_key.clear()
    (case,) = [c.case for c in loader.load([write_case(CASES)])[0] if c.case.id == "exp"]
    job = Job(
        case, framework, "float64", kinds.compute(case, adapter, "float64"), versions=adapter.versions(), regime=regime
    )
    (v,) = judge([job])
    assert v.gradients["x"].verdict == Verdict.PASS
    assert v.primal is not None and v.primal.direct is not None
    assert float(v.primal.direct) == pytest.approx(np.exp(0.5), rel=1e-15)
    if sneaky:
        assert v.verdict == Verdict.FAIL and PrimalMismatch.DIRECT in v.primal.mismatches
    else:
        assert v.verdict == Verdict.PASS, v.all_failures()
        assert v.primal.direct_gap == {"max_abs": 0.0, "max_rel": 0.0}


@pytest.mark.skipif(not installed("torch"), reason="torch not installed")
def test_torchs_direct_call_records_no_graph():
    import torch

    adapter = load(BUILTIN["torch"])
    seen = []

    def fn(env):
        seen.append(torch.is_grad_enabled())
        return env["x"] * 2

    assert float(adapter.call(fn, {"x": np.asarray(1.5)}, "float64")) == 3.0
    adapter.vjp(fn, {"x": np.asarray(1.5)}, "float64", None)
    assert seen == [False, True]


@pytest.mark.parametrize(
    "framework",
    [
        pytest.param(fw, marks=pytest.mark.skipif(not installed(fw), reason=f"{fw} not installed"))
        for fw in ("torch", "tensorflow", "jax")
    ],
)
def test_the_direct_call_runs_in_each_regime_and_gives_fs_value(framework):
    adapter = load(BUILTIN[framework])
    f = lambda env: adapter.ops("float32").functions["sin"](env["x"]) * env["x"]
    x = np.array([0.25, 1.5, -2.0])
    for regime in adapter.REGIMES.spelled:
        adapter.regime = regime
        value = adapter.call(f, {"x": x}, "float32")
        assert value.dtype == np.float32
        np.testing.assert_allclose(value, np.sin(x) * x, rtol=1e-6)


class _RaisesJointly:
    """A stand-in adapter (not a framework) whose joint pullback raises, giving the contract's placeholder output."""

    def array(self, value, dtype):
        return np.asarray(value, np.float64)

    def vjp(self, fn, primals, dtype, cotangent):
        if len(primals) > 1:
            return np.asarray(np.nan), {k: Gradient("error", error="TypeError: joint") for k in primals}
        return fn(primals), {k: Gradient(VALUE, np.ones_like(v)) for k, v in primals.items()}


def test_where_the_joint_pullback_raises_the_output_is_that_of_a_pullback_that_ran():
    out, grads = kinds.vjp_per_input(
        _RaisesJointly(),  # type: ignore[arg-type]
        lambda env: env["a"] * env["b"],
        {"a": np.asarray(3.0), "b": np.asarray(2.0)},
        "float64",
        None,
    )
    assert float(out) == 6.0 and all(g.status == VALUE for g in grads.values())
    assert (
        kinds.base.primal(
            _RaisesJointly(),  # type: ignore[arg-type]
            lambda env: env["a"],
            {"a": np.asarray(1.0), "b": np.asarray(1.0)},
            "float64",
            np.asarray(np.nan),
            [Gradient("error", error="E: e")],
        )
        is None
    )


@pytest.mark.parametrize(
    "value, dtype, want",
    [
        (0.1, "float32", float(np.float32(0.1))),
        (1.0 + 2.0**-9, "bfloat16", 1.0),  # 7 bits of mantissa: to nearest
        (1.0 + 3 * 2.0**-9, "bfloat16", 1.0 + 2.0**-7),
        (1.0 + 2.0**-8, "bfloat16", 1.0),  # a tie: to even
        (np.nan, "bfloat16", np.nan),
        (0.1, "float64", 0.1),
    ],
)
def test_the_oracle_evaluates_f_at_the_inputs_the_framework_received(value, dtype, want):
    np.testing.assert_array_equal(kinds.base.as_handed(np.asarray(value), dtype), want)
