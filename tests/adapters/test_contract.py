"""Every adapter against the oracle on the seed cases, in-process: one parametrized test per framework."""

import numpy as np
import pytest

from conformance import expr, kinds, loader, verdicts
from conformance.adapters import BUILTIN, DISCONNECTED, ERROR, VALUE, load
from tests.conftest import framework_params

# the core cases, whose every gradient is a value (the whole library runs through the CLI and the runner)
# (of the MLE fits: the seed's MVN, and the Normal with L-BFGS and Adam, which pass in every framework)
SEED_CASES = {c.case.id: c.case for c in loader.load([loader.LIBRARY / "vjp", loader.LIBRARY / "mle" / "mvn2.yaml",
                                                       loader.LIBRARY / "mle" / "normal.yaml",
                                                       loader.LIBRARY / "reparam" / "normal.yaml",
                                                       loader.LIBRARY / "reparam" / "mvn.yaml"])[0]}


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


@pytest.mark.parametrize("source", ["sum(exp(a) * sin(b))", "sum(sqrt(a) * log1p(b))", "sum(tanh(a) / softplus(b))",
                                    "mean(where(a > b, a * b, a - b))", "prod(maximum(a, b))",
                                    "sum(matmul(diag(a), [b, b, b]))", "sum(abs(a - 2) * expm1(b))"])
def test_vjp_matches_oracle(adapter, source):
    inputs = {"a": np.array([0.5, 1.5, 2.5]), "b": np.array([1.0, 0.25, 3.0])}
    f = expr.parse(source, set(inputs))
    ops = adapter.ops("float64")
    _, grads = adapter.vjp(lambda env: f.evaluate(env, ops), inputs, "float64", None)
    from conformance import oracle
    want = oracle.finite_differences(lambda env: np.sum(oracle.evaluate(f, env)), inputs)
    for name, (value, bound) in want.items():
        np.testing.assert_allclose(grads[name].value, value, rtol=1e-7, atol=float(np.max(bound)) + 1e-9)


def test_disconnected_input_is_recorded_not_zeroed(adapter):
    f = expr.parse("a * 2", {"a", "b"})
    ops = adapter.ops("float64")
    _, grads = adapter.vjp(lambda env: f.evaluate(env, ops), {"a": np.array(1.0), "b": np.array(2.0)},
                           "float64", None)
    assert grads["a"].status == VALUE and float(grads["a"].value) == 2.0
    assert grads["b"].status == DISCONNECTED
    assert grads["b"].representation == {"torch": "None", "tensorflow": "None", "jax": "symbolic zero"}[adapter.name]


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
    status, representation = {"torch": (ERROR, None), "tensorflow": (DISCONNECTED, "None"),
                              "jax": (DISCONNECTED, "float0 of shape (1,)")}[adapter.name]
    assert (grads["i"].status, grads["i"].representation) == (status, representation)
    if adapter.name == "torch":
        assert "only Tensors of floating point dtype can require gradients" in (grads["i"].error or "")


def test_a_cast_s_gradient_is_cast_back_to_the_input_s_dtype(adapter, data_cases):
    value = kinds.compute(data_cases["cast"], adapter, "float32").gradients["x"].value
    assert value is not None and value.dtype == np.dtype("float32")
    np.testing.assert_array_equal(value, [1.0, -2.5])
