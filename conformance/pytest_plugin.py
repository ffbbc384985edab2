"""pytest plugin: `pytest cases/` runs every case x framework x dtype as its own test item.

Registered through the `pytest11` entry point, so it is active in every pytest
session of the environment: it collects only YAML files inside a folder named
`cases` whose top level is a case (a mapping with `kind` and `id`) or a list of
them, and leaves any other YAML to its project. Collecting only plans jobs, so
no framework is imported. Items carry markers for `-m`:
`framework(name=...)`, `dtype(name=...)`, `kind(name=...)`, `topic(name=...)`
(the folder under `cases/`) and one `tag(name=...)` per tag, e.g.
`-m "framework(name='jax') and tag(name='kink')"`; the values are `-k` keywords too.
The first item to run runs the jobs of every selected item at once,
like `conformance run` (one worker process per framework, frameworks compared
with each other); each item then reports its own verdict. A convention passes
with a `convention` line (why and link) in the item's report and user
properties. A known bug is a strict xfail: once it no longer happens the
verdict is `stale`, which fails, so the mark gets removed.
"""
from __future__ import annotations

import re
from collections.abc import Generator
from pathlib import Path

import pytest
import yaml

from conformance import adapters, loader, regress, runner, verdicts
from conformance.model import ALL_DTYPES, Divergence
from conformance.tolerance import short
from conformance.vocabulary import Status, Verdict

_STATE = pytest.StashKey["_State"]()
MARKERS = {
    "framework": "framework(name): a gradient conformance case run on this framework (torch, tensorflow, jax, ...)",
    "dtype": "dtype(name): a gradient conformance case run in this dtype (float32, float64, complex64, complex128)",
    "kind": "kind(name): the gradient conformance case's kind (vjp, grad, reparam, mle, ...)",
    "topic": "topic(name): the folder of the gradient conformance case under cases/",
    "tag": "tag(name): one of the gradient conformance case's tags",
}
_TOP_LEVEL_KEY = r"^(?:- |  )?{}\s*:"  # a key of a top-level mapping, or of a top-level list's mapping


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("conformance", "gradient conformance cases")
    group.addoption("--framework", action="append", metavar="NAME",
                    help="run case files on this framework only (repeatable); default: every adapter")
    group.addoption("--dtype", action="append", choices=ALL_DTYPES,
                    help="run case files in this dtype only (repeatable)")
    group.addoption("--expectations", metavar="FILE",
                    help="known divergences, one a line: <case>[<framework>] <versions or *> <issue> <why>")


def pytest_configure(config: pytest.Config) -> None:
    for line in MARKERS.values():
        config.addinivalue_line("markers", line)
    known = adapters.available()
    frameworks = config.getoption("framework") or list(known)
    unknown = [fw for fw in frameworks if fw not in known]
    if unknown:
        raise pytest.UsageError(f"unknown framework {', '.join(unknown)} (known: {', '.join(known)})")
    marks: dict[str, list[Divergence]] = {}
    errors: list[loader.LoadError] = []
    if config.getoption("expectations"):
        marks, errors = regress.read_expectations(config.getoption("expectations"))
    if errors:
        raise pytest.UsageError("\n".join(map(str, errors)))
    config.stash[_STATE] = _State(known, frameworks, config.getoption("dtype"), marks)


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path.suffix in loader.SUFFIXES and "cases" in file_path.parent.parts and is_case_file(file_path):
        return CaseFile.from_parent(parent, path=file_path)
    return None


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> Generator[None, pytest.CollectReport,
                                                                         pytest.CollectReport]:
    """A folder at or under `cases` collects, besides what pytest finds, what it passes over in silence: a pipe or a
    device named like a case file, which the loader refuses (a collection error naming it, as `run` gives a load
    error)."""
    report = yield
    if isinstance(collector, pytest.Directory) and "cases" in collector.path.parts and report.passed:
        report.result.extend(CaseFile.from_parent(collector, path=path) for path in sorted(collector.path.iterdir())
                             if path.suffix in loader.SUFFIXES and not path.is_file() and not path.is_dir())
    return report


def is_case_file(path: Path) -> bool:
    """Whether the YAML's top level is a case or a list of cases: another project's YAML under a `cases`
    folder is not ours to collect (or to fail). A file that does not parse is ours when its top-level
    keys read `id:` and `kind:`, so a broken case file still fails collection with its error; so is one the loader
    refuses unread (not UTF-8, too large, unreadable): its collection fails with the loader's error."""
    try:
        text = loader.read_text(path)  # the loader's limits: a pipe, a huge file or an alias bomb is refused
    except (OSError, ValueError):
        return True
    try:
        _, data = loader.parse(text)
    except yaml.YAMLError:
        return all(re.search(_TOP_LEVEL_KEY.format(key), text, re.MULTILINE) for key in ("id", "kind"))
    items = data if isinstance(data, list) else [data]
    return any(isinstance(item, dict) and "kind" in item and "id" in item for item in items)


def topic(path: Path) -> str | None:
    """The folder under the nearest `cases` folder (`conventions` for cases/conventions/kinks.yaml)."""
    parts = path.parent.parts
    below = parts[len(parts) - parts[::-1].index("cases"):] if "cases" in parts else ()
    return below[0] if below else None


class _State:
    """Options, and the verdicts of items already run (by node id)."""

    def __init__(self, known: dict[str, str], frameworks: list[str], dtypes: list[str] | None,
                 marks: dict[str, list[Divergence]]) -> None:
        self.known, self.frameworks, self.dtypes, self.marks = known, frameworks, dtypes, marks
        self.verdicts: dict[str, verdicts.JobVerdict] = {}

    def verdict(self, item: CaseItem) -> verdicts.JobVerdict:
        """The item's verdict, running every selected item not yet run together with it."""
        if item.nodeid not in self.verdicts:
            batch = [i for i in item.session.items if isinstance(i, CaseItem) and i.nodeid not in self.verdicts]
            runner.run([i.job for i in batch], self.known)
            self.verdicts.update(zip((i.nodeid for i in batch), verdicts.judge([i.job for i in batch]), strict=True))
        return self.verdicts[item.nodeid]


class CaseFile(pytest.File):
    def collect(self):
        state = self.config.stash[_STATE]
        cases, errors = loader.load_file(self.path)
        if errors:
            raise self.CollectError("\n".join(map(str, errors)))
        cases, _ = regress.with_expectations(cases, state.marks)
        lines = {c.case.id: c.line for c in cases}
        folder = topic(self.path)
        for job in runner.plan([c.case for c in cases], state.frameworks, state.dtypes):
            item = CaseItem.from_parent(self, name=f"{job.case.id}[{job.framework}-{job.dtype}]", job=job,
                                        line=lines[job.case.id])
            marks = [("framework", job.framework), ("dtype", job.dtype), ("kind", job.case.kind),
                     *([("topic", folder)] if folder else []), *(("tag", tag) for tag in job.case.tags)]
            for marker, value in marks:
                item.add_marker(getattr(pytest.mark, marker)(name=value))
                item.extra_keyword_matches.add(value)
            yield item


class CaseFailed(Exception):
    """The job's verdict is failing (fail, error, stale), or xfail, which its strict xfail mark absorbs."""


class CaseItem(pytest.Item):
    def __init__(self, *, job: verdicts.Job, line: int = 1, **kwargs) -> None:
        super().__init__(**kwargs)
        self.job = job
        self.line = line  # 1-based, where the case starts in its file

    def setup(self) -> None:
        verdict = self.config.stash[_STATE].verdict(self)
        if verdict.verdict == Verdict.XFAIL:
            reason = "; ".join(f"known bug: {m.why} ({m.issue})" for m in verdict.bugs)
            self.add_marker(pytest.mark.xfail(strict=True, reason=reason))

    def runtest(self) -> None:
        verdict = self.config.stash[_STATE].verdict(self)
        if verdict.verdict == Verdict.UNAVAILABLE:
            pytest.skip(verdict.failures[0])
        for name, g in verdict.gradients.items():
            if g.verdict == Verdict.CONVENTION and g.convention:
                text = f"{name}: {g.convention.why} ({g.convention.link})"
                self.user_properties.append(("convention", text))
                self.add_report_section("call", "convention", text)
        if verdict.verdict.failing or verdict.verdict == Verdict.XFAIL:
            raise CaseFailed(describe(verdict))

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, CaseFailed):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style)

    def reportinfo(self):
        return self.path, self.line - 1, self.name  # pytest counts lines from 0


def describe(verdict: verdicts.JobVerdict) -> str:
    """Per gradient: what the framework gave against the expected value and the oracle; then the failures."""
    job = verdict.job
    lines = [f"{job.case.id} [{job.framework}-{job.dtype}]: {verdict.verdict.value}"]
    for name, res in verdict.gradients.items():
        if res.status != Status.VALUE:
            got = res.status.value + (f" ({res.representation})" if res.representation else "") + \
                  (f": {res.error}" if res.error else "")
        else:
            got = f"{short(res.value)} ({res.cls})"
        lines.append(f"  {name}: got {got}")
        if res.expected is not None:
            lines.append(f"  {' ' * len(name)}  expected {short(res.expected)}")
        if res.oracle is not None:
            lines.append(f"  {' ' * len(name)}  oracle   {short(res.oracle)} (finite differences)")
    lines += [f"  {failure}" for failure in verdict.all_failures()]
    return "\n".join(lines)
