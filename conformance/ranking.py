"""Where the frameworks differ, ranked once for every view (terminal, docs index, JUnit, pytest, compare).

The unit counted is a differing agreement record: one gradient (an input of a case) in one dtype on which the
frameworks give different answers. `Ranking.count` is that number, the one every view says.

Order: first the rows where a framework misses the math, grouped by the odd framework(s) (one odd framework before
two, in the report's order), then by how it misses it (`SYMPTOMS`: a wrong value, NaN or inf, an error, None), the
worst verdict first (error, fail, stale, then the recorded: xfail, convention), then the case order; then the
differences that no reference judges (nobody blamed); last the representation-only differences, where every
framework matches the math (0.0 against None against a symbolic zero): these collapse to one counted line per
function (the case id without its sample), which a verbose view expands.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from conformance.report import AgreementRecord, AnswerRecord
from conformance.tolerance import numeric, short
from conformance.vocabulary import Agreement, Class, Status, Symptom

DIFFERING = (Agreement.DIFFER, Agreement.DIFFER_NO_REFERENCE)
#: how an odd framework misses the math, most telling first
SYMPTOMS = (Symptom.VALUE, Symptom.NAN, Symptom.INF, Symptom.ERROR, Symptom.NONE)
#: how a heading says each symptom
SAID = {
    Symptom.VALUE: "a wrong value",
    Symptom.NAN: "NaN",
    Symptom.INF: "inf",
    Symptom.ERROR: "an error",
    Symptom.NONE: "None (disconnected)",
}
#: elements an array shows before the rest is elided
SHOWN = 3
ZEROS = (Class.EXACT_ZERO, Class.TOLERANCE_ZERO)


class Section(StrEnum):
    MISSES = "a framework misses the math"
    NO_REFERENCE = "no reference (nobody blamed)"
    REPRESENTATION = "representation only (every framework matches the math)"


#: how the headline counts each section
COUNTED = {
    Section.MISSES: "where a framework misses the math",
    Section.NO_REFERENCE: "with no reference",
    Section.REPRESENTATION: "where every framework matches it (representation only)",
}


@dataclass(frozen=True)
class Finding:
    """One ranked row: a (case, gradient) and its dtypes on which the frameworks answered alike."""

    records: tuple[AgreementRecord, ...]
    section: Section
    odd: tuple[str, ...]  # the labels that miss the math; () where none does
    symptom: Symptom | None  # how they miss it

    @property
    def case(self) -> str:
        return self.records[0].case

    @property
    def gradient(self) -> str:
        return self.records[0].gradient

    @property
    def dtypes(self) -> list[str]:
        return [r.dtype for r in self.records]

    @property
    def function(self) -> str:
        """The case id without its sample (`floor-sweep` for `floor-sweep[integer]`)."""
        return self.case.split("[", 1)[0]

    @property
    def heading(self) -> str:
        """The heading it ranks under: `jax misses the math: a wrong value`, or its section."""
        if not self.odd:
            return self.section.value
        said = f": {SAID[self.symptom]}" if self.symptom else ""
        return f"{', '.join(self.odd)} miss{'es' if len(self.odd) == 1 else ''} the math{said}"

    def answers(self) -> str:
        """Each framework's answer, arrays elided: `torch 0 ✓ | jax 1 ✗ convention https://...`."""
        return " | ".join(answer_text(x) for x in self.records[0].answers)


@dataclass(frozen=True)
class Collapsed:
    """The representation-only findings of one function, as one counted line."""

    function: str
    findings: tuple[Finding, ...]

    @property
    def count(self) -> int:
        return sum(len(f.records) for f in self.findings)

    def representations(self) -> str:
        """Each framework's answers across the findings: `torch 0 | tensorflow None | jax symbolic zero`."""
        seen: dict[str, dict[str, None]] = {}
        for finding in self.findings:
            for x in finding.records[0].answers:
                seen.setdefault(x.label, {})[form(x)] = None
        return " | ".join(f"{label} {' / '.join(values)}" for label, values in seen.items())


@dataclass(frozen=True)
class Ranking:
    findings: tuple[Finding, ...]  # ranked: misses the math, then no reference, then representation only
    compared: int  # agreement records compared across frameworks

    @property
    def count(self) -> int:
        """Where the frameworks differ: differing gradients (case, input, dtype)."""
        return sum(len(f.records) for f in self.findings)

    def of(self, section: Section) -> list[Finding]:
        return [f for f in self.findings if f.section == section]

    def counted(self, section: Section) -> int:
        return sum(len(f.records) for f in self.of(section))

    def collapsed(self) -> list[Collapsed]:
        """The representation-only findings, one entry per function, in rank order."""
        by_function: dict[str, list[Finding]] = {}
        for finding in self.of(Section.REPRESENTATION):
            by_function.setdefault(finding.function, []).append(finding)
        return [Collapsed(function, tuple(found)) for function, found in by_function.items()]

    def records(self) -> list[AgreementRecord]:
        """Every differing record in rank order (a view that merges dtypes itself keeps the order)."""
        return [r for f in self.findings for r in f.records]

    def headline(self) -> str:
        """The one sentence with the count: `Where the frameworks differ: 306 of 2158 gradients compared (...)`."""
        if not self.compared:
            return "No gradient was compared across frameworks (a comparison needs two that ran it)."
        if not self.findings:
            return f"The frameworks agree on all {self.compared} gradients (case, input, dtype) compared."
        parts = [f"{self.counted(s)} {COUNTED[s]}" for s in Section if self.counted(s)]
        return (
            f"Where the frameworks differ: {self.count} of {self.compared} gradients (case, input, dtype) "
            f"compared: {'; '.join(parts)}"
        )


def rank(agreement: Iterable[AgreementRecord]) -> Ranking:
    """The ranking of a report's (or a plugin session's) agreement records."""
    records = list(agreement)
    labels = list(dict.fromkeys(x.label for a in records for x in a.answers))
    cases = list(dict.fromkeys(a.case for a in records))
    merged: dict[tuple[str, str, str], list[AgreementRecord]] = {}
    for a in records:
        if a.result in DIFFERING:
            merged.setdefault((a.case, a.gradient, " | ".join(map(answer_text, a.answers))), []).append(a)
    findings = [_finding(tuple(found)) for found in merged.values()]

    def key(f: Finding) -> tuple:
        section = list(Section).index(f.section)
        if f.section != Section.MISSES:
            return section, (), 0, 0, cases.index(f.case)
        worst = max(x.verdict.rank for x in f.records[0].answers if x.label in f.odd)
        return (
            section,
            (len(f.odd), *map(labels.index, f.odd)),
            SYMPTOMS.index(f.symptom or Symptom.VALUE),
            -worst,
            cases.index(f.case),
        )

    return Ranking(tuple(sorted(findings, key=key)), sum(1 for a in records if a.result != Agreement.NOT_COMPARED))


def _finding(records: tuple[AgreementRecord, ...]) -> Finding:
    answers = records[0].answers
    odd = tuple(x.label for x in answers if x.matches_math is False)
    if odd:
        symptoms = [symptom(x) for x in answers if x.label in odd]
        return Finding(records, Section.MISSES, odd, min(symptoms, key=SYMPTOMS.index))
    if records[0].result == Agreement.DIFFER and all(x.matches_math for x in answers):
        return Finding(records, Section.REPRESENTATION, (), None)
    return Finding(records, Section.NO_REFERENCE, (), None)


def symptom(answer: AnswerRecord) -> Symptom:
    """How an answer looks: an error, None (disconnected), NaN, inf or a value."""
    if answer.status == Status.ERROR:
        return Symptom.ERROR
    if answer.status == Status.DISCONNECTED:
        return Symptom.NONE
    return {Class.NAN: Symptom.NAN, Class.INF: Symptom.INF}.get(answer.cls or Class.FINITE, Symptom.VALUE)


def brief(value: object) -> str:
    """A value on a few characters: an array shows its first elements and how many there are."""
    array = numeric(value)
    if array.size <= SHOWN + 1:
        return short(array, precision=4)
    head = ", ".join(short(x, precision=4) for x in array.ravel()[:SHOWN])
    return f"[{head}, … ({array.size} values)]"


def form(answer: AnswerRecord) -> str:
    """What kind of answer it is, whatever its shape: `0.0`, `rounding-level zero`, `None`, `symbolic zero`."""
    if answer.representation:
        return answer.representation
    if answer.status == Status.VALUE and answer.cls == Class.EXACT_ZERO:
        return "0.0"
    if answer.status == Status.VALUE and answer.cls == Class.TOLERANCE_ZERO:
        return "rounding-level zero"
    return value_text(answer)


def value_text(answer: AnswerRecord, elide: bool = True) -> str:
    """The answer's value, or what stands for it: None, a symbolic zero, an error's type; a zero says its class
    (an exact zero against a rounding-level one is a difference of its own)."""
    if answer.status == Status.DISCONNECTED:
        return answer.representation or "disconnected"
    if answer.status == Status.ERROR:
        return f"error ({(answer.error or '').split(':')[0]})"
    text = "-" if answer.value is None else brief(answer.value) if elide else short(answer.value, precision=4)
    notes = [*([answer.cls.value] if answer.cls in ZEROS else []), *filter(None, [answer.representation])]
    return f"{text} ({', '.join(notes)})" if notes else text


def answer_text(answer: AnswerRecord) -> str:
    """`jax 1 ✗ convention https://...`: the value, whether it matches the math, its verdict and link."""
    parts = [answer.label, value_text(answer)]
    if answer.matches_math is not None:
        parts.append("✓" if answer.matches_math else "✗")
    if answer.verdict.value != "pass":
        parts.append(answer.verdict.value)
    if answer.link:
        parts.append(answer.link)
    return " ".join(parts)
