"""Build the site: gather each page's data from cases and report, render HTML and Markdown, draw figures."""
from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
import numpy as np
import yaml
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer

from conformance import oracle
from conformance.docs import figures, snippets, syntax
from conformance.docs.values import array, text
from conformance.loader import LoadedCase

TEMPLATES = Path(__file__).parent / "templates"
CLASS_LABEL = {"exact_zero": "exact zero", "tolerance_zero": "tolerance zero", "nan": "NaN", "inf": "inf",
               "finite": "finite"}
# the fields every case has; whatever else a case says is its kind's own definition
_COMMON_FIELDS = {"id", "kind", "title", "why", "tags", "dtypes", "tolerance", "divergences", "expected"}


@dataclass
class Page:
    """One case page: what the templates need, already turned into text and MathML."""

    id: str
    title: str
    kind: str
    why: str
    file: str
    line: int | None
    topic: str
    tags: list[str]
    math: list[dict[str, str]] = field(default_factory=list)
    gradients: list[dict[str, str]] = field(default_factory=list)
    inputs: list[dict[str, str]] = field(default_factory=list)
    definition: str = ""
    dtypes: list[str] = field(default_factory=list)
    results: list[dict[str, Any]] = field(default_factory=list)
    reference: list[dict[str, Any]] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    estimates: list[dict[str, Any]] = field(default_factory=list)
    divergences: list[dict[str, Any]] = field(default_factory=list)
    code: list[dict[str, Any]] = field(default_factory=list)
    figures: list[dict[str, str]] = field(default_factory=list)
    verdicts: dict[str, list[dict[str, str]]] = field(default_factory=dict)


def generate(report: dict[str, Any], cases: list[LoadedCase], out: str | Path) -> list[Path]:
    """Write the site under `out`; return every file written."""
    out = Path(out)
    for sub in ("cases", "figures", "markdown/cases"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    frameworks = list(report["environment"]["frameworks"])
    loaded = {c.case.id: c for c in cases}
    ids = list(dict.fromkeys([*loaded, *report["cases"]]))
    pages = [_page(cid, loaded.get(cid), report, frameworks, out) for cid in ids]
    pages.sort(key=lambda p: (p.topic, p.id))
    context = {"report": report, "frameworks": frameworks, "pages": pages,
               "topics": sorted({p.topic for p in pages}), "tags": sorted({t for p in pages for t in p.tags}),
               "conventions": _conventions(report, frameworks, {p.id: p for p in pages}),
               "versions": {fw: ", ".join(f"{k} {v}" for k, v in info["versions"].items()) or info["reason"]
                            for fw, info in report["environment"]["frameworks"].items()},
               "class_label": CLASS_LABEL}
    written = [shutil.copyfile(TEMPLATES / "style.css", out / "style.css")]
    for name in ("index", "conventions"):
        written.append(_render(f"{name}.html.j2", out / f"{name}.html", context, root=""))
        written.append(_render(f"{name}.md.j2", out / "markdown" / f"{name}.md", context, root="../"))
    for page in pages:
        written.append(_render("case.html.j2", out / "cases" / f"{page.id}.html", {**context, "page": page},
                               root="../"))
        written.append(_render("case.md.j2", out / "markdown" / "cases" / f"{page.id}.md",
                               {**context, "page": page}, root="../../"))
        written.extend(out / f["file"] for f in page.figures)
    return [Path(p) for p in written]


_ENV = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=jinja2.select_autoescape(["html.j2"]),
                          undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def _render(template: str, path: Path, context: dict[str, Any], root: str) -> Path:
    path.write_text(_ENV.get_template(template).render(**context, root=root), encoding="utf-8")
    return path


def _topic(file: str) -> str:
    """The folder under cases/ a case file sits in (cases/reparam/normal.yaml -> reparam)."""
    parts = Path(file).parts
    return parts[parts.index("cases") + 1] if "cases" in parts[:-2] else Path(file).parent.name or "cases"


def _page(cid: str, loaded: LoadedCase | None, report: dict[str, Any], frameworks: list[str], out: Path) -> Page:
    meta = report["cases"].get(cid) or {}
    case = loaded.case if loaded else None
    file = loaded.file if loaded else meta.get("file", "")
    page = Page(id=cid, title=case.title if case else meta.get("title", cid), kind=case.kind if case else
                meta.get("kind", "?"), why=case.why if case else meta.get("why", ""), file=file,
                line=loaded.line if loaded else meta.get("line"), topic=_topic(file),
                tags=list(case.tags if case else meta.get("tags", [])))
    jobs = [j for j in report["jobs"] if j["case"] == cid]
    page.dtypes = list(dict.fromkeys(j["dtype"] for j in jobs))
    page.verdicts = {fw: [{"dtype": j["dtype"], "verdict": j["verdict"]} for j in jobs if j["framework"] == fw]
                     for fw in frameworks}
    if case is not None:
        _describe(page, case)
        page.code = _code(case)
        page.divergences = _divergences(case, jobs)
    _results(page, jobs, report)
    _figures(page, case, jobs, frameworks, out)
    return page


# --- the case: math, inputs, definition ----------------------------------------------------------

def _expr(case: Any, key: str):
    try:
        return case.expr(key)
    except KeyError:
        return None


def _math(tex: str) -> dict[str, str]:
    return {"tex": tex, "mathml": syntax.mathml(tex)}


def _describe(page: Page, case: Any) -> None:
    kind = case.kind
    function = _expr(case, "function")
    if kind == "reparam":
        transform = syntax.apply(snippets.FAMILIES[case.family].transform, syntax.LATEX,
                                 {n: syntax.symbol(syntax.latex_name(n), syntax.LATEX) for n in case.params},
                                 syntax.symbol("z_i", syntax.LATEX))
        args = ", ".join(syntax.latex_name(n) for n in case.params)
        page.math.append(_math(rf"L = \sum_{{i=1}}^{{n}} \log p_{{\mathrm{{{case.family}}}}}\left(x_i ; {args}\right),"
                               rf" \quad x_i = {transform}, \quad n = {case.samples}"))
    elif kind == "mle":
        page.math.append(_math(rf"\mathcal{{L}} = -\frac{{1}}{{n}} \sum_{{i=1}}^{{n}} \log p_{{\mathrm{{{case.family}}}}}"
                               rf"\left(x_i ; {', '.join(map(syntax.latex_name, case.model))}\right), \quad n = {case.samples}"))
        page.math.extend(_math(f"{syntax.latex_name(n)} = {syntax.latex(case.expr(f'model.{n}'))}") for n in case.model)
    elif function is not None:
        page.math.append(_math(f"y = {syntax.latex(function)}"))
        if _expr(case, "cotangent") is not None:
            page.math.append(_math(rf"v = {syntax.latex(case.expr('cotangent'))}"))
    for name, expectation in (getattr(case, "expected", None) or {}).items():
        value = _expr(case, f"expected.{name}")
        rhs = syntax.latex(value) if value is not None else None
        entry = {"name": name, "why": getattr(expectation, "why", ""),
                 "value": text(getattr(expectation, "value", expectation))}
        if rhs is not None:
            entry.update(_math(f"{_gradient_lhs(kind, syntax.latex_name(name))} = {rhs}"))
        page.gradients.append(entry)
    for prefix in ("inputs", "params", "parameters", "truth"):
        for name in getattr(case, prefix, None) or {}:
            value = oracle.evaluate(case.expr(f"{prefix}.{name}"))
            page.inputs.append({"name": name, "role": prefix, "shape": str(np.shape(value)), "value": text(value, limit=12)})
    own = {k: v for k, v in case.model_dump(mode="json").items() if k not in _COMMON_FIELDS}
    page.definition = yaml.safe_dump(own, sort_keys=False, default_flow_style=None, width=100).strip()


def _gradient_lhs(kind: str, name: str) -> str:
    return {"vjp": rf"v^{{\top}} \frac{{\partial y}}{{\partial {name}}}",
            "grad": rf"\frac{{\partial y}}{{\partial {name}}}",
            "reparam": rf"\frac{{\partial L}}{{\partial {name}}}",
            "mle": rf"{{{name}}}_{{\mathrm{{MLE}}}}"}.get(kind, rf"\mathrm{{expected}}\left({name}\right)")


def _code(case: Any) -> list[dict[str, Any]]:
    """Per framework, the generated snippet; for kinds the adapters implement themselves, their source."""
    formatter = HtmlFormatter(nowrap=True)
    blocks = []
    for fw, snippet in snippets.snippets(case).items():
        blocks.append({"framework": fw, "source": "generated from the case; executed against the report by the tests",
                       "parts": [{"label": "", "code": snippet.code,
                                  "html": highlight(snippet.code, PythonLexer(), formatter)}],
                       "given": snippet.given})
    scenario = getattr(case, "scenario", None)
    if not blocks and scenario:
        for fw in snippets.FRAMEWORKS:
            found = snippets.adapter_functions(fw, str(scenario))
            if found:
                blocks.append({"framework": fw, "source": f"the {fw} adapter's own code for `{scenario}`",
                               "parts": [{"label": name, "code": code, "html": highlight(code, PythonLexer(), formatter)}
                                         for name, code in found.items()], "given": {}})
    return blocks


def _divergences(case: Any, jobs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"framework": d.framework, "versions": d.versions or "all versions", "issue": d.issue, "why": d.why,
             "verdicts": sorted({f"{j['dtype']}: {j['verdict']}" for j in jobs if j["framework"] == d.framework})}
            for d in case.divergences]


# --- the report: results, reference values, estimates ------------------------------------------

def _cell(grad: dict[str, Any]) -> dict[str, str]:
    """A gradient as the results table shows it: its value and its class, or what stood in for it."""
    status = grad.get("status")
    if status == "error":
        return {"css": "error", "label": "error", "text": grad.get("error") or ""}
    if status == "disconnected":
        rep = grad.get("representation") or ""
        return {"css": "disconnected", "label": "disconnected", "text": f"{rep}" + (
            f" = {text(grad['value'])}" if grad.get("value") is not None else "")}
    label = CLASS_LABEL.get(grad.get("class") or "", grad.get("class") or "")
    return {"css": grad.get("class") or "", "label": label, "text": text(grad.get("value"))}


def _results(page: Page, jobs: list[dict[str, Any]], report: dict[str, Any]) -> None:
    page.columns = list(dict.fromkeys(n for j in jobs for n in j["gradients"]))
    env = report["environment"]["frameworks"]
    for job in jobs:
        page.results.append({
            "framework": job["framework"], "dtype": job["dtype"], "verdict": job["verdict"],
            "version": ", ".join(f"{v}" for v in env.get(job["framework"], {}).get("versions", {}).values()),
            "cells": [_cell(job["gradients"][n]) if n in job["gradients"] else None for n in page.columns],
            "messages": job["messages"]})
        for name, est in (job.get("estimates") or {}).items():
            page.estimates.append({"framework": job["framework"], "dtype": job["dtype"], "name": name,
                                   "value": text(est.get("value")), "expected": text(est.get("expected")),
                                   "error": text(est.get("max_abs"), 3),
                                   "iterations": (job.get("details") or {}).get("iterations", "")})
    for dtype in page.dtypes:
        first = next((j for j in jobs if j["dtype"] == dtype and j["gradients"]), None)
        if first is None:
            continue
        for what in ("expected", "oracle"):
            cells = [text(first["gradients"].get(n, {}).get(what)) for n in page.columns]
            if any(cells):
                page.reference.append({"label": what, "cells": cells})
    page.reference = [r for i, r in enumerate(page.reference) if r not in page.reference[:i]]  # the oracle is float64


def _figures(page: Page, case: Any, jobs: list[dict[str, Any]], frameworks: list[str], out: Path) -> None:
    errors = figures.oracle_errors(jobs, frameworks, out / "figures" / f"{page.id}-oracle-error.svg")
    if errors:
        page.figures.append({"file": f"figures/{errors.name}", "caption":
                             "Each gradient element's distance from the NumPy finite-difference oracle, per "
                             "framework (hollow: float32, filled: float64; the dotted line stands for an exact 0)."})
    if case is not None and case.kind == "mle":
        truth = {n: oracle.evaluate(case.expr(f"truth.{n}")) for n in case.truth}
        closed = {n: array(e["expected"]) for j in jobs for n, e in (j.get("estimates") or {}).items()}
        paths = figures.mle_paths(jobs, truth, closed, out / "figures" / f"{page.id}-optimizer.svg")
        if paths:
            page.figures.append({"file": f"figures/{paths.name}", "caption":
                                 "The loss and each parameter along each framework's L-BFGS run (solid: float64, "
                                 "dashed: float32), with the true value (dotted) and the closed-form MLE (dash-dot). "
                                 "torch and TF record every objective evaluation, JAX every iteration."})


# --- conventions ---------------------------------------------------------------------------------

CONVENTIONS = [
    ("zeros", "Exact and numerical zeros",
     "Where the algebra gives 0, does the framework return exactly 0.0, or a rounding-level number within the "
     "derived zero tolerance? Both pass; the difference comes from the order the cancelling terms are summed in.",
     lambda g: g.get("class") in ("exact_zero", "tolerance_zero")),
    ("disconnected", "None vs zero for disconnected inputs",
     "An input the output does not depend on: torch and TensorFlow return None, JAX a (symbolic) zero.",
     lambda g: g.get("status") == "disconnected"),
    ("nonfinite", "NaN and inf (for example through where)",
     "A NaN or inf in a branch that where() does not select still poisons the gradient in some frameworks.",
     lambda g: g.get("class") in ("nan", "inf")),
    ("errors", "What a framework refuses",
     "The framework raised instead of returning a gradient; the message is the framework's own.",
     lambda g: g.get("status") == "error"),
]
KINKS = ("kinks", "Subgradients at kinks and other choices",
         "Where frameworks return different values for the same gradient (a kink of abs, maximum or relu, "
         "where any subgradient is correct) or a case marks a known divergence.")


def _conventions(report: dict[str, Any], frameworks: list[str], pages: dict[str, Page]) -> list[dict[str, Any]]:
    """Per theme, one row per (case, gradient, dtype) where some framework showed it; a cell per framework."""
    by_key: dict[tuple[str, str, str], dict[str, dict[str, Any]]] = {}
    for job in report["jobs"]:
        for name, grad in job["gradients"].items():
            by_key.setdefault((job["case"], name, job["dtype"]), {})[job["framework"]] = grad
    sections = []
    for key, title, why, test in [*CONVENTIONS, (*KINKS, None)]:
        rows = []
        for (cid, name, dtype), grads in by_key.items():
            page = pages.get(cid)
            if test is None:
                disagree = any(p.get("agree") is False for g in grads.values() for p in g.get("peers", {}).values())
                kink = page is not None and (page.divergences or {"kink", "subgradient"} & set(page.tags))
                hit = disagree or bool(kink)
            else:
                hit = any(test(g) for g in grads.values())
            if hit:
                rows.append({"case": cid, "title": page.title if page else cid, "gradient": name, "dtype": dtype,
                             "cells": [_cell(grads[fw]) if fw in grads else None for fw in frameworks]})
        sections.append({"key": key, "title": title, "why": why, "rows": rows})
    return sections
