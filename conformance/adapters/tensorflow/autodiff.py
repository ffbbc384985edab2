"""TensorFlow's autodiff primitives: tf.GradientTape for reverse mode, tf.autodiff.ForwardAccumulator forward."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import tensorflow as tf

from conformance.adapters import VALUE, Gradient
from conformance.adapters.tensorflow.core import numpy


def _gradient(grad: Any) -> Any:
    """IndexedSlices (TF's sparse gradient) made dense, its representation recorded."""
    if isinstance(grad, tf.IndexedSlices):
        return Gradient(VALUE, numpy(grad), representation="IndexedSlices")
    return grad


def pullback(f: Callable[..., Any], xs: list[Any], cotangent: Any) -> tuple[Any, list[Any]]:
    """f(*xs) and its VJP; with no cotangent TF sums a non-scalar output (output_gradients of ones)."""
    with tf.GradientTape() as tape:
        tape.watch(xs)
        out = f(*xs)
    return out, [_gradient(g) for g in tape.gradient(out, xs, output_gradients=cotangent)]


def pushforward(f: Callable[..., Any], xs: list[Any], tangents: list[Any]) -> tuple[Any, Any]:
    with tf.autodiff.ForwardAccumulator(xs, tangents) as accumulator:
        out = f(*xs)
    return out, accumulator.jvp(out)


def hessian_vector(f: Callable[..., Any], xs: list[Any], tangents: list[Any]) -> tuple[Any, list[Any]]:
    """Forward over reverse: a ForwardAccumulator around a GradientTape, as the TF autodiff guide shows."""
    with tf.autodiff.ForwardAccumulator(xs, tangents) as accumulator:
        with tf.GradientTape() as tape:
            tape.watch(xs)
            out = f(*xs)
        # made dense while the accumulator watches: its jvp takes no IndexedSlices (tf.gather's gradient)
        grads = [tf.convert_to_tensor(g) if isinstance(g, tf.IndexedSlices) else g for g in tape.gradient(out, xs)]
    return out, [None if g is None else _gradient(accumulator.jvp(g)) for g in grads]
