"""TensorFlow's autodiff primitives: tf.GradientTape for reverse mode, tf.autodiff.ForwardAccumulator forward.

Eager runs them op by op (TF 2's default); the compiled regimes wrap the whole tape computation in tf.function
(with jit_compile=True for XLA), as a user writes a train step, so the gradient is computed in the graph.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import tensorflow as tf

from conformance.adapters import FORWARD, REVERSE, VALUE, Gradient, composition_name, compositions, nested
from conformance.adapters.tensorflow.core import numpy
from conformance.vocabulary import Regime


def _in(regime: Regime, step: Callable[..., Any]) -> Callable[..., Any]:
    if regime == Regime.EAGER:
        return step
    # one trace per job: its function is new, and reduce_retracing would make its shapes symbolic
    return tf.function(step, jit_compile=regime == Regime.XLA)


def _gradient(grad: Any) -> Any:
    """IndexedSlices (TF's sparse gradient) made dense, its representation recorded."""
    if isinstance(grad, tf.IndexedSlices):
        return Gradient(VALUE, numpy(grad), representation="IndexedSlices")
    return grad


def pullback(f: Callable[..., Any], xs: list[Any], cotangent: Any, regime: Regime) -> tuple[Any, list[Any]]:
    """f(*xs) and its VJP; with no cotangent TF sums a non-scalar output (output_gradients of ones)."""
    def step(xs: list[Any], cotangent: Any) -> tuple[Any, list[Any]]:
        with tf.GradientTape() as tape:
            tape.watch(xs)
            out = f(*xs)
        # in the output's dtype, which astype makes differ from the job's (found by conformance fuzz: a float32
        # cotangent of astype(x, 'float64') met exp's float64 gradient in a Mul and raised)
        return out, tape.gradient(out, xs, output_gradients=None if cotangent is None else tf.cast(cotangent,
                                                                                                    out.dtype))

    out, grads = _in(regime, step)(xs, cotangent)
    return out, [_gradient(g) for g in grads]


def pushforward(f: Callable[..., Any], xs: list[Any], tangents: list[Any], regime: Regime) -> tuple[Any, Any]:
    def step(xs: list[Any], tangents: list[Any]) -> tuple[Any, Any]:
        with tf.autodiff.ForwardAccumulator(xs, tangents) as accumulator:
            out = f(*xs)
        return out, accumulator.jvp(out)

    return _in(regime, step)(xs, tangents)


def hessian_vector(f: Callable[..., Any], xs: list[Any], tangents: list[Any], regime: Regime) -> tuple[Any, list[Any]]:
    """Forward over reverse: a ForwardAccumulator around a GradientTape, as the TF autodiff guide shows."""
    def step(xs: list[Any], tangents: list[Any]) -> tuple[Any, list[Any]]:
        with tf.autodiff.ForwardAccumulator(xs, tangents) as accumulator:
            with tf.GradientTape() as tape:
                tape.watch(xs)
                out = f(*xs)
            # made dense while the accumulator watches: its jvp takes no IndexedSlices (tf.gather's gradient)
            grads = [tf.convert_to_tensor(g) if isinstance(g, tf.IndexedSlices) else g
                     for g in tape.gradient(out, xs)]
        return out, [None if g is None else accumulator.jvp(g) for g in grads]

    out, hv = _in(regime, step)(xs, tangents)
    return out, [_gradient(g) for g in hv]


def evaluate(f: Callable[..., Any], xs: list[Any], regime: Regime) -> Any:
    """f(*xs) with no tape or accumulator watching it; in tf.function (jit_compile in XLA) in the compiled
    regimes, as the steps above are."""
    def call(xs: list[Any]) -> Any:  # a def, as the steps above: AutoGraph cannot convert this lambda
        return f(*xs)

    return _in(regime, call)(xs)


def directional(f: Callable[..., Any], xs: list[Any], vs: list[Any], order: int,
                regime: Regime) -> tuple[Any, dict[str, Any]]:
    """f(*xs) and d^order/ds^order f(*(xs + s vs)) at s = 0 by each composition (its value, or what it raised):
    tf.GradientTape for a reverse level, tf.autodiff.ForwardAccumulator for a forward one, nested as TF's autodiff
    guide nests them; the compiled regimes run each composition whole in one tf.function."""
    s = tf.zeros((), xs[0].dtype.real_dtype)

    def phi(s: Any) -> Any:
        return f(*(x + tf.cast(s, x.dtype) * v for x, v in zip(xs, vs, strict=True)))

    found: dict[str, Any] = {}
    for modes in compositions(order):
        try:
            found[composition_name(modes)] = _in(regime, nested(phi, modes, _LEVELS))(s)
        except Exception as err:  # a composition TF cannot nest is that gradient's finding
            found[composition_name(modes)] = err
    return f(*xs), found


def _forward(g: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def derivative(s: Any) -> Any:
        with tf.autodiff.ForwardAccumulator(s, tf.ones_like(s)) as accumulator:
            out = g(s)
        return accumulator.jvp(out, unconnected_gradients=tf.UnconnectedGradients.ZERO)
    return derivative


def _reverse(g: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """One tape.gradient per element of g (its one-hot output_gradients), from a persistent tape (the shape is
    static: f's shape is known from the case)."""
    def derivative(s: Any) -> Any:
        with tf.GradientTape(persistent=True) as tape:
            tape.watch(s)
            out = g(s)
        size = out.shape.num_elements()  # static: a tf.function traces the loop, one gradient per element
        basis = tf.reshape(tf.eye(size, dtype=out.dtype), [size, *out.shape.as_list()])
        rows = [tape.gradient(out, s, output_gradients=basis[k], unconnected_gradients=tf.UnconnectedGradients.ZERO)
                for k in range(size)]
        return tf.reshape(tf.stack(rows), tf.shape(out))
    return derivative


_LEVELS = {FORWARD: _forward, REVERSE: _reverse}
