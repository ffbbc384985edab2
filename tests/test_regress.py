"""`conformance compare`, baselines and the expectations file, on real reports from the NumPy fake adapter."""

import json
import os
import resource
import subprocess
import sys

import pytest

from conformance import regress, report
from conformance.model import Tolerance
from conformance.vocabulary import Agreement, Class, Difference, Status, Verdict
from tests.conftest import REPO, installed
from tests.fake_reports import build, load, run


def job(rep, case, framework="fake", dtype="float64"):
    return next(j for j in rep.jobs if (j.case, j.framework, j.dtype) == (case, framework, dtype))


def changes(old, new):
    return {(c["case"], c["dtype"], c["what"], c["gradient"]): c for c in regress.diff(old, new)["changes"]}


def copy(rep):
    return rep.model_copy(deep=True)


def test_identical_reports_show_no_change(sample):
    result = regress.diff(sample, sample)
    assert result["changes"] == [] and not result["regressed"]
    assert result["compared"] == len(sample.jobs)
    assert "no change beyond tolerance; every gradient identical" in regress.table(result)


def test_a_value_that_moved_beyond_tolerance_is_a_regression_with_its_size(sample):
    new = copy(sample)
    job(new, "good").gradients["a"].value = 4.001
    job(new, "good", dtype="float32").gradients["a"].value = 4.0 + 1e-7  # within float32's tolerance
    found = changes(sample, new)
    assert list(found) == [("good", "float64", "moved", "a")]
    moved = found["good", "float64", "moved", "a"]
    assert moved["regressed"] and moved["old"] == "4" and moved["new"] == "4.001"
    assert "moved by 0.001" in moved["detail"]
    text = regress.table(regress.diff(sample, new))
    assert "REGRESSED moved by 0.001" in text and "1 regressed" in text
    assert "largest move: good[fake-float64] a by 0.001" in text


def test_a_move_is_judged_by_the_case_tolerance_the_report_records(sample):
    new = copy(sample)
    job(new, "good").gradients["a"].value = 4.001
    job(new, "good").tolerance = Tolerance(rtol=1e-3, atol=0.0)  # the case's own, looser than float64's default
    assert changes(sample, new) == {}
    job(new, "good").tolerance = Tolerance(rtol=1e-4, atol=0.0)
    assert "rtol 0.0001" in changes(sample, new)["good", "float64", "moved", "a"]["detail"]


def test_nan_staying_nan_is_no_move_but_nan_becoming_a_number_is(sample):
    old = copy(sample)
    job(old, "good").gradients["a"].value = "nan"
    job(old, "wrong").gradients["a"].value = "nan"
    new = copy(old)
    job(new, "wrong").gradients["a"].value = 4.0
    assert list(changes(old, new)) == [("wrong", "float64", "moved", "a")]
    assert "moved by inf" in changes(old, new)["wrong", "float64", "moved", "a"]["detail"]


def test_verdict_changes_regress_only_into_a_failing_verdict(sample):
    new = copy(sample)
    job(new, "good").verdict = Verdict.FAIL
    job(new, "wrong").verdict = Verdict.PASS
    job(new, "chosen").verdict = Verdict.PASS
    job(new, "known").verdict = Verdict.STALE
    job(new, "known").failures = ["the known bug no longer happens: remove its divergence mark (https://x.org/1)"]
    found = changes(sample, new)
    assert found["good", "float64", "verdict", None]["regressed"]
    assert not found["wrong", "float64", "verdict", None]["regressed"]
    assert (
        found["chosen", "float64", "verdict", None]["old"],
        found["chosen", "float64", "verdict", None]["new"],
        found["chosen", "float64", "verdict", None]["regressed"],
    ) == ("convention", "pass", False)
    stale = found["known", "float64", "verdict", None]
    assert (stale["old"], stale["new"], stale["regressed"]) == ("xfail", "stale", True)
    assert stale["detail"].startswith("the known bug no longer happens")
    assert not changes(new, sample)["known", "float64", "verdict", None]["regressed"]  # stale -> xfail


def test_status_and_class_changes(sample):
    new = copy(sample)
    grad = job(new, "good").gradients["a"]
    grad.status, grad.error, grad.value, grad.cls = Status.ERROR, "TypeError: boom", None, None
    job(new, "wrong").gradients["a"].cls = Class.TOLERANCE_ZERO
    old_none = job(sample, "good", dtype="float32").gradients["a"]
    old_none.status, old_none.representation, old_none.value = Status.DISCONNECTED, "None", None
    found = changes(sample, new)
    status = found["good", "float64", "status", "a"]
    assert (status["old"], status["new"], status["regressed"], status["detail"]) == (
        "value",
        "error",
        True,
        "TypeError: boom",
    )
    none_to_value = found["good", "float32", "status", "a"]
    assert (none_to_value["old"], none_to_value["new"], none_to_value["regressed"]) == (
        "disconnected (None)",
        "value",
        False,
    )
    cls = found["wrong", "float64", "class", "a"]
    assert (cls["old"], cls["new"], cls["regressed"]) == ("finite", "tolerance_zero", False)


def test_cases_that_appear_or_vanish_and_frameworks_on_one_side(sample):
    new = copy(sample)
    new.jobs = [j for j in new.jobs if j.case != "good" and j.framework != "broken"]
    del new.environment.frameworks["broken"]
    vanished = regress.diff(sample, new)
    assert {(c["case"], c["what"]) for c in vanished["changes"]} == {("good", "vanished")}
    assert vanished["only_old"] == ["broken"] and not vanished["regressed"]
    appeared = regress.diff(new, sample)
    assert {(c["case"], c["what"], c["new"]) for c in appeared["changes"]} == {("good", "appeared", "pass")}
    assert "only in new, not compared: broken" in regress.table(appeared)


def test_compare_of_a_subset_says_the_jobs_on_one_side_in_one_counted_line_before_its_verdict(sample):
    subset = copy(sample)
    subset.jobs = [j for j in subset.jobs if j.case == "good"]
    subset.agreement = [a for a in subset.agreement if a.case == "good"]
    subset.summary = report.summarize([j.label for j in subset.jobs], [j.verdict for j in subset.jobs])
    result = regress.diff(sample, subset)
    vanished = [c for c in result["changes"] if c["what"] == "vanished"]
    assert len(vanished) > 3
    lines = regress.table(result).splitlines()
    [line] = [li for li in lines if "only in old" in li]
    assert line.startswith(f"{len(vanished)} jobs only in old (vanished), e.g. ") and line.endswith(
        ", ...: not compared (-v lists them)"
    )
    assert not any(li.split()[3:4] == ["vanished"] for li in lines)  # no row per vanished job
    assert lines[-1].startswith(f"{result['compared']} jobs compared: no change beyond tolerance")
    rows = regress.table(result, verbose=True).splitlines()
    assert sum("vanished" in li.split() for li in rows) == len(vanished)


def test_compare_says_where_the_frameworks_differ_on_each_side_with_the_ranking_s_count(agreeing_then_differing):
    from conformance import ranking

    old, new = agreeing_then_differing
    result = regress.diff(old, new)
    assert result["differ"] == {"old": ranking.rank(old.agreement).count, "new": ranking.rank(new.agreement).count}
    assert result["differ"]["old"] != result["differ"]["new"]
    assert (
        f"where the frameworks differ: {result['differ']['old']} gradients (case, input, dtype) in old, "
        f"{result['differ']['new']} in new"
    ) in regress.table(result)


def test_versions_of_each_side(sample):
    new = copy(sample)
    new.environment.frameworks["fake"].versions = {"fake": "2.0"}
    new.environment.platform = "another-machine"
    text = regress.table(regress.diff(sample, new, ("a.json", "b.json")))
    assert "fake: fake 1.0 -> fake 2.0" in text
    assert "new: b.json" in text and "another-machine" in text


AGREEMENT_CASES = """
- {id: good, kind: grad, title: t, why: w, inputs: {a: 2.0}, function: a*a, dtypes: [float64],
   expected: {a: {value: 4, why: 2a}}}
- {id: free, kind: grad, title: t, why: w, inputs: {a: 2.0}, function: a*a, dtypes: [float64], oracle: false,
   oracle_why: nothing judges it}
"""
FAKE = "tests.fake_adapter:FakeAdapter"


@pytest.fixture(scope="module")
def agreeing_then_differing(tmp_path_factory):
    """Two frameworks that agree, then the same two where `other` doubles every gradient (its 2.0)."""
    cases = load(tmp_path_factory.mktemp("agreement"), AGREEMENT_CASES)
    frameworks = ("fake", "other")
    old = build(cases, run(cases, frameworks, {"fake": FAKE, "other": FAKE}), frameworks)
    new = build(cases, run(cases, frameworks, {"fake": FAKE, "other": "tests.fake_adapter:TwiceAdapter"}), frameworks)
    return old, new


def test_compare_reports_where_the_frameworks_started_or_stopped_differing(agreeing_then_differing):
    old, new = agreeing_then_differing
    assert {a.result for a in old.agreement} == {Agreement.AGREE}
    found = changes(old, new)
    started = found["free", "float64", "started differing", "a"]
    assert (started["framework"], started["old"], started["new"], started["regressed"]) == (
        "fake, other",
        "agree",
        "differ (no reference): value",
        False,
    )  # nobody to blame: no regression
    assert started["detail"] == "fake 4 | other 8"
    blamed = found["good", "float64", "started differing", "a"]
    assert (blamed["new"], blamed["detail"]) == ("differ: value", "fake 4 | other 8 (odd: other)")
    assert found["good", "float64", "verdict", None]["regressed"]  # other's own verdict: pass -> fail
    back = changes(new, old)["free", "float64", "stopped differing", "a"]
    assert (back["old"], back["new"], back["detail"]) == ("differ (no reference): value", "agree", "fake 4 | other 8")
    text = regress.table(regress.diff(old, new))
    assert any(
        line.split()[:6] == ["free", "fake,", "other", "float64", "started", "differing"] for line in text.splitlines()
    ), text


def test_compare_lists_agreement_changes_in_the_ranking_s_order(agreeing_then_differing):
    """`good`, where `other` misses the math, ranks before `free`, which nothing judges, whatever the report's order."""
    old, new = agreeing_then_differing
    backwards = copy(new)
    backwards.agreement = backwards.agreement[::-1]
    assert [a.case for a in backwards.agreement] == ["free", "good"]
    started = [c["case"] for c in regress.diff(old, backwards)["changes"] if c["what"] == "started differing"]
    assert started == ["good", "free"]


def test_a_change_of_difference_kind_is_reported(agreeing_then_differing):
    _, new = agreeing_then_differing
    changed = copy(new)
    next(a for a in changed.agreement if a.case == "free").difference = Difference.CLASS
    found = changes(new, changed)
    assert list(found) == [("free", "float64", "difference changed", "a")]
    assert found["free", "float64", "difference changed", "a"]["new"] == "differ (no reference): class"


def conformance(*args):
    return subprocess.run(
        [sys.executable, "-m", "conformance", *args], cwd=REPO, capture_output=True, text=True, timeout=600
    )


def test_compare_command_exit_codes_json_and_old_formats(sample, tmp_path):
    old, new, ancient = tmp_path / "old.json", tmp_path / "new.json", tmp_path / "ancient.json"
    report.write(sample, old)
    job(sample, "good").gradients["a"].value = 4.5
    report.write(sample, new)
    assert conformance("compare", str(old), str(old)).returncode == 0
    moved = conformance("compare", str(old), str(new), "--json")
    assert moved.returncode == 1
    assert json.loads(moved.stdout)["changes"][0]["what"] == "moved"
    ancient.write_text(json.dumps({**sample.model_dump(mode="json", by_alias=True), "version": 0}))
    refused = conformance("compare", str(ancient), str(new))
    assert refused.returncode == 2 and "report format version 0" in refused.stderr


def test_expectations_file_marks_divergences_and_names_bad_lines(tmp_path):
    marks_file = tmp_path / "expectations.txt"
    marks_file.write_text(
        "# case[framework]  versions  issue  why\n"
        "wrong[fake]  >=1,<2  https://example.org/9#c  summed in another order\n"
        "good[fake]  *  https://example.org/10  fixed upstream\n"
        "missing-brackets  *  x  y\n"
        "good[fake]  >=banana  https://example.org/11  z\n"
        "good[fake]  *  example.org/12  not a link\n"
        "nowhere[fake]  *  https://example.org/13  not in this run\n"
    )
    marks, errors = regress.read_expectations(marks_file)
    assert [str(e).split(":")[1:3] for e in errors] == [
        ["4", " expected '<case>[<framework>]  <versions or *>  <issue link>  <why>'"],
        ["5", " invalid versions"],
        ["6", " invalid issue"],
    ]
    assert "not a PEP 440 version range: '>=banana'" in errors[1].message
    assert "should match pattern" in errors[2].message
    assert marks["wrong"][0].issue == "https://example.org/9#c" and marks["good"][0].versions == ""
    cases, unmatched = regress.with_expectations(load(tmp_path), marks)
    assert unmatched == ["nowhere"]
    verdicts = {(j.case, j.dtype): j for j in build(cases, run(cases)).jobs}
    assert verdicts["wrong", "float64"].verdict == Verdict.XFAIL
    assert verdicts["good", "float64"].verdict == Verdict.STALE
    assert verdicts["good", "float64"].failures == [
        "the known bug no longer happens: remove its divergence mark (https://example.org/10)"
    ]


@pytest.mark.skipif(not installed("torch"), reason="torch not installed")
def test_run_with_a_baseline_reports_what_moved_and_exits_1(tmp_path):
    base = tmp_path / "base.json"
    vjp_on_torch = ("run", "conformance/cases/vjp", "--framework", "torch", "--dtype", "float64")
    first = conformance(*vjp_on_torch, "--report", str(base))
    assert first.returncode == 0, first.stdout + first.stderr
    data = report.read(base)
    assert conformance(*vjp_on_torch, "--baseline", str(base)).returncode == 0
    job(data, "seed-vjp", "torch").gradients["a"].value[0] = 0.25
    report.write(data, base)
    second = conformance(*vjp_on_torch, "--baseline", str(base))
    assert second.returncode == 1
    assert "against the baseline:" in second.stdout
    row = next(line for line in second.stdout.splitlines() if line.startswith("seed-vjp") and "moved" in line)
    assert row.split()[:6] == ["seed-vjp", "torch", "float64", "moved", "a", "[2.5e-01,"], row
    assert "REGRESSED moved by 0.05" in row


def test_partial_reports_are_refused_by_compare_and_merge(sample):
    partial = sample.model_copy(deep=True)
    partial.partial = report.Partial(reason="interrupted by SIGTERM", finished=3, planned=9)
    with pytest.raises(ValueError, match=r"new\.json is partial \(interrupted by SIGTERM, 3 of 9 jobs\)"):
        regress.diff(sample, partial, ("old.json", "new.json"))
    partial.shard = report.Shard(index=1, count=1)
    with pytest.raises(ValueError, match="shard 1/1 is partial"):
        regress.merge([partial])


def test_compare_and_merge_keep_two_regimes_of_one_framework_apart(tmp_path):
    """Keyed by label: torch[compiled] moving is its own change; torch's unchanged answer is not merged into it."""
    from tests.fake_reports import regimes_report

    old, new = regimes_report(tmp_path), regimes_report(tmp_path, compiled=6.0)
    result = regress.diff(old, new)
    assert result["compared"] == 3
    assert {(c["framework"], c["what"]) for c in result["changes"]} == {("torch[compiled]", "moved")}
    shards = [new.model_copy(update={"shard": report.Shard(index=1, count=1)})]
    assert [j.label for j in regress.merge(shards).jobs] == ["torch", "torch[compiled]", "jax"]


def _bounded(*args: str) -> subprocess.CompletedProcess:
    """The command under 4 GiB of address space and a minute: a reader that hangs or reads without end fails."""
    limit = lambda: resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))
    return subprocess.run(
        [sys.executable, "-m", "conformance", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=limit,
    )


def _hostile(tmp_path, kind: str) -> str:
    """A path that is no report to read: a named pipe no one writes, an endless device, a folder, a huge file."""
    if kind == "fifo":
        os.mkfifo(tmp_path / "pipe.json")
        return str(tmp_path / "pipe.json")
    if kind == "huge":
        with open(tmp_path / "huge.json", "wb") as f:
            f.truncate(report.MAX_BYTES + 1)  # sparse: no disk, and never read
        return str(tmp_path / "huge.json")
    return {"device": "/dev/zero", "folder": str(tmp_path)}[kind]


REFUSED = {
    "fifo": "not a regular file but a named pipe",
    "device": "not a regular file but a character device",
    "folder": "not a regular file but a folder",
    "huge": f"larger than {report.MAX_BYTES:,} bytes",
}


@pytest.mark.parametrize("kind", REFUSED)
def test_compare_refuses_what_is_not_a_report_file_before_reading_it(sample, tmp_path, kind):
    good, hostile = tmp_path / "good.json", _hostile(tmp_path, kind)
    report.write(sample, good)
    result = _bounded("compare", str(good), hostile)
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    assert (
        f"conformance: {hostile}: {REFUSED[kind]}: reports are regular files" in result.stderr
        or f"conformance: {hostile}: {REFUSED[kind]}, the limit for a report" in result.stderr
    ), result.stderr


@pytest.mark.parametrize(
    "command",
    [
        ["merge", "{pipe}", "--report", "{out}"],
        ["run", "{dir}", "--baseline", "{pipe}"],
        ["coverage", "--report", "{pipe}"],
        ["run", "{dir}", "--expectations", "{pipe}"],
    ],
)
def test_every_reader_of_reports_and_expectations_refuses_a_named_pipe_without_waiting(tmp_path, command):
    pipe = _hostile(tmp_path, "fifo")
    args = [a.format(pipe=pipe, out=tmp_path / "out.json", dir=tmp_path) for a in command]
    result = _bounded(*args)
    assert result.returncode == 2, result.stderr
    assert f"{pipe}: not a regular file but a named pipe" in result.stderr and "Traceback" not in result.stderr
