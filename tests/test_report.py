import json
import os
import re
import stat
import sys
from pathlib import Path

import numpy as np
import pytest
from rich.console import Console

from conformance import junit, loader, model, ranking, report, runner, summary, verdicts

CASES = """
- {id: square, kind: grad, title: t, why: w, inputs: {a: [2.0, -1.0]}, function: sum(a*a), dtypes: [float64],
   expected: {a: {value: [4, -2], why: 2a}}}
- {id: wrong, kind: grad, title: t, why: w, inputs: {a: 3.0}, function: a*a, dtypes: [float64],
   expected: {a: {value: 7, why: deliberately wrong}}}
"""


@pytest.fixture
def built(write_case):
    cases, errors = loader.load([write_case(CASES)])
    jobs = runner.run(runner.plan([c.case for c in cases], ["fake"]), {"fake": "tests.fake_adapter:FakeAdapter"})
    return report.build(verdicts.judge(jobs), cases, errors, ["fake"])


def test_round_trip_is_lossless_and_strict_json(built, tmp_path):
    path = tmp_path / "sub" / "report.json"
    report.write(built, path)
    text = path.read_text()
    json.loads(text, parse_constant=lambda c: pytest.fail(f"non-standard JSON constant {c}"))
    assert report.read(path) == built
    assert [p.name for p in path.parent.iterdir()] == ["report.json"]  # no temporary file left behind


def test_the_report_names_no_path_of_the_machine(write_case, tmp_path):
    """A report is shared: its case files are named from their library's cases/ folder on, the Python executable
    by its file name; a load error's file too."""
    library = tmp_path / "lib" / "cases" / "topic"
    library.mkdir(parents=True)
    good, bad = library / "good.yaml", library / "bad.yaml"
    good.write_text(CASES, encoding="utf-8")
    bad.write_text("id: [", encoding="utf-8")
    cases, errors = loader.load([good.resolve(), bad.resolve()])
    jobs = runner.run(runner.plan([c.case for c in cases], ["fake"]), {"fake": "tests.fake_adapter:FakeAdapter"})
    built = report.build(verdicts.judge(jobs), cases, errors, ["fake"])
    assert {c.file for c in built.cases.values()} == {"cases/topic/good.yaml"}
    assert [e.file for e in built.load_errors] == ["cases/topic/bad.yaml"]
    report.write(built, tmp_path / "r.json")
    assert str(tmp_path) not in (tmp_path / "r.json").read_text()
    assert built.environment.executable == Path(sys.executable).name


def test_jobs_carry_the_promised_keys(built, tmp_path):
    report.write(built, tmp_path / "r.json")
    job = next(j for j in json.loads((tmp_path / "r.json").read_text())["jobs"] if j["case"] == "square")
    assert {"case", "framework", "regime", "label", "dtype", "verdict", "failures", "notes", "gradients"} <= set(job)
    assert (job["regime"], job["label"]) == ("eager", "fake")  # an adapter that declares none: one regime
    grad = job["gradients"]["a"]
    assert grad["status"] == "value" and grad["class"] == "finite" and grad["verdict"] == "pass"
    assert grad["matches_math"] is True
    np.testing.assert_allclose(grad["value"], [4, -2], rtol=1e-8)
    assert grad["expected"] == [4.0, -2.0]
    assert grad["expected_error"]["max_abs"] < 1e-6 and "max_rel" in grad["oracle_error"]
    assert built.environment.frameworks["fake"].model_dump() == {
        "available": True,
        "versions": {"fake": "1.0"},
        "reason": None,
        "regime": "eager",
        "regimes": {"eager": "as the adapter runs"},
    }
    assert built.summary == {"fake": {"pass": 1, "fail": 1}}
    assert built.failed()


def test_non_finite_values_become_strings():
    assert report.plain({"x": np.array([np.nan, np.inf, -np.inf, 1.0])}) == {"x": ["nan", "inf", "-inf", 1.0]}


def test_reading_an_older_format_is_a_clear_error(built, tmp_path):
    path = tmp_path / "old.json"
    path.write_text(json.dumps({**built.model_dump(mode="json", by_alias=True), "version": 0}))
    with pytest.raises(ValueError, match="format version 0"):
        report.read(path)
    path.write_text("{}")
    with pytest.raises(ValueError, match="not a gradient conformance report"):
        report.read(path)


def test_a_damaged_report_is_a_clear_error_naming_the_file(built, tmp_path):
    data = built.model_dump(mode="json", by_alias=True)
    data["jobs"][0]["gradients"]["a"]["value"] = "many"
    path = tmp_path / "damaged.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ValueError, match=r"damaged.json: not a valid report: jobs.0.gradients.a.value"):
        report.read(path)
    path.write_text(json.dumps(data)[:100])
    with pytest.raises(ValueError, match=r"damaged\.json: not a gradient conformance report"):
        report.read(path)


def test_the_summary_shows_each_failure_with_its_reason(built):
    console = Console(record=True, width=200)
    summary.render(built, console)
    text = console.export_text()
    assert "wrong [fake-float64] fail: a: expected 7" in text and "2 jobs: 1 pass, 1 fail" in text
    assert text.index("Verdicts against the math") < text.index("Failures")


def _nested(depth: int) -> str:
    return "[" * depth + "1.0" + "]" * depth


def _once(text: str, old: str, new: str) -> str:
    assert old in text
    return text.replace(old, new, 1)


# each a way a file can be damaged: (name, how to make its text from the report's text and data)
DAMAGED = {
    "nested too deep for JSON": lambda text, data: _nested(100_000),
    "a value nested deep": lambda text, data: _once(text, '"value": [', f'"value": [{_nested(900)}, '),
    "truncated": lambda text, data: text[: len(text) // 2],
    "missing key": lambda text, data: json.dumps(
        {**data, "jobs": [{k: v for k, v in data["jobs"][0].items() if k != "verdict"}]}
    ),
    "non-numeric seconds": lambda text, data: _once(text, '"seconds": ', '"seconds": "slow", "x": '),
    "non-numeric count": lambda text, data: json.dumps({**data, "summary": {"fake": {"pass": "many"}}}),
    "NaN": lambda text, data: _once(text, '"seconds": ', '"seconds": NaN, "x": '),
    "a number beyond float": lambda text, data: _once(text, '"seconds": ', '"seconds": 1e999, "x": '),
    "not UTF-8": lambda text, data: "\udcff",
}


@pytest.mark.parametrize("how", DAMAGED)
def test_every_damaged_report_is_a_value_error_naming_the_file(built, tmp_path, how):
    path = tmp_path / "damaged report.json"
    report.write(built, path)
    text = DAMAGED[how](path.read_text(), json.loads(path.read_text()))
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    with pytest.raises(ValueError, match=re.escape(str(path))):
        report.read(path)


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_report_and_junit_files_honour_the_umask(built, tmp_path, umask, mode):
    old = os.umask(umask)
    try:
        report.write(built, tmp_path / "out" / "r.json")
        junit.write(built, tmp_path / "out" / "j.xml")
    finally:
        os.umask(old)
    out = tmp_path / "out"
    assert [stat.S_IMODE((out / name).stat().st_mode) for name in ("r.json", "j.xml")] == [mode, mode]
    assert sorted(p.name for p in out.iterdir()) == ["j.xml", "r.json"]  # no temporary file left


def test_a_partial_report_says_so_first_in_the_summary_and_in_junit(built, tmp_path):
    built.partial = report.Partial(reason="interrupted by SIGTERM", finished=2, planned=5)
    path = tmp_path / "p.json"
    report.write(built, path)
    assert report.read(path).partial == built.partial
    data = json.loads(path.read_text())
    del data["partial"]  # a report from before the field reads as complete
    path.write_text(json.dumps(data))
    assert report.read(path).partial is None
    console = Console(record=True, width=200)
    summary.render(built, console)
    lines = console.export_text().splitlines()
    assert lines[0] == "Partial report (interrupted by SIGTERM): 2 of 5 jobs finished; the other 3 are not in it"
    assert lines[-1].endswith("(partial: interrupted by SIGTERM)")
    assert '<property name="partial" value="interrupted by SIGTERM: 2 of 5 jobs" />' in junit.xml(built)


def test_an_unavailable_framework_is_said_once_not_once_per_job(sample):
    console = Console(record=True, width=200)
    summary.render(sample, console, full_table=True)
    text = console.export_text()
    assert text.count("No module named 'not_a_real_framework_xyz'") == 1
    every_job = text[text.index("Every job") :]
    assert "unavailable" not in every_job.split("jobs:")[0] and "broken" not in every_job


def test_each_job_records_its_regime_and_label_and_a_report_from_before_regimes_still_reads(tmp_path):
    from tests.fake_reports import regimes_report

    built = regimes_report(tmp_path)
    assert [(j.framework, j.regime, j.label) for j in built.jobs] == [
        ("torch", "eager", "torch"),
        ("torch", "compiled", "torch[compiled]"),
        ("jax", "compiled", "jax"),
    ]
    assert list(built.summary) == ["torch", "torch[compiled]", "jax"]
    torch = built.environment.frameworks["torch"]
    assert torch.regime == "eager" and torch.regimes == {"eager": "eager", "compiled": "torch.compile (inductor)"}
    assert built.environment.frameworks["jax"].regimes == {"compiled": "jax.jit"}
    data = json.loads(built.model_dump_json(by_alias=True))
    data["jobs"] = [job for job in data["jobs"] if job["label"] != "torch[compiled]"]  # before regimes: one each
    del data["summary"]["torch[compiled]"], data["plan"]
    for row in data["agreement"]:
        row["answers"] = [answer for answer in row["answers"] if answer["label"] != "torch[compiled]"]
        row["groups"], row["odd"] = [["torch", "jax"]], []
    for record in [*data["jobs"], *(a for row in data["agreement"] for a in row["answers"])]:
        del record["regime"], record["label"]
    for info in data["environment"]["frameworks"].values():
        del info["regimes"]
    (tmp_path / "old.json").write_text(json.dumps(data))
    old = report.read(tmp_path / "old.json")
    assert [(j.regime, j.label) for j in old.jobs] == [(None, "torch"), (None, "jax")]
    assert old.plan is None


def test_the_summary_names_each_regime_by_its_label_with_how_it_ran(tmp_path):
    from rich.console import Console

    from tests.fake_reports import regimes_report

    console = Console(record=True, width=200, color_system=None)
    summary.render(regimes_report(tmp_path), console)
    text = console.export_text()
    assert "torch: torch 2.13 (eager)" in text and "torch[compiled]: torch 2.13 (torch.compile (inductor))" in text
    assert "jax: jax 0.10 (jax.jit)" in text
    row = "good a [float64]: torch, jax 4 ✓ | torch[compiled] 5 ✗ fail"
    assert f"torch[compiled] misses the math: a wrong value (1)\n  {row}" in text
    assert "good [torch[compiled]-float64] fail" in text


def _renamed(data: dict, old: str, new: str) -> dict:
    """`data` with case `old` called `new` everywhere."""
    data["cases"] = {new if case == old else case: record for case, record in data["cases"].items()}
    for record in [*data["jobs"], *data["agreement"]]:
        record["case"] = new if record["case"] == old else record["case"]
    return data


def _job(data: dict, case: str) -> dict:
    return next(job for job in data["jobs"] if job["case"] == case and job["label"] == "fake")


# each a forgery of the sample report (every verdict): (what it is, how to make it, what the error says)
FORGED = [
    ("a case id that climbs out of a folder", lambda d: _renamed(d, "good", "../../escape"), "should match pattern"),
    ("a case id of 300 characters", lambda d: _renamed(d, "good", "a" * 300), "at most 128 characters"),
    ("a case id of HTML", lambda d: _renamed(d, "good", "<script>alert(1)</script>"), "should match pattern"),
    (
        "a convention's javascript: link",
        lambda d: _job(d, "chosen")["gradients"]["a"]["convention"].update(link="javascript:alert(1)"),
        r"jobs\.\d+\.gradients\.a\.convention\.link: String should match pattern",
    ),
    (
        "a bug's javascript: link",
        lambda d: _job(d, "known")["bugs"][0].update(link="javascript:alert(1)"),
        r"jobs\.\d+\.bugs\.0\.link: String should match pattern",
    ),
    ("created as HTML", lambda d: d.update(created="<script>alert(1)</script>"), "created: .*not an ISO 8601"),
    ("created without its UTC offset", lambda d: d.update(created="2026-12-07T17:00:00"), "without its UTC offset"),
    ("a label of HTML", lambda d: _job(d, "good").update(label="fake<img src=x>"), r"label: String should match"),
    ("a label of another framework", lambda d: _job(d, "good").update(label="broken"), "'broken' is not fake"),
    (
        "a framework name of HTML",
        lambda d: d["environment"]["frameworks"].update({"<b>x</b>": d["environment"]["frameworks"]["fake"]}),
        r"environment\.frameworks\.<b>x</b>\.\[key\]: String should match pattern",
    ),
    (
        "a job of a case the report does not list",
        lambda d: d["cases"].pop("good"),
        "a job or an agreement of case good, not in cases",
    ),
    (
        "a job of a framework the report does not list",
        lambda d: d["environment"]["frameworks"].pop("broken"),
        "a job or an agreement of framework broken, not in environment.frameworks",
    ),
    ("a job twice", lambda d: d["jobs"].append(d["jobs"][0]), r"job good\[fake-float32\] is in the report twice"),
    (
        "a summary that does not count the jobs",
        lambda d: d["summary"]["fake"].update({"pass": 99}),
        "the summary does not count the jobs",
    ),
]


@pytest.mark.parametrize("how, forge, error", FORGED, ids=[f[0] for f in FORGED])
def test_a_forged_report_is_refused_naming_the_file_and_the_field(sample, tmp_path, how, forge, error):
    data = json.loads(sample.model_dump_json(by_alias=True))
    forge(data)
    path = tmp_path / "forged.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ValueError, match=re.escape(f"{path}: not a valid report: ") + f".*{error}"):
        report.read(path)


def test_an_agreement_answer_with_a_javascript_link_is_refused(tmp_path):
    from tests.fake_reports import regimes_report

    data = json.loads(regimes_report(tmp_path).model_dump_json(by_alias=True))
    data["agreement"][0]["answers"][0]["link"] = "javascript:alert(1)"
    (tmp_path / "forged.json").write_text(json.dumps(data))
    with pytest.raises(ValueError, match=r"agreement\.0\.answers\.0\.link: String should match pattern"):
        report.read(tmp_path / "forged.json")


def test_case_files_and_reports_share_the_id_rule(write_case):
    """A case id the report would refuse is refused where it is written, in the case file."""
    long_id = "a" * (model.CASE_ID_LENGTH + 1)
    _, errors = loader.load(
        [write_case(f"- {{id: {long_id}, kind: grad, title: t, why: w, inputs: {{a: 1.0}}, function: a}}")]
    )
    assert [e.message for e in errors] == [f"id: String should have at most {model.CASE_ID_LENGTH} characters"]


def test_a_symbolic_zero_shows_its_zeros_and_that_it_is_one():
    """JAX's symbolic zero is a value, as jax.grad hands it over; where frameworks differ, the line says which it is."""
    answer = report.AnswerRecord(
        framework="jax",
        regime="compiled",
        label="jax",
        status="value",
        cls="exact_zero",
        representation="symbolic zero",
        value=[0.0, 0.0],
        error=None,
        verdict="pass",
        matches_math=True,
        why=None,
        link=None,
    )
    assert ranking.value_text(answer) == "[0., 0.] (exact_zero, symbolic zero)"
