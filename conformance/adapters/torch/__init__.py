"""PyTorch: torch.autograd, torch.distributions, torch.optim.LBFGS (eager, as torch runs by default)."""

from __future__ import annotations

from conformance.adapters import FrameworkAdapter, NestingLimit, Regimes
from conformance.vocabulary import Regime


class TorchAdapter(FrameworkAdapter):
    name = "torch"
    distributions = "torch.distributions"
    #: torch has no XLA here (torch_xla is a separate package, for TPUs); torch.compile's CPU backend is inductor
    REGIMES = Regimes(Regime.EAGER, {Regime.EAGER: "eager", Regime.COMPILED: "torch.compile (inductor)"})
    #: torch.func's transforms and torch.autograd (with forward_ad) each have their own rules for nesting
    DIRECTIONAL_APIS = ("func", "autograd")
    DIRECTIONAL_LIMITS = (
        NestingLimit(
            "autograd",
            1,
            "torch.autograd.forward_ad supports a single dual level: a forward level inside another raises "
            '"Nested forward mode AD is not supported"; its docs point to torch.func.jvp for higher-order forward '
            "derivatives",
            "https://docs.pytorch.org/docs/stable/generated/torch.autograd.forward_ad.dual_level.html",
        ),
    )
