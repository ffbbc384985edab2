"""torch.optim.LBFGS with a strong Wolfe line search."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from conformance.adapters import Adapter, Minimum


def minimize(adapter: Adapter, fn: Callable[[dict[str, Any]], Any], initial: dict[str, np.ndarray], dtype: str,
             max_iterations: int) -> Minimum:
    leaves = {k: adapter.array(v, dtype).requires_grad_(True) for k, v in initial.items()}
    optimizer = torch.optim.LBFGS(list(leaves.values()), lr=1, max_iter=max_iterations,
                                  tolerance_grad=1e-9, tolerance_change=1e-12,
                                  history_size=20, line_search_fn="strong_wolfe")
    history: list[float] = []
    trajectory: dict[str, list] = {}

    def closure() -> Any:
        optimizer.zero_grad()
        loss = fn(leaves)
        loss.backward()
        history.append(loss.item())
        for name, leaf in leaves.items():
            trajectory.setdefault(name, []).append(leaf.detach().tolist())
        return loss

    optimizer.step(closure)
    state = optimizer.state[optimizer._params[0]]
    with torch.no_grad():
        loss = float(fn(leaves))
    return Minimum({k: adapter.numpy(v) for k, v in leaves.items()}, loss, int(state.get("n_iter", 0)),
                   history, trajectory)
