"""TensorFlow's autodiff primitives: tf.GradientTape for reverse mode, tf.autodiff.ForwardAccumulator forward.

Eager runs them op by op (TF 2's default); the compiled regimes wrap the whole tape computation in tf.function
(with jit_compile=True for XLA), as a user writes a train step, so the gradient is computed in the graph.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import tensorflow as tf

from conformance.adapters import (
    FORWARD,
    REVERSE,
    VALUE,
    Gradient,
    composition_name,
    compositions,
    hvp_compositions,
    inner_product,
    nested,
)
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
        return out, tape.gradient(
            out, xs, output_gradients=None if cotangent is None else tf.cast(cotangent, out.dtype)
        )

    out, grads = _in(regime, step)(xs, cotangent)
    return out, [_gradient(g) for g in grads]


def pushforward(f: Callable[..., Any], xs: list[Any], tangents: list[Any], regime: Regime) -> tuple[Any, Any]:
    def step(xs: list[Any], tangents: list[Any]) -> tuple[Any, Any]:
        with tf.autodiff.ForwardAccumulator(xs, tangents) as accumulator:
            out = f(*xs)
        return out, accumulator.jvp(out)

    return _in(regime, step)(xs, tangents)


def hessian_vector(
    f: Callable[..., Any], xs: list[Any], tangents: list[Any], regime: Regime
) -> tuple[Any, dict[str, Any]]:
    """f(*xs) and H v per input by each composition of `hvp_compositions` (its values, or what it raised): a
    ForwardAccumulator along v for a forward level, a GradientTape of the inner level's inner product with v for a
    reverse one, nested as TF's autodiff guide nests them; the compiled regimes run each composition whole in one
    tf.function, f(*xs) beside the first."""
    found: dict[str, Any] = {}
    out = None
    for modes in hvp_compositions():

        def step(xs: list[Any], tangents: list[Any], modes: tuple[str, ...] = modes) -> tuple[Any, Any]:
            return f(*xs), nested(f, modes, _hvp_levels(tangents))(*xs)

        try:
            value, hv = _in(regime, step)(xs, tangents)
        except Exception as err:  # a composition TF cannot nest is that gradient's finding
            found[composition_name(modes)] = err
            continue
        out = value if out is None else out
        found[composition_name(modes)] = [_gradient(g) for g in hv]
    return f(*xs) if out is None else out, found


def _hvp_levels(vs: list[Any]) -> dict[str, Callable[[Callable[..., Any]], Callable[..., Any]]]:
    """TF's levels of an H v along `vs`, each taking a function of the inputs to its derivative. A sparse gradient
    (tf.gather's IndexedSlices) is made dense where an outer level differentiates it (inside the accumulator: its
    jvp takes none), and kept as TF gives it where it is the answer."""

    def forward(g: Callable[..., Any]) -> Callable[..., Any]:
        def derivative(*xs: Any) -> Any:
            with tf.autodiff.ForwardAccumulator(list(xs), list(vs)) as accumulator:
                value = g(*xs)
                dense = [_dense(d) for d in value] if isinstance(value, list) else value
            return (
                [None if d is None else accumulator.jvp(d) for d in dense]
                if isinstance(dense, list)
                else accumulator.jvp(dense)
            )

        return derivative

    def reverse(g: Callable[..., Any]) -> Callable[..., Any]:
        def derivative(*xs: Any) -> Any:
            with tf.GradientTape() as tape:
                tape.watch(list(xs))
                value = g(*xs)
                scalar = inner_product(
                    [_dense(d) for d in value] if isinstance(value, list) else value,
                    vs,
                    lambda a, b: tf.reduce_sum(a * b),
                )
            return [None] * len(xs) if scalar is None else tape.gradient(scalar, list(xs))

        return derivative

    return {FORWARD: forward, REVERSE: reverse}


def _dense(grad: Any) -> Any:
    return tf.convert_to_tensor(grad) if isinstance(grad, tf.IndexedSlices) else grad


def evaluate(f: Callable[..., Any], xs: list[Any], regime: Regime) -> Any:
    """f(*xs) with no tape or accumulator watching it; in tf.function (jit_compile in XLA) in the compiled
    regimes, as the steps above are."""

    def call(xs: list[Any]) -> Any:  # a def, as the steps above: AutoGraph cannot convert this lambda
        return f(*xs)

    return _in(regime, call)(xs)


def directional(
    f: Callable[..., Any], xs: list[Any], vs: list[Any], order: int, regime: Regime
) -> tuple[Any, dict[str, Any]]:
    """f(*xs) and d^order/ds^order f(*(xs + s vs)) at s = 0 by each composition (its value, or what it raised):
    tf.GradientTape for a reverse level, tf.autodiff.ForwardAccumulator for a forward one, nested as TF's autodiff
    guide nests them; the compiled regimes run each composition whole in one tf.function. f(*xs) is phi(0) under
    AD: computed while a ForwardAccumulator watches s."""
    s = tf.zeros((), xs[0].dtype.real_dtype)

    def phi(s: Any) -> Any:
        return f(*(x + tf.cast(s, x.dtype) * v for x, v in zip(xs, vs, strict=True)))

    found: dict[str, Any] = {}
    for modes in compositions(order):
        try:
            found[composition_name(modes)] = _in(regime, nested(phi, modes, _LEVELS))(s)
        except Exception as err:  # a composition TF cannot nest is that gradient's finding
            found[composition_name(modes)] = err

    def under_ad(s: Any) -> Any:
        with tf.autodiff.ForwardAccumulator(s, tf.ones_like(s)):
            return phi(s)

    return _in(regime, under_ad)(s), found


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
        rows = [
            tape.gradient(out, s, output_gradients=basis[k], unconnected_gradients=tf.UnconnectedGradients.ZERO)
            for k in range(size)
        ]
        return tf.reshape(tf.stack(rows), tf.shape(out))

    return derivative


_LEVELS = {FORWARD: _forward, REVERSE: _reverse}
