"""JUnit XML from a report, so CI systems show each job as a test with the framework versions as properties.

One testsuite per framework and regime, named by its label (`torch`, `torch[compiled]`), with the regime as a
property; each job is a testcase named like the pytest plugin's items (`normal-reparam[torch-float32]`, in another
regime `normal-reparam[torch[compiled]-float32]`). pass and convention pass (a
convention shows as a `convention` property of its testcase: why and link);
fail and stale are failures, error is an error, xfail and unavailable are skipped.
Where the frameworks differ is ranked as everywhere (conformance/ranking.py): each suite carries the headline with
the one count (`frameworks differ`), and a testcase whose framework misses the math in a ranked row carries
`differs` properties, `rank 3 of 29: x [float32, float64]: jax misses the math: a wrong value: torch 0 ✓ | ...`.
An interrupted run's suites carry a `partial` property. A character XML 1.0 forbids (a control character from a
YAML escape, a framework's ANSI colours) is written as its Python escape, `\\x1b`: visible, and the file stays
well formed.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from conformance import ranking
from conformance.report import FrameworkInfo, JobRecord, Report, write_text
from conformance.vocabulary import Verdict

#: what XML 1.0 forbids: C0 controls but tab, newline and carriage return; surrogates; U+FFFE and U+FFFF
FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_OUTCOME = {
    Verdict.FAIL: "failure",
    Verdict.STALE: "failure",
    Verdict.ERROR: "error",
    Verdict.XFAIL: "skipped",
    Verdict.UNAVAILABLE: "skipped",
}


def xml(report: Report) -> str:
    env = report.environment
    root = ET.Element("testsuites", name="gradient-conformance")
    ranked = ranking.rank(report.agreement)
    blamed = _blamed(ranked)
    for fw, label, jobs in _suites(report):
        info = env.frameworks[fw]
        outcomes = [_OUTCOME.get(j.verdict) for j in jobs]
        suite = ET.SubElement(
            root,
            "testsuite",
            name=label,
            tests=str(len(jobs)),
            timestamp=report.created,
            failures=str(outcomes.count("failure")),
            errors=str(outcomes.count("error")),
            skipped=str(outcomes.count("skipped")),
            time=f"{sum(j.seconds for j in jobs):.3f}",
        )
        properties = ET.SubElement(suite, "properties")
        regime = [("regime", how)] if jobs and (how := _regime(info, jobs[0])) else []
        for name, value in [*info.versions.items(), *regime, ("python", env.python), ("platform", env.platform)]:
            ET.SubElement(properties, "property", name=name, value=value)
        if info.reason:
            ET.SubElement(properties, "property", name="unavailable", value=info.reason)
        ET.SubElement(properties, "property", name="frameworks differ", value=ranked.headline())
        if report.partial:  # an interrupted run: the jobs that did not finish are missing, not passing
            ET.SubElement(
                properties,
                "property",
                name="partial",
                value=f"{report.partial.reason}: {report.partial.finished} of {report.partial.planned} jobs",
            )
        for job, outcome in zip(jobs, outcomes, strict=True):
            name, params = item_name(job.case, label, job.dtype)
            case = ET.SubElement(
                suite, "testcase", classname=f"{label}.{job.case}", name=f"{name}[{params}]", time=f"{job.seconds:.3f}"
            )
            conventions = dict.fromkeys(
                f"{g.convention.why} ({g.convention.link})"
                for g in job.gradients.values()
                if g.verdict == Verdict.CONVENTION and g.convention
            )
            listed = [("convention", text) for text in conventions]
            listed += [("differs", text) for text in blamed.get((job.case, label, job.dtype), [])]
            if listed:
                holder = ET.SubElement(case, "properties")
                for name, text in listed:
                    ET.SubElement(holder, "property", name=name, value=text)
            if outcome:
                reasons = _reasons(job)
                ET.SubElement(
                    case,
                    outcome,
                    message=f"{job.verdict.value}: {reasons[0] if reasons else '-'}",
                    type=job.verdict.value,
                ).text = "\n".join(reasons)
    ET.indent(root)
    text = ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
    return FORBIDDEN.sub(lambda m: ascii(m.group())[1:-1], text)  # only values hold them, never the markup


def _blamed(ranked: ranking.Ranking) -> dict[tuple[str, str, str], list[str]]:
    """Per job (case, label, dtype), the ranked rows in which its framework misses the math."""
    rows = ranked.of(ranking.Section.MISSES)
    blamed: dict[tuple[str, str, str], list[str]] = {}
    for i, finding in enumerate(rows, 1):
        text = (
            f"rank {i} of {len(rows)}: {finding.gradient} [{', '.join(finding.dtypes)}]: {finding.heading}: "
            f"{finding.answers()}"
        )
        for label in finding.odd:
            for dtype in finding.dtypes:
                blamed.setdefault((finding.case, label, dtype), []).append(text)
    return blamed


def item_name(case: str, label: str, dtype: str) -> tuple[str, str]:
    """A job's test name as pytest parametrizes one, the name and its parameters: (`normal-reparam`,
    `torch-float32`); a sample's case id `log-sweep[tiny]` gives (`log-sweep`, `tiny-torch-float32`)."""
    name, bracket, sample = case.partition("[")
    return name, "-".join([*([sample.removesuffix("]")] if bracket else []), label, dtype])


def _suites(report: Report) -> list[tuple[str, str, list[JobRecord]]]:
    """(framework, label, its jobs) per label, frameworks in the environment's order; one without jobs: one empty
    suite, named after it."""
    out = []
    for fw in report.environment.frameworks:
        jobs = [j for j in report.jobs if j.framework == fw]
        labels = dict.fromkeys(j.label for j in jobs) or {fw: None}
        out += [(fw, label, [j for j in jobs if j.label == label]) for label in labels]
    return out


def _regime(info: FrameworkInfo, job: JobRecord) -> str:
    """The regime a suite ran in and how its framework spells it (`compiled (tf.function)`); an older report's
    framework-wide one (eager, jit)."""
    if job.regime is None:
        return info.regime or ""
    spelled = info.regimes.get(job.regime)
    return f"{job.regime} ({spelled})" if spelled and spelled != job.regime else job.regime


def _reasons(job: JobRecord) -> list[str]:
    """Why the job did not pass: its failures and its gradients', after the known bugs that explain an xfail."""
    bugs = [f"known bug: {b.why} ({b.link})" for b in job.bugs] if job.verdict == Verdict.XFAIL else []
    return bugs + job.all_failures()


def write(report: Report, path: str | Path) -> None:
    """Atomically, like the report: a CI reading it never sees half a file."""
    write_text(xml(report), path)
