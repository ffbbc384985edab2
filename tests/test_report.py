import json

import numpy as np
import pytest

from conformance import compare, loader, report, runner

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
    return report.build(compare.judge(jobs), cases, errors, ["fake"])


def test_round_trip_is_lossless_and_strict_json(built, tmp_path):
    path = tmp_path / "sub" / "report.json"
    report.write(built, path)
    text = path.read_text()
    json.loads(text, parse_constant=lambda c: pytest.fail(f"non-standard JSON constant {c}"))
    assert report.read(path) == built
    assert [p.name for p in path.parent.iterdir()] == ["report.json"]  # no temporary file left behind


def test_jobs_carry_the_promised_keys(built):
    job = next(j for j in built["jobs"] if j["case"] == "square")
    assert {"case", "framework", "dtype", "verdict", "gradients"} <= set(job)
    grad = job["gradients"]["a"]
    assert grad["status"] == "value" and grad["class"] == "finite"
    np.testing.assert_allclose(grad["value"], [4, -2], rtol=1e-8)
    assert grad["expected"] == [4.0, -2.0]
    assert grad["expected_error"]["max_abs"] < 1e-6 and "max_rel" in grad["oracle_error"]
    assert built["environment"]["frameworks"]["fake"] == {
        "available": True, "versions": {"fake": "1.0"}, "reason": None}
    assert built["summary"] == {"pass": 1, "fail": 1}
    assert report.failed(built)


def test_non_finite_values_become_strings():
    assert report._plain({"x": np.array([np.nan, np.inf, -np.inf, 1.0])}) == {"x": ["nan", "inf", "-inf", 1.0]}


def test_reading_an_older_format_is_a_clear_error(built, tmp_path):
    path = tmp_path / "old.json"
    path.write_text(json.dumps({**built, "version": 0}))
    with pytest.raises(ValueError, match="format version 0"):
        report.read(path)
    path.write_text("{}")
    with pytest.raises(ValueError, match="not a gradient conformance report"):
        report.read(path)


def test_table_shows_each_failure_with_its_reason(built):
    text = report.table(built)
    assert "wrong" in text and "expected 7" in text and "2 jobs: 1 fail, 1 pass" in text
