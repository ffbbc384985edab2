"""tfp.optimizer.lbfgs_minimize on the parameters flattened into one vector."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from conformance.adapters import Adapter, Minimum, flatten


def minimize(adapter: Adapter, fn: Callable[[dict[str, Any]], Any], initial: dict[str, np.ndarray], dtype: str,
             max_iterations: int) -> Minimum:
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
        value_and_gradients, initial_position=adapter.array(flat, dtype),
        max_iterations=max_iterations, tolerance=1e-9, x_tolerance=0, f_relative_tolerance=0)
    params = {k: adapter.numpy(v) for k, v in unflatten(result.position, tf.reshape).items()}
    return Minimum(params, float(result.objective_value), int(result.num_iterations), history, trajectory)
