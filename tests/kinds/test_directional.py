"""The directional kind: loading and its errors, the composition names per framework, the oracle's bound, values
against the math on the real frameworks, a wrong nested rule found in exactly the compositions that use it, and the
compositions judged against each other (self-consistency)."""

from __future__ import annotations

import numpy as np
import pytest

from conformance import agreement, kinds, loader, oracle, report, verdicts
from conformance.adapters import BUILTIN, Gradient, composition_names, directional_apis, load
from conformance.kinds import directional
from conformance.vocabulary import Agreement, Expect, Status, Verdict
from tests.conftest import installed
from tests.kinds.wrong_rules import wrong_jvp_cube

CASES: dict[str, directional.DirectionalCase] = {
    c.case.id: c.case
    for c in loader.load([loader.LIBRARY / "directional"])[0]
    if isinstance(c.case, directional.DirectionalCase)
}
HEAD = "- id: x\n  kind: directional\n  title: t\n  why: w\n"  # lines 1-4; the case's own keys start on line 5


def test_the_library_loads_with_every_order_float32_float64_and_complex():
    assert len(CASES) >= 12
    assert {c.order for c in CASES.values()} == {1, 2, 3}
    assert any(c.complex for c in CASES.values()) and any("float32" in c.dtypes for c in CASES.values())
    assert any(c.output_shape() != () for c in CASES.values())  # an array-valued f


@pytest.mark.parametrize("framework, count", [("torch", 2), ("tensorflow", 1), ("jax", 1)])
@pytest.mark.parametrize("order", [1, 2, 3])
def test_each_framework_names_every_composition_of_its_apis_outermost_first(framework, count, order):
    apis, _ = directional_apis(framework)
    names = composition_names(apis, order)
    assert len(names) == len(set(names)) == count * 2**order
    prefix = "func:" if framework == "torch" else ""
    assert names[0] == prefix + "-over-".join(["fwd"] * order)
    assert names[1] == prefix + "-over-".join(["fwd"] * (order - 1) + ["rev"])  # outermost first
    if framework == "torch":
        assert names[2**order] == "autograd:" + "-over-".join(["fwd"] * order)
    case = CASES["det-directional-1"].model_copy(update={"order": order})
    shapes = case.gradient_shapes(apis)
    assert list(shapes) == names and set(shapes.values()) == {()}


@pytest.mark.parametrize(
    "body, line, fragment",
    [
        (
            "  inputs: {x: [1.0, 2.0]}\n  direction: {y: [1.0, 0.0]}\n  function: sum(x)\n  order: 1\n",
            6,
            "the direction must name every input",
        ),
        (
            "  inputs: {x: [1.0, 2.0]}\n  direction: {x: [1.0, 0.0, 3.0]}\n  function: sum(x)\n  order: 1\n",
            6,
            "the direction has shape (3,), the input shape (2,)",
        ),
        (
            "  inputs: {x: [1.0, 2.0]}\n  direction: {x: [1.0, 0.0]}\n  function: sum(x)\n  order: 4\n",
            8,
            "order: Input should be less than or equal to 3",
        ),
        (
            "  inputs: {x: [1.0, 2.0]}\n  direction: {x: [1.0, 0.0]}\n  function: sum(x)\n  order: 0\n",
            8,
            "order: Input should be greater than or equal to 1",
        ),
        (
            "  dtypes: [complex128]\n  inputs: {z: '1 + 1j'}\n  direction: {z: '1j'}\n  function: exp(z)\n  order: 1\n",
            8,
            "this function's value is complex",
        ),
        (
            "  inputs: {x: [1.0, 2.0]}\n  direction: {x: [1.0, 0.0]}\n  function: sum(x)\n  order: 2\n"
            "  expected: {value: [1.0, 2.0], why: w}\n",
            9,
            "where the function gives a scalar",
        ),
        (
            "  inputs: {x: [1.0, 2.0]}\n  direction: {x: [1.0, 0.0]}\n  function: sum(y)\n  order: 2\n",
            7,
            "unknown name 'y'",
        ),
    ],
)
def test_a_bad_case_is_a_load_error_with_file_and_line(write_case, body, line, fragment):
    path = write_case(HEAD + body)
    errors = [str(e) for e in loader.load([path])[1]]
    assert any(e.startswith(f"{path}:{line}: ") and fragment in e for e in errors), errors


@pytest.mark.parametrize("order", [1, 2, 3])
@pytest.mark.parametrize(
    "name, f, derivative",
    [
        ("exp", np.exp, lambda x, v, k: np.exp(x) * v**k),
        ("sin", np.sin, lambda x, v, k: [np.cos, lambda t: -np.sin(t), lambda t: -np.cos(t)][k - 1](x) * v**k),
        ("log", np.log, lambda x, v, k: [1 / x, -1 / x**2, 2 / x**3][k - 1] * v**k),
        (
            "tanh",
            np.tanh,
            lambda x, v, k: (
                [
                    1 - np.tanh(x) ** 2,
                    -2 * np.tanh(x) * (1 - np.tanh(x) ** 2),
                    (6 * np.tanh(x) ** 2 - 2) * (1 - np.tanh(x) ** 2),
                ][k - 1]
                * v**k
            ),
        ),
    ],
)
def test_the_oracles_bound_covers_its_error_against_analytic_derivatives(order, name, f, derivative):
    """200 random points and directions per function and order, |x| from 0.01 to 50 (the step is relative to |x|:
    a function whose own scale is far below |x|, sin at 300, is beyond it): the error is within the bound (measured:
    at most 0.13 of it), and the bound is tight enough to judge. Relative to the size of p's derivatives (`terms`),
    measured: at order 1 at most 4e-8, at order 2 at most 3e-5, at order 3 a median of 3e-7 and at most 0.13 (log
    at 0.01 beside 3: the step follows the smallest |x|, the rounding term the input's rounding at max|x| / min|v|)."""
    rng = np.random.default_rng(order)
    relative = []
    for _ in range(200):
        x = rng.uniform(0.1, 5, 3) * 10.0 ** rng.integers(-1, 2)
        v = rng.choice([-1.0, 1.0], 3) * rng.uniform(0.5, 2.0, 3)
        along = oracle.derivative_along(lambda env: f(env["x"]), {"x": x}, {"x": v}, order)
        want = derivative(x, v, order)
        assert np.all(np.abs(along.estimate - want) <= along.bound), (name, x, v)
        relative.extend(along.bound / along.terms)
    assert (max(relative) if order < 3 else float(np.median(relative))) <= {1: 1e-6, 2: 1e-4, 3: 1e-5}[order]


def test_the_oracle_differences_a_quadratic_in_s_exactly_enough_and_bounds_a_zero_third_derivative():
    """det(A + sV) = 5 + 7s + 2s^2: every order, and the size of the terms for a zero's rounding floor."""
    A, V = np.array([[2.0, 1.0], [1.0, 3.0]]), np.array([[1.0, 0.0], [0.0, 2.0]])
    for order, want in ((1, 7.0), (2, 4.0), (3, 0.0)):
        along = oracle.derivative_along(lambda env: np.linalg.det(env["A"]), {"A": A}, {"A": V}, order)
        assert abs(along.estimate - want) <= along.bound < 1e-4, order
        assert along.terms > 6.9  # |p'(0)| = 7, the largest of 5, 7, 4


def test_every_composition_shares_the_reference_and_torch_autograds_double_forward_is_its_documented_limit():
    refs = directional.reference(CASES["det-directional-2"])
    assert set(refs) >= {"func:fwd-over-fwd", "autograd:fwd-over-fwd", "fwd-over-fwd", "rev-over-rev"}
    assert {float(np.asarray(r.expected)) for r in refs.values()} == {4.0}
    assert {r.siblings for r in refs.values()} == {"d^2/ds^2 f(x + s v)"}
    limited = refs["autograd:fwd-over-fwd"].conventions["torch"][0].convention
    assert limited.status == Expect.ERROR and "forward_ad" in limited.link
    assert "torch" not in refs["autograd:fwd-over-rev"].conventions


def _judged(case: directional.DirectionalCase, framework: str, dtype: str = "float64") -> verdicts.JobVerdict:
    adapter = load(BUILTIN[framework])
    job = verdicts.Job(case, framework, dtype, kinds.compute(case, adapter, dtype), versions=adapter.versions())
    return verdicts.judge_job(job, kinds.for_framework(kinds.reference(case), framework, job.versions, dtype))


@pytest.mark.parametrize(
    "framework",
    [pytest.param(fw, marks=pytest.mark.skipif(not installed(fw), reason=fw)) for fw in ("torch", "tensorflow", "jax")],
)
@pytest.mark.parametrize("cid", ["inv-directional-2", "complex-abs2-directional-2"])
def test_every_expressible_composition_matches_the_math_on_the_real_frameworks(framework, cid):
    """An array-valued f (the inverse) and a real loss of complex inputs, at order 2: each composition passes;
    torch.autograd's forward over forward raises, as its docs say (a convention)."""
    case = CASES[cid]
    judged = _judged(case, framework, "complex128" if case.complex else "float64")
    assert list(judged.gradients) == composition_names(directional_apis(framework)[0], case.order)
    for name, g in judged.gradients.items():
        if name == "autograd:fwd-over-fwd":
            assert g.status == Status.ERROR and g.verdict == Verdict.CONVENTION, g
        else:
            assert g.verdict == Verdict.PASS, (name, g.failures)
    assert all(c.result == Agreement.AGREE for c in agreement.consistency(judged))


@pytest.mark.skipif(not installed("jax"), reason="jax")
def test_jax_gives_every_third_order_composition_of_exp_sin():
    judged = _judged(CASES["exp-sin-directional-3"], "jax")
    assert len(judged.gradients) == 8 and all(g.verdict == Verdict.PASS for g in judged.gradients.values())


@pytest.mark.skipif(not installed("torch"), reason="torch")
def test_a_wrong_nested_forward_rule_fails_exactly_the_compositions_that_differentiate_it():
    """A real torch.autograd.Function for x^3 whose backward and first-order jvp are right, but whose jvp rule
    detaches x, so that differentiating the jvp rule again (jvp of jvp, or reverse over it) loses 6 x t^2. The
    compositions whose inner mode is forward fail, named by the verdicts and as the odd ones by self-consistency
    (with no stated value: the oracle off, the minority); those whose inner mode is reverse pass."""
    Cube = wrong_jvp_cube()
    adapter = load(BUILTIN["torch"])
    x, v = np.array([0.5, 2.0]), np.array([1.0, -1.0])
    _, grads = adapter.directional(lambda env: Cube.apply(env["x"]).sum(), {"x": x}, "float64", {"x": v}, 2)
    want = float(np.sum(6 * x * v**2))
    values = {name: np.asarray(g.value) for name, g in grads.items() if g.status == Status.VALUE}
    wrong = {name for name, value in values.items() if not np.isclose(value, want)}
    assert wrong == {"func:fwd-over-fwd", "func:rev-over-fwd", "autograd:rev-over-fwd"}
    assert set(values) - wrong == {
        "func:fwd-over-rev",
        "func:rev-over-rev",
        "autograd:fwd-over-rev",
        "autograd:rev-over-rev",
    }
    _, first = adapter.directional(lambda env: Cube.apply(env["x"]).sum(), {"x": x}, "float64", {"x": v}, 1)
    assert all(np.isclose(np.asarray(g.value), np.sum(3 * x**2 * v)) for g in first.values())

    case = loader_case(
        "- id: cube\n  kind: directional\n  title: t\n  why: w\n  inputs: {x: [0.5, 2.0]}\n"
        "  direction: {x: [1.0, -1.0]}\n  function: sum(x)\n  order: 2\n  oracle: false\n"
        "  oracle_why: the function judged is the test's own\n"
    )
    refs = kinds.for_framework(kinds.reference(case), "torch", adapter.versions(), "float64")
    job = verdicts.Job(case, "torch", "float64", kinds.Computed(grads), versions=adapter.versions())
    judged = verdicts.judge_job(job, refs)
    (found,) = agreement.consistency(judged)
    assert found.result == Agreement.DIFFER_NO_REFERENCE and set(found.odd) == wrong
    record = report._job(judged)
    assert set(record.consistency[0].odd) == wrong


def loader_case(text: str) -> directional.DirectionalCase:
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "case.yaml"
        path.write_text(text)
        cases, errors = loader.load([path])
    assert not errors, errors
    case = cases[0].case
    assert isinstance(case, directional.DirectionalCase)
    return case


@pytest.mark.skipif(not installed("torch"), reason="torch")
def test_a_stated_value_names_the_compositions_that_miss_it_odd_and_the_report_and_summary_show_them():
    """torch's det along V at order 2 (https://github.com/pytorch/pytorch/issues/196696): the compositions that
    differentiate det's JVP rule give 9.8 where the math says 4."""
    judged = _judged(CASES["det-directional-2"], "torch")
    (found,) = agreement.consistency(judged)
    assert found.result == Agreement.DIFFER
    assert set(found.odd) == {"func:fwd-over-fwd", "func:rev-over-fwd", "autograd:rev-over-fwd"}
    from rich.console import Console

    from conformance import summary

    built = report.build(
        [judged],
        [c for c in loader.load([loader.LIBRARY / "directional"])[0] if c.case.id == "det-directional-2"],
        [],
        ["torch"],
    )
    console = Console(record=True, width=400)
    summary.render(built, console)
    text = console.export_text()
    assert "compositions differ from each other: 1" in text and "func:fwd-over-fwd, func:rev-over-fwd" in text


def test_jvp_and_jvp_reverse_are_siblings_and_one_that_differs_is_named_odd():
    """A jvp case's two products are one quantity: forward mode's answer that misses the math is the odd one, the
    reverse-mode rebuild that meets it is not; where they agree there is no finding."""
    case = next(
        c.case for c in loader.load([loader.LIBRARY / "forward"])[0] if c.case.kind == "jvp" and c.case.expected
    )
    refs = kinds.reference(case)
    assert {r.siblings for r in refs.values()} == {"J t"}
    want = np.asarray(refs["jvp"].expected)
    right = Gradient(Status.VALUE, want.copy())
    for forward, result, odd in ((want + 1.0, Agreement.DIFFER, ["jvp"]), (want.copy(), Agreement.AGREE, [])):
        job = verdicts.Job(
            case, "jax", "float64", kinds.Computed({"jvp": Gradient(Status.VALUE, forward), "jvp_reverse": right})
        )
        (found,) = agreement.consistency(verdicts.judge_job(job, refs))
        assert (found.result, found.odd) == (result, odd)


@pytest.mark.parametrize(
    "framework",
    [pytest.param(fw, marks=pytest.mark.skipif(not installed(fw), reason=fw)) for fw in ("torch", "tensorflow", "jax")],
)
def test_a_directional_job_records_its_primal_under_ad_and_the_direct_call_judged_like_other_kinds(framework):
    """f(x) as forward mode computes it beside phi'(0), and the framework's direct call: both match the oracle's f
    here; an output under AD one off fails the primal, and with it the job."""
    case = CASES["inv-directional-2"]
    judged = _judged(case, framework)
    assert judged.primal is not None and judged.primal.verdict == Verdict.PASS, judged.primal
    want = directional.primal_reference(case, "float64")
    np.testing.assert_allclose(judged.primal.value, want, rtol=1e-12)
    assert judged.primal.direct is not None and judged.job.computed is not None
    np.testing.assert_allclose(judged.primal.direct, want, rtol=1e-12)
    wrong = kinds.Computed(judged.job.computed.gradients, primal=kinds.Primal(want + 1.0, want))
    job = verdicts.Job(case, framework, "float64", wrong, versions=judged.job.versions)
    failed = verdicts.judge_job(job, kinds.for_framework(kinds.reference(case), framework, job.versions, "float64"))
    assert failed.primal is not None and failed.primal.verdict == Verdict.FAIL and failed.verdict == Verdict.FAIL
