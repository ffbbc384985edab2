"""tfp.optimizer.lbfgs_minimize on the parameters flattened into one vector, and tf.keras.optimizers.Adam."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from conformance.adapters import Adapter, Minimum, Optimizer, flatten


def lbfgs(
    adapter: Adapter,
    fn: Callable[[dict[str, Any]], Any],
    initial: dict[str, np.ndarray],
    dtype: str,
    optimizer: Optimizer,
) -> Minimum:
    flat, unflatten = flatten(initial)
    history: list[float] = []
    trajectory: dict[str, list] = {}

    def value_and_gradients(vector: Any) -> tuple[Any, Any]:
        with tf.GradientTape() as tape:
            tape.watch(vector)
            loss = fn(unflatten(vector, tf.reshape))
        history.append(float(loss))
        for name, value in unflatten(vector.numpy(), np.reshape).items():
            trajectory.setdefault(name, []).append(value.tolist())
        return loss, tape.gradient(loss, vector)

    result = tfp.optimizer.lbfgs_minimize(
        value_and_gradients,
        initial_position=adapter.array(flat, dtype),
        max_iterations=optimizer.max_iterations,
        tolerance=1e-9,
        x_tolerance=0,
        f_relative_tolerance=0,
    )
    params = {k: adapter.numpy(v) for k, v in unflatten(result.position, tf.reshape).items()}
    return Minimum(params, float(result.objective_value), int(result.num_iterations), history, trajectory)


def adam(
    adapter: Adapter,
    fn: Callable[[dict[str, Any]], Any],
    initial: dict[str, np.ndarray],
    dtype: str,
    optimizer: Optimizer,
) -> Minimum:
    """`max_iterations` steps of Keras's Adam at the case's learning rate (other settings: Keras's defaults,
    epsilon 1e-7 where torch and optax use 1e-8). Each step is one tf.function: eager Keras steps take ~0.1 s
    each on this machine, too slow for a thousand (the initial gradient the case checks stays eager)."""
    variables = {k: tf.Variable(adapter.array(v, dtype)) for k, v in initial.items()}
    leaves = list(variables.values())
    solver = tf.keras.optimizers.Adam(learning_rate=optimizer.learning_rate)
    solver.build(leaves)  # its moments made here, outside the traced step

    @tf.function(autograph=False)  # straight-line code: nothing for AutoGraph to convert
    def step() -> Any:
        with tf.GradientTape() as tape:
            loss = fn(dict(variables))
        solver.apply_gradients(zip(tape.gradient(loss, leaves), leaves, strict=True))
        return loss

    history: list[float] = []
    trajectory: dict[str, list] = {k: [] for k in variables}
    for _ in range(optimizer.max_iterations):
        for name, variable in variables.items():  # the point the step's loss is evaluated at
            trajectory[name].append(variable.numpy().tolist())
        history.append(float(step()))
    params = {k: adapter.numpy(v) for k, v in variables.items()}
    return Minimum(params, float(fn(dict(variables))), optimizer.max_iterations, history, trajectory)


OPTIMIZERS = {"lbfgs": lbfgs, "adam": adam}
