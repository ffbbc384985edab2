"""The expectation kind: its false-alarm rate, its statistical verdict, its report record, its load errors."""

from __future__ import annotations

from dataclasses import asdict

import numpy as np
import pytest

from conformance import adapters, loader, report, verdicts
from conformance.adapters import VALUE, Gradient
from conformance.kinds import Computed, ExpectationCase
from conformance.kinds.expectation import MonteCarlo, false_alarm_rate
from conformance.vocabulary import Verdict
from tests.conftest import installed

NORMAL = """
- id: square
  kind: expectation
  title: t
  why: E[x^2] = loc^2 + scale^2
  family: Normal
  params: {{loc: 1.0, scale: 2.0}}
  statistic: x**2
  draws: {draws}
  seed: 7
  dtypes: [float64]
  oracle: {oracle}
  oracle_why: w
  expected:
    loc: {{value: 2*loc, why: w}}
    scale: {{value: 2*scale, why: w}}
"""


def load_one(write_case, text: str) -> ExpectationCase:
    cases, errors = loader.load([write_case(text)])
    assert errors == []
    case = cases[0].case
    assert isinstance(case, ExpectationCase)
    return case


@pytest.mark.parametrize("k, rate", [(4.0, 6.334e-5), (1.959964, 0.05), (3.0, 2.6998e-3)])
def test_the_false_alarm_rate_is_two_sided_normal_tail(k, rate):
    assert false_alarm_rate(k) == pytest.approx(rate, rel=1e-3)


def test_mean_and_standard_error_are_per_draw_statistics():
    rows = np.array([[1.0, 0.0], [3.0, 0.0], [5.0, 3.0]])
    mc = MonteCarlo.of(rows, seed=1, k=4.0)
    np.testing.assert_allclose(mc.mean, [3.0, 1.0])
    np.testing.assert_allclose(mc.stderr, [2.0 / np.sqrt(3), np.sqrt(3.0) / np.sqrt(3)])
    assert mc.draws == 3 and mc.false_alarm_rate == pytest.approx(6.334e-5, rel=1e-3)


def _job(case: ExpectationCase, loc_mean: float, stderr: float) -> verdicts.Job:
    """A framework that reports these means and standard errors (d/dscale exact, d/dloc as given)."""
    estimates = {
        "loc": MonteCarlo(
            np.array(loc_mean), np.array(stderr), case.draws, case.seed, case.k, false_alarm_rate(case.k)
        ),
        "scale": MonteCarlo(np.array(4.0), np.array(stderr), case.draws, case.seed, case.k, false_alarm_rate(case.k)),
    }
    computed = Computed(
        {name: Gradient(VALUE, np.asarray(mc.mean)) for name, mc in estimates.items()},
        details={
            "samples": np.zeros((1, case.draws)),
            "expectation": {name: asdict(mc) for name, mc in estimates.items()},
        },
    )
    return verdicts.Job(case, "fake", "float64", computed=computed)


@pytest.mark.parametrize(
    "sigmas, verdict", [(3.9, Verdict.PASS), (-3.9, Verdict.PASS), (5.0, Verdict.FAIL), (-5.0, Verdict.FAIL)]
)
def test_a_mean_beyond_k_standard_errors_fails(write_case, sigmas, verdict):
    case = load_one(write_case, NORMAL.format(draws=4000, oracle="false"))
    stderr = 0.05
    [judged] = verdicts.judge([_job(case, 2.0 + sigmas * stderr, stderr)])
    assert judged.gradients["loc"].verdict == verdict
    assert judged.gradients["scale"].verdict == Verdict.PASS
    if verdict == Verdict.FAIL:
        assert "beyond the statistical allowance 0.2" in judged.gradients["loc"].failures[0]


def test_the_quadrature_oracle_agrees_with_the_closed_form_and_widens_by_the_spread(write_case):
    case = load_one(write_case, NORMAL.format(draws=4000, oracle="true"))
    [judged] = verdicts.judge([_job(case, 2.0 + 3.0 * 0.05, 0.05)])
    loc = judged.gradients["loc"]
    assert loc.oracle == pytest.approx(2.0, abs=1e-8) and loc.verdict == Verdict.PASS
    [judged] = verdicts.judge([_job(case, 2.0 + 5.0 * 0.05, 0.05)])
    assert any("oracle" in f for f in judged.gradients["loc"].failures)


def test_the_report_records_draws_seed_mean_error_k_and_rate(write_case, tmp_path):
    case = load_one(write_case, NORMAL.format(draws=4000, oracle="false"))
    cases, errors = loader.load([write_case(NORMAL.format(draws=4000, oracle="false"))])
    built = report.build(verdicts.judge([_job(case, 2.01, 0.05)]), cases, errors, ["fake"])
    path = tmp_path / "r.json"
    report.write(built, path)
    again = report.read(path)
    assert again == built
    loc = again.jobs[0].details["expectation"]["loc"]
    assert loc == {
        "mean": 2.01,
        "stderr": 0.05,
        "draws": 4000,
        "seed": 7,
        "k": 4.0,
        "false_alarm_rate": pytest.approx(6.334e-5, rel=1e-3),
    }
    assert "samples" not in again.jobs[0].details


class _Biased:
    """The torch adapter whose sampler's path derivative is scaled by (1 + bias): its E[d x^2/dloc] is off."""

    def __init__(self, bias: float) -> None:
        self.inner, self.bias = adapters.load("conformance.adapters.torch:TorchAdapter"), bias

    def __getattr__(self, name: str):
        return getattr(self.inner, name)

    def sample(self, family, params, n, seed):
        x = self.inner.sample(family, params, n, seed)
        return x + self.bias * (params["loc"] - params["loc"].detach())


@pytest.mark.skipif(not installed("torch"), reason="torch not installed")
def test_a_biased_framework_sampler_fails_and_the_real_one_passes(write_case):
    from conformance import kinds

    case = load_one(write_case, NORMAL.format(draws=2000, oracle="false"))
    real = _Biased(0.0)
    computed = kinds.compute(case, real, "float64")  # type: ignore[arg-type]
    stderr = float(computed.details["expectation"]["loc"]["stderr"])
    assert [verdicts.judge([verdicts.Job(case, "torch", "float64", computed=computed)])[0].verdict] == [Verdict.PASS]
    # d/dloc E[x^2] = 2 loc (1 + bias): a bias of 10 standard errors of the mean
    biased = kinds.compute(case, _Biased(10 * stderr / 2.0), "float64")  # type: ignore[arg-type]
    [judged] = verdicts.judge([verdicts.Job(case, "torch", "float64", computed=biased)])
    assert judged.gradients["loc"].verdict == Verdict.FAIL
    assert judged.gradients["scale"].verdict == Verdict.PASS


BASE = (
    "id: x\nkind: expectation\ntitle: t\nwhy: w\nfamily: Normal\nparams: {loc: 0.0, scale: 1.0}\n"
    "statistic: x\nexpected: {}\n"
)


@pytest.mark.parametrize(
    "text, line, fragment",
    [
        (BASE.replace("statistic: x\n", "statistic: sum(x)\n"), 7, "it must keep each draw's shape"),
        (BASE.replace("statistic: x\n", "statistic: y\n"), 7, "unknown name 'y'"),
        (BASE.replace("family: Normal", "family: Nope"), 5, "no expectation support for family 'Nope'"),
        (BASE.replace("params: {loc: 0.0, scale: 1.0}", "params: {loc: 0.0}"), 6, "Normal takes params loc, scale"),
        (BASE + "draws: 1\n", 9, "draws: Input should be greater than or equal to 2"),
        (BASE + "k: 0\n", 9, "k: Input should be greater than 0"),
        (BASE + "estimator: both\n", 9, "estimator: Input should be 'path' or 'score'"),
        (
            "id: x\nkind: expectation\ntitle: t\nwhy: w\nfamily: Dirichlet\nparams: {concentration: [1.0, 2.0]}\n"
            "statistic: x\nexpected: {}\n",
            1,
            "Dirichlet has no quadrature oracle: set oracle: false",
        ),
        (
            "id: x\nkind: expectation\ntitle: t\nwhy: w\nfamily: Dirichlet\nparams: {concentration: [1.0, 2.0]}\n"
            "statistic: x\nestimator: score\noracle: false\noracle_why: w\nexpected: {}\n",
            8,
            "the score estimator needs a univariate family",
        ),
        (BASE.replace("scale: 1.0", "scale: -1.0"), 6, "Normal cannot take these params"),
        (BASE.replace("expected: {}", "expected: {loc: {value: '[1, 2]', why: w}}"), 8, "must broadcast"),
    ],
)
def test_bad_fields_are_load_errors_with_file_and_line(write_case, text, line, fragment):
    path = write_case(text)
    _, errors = loader.load([path])
    assert len(errors) == 1, errors
    assert errors[0].file == str(path) and errors[0].line == line, errors[0]
    assert fragment in errors[0].message


def test_the_docs_page_states_the_expectation_its_statistic_n_and_k(write_case):
    from conformance.docs import site

    case = load_one(write_case, NORMAL.format(draws=4000, oracle="false"))
    page = site.Page(id=case.id, title=case.title, kind=case.kind, why=case.why, file="f", line=1, topic="t", tags=[])
    site._describe(page, case)
    tex = page.math[0]["tex"]
    assert r"\mathbb{E}_{x \sim \mathrm{Normal}" in tex and "n = 4000" in tex and "k = 4" in tex


def test_a_parameter_shared_by_the_batch_gets_each_draws_gradient_summed_over_the_batch():
    from conformance.kinds.expectation import _per_draw, _tiled

    tiled = _tiled({"df": np.array([3.0, 5.0]), "loc": np.array(0.5)}, 4)
    assert tiled["df"].shape == tiled["loc"].shape == (4, 2)  # every draw's own copy, over the whole batch
    grads = np.arange(8.0).reshape(4, 2)
    np.testing.assert_array_equal(_per_draw(grads, ()), [1.0, 5.0, 9.0, 13.0])
    np.testing.assert_array_equal(_per_draw(grads, (1,)), [[1.0], [5.0], [9.0], [13.0]])
    np.testing.assert_array_equal(_per_draw(grads, (2,)), grads)
