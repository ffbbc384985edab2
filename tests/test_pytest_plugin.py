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
    result.stdout.fnmatch_lines(
        [
            "cases/grads.yaml::good[[]fake-float32[]]",
            "cases/grads.yaml::good[[]fake-float64[]]",
            "cases/grads.yaml::wrong[[]fake-float64[]]",
            "*6 tests collected*",
        ]
    )
    assert result.ret == 0


def test_outcomes_failure_message_and_strict_xfail(fake_cases):
    result = fake_cases.runpytest_subprocess("cases", "-rxf")
    assert result.parseoutcomes() == {"passed": 2, "convention": 1, "failed": 2, "xfailed": 1}
    result.stdout.fnmatch_lines(
        [
            "*wrong [[]fake-float64[]]: fail",
            "*a: got 4 (finite)",
            "*expected 5",
            "*oracle   4* (finite differences)",
            "*a: expected 5, got 4 (max abs error 1)",
        ]
    )
    result.stdout.fnmatch_lines(["XFAIL cases/grads.yaml::known[[]fake-float64[]] - known bug: k (https://*/1)"])
    result.stdout.fnmatch_lines(
        [
            "*stale [[]fake-float64[]]: stale",
            "*the known bug no longer happens: remove its divergence mark (https://*/2)",
        ]
    )
    result.stdout.fnmatch_lines(["FAILED cases/grads.yaml::stale[[]fake-float64[]] - stale [[]fake-float64[]]: stale"])


def test_a_convention_is_not_a_plain_pass_and_has_its_why_and_link_in_the_report(fake_cases):
    result = fake_cases.runpytest_subprocess("cases", "-k", "chosen", "--junitxml", "junit.xml", "-v")
    assert result.ret == pytest.ExitCode.OK
    assert result.parseoutcomes() == {"convention": 1, "deselected": 5}
    result.stdout.fnmatch_lines(
        [
            "*chosen[[]fake-float64[]] CONVENTION*",
            "*= gradient conformance =*",
            "1 passed by a framework's documented convention (C), not by the math:",
            "  cases/grads.yaml::chosen[[]fake-float64[]] a: fake says 2a (https://example.org/doc)",
            "*= 5 deselected, 1 convention in *",
        ]
    )
    quiet = fake_cases.runpytest_subprocess("cases", "-k", "chosen", "-q", "-rA")
    quiet.stdout.fnmatch_lines(
        ["C *", "1 passed by a framework's documented convention (C), not by the math (-v lists them)"]
    )
    xml = (fake_cases.path / "junit.xml").read_text()
    assert '<property name="convention" value="a: fake says 2a (https://example.org/doc)"' in xml


def test_dtype_and_expectations_options(fake_cases):
    (fake_cases.path / "expectations.txt").write_text("wrong[fake]  >=1  https://example.org/3  wrong on purpose\n")
    result = fake_cases.runpytest_subprocess("cases", "--dtype", "float64", "--expectations", "expectations.txt")
    assert result.parseoutcomes() == {"passed": 1, "convention": 1, "failed": 1, "xfailed": 2}
    bad = fake_cases.runpytest_subprocess("cases", "--framework", "nope")
    assert bad.ret == pytest.ExitCode.USAGE_ERROR
    bad.stderr.fnmatch_lines(["*unknown framework 'nope' (known: fake)*"])
    close = fake_cases.runpytest_subprocess("cases", "--framework", "fak")
    close.stderr.fnmatch_lines(["*unknown framework 'fak': did you mean 'fake'?*"])
    bad = fake_cases.runpytest_subprocess("cases", "--dtype", "float128")
    assert bad.ret == pytest.ExitCode.USAGE_ERROR
    bad.stderr.fnmatch_lines(["*unknown dtype 'float128': did you mean *'float16'*?*"])
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
        "expected: {a: {value: 6, why: 2a}}}\n"
    )
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
    (pytester.path / "cases" / "bug.yaml").write_text("id: 17\nkind: bug\ntitle: their issue tracker's export\n")
    (pytester.path / "cases" / "bugs.yaml").write_text("- {id: 18, kind: bug}\n")
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
    result.stdout.fnmatch_lines_random(
        [
            "*latin1.yaml:1: not UTF-8*",
            "*huge.yaml:1: larger than*",
            "*pipe.yaml:1: not a regular file but a named pipe*",
        ]
    )


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


@pytest.mark.parametrize(
    ("expression", "selected"),
    [
        ("tag(name='kink')", ["kink-case[[]fake-float64[]]"]),
        ("topic(name='kinks') and dtype(name='float32')", ["plain-vjp[[]fake-float32[]]"]),
        ("kind(name='vjp')", ["plain-vjp[[]fake-float32[]]", "plain-vjp[[]fake-float64[]]"]),
        ("framework(name='fake') and tag(name='relu')", ["kink-case[[]fake-float64[]]"]),
    ],
)
def test_markers_select_by_framework_dtype_kind_topic_and_tag(tagged_cases, expression, selected):
    result = tagged_cases.runpytest_subprocess(
        "--collect-only", "-q", "--strict-markers", "cases/kinks", "-m", expression
    )
    result.stdout.fnmatch_lines(
        [f"cases/kinks/tagged.yaml::{name}" for name in selected] + [f"{len(selected)}/3 tests collected*"]
    )


def test_markers_are_registered_and_tags_are_keywords(tagged_cases):
    result = tagged_cases.runpytest_subprocess("--markers")
    result.stdout.fnmatch_lines(
        [
            "@pytest.mark.framework(name):*",
            "@pytest.mark.dtype(name):*",
            "@pytest.mark.kind(name):*",
            "@pytest.mark.topic(name):*",
            "@pytest.mark.tag(name):*",
        ]
    )
    result = tagged_cases.runpytest_subprocess("--collect-only", "-q", "cases", "-k", "relu")
    result.stdout.fnmatch_lines(["cases/kinks/tagged.yaml::kink-case[[]fake-float64[]]", "1/9 tests collected*"])


def test_an_item_points_at_its_case_line(tagged_cases):
    tagged_cases.makeconftest(
        FAKE_CONFTEST
        + """
def pytest_collection_finish(session):
    for item in session.items:
        print("LOCATION", item.location[0], item.location[1] + 1, item.location[2])
"""
    )
    result = tagged_cases.runpytest_subprocess("--collect-only", "-q", "cases/kinks")
    result.stdout.fnmatch_lines(
        [
            "LOCATION cases/kinks/tagged.yaml 2 kink-case[[]fake-float64[]]",
            "LOCATION cases/kinks/tagged.yaml 4 plain-vjp[[]fake-float32[]]",
        ]
    )


def test_the_plugin_s_suffixes_are_the_loader_s():
    from conformance import pytest_plugin

    assert pytest_plugin.SUFFIXES == loader.SUFFIXES


def test_importing_the_plugin_imports_nothing_of_the_suite_and_an_unrelated_session_stays_light(pytester):
    """As hypothesis tests its plugin: the entry point is loaded by every pytest session of the environment."""
    pytester.makeconftest("""
        import sys
        def pytest_sessionfinish(session):
            print("HEAVY", sorted(m for m in ("conformance.loader", "conformance.kinds", "scipy", "yaml", "numpy")
                                  if m in sys.modules))
    """)
    (pytester.path / "cases").mkdir()
    (pytester.path / "cases" / "settings.yaml").write_text("name: theirs\n")
    pytester.makepyfile(test_theirs="def test_theirs():\n    pass\n")
    result = pytester.runpytest_subprocess("-q", "-s")
    result.stdout.fnmatch_lines(["*HEAVY []"])
    assert result.ret == 0


def _ids_run(result) -> list[str]:
    return [line.split(" ")[0] for line in result.stdout.lines if line.startswith("cases/") and "::" in line]


def test_last_failed_failed_first_and_stepwise_find_the_items(fake_cases):
    """pytest keys its cache by the item's name and parameters (`wrong`, `fake-float64`): --lf reruns the two
    failures, --ff runs them first, --sw stops at the first failure and starts there the next time."""
    fake_cases.runpytest_subprocess("cases")
    failed = ["cases/grads.yaml::wrong[fake-float64]", "cases/grads.yaml::stale[fake-float64]"]
    again = fake_cases.runpytest_subprocess("cases", "--lf", "-v")
    assert _ids_run(again) == failed
    again.stdout.fnmatch_lines(["*run-last-failure: rerun previous 2 failures*"])
    first = fake_cases.runpytest_subprocess("cases", "--ff", "-v")
    assert _ids_run(first)[:2] == failed and len(_ids_run(first)) == 6
    stepwise = fake_cases.runpytest_subprocess("cases", "--sw", "-v")
    assert _ids_run(stepwise)[-1] == "cases/grads.yaml::wrong[fake-float64]"
    again = fake_cases.runpytest_subprocess("cases", "--sw", "-v")
    assert _ids_run(again)[0] == "cases/grads.yaml::wrong[fake-float64]"


def test_a_sample_s_item_is_named_by_its_case_and_parameters(fake_cases):
    fake_cases.makeconftest(
        FAKE_CONFTEST
        + """
def pytest_collection_finish(session):
    for item in session.items:
        print("ITEM", item.originalname, item.params, item.name)
"""
    )
    (fake_cases.path / "cases" / "sampled.yaml").write_text(
        "{id: sq, kind: grad, title: t, why: w, inputs: {a: 2.0}, function: a*a, dtypes: [float64], "
        "expected: {a: {value: 4, why: 2a}}, samples: [{name: two, inputs: {a: 2.0}}]}\n"
    )
    result = fake_cases.runpytest_subprocess("--collect-only", "-q", "cases/sampled.yaml")
    result.stdout.fnmatch_lines(["ITEM sq two-fake-float64 sq[[]two-fake-float64[]]"])


def test_the_terminal_summary_ranks_where_the_frameworks_differ(fake_cases):
    """Two fake frameworks, one of them off the math: the section says the count and names the odd one."""
    fake_cases.makeconftest("""
import conformance.adapters
conformance.adapters.available = lambda: {"fake": "fake_adapter:FakeAdapter", "twice": "twice_adapter:Twice"}
""")
    fake_cases.makepyfile(
        twice_adapter="""
from fake_adapter import TwiceAdapter

class Twice(TwiceAdapter):
    name = "twice"
"""
    )
    result = fake_cases.runpytest_subprocess("cases", "-k", "good", "--dtype", "float64")
    result.stdout.fnmatch_lines(
        [
            "*= gradient conformance =*",
            "Where the frameworks differ: 1 of 1 gradients (case, input, dtype) compared: 1 "
            "where a framework misses the math",
            "twice misses the math: a wrong value (1)",
            "  good a [[]float64[]]: fake 4 ✓ | twice 8 ✗ fail",
        ]
    )


def test_under_xdist_each_worker_runs_its_case_files_and_the_verdicts_are_the_same(tagged_cases):
    result = tagged_cases.runpytest_subprocess("cases", "-n", "2", "--dist", "loadfile")
    assert result.parseoutcomes() == {"passed": 5, "convention": 1, "failed": 2, "xfailed": 1}
    result.stdout.fnmatch_lines(
        [
            "*= gradient conformance =*",
            "1 passed by a framework's documented convention (C), not by the math (-v lists *",
        ]
    )
