"""JUnit XML: one testcase per job, outcomes by verdict, framework versions as properties."""
import xml.etree.ElementTree as ET

from conformance import junit
from tests.fake_reports import _sample, sample  # noqa: F401  (fixtures)


def test_verdicts_map_to_junit_outcomes_with_versions_as_properties(sample, tmp_path):
    path = tmp_path / "out" / "junit.xml"
    junit.write(sample, path)
    root = ET.parse(path).getroot()
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    assert set(suites) == {"fake", "broken"}
    fake = suites["fake"]
    properties = {p.get("name"): p.get("value") for p in fake.iter("property")}
    assert properties["fake"] == "1.0" and properties["python"] == sample["environment"]["python"]
    outcome = {case.get("name"): [(c.tag, c.get("message")) for c in case] for case in fake.iter("testcase")}
    assert outcome["good[fake-float64]"] == []
    assert outcome["wrong[fake-float64]"][0][0] == "failure"
    assert outcome["wrong[fake-float64]"][0][1].startswith("fail: a: expected 5., got 4.")
    assert outcome["raises[fake-float64]"][0] == ("error", "error: RuntimeError: deliberate")
    assert outcome["known[fake-float64]"][0] == ("skipped", "xfail: known divergence: https://example.org/1")
    assert outcome["stale[fake-float64]"][0][0] == "failure"
    assert "now agrees: remove the divergence mark" in outcome["stale[fake-float64]"][0][1]
    assert (fake.get("tests"), fake.get("failures"), fake.get("errors"), fake.get("skipped")) == ("7", "3", "1", "1")
    broken = suites["broken"]
    assert {p.get("name") for p in broken.iter("property")} >= {"unavailable"}
    assert all(case[0].tag == "skipped" for case in broken.iter("testcase"))
