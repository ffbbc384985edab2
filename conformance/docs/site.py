"""Build the site: gather each page's data from cases and report, write MyST Markdown, draw figures, run Sphinx.

The Markdown (under out/markdown/, with the figures) builds with the package's conf/conf.py; Sphinx runs
in-process with the furo theme and writes out/ (index.html, cases/<id>.html, conventions.html).

Findings first: the index opens on where the frameworks differ (the report's `agreement`), then lists every case;
a case page shows per framework its verdicts and the convention or known bug behind them, and the case's agreement
rows; the conventions page collects the recorded conventions, the known bugs and the agreement by theme. Tables
are HTML inside the Markdown (chips, folded messages, links), each in furo's scrolling wrapper.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
import numpy as np
import yaml
from markupsafe import Markup

from conformance import oracle, ranking
from conformance.adapters import nothing_flowed
from conformance.docs import build, figures, guide, markup, snippets, syntax
from conformance.docs import history as history_view
from conformance.docs.values import array, text
from conformance.history.store import Store
from conformance.loader import LoadedCase, source_name
from conformance.model import Convention, Expectation
from conformance.report import AgreementRecord, AnswerRecord, CaseRecord, GradientRecord, JobRecord, Report
from conformance.vocabulary import Agreement, Class, Difference, Expect, Status, Verdict

TEMPLATES = Path(__file__).parent / "templates"
CONF = Path(__file__).parent / "conf"  # conf.py and _static/: `sphinx-build -c` this folder to build the Markdown
CLASS_LABEL = {
    Class.EXACT_ZERO: "exact zero",
    Class.TOLERANCE_ZERO: "tolerance zero",
    Class.NAN: "NaN",
    Class.INF: "inf",
    Class.FINITE: "finite",
}
MEANING = {
    Verdict.PASS: "matches the math",
    Verdict.CONVENTION: "the framework's recorded, linked choice",
    Verdict.XFAIL: "a known bug, linked",
    Verdict.UNAVAILABLE: "the framework is not installed",
    Verdict.STALE: "a recorded convention or bug that no longer happens",
    Verdict.FAIL: "differs from the math, unexplained",
    Verdict.ERROR: "raised where a value was expected, or the job crashed",
}
DIFFERING = (Agreement.DIFFER, Agreement.DIFFER_NO_REFERENCE)
#: the site's own pages beside the case, topic and guide pages: a short landing page, the ranked differences in full,
#: every case against every framework, the conventions, the release history
SITE_PAGES = ("index", "differences", "matrix", "conventions", "history")
#: the ranked rows the landing page shows (all of them: the differences page)
TOP = 12
# the fields every case has; whatever else a case says is its kind's own definition
_COMMON_FIELDS = {"id", "kind", "title", "why", "tags", "dtypes", "tolerance", "divergences", "expected"}


@dataclass(frozen=True)
class Cell:
    """A gradient as a table shows it: its value and class, or what stood in for it."""

    css: str
    label: str
    text: str


@dataclass(frozen=True)
class Chip:
    verdict: Verdict
    label: str
    title: str


@dataclass(frozen=True)
class Answer:
    """One framework's answer in an agreement row."""

    cell: Cell
    verdict: Verdict
    matches_math: bool | None
    odd: bool
    why: str | None
    link: str | None


@dataclass
class Row:
    """One gradient of a case across the frameworks; dtypes with the same answers share the row."""

    case: str
    title: str
    gradient: str
    dtypes: list[str]
    result: Agreement
    difference: Difference | None
    answers: tuple[Answer | None, ...]  # one per framework column
    reason: str | None

    @property
    def css(self) -> str:
        return self.result.name.lower()

    @property
    def differs(self) -> str:
        """What the row says of the frameworks: agree, differ in value, not compared, ..."""
        if self.result not in DIFFERING:
            return self.result.value
        return f"differ in {self.difference}" + (" (no reference)" if self.result != Agreement.DIFFER else "")


@dataclass
class Explained:
    """A gradient whose verdict a recorded convention or known bug explains; dtypes with the same answer merged."""

    framework: str
    case: str
    title: str
    gradient: str
    dtypes: list[str]
    verdict: Verdict
    cell: Cell
    math: str
    kind: str  # "convention", "known bug", or "" where nothing is recorded
    why: str
    link: str


@dataclass
class Record:
    """A convention or known bug as the case file records it."""

    framework: str
    kind: str  # "convention" or "known bug"
    gradients: str
    versions: str
    says: str
    why: str
    link: str


@dataclass
class ResultRow:
    framework: str
    version: str
    dtype: str
    verdict: Verdict
    cells: list[Cell | None]
    failures: list[str]
    notes: list[str]


@dataclass
class FrameworkView:
    """One framework on a case page: its verdicts and what explains them."""

    name: str
    version: str
    chips: list[Chip]
    gradients: list[Explained]
    bugs: list[tuple[str, str]]  # (why, link) of the job's known bugs that no gradient shows


@dataclass
class Page:
    """One case page: what the templates need, already turned into text and MathML."""

    id: str
    title: str
    kind: str
    why: str
    file: str  # from its library's cases/ folder on (source_name): never a path of the build machine
    line: int
    topic: str
    tags: list[str]
    name: str = ""  # its page's file name and Sphinx label (markup.page_name)
    source: str = ""  # the case file's copy in the site, where the case was loaded from one
    math: list[dict[str, str]] = field(default_factory=list)
    gradients: list[dict[str, str]] = field(default_factory=list)
    inputs: list[dict[str, str]] = field(default_factory=list)
    definition: str = ""
    dtypes: list[str] = field(default_factory=list)
    results: list[ResultRow] = field(default_factory=list)
    reference: list[dict[str, Any]] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    estimates: list[dict[str, Any]] = field(default_factory=list)
    records: list[Record] = field(default_factory=list)
    code: list[dict[str, Any]] = field(default_factory=list)
    behaviour: list[dict[str, Any]] = field(default_factory=list)  # per framework: outcomes, idiom, fix
    figures: list[dict[str, Any]] = field(default_factory=list)  # kind, data, caption; then file or error
    chips: dict[str, list[Chip]] = field(default_factory=dict)
    frameworks: list[FrameworkView] = field(default_factory=list)
    agreement: list[Row] = field(default_factory=list)
    differs: int = 0  # its (dtype, gradient)s on which the frameworks differ
    changed_in: list[tuple[str, str]] = field(default_factory=list)  # releases where an answer changed, with labels
    broken: str = ""  # why the page could not be made from the report, where it could not


def generate(
    report: Report, cases: list[LoadedCase], out: str | Path, workers: int | None = None, history: Store | None = None
) -> list[Path]:
    """Write the Markdown sources under `out`/markdown and build the HTML into `out` with `workers` processes (default:
    one per core); return the files written (the sources, the figures and the HTML pages). With a history store, the
    History page shows it and each case page the releases where its answers changed.

    A case whose page or figure cannot be made gets a page or a note saying why; it never stops the others. Every
    file is written inside `out`, and a source whose text did not change is not rewritten, so Sphinx rebuilds only
    the pages that changed."""
    out = Path(out).resolve()
    source = out / "markdown"
    workers = workers or os.cpu_count() or 1
    versions = _labels(report)
    frameworks = list(versions)  # labels: each framework in each regime it ran in
    loaded = {c.case.id: c for c in cases}
    ids = list(dict.fromkeys([*loaded, *report.cases]))
    titles = {cid: loaded[cid].case.title if cid in loaded else report.cases[cid].title for cid in ids}
    by_case: dict[str, list[AgreementRecord]] = {}
    for a in report.agreement:
        by_case.setdefault(a.case, []).append(a)
    jobs: dict[str, list[JobRecord]] = {}
    for j in report.jobs:
        jobs.setdefault(j.case, []).append(j)
    pages = [
        _safe_page(
            cid,
            loaded.get(cid),
            report,
            jobs.get(cid, []),
            frameworks,
            versions,
            _rows(by_case.get(cid, []), frameworks, titles),
        )
        for cid in ids
    ]
    pages.sort(key=lambda p: (p.topic, p.id))
    changed = history_view.changed_in(history) if history else {}
    for page in pages:
        page.changed_in = changed.get(page.id, [])
    _draw(pages, source, workers)
    ranked = ranking.rank(report.agreement)  # the terminal's rows and count, in its order
    differences = _rows(ranked.records(), frameworks, titles)
    topics = sorted({p.topic for p in pages})
    context = {
        "report": report,
        "frameworks": frameworks,
        "pages": pages,
        "versions": versions,
        "topics": topics,
        "tags": sorted({t for p in pages for t in p.tags}),
        "differences": differences,
        "top": differences[:TOP],
        "differ_count": ranked.count,
        "compared_count": ranked.compared,
        "not_compared_count": len(report.agreement) - ranked.compared,
        "differing_cases": sum(1 for p in pages if p.differs),
        "shown_verdicts": _shown(report),
        "explained": _explained(report, titles),
        "themes": _themes(report, frameworks, titles),
        "tally": _tally(report, frameworks),
        "meaning": MEANING,
        "histories": history_view.view(history) if history else [],
        "shown": history_view.CHANGELOG_SHOWN,
    }
    texts = {source / f"{name}.md": _render(f"{name}.md.j2", context) for name in SITE_PAGES}
    for topic in topics:
        texts[source / "topics" / f"{markup.page_name(topic)}.md"] = _render("topic.md.j2", {**context, "topic": topic})
    for page in pages:
        texts[source / "cases" / f"{page.name}.md"] = _case_text(page, context)
    texts.update({source / name: text for name, text in guide.pages().items()})
    for loaded_case in cases:  # the case files, for each page to link to its own
        texts[source / "files" / source_name(loaded_case.file)] = Path(loaded_case.file).read_text(encoding="utf-8")
    _write_sources(source, out, texts, {source / f["file"] for p in pages for f in p.figures if "file" in f})
    build.html(source, CONF, out, workers)
    return [
        *texts,
        *(source / f["file"] for p in pages for f in p.figures if "file" in f),
        *(out / f"{name}.html" for name in SITE_PAGES),
        *(out / "cases" / f"{p.name}.html" for p in pages),
        *(out / Path(name).with_suffix(".html") for name in guide.pages()),
    ]


def _inside(out: Path, path: Path) -> Path:
    """`path`, refused unless it lies under `out` (already resolved): no report string writes outside the site."""
    if not path.resolve().is_relative_to(out):
        raise ValueError(f"{path} lies outside {out}")
    return path


def _write_sources(source: Path, out: Path, texts: dict[Path, str], figures: set[Path]) -> None:
    """Write each source whose text changed; remove the sources, figures and case pages of an earlier report that
    this one has not (they would stay in the site and its search)."""
    earlier = [p for p in source.rglob("*") if p.is_file() and not p.name.startswith(".")]
    for stale in (p for p in earlier if p not in texts and p not in figures):
        stale.unlink()
        if stale.suffix == ".md":
            (out / stale.relative_to(source)).with_suffix(".html").unlink(missing_ok=True)
    for path, said in texts.items():
        if not path.is_file() or path.read_text(encoding="utf-8") != said:
            _inside(out, path).parent.mkdir(parents=True, exist_ok=True)
            path.write_text(said, encoding="utf-8")


link_label = markup.link_label


def _code_span(text: str) -> str:
    """`text` as a Markdown code span, fenced by more backticks than it holds."""
    text = re.sub(r"[\r\n]+", " ", text)  # a line break in a code span could start a block
    fence = "`" * (max((len(run) for run in re.findall("`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _block(html: str) -> str:
    """An HTML fragment as one Markdown raw-HTML block: a blank line would end the block early."""
    return "\n".join(line for line in str(html).strip().splitlines() if line.strip())


def _pre(text: str) -> Markup:
    """Text for a <pre> inside a raw-HTML block: escaped, URLs linked, newlines as &#10; so no line is blank."""
    return Markup(str(markup.html(text)).replace("\n", "&#10;"))


_ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES),
    autoescape=jinja2.select_autoescape(["html.j2"]),
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_ENV.filters.update(
    linklabel=link_label,
    md=markup.md,
    md_text=markup.md_text,
    linked=markup.html,
    fold=markup.fold,
    code=_code_span,
    block=_block,
    pre=_pre,
    page=markup.page_name,
    mdlink=markup.md_link,
    source_name=source_name,
)
_ENV.tests["web_url"] = markup.is_web_url


def _render(template: str, context: dict[str, Any]) -> str:
    return _ENV.get_template(template).render(**context)


def _case_text(page: Page, context: dict[str, Any]) -> str:
    """The case's page; where it cannot be made from what the report holds, a page that says why."""
    if not page.broken:
        try:
            return _render("case.md.j2", {**context, "page": page})
        except Exception as err:  # one case's odd data must not cost the other pages theirs
            page.broken = f"{type(err).__name__}: {err}"
    return _render("broken.md.j2", {"page": page})


def _topic(file: str) -> str:
    """The folder a case file sits in under cases/ (cases/reparam/normal.yaml -> reparam)."""
    parts = Path(file).parts
    return parts[parts.index("cases") + 1] if "cases" in parts[:-2] else Path(file).parent.name or "cases"


def _labels(report: Report) -> dict[str, str]:
    """Each label the report's jobs ran under (a framework in a regime: `torch`, `torch[compiled]`), frameworks in the
    report's order, with its versions and how the regime is spelled; a framework that ran no job, by its name, with
    its reason."""
    out = {}
    for fw, info in report.environment.frameworks.items():
        versions = ", ".join(f"{k} {v}" for k, v in info.versions.items()) or info.reason or ""
        ran = {j.label: j.regime for j in report.jobs if j.framework == fw} or {fw: None}
        for label, regime in ran.items():
            how = info.regimes.get(regime) if regime else None
            out[label] = f"{versions} ({how})" if how else versions
    return out


def _safe_page(
    cid: str,
    loaded: LoadedCase | None,
    report: Report,
    jobs: list[JobRecord],
    frameworks: list[str],
    versions: dict[str, str],
    agreement: list[Row],
) -> Page:
    """The case's page; where its data cannot be turned into one, a page with its title that says why."""
    try:
        return _page(cid, loaded, report, jobs, frameworks, versions, agreement)
    except Exception as err:  # one case's odd data must not cost the other pages theirs
        meta = report.cases.get(cid)
        file = source_name(loaded.file if loaded else meta.file if meta else "")
        page = Page(
            id=cid,
            title=meta.title if meta else cid,
            kind=meta.kind if meta else "?",
            why="",
            file=file,
            line=0,
            topic=_topic(file),
            tags=[],
            name=markup.page_name(cid),
        )
        page.broken = f"{type(err).__name__}: {err}"
        return page


def _page(
    cid: str,
    loaded: LoadedCase | None,
    report: Report,
    jobs: list[JobRecord],
    frameworks: list[str],
    versions: dict[str, str],
    agreement: list[Row],
) -> Page:
    meta = report.cases.get(cid) or CaseRecord(title=cid, kind="?", why="", file="", line=0, tags=[])
    case = loaded.case if loaded else None
    said = case or meta
    file = source_name(loaded.file if loaded else meta.file)
    page = Page(
        id=cid,
        title=said.title,
        kind=said.kind,
        why=said.why,
        file=file,
        line=loaded.line if loaded else meta.line,
        topic=_topic(file),
        tags=list(said.tags),
        name=markup.page_name(cid),
        source=f"files/{file}" if loaded else "",
        agreement=agreement,
    )
    page.dtypes = list(dict.fromkeys(j.dtype for j in jobs))
    page.chips = {fw: _chips([j for j in jobs if j.label == fw]) for fw in frameworks}
    page.frameworks = [
        _framework(fw, versions[fw], [j for j in jobs if j.label == fw], page.title) for fw in frameworks
    ]
    page.differs = sum(len(r.dtypes) for r in agreement if r.result in DIFFERING)
    if case is not None:
        _describe(page, case)
        page.code = _code(case)
        page.behaviour = _behaviour(case)
        page.records = _records(case)
    _results(page, jobs, report)
    _figures(page, case, jobs, frameworks)
    return page


# --- the case: math, inputs, definition, records ---------------------------------------------------


def _expr(case: Any, key: str):
    try:
        return case.expr(key)
    except KeyError:
        return None


def _math(tex: str) -> dict[str, str]:
    """A formula as the Markdown carries it: TeX, turned into MathML when Sphinx builds the page."""
    return {"tex": tex}


def _describe(page: Page, case: Any) -> None:
    kind = case.kind
    function = _expr(case, "function")
    if kind == "reparam":
        transform = syntax.apply(
            snippets.FAMILIES[case.family].transform,
            syntax.LATEX,
            {n: syntax.symbol(syntax.latex_name(n), syntax.LATEX) for n in case.params},
            syntax.symbol("z_i", syntax.LATEX),
        )
        args = ", ".join(syntax.latex_name(n) for n in case.params)
        page.math.append(
            _math(
                rf"L = \sum_{{i=1}}^{{n}} \log p_{{\mathrm{{{case.family}}}}}\left(x_i ; {args}\right),"
                rf" \quad x_i = {transform}, \quad n = {case.samples}"
            )
        )
    elif kind == "mle":
        args = ", ".join(map(syntax.latex_name, case.model))
        page.math.append(
            _math(
                rf"\mathcal{{L}} = -\frac{{1}}{{n}} \sum_{{i=1}}^{{n}} "
                rf"\log p_{{\mathrm{{{case.family}}}}}\left(x_i ; {args}\right), "
                rf"\quad n = {case.samples}"
            )
        )
        page.math.extend(_math(f"{syntax.latex_name(n)} = {syntax.latex(case.expr(f'model.{n}'))}") for n in case.model)
    elif kind == "expectation":
        args = ", ".join(syntax.latex_name(n) for n in case.params)
        statistic = syntax.latex(case.expr("statistic"))
        page.math.append(
            _math(
                rf"\frac{{\partial}}{{\partial \theta}} \mathbb{{E}}_{{x \sim \mathrm{{{case.family}}}"
                rf"\left({args}\right)}}\left[\sum f(x)\right], \quad f(x) = {statistic}, "
                rf"\quad n = {case.draws}, \quad k = {case.k:g}"
            )
        )
    elif function is not None:
        page.math.append(_math(f"y = {syntax.latex(function)}"))
        if _expr(case, "cotangent") is not None:
            page.math.append(_math(rf"v = {syntax.latex(case.expr('cotangent'))}"))
    stated = getattr(case, "expected", None) or {}
    if isinstance(stated, Expectation):  # a directional case's one derivative
        stated = {"derivative": stated}
    for name, expectation in stated.items():
        value = _expr(case, f"expected.{name}")
        rhs = syntax.latex(value) if value is not None else None
        shown = text(expectation.value) if expectation.status == Expect.VALUE else expectation.status.value
        entry = {"name": name, "why": expectation.why, "value": shown}
        if rhs is not None:
            entry.update(_math(f"{_gradient_lhs(kind, syntax.latex_name(name))} = {rhs}"))
        page.gradients.append(entry)
    data = getattr(case, "data", {})  # a function case's integer and boolean inputs
    for prefix in ("inputs", "params", "parameters", "truth"):
        for name in getattr(case, prefix, None) or {}:
            value = data[name] if name in data else oracle.evaluate(case.expr(f"{prefix}.{name}"))
            page.inputs.append(
                {
                    "name": name,
                    "role": prefix if name not in data else f"{prefix} ({value.dtype})",
                    "shape": str(np.shape(value)),
                    "value": repr(value.tolist()) if name in data and value.size <= 12 else text(value, limit=12),
                }
            )  # data as written: integers, True and False
    own = {k: v for k, v in case.model_dump(mode="json").items() if k not in _COMMON_FIELDS}
    page.definition = yaml.safe_dump(own, sort_keys=False, default_flow_style=None, width=100).strip()


def _gradient_lhs(kind: str, name: str) -> str:
    return {
        "vjp": rf"v^{{\top}} \frac{{\partial y}}{{\partial {name}}}",
        "grad": rf"\frac{{\partial y}}{{\partial {name}}}",
        "reparam": rf"\frac{{\partial L}}{{\partial {name}}}",
        "mle": rf"{{{name}}}_{{\mathrm{{MLE}}}}",
        "directional": r"\frac{d^k}{ds^k} y(x + s v) \Big|_{s = 0}",
    }.get(kind, rf"\mathrm{{expected}}\left({name}\right)")


def _code(case: Any) -> list[dict[str, Any]]:
    """Per framework, the snippet generated from the case (function, reparam and mle kinds)."""
    return [
        {
            "framework": fw,
            "code": snippet.code,
            "given": snippet.given,
            "source": "generated from the case; executed against the report by the tests",
        }
        for fw, snippet in snippets.snippets(case).items()
    ]


def _behaviour(case: Any) -> list[dict[str, Any]]:
    """Per framework, what the scenario's idiom does (from the case's outcomes) and the idiom beside its fix."""
    written = snippets.behaviour(case.scenario) if case.kind == "behaviour" else {}
    return [
        {"framework": fw, "idiom": b.idiom, "fix": b.fix, "outcomes": case.outcomes_for(fw)}
        for fw, b in written.items()
    ]


def _says(convention: Convention) -> str:
    said = []
    if convention.value is not None:
        said.append(f"value {text(convention.value)}")
    if convention.status is not None:
        said.append(f"status {convention.status.value}")
    said.extend(f"{dtype} tolerance {t}" for dtype, t in convention.tolerance.items())
    if convention.dtypes:
        said.append(f"in {', '.join(convention.dtypes)}")
    return "; ".join(said)


def _records(case: Any) -> list[Record]:
    """The case file's conventions (per gradient) and known bugs, with the versions they hold for."""
    records = [
        Record(fw, "convention", name, c.versions or "all versions", _says(c), c.why, c.link)
        for name, expectation in (getattr(case, "expected", None) or {}).items()
        for fw, specs in expectation.conventions_for().items()
        for c in specs
    ]
    records.extend(
        Record(
            d.framework, "known bug", ", ".join(d.gradients) or "all", d.versions or "all versions", "", d.why, d.issue
        )
        for d in case.divergences
    )
    return sorted(records, key=lambda r: r.framework)


# --- the report: verdicts, explanations, results, agreement ----------------------------------------


def _cell(grad: GradientRecord | AnswerRecord) -> Cell:
    if grad.status == Status.ERROR:
        return Cell("error", "error", grad.error or "")
    if nothing_flowed(grad.status, grad.representation):  # None, or a symbolic zero's zeros: say which
        value = f" = {text(grad.value)}" if grad.value is not None else ""
        return Cell("disconnected", "disconnected", f"{grad.representation or ''}{value}")
    return Cell(grad.cls.value if grad.cls else "", CLASS_LABEL[grad.cls] if grad.cls else "", text(grad.value))


def _chips(jobs: list[JobRecord]) -> list[Chip]:
    """One chip per verdict; the dtypes are named only where they differ."""
    groups: dict[Verdict, list[str]] = {}
    for job in jobs:
        groups.setdefault(job.verdict, []).append(job.dtype)
    return [
        Chip(
            v,
            v.value if len(groups) == 1 else f"{' '.join(d.replace('float', 'f') for d in dtypes)} {v}",
            ", ".join(dtypes),
        )
        for v, dtypes in groups.items()
    ]


def _explain(job: JobRecord, name: str, g: GradientRecord, title: str) -> Explained:
    explanation, kind = (g.convention, "convention") if g.convention else (g.bug, "known bug") if g.bug else (None, "")
    math = text(g.expected) if g.expected is not None else g.expected_status.value
    return Explained(
        job.framework,
        job.case,
        title,
        name,
        [job.dtype],
        g.verdict,
        _cell(g),
        math,
        kind,
        explanation.why if explanation else "",
        explanation.link if explanation else "",
    )


def _merge(items: Iterable[Explained], by_value: bool = True) -> list[Explained]:
    """Items that differ only in dtype (and, unless `by_value`, in value), as one."""
    merged: dict[tuple, Explained] = {}
    for e in items:
        key = (e.framework, e.case, e.gradient, e.verdict, e.why, e.link, *((e.cell, e.math) if by_value else ()))
        if key in merged:
            merged[key].dtypes.extend(e.dtypes)
        else:
            merged[key] = e
    return list(merged.values())


def _framework(fw: str, version: str, jobs: list[JobRecord], title: str) -> FrameworkView:
    gradients = _merge((_explain(j, name, g, title) for j in jobs for name, g in j.gradients.items()), by_value=False)
    shown = {e.link for e in gradients}
    bugs = list(dict.fromkeys((b.why, b.link) for j in jobs for b in j.bugs if b.link not in shown))
    return FrameworkView(fw, version, _chips(jobs), gradients, bugs)


def _rows(records: Iterable[AgreementRecord], frameworks: list[str], titles: dict[str, str]) -> list[Row]:
    """One row per (case, gradient) and answers; the dtypes with the same answers share it."""
    rows: dict[tuple, Row] = {}
    for a in records:
        by_fw = {
            x.label: Answer(_cell(x), x.verdict, x.matches_math, x.label in a.odd, x.why, x.link) for x in a.answers
        }
        answers = tuple(by_fw.get(fw) for fw in frameworks)
        key = (a.case, a.gradient, a.result, a.difference, answers, a.reason)
        if key in rows:
            rows[key].dtypes.append(a.dtype)
        else:
            rows[key] = Row(
                a.case, titles.get(a.case, a.case), a.gradient, [a.dtype], a.result, a.difference, answers, a.reason
            )
    return list(rows.values())


def _results(page: Page, jobs: list[JobRecord], report: Report) -> None:
    page.columns = list(dict.fromkeys(n for j in jobs for n in j.gradients))
    env = report.environment.frameworks
    for job in jobs:
        info = env.get(job.framework)
        page.results.append(
            ResultRow(
                job.label,
                ", ".join(info.versions.values()) if info else "",
                job.dtype,
                job.verdict,
                [_cell(job.gradients[n]) if n in job.gradients else None for n in page.columns],
                job.all_failures(),
                job.notes
                + [f"{n}: {x}" for n, g in job.gradients.items() for x in g.notes]
                + [
                    f"{n}: the framework's raw answer {text(g.raw)}, by its documented convention for complex numbers "
                    f"({g.complex_convention.link})"
                    for n, g in job.gradients.items()
                    if g.complex_convention and g.raw is not None
                ],
            )
        )
        for name, est in job.estimates.items():
            page.estimates.append(
                {
                    "framework": job.framework,
                    "dtype": job.dtype,
                    "name": name,
                    "value": text(est.value),
                    "expected": text(est.expected),
                    "error": text(est.max_abs, 3),
                    "iterations": job.details.get("iterations", ""),
                }
            )
    for dtype in page.dtypes:
        first = next((j for j in jobs if j.dtype == dtype and j.gradients), None)
        if first is None:
            continue
        for what in ("expected", "oracle"):
            cells = [text(getattr(first.gradients[n], what)) if n in first.gradients else "" for n in page.columns]
            if any(cells):
                page.reference.append({"label": what, "cells": cells})
    page.reference = [r for i, r in enumerate(page.reference) if r not in page.reference[:i]]  # the oracle is float64


ORACLE_CAPTION = (
    "Each gradient element's distance from the NumPy finite-difference oracle, the frameworks side by "
    "side in their colours (hollow: float32, filled: float64; the dotted line stands for an exact 0). "
    "Elements whose oracle or value is not finite have no distance and are left out."
)
OPTIMIZER_CAPTION = (
    "The loss and each parameter along each framework's optimizer run (solid: float64, dashed: "
    "float32), with the true value (dotted) and the reference MLE (dash-dot: the closed form, or "
    "SciPy's optimum). With L-BFGS torch and TF record every objective evaluation, JAX every "
    "iteration; with Adam all three record every step."
)


def _figures(page: Page, case: Any, jobs: list[JobRecord], frameworks: list[str]) -> None:
    """The figures' data (`_draw` draws them), or why a figure has nothing to show."""
    errors = figures.oracle_errors(jobs, frameworks)
    if errors and errors["panels"]:
        page.figures.append({"kind": "oracle-error", "data": errors, "caption": ORACLE_CAPTION})
    elif errors:
        page.figures.append(
            {
                "error": f"no gradient element has a finite distance from the oracle; "
                f"{errors['left_out']} are NaN or inf",
                "caption": ORACLE_CAPTION,
            }
        )
    if case is not None and case.kind == "mle":
        truth = {n: oracle.evaluate(case.expr(f"truth.{n}")) for n in case.truth}
        closed = {n: e for j in jobs for n, est in j.estimates.items() if (e := array(est.expected)) is not None}
        paths = figures.mle_paths(jobs, truth, closed)
        if paths:
            page.figures.append({"kind": "optimizer", "data": paths, "caption": OPTIMIZER_CAPTION})


def _draw(pages: list[Page], source: Path, workers: int) -> None:
    """Name each figure by a hash of its data and draw those not drawn yet in `workers` processes; a figure that
    cannot be drawn is replaced by a note saying why."""
    todo: dict[Path, dict[str, Any]] = {}
    for page in pages:
        for f in page.figures:
            if "error" in f:
                continue
            f["file"] = f"figures/{page.name}-{f['kind']}-{figures.digest(f['kind'], f['data'])}.svg"
            if not (source / f["file"]).is_file():
                todo[_inside(source, source / f["file"])] = f
    if not todo:
        return
    (source / "figures").mkdir(parents=True, exist_ok=True)
    with ProcessPoolExecutor(min(len(todo), workers)) as pool:
        drawn = {path: pool.submit(figures.draw, f["kind"], f["data"], path) for path, f in todo.items()}
        for path, future in drawn.items():
            try:
                future.result()
            except Exception as err:  # a figure that cannot be drawn costs its page the figure only
                todo[path]["error"] = f"{type(err).__name__}: {err}"
                del todo[path]["file"]


# --- the whole run: verdicts, conventions, themes -------------------------------------------------


def _shown(report: Report) -> list[Verdict]:
    """The verdicts the run gave, and pass and fail always."""
    totals = report.totals()
    return [v for v in Verdict if totals[v] or v in (Verdict.PASS, Verdict.FAIL)]


def _explained(report: Report, titles: dict[str, str]) -> dict[str, list[Explained]]:
    """Every gradient a recorded convention or a known bug explains, by which."""
    found = [
        (g, _explain(j, name, g, titles.get(j.case, j.case)))
        for j in report.jobs
        for name, g in j.gradients.items()
        if g.convention or g.bug
    ]
    return {"conventions": _merge(e for g, e in found if g.convention), "bugs": _merge(e for g, e in found if g.bug)}


THEMES: list[tuple[str, str, str, Callable[[AgreementRecord], bool]]] = [
    (
        "differ",
        "Where the frameworks differ",
        (
            "The same gradient, different answers: by status (a value against None or an error), by value (beyond the "
            "case's tolerance of each other) or by class (the same value, exact 0.0 against a rounding-level zero). "
            "✓ and ✗ say which match the math; a difference never fails a framework that matches it."
        ),
        lambda a: a.result in DIFFERING,
    ),
    (
        "zeros",
        "Exact and numerical zeros",
        (
            "Where the algebra gives 0, does the framework return exactly 0.0, or a rounding-level number within the "
            "derived zero tolerance? Both match the math; the difference comes from the order the cancelling terms are "
            "summed in."
        ),
        lambda a: any(x.cls == Class.TOLERANCE_ZERO for x in a.answers),
    ),
    (
        "disconnected",
        "None vs zero for disconnected inputs",
        "An input the output does not depend on: torch and TensorFlow return None, JAX a (symbolic) zero.",
        lambda a: any(nothing_flowed(x.status, x.representation) for x in a.answers),
    ),
    (
        "nonfinite",
        "NaN and inf (for example through where)",
        "A NaN or inf in a branch that where() does not select still poisons the gradient in some frameworks.",
        lambda a: any(x.cls in (Class.NAN, Class.INF) for x in a.answers),
    ),
    (
        "errors",
        "What a framework refuses",
        "The framework raised instead of returning a gradient; the message is the framework's own.",
        lambda a: any(x.status == Status.ERROR for x in a.answers),
    ),
]


def _themes(report: Report, frameworks: list[str], titles: dict[str, str]) -> list[dict[str, Any]]:
    """Per theme, the agreement rows (case, gradient; dtypes merged) that show it."""
    return [
        {"key": key, "title": title, "why": why, "rows": _rows(filter(test, report.agreement), frameworks, titles)}
        for key, title, why, test in THEMES
    ]


def _tally(report: Report, frameworks: list[str]) -> list[tuple[str, list[int]]]:
    """Per framework, how many gradients (case, dtype) show each finding."""
    tests: dict[str, Callable[[GradientRecord], bool]] = {
        "convention": lambda g: g.verdict == Verdict.CONVENTION,
        "known bug": lambda g: g.bug is not None,
        "stale record": lambda g: g.verdict == Verdict.STALE,
        "exact zero": lambda g: g.cls == Class.EXACT_ZERO,
        "tolerance zero": lambda g: g.cls == Class.TOLERANCE_ZERO,
        "disconnected": lambda g: nothing_flowed(g.status, g.representation),
    }
    rows = [
        (label, [sum(test(g) for j in report.jobs if j.label == fw for g in j.gradients.values()) for fw in frameworks])
        for label, test in tests.items()
    ]
    differences = report.differences()
    rows.append(("odd one out where they differ", [sum(fw in a.odd for a in differences) for fw in frameworks]))
    return rows
