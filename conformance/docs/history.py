"""The History page's data: per framework, the releases measured, a matrix of releases against the gradients whose
answer ever changed, and the changelog; per case, the releases where its answers changed (its page links them).

Read from the history store (`conformance history run` keeps it, `history/store.json.gz`), through the timeline's
one definition of a change (the case's tolerance, conformance/history/timeline.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import pairwise

from conformance.history import timeline
from conformance.history.store import Release, Store, of

#: the changelog lines a framework's section shows before "and N more" (the page stays light; the CLI has them all)
CHANGELOG_SHOWN = 200


@dataclass(frozen=True)
class Cell:
    verdict: str
    text: str
    changed: bool  # its answer differs from the release before


@dataclass(frozen=True)
class Row:
    case: str
    gradient: str
    dtype: str
    cells: list[Cell | None]  # per release, oldest first; None where the release did not answer it


@dataclass(frozen=True)
class ReleaseView:
    release: str
    anchor: str  # its changelog section's label, as docutils makes an id (history-jax-0-4-30)
    measured: str
    installed: str
    seconds: float
    changes: int


@dataclass
class FrameworkHistory:
    framework: str
    releases: list[ReleaseView] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    #: newest first: the release, the one before it, the changes between them
    changelog: list[tuple[ReleaseView, str, list[str]]] = field(default_factory=list)
    gradients: int = 0  # answered by at least one release


def view(store: Store) -> list[FrameworkHistory]:
    """Every framework of the store, by name."""
    return [_framework(store, fw) for fw in sorted({r.framework for r in store.releases})]


def changed_in(store: Store) -> dict[str, list[tuple[str, str]]]:
    """Per case, the releases where an answer of it changed, as ("jax 0.4.36", its changelog section's label),
    oldest first per framework."""
    found: dict[str, list[tuple[str, str]]] = {}
    for framework in sorted({r.framework for r in store.releases}):
        for older, newer in pairwise(of(store, framework)):
            for case in dict.fromkeys(c.key.case for c in timeline.changes(store, older, newer)):
                found.setdefault(case, []).append((f"{framework} {newer.release}", _anchor(newer)))
    return found


def _anchor(release: Release) -> str:
    """A release's changelog label as docutils makes an HTML id of it: history-jax-0-4-30."""
    return re.sub(r"[^a-z0-9]+", "-", f"history-{release.framework}-{release.release}".lower())


def _framework(store: Store, framework: str) -> FrameworkHistory:
    releases = of(store, framework)
    changes = {newer.release: list(timeline.changes(store, older, newer)) for older, newer in pairwise(releases)}
    moved = {(release, c.key_index) for release, found in changes.items() for c in found}
    changed = sorted(
        {i for _, i in moved}, key=lambda i: (store.keys[i].case, store.keys[i].gradient, store.keys[i].dtype)
    )
    answered = [dict(r.answers) for r in releases]
    rows = [
        Row(
            store.keys[i].case,
            store.keys[i].gradient,
            store.keys[i].dtype,
            [_cell(store, at.get(i), (r.release, i) in moved) for r, at in zip(releases, answered, strict=True)],
        )
        for i in changed
    ]
    views = {r.release: _release(r, len(changes.get(r.release, []))) for r in releases}
    return FrameworkHistory(
        framework,
        list(views.values()),
        rows,
        [
            (views[newer.release], older.release, [str(c).split(": ", 1)[1] for c in changes[newer.release]])
            for older, newer in reversed(list(pairwise(releases)))
        ],
        len({k for at in answered for k in at}),
    )


def _cell(store: Store, answer: int | None, changed: bool) -> Cell | None:
    if answer is None:
        return None
    a = store.answers[answer]
    return Cell(a.verdict.value, timeline.text(a), changed)


def _release(release: Release, changes: int) -> ReleaseView:
    installed = ", ".join(f"{name} {version}" for name, version in sorted(release.installed.items()))
    seconds = release.env_seconds + release.run_seconds
    return ReleaseView(release.release, _anchor(release), release.measured[:10], installed, seconds, changes)
