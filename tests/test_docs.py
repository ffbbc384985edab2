"""The docs generator: a Sphinx site (furo) from MyST Markdown; every page, link and figure; findings first (where
the frameworks differ, each framework's convention with its link); pages that follow the report; URLs in `why`s as
links; long errors folded; behaviour pages with the idiom beside its fix; snippets that match the frameworks; and
the pages as a browser renders them, on a 400 px phone, with matrix brackets that span their rows."""

from __future__ import annotations

import contextlib
import html
import io
import json
import os
import re
import shutil
import subprocess
import sys
import zlib
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import numpy as np
import pytest

from conformance import cli, kinds, loader, oracle, report, runner, verdicts
from conformance.adapters import VALUE, Gradient
from conformance.docs import generate, guide, markup, snippets, syntax
from conformance.docs.site import SITE_PAGES, TOP
from conformance.docs.values import array
from conformance.expr import parse
from conformance.families import FAMILIES
from conformance.history import store
from conformance.kinds.behaviour import BehaviourCase, expected_outcome
from conformance.report import CaseRecord, EstimateRecord, JobRecord
from conformance.tolerance import within
from conformance.vocabulary import Agreement, Status, Verdict
from tests.conftest import REPO, installed

CHROMIUM = shutil.which("chromium") or ""
ARTIFACTS = REPO / "test-artifacts"
CASES = REPO / "conformance" / "cases"
FAKE = "tests.fake_adapter:FakeAdapter"
JAX_ABS = "https://github.com/jax-ml/jax/issues/37820"  # JAX's recorded convention for abs'(0) in kinks.yaml
# JAX's own message for a float0 cotangent: three sentences, 290 characters
FLOAT0 = (
    "TypeError: Called multiply with a float0 array. float0s do not support any operations by design because "
    "they are not compatible with non-trivial vector spaces. No implicit dtype conversion is done. You can use "
    "np.zeros_like(arr, dtype=np.float) to cast a float0 array to a regular zeros array. "
)


def _mle_job(framework: str, dtype: str, estimates: dict[str, EstimateRecord]) -> JobRecord:
    """An MLE job as the report records it, with an optimizer path to draw (no framework needed)."""
    path = [{"mu": [0.5 * (1 - 0.5**i)] * 2, "log_sigma": [0.0, 0.0], "atanh_rho": 0.0} for i in range(6)]
    return JobRecord(
        case="mvn2-mle",
        framework=framework,
        dtype=dtype,
        verdict=Verdict.PASS,
        failures=[],
        notes=[],
        bugs=[],
        seconds=0.1,
        tolerance={"rtol": 1e-5, "atol": 1e-6},
        gradients={},
        estimates=estimates,
        details={
            "loss": 1.0,
            "iterations": 6,
            "history": [3.0, 2.0, 1.5, 1.1, 1.0, 1.0],
            "trajectory": {k: [p[k] for p in path] for k in path[0]},
        },
    )


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """The seed function cases, the kinks and singular points on the NumPy fake adapter twice: as `fake`, and as a
    `jax` that gives JAX's recorded abs'(0) = 1 (so the frameworks differ, by a convention with its link); plus an
    MLE case with a recorded optimizer run, the behaviour cases (pages from their case files, no run) and a case of
    a kind the generator does not know. Sphinx's warnings are kept: a clean build has none."""
    cases, errors = loader.load(
        [
            CASES / "vjp",
            CASES / "mle",
            CASES / "behaviours",
            CASES / "conventions" / "kinks.yaml",
            CASES / "conventions" / "singular.yaml",
        ]
    )
    function_cases: list[Any] = [c.case for c in cases if c.case.kind in ("vjp", "grad")]
    jobs = runner.run(runner.plan(function_cases, ["fake", "jax"]), {"fake": FAKE, "jax": FAKE})
    for job in jobs:
        if job.framework == "jax" and job.case.id == "abs-at-zero":
            assert job.computed is not None
            job.computed.gradients["x"] = Gradient(VALUE, np.asarray(1.0))
    built = report.build(verdicts.judge(jobs), cases, errors, ["fake", "jax"])
    mle = next(c.case for c in cases if isinstance(c.case, kinds.mle.MleCase) and c.case.id == "mvn2-mle")
    closed = {
        k: EstimateRecord(value=v.tolist(), expected=v.tolist(), max_abs=0.0, max_rel=0.0)
        for k, v in kinds.mle.expected_estimates(mle).items()
    }
    built.jobs += [_mle_job("fake", dtype, closed) for dtype in ("float32", "float64")]
    built.summary = report.summarize([j.label for j in built.jobs], [j.verdict for j in built.jobs])
    built.cases["some-behaviour"] = CaseRecord(
        title="A kind this generator has never seen",
        kind="behaviour",
        why="Pages must not depend on knowing every kind.",
        file="cases/behaviour/x.yaml",
        line=1,
        tags=["pitfall"],
    )
    out = tmp_path_factory.mktemp("site")
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr):
        written = generate(built, cases, out, history=_history(built))
    return built, cases, out, written, stderr.getvalue()


def _history(built: report.Report) -> store.Store:
    """Two releases of `jax`: 1.0 as the report answers, 1.1 with abs'(0) = 0 instead of its recorded 1."""
    held = store.empty()
    store.fold(held, built, store.Measured("jax", "1.0", "test", {"jax": "1.0"}, [], 1.0, 2.0))
    newer = built.model_copy(deep=True)
    for job in newer.jobs:
        if job.framework == "jax" and job.case == "abs-at-zero":
            job.gradients["x"].value, job.gradients["x"].verdict = 0.0, Verdict.PASS
    store.fold(held, newer, store.Measured("jax", "1.1", "test", {"jax": "1.1"}, [], 1.0, 2.0))
    return held


def _links(page: Path) -> list[str]:
    text = page.read_text(encoding="utf-8")
    if page.suffix == ".html":
        return [html.unescape(link) for link in re.findall(r'(?:href|src)="([^"]+)"', text)]
    return re.findall(r"\]\(<?([^)>]+)>?\)", text)


def _pages(out: Path) -> list[Path]:
    """The site's own pages: index, conventions, one per topic, one per case and the user guide's, in HTML and in
    Markdown."""
    return [
        *(out / f"{name}.html" for name in SITE_PAGES),
        *(out / "topics").glob("*.html"),
        *(out / "cases").glob("*.html"),
        *(out / "guide").rglob("*.html"),
        *(out / "markdown").rglob("*.md"),
    ]


def _assert_links_resolve(page: Path) -> None:
    """The page fetches nothing from the network, and each of its own links names a file (and anchor) that is
    there."""
    text = page.read_text(encoding="utf-8")
    assert not re.search(r'(src|rel="stylesheet" href)="(https?:)?//', text), f"{page} fetches from the network"
    for link in _links(page):
        if link.startswith(("http:", "https:", "mailto:")):  # upstream links: not ours to resolve offline
            continue
        path, _, anchor = link.partition("#")
        path = unquote(path.partition("?")[0])  # a sample's page: cases/abs-sweep%5Bzero%5D.html
        target = (page.parent / path).resolve() if path else page
        assert target.is_file() and target.stat().st_size > 0, f"{page}: broken link {link}"
        said = target.read_text(encoding="utf-8")  # an anchor: an id in HTML, a MyST label in Markdown
        assert not anchor or f'id="{anchor}"' in said or f"({anchor})=" in said, f"{page}: no #{anchor}"


def test_every_page_link_and_figure_is_there(small):
    built, _, out, written, _ = small
    assert all(p.is_file() and p.stat().st_size > 0 for p in written)
    for cid in built.cases:
        assert (out / "cases" / f"{cid}.html").is_file() and (out / "markdown" / "cases" / f"{cid}.md").is_file()
    pages = _pages(out)
    topics = {Path(c.file).parent.name for c in built.cases.values()}
    assert len(pages) == 2 * (len(built.cases) + len(SITE_PAGES) + len(topics) + len(guide.pages()))
    for page in pages:
        _assert_links_resolve(page)
    figures = {p.name.rsplit("-", 1)[0] for p in (out / "markdown" / "figures").iterdir()}  # name-hash.svg
    assert {"mvn2-mle-optimizer", "seed-vjp-oracle-error"} <= figures
    assert list((out / "_images").glob("seed-vjp-oracle-error-*.svg"))


def test_the_site_is_a_sphinx_site_with_search_dark_mode_anchors_and_an_inventory(small):
    """What readers of the JAX, PyTorch and NumPy docs expect, and what lets another project link to the pages."""
    built, _, out, _, warnings = small
    assert "WARNING" not in warnings and "ERROR" not in warnings, warnings
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "<!-- Generated with Sphinx" in index and "_static/styles/furo.css" in index
    assert "theme-toggle" in index and 'name="viewport"' in index  # dark mode, the mobile layout
    assert 'class="headerlink"' in index and "searchindex.js" in (out / "search.html").read_text(encoding="utf-8")
    assert (out / "searchindex.js").stat().st_size > 1000
    lines = zlib.decompress((out / "objects.inv").read_bytes().split(b"\n", 4)[4]).decode().splitlines()
    labels = {line.split()[0]: line.split()[3] for line in lines if line.split()[1] == "std:label"}  # name: uri
    for cid in built.cases:  # each case page is a label another project can :ref: through intersphinx
        assert labels[cid].startswith(f"cases/{cid}.html"), labels.get(cid)
    assert {"differences", "conventions", "bugs"} <= set(labels)


def test_index_opens_on_where_the_frameworks_differ(small):
    built, _, out, _, _ = small
    differences = built.differences()
    compared = [a for a in built.agreement if a.result != Agreement.NOT_COMPARED]
    assert any(a.case == "abs-at-zero" for a in differences) and len(compared) > len(differences)
    count = f"{len(differences)} of {len(compared)} gradients compared differ"
    index = (out / "index.html").read_text(encoding="utf-8")
    assert count in index and index.index('id="differences"') < index.index('id="all-cases"')
    section = index[index.index('id="differences"') : index.index('id="all-cases"')]
    found = re.search(r'<tr class="r-differ">.*?abs-at-zero.*?</tr>', section, re.DOTALL)
    assert found
    row = found[0]
    assert f'<a href="{JAX_ABS}">jax-ml/jax#37820</a>' in row and "✗" in row and "✓" in row
    assert "chip v-convention" in row and "float32, float64" in row  # the dtypes merged: the same answers
    differing = {a.case for a in differences}
    matrix = (out / "matrix.html").read_text(encoding="utf-8")  # every case against every framework
    assert f"differs ({len(differing)} cases)" in matrix
    assert len(re.findall(r'<tr data-topic="[^"]*" data-tags="[^"]*" data-differs="1"', matrix)) == len(differing)
    full = (out / "differences.html").read_text(encoding="utf-8")  # the whole ranking; the index shows its top
    rows = len(re.findall(r'<tr class="r-', full))
    assert count in full and 0 < rows <= len(differences)  # a row: one gradient, its dtypes with the same answers
    assert len(re.findall(r'<tr class="r-', section)) == min(TOP, rows)
    markdown = (out / "markdown" / "index.md").read_text(encoding="utf-8")
    assert f"**{count}**" in markdown and f'<a href="{JAX_ABS}">jax-ml/jax#37820</a>' in markdown
    assert markdown.index("## Where the frameworks differ") < markdown.index("## All cases")


def test_the_history_page_shows_what_changed_in_which_release_and_the_case_page_links_it(small):
    _, _, out, _, _ = small
    page = (out / "markdown" / "history.md").read_text(encoding="utf-8")
    assert "2 releases measured, 1.0 to 1.1" in page and "**2 changed at least once**" in page  # float32, float64
    assert "#### jax 1.1 (since 1.0)" in page and r"- abs-at-zero x \[float64\]: 1 -\> 0, convention -\> pass" in page
    html_page = (out / "history.html").read_text(encoding="utf-8")
    assert html_page.count('class="v-pass changed"') == 2 and 'id="history-jax-1-1"' in html_page
    case = (out / "cases" / "abs-at-zero.html").read_text(encoding="utf-8")
    assert 'href="../history.html#history-jax-1-1"' in case
    assert "Changed in" not in (out / "cases" / "relu-at-zero.html").read_text(encoding="utf-8")


def test_case_page_shows_each_framework_convention_and_agreement(small):
    built, _, out, _, _ = small
    page = (out / "cases" / "abs-at-zero.html").read_text(encoding="utf-8")
    frameworks = page[page.index('id="frameworks"') : page.index('id="agreement"')]
    jax = frameworks[frameworks.index("<strong>jax</strong>") :]
    assert "chip v-convention" in jax and f'<a href="{JAX_ABS}">' in jax and "select(x &gt;= 0, g, -g)" in jax
    assert "chip v-pass" in frameworks[: frameworks.index("<strong>jax</strong>")]
    agreement = page[page.index('id="agreement"') :]
    assert '<tr class="r-differ">' in agreement and "differ in value" in agreement
    markdown = (out / "markdown" / "cases" / "abs-at-zero.md").read_text(encoding="utf-8")
    assert "<strong>convention</strong>: the abs JVP" in markdown and f'href="{JAX_ABS}"' in markdown
    conventions = (out / "conventions.html").read_text(encoding="utf-8")
    recorded = conventions[conventions.index('id="conventions"') : conventions.index('id="bugs"')]
    assert f'<a href="{JAX_ABS}">' in recorded and "cases/abs-at-zero.html" in recorded
    assert all(f"cases/{a.case}.html" in conventions for a in built.differences())


def test_each_regime_shows_by_its_label_with_how_it_ran(tmp_path):
    """A framework in a regime other than its default is a column of its own, named `torch[compiled]`, its versions
    saying how it ran; its answer is the odd one where it differs."""
    from tests.fake_reports import load, regimes_report

    built = regimes_report(tmp_path)
    generate(built, [c for c in load(tmp_path) if c.case.id == "good"], tmp_path / "site")
    index = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    assert "torch[compiled]" in index and "torch 2.13 (torch.compile (inductor))" in index
    page = (tmp_path / "site" / "cases" / "good.html").read_text(encoding="utf-8")
    agreement = page[page.index('id="agreement"') :]
    assert '<tr class="r-differ">' in agreement and "torch[compiled]" in agreement


def test_case_page_shows_math_results_and_code(small):
    _, _, out, _, _ = small
    page = (out / "cases" / "seed-vjp.html").read_text(encoding="utf-8")
    assert page.count("<math") >= 5  # the function, the cotangent, three gradients
    assert "v * 4b = [0.1*12, 1*16, 1e-4*20]" in page  # the expected value's why, Markdown's marks escaped
    assert "[1.2, 16, 0.002]" in page and "fake" in page
    assert 'class="highlight-python' in page  # the snippets, highlighted by Sphinx
    markdown = (out / "markdown" / "cases" / "seed-vjp.md").read_text(encoding="utf-8")
    assert "torch.autograd.grad" in markdown and "tape.gradient" in markdown and "jax.vjp" in markdown
    assert "$$\ny = 3 \\, a" in markdown and "```python\n" in markdown  # TeX and code, for another project


def test_page_follows_the_report(small, tmp_path):
    built, cases, out, _, _ = small
    changed = built.model_copy(deep=True)
    job = next(j for j in changed.jobs if j.case == "seed-vjp" and j.framework == "jax")
    error = {
        "status": Status.ERROR,
        "error": "RuntimeError: Mismatch in shape",
        "value": None,
        "cls": None,
        "verdict": Verdict.ERROR,
    }
    job.verdict = Verdict.ERROR
    job.gradients["b"] = job.gradients["b"].model_copy(update=error)
    answer = next(
        x
        for a in changed.agreement
        if (a.case, a.dtype, a.gradient) == ("seed-vjp", job.dtype, "b")
        for x in a.answers
        if x.framework == "jax"
    )
    for name, value in error.items():
        setattr(answer, name, value)
    generate(changed, cases, tmp_path)
    before = (out / "cases" / "seed-vjp.html").read_text(encoding="utf-8")
    after = (tmp_path / "cases" / "seed-vjp.html").read_text(encoding="utf-8")
    assert "Mismatch in shape" not in before and "Mismatch in shape" in after
    assert "chip v-error" in after and "chip v-error" not in before
    assert "v-error" in (tmp_path / "matrix.html").read_text(encoding="utf-8")  # every case against every framework
    assert "Mismatch in shape" in (tmp_path / "conventions.html").read_text(encoding="utf-8")


def test_an_unknown_kind_still_gets_a_page(small):
    _, _, out, _, _ = small
    page = (out / "cases" / "some-behaviour.html").read_text(encoding="utf-8")
    assert "A kind this generator has never seen" in page and "no results for this case" in page


def test_docs_command_writes_the_site(small, tmp_path):
    built, _, _, _, _ = small
    report.write(built, tmp_path / "report.json")
    code = cli.main(
        ["docs", str(CASES / "vjp"), "--report", str(tmp_path / "report.json"), "--out", str(tmp_path / "site")]
    )
    assert code == cli.OK and (tmp_path / "site" / "cases" / "seed-grad.html").is_file()
    assert (tmp_path / "site" / "markdown" / "cases" / "seed-grad.md").is_file()


# --- the defects, each with the test that failed on the old pages ---------------------------


def _text(page: str) -> str:
    """A page's text, as a reader sees it (tags dropped, entities decoded)."""
    return html.unescape(re.sub(r"<[^>]+>", "", page))


def _whys(value: Any) -> list[str]:
    """Every `why` a case file says, at any depth (the case's, each expectation's, convention's, bug's, outcome's)."""
    if isinstance(value, dict):
        return [v for k, v in value.items() if k == "why" and isinstance(v, str)] + [
            w for v in value.values() for w in _whys(v)
        ]
    return [w for v in value for w in _whys(v)] if isinstance(value, list) else []


def test_urls_in_whys_are_links(small):
    """Every URL a case file writes into a `why` is a link on that case's page (most were plain text)."""
    _, cases, out, _, _ = small
    urls = 0
    for loaded in cases:
        page = (out / "cases" / f"{loaded.case.id}.html").read_text(encoding="utf-8")
        for why in _whys(loaded.case.model_dump(mode="json")):
            for url, is_url in markup.pieces(why):
                if is_url:
                    urls += 1
                    assert f'<a href="{html.escape(url)}"' in page or f'href="{url}"' in page, (
                        f"{loaded.case.id}: {url} is not a link"
                    )
    assert urls >= 8  # kinks.yaml's, singular.yaml's and the behaviours' links to their docs
    assert markup.pieces("see (https://github.com/tensorflow/probability/issues/1190).") == [
        ("see (", False),
        ("https://github.com/tensorflow/probability/issues/1190", True),
        (").", False),
    ]


def test_long_errors_show_their_first_sentence_and_fold_the_rest(small, tmp_path):
    built, cases, _, _, _ = small
    assert markup.fold(FLOAT0) == ("TypeError: Called multiply with a float0 array.", FLOAT0[48:].strip())
    assert markup.fold("ValueError: unexpected JAX type (e.g. shape/dtype) for argument", 40)[0].startswith(
        "ValueError: unexpected JAX type (e.g. …"
    )  # no sentence ends in "e.g."
    tf = (
        "InvalidArgumentError: {{function_node __wrapped__Reshape_device_/job:localhost/replica:0/task:0/device:"
        "CPU:0}} Input to reshape is a tensor with 3 values, but the requested shape has 1 [Op:Reshape] name:"
    )
    assert markup.fold(tf) == (
        "InvalidArgumentError: Input to reshape is a tensor with 3 values, but the requested "
        "shape has 1 [Op:Reshape] name:",
        tf,
    )  # shortened, so the fold keeps all of it
    assert markup.fold("RuntimeError: short") == ("RuntimeError: short", "")
    changed = built.model_copy(deep=True)
    job = next(j for j in changed.jobs if j.case == "seed-vjp" and j.framework == "jax" and j.dtype == "float64")
    job.gradients["b"] = job.gradients["b"].model_copy(
        update={"status": Status.ERROR, "error": FLOAT0, "value": None, "cls": None, "verdict": Verdict.ERROR}
    )
    job.failures = [f"b: expected value, got error ({FLOAT0})"]
    generate(changed, cases, tmp_path)
    page = (tmp_path / "cases" / "seed-vjp.html").read_text(encoding="utf-8")
    results = page[page.index('<table class="docutils results">') :]
    assert FLOAT0.strip() not in re.sub(r"<details.*?</details>", "", results, flags=re.DOTALL)  # never in full
    failure = re.search(
        r'<div class="failure"><details class="message"><summary>(.*?)</summary><pre>(.*?)</pre>', results, re.DOTALL
    )
    assert failure and failure[1] == "b: expected value, got error (TypeError: Called multiply with a float0 array."
    assert "No implicit dtype conversion is done." in failure[2]
    cell = re.search(r'<td class="g-error"><details class="message"><summary>(.*?)</summary>', results)
    assert cell and len(cell[1]) <= markup.FOLD_IN_CELL + 2 and cell[1].startswith("TypeError: Called multiply")


def test_behaviour_pages_show_the_idiom_beside_its_fix(small):
    """What the user writes and how to fix it, per framework; not the adapter's code that measures the scenario."""
    _, cases, out, _, _ = small
    behaviours = [c.case for c in cases if isinstance(c.case, BehaviourCase)]
    assert len(behaviours) >= 7
    for case in behaviours:
        written = snippets.behaviour(case.scenario)
        assert set(written) == set(snippets.FRAMEWORKS), f"{case.id}: {set(snippets.FRAMEWORKS) - set(written)}"
        page = (out / "cases" / f"{case.id}.html").read_text(encoding="utf-8")
        assert "adapter: Adapter" not in page and "observed(" not in page
        assert page.count('class="idiom-fix') == sum(1 for b in written.values() if b.fix)
        for fw, b in written.items():
            section = _text(page[page.index(f'<section id="{fw}">') :])
            assert all(part.strip().splitlines()[-1] in section for part in (b.idiom, b.fix) if part), (case.id, fw)
    page = (out / "cases" / "rebuilt-tensor-cuts-graph.html").read_text(encoding="utf-8")
    torch = page[page.index('id="torch"') : page.index('id="tensorflow"')]
    idiom, fix = torch.index("The idiom</strong>"), torch.index("The fix</strong>")
    text = _text(torch)
    assert idiom < fix and "cov = torch.tensor([[s0**2" in text and "torch.stack([torch.stack([s0**2" in text
    assert "The idiom raises RuntimeError: element 0 of tensors does not require grad" in " ".join(text.split())
    assert 'href="https://pytorch.org/docs/stable/generated/torch.tensor.html"' in torch


def test_matrices_are_drawn_with_brackets_that_stretch():
    """latex2mathml writes bmatrix's brackets as plain <mo>[</mo>, which stay one line tall; a matrix's brackets
    are drawn on its <mtable> instead (the browser test measures them)."""
    expr = loader.load([CASES / "linalg"])[0]
    det = next(c.case for c in expr if c.case.id == "det-grad")
    tex = syntax.latex(det.expr("expected.A"))
    assert tex.startswith(r"\left[\begin{matrix}") and tex.endswith(r"\end{matrix}\right]")
    math = syntax.mathml(tex)
    assert '<mtable class="bracketed">' in math and "<mo>[</mo>" not in math and "&#x0005B;" not in math
    css = (REPO / "conformance" / "docs" / "conf" / "_static" / "conformance.css").read_text(encoding="utf-8")
    assert "mtable.bracketed" in css


def test_a_selected_output_is_written_by_its_name_in_latex_and_as_the_adapter_spells_it():
    """slogdet(A)[1] is slogdet's logabsdet; unstack's arrays have no names, only positions; the code is the
    adapter's spelling with the output picked (TF's reordered svd tuple becomes the one call it needs)."""
    logabsdet, column = parse("slogdet(A)[1]", {"A"}), parse("2 * cumulative_sum(unstack(A)[0])", {"A"})
    assert syntax.latex(logabsdet) == r"{\operatorname{slogdet}\left(A\right)_{\mathrm{logabsdet}}}"
    assert syntax.latex(column) == (
        r"2 \, \operatorname{cumulative\_sum}\left({\operatorname{unstack}"
        r"\left(A\right)_{0}}\right)"
    )
    entry = syntax.latex(parse("eigh(S)[1][0][1] ** 2", {"S"}))  # an index after the selection: no double subscript
    assert entry == r"{{\operatorname{eigh}\left(S\right)_{\mathrm{eigenvectors}}}_{0,1}}^{2}"
    assert "<msub>" in syntax.mathml(entry)
    assert "<msub>" in syntax.mathml(syntax.latex(logabsdet))
    assert "<msub><mi>e</mi><mi>s</mi></msub>" not in syntax.mathml(syntax.latex(column))  # no cumulative_sum
    vh = parse("svd(A, full_matrices=False)[2][0]", {"A"})
    assert (
        syntax.render(vh, snippets.python_syntax("tensorflow"))
        == "tf.linalg.adjoint(tf.linalg.svd(A, full_matrices=False)[2])[0]"
    )
    assert syntax.render(vh, snippets.python_syntax("torch")) == "torch.linalg.svd(A, full_matrices=False)[2][0]"


# --- the snippets, run in the real frameworks ------------------------------------------------------

_EXEC = """
import json, sys
import numpy as np
def plain(value):
    value = value.detach().resolve_conj() if hasattr(value, "detach") else value
    value = value.float() if str(getattr(value, "dtype", "")) == "torch.bfloat16" else value  # NumPy has none
    if value is None:
        return None
    value = np.asarray(value)
    if np.iscomplexobj(value):
        return {"re": np.real(value).tolist(), "im": np.imag(value).tolist()}
    return np.asarray(value, np.float64).tolist()
out = {}
for item in json.load(open(sys.argv[1])):
    ns = {name: np.load(file) for name, file in item["given"].items()}
    try:
        exec(compile(item["code"], item["case"], "exec"), ns)
        error = None
    except Exception as err:  # one broken snippet must not hide the others
        error = f"{type(err).__name__}: {err}"
    out[item["case"]] = {"error": error, "values": {k: plain(ns[k]) for k in item["names"] if k in ns}}
json.dump(out, open(sys.argv[2], "w"))
"""


def _execute(items: list[dict[str, Any]], tmp_path: Path) -> dict[str, dict[str, Any]]:
    """Run each snippet in a fresh process with the frameworks (never in the test's own): its error, its values."""
    (tmp_path / "snippets.json").write_text(json.dumps(items))
    subprocess.run(
        [sys.executable, "-c", _EXEC, tmp_path / "snippets.json", tmp_path / "out.json"],
        check=True,
        cwd=tmp_path,
        timeout=1800,
    )  # the whole library's JAX snippets: 5 minutes on 2 cores
    return json.loads((tmp_path / "out.json").read_text())


#: A whole-library report (CI's own step runs the library once and names its report here) checks every case's
#: snippet. Without one, these files run here: a case of each kind of snippet (function, complex, half precision,
#: reparam, MLE, behaviour), so `make test` stays minutes long and the whole library is not run twice in CI.
LIBRARY_REPORT = os.environ.get("CONFORMANCE_LIBRARY_REPORT")
SNIPPET_SAMPLE = [
    "vjp",
    "array-api/complex.yaml",
    "array-api/half-precision.yaml",
    "conventions/kinks.yaml",
    "reparam/normal.yaml",
    "mle/normal.yaml",
    "behaviours",
]
#: the dtypes a case's snippet may show (a case's first of these): only their jobs are compared with the snippets
SNIPPET_DTYPES = ("float64", "complex128", "float16", "bfloat16")


@pytest.fixture(scope="module")
def real_report(tmp_path_factory):
    """float64, complex128 and half-precision results (the dtype a case's snippet shows) of every installed framework
    on the library's cases: the whole library's report, or a run of the sample."""
    if LIBRARY_REPORT:
        return report.read(LIBRARY_REPORT)
    frameworks = [fw for fw in snippets.FRAMEWORKS if installed(fw)]
    if not frameworks:
        pytest.skip("no framework installed")
    path = tmp_path_factory.mktemp("real") / "report.json"
    dtypes = [a for dtype in SNIPPET_DTYPES for a in ("--dtype", dtype)]
    cli.main(
        [
            "run",
            *(str(CASES / part) for part in SNIPPET_SAMPLE),
            *dtypes,
            "--report",
            str(path),
            "--quiet",
            *[a for fw in frameworks for a in ("--framework", fw)],
        ]
    )
    return report.read(path)


@pytest.mark.parametrize(
    "framework",
    [
        pytest.param(fw, marks=pytest.mark.skipif(not installed(fw), reason=f"{fw} not installed"))
        for fw in snippets.FRAMEWORKS
    ],
)
def test_snippets_compute_what_the_report_says(framework, real_report, tmp_path):
    cases: dict[str, Any] = {c.case.id: c.case for c in loader.load([CASES])[0] if c.case.id in real_report.cases}
    items = []
    for cid, case in cases.items():
        snippet = snippets.snippets(case).get(framework)
        if snippet is None:
            continue
        given = {}
        if "data" in snippet.given:  # the MLE sample: made by the suite in NumPy, too big to print
            np.save(tmp_path / f"{cid}.npy", kinds.mle.mle_data(case)[0])
            given["data"] = str(tmp_path / f"{cid}.npy")
        if "noise" in snippet.given:  # a family whose standard noise is not one NumPy call
            params = {n: oracle.evaluate(case.expr(f"params.{n}")) for n in case.params}
            np.save(
                tmp_path / f"{cid}-noise.npy",
                FAMILIES[case.family].noise(np.random.default_rng(case.seed), case.samples, params),
            )
            given["noise"] = str(tmp_path / f"{cid}-noise.npy")
        # every gradient the report has for the case (a sample or a parameter may have no expected: the oracle or
        # SciPy's optimum judges it)
        wrt = sorted({n for j in real_report.jobs if j.case == cid for n in j.gradients})
        names = [f"{n}_grad" for n in wrt]
        names += [f"{n}_hat" for n in wrt] if case.kind == "mle" else []
        items.append({"case": cid, "code": snippet.code, "given": given, "names": names})
    assert items
    got = _execute(items, tmp_path)
    jobs = [j for j in real_report.jobs if j.framework == framework and j.dtype in SNIPPET_DTYPES]
    # where the report has the framework raise, the snippet raises alike
    raised = {j.case: {g.error.split(":")[0] for g in j.gradients.values() if g.error} for j in jobs}
    broken = {
        cid: result["error"]
        for cid, result in got.items()
        if result["error"] and result["error"].split(":")[0] not in raised.get(cid, set())
    }
    assert not broken, f"snippets that do not run in {framework}: {broken}"
    for job in jobs:
        if job.case not in got or got[job.case]["error"]:
            continue
        case, values, tol = cases[job.case], got[job.case]["values"], job.tolerance
        for name, grad in job.gradients.items():
            if grad.status != Status.VALUE or "float0" in (grad.representation or ""):
                continue  # an integer input's float0: the code a user writes never differentiates data
            ok = within(
                values[f"{name}_grad"], array(grad.value), job.dtype, tol.rtol, tol.atol, array(grad.zero_tolerance)
            )
            assert ok, f"{job.case} {name}: snippet {values[f'{name}_grad']}, report {grad.value}"
        for name, est in job.estimates.items():
            error = np.abs(np.asarray(values[f"{name}_hat"]) - np.asarray(array(est.value)))
            assert est.tolerance is not None and np.max(error) <= est.tolerance


@pytest.mark.parametrize(
    "framework",
    [
        pytest.param(fw, marks=pytest.mark.skipif(not installed(fw), reason=f"{fw} not installed"))
        for fw in snippets.FRAMEWORKS
    ],
)
def test_behaviour_idioms_and_fixes_do_what_the_case_says(framework, real_report, tmp_path):
    """The idiom raises where the case's outcome says it raises (with its error), and runs where it says ok; the
    fix runs; every value either binds that the scenario also observes (a value, or disconnected) matches the
    report."""
    cases = [c.case for c in loader.load([CASES / "behaviours"])[0] if isinstance(c.case, BehaviourCase)]
    items = [
        {"case": f"{case.id}:{part}", "code": code, "given": {}, "names": list(case.expected)}
        for case in cases
        if framework in (written := snippets.behaviour(case.scenario))
        for part, code in (("idiom", written[framework].idiom), ("fix", written[framework].fix))
        if code
    ]
    assert len(items) >= len(cases)
    got = _execute(items, tmp_path)
    versions = real_report.environment.frameworks[framework].versions
    jobs = {j.case: j for j in real_report.jobs if j.framework == framework}
    checked = 0
    for case in cases:
        outcome = expected_outcome(case, framework, {framework: next(iter(versions.values()), "")})
        assert outcome is not None, case.id
        idiom, fix = got[f"{case.id}:idiom"], got.get(f"{case.id}:fix", {"error": None, "values": {}})
        if outcome.outcome == "raises":
            assert idiom["error"] and (outcome.error or "") in idiom["error"], f"{case.id}: {idiom['error']}"
        else:
            assert idiom["error"] is None, f"{case.id}: {idiom['error']}"
        assert fix["error"] is None, f"{case.id} fix: {fix['error']}"
        for name, value in {**idiom["values"], **fix["values"]}.items():
            grad, tol = jobs[case.id].gradients.get(name), jobs[case.id].tolerance
            if grad is None or grad.status == Status.ERROR:  # observed by other frameworks only, or no value
                continue
            if grad.status == Status.DISCONNECTED:  # None
                assert value is None or not np.any(value), f"{case.id} {name}: {value}"
            else:
                assert value is not None and within(
                    value, array(grad.value), jobs[case.id].dtype, tol.rtol, tol.atol, array(grad.zero_tolerance)
                ), f"{case.id} {name}: snippet {value}, report {grad.value}"
            checked += 1
    assert checked >= 10


# --- full scale and untrusted reports (issue 21) -----------------------------------------------------

SCRIPT = '<script>document.title="owned"</script>'
FEW = ("seed-vjp", "seed-grad", "abs-at-zero", "mvn2-mle")  # a site small enough to build several times in a test


def _few(built: report.Report, cases: list[loader.LoadedCase]) -> tuple[report.Report, list[loader.LoadedCase]]:
    """The report and cases of FEW only: a deep copy to change."""
    few = built.model_copy(
        deep=True,
        update={
            "cases": {k: v for k, v in built.cases.items() if k in FEW},
            "jobs": [j for j in built.jobs if j.case in FEW],
            "agreement": [a for a in built.agreement if a.case in FEW],
        },
    )
    return few.model_copy(deep=True), [c for c in cases if c.case.id in FEW]


def _hostile(built: report.Report) -> report.Report:
    """The report with what an attacker could write into one: markup in `created`, a job label and titles, a
    `javascript:` link as a convention's, and case ids that climb out of the site or are 300 characters long."""
    hostile = built.model_copy(update={"created": SCRIPT})
    for job in hostile.jobs:
        if job.framework == "jax":
            job.label = f"jax{SCRIPT}"
        for g in job.gradients.values():
            if g.convention:
                g.convention = g.convention.model_copy(update={"link": "javascript:alert(1)"})
    hostile.summary = {(f"jax{SCRIPT}" if label == "jax" else label): n for label, n in hostile.summary.items()}
    for a in hostile.agreement:
        for x in a.answers:
            x.link = "javascript:alert(1)" if x.link else None
    for cid in ("../../../outside", "x" * 300, "a b\n# heading"):
        hostile.cases[cid] = CaseRecord(
            title=SCRIPT,
            kind="vjp",
            why=f"see javascript:alert(1) {SCRIPT}",
            file="/etc/cases/../x.yaml",
            line=1,
            tags=[SCRIPT],
        )
    return hostile


def test_a_hostile_report_cannot_script_the_pages_nor_write_outside_the_site(small, tmp_path):
    """Every report string is escaped where it reaches Markdown or HTML, a link that is not http(s) is text, and
    each case's page is a safe, bounded file name inside --out (the old pages ran the script, linked
    javascript:, wrote ../ outside the site and failed on a 300-character id)."""
    built, cases = _few(*small[:2])
    out = tmp_path / "in" / "site"
    generate(_hostile(built), cases, out)
    assert {p for p in tmp_path.rglob("*") if p.is_file() and out not in p.parents} == set()
    for page in [*out.rglob("*.html"), *(out / "markdown").rglob("*.md")]:
        said = page.read_text(encoding="utf-8")
        assert SCRIPT not in said and "<script>document" not in said, page
        assert not re.search(r"""(href|src)=["']?\s*javascript:""", said, re.I), page
        assert "](javascript:" not in said and "](<javascript:" not in said, page
    for cid in ("../../../outside", "x" * 300):
        name = markup.page_name(cid)
        assert len(name) < 80 and "/" not in name
        page = (out / "cases" / f"{name}.html").read_text(encoding="utf-8")
        assert html.escape(cid) in page and "&lt;script&gt;" in page  # the id and title, shown as text
    assert "jax&lt;script&gt;" in (out / "index.html").read_text(encoding="utf-8")


def test_a_figure_or_page_that_cannot_be_made_is_a_note_and_the_others_build(small, tmp_path, monkeypatch):
    """No oracle error to draw (the erfinv sweep's oracle is NaN near ±1: the old build aborted on its log axis), a
    figure matplotlib cannot draw (a gradient name it reads as broken math) and a page whose data raises: each gets
    a note saying why, and every other page and figure is built."""
    from conformance.docs import site

    broken, cases = _few(*small[:2])
    for job in broken.jobs:
        if job.case == "seed-vjp":
            for g in job.gradients.values():
                size = len(g.value) if isinstance(g.value, list) else 1
                g.oracle = "nan" if size == 1 else ["nan"] * size
        if job.case == "seed-grad":
            job.gradients = {r"$\undefined{x}$": next(iter(job.gradients.values()))}
    results = site._results
    monkeypatch.setattr(
        site, "_results", lambda page, jobs, report: results(page, jobs, report) if page.id != "abs-at-zero" else 1 / 0
    )
    out = tmp_path / "site"
    generate(broken, cases, out)
    assert "could not be made from the report: ZeroDivisionError" in _text(
        (out / "cases" / "abs-at-zero.html").read_text(encoding="utf-8")
    )
    seed_vjp = (out / "cases" / "seed-vjp.html").read_text(encoding="utf-8")
    assert "oracle-error" not in seed_vjp and "<math" in seed_vjp  # no figure without a finite error, the page is
    assert "no gradient element has a finite distance from the oracle" in _text(seed_vjp)
    seed_grad = _text((out / "cases" / "seed-grad.html").read_text(encoding="utf-8"))
    assert "A figure could not be drawn (ValueError" in seed_grad and "Results" in seed_grad
    drawn = {p.name.rsplit("-", 1)[0] for p in (out / "markdown" / "figures").iterdir()}
    assert {"seed-vjp-oracle-error", "seed-grad-oracle-error"}.isdisjoint(drawn) and "mvn2-mle-optimizer" in drawn
    for cid in broken.cases:
        assert (out / "cases" / f"{markup.page_name(cid)}.html").is_file()


def test_a_rebuild_rewrites_only_what_changed(small, tmp_path):
    """Unchanged sources keep their files (so Sphinx's environment skips them) and unchanged figures are not drawn
    again; a changed case's page is rebuilt, and a case gone from the report is gone from the site."""
    built, cases = _few(*small[:2])
    out = tmp_path / "site"
    generate(built, cases, out)
    files = [*(out / "markdown").rglob("*.md"), *(out / "markdown" / "figures").iterdir(), *out.glob("cases/*.html")]
    before = {p: p.stat().st_mtime_ns for p in files}
    changed, _ = _few(built, cases)
    job = next(j for j in changed.jobs if j.case == "seed-vjp" and j.framework == "jax")
    job.notes.append("a note of the second run")
    del changed.cases["abs-at-zero"]
    changed.jobs = [j for j in changed.jobs if j.case != "abs-at-zero"]
    changed.agreement = [a for a in changed.agreement if a.case != "abs-at-zero"]
    generate(changed, [c for c in cases if c.case.id != "abs-at-zero"], out)
    after = {p: p.stat().st_mtime_ns for p in files if p.exists()}
    moved = {p.relative_to(out).as_posix() for p in after if after[p] != before[p]}
    assert moved == {
        "markdown/cases/seed-vjp.md",
        "cases/seed-vjp.html",
        "markdown/index.md",
        "markdown/matrix.md",
        "markdown/differences.md",
        "markdown/conventions.md",
    }, moved
    # the case, and the pages that list cases
    assert "a note of the second run" in (out / "cases" / "seed-vjp.html").read_text(encoding="utf-8")
    assert not (out / "cases" / "abs-at-zero.html").exists()
    assert not (out / "markdown" / "cases" / "abs-at-zero.md").exists()
    assert not (out / "markdown" / "topics" / "conventions.md").exists()  # its topic had no other case


def test_pages_name_no_absolute_path_of_the_build_machine(small):
    """A reproducible site: case files named from their library's cases/ folder and linked to a copy in the site,
    no path of this machine."""
    _, _, out, _, _ = small
    for page in _pages(out):
        said = page.read_text(encoding="utf-8")
        assert str(REPO) not in said and str(out) not in said, page
    page = (out / "cases" / "seed-vjp.html").read_text(encoding="utf-8")
    source = re.search(r'<a [^>]*href="([^"]+)"[^>]*>.*?cases/vjp/seed\.yaml:\d+', page)  # linked to its file
    assert source, page[page.index("<h1") :][:1500]
    assert (out / "cases" / unquote(source[1])).read_text(encoding="utf-8") == (CASES / "vjp" / "seed.yaml").read_text(
        encoding="utf-8"
    )


# --- the pages in a browser -------------------------------------------------------------------------


def _chromium(*args: str, profile: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )


# Loads each page in a 400 px wide frame (so the page's own media queries see a phone) and measures it: how far
# the page scrolls sideways, which elements stick out (outside any scrolling box), and for each matrix in its math,
# how tall the matrix and its bracket are. --allow-file-access-from-files lets the probe read the frames' DOM.
_PROBE = """<!DOCTYPE html><html><body><pre id="probe"></pre><script>
var pages = PAGES, out = {}, i = 0;
function scrolls(e) {
  for (; e && e !== e.ownerDocument.body; e = e.parentElement) {
    var s = getComputedStyle(e);
    if (/auto|scroll|hidden/.test(s.overflowX) || s.position === "fixed") return true;
  }
  return false;
}
function measure(doc) {
  var root = doc.documentElement, width = root.clientWidth, wide = [], matrices = [];
  doc.querySelectorAll("body *").forEach(function (e) {
    var r = e.getBoundingClientRect();
    if (r.width && r.right > width + 1 && !scrolls(e.parentElement))
      wide.push(e.tagName + "." + e.className + " " + Math.round(r.right));
  });
  doc.querySelectorAll("math mtable").forEach(function (t) {
    var h = t.getBoundingClientRect().height, s = getComputedStyle(t), before = t.previousElementSibling, bracket = 0;
    if (parseFloat(s.borderLeftWidth) >= 1 && parseFloat(s.borderRightWidth) >= 1) bracket = h;
    else if (before && before.tagName.toLowerCase() === "mo") bracket = before.getBoundingClientRect().height;
    matrices.push([Math.round(h), Math.round(bracket)]);
  });
  return {scroll: root.scrollWidth, width: width, wide: wide.slice(0, 8), matrices: matrices};
}
function next() {
  if (i >= pages.length) { document.getElementById("probe").textContent = JSON.stringify(out); return; }
  var frame = document.createElement("iframe");
  frame.style.cssText = "width: 400px; height: 900px; border: 0";
  frame.onload = function () {
    try { out[pages[i]] = measure(frame.contentDocument); } catch (err) { out[pages[i]] = String(err); }
    frame.remove(); i++; next();
  };
  frame.src = pages[i];
  document.body.appendChild(frame);
}
next();
</script></body></html>
"""


def _probe(out: Path, pages: list[str], tmp_path: Path) -> dict[str, Any]:
    """Each page's measures at 400 px, from one headless Chromium run over a copy of the site."""
    site = tmp_path / "site"
    shutil.copytree(out, site, ignore=shutil.ignore_patterns(".doctrees", "markdown"))
    (site / "probe.html").write_text(_PROBE.replace("PAGES", json.dumps(pages)), encoding="utf-8")
    dom = _chromium(
        "--allow-file-access-from-files",
        "--virtual-time-budget=60000",
        "--window-size=1280,900",
        "--dump-dom",
        (site / "probe.html").as_uri(),
        profile=tmp_path / "probe",
    ).stdout
    found = re.search(r'<pre id="probe">(.*?)</pre>', dom, re.DOTALL)
    assert found and found[1], f"the probe did not finish: {dom[-500:]}"
    return json.loads(html.unescape(found[1]))


@pytest.mark.skipif(not CHROMIUM, reason="chromium not installed (.ci/run installs it)")
def test_every_page_fits_a_400px_phone(small, tmp_path):
    """No page scrolls sideways at 400 px: wide tables scroll in their own wrapper, formulas in theirs, long words
    break (the old pages all scrolled, the conventions page past 1,100 px)."""
    built, _, out, _, _ = small
    pages = [*(f"{name}.html" for name in SITE_PAGES), *(f"cases/{cid}.html" for cid in built.cases)]
    measured = _probe(out, pages, tmp_path)
    assert set(measured) == set(pages)
    wide = {page: m for page, m in measured.items() if isinstance(m, str) or m["scroll"] > m["width"]}
    assert not wide, f"pages wider than a 400 px phone: {wide}"
    assert all(m["width"] <= 400 for m in measured.values())


@pytest.mark.skipif(not CHROMIUM, reason="chromium not installed (.ci/run installs it)")
def test_matrix_brackets_span_their_rows_in_a_browser(small, tmp_path):
    """Each matrix's bracket is as tall as the matrix: a browser stretches a MathML <mo>[</mo> only with a math font,
    so the old pages showed one-line brackets beside a two-row matrix."""
    _, _, out, _, _ = small
    page = (out / "cases" / "max-axis-ties.html").read_text(encoding="utf-8")
    assert "<mtable" in page  # a 2x3 matrix in its expected gradient
    measured = _probe(out, ["cases/max-axis-ties.html"], tmp_path)["cases/max-axis-ties.html"]
    assert measured["matrices"], measured
    for height, bracket in measured["matrices"]:
        assert height > 20 and bracket >= 0.95 * height, f"a {height} px matrix with a {bracket} px bracket"


@pytest.mark.skipif(not CHROMIUM, reason="chromium not installed (.ci/run installs it)")
def test_index_renders_in_headless_chromium(small, tmp_path):
    built, _, out, _, _ = small
    url = (out / "index.html").as_uri()
    dom = _chromium("--dump-dom", url, profile=tmp_path / "dom").stdout
    matrix = _chromium("--dump-dom", (out / "matrix.html").as_uri(), profile=tmp_path / "matrix").stdout
    rows = re.findall(r'<tr data-topic="([^"]*)"', matrix)
    assert len(rows) == len(built.cases) and {"vjp", "mle", "conventions", "behaviours"} <= set(rows)
    assert "<th>fake</th>" in dom and "<th>jax</th>" in dom and 'class="chip v-pass"' in dom
    assert f"{len(built.differences())} of " in dom[dom.index('id="differences"') : dom.index('id="all-cases"')]
    ARTIFACTS.mkdir(exist_ok=True)
    for name, size in (("docs-index.png", "1280,900"), ("docs-index-phone.png", "400,900")):
        shot = ARTIFACTS / name
        shot.unlink(missing_ok=True)
        _chromium(f"--screenshot={shot}", f"--window-size={size}", url, profile=tmp_path / "shot")
        assert shot.is_file() and shot.stat().st_size > 10_000
        print(f"screenshot: {shot}")


@pytest.mark.skipif(not CHROMIUM, reason="chromium not installed (.ci/run installs it)")
def test_search_works_from_disk(small, tmp_path):
    """Sphinx's search page finds a case with no server: its index loads as a script, not by fetch."""
    _, _, out, _, _ = small
    url = (out / "search.html").as_uri() + "?q=cotangent"
    dom = _chromium("--virtual-time-budget=20000", "--dump-dom", url, profile=tmp_path / "search").stdout
    results = dom[dom.index('id="search-results"') :]
    assert re.search(r'href="[^"]*cases/seed-vjp\.html', results), results[:2000]


# --- the whole library's site, built by CI (.ci/run) --------------------------------------------------

SITE = Path(os.environ["CONFORMANCE_SITE"]).resolve() if os.environ.get("CONFORMANCE_SITE") else None  # as a file: URI


@pytest.mark.skipif(SITE is None, reason="CONFORMANCE_SITE names no built site (.ci/run builds the whole library's)")
def test_whole_library_site_has_every_page_and_link():
    """The site `conformance docs` built from a report of the whole library: a page per case the index lists, every
    link of the index, conventions and topic pages resolves, every figure is there, no page names a path of the
    build machine."""
    assert SITE is not None
    matrix = (SITE / "matrix.html").read_text(encoding="utf-8")
    listed = re.findall(r'<tr data-topic="[^"]*"[^>]*>\s*<td><a href="(cases/[^"]+\.html)"', matrix)
    pages = sorted((SITE / "cases").glob("*.html"))
    assert len(listed) == len(pages) > 700 and all((SITE / link).is_file() for link in listed)
    for page in [
        *(SITE / f"{name}.html" for name in SITE_PAGES),
        *(SITE / "topics").glob("*.html"),
        *(SITE / "guide").rglob("*.html"),
    ]:
        _assert_links_resolve(page)
    for page in [*pages, SITE / "index.html"]:
        said = page.read_text(encoding="utf-8")
        assert str(REPO) not in said and str(SITE.resolve()) not in said, page
        for image in re.findall(r'<img [^>]*src="([^"]+)"', said):
            assert (page.parent / unquote(image)).is_file(), f"{page}: no {image}"


@pytest.mark.skipif(SITE is None or not CHROMIUM, reason="needs CONFORMANCE_SITE and chromium (.ci/run)")
def test_whole_library_site_renders_in_headless_chromium(tmp_path):
    """The whole library's index, conventions and topic pages in a browser: every case a row, and no page wider than
    a 400 px phone."""
    assert SITE is not None
    dom = _chromium("--dump-dom", (SITE / "matrix.html").as_uri(), profile=tmp_path / "dom").stdout
    assert len(re.findall(r'<tr data-topic="', dom)) == len(list((SITE / "cases").glob("*.html")))
    pages = [
        *(f"{name}.html" for name in SITE_PAGES),
        *(f"topics/{p.name}" for p in (SITE / "topics").glob("*.html")),
        *(f"guide/{p.relative_to(SITE / 'guide').as_posix()}" for p in (SITE / "guide").rglob("*.html")),
    ]
    measured = _probe(SITE, pages, tmp_path)
    wide = {page: m for page, m in measured.items() if isinstance(m, str) or m["scroll"] > m["width"]}
    assert set(measured) == set(pages) and not wide, wide
