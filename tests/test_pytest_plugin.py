"""The pytest plugin, through pytester in subprocesses: items and ids, messages, strict xfail, options."""
import os

import pytest

from conformance import loader
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
    seed = REPO / "conformance" / "cases" / "vjp" / "seed.yaml"
    (pytester.path / "cases" / "seed.yaml").write_text(seed.read_text())
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


def test_yaml_under_a_cases_folder_that_is_no_case_file_is_left_to_its_project(pytester):
    """Another project in the same environment, with its own YAML under `cases/`, collects as if we were absent."""
    (pytester.path / "cases").mkdir()
    (pytester.path / "cases" / "config.yaml").write_text("name: a fixture of another project\nitems: [1, 2]\n")
    (pytester.path / "cases" / "list.yaml").write_text("- {id: 1, value: 2}\n- plain\n")
    (pytester.path / "cases" / "template.yaml").write_text("name: {{ .Values.name }}\nkind: Deployment\n")
    (pytester.path / "cases" / "empty.yml").write_text("")
    pytester.makepyfile(test_theirs="def test_theirs():\n    pass\n")
    result = pytester.runpytest_subprocess("-q", "--strict-markers")
    result.assert_outcomes(passed=1)
    assert result.ret == 0


def test_a_broken_case_file_still_fails_collection_with_its_error(pytester):
    (pytester.path / "cases").mkdir()
    (pytester.path / "cases" / "bad.yaml").write_text("id: bad\nkind: grad\ntitle: [unclosed\n")
    result = pytester.runpytest_subprocess("--collect-only", "-q", "cases")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*bad.yaml:*invalid YAML*"])


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_case_file_the_loader_refuses_is_a_collection_error_naming_it(pytester):
    """Not UTF-8, over the size limit, a pipe: `run` gives each a load error, and so does collection."""
    cases = pytester.path / "cases"
    cases.mkdir()
    (cases / "latin1.yaml").write_bytes("id: caf\xe9\nkind: grad\n".encode("latin-1"))
    (cases / "huge.yaml").write_text("# padding\n" * (loader.MAX_FILE_BYTES // 10 + 1))
    os.mkfifo(cases / "pipe.yaml")
    result = pytester.runpytest_subprocess("--collect-only", "-q", "cases")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines_random(["*latin1.yaml:1: not UTF-8*", "*huge.yaml:1: larger than*",
                                        "*pipe.yaml:1: not a regular file but a named pipe*"])


TAGGED = """
- {id: kink-case, kind: grad, title: t, why: w, tags: [kink, relu], inputs: {a: 2.0}, function: a*a, dtypes: [float64],
   expected: {a: {value: 4, why: 2a}}}
- {id: plain-vjp, kind: vjp, title: t, why: w, inputs: {a: [2.0]}, function: a*a, cotangent: [1.0],
   expected: {a: {value: [4], why: 2a}}}
"""


@pytest.fixture
def tagged_cases(fake_cases):
    (fake_cases.path / "cases" / "kinks").mkdir()
    (fake_cases.path / "cases" / "kinks" / "tagged.yaml").write_text(TAGGED)
    return fake_cases


@pytest.mark.parametrize(("expression", "selected"), [
    ("tag(name='kink')", ["kink-case[[]fake-float64[]]"]),
    ("topic(name='kinks') and dtype(name='float32')", ["plain-vjp[[]fake-float32[]]"]),
    ("kind(name='vjp')", ["plain-vjp[[]fake-float32[]]", "plain-vjp[[]fake-float64[]]"]),
    ("framework(name='fake') and tag(name='relu')", ["kink-case[[]fake-float64[]]"]),
])
def test_markers_select_by_framework_dtype_kind_topic_and_tag(tagged_cases, expression, selected):
    result = tagged_cases.runpytest_subprocess("--collect-only", "-q", "--strict-markers", "cases/kinks",
                                               "-m", expression)
    result.stdout.fnmatch_lines([f"cases/kinks/tagged.yaml::{name}" for name in selected]
                                + [f"{len(selected)}/3 tests collected*"])


def test_markers_are_registered_and_tags_are_keywords(tagged_cases):
    result = tagged_cases.runpytest_subprocess("--markers")
    result.stdout.fnmatch_lines(["@pytest.mark.framework(name):*", "@pytest.mark.dtype(name):*",
                                 "@pytest.mark.kind(name):*", "@pytest.mark.topic(name):*", "@pytest.mark.tag(name):*"])
    result = tagged_cases.runpytest_subprocess("--collect-only", "-q", "cases", "-k", "relu")
    result.stdout.fnmatch_lines(["cases/kinks/tagged.yaml::kink-case[[]fake-float64[]]", "1/9 tests collected*"])


def test_an_item_points_at_its_case_line(tagged_cases):
    tagged_cases.makeconftest(FAKE_CONFTEST + """
def pytest_collection_finish(session):
    for item in session.items:
        print("LOCATION", item.location[0], item.location[1] + 1, item.location[2])
""")
    result = tagged_cases.runpytest_subprocess("--collect-only", "-q", "cases/kinks")
    result.stdout.fnmatch_lines(["LOCATION cases/kinks/tagged.yaml 2 kink-case[[]fake-float64[]]",
                                 "LOCATION cases/kinks/tagged.yaml 4 plain-vjp[[]fake-float32[]]"])
