"""The docs generator: every page, link and figure; findings first (where the frameworks differ, each
framework's convention with its link); pages that follow the report; snippets that match the frameworks; and the
index as a browser renders it."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conformance.adapters import VALUE, Gradient

from conformance import cli, kinds, loader, oracle, report, runner, verdicts
from conformance.docs import generate, snippets
from conformance.docs.values import array
from conformance.families import FAMILIES
from conformance.report import CaseRecord, EstimateRecord, JobRecord
from conformance.tolerance import within
from conformance.vocabulary import Agreement, Status, Verdict
from tests.conftest import REPO, installed

CHROMIUM = shutil.which("chromium")
ARTIFACTS = REPO / "test-artifacts"
FAKE = "tests.fake_adapter:FakeAdapter"
JAX_ABS = "https://github.com/jax-ml/jax/issues/37820"  # JAX's recorded convention for abs'(0) in kinks.yaml


def _mle_job(framework: str, dtype: str, estimates: dict[str, EstimateRecord]) -> JobRecord:
    """An MLE job as the report records it, with an optimizer path to draw (no framework needed)."""
    path = [{"mu": [0.5 * (1 - 0.5 ** i)] * 2, "log_sigma": [0.0, 0.0], "atanh_rho": 0.0} for i in range(6)]
    return JobRecord(case="mvn2-mle", framework=framework, dtype=dtype, verdict=Verdict.PASS, failures=[], notes=[],
                     bugs=[], seconds=0.1, tolerance={"rtol": 1e-5, "atol": 1e-6}, gradients={}, estimates=estimates,
                     details={"loss": 1.0, "iterations": 6, "history": [3.0, 2.0, 1.5, 1.1, 1.0, 1.0],
                              "trajectory": {k: [p[k] for p in path] for k in path[0]}})


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """The seed function cases and the kinks on the NumPy fake adapter twice: as `fake`, and as a `jax` that gives
    JAX's recorded abs'(0) = 1 (so the frameworks differ, by a convention with its link); plus an MLE case with a
    recorded optimizer run and a case of a kind the generator does not know."""
    cases, errors = loader.load([REPO / "conformance" / "cases" / "vjp", REPO / "conformance" / "cases" / "mle",
                                 REPO / "conformance" / "cases" / "conventions" / "kinks.yaml"])
    function_cases = [c.case for c in cases if c.case.kind in ("vjp", "grad")]
    jobs = runner.run(runner.plan(function_cases, ["fake", "jax"]), {"fake": FAKE, "jax": FAKE})
    for job in jobs:
        if job.framework == "jax" and job.case.id == "abs-at-zero":
            job.computed.gradients["x"] = Gradient(VALUE, np.float64(1.0))
    built = report.build(verdicts.judge(jobs), cases, errors, ["fake", "jax"])
    mle = next(c.case for c in cases if c.case.kind == "mle")
    closed = {k: EstimateRecord(value=v.tolist(), expected=v.tolist(), max_abs=0.0, max_rel=0.0)
              for k, v in kinds.mle.expected_estimates(mle).items()}
    built.jobs += [_mle_job("fake", dtype, closed) for dtype in ("float32", "float64")]
    built.cases["some-behaviour"] = CaseRecord(title="A kind this generator has never seen", kind="behaviour",
                                               why="Pages must not depend on knowing every kind.",
                                               file="cases/behaviour/x.yaml", line=1, tags=["pitfall"])
    out = tmp_path_factory.mktemp("site")
    return built, cases, out, generate(built, cases, out)


def _links(page: Path) -> list[str]:
    text = page.read_text(encoding="utf-8")
    if page.suffix == ".html":
        return re.findall(r'(?:href|src)="([^"]+)"', text)
    return re.findall(r"\]\(([^)]+)\)", text)


def test_every_page_link_and_figure_is_there(small):
    built, _, out, written = small
    assert all(p.is_file() and p.stat().st_size > 0 for p in written)
    for cid in built.cases:
        assert (out / "cases" / f"{cid}.html").is_file() and (out / "markdown" / "cases" / f"{cid}.md").is_file()
    pages = [*out.rglob("*.html"), *out.rglob("*.md")]
    assert len(pages) == 2 * (len(built.cases) + 2)
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert not re.search(r'(src|rel="stylesheet" href)="(https?:)?//', text), f"{page} fetches from the network"
        for link in _links(page):
            if link.startswith(("http:", "https:")):  # upstream issue links: not ours to resolve offline
                continue
            path, _, anchor = link.partition("#")
            target = (page.parent / path).resolve() if path else page
            assert target.is_file() and target.stat().st_size > 0, f"{page}: broken link {link}"
            assert not anchor or f'id="{anchor}"' in target.read_text(encoding="utf-8"), f"{page}: no #{anchor}"
    figures = sorted(p.name for p in (out / "figures").iterdir())
    assert "mvn2-mle-optimizer.svg" in figures and "seed-vjp-oracle-error.svg" in figures


def test_index_opens_on_where_the_frameworks_differ(small):
    built, _, out, _ = small
    differences = built.differences()
    compared = [a for a in built.agreement if a.result != Agreement.NOT_COMPARED]
    assert any(a.case == "abs-at-zero" for a in differences) and len(compared) > len(differences)
    count = f"{len(differences)} of {len(compared)} gradients compared differ"
    index = (out / "index.html").read_text(encoding="utf-8")
    assert count in index and index.index('id="differences"') < index.index('id="cases"')
    section = index[index.index('id="differences"'):index.index('id="all-cases"')]
    row = re.search(r'<tr class="r-differ">.*?abs-at-zero.*?</tr>', section, re.DOTALL)[0]
    assert f'<a href="{JAX_ABS}">jax-ml/jax#37820</a>' in row and "✗" in row and "✓" in row
    assert "chip v-convention" in row and "float32, float64" in row  # the dtypes merged: the same answers
    differing = {a.case for a in differences}
    assert f"differs ({len(differing)} cases)" in index
    assert len(re.findall(r'<tr data-topic="[^"]*" data-tags="[^"]*" data-differs="1"', index)) == len(differing)
    markdown = (out / "markdown" / "index.md").read_text(encoding="utf-8")
    assert f"**{count}**" in markdown and f"[jax-ml/jax#37820]({JAX_ABS})" in markdown
    assert markdown.index("## Where the frameworks differ") < markdown.index("## All cases")


def test_case_page_shows_each_framework_convention_and_agreement(small):
    built, _, out, _ = small
    page = (out / "cases" / "abs-at-zero.html").read_text(encoding="utf-8")
    frameworks = page[page.index('id="frameworks"'):page.index('id="agreement"')]
    jax = frameworks[frameworks.index("<h3>jax"):]
    assert "chip v-convention" in jax and f'<a href="{JAX_ABS}">' in jax and "select(x &gt;= 0, g, -g)" in jax
    assert "chip v-pass" in frameworks[:frameworks.index("<h3>jax")]
    agreement = page[page.index('id="agreement"'):]
    assert '<tr class="r-differ">' in agreement and "differ in value" in agreement
    markdown = (out / "markdown" / "cases" / "abs-at-zero.md").read_text(encoding="utf-8")
    assert "convention: the abs JVP" in markdown and f"({JAX_ABS})" in markdown
    conventions = (out / "conventions.html").read_text(encoding="utf-8")
    recorded = conventions[conventions.index('id="conventions"'):conventions.index('id="bugs"')]
    assert f'<a href="{JAX_ABS}">' in recorded and "cases/abs-at-zero.html" in recorded
    assert all(f"cases/{a.case}.html" in conventions for a in built.differences())


def test_case_page_shows_math_results_and_code(small):
    _, _, out, _ = small
    page = (out / "cases" / "seed-vjp.html").read_text(encoding="utf-8")
    assert page.count("<math") >= 5  # the function, the cotangent, three gradients
    assert "v * 4b = [0.1*12, 1*16, 1e-4*20]" in page  # the expected value's why
    assert "[1.2, 16, 0.002]" in page and "fake" in page
    markdown = (out / "markdown" / "cases" / "seed-vjp.md").read_text(encoding="utf-8")  # code not highlighted
    assert "torch.autograd.grad" in markdown and "tape.gradient" in markdown and "jax.vjp" in markdown
    assert "$$\ny = 3 \\, a" in markdown


def test_page_follows_the_report(small, tmp_path):
    built, cases, out, _ = small
    changed = built.model_copy(deep=True)
    job = next(j for j in changed.jobs if j.case == "seed-vjp" and j.framework == "jax")
    error = {"status": Status.ERROR, "error": "RuntimeError: Mismatch in shape", "value": None, "cls": None,
             "verdict": Verdict.ERROR}
    job.verdict = Verdict.ERROR
    job.gradients["b"] = job.gradients["b"].model_copy(update=error)
    answer = next(x for a in changed.agreement if (a.case, a.dtype, a.gradient) == ("seed-vjp", job.dtype, "b")
                  for x in a.answers if x.framework == "jax")
    for name, value in error.items():
        setattr(answer, name, value)
    generate(changed, cases, tmp_path)
    before = (out / "cases" / "seed-vjp.html").read_text(encoding="utf-8")
    after = (tmp_path / "cases" / "seed-vjp.html").read_text(encoding="utf-8")
    assert "Mismatch in shape" not in before and "Mismatch in shape" in after
    assert "chip v-error" in after and "chip v-error" not in before
    assert "v-error" in (tmp_path / "index.html").read_text(encoding="utf-8")
    assert "Mismatch in shape" in (tmp_path / "conventions.html").read_text(encoding="utf-8")


def test_an_unknown_kind_still_gets_a_page(small):
    _, _, out, _ = small
    page = (out / "cases" / "some-behaviour.html").read_text(encoding="utf-8")
    assert "A kind this generator has never seen" in page and "no results for this case" in page


def test_docs_command_writes_the_site(small, tmp_path):
    built, _, _, _ = small
    report.write(built, tmp_path / "report.json")
    code = cli.main(["docs", str(REPO / "conformance" / "cases" / "vjp"), "--report", str(tmp_path / "report.json"),
                     "--out", str(tmp_path / "site")])
    assert code == cli.OK and (tmp_path / "site" / "cases" / "seed-grad.html").is_file()


# --- the snippets, run in the real frameworks ------------------------------------------------------

_EXEC = """
import json, sys
import numpy as np
out = {}
for item in json.load(open(sys.argv[1])):
    ns = {name: np.load(file) for name, file in item["given"].items()}
    try:
        exec(compile(item["code"], item["case"], "exec"), ns)
        out[item["case"]] = {k: None if ns[k] is None else np.asarray(ns[k], np.float64).tolist()
                             for k in item["names"]}
    except Exception as err:  # one broken snippet must not hide the others
        out[item["case"]] = f"{type(err).__name__}: {err}"
json.dump(out, open(sys.argv[2], "w"))
"""


@pytest.fixture(scope="module")
def real_report(tmp_path_factory):
    """float64 results of every installed framework on the repo's cases."""
    frameworks = [fw for fw in snippets.FRAMEWORKS if installed(fw)]
    if not frameworks:
        pytest.skip("no framework installed")
    path = tmp_path_factory.mktemp("real") / "report.json"
    cli.main(["run", str(REPO / "conformance" / "cases"), "--dtype", "float64", "--report", str(path), "--quiet",
              *[a for fw in frameworks for a in ("--framework", fw)]])
    return report.read(path)


@pytest.mark.parametrize("framework", [pytest.param(fw, marks=pytest.mark.skipif(
    not installed(fw), reason=f"{fw} not installed")) for fw in snippets.FRAMEWORKS])
def test_snippets_compute_what_the_report_says(framework, real_report, tmp_path):
    cases = {c.case.id: c.case for c in loader.load([REPO / "conformance" / "cases"])[0]}
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
            np.save(tmp_path / f"{cid}-noise.npy", FAMILIES[case.family].noise(
                np.random.default_rng(case.seed), case.samples, params))
            given["noise"] = str(tmp_path / f"{cid}-noise.npy")
        names = [f"{n}_grad" for n in case.expected]
        names += [f"{n}_hat" for n in case.expected] if case.kind == "mle" else []
        items.append({"case": cid, "code": snippet.code, "given": given, "names": names})
    assert items
    (tmp_path / "snippets.json").write_text(json.dumps(items))
    subprocess.run([sys.executable, "-c", _EXEC, tmp_path / "snippets.json", tmp_path / "out.json"], check=True,
                   cwd=tmp_path, timeout=300)
    got = json.loads((tmp_path / "out.json").read_text())
    broken = {cid: result for cid, result in got.items() if isinstance(result, str)}
    assert not broken, f"snippets that do not run in {framework}: {broken}"
    for job in real_report.jobs:
        if job.framework != framework or job.case not in got:
            continue
        case, values, tol = cases[job.case], got[job.case], job.tolerance
        for name, grad in job.gradients.items():
            if grad.status != Status.VALUE:
                continue
            ok = within(values[f"{name}_grad"], array(grad.value), tol.rtol, tol.atol, array(grad.zero_tolerance))
            assert ok, f"{job.case} {name}: snippet {values[f'{name}_grad']}, report {grad.value}"
        for name, est in job.estimates.items():
            assert np.max(np.abs(np.subtract(values[f"{name}_hat"], array(est.value)))) <= case.estimate_tolerance


# --- the index in a browser -------------------------------------------------------------------------

def _chromium(*args: str, profile: Path) -> subprocess.CompletedProcess:
    return subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                           "--disable-background-networking", "--disable-component-update", "--disable-sync",
                           f"--user-data-dir={profile}", *args], capture_output=True, text=True, timeout=120)


@pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (.ci/run installs it)")
def test_index_renders_in_headless_chromium(small, tmp_path):
    built, _, out, _ = small
    url = (out / "index.html").as_uri()
    dom = _chromium("--dump-dom", url, profile=tmp_path / "dom").stdout
    rows = re.findall(r'<tr data-topic="([^"]*)"', dom)
    assert len(rows) == len(built.cases) and {"vjp", "mle", "conventions"} <= set(rows)
    assert "<th>fake</th>" in dom and "<th>jax</th>" in dom and 'class="chip v-pass"' in dom
    assert f"{len(built.differences())} of " in dom[dom.index('id="differences"'):dom.index('id="all-cases"')]
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "docs-index.png"
    shot.unlink(missing_ok=True)
    _chromium(f"--screenshot={shot}", "--window-size=1280,900", url, profile=tmp_path / "shot")
    assert shot.is_file() and shot.stat().st_size > 10_000
    print(f"screenshot: {shot}")
