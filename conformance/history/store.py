"""The history store: per release of a framework, its answer to each gradient of the library, compact.

One typed model (pydantic, like the report), written as gzipped JSON (`history/store.json.gz` in the
repository). An answer (status, class, verdict against the math, value) is stored once and referenced by every
release that gave it; a gradient (framework, case, dtype, gradient name) is a key stored once, with the tolerance
its case states. Only a framework's default regime is measured. A value is kept as its dtype prints it (float32's
shortest round-trip digits), so that the same answer in two releases is one entry.
"""

from __future__ import annotations

import gzip
import json
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np
from packaging.version import Version
from pydantic import Field

from conformance import report as reports
from conformance.model import CaseId, Dtype, Framework, Tolerance
from conformance.report import Array, Moment, Record, Value
from conformance.vocabulary import Class, Status, Verdict

FORMAT, VERSION = "gradient-conformance-history", 1
#: the gradient name of a job that raised before any gradient (its op lookup, its setup)
JOB = "(job)"
#: an error that says the release lacks what the case needs: a function or module it does not have yet, a
#: parameter it does not take. Such an answer is `Verdict.UNSUPPORTED`, not a failure of the release.
LACKING = re.compile(
    r"\b(ImportError|ModuleNotFoundError|AttributeError)\b|has no attribute|cannot import name"
    r"|unexpected keyword argument"
)
ERROR_CHARS = 200  # of an error's first line


class Answer(Record):
    """One framework's answer to one gradient, as a release gave it."""

    status: Status
    cls: Class | None = Field(alias="class")
    verdict: Verdict
    representation: str | None = Field(description="how the framework spelled a disconnected gradient")
    value: Value | None = Field(description="the value as the job's dtype prints it")
    error: str | None = Field(description="the first line of its error, shortened")


class Key(Record):
    """One gradient of the library: what a release answers. Its tolerance is the case's, as last measured."""

    framework: Framework
    case: CaseId
    dtype: Dtype
    gradient: str
    tolerance: Tolerance
    zero_tolerance: Array | None = Field(None, description="the derived rounding floor of a cancelled sum")
    normwise_size: int = Field(0, ge=0)
    values_compared: bool = Field(
        True,
        description="false where the value is of the release's own random draws "
        "(the report's not_comparable): releases are compared by status "
        "and verdict only, as a new sampler changes every draw",
    )


class Release(Record):
    """One release of one framework, measured: where, when, with what, and its answers."""

    framework: Framework
    release: str
    measured: Moment
    library: str = Field(description="the gradient-conformance version (and commit) that measured it")
    python: str
    platform: str
    installed: dict[str, str] = Field(description="the versions installed: the framework, its companions, numpy")
    relaxed: list[str] = Field(description="constraints.txt lines dropped so that the release resolves")
    env_seconds: float = Field(description="making its environment (0: from the cache)")
    run_seconds: float = Field(description="running the library on it")
    load_errors: list[str] = Field(
        default_factory=list,
        description="case files the library could not load in "
        "this environment (file:line: why): their "
        "cases are not measured in this release",
    )
    answers: list[tuple[int, int]] = Field(description="(key, answer): indices into the store's keys and answers")


class Store(Record):
    format: Literal["gradient-conformance-history"] = "gradient-conformance-history"
    version: Literal[1] = 1
    keys: list[Key]
    answers: list[Answer]
    releases: list[Release]


@dataclass(frozen=True)
class Measured:
    """What `runs` knows of a release beyond its report."""

    framework: str
    release: str
    library: str
    installed: dict[str, str]
    relaxed: list[str]
    env_seconds: float
    run_seconds: float


def empty() -> Store:
    return Store(keys=[], answers=[], releases=[])


def read(path: str | Path) -> Store:
    """The store at `path` (an empty one where there is none yet); a ValueError naming it where it is not one."""
    path = Path(path)
    if not path.exists():
        return empty()
    try:
        data = json.loads(gzip.decompress(path.read_bytes()))
    except (OSError, ValueError) as err:
        raise ValueError(f"{path}: not a history store ({err})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("version") != VERSION:
        raise ValueError(f"{path}: not a history store of format version {VERSION}")
    try:
        return Store.model_validate(data)
    except ValueError as err:
        raise ValueError(f"{path}: not a valid history store: {err}") from None


def write(store: Store, path: str | Path) -> None:
    """Gzipped compact JSON, releases in order, atomically; the same store always gives the same bytes."""
    store.releases.sort(key=lambda r: (r.framework, Version(r.release)))
    text = json.dumps(store.model_dump(mode="json", by_alias=True), separators=(",", ":"), allow_nan=False)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(path).with_name(Path(path).name + ".tmp")
    tmp.write_bytes(gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0))
    tmp.replace(path)


def schema() -> dict[str, Any]:
    out = Store.model_json_schema(by_alias=True)
    out["title"] = "gradient conformance history store"
    return out


class Index:
    """A store being added to: its keys and answers by content, so each is stored once."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.keys = {_key_id(k): i for i, k in enumerate(store.keys)}
        self.answers = {_answer_id(a): i for i, a in enumerate(store.answers)}

    def key(self, key: Key) -> int:
        found = self.keys.get(_key_id(key))
        if found is None:
            found = self.keys[_key_id(key)] = len(self.store.keys)
            self.store.keys.append(key)
        else:
            self.store.keys[found] = key  # the newest measurement's tolerance
        return found

    def answer(self, answer: Answer) -> int:
        found = self.answers.get(_answer_id(answer))
        if found is None:
            found = self.answers[_answer_id(answer)] = len(self.store.answers)
            self.store.answers.append(answer)
        return found

    def add(self, release: Release) -> str | None:
        """Put `release` in, replacing the same framework's same release; what was replaced, if anything."""
        old = find(self.store, release.framework, release.release)
        self.store.releases = [r for r in self.store.releases if r is not old]
        self.store.releases.append(release)
        return old.measured if old else None


def _key_id(key: Key) -> tuple[str, str, str, str]:
    return key.framework, key.case, key.dtype, key.gradient


def _answer_id(answer: Answer) -> str:
    return json.dumps(answer.model_dump(mode="json", by_alias=True), sort_keys=True)


def find(store: Store, framework: str, release: str) -> Release | None:
    return next((r for r in store.releases if r.framework == framework and r.release == release), None)


def fold(store: Store, report: reports.Report, measured: Measured) -> str | None:
    """Add a release's report (one framework, its default regime) to the store; the earlier measurement of the
    same release it replaces, if any."""
    index = Index(store)
    pairs = [(index.key(key), index.answer(answer)) for key, answer in entries(report, measured.framework)]
    env = report.environment
    return index.add(
        Release(
            framework=measured.framework,
            release=measured.release,
            measured=report.created,
            library=measured.library,
            python=env.python,
            platform=env.platform,
            installed=measured.installed,
            relaxed=measured.relaxed,
            env_seconds=measured.env_seconds,
            run_seconds=measured.run_seconds,
            answers=sorted(pairs),
            load_errors=[f"{e.file}:{e.line}: {e.message}" for e in report.load_errors],
        )
    )


def entries(report: reports.Report, framework: str) -> list[tuple[Key, Answer]]:
    """The framework's answer to each gradient of the report (its jobs that ran: not unavailable)."""
    out = []
    for job in report.jobs:
        if job.framework != framework or job.verdict == Verdict.UNAVAILABLE:
            continue
        for gradient, answer, extra in _answers(job):
            out.append(
                (
                    Key(
                        framework=job.framework,
                        case=job.case,
                        dtype=job.dtype,
                        gradient=gradient,
                        tolerance=job.tolerance,
                        **extra,
                    ),
                    answer,
                )
            )
    return out


def _answers(job: reports.JobRecord) -> list[tuple[str, Answer, dict[str, Any]]]:
    """Each gradient's answer (a job that raised before any gradient: one answer, its error)."""
    if not job.gradients:
        error = job.failures[0] if job.failures else None
        return [
            (
                JOB,
                Answer(
                    status=Status.ERROR,
                    cls=None,
                    verdict=_verdict(job.verdict, error),
                    representation=None,
                    value=None,
                    error=_line(error),
                ),
                {},
            )
        ]
    out = []
    for name, g in job.gradients.items():
        answer = Answer(
            status=g.status,
            cls=g.cls,
            verdict=_verdict(g.verdict, g.error),
            representation=g.representation,
            value=_printed(g.value, job.dtype),
            error=_line(g.error),
        )
        out.append(
            (
                name,
                answer,
                {
                    "zero_tolerance": g.zero_tolerance,
                    "normwise_size": g.normwise_size,
                    "values_compared": g.not_comparable is None,
                },
            )
        )
    return out


def _verdict(verdict: Verdict, error: str | None) -> Verdict:
    """An error that says the release lacks what the case needs is no failure of the release: unsupported."""
    if verdict == Verdict.ERROR and error and LACKING.search(error):
        return Verdict.UNSUPPORTED
    return verdict


def _line(error: str | None) -> str | None:
    if error is None:
        return None
    line = error.strip().splitlines()[0] if error.strip() else ""
    return line if len(line) <= ERROR_CHARS else line[: ERROR_CHARS - 3] + "..."


def _printed(value: Any, dtype: str) -> Any:
    """A value with float32's (and complex64's parts') numbers at the digits float32 needs to round-trip."""
    if value is None or dtype not in ("float32", "complex64"):
        return value
    if isinstance(value, dict):
        return {part: _printed(v, dtype) for part, v in value.items()}
    if isinstance(value, list):
        return [_printed(v, dtype) for v in value]
    return float(str(np.float32(value))) if isinstance(value, float) else value


def merge(stores: list[Store]) -> tuple[Store, list[str]]:
    """One store from several (made on several machines); a release measured in more than one keeps its newest
    measurement, and each such choice is said."""
    merged = empty()
    index = Index(merged)
    said = []
    chosen: dict[tuple[str, str], tuple[Release, Store]] = {}
    for store in stores:
        for release in store.releases:
            at = (release.framework, release.release)
            if at in chosen:
                kept = chosen[at][0]
                newer = _moment(release.measured) > _moment(kept.measured)
                said.append(
                    f"{release.framework} {release.release}: measured twice ({kept.measured} and "
                    f"{release.measured}): keeping {release.measured if newer else kept.measured}"
                )
                if not newer:
                    continue
            chosen[at] = (release, store)
    for release, store in chosen.values():
        answers = [(index.key(store.keys[k]), index.answer(store.answers[a])) for k, a in release.answers]
        index.add(release.model_copy(update={"answers": sorted(answers)}))
    return merged, said


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text)


def of(store: Store, framework: str) -> list[Release]:
    """A framework's releases, oldest first."""
    return sorted((r for r in store.releases if r.framework == framework), key=lambda r: Version(r.release))
