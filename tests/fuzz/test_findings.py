"""The fuzzer's filters and its knowledge of the library: kinks, poles, known conventions."""

from __future__ import annotations

import numpy as np

from conformance import loader
from conformance.fuzz.draw import Node, Trial, template_of
from conformance.fuzz.findings import Finding, admissible, classify, inside, recorded
from conformance.model import DEFAULT_TOLERANCE
from conformance.verdicts import GradientVerdict
from conformance.vocabulary import Status, Symptom

F64 = ("float64", DEFAULT_TOLERANCE["float64"])


def trial(function: str, x: float | list[float]) -> Trial:
    template, _ = template_of(function, {"x"})
    name = function.split("(")[0]
    return Trial(Node(template, (Node("x"),), name), {"x": np.asarray(x, float)}, np.ones(np.shape(x)))


def kink(function: str, x: float) -> tuple[np.ndarray, np.ndarray]:
    box = admissible(trial(function, x), "x")
    assert box is not None, f"{function} at {x} is smooth"
    return box


def answer(value: float | list[float]) -> GradientVerdict:
    return GradientVerdict(Status.VALUE, None, np.asarray(value, float), None, None)


def test_a_kink_whose_one_sided_derivatives_differ_admits_any_subgradient():
    box = admissible(trial("abs(x)", 0.0), "x")
    assert box is not None
    low, high = box
    assert np.allclose(low, -1) and np.allclose(high, 1)
    assert inside(answer(1.0), low, high, *F64) and inside(answer(0.0), low, high, *F64)  # JAX's and torch's choices
    assert not inside(answer(2.0), low, high, *F64)


def test_a_nan_where_the_one_sided_derivatives_are_finite_is_kept():
    low, high = kink("sqrt(x ** 2)", 0.0)  # |x| written so the chain rule meets inf * 0
    assert np.all(np.isfinite(low)) and np.all(np.isfinite(high))
    assert not inside(answer(np.nan), low, high, *F64)
    assert not inside(GradientVerdict(Status.ERROR, None, None, "RuntimeError: no", None), low, high, *F64)


def test_the_kink_box_is_widened_by_the_one_tolerance_rule():
    """Its own absolute 1e-12 is gone: around floor's zero box a value of 1e-13 is not zero in float64 unless the
    rule's zero floor (a cancelled sum's rounding) allows it; the box's relative slack stays."""
    low, high = kink("floor(x)", 2.0)
    assert not inside(answer(1e-13), low, high, *F64) and inside(answer(1e-323), low, high, *F64)
    cancelled = answer(1e-13)
    cancelled.zero_tolerance = np.asarray(1e-12)
    assert inside(cancelled, low, high, *F64)
    assert inside(answer(1.04), -np.ones(()), np.ones(()), *F64)
    assert not inside(answer(1.06), -np.ones(()), np.ones(()), *F64)


def test_a_smooth_point_is_not_a_kink():
    assert admissible(trial("sin(x)", [0.3, -1.2, 2.0]), "x") is None
    assert admissible(trial("exp(x)", 0.0), "x") is None


def test_a_step_is_a_kink_where_zero_is_admissible_and_the_jump_is_not():
    low, high = kink("floor(x)", 2.0)  # the oracle's difference spans the jump; a side does not
    assert inside(answer(0.0), low, high, *F64) and inside(
        GradientVerdict(Status.DISCONNECTED, None, None, None, "None"), low, high, *F64
    )
    assert not inside(answer(100.0), low, high, *F64)


def test_at_a_pole_the_infinity_of_the_neighbours_sign_is_admissible():
    low, high = kink("digamma(x)", 0.0)  # trigamma(x) ~ 1/x^2 from both sides
    assert inside(answer(np.inf), low, high, *F64) and not inside(answer(-np.inf), low, high, *F64)


def test_a_finding_the_library_records_is_known_with_its_link():
    library = recorded(c.case for c in loader.load([loader.LIBRARY])[0])
    abs_at_zero = Finding(trial("abs(x)", 0.0), "float64", "x", ("jax",), Symptom.VALUE)
    known = classify(abs_at_zero, library)
    assert known is not None and known.framework == "jax" and known.link.startswith("https://")
    # in another regime it is still jax's convention: the label names its framework
    in_eager = Finding(
        abs_at_zero.trial, "float64", "x", ("jax[eager]",), Symptom.VALUE, frameworks={"jax[eager]": "jax"}
    )
    assert classify(in_eager, library) == known
    # torch has no recorded difference on abs: the same symptom there is new
    assert classify(Finding(abs_at_zero.trial, "float64", "x", ("torch",), Symptom.VALUE), library) is None
    # a recorded error status explains an error, not a NaN
    hfft = trial("hfft(x)", [1.0, 2.0, 3.0])
    assert classify(Finding(hfft, "float64", "x", ("tensorflow",), Symptom.ERROR), library) is not None
    assert classify(Finding(hfft, "float64", "x", ("tensorflow",), Symptom.NAN), library) is None
