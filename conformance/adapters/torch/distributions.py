"""torch.distributions: log densities and reparameterized samples (rsample)."""

from __future__ import annotations

from typing import Any

import torch
import torch.distributions as D


def _distribution(family: str, params: dict[str, Any]) -> D.Distribution:
    if family == "MultivariateNormalDiag":
        return D.Independent(D.Normal(params["loc"], params["scale_diag"]), 1)
    if family == "Logistic":  # torch has no Logistic: the TransformedDistribution recipe of its docs
        loc, scale = params["loc"], params["scale"]
        uniform = D.Uniform(torch.zeros_like(loc), torch.ones_like(loc))
        return D.TransformedDistribution(
            uniform, [D.transforms.SigmoidTransform().inv, D.transforms.AffineTransform(loc, scale)]
        )
    return getattr(D, family)(**params)


def log_prob(family: str, params: dict[str, Any], x: Any) -> Any:
    return _distribution(family, params).log_prob(x)


def sample(family: str, params: dict[str, Any], n: int, seed: int) -> Any:
    torch.manual_seed(seed)
    return _distribution(family, params).rsample((n,))
