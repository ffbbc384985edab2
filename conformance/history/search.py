"""`history bisect`: the first release where a case file's answers change, by binary search.

The search assumes one change between the two ends (as `git bisect` does): it keeps the newest release that
answers as the oldest does and the oldest that does not, and halves the releases between them, so 25 releases
take about 5 measurements beyond the two ends.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from conformance.history import runs, store, timeline
from conformance.history.store import Answer, Key

#: a release's answers, by (case, dtype, gradient)
Answers = dict[tuple[str, str, str], tuple[Key, Answer]]


@dataclass
class Found:
    """Where the answers changed: `release` is the first that differs from `low`; None where none does."""

    low: str
    high: str
    release: str | None = None
    before: str | None = None  # the last release that answers as `low` does
    changes: list[str] = field(default_factory=list)
    measured: list[str] = field(default_factory=list)  # the releases measured, in order


def differ(a: Answers, b: Answers) -> list[str]:
    """How `b` differs from `a`, one line per gradient both answer (as the changelog words it)."""
    return [
        f"{case} {gradient} [{dtype}]: {timeline.moved(a[k][1], b[k][1])}, "
        f"{a[k][1].verdict.value} -> {b[k][1].verdict.value}"
        for k in sorted(a.keys() & b.keys())
        for case, dtype, gradient in [k]
        if not timeline.same(b[k][0], a[k][1], b[k][1])
    ]


def bisect(
    releases: list[str], answers: Callable[[str], Answers], say: Callable[[str], None] = lambda _: None
) -> Found:
    """The first release of `releases` (oldest first, at least two) whose answers differ from the first's."""
    found = Found(releases[0], releases[-1])
    seen: dict[str, Answers] = {}

    def at(i: int) -> Answers:
        if releases[i] not in seen:
            say(f"bisect: measuring {releases[i]}")
            seen[releases[i]] = answers(releases[i])
            found.measured.append(releases[i])
        return seen[releases[i]]

    first = at(0)
    if not differ(first, at(len(releases) - 1)):
        return found
    low, high = 0, len(releases) - 1  # low answers as the first does, high does not
    while high - low > 1:
        middle = (low + high) // 2
        if differ(first, at(middle)):
            high = middle
        else:
            low = middle
    found.release, found.before = releases[high], releases[low]
    found.changes = differ(at(low), at(high))
    return found


def answers_by_running(plan: runs.Plan) -> Callable[[str], Answers]:
    """A release's answers to the plan's case file, measured in its environment (made on demand, cached)."""

    def answers(release: str) -> Answers:
        outcome = runs.measure(plan, release)
        if outcome.report is None:
            raise ValueError(outcome.error or f"{plan.framework} {release}: not measured")
        return by_gradient(store.entries(outcome.report, plan.framework))

    return answers


def by_gradient(entries: list[tuple[Key, Answer]]) -> Answers:
    return {(k.case, k.dtype, k.gradient): (k, a) for k, a in entries}


def verdict_text(framework: str, found: Found) -> str:
    """What the search found, for the terminal."""
    measured = f"(measured {', '.join(found.measured)})"
    if found.release is None:
        return f"{framework} {found.low} .. {found.high}: the answers do not change {measured}"
    lines = [
        f"{framework} {found.release}: the first release whose answers differ from {found.low}'s "
        f"(the one before: {found.before}) {measured}"
    ]
    return "\n".join(lines + [f"  {found.release}: {line}" for line in found.changes])
