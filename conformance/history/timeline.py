"""Reading the store back: a case's timeline over releases, and a framework's changelog.

Two answers are the same where their status and verdict are (a disconnected gradient's representation too: None
against a symbolic zero), and their values are within the case's tolerance of each other by the one rule
(conformance/tolerance.py, as `compare` judges a value that moved): a value that moves by a rounding between
releases is no change, one that moves beyond what the case allows is. A class that changes with the value inside
the tolerance is no change (a NaN or an inf is matched only by itself, so it is one), nor is an exact zero spelled
as a symbolic zero. An error's wording is no change either; its status and verdict are what a user reads. A
gradient of the release's own random draws (a Monte Carlo mean, a sample's implicit gradient) is compared by status
and verdict only: a new sampler changes every draw, and the verdict judges it statistically.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise

import numpy as np

from conformance import tolerance
from conformance.history.store import Answer, Key, Release, Store, of
from conformance.vocabulary import Status, Verdict

ERROR_SHOWN = 60  # characters of an error's line in a timeline or changelog


def same(key: Key, a: Answer, b: Answer) -> bool:
    """Whether `b` is `a` up to the case's tolerance (see the module's docstring)."""
    if (a.status, a.verdict) != (b.status, b.verdict):
        return False
    if a.status == Status.DISCONNECTED:
        return a.representation == b.representation  # None against a symbolic zero
    if a.status != Status.VALUE or not key.values_compared:
        return True
    if a.value is None or b.value is None:
        return a.value is None and b.value is None
    old, new = tolerance.numeric(a.value), tolerance.numeric(b.value)
    if old.shape != new.shape:
        return False
    floor = tolerance.numeric(key.zero_tolerance) if key.zero_tolerance is not None else None
    if floor is not None and floor.shape != old.shape:
        floor = None
    return old.size == 0 or tolerance.within(
        new, old, key.dtype, key.tolerance.rtol, key.tolerance.atol, floor, normwise_size=key.normwise_size
    )


def text(answer: Answer, precision: int = 6) -> str:
    """An answer in a few words: its value, `disconnected (None)`, `error: ...`, `unsupported`."""
    if answer.verdict == Verdict.UNSUPPORTED:
        return "unsupported"
    if answer.status == Status.VALUE and answer.value is not None:
        return tolerance.short(np.asarray(tolerance.numeric(answer.value)), precision)
    if answer.status == Status.DISCONNECTED:
        return f"disconnected ({answer.representation})" if answer.representation else "disconnected"
    error = answer.error or ""
    return "error" + (f": {error[:ERROR_SHOWN]}{'...' if len(error) > ERROR_SHOWN else ''}" if error else "")


@dataclass(frozen=True)
class Span:
    """Consecutive releases with the same answer."""

    first: str
    last: str
    answer: Answer

    def __str__(self) -> str:
        where = self.first if self.first == self.last else f"{self.first} .. {self.last}"
        return f"{where}: {text(self.answer)} ({self.answer.verdict.value})"


def spans(store: Store, key_index: int, releases: list[Release]) -> list[Span]:
    """The key's answers over `releases` (oldest first), equal neighbours collapsed; a release that did not
    answer it is skipped."""
    key = store.keys[key_index]
    out: list[Span] = []
    for release in releases:
        answer_index = dict(release.answers).get(key_index)
        if answer_index is None:
            continue
        answer = store.answers[answer_index]
        if out and same(key, out[-1].answer, answer):
            out[-1] = Span(out[-1].first, release.release, out[-1].answer)
        else:
            out.append(Span(release.release, release.release, answer))
    return out


def show(store: Store, case: str, framework: str | None = None) -> list[str]:
    """The timeline of `case` (a sweep's id: each of its samples): per framework, dtype and gradient, its answers
    over the releases."""
    lines = []
    chosen = sorted(
        (
            i
            for i, k in enumerate(store.keys)
            if (k.case == case or k.case.startswith(f"{case}[")) and (framework is None or k.framework == framework)
        ),
        key=lambda i: (store.keys[i].framework, store.keys[i].case, store.keys[i].dtype, store.keys[i].gradient),
    )
    for i in chosen:
        key = store.keys[i]
        found = spans(store, i, of(store, key.framework))
        if found:
            lines.append(f"{key.framework} {key.case} {key.gradient} [{key.dtype}]:")
            lines += [f"  {span}" for span in found]
    return lines


@dataclass(frozen=True)
class Change:
    release: str
    before: str  # the release it changed from
    key: Key
    key_index: int  # the key's place in the store's keys
    old: Answer
    new: Answer

    def __str__(self) -> str:
        return (
            f"{self.release}: {self.key.case} {self.key.gradient} [{self.key.dtype}]: {moved(self.old, self.new)}"
            f", {self.old.verdict.value} -> {self.new.verdict.value}"
        )


def moved(old: Answer, new: Answer) -> str:
    """`old -> new`, with as many digits as it takes to tell the two values apart (up to float64's 17); `old -> the
    same` where only the verdict changed."""
    for precision in (6, 10, 17):
        before, after = text(old, precision), text(new, precision)
        if before != after:
            return f"{before} -> {after}"
    return f"{text(old)} -> the same"  # the verdict alone changed


def changes(store: Store, older: Release, newer: Release) -> Iterator[Change]:
    """What changed from one release to the next, for the gradients both answered, by case, gradient, dtype."""
    before = dict(older.answers)
    found = []
    for key_index, answer_index in newer.answers:
        was = before.get(key_index)
        key = store.keys[key_index]
        if was is not None and not same(key, store.answers[was], store.answers[answer_index]):
            found.append(
                Change(newer.release, older.release, key, key_index, store.answers[was], store.answers[answer_index])
            )
    yield from sorted(found, key=lambda c: (c.key.case, c.key.gradient, c.key.dtype))


def changelog(store: Store, framework: str) -> list[str]:
    """Per release, newest first, one line per changed gradient (a release with none says so)."""
    releases = of(store, framework)
    lines = []
    for older, newer in reversed(list(pairwise(releases))):
        found = [str(c) for c in changes(store, older, newer)]
        lines += found or [f"{newer.release}: no gradient changed since {older.release}"]
        lines += notes(older, newer)
    return lines


def notes(older: Release, newer: Release) -> list[str]:
    """What else differs between two releases' measurements that a reader of their changes should know: the
    engine judged each in the release's own environment, so another NumPy major computes some expectations
    otherwise (numpy 1's sign of a complex number is the sign of its real part); case files one could not load."""
    said = []
    numpy = [r.installed.get("numpy", "?") for r in (older, newer)]
    if len({v.split(".")[0] for v in numpy}) > 1:
        said.append(
            f"{newer.release}: note: judged with numpy {numpy[1]}, {older.release} with numpy {numpy[0]}: "
            "a verdict that changes with the same value may be NumPy's"
        )
    for release in (older, newer):
        if release.load_errors:
            said.append(
                f"{newer.release}: note: {len(release.load_errors)} case files did not load in "
                f"{release.release} (e.g. {release.load_errors[0]}): their cases are not compared"
            )
    return said


def changed_keys(store: Store, framework: str) -> set[int]:
    """The gradients that changed at least once over the framework's releases."""
    releases = of(store, framework)
    return {c.key_index for older, newer in pairwise(releases) for c in changes(store, older, newer)}
