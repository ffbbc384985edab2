"""optax's L-BFGS: JAX's own lives in optax (jax.scipy.optimize offers only a fragile BFGS)."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import numpy as np
import optax

from conformance.adapters import Adapter, Minimum


def minimize(adapter: Adapter, fn: Callable[[dict[str, Any]], Any], initial: dict[str, np.ndarray], dtype: str,
             max_iterations: int) -> Minimum:
    solver = optax.lbfgs()
    value_and_grad = optax.value_and_grad_from_state(fn)

    @jax.jit
    def step(params: Any, state: Any) -> tuple[Any, Any, Any, Any]:
        value, grad = value_and_grad(params, state=state)
        updates, state = solver.update(grad, state, params, value=value, grad=grad, value_fn=fn)
        return optax.apply_updates(params, updates), state, value, optax.tree.norm(grad)

    params = {k: adapter.array(v, dtype) for k, v in initial.items()}
    state, history, iterations = solver.init(params), [], 0
    trajectory: dict[str, list] = {k: [] for k in params}
    while iterations < max_iterations:
        for name, leaf in params.items():  # the point the loss `value` below is evaluated at
            trajectory[name].append(np.asarray(leaf).tolist())
        params, state, value, grad_norm = step(params, state)
        history.append(float(value))
        iterations += 1
        if float(grad_norm) <= 1e-9 or (len(history) > 1 and history[-2] - history[-1] == 0):
            break
    return Minimum({k: np.asarray(v) for k, v in params.items()}, float(fn(params)), iterations, history,
                   trajectory)
