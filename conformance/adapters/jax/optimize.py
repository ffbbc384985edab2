"""optax's L-BFGS and Adam: JAX's own optimizers live in optax (jax.scipy.optimize offers only a fragile BFGS)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import numpy as np
import optax

from conformance.adapters import Adapter, Minimum, Optimizer


def lbfgs(
    adapter: Adapter,
    fn: Callable[[dict[str, Any]], Any],
    initial: dict[str, np.ndarray],
    dtype: str,
    optimizer: Optimizer,
) -> Minimum:
    """optax.lbfgs, stopped where the gradient's norm is <= 1e-9 or the loss stops changing."""
    solver = optax.lbfgs()
    value_and_grad = optax.value_and_grad_from_state(fn)

    @jax.jit
    def step(params: Any, state: Any) -> tuple[Any, Any, Any, Any]:
        value, grad = value_and_grad(params, state=state)
        updates, state = solver.update(grad, state, params, value=value, grad=grad, value_fn=fn)
        return optax.apply_updates(params, updates), state, value, optax.tree.norm(grad)

    return _run(adapter, fn, initial, dtype, optimizer, solver, step, stops=True)


def adam(
    adapter: Adapter,
    fn: Callable[[dict[str, Any]], Any],
    initial: dict[str, np.ndarray],
    dtype: str,
    optimizer: Optimizer,
) -> Minimum:
    """`max_iterations` steps of optax.adam at the case's learning rate (other settings: optax's defaults)."""
    assert optimizer.learning_rate is not None, "the case's loader requires Adam's learning rate"
    solver = optax.adam(optimizer.learning_rate)

    @jax.jit
    def step(params: Any, state: Any) -> tuple[Any, Any, Any, Any]:
        value, grad = jax.value_and_grad(fn)(params)
        updates, state = solver.update(grad, state, params)
        return optax.apply_updates(params, updates), state, value, optax.tree.norm(grad)

    return _run(adapter, fn, initial, dtype, optimizer, solver, step, stops=False)


def _run(
    adapter: Adapter,
    fn: Callable[[dict[str, Any]], Any],
    initial: dict[str, np.ndarray],
    dtype: str,
    optimizer: Optimizer,
    solver: Any,
    step: Callable[[Any, Any], tuple[Any, Any, Any, Any]],
    stops: bool,
) -> Minimum:
    """Step until `max_iterations`, or (`stops`) the gradient's norm is <= 1e-9 or the loss stops changing."""
    params = {k: adapter.array(v, dtype) for k, v in initial.items()}
    state, history, iterations = solver.init(params), [], 0
    trajectory: dict[str, list] = {k: [] for k in params}
    while iterations < optimizer.max_iterations:
        for name, leaf in params.items():  # the point the loss `value` below is evaluated at
            trajectory[name].append(np.asarray(leaf).tolist())
        params, state, value, grad_norm = step(params, state)
        history.append(float(value))
        iterations += 1
        if stops and (float(grad_norm) <= 1e-9 or (len(history) > 1 and history[-2] - history[-1] == 0)):
            break
    return Minimum({k: np.asarray(v) for k, v in params.items()}, float(fn(params)), iterations, history, trajectory)


OPTIMIZERS = {"lbfgs": lbfgs, "adam": adam}
