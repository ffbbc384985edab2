"""PyTorch with torch.distributions; torch.autograd for gradients, torch.optim.LBFGS to minimize."""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from conformance.adapters import DISCONNECTED, ERROR, VALUE, Adapter, Gradient, Minimum, describe_error
from conformance.expr import Ops, ops_from_namespace


class TorchAdapter(Adapter):
    name = "torch"
    distributions = "torch.distributions"

    def __init__(self) -> None:
        import torch

        self.torch = torch
        torch.set_num_threads(1)

    def versions(self) -> dict[str, str]:
        return {"torch": self.torch.__version__}

    def _dtype(self, dtype: str) -> Any:
        return getattr(self.torch, dtype)

    def ops(self, dtype: str) -> Ops:
        torch = self.torch
        return ops_from_namespace(torch, {
            "sigmoid": torch.sigmoid, "softplus": torch.nn.functional.softplus,
            "transpose": lambda x: x.transpose(-1, -2),
        }, const=lambda v: torch.tensor(v, dtype=self._dtype(dtype)), stack=torch.stack)

    def array(self, value: np.ndarray, dtype: str) -> Any:
        return self.torch.tensor(np.asarray(value), dtype=self._dtype(dtype))

    def numpy(self, value: Any) -> np.ndarray:
        return value.detach().cpu().numpy()

    def vjp(self, fn: Callable, primals: dict[str, np.ndarray], dtype: str,
            cotangent: np.ndarray | None) -> tuple[np.ndarray, dict[str, Gradient]]:
        torch = self.torch
        leaves = {k: self.array(v, dtype).requires_grad_(True) for k, v in primals.items()}
        out = fn(leaves)
        if not out.requires_grad:  # no input reaches the output: torch has no graph to walk
            return self.numpy(out), {k: Gradient(DISCONNECTED, representation="None") for k in leaves}
        grad_out = None if cotangent is None else self.array(cotangent, dtype)
        try:
            grads = torch.autograd.grad(out, list(leaves.values()), grad_out, allow_unused=True)
        except Exception as err:  # a framework's refusal is a result, recorded per gradient
            return self.numpy(out), {k: Gradient(ERROR, error=describe_error(err)) for k in leaves}
        return self.numpy(out), {
            k: Gradient(DISCONNECTED, representation="None") if g is None else Gradient(VALUE, self.numpy(g))
            for k, g in zip(leaves, grads)}

    def _distribution(self, family: str, params: dict[str, Any]) -> Any:
        return getattr(self.torch.distributions, family)(**params)

    def log_prob(self, family: str, params: dict[str, Any], x: Any) -> Any:
        return self._distribution(family, params).log_prob(x)

    def sample(self, family: str, params: dict[str, Any], n: int, seed: int) -> Any:
        self.torch.manual_seed(seed)
        return self._distribution(family, params).rsample((n,))

    def minimize(self, fn: Callable, initial: dict[str, np.ndarray], dtype: str,
                 max_iterations: int) -> Minimum:
        torch = self.torch
        leaves = {k: self.array(v, dtype).requires_grad_(True) for k, v in initial.items()}
        optimizer = torch.optim.LBFGS(list(leaves.values()), lr=1, max_iter=max_iterations,
                                      tolerance_grad=1e-9, tolerance_change=1e-12,
                                      history_size=20, line_search_fn="strong_wolfe")
        history: list[float] = []

        def closure() -> Any:
            optimizer.zero_grad()
            loss = fn(leaves)
            loss.backward()
            history.append(loss.item())
            return loss

        optimizer.step(closure)
        state = optimizer.state[optimizer._params[0]]
        with torch.no_grad():
            loss = float(fn(leaves))
        return Minimum({k: self.numpy(v) for k, v in leaves.items()}, loss, int(state.get("n_iter", 0)),
                       history)

