"""The hvp kind by every composition: the names per framework, one reference per input shared by its compositions
(siblings), a mark naming an input covering each of them, and a wrong forward-mode rule found in exactly the
compositions that differentiate it, on real torch."""

from __future__ import annotations

import numpy as np
import pytest

from conformance import agreement, kinds, loader, verdicts
from conformance.adapters import BUILTIN, directional_apis, hvp_compositions, hvp_names, load
from conformance.kinds.function import FunctionCase
from conformance.model import Divergence
from conformance.vocabulary import Agreement, Status, Verdict
from tests.conftest import installed
from tests.kinds.wrong_rules import wrong_jvp_cube


def _case(text: str) -> FunctionCase:
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "case.yaml"
        path.write_text(text)
        cases, errors = loader.load([path])
    assert not errors, errors
    case = cases[0].case
    assert isinstance(case, FunctionCase)
    return case


CUBE = (
    "- id: cube\n  kind: hvp\n  title: t\n  why: w\n  inputs: {x: [0.5, 2.0]}\n  tangent: {x: [1.0, -1.0]}\n"
    "  function: sum(x)\n  oracle: false\n  oracle_why: the function judged is the test's own\n"
)


def test_forward_over_forward_is_left_out_it_gives_a_scalar():
    assert [("-".join(m)) for m in hvp_compositions()] == ["fwd-rev", "rev-fwd", "rev-rev"]


@pytest.mark.parametrize("framework, count", [("torch", 6), ("tensorflow", 3), ("jax", 3)])
def test_each_framework_names_each_inputs_h_v_by_every_composition_of_its_apis(framework, count):
    names = hvp_names(directional_apis(framework)[0], ["x", "y"])
    assert len(names) == 2 * count and set(names.values()) == {"x", "y"}
    assert ("x by func:fwd-over-rev" if framework == "torch" else "x by fwd-over-rev") in names
    case = _case(
        CUBE.replace("inputs: {x: [0.5, 2.0]}", "inputs: {x: [0.5, 2.0], y: 1.0}").replace(
            "tangent: {x: [1.0, -1.0]}", "tangent: {x: [1.0, -1.0], y: 2.0}"
        )
    )
    shapes = case.gradient_shapes(directional_apis(framework)[0])
    assert list(shapes) == list(names) and {shapes[n] for n, of in names.items() if of == "y"} == {()}


def test_every_composition_of_an_input_shares_its_reference_and_a_mark_naming_the_input_covers_them():
    case = next(c.case for c in loader.load([loader.LIBRARY / "second-order"])[0] if c.case.id == "hvp-normal-nll")
    refs = kinds.reference(case)
    of_mu = {name: ref for name, ref in refs.items() if ref.of == "mu"}
    assert set(of_mu) >= {"mu by fwd-over-rev", "mu by func:rev-over-fwd", "mu by autograd:rev-over-rev"}
    assert {float(np.asarray(r.expected)) for r in of_mu.values()} == {9.0}
    assert {r.siblings for r in of_mu.values()} == {"H v for mu"}
    mark = Divergence(framework="tensorflow", gradients=["mu"], issue="https://example.org/1", why="w")
    assert mark.covers("mu by fwd-over-rev", "mu") and not mark.covers("s by fwd-over-rev", "s")
    one = Divergence(framework="torch", gradients=["mu by func:rev-over-fwd"], issue="https://example.org/2", why="w")
    assert one.covers("mu by func:rev-over-fwd", "mu") and not one.covers("mu by func:fwd-over-rev", "mu")


@pytest.mark.skipif(not installed("torch"), reason="torch")
def test_a_wrong_forward_rule_fails_exactly_the_compositions_that_differentiate_it():
    """A real torch.autograd.Function for x^3 whose backward and first-order jvp are right, but whose jvp rule
    detaches x: reverse mode over it (grad of jvp) loses H v = 6 x v entirely; forward over reverse and reverse over
    reverse never differentiate that rule. Self-consistency names the two odd compositions, with no stated value."""
    Cube = wrong_jvp_cube()
    adapter = load(BUILTIN["torch"])
    x, v = np.array([0.5, 2.0]), np.array([1.0, -1.0])
    _, grads = adapter.hvp(lambda env: Cube.apply(env["x"]).sum(), {"x": x}, "float64", {"x": v})
    assert set(grads) == set(hvp_names(("func", "autograd"), ["x"]))
    wrong = {
        name for name, g in grads.items() if g.status != Status.VALUE or not np.allclose(np.asarray(g.value), 6 * x * v)
    }
    assert wrong == {"x by func:rev-over-fwd", "x by autograd:rev-over-fwd"}
    # torch.func's grad gives 0; torch.autograd None (the tangent is not connected to x): disconnected
    assert np.all(np.asarray(grads["x by func:rev-over-fwd"].value) == 0)
    assert grads["x by autograd:rev-over-fwd"].status == Status.DISCONNECTED

    case = _case(CUBE)
    refs = kinds.for_framework(kinds.reference(case), "torch", adapter.versions(), "float64")
    job = verdicts.Job(case, "torch", "float64", kinds.Computed(grads), versions=adapter.versions())
    (found,) = agreement.consistency(verdicts.judge_job(job, refs))  # values only: the None is its verdict's
    assert found.result == Agreement.DIFFER_NO_REFERENCE and found.odd == ["x by func:rev-over-fwd"]

    stated = _case(CUBE + "  expected: {x: {value: '6 * x * [1.0, -1.0]', why: 6 x v}}\n")
    marked = stated.model_copy(
        update={
            "divergences": [
                Divergence(
                    framework="torch",
                    gradients=sorted(wrong),
                    issue="https://example.org/cube",
                    why="the test's own rule",
                )
            ]
        }
    )
    refs = kinds.for_framework(kinds.reference(marked), "torch", adapter.versions(), "float64")
    judged = verdicts.judge_job(
        verdicts.Job(marked, "torch", "float64", kinds.Computed(grads), versions=adapter.versions()), refs
    )
    assert {name for name, g in judged.gradients.items() if g.verdict == Verdict.XFAIL} == wrong
    assert judged.verdict == Verdict.XFAIL
