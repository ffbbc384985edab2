"""Complex dtypes end to end, without a framework: values in case files, the oracle, the tolerance rule, the report."""

import json

import numpy as np
import pytest

from conformance import expr, kinds, loader, oracle, report, tolerance
from conformance.adapters import CONJUGATE_WIRTINGER, VALUE, WIRTINGER, Gradient
from conformance.model import DEFAULT_TOLERANCE
from conformance.verdicts import Job, judge
from conformance.vocabulary import Class, Verdict

CASE = """
id: cx
kind: {kind}
title: t
why: w
dtypes: {dtypes}
inputs: {{z: {inputs}}}
function: {function}
"""


def load_one(write_case, **fields):
    values = {
        "kind": "grad",
        "dtypes": "[complex64, complex128]",
        "inputs": "[1+2j, -0.5+0.25j]",
        "function": "sum(abs(z)**2)",
    } | fields
    text = CASE.format(**values) + "".join(f"{k}: {v}\n" for k, v in fields.get("extra", {}).items())
    cases, errors = loader.load([write_case(text)])
    return cases, [str(e) for e in errors]


def test_an_imaginary_literal_is_a_complex_constant():
    parsed = expr.parse("[1 + 2j, -0.5j]")
    assert parsed.complex and not expr.parse("[1, 2]").complex
    np.testing.assert_array_equal(oracle.evaluate(parsed), [1 + 2j, -0.5j])
    with pytest.raises(expr.ExprError, match="not finite"):
        expr.parse("1e999j")


def test_a_complex_case_loads_with_complex128_inputs(write_case):
    cases, errors = load_one(write_case)
    assert errors == []
    case = cases[0].case
    assert case.complex and not case.complex_output
    assert kinds.base.values(case, "inputs", case.inputs)["z"].dtype == np.complex128


@pytest.mark.parametrize(
    "fields, fragment",
    [
        (
            {"dtypes": "[float32, float64]"},
            "a complex number (an imaginary literal such as 1j) in a case that runs in "
            "float32, float64: give it dtypes: [complex64, complex128]",
        ),
        ({"dtypes": "[float64, complex128]"}, "mix real and complex"),
        ({"function": "sum(z * z)"}, "a grad case differentiates a real loss, and this function's value is complex"),
        ({"kind": "hvp", "function": "sum(abs(z)**2)", "extra": {"tangent": "{z: [1, 1]}"}}, "hvp case runs in real"),
        (
            {"kind": "vjp", "function": "abs(z)", "extra": {"cotangent": "[1j, 1]"}},
            "a complex cotangent for a function whose value is real",
        ),
    ],
)
def test_bad_complex_cases_are_load_errors_that_say_why(write_case, fields, fragment):
    cases, errors = load_one(write_case, **fields)
    assert cases == [] and any(fragment in e for e in errors), errors


def test_a_complex_dtype_takes_its_components_tolerance():
    assert tolerance.real_dtype("complex64") == "float32" and tolerance.real_dtype("float64") == "float64"
    case = loader.load([loader.LIBRARY / "vjp"])[0][0].case
    assert case.tolerance_for("complex128") == DEFAULT_TOLERANCE["float64"]


def test_the_oracle_differences_the_real_and_imaginary_parts():
    z = np.array([1 + 2j, -0.5 + 0.25j])
    v = np.array([0.3 - 1j, 2 + 0.5j])
    # |z|^2 = x^2 + y^2: 2x + 2iy = 2z
    grad, bound = oracle.finite_differences(lambda env: np.abs(env["z"]) ** 2, {"z": z})["z"]
    np.testing.assert_allclose(grad, 2 * z, atol=1e-9)
    assert bound.dtype == np.float64 and np.all(bound < 1e-8)
    # Re(conj(v) exp(z)), holomorphic: the gradient is v conj(exp'(z)) = v conj(exp(z))
    grad, _ = oracle.finite_differences(lambda env: np.real(np.conj(v) * np.exp(env["z"])), {"z": z})["z"]
    np.testing.assert_allclose(grad, v * np.conj(np.exp(z)), atol=1e-9)


def test_the_tolerance_rule_measures_the_modulus():
    assert tolerance.within(1 + 1e-13j, 1.0, "complex128", 0.0, 1e-12)
    assert not tolerance.within(1 + 1e-11j, 1.0, "complex128", 0.0, 1e-12)  # the imaginary part counts
    assert not tolerance.within(np.conj([1 + 2j]), [1 + 2j], "complex64", 1e-5, 1e-6)
    assert tolerance.errors([3 + 4j], [0j])["max_abs"] == 5.0
    assert tolerance.classify([1 + 1j, complex(0, np.nan)], None) == Class.NAN
    assert tolerance.classify([0j], None) == Class.EXACT_ZERO
    assert tolerance.short(1 + 2j) == "1+2j"


def test_a_report_carries_complex_values_as_their_parts_and_reads_them_back(write_case, tmp_path):
    cases = load_one(write_case)[0]
    case = cases[0].case
    z = np.array([1 + 2j, -0.5 + 0.25j])
    given = Gradient(VALUE, 2 * z, raw=np.conj(2 * z), convention=WIRTINGER)
    job = Job(case, "jax", "complex128", kinds.Computed({"z": given}), versions={"jax": "0"})
    verdict = judge([job])[0]
    assert verdict.verdict == Verdict.PASS, verdict.all_failures()
    path = tmp_path / "r.json"
    report.write(report.build([verdict], cases, [], ["jax"]), path)
    written = json.loads(path.read_text())["jobs"][0]["gradients"]["z"]
    assert written["value"] == {"re": [2.0, -1.0], "im": [4.0, 0.5]}
    assert written["raw"] == {"re": [2.0, -1.0], "im": [-4.0, -0.5]}
    assert written["complex_convention"]["link"] == WIRTINGER.link
    read = report.read(path)
    back = read.jobs[0].gradients["z"]
    np.testing.assert_array_equal(tolerance.numeric(back.value), 2 * z)
    np.testing.assert_allclose(tolerance.numeric(back.oracle), 2 * z, atol=1e-9)
    from conformance import summary  # the terminal names each framework's convention

    assert summary.complex_lines(read) == [f"complex gradients, jax: {WIRTINGER.why} ({WIRTINGER.link})"]
    from conformance.docs import site  # the case page shows the raw answer beside the mapped one

    page = site.Page("cx", "t", "grad", "w", "f", 1, "array-api", [], dtypes=["complex128"])
    site._results(page, read.jobs, read)
    assert any(
        n.startswith("z: the framework's raw answer [2-4j, -1-0.5j]") and WIRTINGER.link in n
        for n in page.results[0].notes
    ), page.results[0].notes


def test_the_conventions_say_which_framework_conjugates():
    assert not CONJUGATE_WIRTINGER.conjugated and WIRTINGER.conjugated
    assert "docs.pytorch.org" in CONJUGATE_WIRTINGER.link and "docs.jax.dev" in WIRTINGER.link


def test_a_real_case_may_differentiate_a_complex_valued_function_with_a_complex_cotangent(write_case):
    cases, errors = load_one(
        write_case,
        kind="vjp",
        dtypes="[float32, float64]",
        inputs="[1.0, 2.0, -0.5, 0.25]",
        function="rfft(z)",
        extra={"cotangent": "[1, 1j, 0]"},
    )
    assert errors == [] and cases[0].case.complex_output and not cases[0].case.complex
    cases, errors = load_one(write_case, dtypes="[float64]", inputs="[1.0, 2.0]", function="sum(fft(z))")
    assert any("a grad case differentiates a real loss" in e for e in errors), errors


def test_the_oracle_gives_the_vjp_of_a_real_to_complex_function():
    """rfft-vjp's algebra: with v = [1, i, 0], Re(conj(v) . rfft(x)) = Re X_0 + Im X_1, gradient [1, 0, 1, 2]."""
    v = np.array([1, 1j, 0])
    grad, _ = oracle.finite_differences(
        lambda env: np.real(np.conj(v) * np.fft.rfft(env["x"])), {"x": np.array([1.0, 2.0, -0.5, 0.25])}
    )["x"]
    np.testing.assert_allclose(grad, [1, 0, 1, 2], atol=1e-9)


def test_coverage_counts_complex_cases_and_the_fft_extension():
    from conformance import coverage

    measured = {r.name: r for r in coverage.measure(loader.load([loader.LIBRARY])[0], ["torch"]).rows}
    for name in ("conj", "real", "imag", "fft.fft", "fft.irfft", "fft.fftn", "fft.fftshift"):
        assert measured[name].cases["torch"], name
    assert measured["imag"].cases["torch"].get("complex") and not measured["imag"].cases["torch"].get("real")


def test_the_docs_write_complex_numbers_as_python_and_latex_do():
    from conformance.docs import snippets, syntax

    assert [syntax.format_number(v) for v in (2j, 1 - 2j, -0.5 + 0.25j)] == ["2j", "(1-2j)", "(-0.5+0.25j)"]
    assert eval(syntax.format_number(complex(3, -1))) == 3 - 1j  # reads back as the same number
    assert syntax.latex(expr.parse("z * 2j + 1j", {"z"})) == r"z \cdot 2i + i"
    rfft = loader.load([loader.LIBRARY / "array-api" / "fft.yaml"])[0]
    code = snippets.snippets(next(c.case for c in rfft if c.case.id == "rfft-vjp"))["jax"].code
    # JAX's convention written out, and the cotangent in the output's dtype (complex128 here), as JAX requires
    assert "pullback(jnp.conj(v))" in code and "dtype=y.dtype" in code


def test_compare_sees_a_complex_gradient_move_in_its_imaginary_part(write_case, tmp_path):
    from conformance import regress

    cases = load_one(write_case)[0]
    case = cases[0].case
    z = np.array([1 + 2j, -0.5 + 0.25j])

    def written(value: np.ndarray, name: str) -> report.Report:
        job = Job(case, "torch", "complex128", kinds.Computed({"z": Gradient(VALUE, value)}), versions={"torch": "0"})
        report.write(report.build(judge([job]), cases, [], ["torch"]), tmp_path / name)
        return report.read(tmp_path / name)

    before, after = written(2 * z, "a.json"), written(2 * z + 1e-3j, "b.json")
    assert regress.diff(before, before)["changes"] == []
    moved = [c for c in regress.diff(before, after)["changes"] if c["what"] == "moved"]
    assert moved and "moved by 0.001" in moved[0]["detail"], regress.diff(before, after)
