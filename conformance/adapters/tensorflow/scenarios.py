"""The behaviour scenarios in TensorFlow's own idiom: tapes that watch, variables, assign_sub."""

from __future__ import annotations

from typing import Any

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from conformance.adapters import Adapter, failed, observed
from conformance.adapters.tensorflow.core import numpy

tfd = tfp.distributions


def _watched(tape: Any, *values: float, dtype: str) -> list[Any]:
    xs = [tf.constant(v, dtype=dtype) for v in values]
    tape.watch(xs)
    return xs


def _value(grad: Any) -> Any:
    return None if grad is None else numpy(grad)


def rebuilt_tensor_cuts_graph(adapter: Adapter, dtype: str) -> dict:
    with tf.GradientTape(persistent=True) as tape:
        s0, s1, rho = _watched(tape, 1.5, 0.5, 0.6, dtype=dtype)
        stacked = tf.stack([tf.stack([s0**2, rho * s0 * s1]), tf.stack([rho * s0 * s1, s1**2])])
        # numpy values back into a constant: the tape sees a new constant, not s0, s1, rho
        rebuilt = tf.constant(
            np.array([[s0.numpy() ** 2, (rho * s0 * s1).numpy()], [(rho * s0 * s1).numpy(), s1.numpy() ** 2]]),
            dtype=dtype,
        )
        loss_stacked, loss_rebuilt = tf.reduce_sum(stacked), tf.reduce_sum(rebuilt)
    fixed = tape.gradient(loss_stacked, [s0, s1, rho])
    naive = tape.gradient(loss_rebuilt, [s0, s1, rho])
    return observed(
        None,
        rebuilt_s0=_value(naive[0]),
        rebuilt_rho=_value(naive[2]),
        stacked_s0=numpy(fixed[0]),
        stacked_s1=numpy(fixed[1]),
        stacked_rho=numpy(fixed[2]),
    )


def distribution_reused_across_steps(adapter: Adapter, dtype: str) -> dict:
    x = adapter.array(np.array([1.0, 2.0, 3.0]), dtype)
    # naive: the scale computed once, eagerly, outside any tape: a constant to every later tape
    loc, log_scale = tf.Variable(0.0, dtype=dtype), tf.Variable(0.0, dtype=dtype)
    normal = tfd.Normal(loc=loc, scale=tf.exp(log_scale))
    with tf.GradientTape() as tape:
        loss = -tf.reduce_sum(normal.log_prob(x))
    naive = tape.gradient(loss, [loc, log_scale])
    # the fix: a TransformedVariable defers exp(.) to each use, so one distribution serves every step
    loc = tf.Variable(0.0, dtype=dtype)
    scale = tfp.util.TransformedVariable(1.0, bijector=tfp.bijectors.Exp(), dtype=dtype)
    normal = tfd.Normal(loc=loc, scale=scale)
    for _ in range(2):
        with tf.GradientTape() as tape:
            loss = -tf.reduce_sum(normal.log_prob(x))
        variables = [loc, scale.trainable_variables[0]]
        grads = tape.gradient(loss, variables)
        for v, g in zip(variables, grads, strict=True):
            v.assign_sub(0.1 * g)
    return observed(
        None,
        step1_loc=_value(naive[0]),
        step1_log_scale=_value(naive[1]),
        step2_loc=numpy(grads[0]),
        step2_log_scale=numpy(grads[1]),
    )


def gradients_accumulate(adapter: Adapter, dtype: str) -> dict:
    with tf.GradientTape(persistent=True) as tape:
        a, b, c = _watched(tape, 1.0, 1.0, 1.0, dtype=dtype)
        y = 3 * a + 2 * b * b + tf.math.log(c)
    tape.gradient(y, [a, b, c])
    twice = tape.gradient(y, [a, b, c])  # a tape returns gradients; it keeps no .grad to add to
    with tf.GradientTape() as tape:
        a, b, c = _watched(tape, 1.0, 1.0, 1.0, dtype=dtype)
        y = 3 * a + 2 * b * b + tf.math.log(c)
    once = tape.gradient(y, [a, b, c])
    return observed(
        None,
        twice_a=numpy(twice[0]),
        twice_b=numpy(twice[1]),
        twice_c=numpy(twice[2]),
        zeroed_a=numpy(once[0]),
        zeroed_b=numpy(once[1]),
        zeroed_c=numpy(once[2]),
    )


def vector_gradient_for_scalar(adapter: Adapter, dtype: str) -> dict:
    a = tf.ones(3, dtype=dtype)
    with tf.GradientTape() as tape:
        tape.watch(a)
        y = tf.reduce_sum(3 * a)
    try:
        grad = tape.gradient(y, a, output_gradients=tf.constant([1.0, 2.0, 3.0], dtype=dtype))
    except Exception as err:
        return observed(err, a=failed(err))
    return observed(None, a=_value(grad))


def _sine_loss(theta: Any, s: int) -> Any:
    t = tf.linspace(tf.constant(0.0, theta.dtype), tf.constant(2 * np.pi, theta.dtype), s)
    return tf.reduce_sum(tf.reduce_sum(tf.sin(t[:, None] + theta[None, :]), 1) ** 2) / s


def loss_computed_outside_loop(adapter: Adapter, dtype: str) -> dict:
    theta = tf.Variable(np.array([0.0, 0.5]), dtype=dtype)
    loss = _sine_loss(theta, 64)  # once, outside the loop (and outside any tape)
    before, grads = float(loss), []
    for _ in range(3):
        with tf.GradientTape() as tape:
            pass  # the loss is not recomputed here, so the tape records nothing
        grads.append(tape.gradient(loss, theta))
    naive_change = float(loss) - before
    start = float(_sine_loss(theta, 64))
    for _ in range(3):
        with tf.GradientTape() as tape:
            loss = _sine_loss(theta, 64)  # the fix: inside the tape, inside the loop
        theta.assign_sub(0.5 * tape.gradient(loss, theta))
    return observed(
        None,
        naive_loss_change=naive_change,
        naive_gradient=_value(grads[-1]),
        fixed_loss_decreased=float(float(_sine_loss(theta, 64)) < start),
    )


def symmetric_start(adapter: Adapter, dtype: str) -> dict:
    theta = tf.Variable(np.zeros(2), dtype=dtype)
    with tf.GradientTape() as tape:
        loss = _sine_loss(theta, 64)
    grad = numpy(tape.gradient(loss, theta))
    theta = tf.Variable(np.array([0.0, 0.5]), dtype=dtype)
    for _ in range(100):
        with tf.GradientTape() as tape:
            loss = _sine_loss(theta, 64)
        theta.assign_sub(0.5 * tape.gradient(loss, theta))
    t = tf.linspace(tf.constant(0.0, theta.dtype), tf.constant(2 * np.pi, theta.dtype), 64)
    residual = tf.reduce_max(tf.abs(tf.reduce_sum(tf.sin(t[:, None] + theta[None, :]), 1)))
    return observed(
        None,
        symmetric_grad_0=grad[0],
        symmetric_grad_1=grad[1],
        symmetric_grad_difference=grad[0] - grad[1],
        perturbed_max_abs_sum=numpy(residual),
    )


def non_reparameterizable_samples(adapter: Adapter, dtype: str) -> dict:
    p, rate = tf.constant(0.3, dtype), tf.constant(2.0, dtype)
    logits = tf.constant(np.log([0.2, 0.3, 0.5]), dtype)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch([p, rate, logits])
        samples = {
            "bernoulli": (tf.cast(tfd.Bernoulli(probs=p).sample(10, seed=(0, 0)), dtype), p),
            "poisson": (tfd.Poisson(rate=rate).sample(10, seed=(0, 0)), rate),
            "categorical": (tf.cast(tfd.Categorical(logits=logits).sample(10, seed=(0, 0)), dtype), logits),
        }
        totals = {name: tf.reduce_sum(sample) for name, (sample, _) in samples.items()}
        scores = {
            "bernoulli": _surrogate(tfd.Bernoulli(probs=p, dtype=dtype), tf.range(2, dtype=dtype)),
            "poisson": _surrogate(tfd.Poisson(rate=rate), tf.range(60, dtype=dtype)),
            "categorical": _surrogate(tfd.Categorical(logits=logits), tf.range(3)),
        }
    values = {f"{name}_sample_grad": _value(tape.gradient(totals[name], param)) for name, (_, param) in samples.items()}
    values.update({f"{name}_score": numpy(tape.gradient(scores[name], samples[name][1])) for name in scores})
    return observed(None, **values)


def _surrogate(dist: Any, support: Any) -> Any:
    """sum_x p(x) f(x) log p(x) with f(x) = x and p(x) held constant: its gradient is d/dtheta E[x]."""
    log_p = dist.log_prob(support)
    return tf.reduce_sum(tf.stop_gradient(tf.exp(log_p)) * tf.cast(support, log_p.dtype) * log_p)
