"""TF's sparse gradients: tf.gather's tf.IndexedSlices is made dense, repeated indices summed, and recorded."""

import numpy as np
import pytest

from conformance.vocabulary import Regime
from tests.conftest import installed

pytestmark = pytest.mark.skipif(not installed("tensorflow"), reason="tensorflow not installed")


@pytest.mark.parametrize("regime", list(Regime))
def test_indexed_slices_are_made_dense_with_repeated_indices_summed(regime):
    import tensorflow as tf

    from conformance.adapters import VALUE, Gradient
    from conformance.adapters.tensorflow import autodiff

    x, indices = tf.constant([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]), tf.constant([2, 0, 2])
    with tf.GradientTape() as tape:  # what the tape gives by itself: the sparse form
        tape.watch(x)
        raw = tape.gradient(tf.gather(x, indices), x)
    assert isinstance(raw, tf.IndexedSlices) and list(raw.indices.numpy()) == [2, 0, 2]
    cotangent = tf.constant([[1.0, 2.0], [10.0, 20.0], [100.0, 200.0]])
    _, (grad,) = autodiff.pullback(lambda x: tf.gather(x, indices), [x], cotangent, regime)
    assert isinstance(grad, Gradient) and grad.status == VALUE and grad.representation == "IndexedSlices"
    np.testing.assert_array_equal(grad.value, [[10.0, 20.0], [0.0, 0.0], [101.0, 202.0]])


@pytest.mark.parametrize("regime", list(Regime))
def test_a_hessian_vector_product_through_a_gather_is_dense_by_every_composition(regime):
    """The reverse pass's IndexedSlices is made dense where an outer level differentiates it (inside the
    ForwardAccumulator, or in the inner product a reverse level differentiates); where it is the answer (the outer
    level reverse) it is kept as TF gives it, and recorded."""
    import tensorflow as tf

    from conformance.adapters import Gradient
    from conformance.adapters.tensorflow import autodiff

    x, indices = tf.constant([1.0, 2.0, 3.0]), tf.constant([2, 2, 0])
    _, found = autodiff.hessian_vector(
        lambda x: tf.reduce_sum(tf.gather(x, indices) ** 2), [x], [tf.constant([1.0, 10.0, 100.0])], regime
    )
    assert list(found) == ["fwd-over-rev", "rev-over-fwd", "rev-over-rev"]
    for name, (hv,) in found.items():
        value = hv.value if isinstance(hv, Gradient) else np.asarray(hv)
        np.testing.assert_array_equal(value, [2.0, 0.0, 400.0], err_msg=name)  # H = diag(2 * uses) = diag(2, 0, 4)
    assert isinstance(found["rev-over-rev"][0], Gradient) and found["rev-over-rev"][0].representation == "IndexedSlices"


def test_the_compiled_regimes_trace_the_tape_into_a_graph_and_xla_compiles_it():
    """Eager runs op by op; compiled and xla trace the function (it sees a graph); only xla rejects an op XLA cannot
    compile (tf.py_function runs Python: it has no XLA kernel)."""
    import tensorflow as tf

    from conformance.adapters.tensorflow import autodiff
    from conformance.vocabulary import Regime

    seen = []

    def f(x):
        seen.append(tf.executing_eagerly())
        return tf.reduce_sum(tf.py_function(lambda v: v * 2.0, [x], tf.float64) * x)

    for regime in (Regime.EAGER, Regime.COMPILED):
        _, (grad,) = autodiff.pullback(f, [tf.constant([1.0, 2.0], tf.float64)], None, regime)
        np.testing.assert_allclose(grad, [4.0, 8.0])
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"unsupported operations .* on XLA_CPU_JIT: EagerPyFunc"):
        autodiff.pullback(f, [tf.constant([1.0, 2.0], tf.float64)], None, Regime.XLA)
    assert seen == [True, False, False]


@pytest.mark.parametrize("regime", ["eager", "compiled", "xla"])
def test_every_second_order_composition_of_tape_and_accumulator_in_each_regime(regime):
    """x^T A x along v at order 2 is 2 v^T A v, by ForwardAccumulator and GradientTape nested four ways, in eager,
    tf.function and XLA; an array-valued f (A x) has every composition zero at order 2."""
    from conformance.adapters import BUILTIN, load
    from conformance.vocabulary import Regime

    adapter = load(BUILTIN["tensorflow"])
    adapter.regime = Regime(regime)
    ops = adapter.ops("float64")
    a = np.array([[2.0, 1.0], [1.0, 3.0]])
    x, v = np.array([0.5, -1.0]), np.array([1.0, 2.0])
    matrix = adapter.array(a, "float64")
    quadratic = lambda env: ops.functions["sum"](env["x"] * ops.functions["matmul"](matrix, env["x"]))
    _, grads = adapter.directional(quadratic, {"x": x}, "float64", {"x": v}, 2)
    assert list(grads) == ["fwd-over-fwd", "fwd-over-rev", "rev-over-fwd", "rev-over-rev"]
    for name, g in grads.items():
        assert float(np.asarray(g.value)) == pytest.approx(2 * v @ a @ v, rel=1e-14), name
    _, linear = adapter.directional(
        lambda env: ops.functions["matmul"](matrix, env["x"]), {"x": x}, "float64", {"x": v}, 2
    )
    assert all(np.array_equal(np.asarray(g.value), [0.0, 0.0]) for g in linear.values())
