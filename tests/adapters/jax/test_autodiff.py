"""JAX's autodiff module compiles each traced program once and never confuses two programs."""
import numpy as np
import pytest

from conformance import expr
from tests.conftest import installed

pytestmark = pytest.mark.skipif(not installed("jax"), reason="jax not installed")


@pytest.fixture(scope="module")
def adapter():
    from conformance.adapters import BUILTIN, load

    return load(BUILTIN["jax"])


def programs() -> int:
    from conformance.adapters.jax import autodiff

    return len(autodiff._PROGRAMS)


def gradient(adapter, source: str, a: list[float], constant: list[float] | None = None) -> np.ndarray:
    f = expr.parse(source, {"a"})
    ops = adapter.ops("float64")
    fixed = None if constant is None else adapter.array(np.array(constant), "float64")
    fn = lambda env: f.evaluate(env, ops) if fixed is None else f.evaluate(env, ops) * ops.functions["sum"](fixed)
    return adapter.vjp(fn, {"a": np.array(a)}, "float64", None)[1]["a"].value


def test_same_program_at_new_values_reuses_its_compilation(adapter):
    before = programs()
    np.testing.assert_allclose(gradient(adapter, "sum(sin(a))", [0.1, 0.2]), np.cos([0.1, 0.2]))
    np.testing.assert_allclose(gradient(adapter, "sum(sin(a))", [1.0, 2.0]), np.cos([1.0, 2.0]))
    assert programs() == before + 1


def test_programs_that_differ_only_in_an_operation_or_a_constant_stay_apart(adapter):
    np.testing.assert_allclose(gradient(adapter, "sum(cos(a))", [0.1, 0.2]), -np.sin([0.1, 0.2]))
    np.testing.assert_allclose(gradient(adapter, "sum(a)", [0.1, 0.2], constant=[1.0, 2.0]), [3.0, 3.0])
    np.testing.assert_allclose(gradient(adapter, "sum(a)", [0.1, 0.2], constant=[1.0, 5.0]), [6.0, 6.0])
