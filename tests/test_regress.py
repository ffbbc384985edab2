"""`conformance compare`, baselines and the expectations file, on real reports from the NumPy fake adapter."""
import json
import subprocess
import sys

import pytest

from conformance import regress, report
from tests.conftest import REPO, installed
from tests.fake_reports import _sample, build, load, run, sample  # noqa: F401  (fixtures)


def job(rep, case, framework="fake", dtype="float64"):
    return next(j for j in rep["jobs"] if (j["case"], j["framework"], j["dtype"]) == (case, framework, dtype))


def changes(old, new):
    return {(c["case"], c["dtype"], c["what"], c["gradient"]): c for c in regress.diff(old, new)["changes"]}


def test_identical_reports_show_no_change(sample):
    result = regress.diff(sample, sample)
    assert result["changes"] == [] and not result["regressed"]
    assert result["compared"] == len(sample["jobs"])
    assert "no change beyond tolerance; every gradient identical" in regress.table(result)


def test_a_value_that_moved_beyond_tolerance_is_a_regression_with_its_size(sample):
    new = json.loads(json.dumps(sample))
    job(new, "good")["gradients"]["a"]["value"] = 4.001
    job(new, "good", dtype="float32")["gradients"]["a"]["value"] += 1e-7  # within float32's tolerance
    found = changes(sample, new)
    assert list(found) == [("good", "float64", "moved", "a")]
    moved = found["good", "float64", "moved", "a"]
    assert moved["regressed"] and moved["old"] == "4." and moved["new"] == "4.001"
    assert "moved by 0.001" in moved["detail"]
    text = regress.table(regress.diff(sample, new))
    assert "REGRESSED moved by 0.001" in text and "1 regressed" in text


def test_a_move_is_judged_by_the_case_tolerance_the_report_records(sample):
    new = json.loads(json.dumps(sample))
    job(new, "good")["gradients"]["a"]["value"] = 4.001
    job(new, "good")["tolerance"] = {"rtol": 1e-3, "atol": 0.0}  # the case's own, looser than float64's default
    assert changes(sample, new) == {}
    job(new, "good")["tolerance"] = {"rtol": 1e-4, "atol": 0.0}
    assert "rtol 0.0001" in changes(sample, new)["good", "float64", "moved", "a"]["detail"]


def test_nan_staying_nan_is_no_move_but_nan_becoming_a_number_is(sample):
    old = json.loads(json.dumps(sample))
    job(old, "good")["gradients"]["a"]["value"] = "nan"
    job(old, "wrong")["gradients"]["a"]["value"] = "nan"
    new = json.loads(json.dumps(old))
    job(new, "wrong")["gradients"]["a"]["value"] = 4.0
    assert list(changes(old, new)) == [("wrong", "float64", "moved", "a")]


def test_verdict_changes_regress_only_when_newly_failing(sample):
    new = json.loads(json.dumps(sample))
    job(new, "good")["verdict"] = "fail"
    job(new, "wrong")["verdict"] = "pass"
    job(new, "known")["verdict"] = "xpass"
    job(new, "known")["messages"].append("now agrees: remove the divergence mark (x)")
    found = changes(sample, new)
    assert found["good", "float64", "verdict", None]["regressed"]
    assert not found["wrong", "float64", "verdict", None]["regressed"]
    stale = found["known", "float64", "verdict", None]
    assert stale["regressed"] and stale["detail"].startswith("now agrees")


def test_status_and_class_changes(sample):
    new = json.loads(json.dumps(sample))
    grad = job(new, "good")["gradients"]["a"]
    grad.update(status="error", error="TypeError: boom", value=None, **{"class": None})
    job(new, "wrong")["gradients"]["a"]["class"] = "tolerance_zero"
    old_none = job(sample, "good", dtype="float32")["gradients"]["a"]
    old_none.update(status="disconnected", representation="None", value=None)
    found = changes(sample, new)
    status = found["good", "float64", "status", "a"]
    assert (status["old"], status["new"], status["regressed"], status["detail"]) == (
        "value", "error", True, "TypeError: boom")
    none_to_value = found["good", "float32", "status", "a"]
    assert (none_to_value["old"], none_to_value["new"], none_to_value["regressed"]) == (
        "disconnected (None)", "value", False)
    cls = found["wrong", "float64", "class", "a"]
    assert (cls["old"], cls["new"], cls["regressed"]) == ("finite", "tolerance_zero", False)


def test_cases_that_appear_or_vanish_and_frameworks_on_one_side(sample):
    new = json.loads(json.dumps(sample))
    new["jobs"] = [j for j in new["jobs"] if j["case"] != "good" and j["framework"] != "broken"]
    del new["environment"]["frameworks"]["broken"]
    vanished = regress.diff(sample, new)
    assert {(c["case"], c["what"]) for c in vanished["changes"]} == {("good", "vanished")}
    assert vanished["only_old"] == ["broken"] and not vanished["regressed"]
    appeared = regress.diff(new, sample)
    assert {(c["case"], c["what"], c["new"]) for c in appeared["changes"]} == {("good", "appeared", "pass")}
    assert "only in new, not compared: broken" in regress.table(appeared)


def test_versions_of_each_side(sample):
    new = json.loads(json.dumps(sample))
    new["environment"]["frameworks"]["fake"]["versions"] = {"fake": "2.0"}
    new["environment"]["platform"] = "another-machine"
    text = regress.table(regress.diff(sample, new, ("a.json", "b.json")))
    assert "fake: fake 1.0 -> fake 2.0" in text
    assert "new: b.json" in text and "another-machine" in text


def conformance(*args):
    return subprocess.run([sys.executable, "-m", "conformance", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=600)


def test_compare_command_exit_codes_json_and_old_formats(sample, tmp_path):
    old, new, ancient = tmp_path / "old.json", tmp_path / "new.json", tmp_path / "ancient.json"
    report.write(sample, old)
    job(sample, "good")["gradients"]["a"]["value"] = 4.5
    report.write(sample, new)
    assert conformance("compare", str(old), str(old)).returncode == 0
    moved = conformance("compare", str(old), str(new), "--json")
    assert moved.returncode == 1
    assert json.loads(moved.stdout)["changes"][0]["what"] == "moved"
    ancient.write_text(json.dumps({**sample, "version": 0}))
    refused = conformance("compare", str(ancient), str(new))
    assert refused.returncode == 2 and "report format version 0" in refused.stderr


def test_expectations_file_marks_divergences_and_names_bad_lines(tmp_path):
    marks_file = tmp_path / "expectations.txt"
    marks_file.write_text("# case[framework]  versions  issue  why\n"
                          "wrong[fake]  >=1,<2  https://example.org/9#c  summed in another order\n"
                          "good[fake]  *  https://example.org/10  fixed upstream\n"
                          "missing-brackets  *  x  y\n"
                          "good[fake]  >=banana  https://example.org/11  z\n"
                          "nowhere[fake]  *  x  not in this run\n")
    marks, errors = regress.read_expectations(marks_file)
    assert [(e.line, e.message.split(":")[0]) for e in errors] == [
        (4, "expected '<case>[<framework>]  <versions or *>  <issue link>  <why>'"),
        (5, "invalid version range '>=banana'")]
    assert marks["wrong"][0].issue == "https://example.org/9#c" and marks["good"][0].versions == ""
    cases, unmatched = regress.with_expectations(load(tmp_path), marks)
    assert unmatched == ["nowhere"]
    verdicts = {(j["case"], j["dtype"]): j for j in build(cases, run(cases))["jobs"]}
    assert verdicts["wrong", "float64"]["verdict"] == "xfail"
    assert verdicts["good", "float64"]["verdict"] == "xpass"
    assert "now agrees: remove the divergence mark (https://example.org/10)" in verdicts["good", "float64"]["messages"]


@pytest.mark.skipif(not installed("torch"), reason="torch not installed")
def test_run_with_a_baseline_reports_what_moved_and_exits_1(tmp_path):
    base = tmp_path / "base.json"
    first = conformance("run", "cases/vjp", "--framework", "torch", "--dtype", "float64", "--report", str(base))
    assert first.returncode == 0, first.stdout + first.stderr
    data = report.read(base)
    assert conformance("run", "cases/vjp", "--framework", "torch", "--dtype", "float64",
                       "--baseline", str(base)).returncode == 0
    job(data, "seed-vjp", "torch")["gradients"]["a"]["value"][0] = 0.25
    report.write(data, base)
    second = conformance("run", "cases/vjp", "--framework", "torch", "--dtype", "float64", "--baseline", str(base))
    assert second.returncode == 1
    assert "against the baseline:" in second.stdout
    row = next(line for line in second.stdout.splitlines() if line.startswith("seed-vjp") and "moved" in line)
    assert row.split()[:6] == ["seed-vjp", "torch", "float64", "moved", "a", "[2.5e-01,"], row
    assert "REGRESSED moved by 0.05" in row
