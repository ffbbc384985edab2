"""JUnit XML from a report, so CI systems show each job as a test with the framework versions as properties.

One testsuite per framework; each job is a testcase named like the pytest
plugin's items (`normal-reparam[torch-float32]`). fail and xpass (a stale
divergence mark) are failures, error is an error, xfail and unavailable are skipped.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

_OUTCOME = {"fail": "failure", "xpass": "failure", "error": "error", "xfail": "skipped", "unavailable": "skipped"}


def xml(report: dict[str, Any]) -> str:
    env = report["environment"]
    root = ET.Element("testsuites", name="gradient-conformance")
    for fw, info in env["frameworks"].items():
        jobs = [j for j in report["jobs"] if j["framework"] == fw]
        outcomes = [_OUTCOME.get(j["verdict"]) for j in jobs]
        suite = ET.SubElement(root, "testsuite", name=fw, tests=str(len(jobs)), timestamp=report["created"],
                              failures=str(outcomes.count("failure")), errors=str(outcomes.count("error")),
                              skipped=str(outcomes.count("skipped")),
                              time=f"{sum(j['seconds'] for j in jobs):.3f}")
        properties = ET.SubElement(suite, "properties")
        for name, value in [*info["versions"].items(), ("python", env["python"]), ("platform", env["platform"])]:
            ET.SubElement(properties, "property", name=name, value=value)
        if info["reason"]:
            ET.SubElement(properties, "property", name="unavailable", value=info["reason"])
        for job, outcome in zip(jobs, outcomes):
            case = ET.SubElement(suite, "testcase", classname=f"{fw}.{job['case']}",
                                 name=f"{job['case']}[{fw}-{job['dtype']}]", time=f"{job['seconds']:.3f}")
            if outcome:
                ET.SubElement(case, outcome, message=f"{job['verdict']}: {_headline(job)}",
                              type=job["verdict"]).text = "\n".join(job["messages"])
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _headline(job: dict[str, Any]) -> str:
    """The message that explains the verdict: a divergence mark's note comes last, a failure's cause first."""
    messages = job["messages"] or [""]
    return messages[-1] if job["verdict"] in ("xfail", "xpass") else messages[0]


def write(report: dict[str, Any], path: str | Path) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(xml(report), encoding="utf-8")
