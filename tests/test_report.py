import json

import numpy as np
import pytest
from rich.console import Console

from conformance import loader, report, runner, summary, verdicts

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


def test_jobs_carry_the_promised_keys(built, tmp_path):
    report.write(built, tmp_path / "r.json")
    job = next(j for j in json.loads((tmp_path / "r.json").read_text())["jobs"] if j["case"] == "square")
    assert {"case", "framework", "dtype", "verdict", "failures", "notes", "gradients"} <= set(job)
    grad = job["gradients"]["a"]
    assert grad["status"] == "value" and grad["class"] == "finite" and grad["verdict"] == "pass"
    assert grad["matches_math"] is True
    np.testing.assert_allclose(grad["value"], [4, -2], rtol=1e-8)
    assert grad["expected"] == [4.0, -2.0]
    assert grad["expected_error"]["max_abs"] < 1e-6 and "max_rel" in grad["oracle_error"]
    assert built.environment.frameworks["fake"].model_dump() == {
        "available": True, "versions": {"fake": "1.0"}, "reason": None}
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
    with pytest.raises(ValueError, match="damaged.json: not a gradient conformance report"):
        report.read(path)


def test_the_summary_shows_each_failure_with_its_reason(built):
    console = Console(record=True, width=200)
    summary.render(built, console)
    text = console.export_text()
    assert "wrong [fake-float64] fail: a: expected 7" in text and "2 jobs: 1 pass, 1 fail" in text
    assert text.index("Verdicts against the math") < text.index("Failures")
