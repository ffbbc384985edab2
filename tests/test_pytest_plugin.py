"""The pytest plugin, through pytester in subprocesses: items and ids, messages, strict xfail, options."""
import pytest

from tests.conftest import REPO, installed

pytest_plugins = ["pytester"]

CASES = """
- {id: good, kind: grad, title: t, why: w, inputs: {a: 2.0}, function: a*a, expected: {a: {value: 4, why: 2a}}}
- {id: wrong, kind: grad, title: t, why: w, inputs: {a: 2.0}, function: a*a, dtypes: [float64],
   expected: {a: {value: 5, why: wrong on purpose}}}
- {id: known, kind: grad, title: t, why: w, inputs: {a: 2.0}, function: a*a, dtypes: [float64],
   expected: {a: {value: 5, why: wrong}}, divergences: [{framework: fake, issue: "https://example.org/1", why: k}]}
- {id: stale, kind: grad, title: t, why: w, inputs: {a: 2.0}, function: a*a, dtypes: [float64],
   expected: {a: {value: 4, why: 2a}}, divergences: [{framework: fake, issue: "https://example.org/2", why: s}]}
- {id: chosen, kind: grad, title: t, why: w, inputs: {a: 2.0}, function: a*a, dtypes: [float64], oracle: false,
   oracle_why: o, expected: {a: {value: 5, why: preferred,
                                 conventions: {fake: {value: 4, why: fake says 2a, link: "https://example.org/doc"}}}}}
"""
# The NumPy fake adapter stands in for a framework: these tests check the plugin, not gradients.
FAKE_CONFTEST = """
import conformance.adapters
conformance.adapters.available = lambda: {"fake": "fake_adapter:FakeAdapter"}
"""


@pytest.fixture
def fake_cases(pytester):
    pytester.makepyfile(fake_adapter=(REPO / "tests" / "fake_adapter.py").read_text())
    pytester.makeconftest(FAKE_CONFTEST)
    (pytester.path / "cases").mkdir()
    (pytester.path / "cases" / "grads.yaml").write_text(CASES)
    (pytester.path / "other.yaml").write_text("not: a case file outside a cases folder\n")
    return pytester


def test_every_case_framework_dtype_is_an_item_with_a_readable_id(fake_cases):
    result = fake_cases.runpytest_subprocess("--collect-only", "-q", ".")
    result.stdout.fnmatch_lines(["cases/grads.yaml::good[[]fake-float32[]]", "cases/grads.yaml::good[[]fake-float64[]]",
                                 "cases/grads.yaml::wrong[[]fake-float64[]]", "*6 tests collected*"])
    assert result.ret == 0


def test_outcomes_failure_message_and_strict_xfail(fake_cases):
    result = fake_cases.runpytest_subprocess("cases", "-rxf")
    result.assert_outcomes(passed=3, failed=2, xfailed=1)
    result.stdout.fnmatch_lines([
        "*wrong [[]fake-float64[]]: fail",
        "*a: got 4 (finite)",
        "*expected 5",
        "*oracle   4* (finite differences)",
        "*a: expected 5, got 4 (max abs error 1)",
    ])
    result.stdout.fnmatch_lines(["XFAIL cases/grads.yaml::known[[]fake-float64[]] - known bug: k (https://*/1)"])
    result.stdout.fnmatch_lines(["*stale [[]fake-float64[]]: stale",
                                 "*the known bug no longer happens: remove its divergence mark (https://*/2)"])
    result.stdout.fnmatch_lines(["FAILED cases/grads.yaml::stale[[]fake-float64[]] - stale [[]fake-float64[]]: stale"])


def test_a_convention_passes_with_its_why_and_link_in_the_report(fake_cases):
    result = fake_cases.runpytest_subprocess("cases", "-k", "chosen", "-rP", "--junitxml", "junit.xml")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*Captured convention call*", "a: fake says 2a (https://example.org/doc)"])
    xml = (fake_cases.path / "junit.xml").read_text()
    assert '<property name="convention" value="a: fake says 2a (https://example.org/doc)"' in xml


def test_dtype_and_expectations_options(fake_cases):
    (fake_cases.path / "expectations.txt").write_text("wrong[fake]  >=1  https://example.org/3  wrong on purpose\n")
    result = fake_cases.runpytest_subprocess("cases", "--dtype", "float64", "--expectations", "expectations.txt")
    result.assert_outcomes(passed=2, failed=1, xfailed=2)
    bad = fake_cases.runpytest_subprocess("cases", "--framework", "nope")
    assert bad.ret == pytest.ExitCode.USAGE_ERROR
    bad.stderr.fnmatch_lines(["*unknown framework nope (known: fake)*"])
    (fake_cases.path / "expectations.txt").write_text("wrong[fake]  >=1  example.org/3  not a link\n")
    bad = fake_cases.runpytest_subprocess("cases", "--expectations", "expectations.txt")
    assert bad.ret == pytest.ExitCode.USAGE_ERROR
    bad.stderr.fnmatch_lines(["*expectations.txt:1: invalid issue: String should match pattern*"])


def test_collecting_imports_no_framework(pytester):
    pytester.makeconftest("""
        import sys
        def pytest_collection_finish(session):
            print("FRAMEWORKS", sorted(m for m in ("torch", "tensorflow", "jax", "tensorflow_probability")
                                       if m in sys.modules))
    """)
    (pytester.path / "cases").mkdir()
    (pytester.path / "cases" / "seed.yaml").write_text((REPO / "conformance" / "cases" / "vjp" / "seed.yaml").read_text())
    result = pytester.runpytest_subprocess("--collect-only", "-q", "cases")
    result.stdout.fnmatch_lines(["*seed-vjp[[]torch-float32[]]*", "*seed-vjp[[]jax-float64[]]*", "FRAMEWORKS []"])


@pytest.mark.skipif(not installed("jax"), reason="jax not installed")
def test_a_real_framework_runs_through_the_plugin(pytester):
    (pytester.path / "cases").mkdir()
    (pytester.path / "cases" / "square.yaml").write_text(
        "{id: square, kind: grad, title: t, why: w, inputs: {a: 3.0}, function: a*a, "
        "expected: {a: {value: 6, why: 2a}}}\n")
    result = pytester.runpytest_subprocess("cases", "--framework", "jax", "-v")
    result.stdout.fnmatch_lines(["*square.yaml::square[[]jax-float32[]] PASSED*", "*square[[]jax-float64[]] PASSED*"])
    assert result.ret == 0
