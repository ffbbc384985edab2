"""The fuzzer end to end on a divergence planted in a fake adapter (tests/fake_adapter.py: its expm1 is doubled):
found, shrunk to its minimal form, the same for the same seed, and written as a case that reproduces it."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from conformance import loader, runner, verdicts
from conformance.fuzz import Evaluator, Options, cases, fuzz
from conformance.fuzz.draw import Node, Trial
from conformance.fuzz.shrink import candidates, shrink
from conformance.vocabulary import Symptom, Verdict

PLANTED = {"planted": "tests.fake_adapter:PlantedAdapter"}


def options(out: Path, **more) -> Options:
    return Options(out=out, frameworks=["planted"], dtypes=("float64",), **more)


def test_the_shrinker_reduces_a_planted_divergence_to_its_minimal_form(tmp_path):
    tree = Node("sin({})", (Node("({} * 2.5)", (Node("expm1({})", (Node("x"),), "expm1"),)),), "sin")
    trial = Trial(tree, {"x": np.array([0.31, -0.72, 1.13, 0.25])}, np.array([1.0, 0.5, 1.5, 0.75]))
    evaluate = Evaluator(PLANTED, options(tmp_path))
    try:
        [found] = evaluate([trial])
        assert [(f.odd, f.symptom) for f in found] == [(("planted",), Symptom.VALUE)]
        [shrunk] = shrink(found, evaluate, lambda t: True)
    finally:
        evaluate.close()
    assert shrunk.trial.function == "expm1(x)"
    assert np.shape(shrunk.trial.inputs["x"]) == () and float(shrunk.trial.inputs["x"]) == 0.0
    assert (shrunk.odd, shrunk.symptom, shrunk.gradient) == (("planted",), Symptom.VALUE, "x")


def test_the_same_seed_gives_the_same_findings_and_a_written_case_reproduces_its_finding(tmp_path):
    first = fuzz(options(tmp_path / "a", expressions=30, seed=5, functions="exp*"), PLANTED)
    again = fuzz(options(tmp_path / "b", expressions=30, seed=5, functions="exp*"), PLANTED)
    assert first.new, "expm1 is at the core of some of 30 expressions around exp, exp2 and expm1"
    assert [f.model_dump(exclude={"file"}) for f in first.findings] == [
        f.model_dump(exclude={"file"}) for f in again.findings
    ]
    assert all("expm1" in f.functions for f in first.new)  # nothing else differs from the oracle
    for finding in first.new:
        assert finding.file is not None
        [loaded], errors = loader.load([finding.file])
        assert errors == [] and "needs-a-why" in loaded.case.tags
        jobs = runner.run(runner.plan([loaded.case], ["planted"]), PLANTED)
        [verdict] = verdicts.judge(jobs)
        assert verdict.gradients[finding.gradient].verdict == Verdict.FAIL


def test_a_subexpression_hoisted_out_of_a_complex_one_gets_a_real_cotangent_and_loads(tmp_path):
    """`tan(x)` shrunk out of `ifft(tan(x))` is real: the complex cotangent is redrawn, so every candidate loads."""
    tree = Node("ifft({})", (Node("tan({})", (Node("x"),), "tan"),), "ifft")
    trial = Trial(tree, {"x": np.array([0.3, -0.7, 1.1, 0.2])}, np.array([1 + 0.5j, 0.5, 1.5 - 1j, 0.75j]))
    tried = candidates(trial, elementwise=False)
    assert "tan(x)" in [t.function for t in tried]
    path = tmp_path / "candidates.yaml"
    path.write_text(cases.batch_text(tried), encoding="utf-8")
    loaded, errors = loader.load([path])
    assert errors == [] and len(loaded) == len(tried)


def test_a_trial_that_does_not_load_is_dropped_and_counted_and_the_others_still_run(tmp_path):
    expm1 = Node("expm1({})", (Node("x"),), "expm1")
    real_with_complex_cotangent = Trial(expm1, {"x": np.array([0.5, 1.0])}, np.array([1 + 1j, 1.0]))
    planted = Trial(expm1, {"x": np.array([0.5, 1.0])}, np.array([1.0, 1.0]))
    evaluate = Evaluator(PLANTED, options(tmp_path))
    try:
        dropped, found = evaluate([real_with_complex_cotangent, planted])
    finally:
        evaluate.close()
    assert dropped == [] and evaluate.dropped == 1
    assert [(f.odd, f.symptom) for f in found] == [(("planted",), Symptom.VALUE)]


def test_the_out_folder_is_there_after_a_run_that_found_nothing_new(tmp_path):
    result = fuzz(options(tmp_path / "found", expressions=2, functions="sin"), PLANTED)  # no expm1 drawn
    assert result.new == [] and (tmp_path / "found").is_dir()
