"""Real reports from the NumPy FakeAdapter (never a framework check): one per verdict, for regress/JUnit tests."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pytest

from conformance import kinds, loader, report, runner, verdicts
from conformance.adapters import VALUE, Gradient
from conformance.vocabulary import Regime

ADAPTERS = {"fake": "tests.fake_adapter:FakeAdapter", "broken": "tests.fake_adapter:BrokenAdapter"}

# one case per verdict on the fake adapter: pass, fail, error, xfail, stale, convention (broken: unavailable)
CASES = """
- {id: good, kind: grad, title: t, why: w, inputs: {a: 2.0}, function: a*a, expected: {a: {value: 4, why: 2a}}}
- {id: wrong, kind: grad, title: t, why: w, inputs: {a: 2.0}, function: a*a, expected: {a: {value: 5, why: wrong}}}
- {id: raises, kind: grad, title: t, why: w, inputs: {a: 15.0}, function: a, dtypes: [float64]}
- {id: known, kind: grad, title: t, why: w, inputs: {a: 2.0}, function: a*a, dtypes: [float64],
   expected: {a: {value: 5, why: wrong}},
   divergences: [{framework: fake, issue: "https://example.org/1", why: known}]}
- {id: stale, kind: grad, title: t, why: w, inputs: {a: 2.0}, function: a*a, dtypes: [float64],
   expected: {a: {value: 4, why: 2a}},
   divergences: [{framework: fake, versions: ">=1", issue: "https://example.org/2", why: fixed since}]}
- {id: chosen, kind: grad, title: t, why: w, inputs: {a: 2.0}, function: a*a, dtypes: [float64], oracle: false,
   oracle_why: the math prefers 5 here,
   expected: {a: {value: 5, why: preferred,
                  conventions: {fake: {value: 4, why: fake documents 2a, link: "https://example.org/doc"}}}}}
"""


def load(tmp: Path, text: str = CASES) -> list[loader.LoadedCase]:
    path = tmp / "cases.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    cases, errors = loader.load([path])
    assert not errors, errors
    return cases


def run(
    cases: list[loader.LoadedCase], frameworks: tuple[str, ...] = ("fake",), adapters: dict[str, str] = ADAPTERS
) -> list[verdicts.Job]:
    jobs = runner.plan([c.case for c in cases], list(frameworks))
    return runner.run(jobs, adapters, timeout=30)


def build(cases: list[loader.LoadedCase], jobs: list[verdicts.Job], frameworks=("fake",)) -> report.Report:
    return report.build(verdicts.judge(jobs), cases, [], list(frameworks))


@pytest.fixture(scope="session")
def _sample(tmp_path_factory) -> report.Report:
    cases = load(tmp_path_factory.mktemp("sample"))
    return build(cases, run(cases, ("fake", "broken")), ("fake", "broken"))


@pytest.fixture
def sample(_sample) -> report.Report:
    """A report with every verdict (computed once per session); a deep copy to change freely."""
    return _sample.model_copy(deep=True)


def regimes_report(tmp: Path, compiled: float = 5.0) -> report.Report:
    """A report whose torch answers differ between its eager and compiled regimes (planted values, no framework
    runs): `good`'s gradient is 4; torch[compiled] says `compiled`, torch and jax (in its default, jax.jit) say 4."""
    cases = load(tmp)
    good = next(c.case for c in cases if c.case.id == "good")
    answer = lambda v: kinds.Computed({"a": Gradient(VALUE, np.array(v))})
    jobs = [
        verdicts.Job(good, "torch", "float64", answer(4.0), versions={"torch": "2.13"}, regime=Regime.EAGER),
        verdicts.Job(good, "torch", "float64", answer(compiled), versions={"torch": "2.13"}, regime=Regime.COMPILED),
        verdicts.Job(good, "jax", "float64", answer(4.0), versions={"jax": "0.10"}, regime=Regime.COMPILED),
    ]
    return build([c for c in cases if c.case.id == "good"], jobs, ("torch", "jax"))
