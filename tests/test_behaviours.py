"""Each new case kind end to end, in-process, on every installed framework: behaviour, jvp, hvp,
implicit reparameterization, per-framework conventions, and known divergences (xfail / stale)."""

from __future__ import annotations

import numpy as np
import pytest

from conformance import kinds, loader, verdicts
from conformance.adapters import BUILTIN, DISCONNECTED, ERROR, VALUE, load
from tests.conftest import framework_params


@pytest.fixture(scope="module", params=framework_params())
def adapter(request):
    return load(BUILTIN[request.param])


def _verdict(adapter, path, dtype="float64"):
    (loaded,), errors = loader.load_file(path)
    assert not errors
    case = loaded.case
    job = verdicts.Job(case, adapter.name, dtype, kinds.compute(case, adapter, dtype), versions=adapter.versions())
    return verdicts.judge([job])[0]


def test_behaviour_accumulation_is_checked_per_framework(adapter, write_case):
    path = write_case("""
        id: acc
        kind: behaviour
        scenario: gradients_accumulate
        title: t
        why: w
        outcomes: {torch: {outcome: ok, why: w}, tensorflow: {outcome: ok, why: w}, jax: {outcome: ok, why: w}}
        expected:
          twice_a: {value: 3, why: w, conventions: {torch: {value: 6, why: w, link: "https://example.org/acc"}}}
    """)
    assert _verdict(adapter, path).verdict == ("convention" if adapter.name == "torch" else "pass")
    wrong = write_case(path.read_text().replace("value: 6", "value: 9").replace("value: 3", "value: 5"), "wrong.yaml")
    verdict = _verdict(adapter, wrong)
    assert verdict.verdict == "fail" and verdict.gradients["twice_a"].failures


def test_behaviour_outcome_and_error_are_checked(adapter, write_case):
    path = write_case("""
        id: vec
        kind: behaviour
        scenario: vector_gradient_for_scalar
        title: t
        why: w
        outcomes:
          torch: {outcome: raises, error: "Mismatch in shape", why: w}
          tensorflow: {outcome: raises, error: "InvalidArgumentError", why: w}
          jax: {outcome: raises, error: "ValueError", why: w}
        expected:
          a: {status: error, why: w}
    """)
    assert _verdict(adapter, path).verdict == "pass"
    wrong = write_case(path.read_text().replace("outcome: raises", "outcome: ok"), "wrong.yaml")
    verdict = _verdict(adapter, wrong)
    assert verdict.verdict == "fail" and any("outcome: expected ok, got raises" in m for m in verdict.failures)


def test_scenario_observations(adapter):
    observed = adapter.behaviour("rebuilt_tensor_cuts_graph", "float64")
    np.testing.assert_allclose(observed["gradients"]["stacked_s0"].value, 3.6)
    assert observed["gradients"]["rebuilt_s0"].status in (DISCONNECTED, ERROR)
    with pytest.raises(NotImplementedError):
        adapter.behaviour("no_such_scenario", "float64")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_jvp_forward_and_reverse_agree_with_the_closed_form(adapter, write_case, dtype):
    path = write_case("""
        id: j
        kind: jvp
        title: t
        why: w
        inputs: {x: [0.3, 1.0], y: 2.0}
        tangent: {x: [1.0, 0.5], y: 1.0}
        function: sin(x) * y
        expected:
          jvp: {value: "cos(x) * [1.0, 0.5] * y + sin(x)", why: w}
    """)
    verdict = _verdict(adapter, path, dtype)
    assert verdict.verdict == "pass", verdict.all_failures()
    assert set(verdict.gradients) == {"jvp", "jvp_reverse"}
    np.testing.assert_allclose(verdict.gradients["jvp"].value, verdict.gradients["jvp_reverse"].value, rtol=1e-5)
    wrong = write_case(path.read_text().replace("+ sin(x)", "+ 2 * sin(x)"), "wrong.yaml")
    assert _verdict(adapter, wrong, dtype).verdict == "fail"


def test_hvp_matches_closed_form_and_oracle(adapter, write_case):
    path = write_case("""
        id: h
        kind: hvp
        title: t
        why: w
        inputs: {x: [0.3, 1.0], y: 2.0}
        tangent: {x: [1.0, 0.5], y: 1.0}
        function: sum(sin(x)) * y**2
        expected:
          x: {value: "-sin(x) * y**2 * [1.0, 0.5] + 2*y*cos(x)", why: w}
    """)
    verdict = _verdict(adapter, path)
    assert verdict.verdict == "pass", verdict.all_failures()
    of_y = [g for g in verdict.gradients.values() if g.of == "y"]
    assert len(of_y) == 3 * len(type(adapter).DIRECTIONAL_APIS)  # y's H v by each composition of each API
    assert all(g.oracle is not None for g in of_y)  # checked against the mixed second difference too
    wrong = write_case(path.read_text().replace("+ 2*y*cos(x)", "+ y*cos(x)"), "wrong.yaml")
    assert _verdict(adapter, wrong).verdict == "fail"


def test_implicit_gamma_matches_the_cdf_oracle(adapter, write_case):
    path = write_case("""
        id: g
        kind: implicit
        title: t
        why: w
        family: Gamma
        params: {concentration: [0.7, 2.0, 9.0], rate: 1.0}
        tolerance: {float64: {rtol: 1.0e-4, atol: 1.0e-9}}
        expected:
          rate: {value: "-sum(x)", why: w}
        divergences:
          - framework: tensorflow
            gradients: [primal]
            issue: "https://github.com/tensorflow/probability/blob/v0.25.0/tensorflow_probability/python/distributions/gamma.py#L517-L545"
            why: TFP's Gamma sampler draws other samples from the same seed under a GradientTape
    """)
    verdict = _verdict(adapter, path)
    # TF's primal is its known bug (the library's gamma-implicit carries the same mark); every gradient passes
    assert verdict.verdict == ("xfail" if adapter.name == "tensorflow" else "pass"), verdict.all_failures()
    assert all(g.verdict == "pass" for g in verdict.gradients.values())
    g = verdict.gradients["concentration"]
    assert g.status == VALUE and g.value.shape == (3,) and np.all(g.value > 0)  # larger a, larger samples


def test_a_subgradient_convention_is_shown_as_one_and_goes_stale_when_it_stops(adapter, write_case):
    path = write_case("""
        id: m
        kind: grad
        title: t
        why: w
        oracle: false
        oracle_why: a tie
        inputs: {x: 1.0, y: 1.0}
        function: maximum(x, y)
        expected:
          x: {value: 0.5, why: w, conventions: {tensorflow: {value: 1, why: w, link: "https://example.org/tie"}}}
    """)
    verdict = _verdict(adapter, path)
    assert verdict.verdict == ("convention" if adapter.name == "tensorflow" else "pass")
    # recorded for the wrong framework: the one that does split the tie evenly
    other = "jax" if adapter.name == "tensorflow" else adapter.name
    stale = write_case(path.read_text().replace("tensorflow: {value: 1", f"{other}: {{value: 1"), "stale.yaml")
    verdict = _verdict(adapter, stale)
    if adapter.name == "tensorflow":  # a value that is neither the math nor a recorded convention
        assert verdict.verdict == "fail"
    else:
        assert verdict.verdict == "stale" and "remove the recorded convention" in verdict.gradients["x"].failures[0]


def test_nan_expected_where_the_untaken_branch_poisons_the_gradient(adapter, write_case):
    path = write_case("""
        id: w
        kind: grad
        title: t
        why: w
        oracle: false
        oracle_why: log is undefined left of 0
        inputs: {x: [0.0, 2.0]}
        function: sum(where(x > 0, log(x), 0))
        expected:
          x: {value: "[nan, 0.5]", why: w}
    """)
    verdict = _verdict(adapter, path)
    assert verdict.verdict == "pass" and verdict.gradients["x"].cls == "nan"


@pytest.mark.parametrize("versions, verdict", [("", "xfail"), ("<0.0.1", "fail")])
def test_known_divergence_turns_a_failure_into_xfail_only_in_its_version_range(adapter, write_case, versions, verdict):
    path = write_case(f"""
        id: d
        kind: grad
        title: t
        why: w
        divergences: [{{framework: {adapter.name}, versions: "{versions}", issue: "https://example.org/1", why: w}}]
        inputs: {{x: 1.0}}
        function: 3 * x
        expected:
          x: {{value: 4, why: deliberately wrong}}
    """)
    assert _verdict(adapter, path).verdict == verdict


def test_a_stale_divergence_mark_fails_as_stale(adapter, write_case):
    path = write_case(f"""
        id: s
        kind: grad
        title: t
        why: w
        divergences: [{{framework: {adapter.name}, issue: "https://example.org/1", why: w}}]
        inputs: {{x: 1.0}}
        function: 3 * x
        expected:
          x: {{value: 3, why: right}}
    """)
    verdict = _verdict(adapter, path)
    assert verdict.verdict == "stale" and any("remove its divergence mark" in m for m in verdict.failures)


def test_a_raising_gradient_does_not_take_the_others_with_it(adapter):
    """jax.scipy.stats.gumbel_r.logpdf raises when differentiated in scale; loc still gets its own value."""
    cases, _ = loader.load_file(loader.LIBRARY / "reparam" / "location-scale.yaml")
    case = next(c.case for c in cases if c.case.id == "gumbel-reparam")
    job = verdicts.Job(
        case, adapter.name, "float64", kinds.compute(case, adapter, "float64"), versions=adapter.versions()
    )
    (verdict,) = verdicts.judge([job])
    assert verdict.gradients["loc"].status == VALUE and verdict.gradients["loc"].verdict == "pass"
    if adapter.name == "jax":
        assert verdict.gradients["scale"].status == ERROR and verdict.gradients["scale"].verdict == "xfail"
    else:
        assert verdict.verdict == "pass"


def test_only_the_scenarios_modules_own_public_functions_are_scenarios(adapter):
    """An import (`numpy`, `observed`) or a helper (`_sine_loss`) in scenarios.py is not a scenario to run."""
    for name in ("observed", "failed", "_sine_loss", "not_a_scenario"):
        with pytest.raises(NotImplementedError, match=f"has no scenario '{name}'"):
            adapter.behaviour(name, "float64")
