"""Every adapter against the oracle on the seed cases, in-process: one parametrized test per framework."""

import numpy as np
import pytest

from conformance import expr, kinds, loader, verdicts
from conformance.adapters import BUILTIN, DISCONNECTED, ERROR, VALUE, load
from tests.conftest import framework_params

# the core cases, whose every gradient is a value (the whole library runs through the CLI and the runner)
# (of the MLE fits: the seed's MVN, and the Normal with L-BFGS and Adam, which pass in every framework)
SEED_CASES = {
    c.case.id: c.case
    for c in loader.load(
        [
            loader.LIBRARY / "vjp",
            loader.LIBRARY / "mle" / "mvn2.yaml",
            loader.LIBRARY / "mle" / "normal.yaml",
            loader.LIBRARY / "reparam" / "normal.yaml",
            loader.LIBRARY / "reparam" / "mvn.yaml",
        ]
    )[0]
}


@pytest.fixture(scope="module", params=framework_params())
def adapter(request):
    return load(BUILTIN[request.param])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case_id", sorted(SEED_CASES))
def test_seed_cases_pass_against_expected_and_oracle(adapter, case_id, dtype):
    case = SEED_CASES[case_id]
    job = verdicts.Job(case, adapter.name, dtype, kinds.compute(case, adapter, dtype), versions=adapter.versions())
    verdict = verdicts.judge([job])[0]
    assert verdict.verdict == "pass", verdict.all_failures()
    assert verdict.gradients and all(g.status == VALUE for g in verdict.gradients.values())
    for name, g in verdict.gradients.items():
        assert g.value is not None and g.value.dtype == np.dtype(dtype), name  # computed in the dtype asked for


def test_op_table_is_complete(adapter):
    assert set(adapter.ops("float64").functions) == set(expr.FUNCTIONS)


@pytest.mark.parametrize(
    "source",
    [
        "sum(exp(a) * sin(b))",
        "sum(sqrt(a) * log1p(b))",
        "sum(tanh(a) / softplus(b))",
        "mean(where(a > b, a * b, a - b))",
        "prod(maximum(a, b))",
        "sum(matmul(diag(a), [b, b, b]))",
        "sum(abs(a - 2) * expm1(b))",
    ],
)
def test_vjp_matches_oracle(adapter, source):
    inputs = {"a": np.array([0.5, 1.5, 2.5]), "b": np.array([1.0, 0.25, 3.0])}
    f = expr.parse(source, set(inputs))
    ops = adapter.ops("float64")
    _, grads = adapter.vjp(lambda env: f.evaluate(env, ops), inputs, "float64", None)
    from conformance import oracle

    want = oracle.finite_differences(lambda env: np.sum(oracle.evaluate(f, env)), inputs)
    for name, (value, bound) in want.items():
        np.testing.assert_allclose(grads[name].value, value, rtol=1e-7, atol=float(np.max(bound)) + 1e-9)


@pytest.mark.parametrize(("dtype", "carried"), [("float16", "float16"), ("bfloat16", "float32")])
def test_a_half_precision_gradient_leaves_the_worker_in_numpy(adapter, dtype, carried):
    """NumPy has no bfloat16: its gradients come out in float32, which holds them exactly; float16 as it is."""
    f, ops = expr.parse("sum(x * x)", {"x"}), adapter.ops(dtype)
    _, grads = adapter.vjp(lambda env: f.evaluate(env, ops), {"x": np.array([0.5, 1.25, -3.0])}, dtype, None)
    value = grads["x"].value
    assert value is not None and value.dtype == np.dtype(carried)
    np.testing.assert_array_equal(value, [1.0, 2.5, -6.0])  # 2x, exact in both dtypes


def test_disconnected_input_is_recorded_as_each_framework_gives_it(adapter):
    f = expr.parse("a * 2", {"a", "b"})
    ops = adapter.ops("float64")
    _, grads = adapter.vjp(lambda env: f.evaluate(env, ops), {"a": np.array(1.0), "b": np.array(2.0)}, "float64", None)
    assert grads["a"].status == VALUE and float(grads["a"].value) == 2.0
    # torch and TF give None; jax.grad hands its user zeros, which the adapter records as JAX's symbolic zero
    status, representation = {
        "torch": (DISCONNECTED, "None"),
        "tensorflow": (DISCONNECTED, "None"),
        "jax": (VALUE, "symbolic zero"),
    }[adapter.name]
    assert (grads["b"].status, grads["b"].representation) == (status, representation)


def test_gradient_of_a_vector_output_without_cotangent_is_an_error(adapter):
    f = expr.parse("a * 2", {"a"})
    ops = adapter.ops("float64")
    try:
        _, grads = adapter.vjp(lambda env: f.evaluate(env, ops), {"a": np.array([1.0, 2.0])}, "float64", None)
    except Exception:  # raising before the backward pass is as good as a per-gradient error
        return
    # TF sums a non-scalar target (documented tape.gradient behaviour); the others refuse
    if adapter.name == "tensorflow":
        np.testing.assert_array_equal(grads["a"].value, [2.0, 2.0])
    else:
        assert grads["a"].status == ERROR and grads["a"].error


def test_versions_name_the_framework_and_its_distribution_library(adapter):
    versions = adapter.versions()
    assert adapter.name in versions and all(versions.values())


DATA_CASES = """
- id: repeated
  kind: vjp
  title: t
  why: w
  inputs: {x: [1.0, 2.0, 3.0], i: {value: [2, 0, 2], dtype: int64}}
  function: take(x, i)
  cotangent: [1.0, 10.0, 100.0]
- id: asked
  kind: grad
  title: t
  why: w
  inputs: {x: [1.0, 2.0, 3.0], i: {value: [1], dtype: int32, differentiate: true}}
  function: sum(take(x, i))
  expected: {i: {status: disconnected, why: w}}
- id: cast
  kind: grad
  title: t
  why: w
  inputs: {x: [0.5, -1.25]}
  function: sum(astype(square(astype(x, 'float64')), 'float32'))
"""


@pytest.fixture(scope="module")
def data_cases(tmp_path_factory):
    path = tmp_path_factory.mktemp("cases") / "data.yaml"
    path.write_text(DATA_CASES, encoding="utf-8")
    cases, errors = loader.load([path])
    assert not errors, errors
    return {c.case.id: c.case for c in cases}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_a_repeated_index_accumulates_its_cotangents(adapter, data_cases, dtype):
    """take's VJP is a scatter-add: index 2 is read twice, so x_2 gets 1 + 100 (TF's IndexedSlices made dense)."""
    grads = kinds.compute(data_cases["repeated"], adapter, dtype).gradients
    value = grads["x"].value
    assert grads["x"].status == VALUE and value is not None and value.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(value, [10.0, 0.0, 101.0])
    assert set(grads) == {"x"}  # the index array is data: not differentiated


def test_the_gradient_of_an_integer_input_is_each_frameworks_answer(adapter, data_cases):
    grads = kinds.compute(data_cases["asked"], adapter, "float64").gradients
    np.testing.assert_array_equal(grads["x"].value, [0.0, 1.0, 0.0])  # x keeps its gradient either way
    status, representation = {
        "torch": (ERROR, None),
        "tensorflow": (DISCONNECTED, "None"),
        "jax": (VALUE, "symbolic zero: float0 of shape (1,)"),
    }[adapter.name]
    assert (grads["i"].status, grads["i"].representation) == (status, representation)
    if adapter.name == "torch":
        assert "only Tensors of floating point dtype can require gradients" in (grads["i"].error or "")


def test_a_cast_s_gradient_is_cast_back_to_the_input_s_dtype(adapter, data_cases):
    value = kinds.compute(data_cases["cast"], adapter, "float32").gradients["x"].value
    assert value is not None and value.dtype == np.dtype("float32")
    np.testing.assert_array_equal(value, [1.0, -2.5])


COMPLEX_RAW = {"torch": "as is", "tensorflow": "as is", "jax": "conjugated"}


@pytest.mark.parametrize("dtype", ["complex64", "complex128"])
def test_a_complex_gradient_is_mapped_from_the_frameworks_documented_convention(adapter, dtype):
    """The math: for a real loss L(z), dL/dx + i dL/dy; torch and TF answer it as is, JAX its conjugate."""
    z = np.array([1 + 2j, -0.5 + 0.25j])
    f = expr.parse("sum(abs(z) ** 2)", {"z"})
    ops = adapter.ops(dtype)
    _, grads = adapter.vjp(lambda env: f.evaluate(env, ops), {"z": z}, dtype, None)
    g = grads["z"]
    assert g.value.dtype == np.dtype(dtype)
    np.testing.assert_allclose(g.value, 2 * z, rtol=1e-6)  # d(x^2 + y^2)/dx + i d/dy = 2z
    raw = {"as is": 2 * z, "conjugated": np.conj(2 * z)}[COMPLEX_RAW[adapter.name]]
    np.testing.assert_allclose(g.raw, raw, rtol=1e-6)
    assert g.convention is adapter.complex_convention and g.convention.conjugated == (adapter.name == "jax")


def test_a_complex_vjp_is_the_gradient_of_re_conj_v_times_the_output(adapter):
    z, v = np.array([1 + 2j, -0.5 + 0.25j]), np.array([0.3 - 1j, 2 + 0.5j])
    f = expr.parse("exp(z)", {"z"})
    ops = adapter.ops("complex128")
    _, grads = adapter.vjp(lambda env: f.evaluate(env, ops), {"z": z}, "complex128", v)
    np.testing.assert_allclose(grads["z"].value, v * np.conj(np.exp(z)), rtol=1e-12)  # holomorphic: v conj(f')


def test_a_complex_jvp_is_compared_as_it_stands(adapter):
    z, t = np.array([1 + 2j, -0.5 + 0.25j]), np.array([0.3 - 1j, 2 + 0.5j])
    f = expr.parse("exp(z) * conj(z)", {"z"})
    ops = adapter.ops("complex128")
    _, tangent = adapter.jvp(lambda env: f.evaluate(env, ops), {"z": z}, "complex128", {"z": t})
    # d(exp(z) conj(z)) = exp(z) conj(z) dz + exp(z) conj(dz): not holomorphic, convention-free all the same
    np.testing.assert_allclose(tangent.value, np.exp(z) * np.conj(z) * t + np.exp(z) * np.conj(t), rtol=1e-12)
    assert tangent.raw is None


COMPLEX_CASES = {
    c.case.id: c.case
    for c in loader.load([loader.LIBRARY / "array-api" / "complex.yaml", loader.LIBRARY / "array-api" / "fft.yaml"])[0]
}


@pytest.mark.parametrize(
    "case_id", ["complex-antiholomorphic-vjp", "complex-exp-conj-jvp", "complex-matmul-vjp", "rfft-vjp", "irfft-vjp"]
)
def test_complex_cases_pass_in_process(adapter, case_id):
    """The whole path (inputs, cotangents and basis vectors in the output's dtype, the mapping, jvp_reverse)."""
    case = COMPLEX_CASES[case_id]
    dtype = "complex128" if case.complex else "float64"
    job = verdicts.Job(case, adapter.name, dtype, kinds.compute(case, adapter, dtype), versions=adapter.versions())
    verdict = verdicts.judge([job])[0]
    assert verdict.verdict == "pass", verdict.all_failures()
    for name, g in verdict.gradients.items():
        assert g.value is not None and np.iscomplexobj(g.value) == (case.complex or name == "jvp"), name
