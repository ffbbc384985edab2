"""Agreement: for each (case, dtype, gradient), do the frameworks give the same answer?

An answer goes by its job's label, the framework in a regime (`torch`, `torch[compiled]`): two regimes of one
framework are compared as two frameworks are, and one that differs is named as odd the same way.

A separate result from the verdicts: a difference here never fails a framework
that matches the math. Two answers are the same when their statuses are equal
and, for values, they match each other under the case's tolerance (the one
rule, either way round) and have the same class. The frameworks fall into
groups of the same answer; where there is more than one group they `differ`,
by status, value or class (the strongest difference between groups). The odd
ones out are those that miss the math; where every framework matches it (a
difference of class only), those outside the unique largest group. Without a
reference nobody is blamed. Values that are not comparable by construction
(each framework's own samples) are listed and not compared.

`consistency` is the same judgement inside one job (a second judge beside the math, as ∇Fuzz's oracle): the
gradients that are one quantity computed by different compositions of modes (a directional job's compositions,
jvp and jvp_reverse: their references' `siblings`) must agree with each other; one that differs is named odd, by
the math where it is stated, else as the minority, even where the case states no value.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from conformance.model import Tolerance
from conformance.tolerance import within
from conformance.verdicts import GradientVerdict, JobVerdict
from conformance.vocabulary import Agreement, Difference, Regime, Status, Verdict


@dataclass
class Answer:
    """One framework's answer for a gradient in one regime, with its verdict (and its convention or bug, if any)."""

    framework: str
    regime: Regime | None
    label: str  # the framework in its regime, as `Job.label` names it
    gradient: GradientVerdict


@dataclass
class GradientAgreement:
    case: str
    dtype: str
    gradient: str
    result: Agreement
    difference: Difference | None = None
    answers: list[Answer] = field(default_factory=list)
    #: labels with the same answer, one list per answer
    groups: list[list[str]] = field(default_factory=list)
    odd: list[str] = field(default_factory=list)
    reason: str | None = None  # why not compared


def agreement(verdicts: list[JobVerdict]) -> list[GradientAgreement]:
    """One result per (case, dtype, gradient) that two or more frameworks computed."""
    groups: dict[tuple[str, str], list[JobVerdict]] = {}
    for v in verdicts:
        if v.gradients:
            groups.setdefault((v.job.case.id, v.job.dtype), []).append(v)
    out = []
    for (case, dtype), jobs in groups.items():
        if len(jobs) < 2:
            continue
        tol = jobs[0].job.case.tolerance_for(dtype)
        for name in dict.fromkeys(n for v in jobs for n in v.gradients):
            answers = [
                Answer(v.job.framework, v.job.regime, v.job.label, v.gradients[name])
                for v in jobs
                if name in v.gradients
            ]
            if len(answers) >= 2:
                out.append(_agree(case, dtype, name, answers, tol))
    return out


def _agree(case: str, dtype: str, name: str, answers: list[Answer], tol: Tolerance) -> GradientAgreement:
    result = GradientAgreement(case, dtype, name, Agreement.AGREE, answers=answers)
    reason = next((a.gradient.not_comparable for a in answers if a.gradient.not_comparable), None)
    if reason:
        result.result, result.reason = Agreement.NOT_COMPARED, reason
        return result
    clusters: list[list[Answer]] = []
    for answer in answers:
        home = next((c for c in clusters if _difference(c[0].gradient, answer.gradient, dtype, tol) is None), None)
        if home is None:
            clusters.append([answer])
        else:
            home.append(answer)
    result.groups = [[a.label for a in c] for c in clusters]
    if len(clusters) == 1:
        return result
    found = {
        _difference(a[0].gradient, b[0].gradient, dtype, tol) for i, a in enumerate(clusters) for b in clusters[i + 1 :]
    }
    result.difference = next(d for d in Difference if d in found)
    stated = any(a.gradient.matches_math is not None for a in answers)
    if not stated:
        result.result = Agreement.DIFFER_NO_REFERENCE
        return result
    result.result = Agreement.DIFFER
    result.odd = [a.label for a in answers if a.gradient.verdict != Verdict.PASS]
    if not result.odd:
        sizes = sorted((len(c) for c in clusters), reverse=True)
        if sizes[0] > sizes[1]:
            largest = max(clusters, key=len)
            result.odd = [a.label for a in answers if a not in largest]
    return result


@dataclass
class Consistency:
    """Within one job, the gradients that compute one quantity (`quantity`), and whether they agree."""

    quantity: str
    result: Agreement
    difference: Difference | None = None
    #: gradient names with the same answer, one list per answer
    groups: list[list[str]] = field(default_factory=list)
    #: the gradients that differ: those that miss the math, else those outside the unique largest group
    odd: list[str] = field(default_factory=list)


def consistency(verdict: JobVerdict) -> list[Consistency]:
    """One result per group of sibling gradients with two or more values. A gradient that raised is judged by its
    verdict, not here: this compares the numbers the compositions give."""
    groups: dict[str, list[str]] = {}
    for name, g in verdict.gradients.items():
        if g.siblings is not None and g.status == Status.VALUE:
            groups.setdefault(g.siblings, []).append(name)
    tol = verdict.job.case.tolerance_for(verdict.job.dtype)
    out = []
    for quantity, names in groups.items():
        if len(names) < 2:
            continue
        answers = [Answer(verdict.job.framework, verdict.job.regime, name, verdict.gradients[name]) for name in names]
        agreed = _agree(verdict.job.case.id, verdict.job.dtype, quantity, answers, tol)
        odd = agreed.odd
        if agreed.result == Agreement.DIFFER_NO_REFERENCE:
            largest = max(len(group) for group in agreed.groups)
            if [len(group) for group in agreed.groups].count(largest) == 1:
                odd = [name for group in agreed.groups if len(group) < largest for name in group]
        out.append(Consistency(quantity, agreed.result, agreed.difference, agreed.groups, odd))
    return out


def _difference(a: GradientVerdict, b: GradientVerdict, dtype: str, tol: Tolerance) -> Difference | None:
    """How two frameworks' answers differ (None: the same answer)."""
    if a.status != b.status:
        return Difference.STATUS
    if a.status != Status.VALUE:
        return None
    floor = _floor(a.zero_tolerance, b.zero_tolerance)
    size = max(a.normwise_size, b.normwise_size)
    if not (
        within(a.value, b.value, dtype, tol.rtol, tol.atol, floor, normwise_size=size)
        or within(b.value, a.value, dtype, tol.rtol, tol.atol, floor, normwise_size=size)
    ):
        return Difference.VALUE
    return Difference.CLASS if a.cls != b.cls else None


def _floor(a: np.ndarray | None, b: np.ndarray | None) -> np.ndarray | None:
    if a is None or b is None:
        return a if b is None else b
    return np.maximum(a, b)
