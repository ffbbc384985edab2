"""The mle kind: its references against known closed forms, its loader errors, and what a fit reports."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
from scipy import special

from conformance import loader, report, verdicts
from conformance.families import LIKELIHOODS
from conformance.kinds import mle

CASES: dict[str, mle.MleCase] = {
    c.case.id: c.case for c in loader.load([loader.LIBRARY / "mle"])[0] if isinstance(c.case, mle.MleCase)
}
HEAD = "id: x\nkind: mle\ntitle: t\nwhy: w\n"  # lines 1-4; the case's own keys start on line 5


def test_the_normal_reference_is_the_sample_mean_and_the_biased_std():
    case = CASES["normal-mle-lbfgs"]
    x = mle.mle_data(case).observed
    want = mle.expected_estimates(case)
    assert np.isclose(want["mu"], np.mean(x), rtol=1e-15) and np.isclose(want["log_sigma"], np.log(np.std(x)))
    assert not np.isclose(want["log_sigma"], np.log(np.std(x, ddof=1)), rtol=1e-6, atol=0)


def test_the_gamma_concentration_solves_the_digamma_equation_and_scipy_agrees():
    x = mle.mle_data(CASES["gamma-mle-lbfgs"]).observed
    a = LIKELIHOODS["Gamma"].statistics["concentration_mle"](x)
    assert abs(np.log(a) - special.digamma(a) - (np.log(np.mean(x)) - np.mean(np.log(x)))) < 1e-14
    closed = mle.expected_estimates(CASES["gamma-mle-lbfgs"])
    # the same fit with no `expected`: SciPy's BFGS optimum of the NumPy likelihood lands on the closed form
    numeric = CASES["gamma-mle-lbfgs"].model_copy(update={"expected": None})
    found = mle.reference_fit(numeric)
    assert found.gradient_norm < 1e-9 and found.curvature > 0
    for name in closed:
        assert abs(found.estimates[name] - closed[name]) < 1e-8, name


def test_the_mvn_reference_rebuilds_the_biased_sample_covariance():
    case = CASES["mvn3-full-covariance-lbfgs"]
    x, free = mle.mle_data(case).observed, mle.expected_estimates(case)["l"]
    factor = np.array([[np.exp(free[0]), 0, 0], [free[1], np.exp(free[2]), 0], [free[3], free[4], np.exp(free[5])]])
    np.testing.assert_allclose(factor @ factor.T, np.cov(x, rowvar=False, bias=True), rtol=1e-12)


@pytest.mark.parametrize(
    "cid, mean", [("poisson-regression-lbfgs", np.exp), ("logistic-regression-lbfgs", special.expit)]
)
def test_the_regressions_scipy_reference_zeroes_the_score(cid, mean):
    """No closed form, but the optimum's score equation is known: X^T (y - E[y | X]) = 0."""
    case = CASES[cid]
    drawn = mle.mle_data(case)
    x, y = drawn.covariates["X"], drawn.observed
    assert x.shape == (case.samples, 3) and np.all(x[:, 0] == 1) and y.shape == (case.samples,)
    beta = mle.expected_estimates(case)["beta"]
    assert np.max(np.abs(x.T @ (y - mean(x @ beta)))) / case.samples < 1e-9
    assert np.max(np.abs(beta - np.asarray(mle.values(case, "truth", case.truth)["beta"]))) > 1e-3  # not the truth


def test_the_derived_tolerance_is_wider_in_float32_and_a_stated_one_wins():
    lbfgs, adam = CASES["normal-mle-lbfgs"], CASES["normal-mle-adam"]
    assert mle.estimate_tolerance(lbfgs, "float32") > 100 * mle.estimate_tolerance(lbfgs, "float64") > 0
    assert mle.estimate_tolerance(adam, "float32") == mle.estimate_tolerance(adam, "float64") == 1e-5


@pytest.mark.parametrize(
    "body, line, fragment",
    [
        (
            "family: Normal\nmodel: {loc: m, scale: s}\ntruth: {m: 0, s: 1}\nparameters: {m: 0, s: 1}\n"
            "optimizer: sgd\n",
            9,
            "optimizer: Input should be 'lbfgs' or 'adam'",
        ),
        (
            "family: Normal2\nmodel: {loc: m, scale: s}\ntruth: {m: 0, s: 1}\nparameters: {m: 0, s: 1}\n",
            5,
            "no MLE support for family 'Normal2'",
        ),
        (
            "family: Normal\nmodel: {loc: m, scale: s}\ntruth: {m: 0, s: 1}\nparameters: {m: 0, s: 1}\n"
            "optimizer: adam\n"
            "learning_rate: 0.1\n",
            9,
            "state estimate_tolerance",
        ),
        (
            "family: Normal\nmodel: {loc: m, scale: s}\ntruth: {m: 0, s: 1}\nparameters: {m: 0, s: 1}\n"
            "learning_rate: 0.1\n",
            9,
            "L-BFGS takes no learning_rate",
        ),
        (
            "family: Normal\nmodel: {loc: m, scale: s}\ntruth: {m: 0, s: 1}\nparameters: {m: 0, s: 1}\n"
            "optimizer: adam\n"
            "estimate_tolerance: 0.1\n",
            9,
            "Adam takes a learning_rate",
        ),
        (
            "family: StudentT\nmodel: {df: '4.0', loc: m, scale: s}\ntruth: {m: 0, s: 1}\nparameters: {m: 0, s: 1}\n"
            "expected: {m: {value: sample_mean, why: w}, s: {value: 1, why: w}}\n",
            9,
            "StudentT has no closed-form MLE",
        ),
        (
            "family: Poisson\nmodel: {rate: 'exp(matmul(X, b))'}\ntruth: {b: [0, 1]}\nparameters: {b: [0, 0]}\n",
            6,
            "unknown name 'X'",
        ),
    ],
)
def test_a_bad_optimizer_family_or_reference_is_a_load_error_with_file_and_line(write_case, body, line, fragment):
    path = write_case(HEAD + body)
    errors = [str(e) for e in loader.load([path])[1]]
    assert any(e.startswith(f"{path}:{line}: ") and fragment in e for e in errors), errors


@pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="torch not installed")
def test_the_report_carries_each_fits_iterations_and_distance():
    from conformance.adapters import BUILTIN, load

    case = CASES["normal-mle-lbfgs"]
    computed = mle._compute_mle(case, load(BUILTIN["torch"]), "float64")
    job = verdicts.Job(case, "torch", "float64", computed)
    record = report._job(verdicts.judge_job(job, mle.reference(case)))
    assert 0 < record.details["iterations"] <= len(record.details["history"])  # torch: a loss per evaluation
    assert record.details["optimizer"] == "lbfgs"
    for name, estimate in record.estimates.items():
        value, want, distance, tolerance = (
            float(np.asarray(v, np.float64))
            for v in (estimate.value, estimate.expected, estimate.max_abs, estimate.tolerance)
        )
        assert distance == pytest.approx(abs(value - want), abs=1e-15) and distance <= tolerance
        assert tolerance == mle.estimate_tolerance(case, "float64"), name
    assert record.verdict == "pass"
