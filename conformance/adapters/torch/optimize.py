"""torch.optim.LBFGS with a strong Wolfe line search, and torch.optim.Adam."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from conformance.adapters import Adapter, Minimum, Optimizer


def lbfgs(
    adapter: Adapter,
    fn: Callable[[dict[str, Any]], Any],
    initial: dict[str, np.ndarray],
    dtype: str,
    optimizer: Optimizer,
) -> Minimum:
    leaves = {k: adapter.array(v, dtype).requires_grad_(True) for k, v in initial.items()}
    solver = torch.optim.LBFGS(
        list(leaves.values()),
        lr=1,
        max_iter=optimizer.max_iterations,
        tolerance_grad=1e-9,
        tolerance_change=1e-12,
        history_size=20,
        line_search_fn="strong_wolfe",
    )
    history: list[float] = []
    trajectory: dict[str, list] = {}

    def closure() -> Any:
        solver.zero_grad()
        loss = fn(leaves)
        loss.backward()
        history.append(loss.item())
        for name, leaf in leaves.items():
            trajectory.setdefault(name, []).append(leaf.detach().tolist())
        return loss

    solver.step(closure)
    state = solver.state[solver._params[0]]
    return _minimum(adapter, fn, leaves, int(state.get("n_iter", 0)), history, trajectory)


def adam(
    adapter: Adapter,
    fn: Callable[[dict[str, Any]], Any],
    initial: dict[str, np.ndarray],
    dtype: str,
    optimizer: Optimizer,
) -> Minimum:
    """`max_iterations` steps of torch.optim.Adam at the case's learning rate (other settings: torch's defaults)."""
    assert optimizer.learning_rate is not None, "the case's loader requires Adam's learning rate"
    leaves = {k: adapter.array(v, dtype).requires_grad_(True) for k, v in initial.items()}
    solver = torch.optim.Adam(list(leaves.values()), lr=optimizer.learning_rate)
    history: list[float] = []
    trajectory: dict[str, list] = {k: [] for k in leaves}
    for _ in range(optimizer.max_iterations):
        solver.zero_grad()
        loss = fn(leaves)
        loss.backward()
        history.append(loss.item())
        for name, leaf in leaves.items():
            trajectory[name].append(leaf.detach().tolist())
        solver.step()
    return _minimum(adapter, fn, leaves, optimizer.max_iterations, history, trajectory)


def _minimum(
    adapter: Adapter,
    fn: Callable[[dict[str, Any]], Any],
    leaves: dict[str, Any],
    iterations: int,
    history: list[float],
    trajectory: dict[str, list],
) -> Minimum:
    with torch.no_grad():
        loss = float(fn(leaves))
    return Minimum({k: adapter.numpy(v) for k, v in leaves.items()}, loss, iterations, history, trajectory)


OPTIMIZERS = {"lbfgs": lbfgs, "adam": adam}
