"""Coverage counts the functions a case's function calls (operators by the Array API's names), not its math."""

import json
import subprocess
import sys

from conformance import coverage, loader
from conformance.functions import FUNCTIONS, Domain
from tests.conftest import REPO
from tests.fake_reports import build, load, run

CASES = """
- {id: angle, kind: grad, title: t, why: w, inputs: {y: 1.0, x: 2.0}, function: "atan2(y, x) * 2",
   expected: {y: {value: "2 * x / (x**2 + y**2)", why: algebra}}}
"""


def rows(measured: coverage.Coverage) -> dict[str, coverage.Row]:
    return {row.name: row for row in measured.rows}


def test_a_case_covers_the_functions_and_operators_it_calls_on_every_framework(tmp_path):
    measured = rows(coverage.measure(load(tmp_path, CASES), ["a", "b"]))
    assert measured["atan2"].covered("a") and measured["atan2"].covered("b")
    assert measured["multiply"].covered("a")
    assert not measured["divide"].covered("a")  # only in the expected value: the math, not what is tested
    assert not measured["atan2"].covered("a", Domain.COMPLEX)
    assert not measured["equal"].differentiable and measured["equal"].cases == {}
    assert measured["xlog1py"].source == "scipy.special"


def test_with_a_report_only_jobs_that_ran_count(tmp_path):
    cases = load(tmp_path, CASES)
    report = build(cases, run(cases, ("fake", "broken")), ("fake", "broken"))
    measured = rows(coverage.measure(cases, ["fake", "broken"], report))
    assert measured["atan2"].covered("fake") and not measured["atan2"].covered("broken")


def test_the_library_figure_and_the_formats_agree():
    measured = coverage.measure(loader.load([loader.LIBRARY])[0], ["torch", "tensorflow", "jax"])
    covered, total = measured.share(measured.array_api())
    assert total == len(coverage.array_api.differentiable()) and 0 < covered <= total
    data = json.loads(measured.to_json())
    assert (data["array_api_differentiable_covered"], data["array_api_differentiable"]) == (covered, total)
    assert measured.markdown().startswith(f"{covered} of {total} differentiable functions")
    cli = subprocess.run(
        [sys.executable, "-m", "conformance", "coverage", "--format", "json"], cwd=REPO, capture_output=True, text=True
    )
    assert cli.returncode == 0 and json.loads(cli.stdout)["array_api_differentiable_covered"] == covered


def test_every_linear_algebra_manipulation_and_sorting_function_of_the_table_has_a_case_on_every_framework():
    """A function added to these categories of the standard without a case fails here, those returning a tuple
    (selected at once, `svd(A)[0]`) included."""
    frameworks = ["torch", "tensorflow", "jax"]
    measured = rows(coverage.measure(loader.load([loader.LIBRARY])[0], frameworks))
    categories = ("linear algebra", "manipulation", "sorting", "linalg extension")
    ours = [
        f.name
        for f in coverage.array_api.FUNCTIONS
        if f.category in categories and f.name.removeprefix("linalg.") in FUNCTIONS
    ]
    tuples = ["linalg.slogdet", "linalg.qr", "linalg.eigh", "linalg.svd", "unstack", "broadcast_arrays"]
    assert {"matmul", "concat", "sort", "linalg.matrix_norm", *tuples} <= set(ours)  # the filter finds them
    assert [name for name in [*ours, "meshgrid"] if not all(measured[name].covered(fw) for fw in frameworks)] == []
    assert all(measured["top_k"].covered(fw) for fw in frameworks) and measured["top_k"].source == "extension"


def test_the_indexing_data_type_and_remaining_real_functions_have_a_case_on_every_framework():
    """Issue 9's breadth: the indexing functions (with integer index data), where with a boolean mask, astype, and
    the real functions that were in the table but in no case."""
    frameworks = ["torch", "tensorflow", "jax"]
    measured = rows(coverage.measure(loader.load([loader.LIBRARY])[0], frameworks))
    names = [
        "take",
        "take_along_axis",
        "where",
        "triu",
        "tril",
        "diff",
        "positive",
        "astype",
        "cos",
        "atanh",
        "square",
        "mean",
        "prod",
        "sigmoid",
    ]
    assert [name for name in names if not all(measured[name].covered(fw) for fw in frameworks)] == []


def test_every_function_declaring_the_complex_domain_has_a_complex_case_on_every_framework():
    """A function of the table that takes complex values (its record's domains) without a complex case on some
    framework fails here: issue 9's complex coverage (complex-elementwise.yaml, complex.yaml, fft.yaml)."""
    frameworks = ["torch", "tensorflow", "jax"]
    measured = coverage.measure(loader.load([loader.LIBRARY])[0], frameworks)
    by_name = {coverage._ours(row.name): row for row in measured.rows}
    complex_ones = [f.name for f in FUNCTIONS.values() if Domain.COMPLEX in f.domains]
    assert {"acosh", "sign", "round", "where", "stop_gradient", "irfftn", "fftshift"} <= set(complex_ones)
    assert [
        name for name in complex_ones if not all(by_name[name].covered(fw, Domain.COMPLEX) for fw in frameworks)
    ] == []


def test_the_neural_network_functions_are_a_source_of_their_own_with_a_case_on_every_framework():
    """Issue 20: the functions people differentiate most. Coverage lists the activations and normalizations as a third
    source ("nn") after the Array API and scipy.special, and each has a case on every framework."""
    frameworks = ["torch", "tensorflow", "jax"]
    measured = coverage.measure(loader.load([loader.LIBRARY])[0], frameworks)
    sources = [row.source for row in measured.rows if not row.source.startswith("array-api")]
    assert sources == sorted(sources, key=["scipy.special", "nn", "extension"].index)  # grouped, in that order
    nn = {row.name: row for row in measured.rows if row.source == "nn"}
    assert {"softmax", "log_softmax", "logit", "i0", "i1"} & set(nn) == set()  # scipy.special's names stay there
    assert {
        "gelu",
        "silu",
        "elu",
        "selu",
        "celu",
        "leaky_relu",
        "relu6",
        "hardtanh",
        "softsign",
        "log_sigmoid",
        "normalize",
        "layer_norm",
        "relu",
        "sigmoid",
        "softplus",
    } == set(nn)
    assert [name for name, row in nn.items() if not all(row.covered(fw) for fw in frameworks)] == []
    by_name = rows(measured)
    assert by_name["cholesky_inverse"].source == "extension" and by_name["logit"].source == "scipy.special"
