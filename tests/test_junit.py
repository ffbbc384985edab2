"""JUnit XML: one testcase per job, outcomes by verdict, framework versions and conventions as properties."""

import xml.etree.ElementTree as ET

from conformance import junit
from conformance.vocabulary import Verdict


def test_verdicts_map_to_junit_outcomes_with_versions_as_properties(sample, tmp_path):
    path = tmp_path / "out" / "junit.xml"
    junit.write(sample, path)
    root = ET.parse(path).getroot()
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    assert set(suites) == {"fake", "broken"}
    fake = suites["fake"]
    properties = {p.get("name"): p.get("value") for p in fake.iterfind("properties/property")}
    assert properties["fake"] == "1.0" and properties["python"] == sample.environment.python
    outcome = {case.get("name"): [(c.tag, c.get("message")) for c in case] for case in fake.iter("testcase")}
    assert outcome["good[fake-float64]"] == []
    assert outcome["wrong[fake-float64]"] == [("failure", "fail: a: expected 5, got 4 (max abs error 1)")]
    assert outcome["raises[fake-float64]"] == [("error", "error: RuntimeError: deliberate")]
    assert outcome["known[fake-float64]"] == [("skipped", "xfail: known bug: known (https://example.org/1)")]
    assert outcome["stale[fake-float64]"] == [
        ("failure", "stale: the known bug no longer happens: remove its divergence mark (https://example.org/2)")
    ]
    assert (fake.get("tests"), fake.get("failures"), fake.get("errors"), fake.get("skipped")) == ("8", "3", "1", "1")
    broken = suites["broken"]
    assert {p.get("name") for p in broken.iter("property")} >= {"unavailable"}
    assert all(case[0].tag == "skipped" for case in broken.iter("testcase"))


def test_a_convention_is_a_passing_testcase_with_its_why_and_link(sample):
    root = ET.fromstring(junit.xml(sample))
    case = next(c for c in root.iter("testcase") if c.get("name") == "chosen[fake-float64]")
    assert [child.tag for child in case] == ["properties"]  # no failure, error or skipped: it passes
    assert [(p.get("name"), p.get("value")) for p in case.iter("property")] == [
        ("convention", "fake documents 2a (https://example.org/doc)")
    ]


def test_a_stale_convention_fails_with_its_reason(sample):
    job = next(j for j in sample.jobs if (j.case, j.framework) == ("chosen", "fake"))
    job.verdict = job.gradients["a"].verdict = Verdict.STALE
    job.gradients["a"].failures = ["now matches the math: remove the recorded convention (https://example.org/doc)"]
    case = next(c for c in ET.fromstring(junit.xml(sample)).iter("testcase") if c.get("name") == "chosen[fake-float64]")
    assert [(child.tag, child.get("message")) for child in case] == [
        ("failure", "stale: a: now matches the math: remove the recorded convention (https://example.org/doc)")
    ]


def test_each_regime_is_a_suite_of_its_own_with_the_regime_as_a_property(tmp_path):
    from tests.fake_reports import regimes_report

    root = ET.fromstring(junit.xml(regimes_report(tmp_path)))
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    assert list(suites) == ["torch", "torch[compiled]", "jax"]
    regime = {
        name: {p.get("name"): p.get("value") for p in s.iterfind("properties/property")}["regime"]
        for name, s in suites.items()
    }
    assert regime == {
        "torch": "eager",
        "torch[compiled]": "compiled (torch.compile (inductor))",
        "jax": "compiled (jax.jit)",
    }
    (case,) = suites["torch[compiled]"].iter("testcase")
    assert case.get("name") == "good[torch[compiled]-float64]" and [c.tag for c in case] == ["properties", "failure"]


def test_characters_xml_forbids_are_written_visibly_and_the_file_stays_well_formed(sample, tmp_path):
    job = next(j for j in sample.jobs if (j.case, j.framework, j.dtype) == ("wrong", "fake", "float64"))
    job.failures = ["\x1b[31mRuntimeError\x1b[0m: a YAML escape \x01 and \ud800"]
    path = tmp_path / "junit.xml"
    junit.write(sample, path)
    case = next(c for c in ET.parse(path).getroot().iter("testcase") if c.get("name") == "wrong[fake-float64]")
    assert case[0].get("message") == "fail: \\x1b[31mRuntimeError\\x1b[0m: a YAML escape \\x01 and \\ud800"


def test_where_the_frameworks_differ_is_ranked_with_the_count_every_view_says(tmp_path):
    from rich.console import Console

    from conformance import ranking, summary
    from tests.fake_reports import regimes_report

    built = regimes_report(tmp_path)
    root = ET.fromstring(junit.xml(built))
    headline = ranking.rank(built.agreement).headline()
    assert headline.startswith("Where the frameworks differ: 1 of 1 gradients")
    assert {
        p.get("value")
        for s in root.iter("testsuite")
        for p in s.iterfind("properties/property")
        if p.get("name") == "frameworks differ"
    } == {headline}
    console = Console(record=True, width=300)
    summary.render(built, console)
    assert headline in console.export_text()
    odd = next(c for c in root.iter("testcase") if c.get("name") == "good[torch[compiled]-float64]")
    assert [p.get("value") for p in odd.iter("property")] == [
        "rank 1 of 1: a [float64]: torch[compiled] misses the math: a wrong value: torch 4 ✓ | torch[compiled] 5 ✗ fail"
        " | jax 4 ✓"
    ]
    assert not list(next(c for c in root.iter("testcase") if c.get("name") == "good[torch-float64]").iter("property"))
