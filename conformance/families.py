"""Distribution families, as far as the engine needs them, in NumPy float64.

For each family: the names of its parameters, how a reparameterized sample is
built from standard noise (written with the expression language's Ops, so
every framework builds it the same way), and the oracle's log-density, score
and sampler. Adapters supply only `log_prob` and a native sampler per family.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from conformance.expr import Ops

Params = dict[str, Any]


@dataclass(frozen=True)
class Family:
    reparam_params: tuple[str, ...]
    model_params: tuple[str, ...]
    #: standard noise for n samples, given the parameters' shapes
    noise: Callable[[np.random.Generator, int, Params], np.ndarray]
    #: x = loc + scale * z, in any framework (params and z are that framework's arrays)
    transform: Callable[[Params, Any, Ops], Any]
    #: the inverse of transform: standard noise from samples, NumPy float64
    standardize: Callable[[Params, np.ndarray], np.ndarray]
    #: log density per sample, NumPy float64
    log_prob: Callable[[Params, np.ndarray], np.ndarray]
    #: d log_prob / dx per sample, NumPy float64
    score: Callable[[Params, np.ndarray], np.ndarray]
    #: data for maximum likelihood, from the model parameters
    sample: Callable[[np.random.Generator, int, Params], np.ndarray]
    #: closed-form MLE statistics of data, by name (None: no MLE cases)
    mle_statistics: dict[str, Callable[[np.ndarray], np.ndarray]] | None


def _normal_log_prob(p: Params, x: np.ndarray) -> np.ndarray:
    z = (x - p["loc"]) / p["scale"]
    return -0.5 * z * z - np.log(p["scale"]) - 0.5 * np.log(2 * np.pi)


def _tril(p: Params) -> np.ndarray:
    if "scale_tril" in p:
        return np.tril(p["scale_tril"])
    return np.linalg.cholesky(p["covariance_matrix"])


def _mvn_log_prob(p: Params, x: np.ndarray) -> np.ndarray:
    tril = _tril(p)
    z = np.linalg.solve(tril, (x - p["loc"]).T).T
    d = tril.shape[-1]
    return -0.5 * np.sum(z * z, -1) - np.sum(np.log(np.diag(tril))) - 0.5 * d * np.log(2 * np.pi)


def _mvn_score(p: Params, x: np.ndarray) -> np.ndarray:
    tril = _tril(p)
    return -np.linalg.solve(tril @ tril.T, (x - p["loc"]).T).T


FAMILIES: dict[str, Family] = {
    "Normal": Family(
        reparam_params=("loc", "scale"),
        model_params=("loc", "scale"),
        noise=lambda rng, n, p: rng.standard_normal((n, *np.shape(p["loc"]))),
        transform=lambda p, z, ops: p["loc"] + p["scale"] * z,
        standardize=lambda p, x: (x - p["loc"]) / p["scale"],
        log_prob=_normal_log_prob,
        score=lambda p, x: -(x - p["loc"]) / p["scale"] ** 2,
        sample=lambda rng, n, p: p["loc"] + p["scale"] * rng.standard_normal((n, *np.shape(p["loc"]))),
        mle_statistics={
            "sample_mean": lambda x: np.mean(x, 0),
            "sample_std": lambda x: np.std(x, 0),
        },
    ),
    "MultivariateNormal": Family(
        reparam_params=("loc", "scale_tril"),
        model_params=("loc", "covariance_matrix"),
        noise=lambda rng, n, p: rng.standard_normal((n, np.shape(p["loc"])[-1])),
        transform=lambda p, z, ops: p["loc"] + ops.functions["matmul"](
            z, ops.functions["transpose"](ops.functions["tril"](p["scale_tril"]))),
        standardize=lambda p, x: np.linalg.solve(_tril(p), (x - p["loc"]).T).T,
        log_prob=_mvn_log_prob,
        score=_mvn_score,
        sample=lambda rng, n, p: p["loc"] + rng.standard_normal((n, np.shape(p["loc"])[-1])) @ _tril(p).T,
        mle_statistics={
            "sample_mean": lambda x: np.mean(x, 0),
            "sample_cov": lambda x: np.cov(x, rowvar=False, bias=True),
        },
    ),
}
