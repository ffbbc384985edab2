"""pytest plugin: `pytest cases/` runs every case x framework x dtype as its own test item.

Registered through the `pytest11` entry point, so it is loaded in every pytest session of the environment: importing
it imports pytest's own modules alone, and the suite (its loader, kinds, scipy) only once a file looks like a case
file. It claims a YAML file inside a folder named `cases` whose top level is a case of this suite (a mapping with
`id` and a `kind` this suite has) or a list of them, and leaves any other YAML (another project's `kind: bug`) to
its project; a file that does not parse is claimed when its top-level keys read `id:` and `kind:`, so a broken
case file fails with its error. Collecting only plans jobs, so no framework is imported.

Items are named as pytest parametrizes (`normal-reparam[torch-float32]`, a sample's `log-sweep[tiny-torch-float64]`:
`originalname` and the parameters), so `--lf`, `--ff` and `--sw` find them in pytest's cache. Items carry markers for
`-m`: `framework(name=...)`, `dtype(name=...)`, `kind(name=...)`, `topic(name=...)` (the folder under `cases/`) and
one `tag(name=...)` per tag, e.g. `-m "framework(name='jax') and tag(name='kink')"`; the values are `-k` keywords too.
The first item to run runs the jobs of every selected item at once, like `conformance run` (one worker process per
framework, frameworks compared with each other); each item then reports its own verdict. A convention is not a
plain pass: its report status is `convention` (letter C, counted in the final line) with a `convention` section
(why and link) and user property. A known bug is a strict xfail: once it no longer happens the verdict is `stale`,
which fails, so the mark gets removed. The terminal summary ends with where the frameworks differ, ranked
(conformance/ranking.py), and its count.

Under pytest-xdist (`-n`), each worker runs the jobs of one case file at a time (all its frameworks, so they are
still compared), on framework workers it keeps from file to file (each framework's start-up paid once per xdist
worker): use `--dist loadfile`, which keeps a file on one worker, or a file's jobs run on each worker that gets one
of its items. The ranked summary needs every verdict in one process, so it is shown without `-n` only.
"""

from __future__ import annotations

import re
from collections.abc import Generator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from conformance import runner, verdicts
    from conformance.loader import LoadedCase
    from conformance.model import Divergence

_STATE = pytest.StashKey["_State"]()
MARKERS = {
    "framework": "framework(name): a gradient conformance case run on this framework (torch, tensorflow, jax, ...)",
    "dtype": "dtype(name): a gradient conformance case run in this dtype (float32, float64, complex64, complex128)",
    "kind": "kind(name): the gradient conformance case's kind (vjp, grad, reparam, mle, ...)",
    "topic": "topic(name): the folder of the gradient conformance case under cases/",
    "tag": "tag(name): one of the gradient conformance case's tags",
}
#: the loader's case file suffixes (a test checks they agree): importing the loader here would cost a second
SUFFIXES = (".yaml", ".yml")
#: bytes read to tell, without importing the suite, that a file is no case file (a larger file is read by the loader)
SNIFF_BYTES = 1 << 16
_TOP_LEVEL_KEY = r"^(?:- |  )?{}\s*:"  # a key of a top-level mapping, or of a top-level list's mapping
_ANY_KEY = r"(?<![\w-]){}\s*:"  # a key anywhere, block or flow style
CONVENTION = ("convention", "C", ("CONVENTION", {"cyan": True}))  # pytest_report_teststatus's answer


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("conformance", "gradient conformance cases")
    group.addoption(
        "--framework",
        action="append",
        metavar="NAME",
        help="run case files on this framework only (repeatable); default: every adapter",
    )
    group.addoption(
        "--dtype",
        action="append",
        metavar="NAME",
        help="run case files in this dtype only (repeatable): float32, float64, complex64, ...",
    )
    group.addoption(
        "--expectations",
        metavar="FILE",
        help="known divergences, one a line: <case>[<framework>] <versions or *> <issue> <why>",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Registers the markers; with an option of ours given, checks it now (a usage error before collection)."""
    for line in MARKERS.values():
        config.addinivalue_line("markers", line)
    if any(config.getoption(name) for name in ("framework", "dtype", "expectations")):
        config.stash[_STATE] = _State.from_options(config)


def pytest_unconfigure(config: pytest.Config) -> None:
    """The framework workers an xdist worker kept between case files end with it."""
    state = config.stash.get(_STATE, None)
    if state is not None and state.kept is not None:
        state.kept.close()


def _state(config: pytest.Config) -> _State:
    if _STATE not in config.stash:
        config.stash[_STATE] = _State.from_options(config)
    return config.stash[_STATE]


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path.suffix in SUFFIXES and "cases" in file_path.parent.parts and is_case_file(file_path):
        return CaseFile.from_parent(parent, path=file_path)
    return None


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(
    collector: pytest.Collector,
) -> Generator[None, pytest.CollectReport, pytest.CollectReport]:
    """A folder at or under `cases` collects, besides what pytest finds, what it passes over in silence: a pipe or a
    device named like a case file, which the loader refuses (a collection error naming it, as `run` gives a load
    error)."""
    report = yield
    if isinstance(collector, pytest.Directory) and "cases" in collector.path.parts and report.passed:
        report.result.extend(
            CaseFile.from_parent(collector, path=path)
            for path in sorted(collector.path.iterdir())
            if path.suffix in SUFFIXES and not path.is_file() and not path.is_dir()
        )
    return report


def pytest_report_teststatus(report: pytest.TestReport) -> tuple[str, str, tuple[str, dict[str, bool]]] | None:
    """A job that passes by its framework's documented convention shows as C / CONVENTION and is counted apart."""
    if report.when == "call" and report.passed and any(name == "convention" for name, _ in report.user_properties):
        return CONVENTION
    return None


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """The jobs that pass by a convention (with -v each, with why and link), then where the frameworks differ,
    ranked and counted as `conformance run` says it."""
    conventions = terminalreporter.stats.get(CONVENTION[0], [])
    state = config.stash.get(_STATE, None)
    if not conventions and (state is None or not state.verdicts):
        return
    terminalreporter.write_sep("=", "gradient conformance")
    verbose = config.get_verbosity() > 0
    if conventions:
        terminalreporter.write_line(
            f"{len(conventions)} passed by a framework's documented convention (C), not by "
            "the math" + (":" if verbose else " (-v lists them)")
        )
    for report in conventions if verbose else []:
        for name, text in report.user_properties:
            if name == "convention":
                terminalreporter.write_line(f"  {report.nodeid} {text}")
    if state is None or not state.verdicts:  # under xdist the verdicts stay in the workers
        return
    from conformance import ranking, report, summary

    judged = list(state.verdicts.values())
    built = report.build(
        judged,
        [state.cases[c] for c in dict.fromkeys(v.job.case.id for v in judged)],
        [],
        state.frameworks,
        state.dtypes,
    )
    ranked = ranking.rank(built.agreement)
    terminalreporter.write_line(ranked.headline())
    for line in summary.difference_lines(ranked, verbose=verbose):
        terminalreporter.write_line(line.plain)


def is_case_file(path: Path) -> bool:
    """Whether the YAML's top level is a case of this suite or a list of them: another project's YAML under a
    `cases` folder is not ours to collect (or to fail). A small file without `id:` and `kind:` keys is told apart
    without importing the suite. A file that does not parse is ours when its top-level keys read `id:` and `kind:`,
    so a broken case file still fails collection with its error; so is one the loader refuses unread (not UTF-8,
    too large, unreadable): its collection fails with the loader's error."""
    try:
        with open(path, "rb") as f:
            head = f.read(SNIFF_BYTES + 1)
    except OSError:
        return True
    sniffed = head[:SNIFF_BYTES].decode("utf-8", "replace")
    if len(head) <= SNIFF_BYTES and not all(re.search(_ANY_KEY.format(k), sniffed) for k in ("id", "kind")):
        return False
    import yaml

    from conformance import loader
    from conformance.kinds import KINDS

    try:
        text = loader.read_text(path)  # the loader's limits: a pipe, a huge file or an alias bomb is refused
    except (OSError, ValueError):
        return True
    try:
        _, data = loader.parse(text)
    except yaml.YAMLError:
        return all(re.search(_TOP_LEVEL_KEY.format(key), text, re.MULTILINE) for key in ("id", "kind"))
    items = data if isinstance(data, list) else [data]
    return any(isinstance(item, dict) and "id" in item and item.get("kind") in KINDS for item in items)


def topic(path: Path) -> str | None:
    """The folder under the nearest `cases` folder (`conventions` for cases/conventions/kinks.yaml)."""
    parts = path.parent.parts
    below = parts[len(parts) - parts[::-1].index("cases") :] if "cases" in parts else ()
    return below[0] if below else None


class _State:
    """Options, the cases collected (by id), and the verdicts of items already run (by node id)."""

    def __init__(
        self,
        known: dict[str, str],
        frameworks: list[str],
        dtypes: list[str] | None,
        marks: dict[str, list[Divergence]],
        per_file: bool,
    ) -> None:
        self.known, self.frameworks, self.dtypes, self.marks = known, frameworks, dtypes, marks
        self.per_file = per_file  # an xdist worker: run one case file's jobs at a time, on workers kept between files
        self.kept: runner.Session | None = None
        self.cases: dict[str, LoadedCase] = {}
        self.verdicts: dict[str, verdicts.JobVerdict] = {}

    @classmethod
    def from_options(cls, config: pytest.Config) -> _State:
        """The options checked (a usage error names what is wrong); the suite is imported here."""
        from conformance import adapters, regress, renames
        from conformance.model import ALL_DTYPES

        known = adapters.available()
        frameworks = config.getoption("framework") or list(known)
        unknown = [fw for fw in frameworks if fw not in known]
        if unknown:
            raise pytest.UsageError("; ".join(renames.unknown("framework", fw, known) for fw in unknown))
        dtypes = config.getoption("dtype")
        odd = [d for d in dtypes or [] if d not in ALL_DTYPES]
        if odd:
            raise pytest.UsageError("; ".join(renames.unknown("dtype", d, ALL_DTYPES) for d in odd))
        marks: dict[str, list[Divergence]] = {}
        if config.getoption("expectations"):
            marks, errors = regress.read_expectations(config.getoption("expectations"))
            if errors:
                raise pytest.UsageError("\n".join(map(str, errors)))
        return cls(known, frameworks, dtypes, marks, per_file=hasattr(config, "workerinput"))

    def verdict(self, item: CaseItem) -> verdicts.JobVerdict:
        """The item's verdict, running every selected item not yet run together with it (under xdist: those of its
        case file)."""
        from conformance import runner, verdicts

        if item.nodeid not in self.verdicts:
            batch = [
                i
                for i in item.session.items
                if isinstance(i, CaseItem)
                and i.nodeid not in self.verdicts
                and (not self.per_file or i.path == item.path)
            ]
            if self.per_file:  # many small batches: each framework's start-up paid once, not per file
                self.kept = self.kept or runner.Session(self.known)
                self.kept.run([i.job for i in batch])
            else:
                runner.run([i.job for i in batch], self.known)
            self.verdicts.update(zip((i.nodeid for i in batch), verdicts.judge([i.job for i in batch]), strict=True))
        return self.verdicts[item.nodeid]


class CaseFile(pytest.File):
    def collect(self):
        from conformance import junit, loader, regress, runner

        state = _state(self.config)
        cases, errors = loader.load_file(self.path)
        if errors:
            raise self.CollectError("\n".join(map(str, errors)))
        cases, _ = regress.with_expectations(cases, state.marks)
        state.cases.update((c.case.id, c) for c in cases)
        lines = {c.case.id: c.line for c in cases}
        folder = topic(self.path)
        for job in runner.plan([c.case for c in cases], state.frameworks, state.dtypes):
            name, params = junit.item_name(job.case.id, job.framework, job.dtype)
            item = CaseItem.from_parent(
                self, name=f"{name}[{params}]", originalname=name, params=params, job=job, line=lines[job.case.id]
            )
            marks = [
                ("framework", job.framework),
                ("dtype", job.dtype),
                ("kind", job.case.kind),
                *([("topic", folder)] if folder else []),
                *(("tag", tag) for tag in job.case.tags),
            ]
            for marker, value in marks:
                item.add_marker(getattr(pytest.mark, marker)(name=value))
                item.extra_keyword_matches.add(value)
            yield item


class CaseFailed(Exception):
    """The job's verdict is failing (fail, error, stale), or xfail, which its strict xfail mark absorbs."""


class CaseItem(pytest.Item):
    def __init__(self, *, job: verdicts.Job, originalname: str, params: str, line: int = 1, **kwargs) -> None:
        parent = kwargs["parent"]
        if hasattr(parent, "id"):  # pytest >= 9.2 keys its cache (--lf, --sw) by structured ids: name and params
            kwargs["nodeid"] = parent.id.child(originalname).with_params(params)
        super().__init__(**kwargs)
        self.originalname, self.params = originalname, params
        self.job = job
        self.line = line  # 1-based, where the case starts in its file

    def setup(self) -> None:
        from conformance.vocabulary import Verdict

        verdict = self.config.stash[_STATE].verdict(self)
        if verdict.verdict == Verdict.XFAIL:
            reason = "; ".join(f"known bug: {m.why} ({m.issue})" for m in verdict.bugs)
            self.add_marker(pytest.mark.xfail(strict=True, reason=reason))

    def runtest(self) -> None:
        from conformance.vocabulary import Verdict

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
    from conformance.tolerance import short
    from conformance.vocabulary import Status

    job = verdict.job
    lines = [f"{job.case.id} [{job.framework}-{job.dtype}]: {verdict.verdict.value}"]
    for name, res in verdict.gradients.items():
        if res.status != Status.VALUE:
            got = (
                res.status.value
                + (f" ({res.representation})" if res.representation else "")
                + (f": {res.error}" if res.error else "")
            )
        else:
            got = f"{short(res.value)} ({res.cls})"
        lines.append(f"  {name}: got {got}")
        if res.expected is not None:
            lines.append(f"  {' ' * len(name)}  expected {short(res.expected)}")
        if res.oracle is not None:
            lines.append(f"  {' ' * len(name)}  oracle   {short(res.oracle)} (finite differences)")
    lines += [f"  {failure}" for failure in verdict.all_failures()]
    return "\n".join(lines)
