"""PyTorch: torch.autograd, torch.distributions, torch.optim.LBFGS (eager, as torch runs by default)."""
from __future__ import annotations

from conformance.adapters import FrameworkAdapter, Regimes
from conformance.vocabulary import Regime


class TorchAdapter(FrameworkAdapter):
    name = "torch"
    distributions = "torch.distributions"
    #: torch has no XLA here (torch_xla is a separate package, for TPUs); torch.compile's CPU backend is inductor
    REGIMES = Regimes(Regime.EAGER, {Regime.EAGER: "eager", Regime.COMPILED: "torch.compile (inductor)"})
