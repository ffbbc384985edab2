"""tfp.distributions: log densities and reparameterized samples."""

from __future__ import annotations

from typing import Any

import tensorflow as tf
import tensorflow_probability as tfp

tfd = tfp.distributions


def _distribution(family: str, params: dict[str, Any]) -> Any:
    if family == "MultivariateNormalDiag":
        return tfd.MultivariateNormalDiag(loc=params["loc"], scale_diag=params["scale_diag"])
    if family == "MultivariateNormal":
        tril = params.get("scale_tril")
        if tril is None:
            tril = tf.linalg.cholesky(params["covariance_matrix"])
        return tfd.MultivariateNormalTriL(loc=params["loc"], scale_tril=tril)
    return getattr(tfd, family)(**params)


def log_prob(family: str, params: dict[str, Any], x: Any) -> Any:
    return _distribution(family, params).log_prob(x)


def sample(family: str, params: dict[str, Any], n: int, seed: int) -> Any:
    return _distribution(family, params).sample(n, seed=(seed, 0))
