"""Distribution families, as far as the engine needs them, in NumPy float64.

For each family: the names of its parameters, how a reparameterized sample is
built from standard noise (written with the expression language's Ops, so
every framework builds it the same way), and the oracle's log-density, score
and sampler. Adapters supply only `log_prob` and a native sampler per family.
`LIKELIHOODS` are the families maximum likelihood fits (kinds/mle.py): density,
sampler and the statistics a closed-form MLE is written in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import optimize, special, stats

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


def _location_scale(
    noise: Callable[[np.random.Generator, tuple], np.ndarray],
    log_prob_std: Callable[[np.ndarray], np.ndarray],
    score_std: Callable[[np.ndarray], np.ndarray],
) -> Family:
    """A location-scale family from its standard density: x = loc + scale * z, p(x) = p0(z) / scale."""
    standard = lambda p, x: (x - p["loc"]) / p["scale"]
    return Family(
        reparam_params=("loc", "scale"),
        model_params=("loc", "scale"),
        noise=lambda rng, n, p: noise(rng, (n, *np.shape(p["loc"]))),
        transform=lambda p, z, ops: p["loc"] + p["scale"] * z,
        standardize=standard,
        log_prob=lambda p, x: log_prob_std(standard(p, x)) - np.log(p["scale"]),
        score=lambda p, x: score_std(standard(p, x)) / p["scale"],
        sample=lambda rng, n, p: p["loc"] + p["scale"] * noise(rng, (n, *np.shape(p["loc"]))),
    )


def _student_t_log_prob(p: Params, x: np.ndarray) -> np.ndarray:
    return stats.t.logpdf(x, p["df"], p["loc"], p["scale"])


def _lognormal_log_prob(p: Params, x: np.ndarray) -> np.ndarray:
    return _normal_log_prob(p, np.log(x)) - np.log(x)


FAMILIES: dict[str, Family] = {
    "Laplace": _location_scale(
        lambda rng, shape: rng.laplace(size=shape), lambda z: -np.abs(z) - np.log(2.0), lambda z: -np.sign(z)
    ),
    "Logistic": _location_scale(
        lambda rng, shape: rng.logistic(size=shape), lambda z: -z - 2 * np.logaddexp(0.0, -z), lambda z: -np.tanh(z / 2)
    ),
    "Gumbel": _location_scale(
        lambda rng, shape: rng.gumbel(size=shape), lambda z: -(z + np.exp(-z)), lambda z: np.exp(-z) - 1
    ),
    "Cauchy": _location_scale(
        lambda rng, shape: rng.standard_cauchy(size=shape),
        lambda z: -np.log(np.pi) - np.log1p(z * z),
        lambda z: -2 * z / (1 + z * z),
    ),
    "StudentT": Family(
        reparam_params=("df", "loc", "scale"),
        model_params=("df", "loc", "scale"),
        noise=lambda rng, n, p: rng.standard_t(np.broadcast_to(p["df"], np.shape(p["loc"])), (n, *np.shape(p["loc"]))),
        transform=lambda p, z, ops: p["loc"] + p["scale"] * z,
        standardize=lambda p, x: (x - p["loc"]) / p["scale"],
        log_prob=_student_t_log_prob,
        score=lambda p, x: -(p["df"] + 1) * (x - p["loc"]) / (p["df"] * p["scale"] ** 2 + (x - p["loc"]) ** 2),
        sample=lambda rng, n, p: p["loc"] + p["scale"] * rng.standard_t(p["df"], (n, *np.shape(p["loc"]))),
    ),
    "LogNormal": Family(
        reparam_params=("loc", "scale"),
        model_params=("loc", "scale"),
        noise=lambda rng, n, p: rng.standard_normal((n, *np.shape(p["loc"]))),
        transform=lambda p, z, ops: ops.functions["exp"](p["loc"] + p["scale"] * z),
        standardize=lambda p, x: (np.log(x) - p["loc"]) / p["scale"],
        log_prob=_lognormal_log_prob,
        score=lambda p, x: -1 / x - (np.log(x) - p["loc"]) / (p["scale"] ** 2 * x),
        sample=lambda rng, n, p: np.exp(p["loc"] + p["scale"] * rng.standard_normal((n, *np.shape(p["loc"])))),
    ),
    "MultivariateNormalDiag": Family(
        reparam_params=("loc", "scale_diag"),
        model_params=("loc", "scale_diag"),
        noise=lambda rng, n, p: rng.standard_normal((n, np.shape(p["loc"])[-1])),
        transform=lambda p, z, ops: p["loc"] + p["scale_diag"] * z,
        standardize=lambda p, x: (x - p["loc"]) / p["scale_diag"],
        log_prob=lambda p, x: np.sum(_normal_log_prob({"loc": p["loc"], "scale": p["scale_diag"]}, x), -1),
        score=lambda p, x: -(x - p["loc"]) / p["scale_diag"] ** 2,
        sample=lambda rng, n, p: p["loc"] + p["scale_diag"] * rng.standard_normal((n, np.shape(p["loc"])[-1])),
    ),
    "Normal": Family(
        reparam_params=("loc", "scale"),
        model_params=("loc", "scale"),
        noise=lambda rng, n, p: rng.standard_normal((n, *np.shape(p["loc"]))),
        transform=lambda p, z, ops: p["loc"] + p["scale"] * z,
        standardize=lambda p, x: (x - p["loc"]) / p["scale"],
        log_prob=_normal_log_prob,
        score=lambda p, x: -(x - p["loc"]) / p["scale"] ** 2,
        sample=lambda rng, n, p: p["loc"] + p["scale"] * rng.standard_normal((n, *np.shape(p["loc"]))),
    ),
    "MultivariateNormal": Family(
        reparam_params=("loc", "scale_tril"),
        model_params=("loc", "covariance_matrix"),
        noise=lambda rng, n, p: rng.standard_normal((n, np.shape(p["loc"])[-1])),
        transform=lambda p, z, ops: (
            p["loc"]
            + ops.functions["matmul"](z, ops.functions["matrix_transpose"](ops.functions["tril"](p["scale_tril"])))
        ),
        standardize=lambda p, x: np.linalg.solve(_tril(p), (x - p["loc"]).T).T,
        log_prob=_mvn_log_prob,
        score=_mvn_score,
        sample=lambda rng, n, p: p["loc"] + rng.standard_normal((n, np.shape(p["loc"])[-1])) @ _tril(p).T,
    ),
}


@dataclass(frozen=True)
class Likelihood:
    """A family as maximum likelihood needs it, in NumPy float64: its parameters, log density and sampler, and
    the statistics of the data its closed-form MLE is written in (none: the MLE has no closed form)."""

    params: tuple[str, ...]
    log_prob: Callable[[Params, np.ndarray], np.ndarray]
    #: n draws at the params, shape (n, *params' shape)
    sample: Callable[[np.random.Generator, int, Params], np.ndarray]
    statistics: dict[str, Callable[[np.ndarray], np.ndarray]] = field(default_factory=dict)


def _gamma_concentration_mle(x: np.ndarray) -> np.ndarray:
    """The Gamma MLE's concentration: the root of log a - digamma(a) = log mean(x) - mean(log x).

    Setting d/d rate of the log-likelihood to 0 gives rate = a / mean(x); put into d/da it leaves this
    equation, whose left side falls strictly from +inf to 0, so the root is unique (Jensen: the right side
    is > 0). Solved per element by Brent's method to a relative 4 eps.
    """
    s = np.log(np.mean(x, 0)) - np.mean(np.log(x), 0)
    return np.vectorize(
        lambda si: optimize.brentq(
            lambda a: np.log(a) - special.digamma(a) - si, 1e-12, 1e12, xtol=1e-300, rtol=4 * np.finfo(np.float64).eps
        )
    )(s)


def _shape(*params: Any) -> tuple[int, ...]:
    return np.broadcast_shapes(*map(np.shape, params))


LIKELIHOODS: dict[str, Likelihood] = {
    "Normal": Likelihood(
        FAMILIES["Normal"].model_params,
        _normal_log_prob,
        FAMILIES["Normal"].sample,
        {"sample_mean": lambda x: np.mean(x, 0), "sample_std": lambda x: np.std(x, 0)},
    ),
    "MultivariateNormal": Likelihood(
        FAMILIES["MultivariateNormal"].model_params,
        _mvn_log_prob,
        FAMILIES["MultivariateNormal"].sample,
        {"sample_mean": lambda x: np.mean(x, 0), "sample_cov": lambda x: np.cov(x, rowvar=False, bias=True)},
    ),
    "StudentT": Likelihood(FAMILIES["StudentT"].model_params, _student_t_log_prob, FAMILIES["StudentT"].sample),
    "Gamma": Likelihood(
        ("concentration", "rate"),
        lambda p, x: stats.gamma.logpdf(x, p["concentration"], scale=1 / p["rate"]),
        lambda rng, n, p: rng.gamma(p["concentration"], 1 / p["rate"], (n, *_shape(p["concentration"], p["rate"]))),
        {"sample_mean": lambda x: np.mean(x, 0), "concentration_mle": _gamma_concentration_mle},
    ),
    # a regression's params carry the observation axis: one draw of the data at them (see kinds/mle.py)
    "Poisson": Likelihood(
        ("rate",),
        lambda p, x: stats.poisson.logpmf(x, p["rate"]),
        lambda rng, n, p: rng.poisson(p["rate"], (n, *np.shape(p["rate"]))).astype(np.float64),
    ),
    "Bernoulli": Likelihood(  # by its logits: log p(y) = y logits - log(1 + e^logits)
        ("logits",),
        lambda p, x: x * p["logits"] - np.logaddexp(0.0, p["logits"]),
        lambda rng, n, p: (rng.random((n, *np.shape(p["logits"]))) < special.expit(p["logits"])).astype(np.float64),
    ),
}


@dataclass(frozen=True)
class Implicit:
    """A family whose samples are differentiated implicitly: dx/dtheta = -(dF/dtheta)(x) / f(x)."""

    params: tuple[str, ...]
    #: None where no per-sample CDF determines the derivative (Dirichlet: each component's derivative
    #: depends on the whole draw, not on x alone); such cases check properties with `oracle: false`
    cdf: Callable[[Params, np.ndarray], np.ndarray] | None
    pdf: Callable[[Params, np.ndarray], np.ndarray] | None


IMPLICIT: dict[str, Implicit] = {
    "Gamma": Implicit(
        ("concentration", "rate"),
        cdf=lambda p, x: special.gammainc(p["concentration"], p["rate"] * x),
        pdf=lambda p, x: stats.gamma.pdf(x, p["concentration"], scale=1 / p["rate"]),
    ),
    "Beta": Implicit(
        ("concentration1", "concentration0"),
        cdf=lambda p, x: special.betainc(p["concentration1"], p["concentration0"], x),
        pdf=lambda p, x: stats.beta.pdf(x, p["concentration1"], p["concentration0"]),
    ),
    "StudentT": Implicit(
        ("df", "loc", "scale"),
        cdf=lambda p, x: stats.t.cdf(x, p["df"], p["loc"], p["scale"]),
        pdf=lambda p, x: stats.t.pdf(x, p["df"], p["loc"], p["scale"]),
    ),
    "Dirichlet": Implicit(("concentration",), cdf=None, pdf=None),
}


def implicit_derivative(family: Implicit, params: Params, x: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """d sum(x) / dtheta for each parameter element, from the CDF: sum_j -(dF/dtheta)(x_j) / f(x_j).

    dF/dtheta by central differences in float64 (step eps**(1/3) * max(|theta|, 1e-3));
    the bound compares steps h and 2h, as the oracle does. Returns name -> (value, bound).
    """
    eps = float(np.finfo(np.float64).eps)
    params = {k: np.asarray(v, np.float64) for k, v in params.items()}
    assert family.cdf is not None and family.pdf is not None, "a family with no per-sample CDF has no derivative here"
    cdf_of, density = family.cdf, family.pdf(params, x)
    out = {}
    for name, theta in params.items():
        value, bound = np.zeros(theta.shape), np.zeros(theta.shape)
        for e in np.ndindex(theta.shape):
            h = eps ** (1 / 3) * max(abs(theta[e]), 1e-3)

            def cdf(step: float, theta: np.ndarray = theta, e: tuple[int, ...] = e, name: str = name) -> np.ndarray:
                moved = theta.copy()
                moved[e] += step
                return cdf_of({**params, name: moved}, x)

            d1 = -np.sum((cdf(h) - cdf(-h)) / (2 * h) / density)
            d2 = -np.sum((cdf(2 * h) - cdf(-2 * h)) / (4 * h) / density)
            value[e], bound[e] = d1, abs(d1 - d2) + 4 * eps * x.size / h / float(np.min(density))
        out[name] = (value, bound)
    return out
