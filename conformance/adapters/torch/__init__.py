"""PyTorch: torch.autograd, torch.distributions, torch.optim.LBFGS (eager, as torch runs by default)."""
from __future__ import annotations

from conformance.adapters import FrameworkAdapter


class TorchAdapter(FrameworkAdapter):
    name = "torch"
    distributions = "torch.distributions"
