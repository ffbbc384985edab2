"""jax.scipy.stats log densities and jax.random samplers (JAX has no distribution objects)."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import jax.scipy as jsp
import jax.scipy.special
import jax.scipy.stats

stats = jsp.stats


def log_prob(family: str, params: dict[str, Any], x: Any) -> Any:
    if family == "Normal":
        return stats.norm.logpdf(x, params["loc"], params["scale"])
    location_scale = {
        "Laplace": stats.laplace,
        "Logistic": stats.logistic,
        "Gumbel": stats.gumbel_r,
        "Cauchy": stats.cauchy,
    }
    if family in location_scale:
        return location_scale[family].logpdf(x, params["loc"], params["scale"])
    if family == "StudentT":
        return stats.t.logpdf(x, params["df"], params["loc"], params["scale"])
    if family == "Gamma":
        return stats.gamma.logpdf(x, params["concentration"], scale=1 / params["rate"])
    if family == "Poisson":
        return stats.poisson.logpmf(x, params["rate"])
    if family == "Bernoulli":  # by logits, as torch and TFP take them (jax.scipy.stats.bernoulli takes p)
        return x * params["logits"] - jax.nn.softplus(params["logits"])
    if family == "LogNormal":  # jax.scipy.stats has no lognorm: the change of variables, by hand
        return stats.norm.logpdf(jnp.log(x), params["loc"], params["scale"]) - jnp.log(x)
    if family == "MultivariateNormalDiag":
        return jnp.sum(stats.norm.logpdf(x, params["loc"], params["scale_diag"]), -1)
    if family == "MultivariateNormal" and "covariance_matrix" in params:
        return stats.multivariate_normal.logpdf(x, params["loc"], params["covariance_matrix"])
    if family == "MultivariateNormal":  # with a Cholesky factor: solve against it, as TFP does
        tril = jnp.tril(params["scale_tril"])
        z = jsp.linalg.solve_triangular(tril, jnp.swapaxes(x - params["loc"], -1, -2), lower=True)
        d = tril.shape[-1]
        return (
            -0.5 * jnp.sum(z * z, axis=0)
            - jnp.sum(jnp.log(jnp.diagonal(tril)))
            - 0.5 * d * jnp.log(2 * jnp.pi).astype(x.dtype)
        )
    raise NotImplementedError(f"jax adapter has no family {family}")


def sample(family: str, params: dict[str, Any], n: int, seed: int) -> Any:
    key = jax.random.key(seed)
    if family == "Gamma":  # jax.random.gamma is implicitly reparameterized in its concentration
        a, rate = params["concentration"], params["rate"]
        shape = (n, *jnp.broadcast_shapes(a.shape, rate.shape))
        return jax.random.gamma(key, a, shape, a.dtype) / rate
    if family == "Beta":
        a, b = params["concentration1"], params["concentration0"]
        return jax.random.beta(key, a, b, (n, *jnp.broadcast_shapes(a.shape, b.shape)), a.dtype)
    if family == "Dirichlet":  # jax.random.dirichlet normalizes implicitly differentiated gammas
        a = params["concentration"]
        return jax.random.dirichlet(key, a, (n, *a.shape[:-1]), a.dtype)
    if family == "StudentT":
        df, loc, scale = params["df"], params["loc"], params["scale"]
        shape = (n, *jnp.broadcast_shapes(df.shape, loc.shape, scale.shape))
        return loc + scale * jax.random.t(key, df, shape, df.dtype)
    loc = params["loc"]
    standard = {
        "Laplace": jax.random.laplace,
        "Logistic": jax.random.logistic,
        "Gumbel": jax.random.gumbel,
        "Cauchy": jax.random.cauchy,
    }
    if family in standard:
        return loc + params["scale"] * standard[family](key, (n, *loc.shape), loc.dtype)
    if family == "LogNormal":
        return jnp.exp(loc + params["scale"] * jax.random.normal(key, (n, *loc.shape), loc.dtype))
    if family == "MultivariateNormalDiag":
        return loc + params["scale_diag"] * jax.random.normal(key, (n, loc.shape[-1]), loc.dtype)
    if family == "Normal":
        return loc + params["scale"] * jax.random.normal(key, (n, *loc.shape), loc.dtype)
    if family == "MultivariateNormal" and "covariance_matrix" in params:
        return jax.random.multivariate_normal(key, loc, params["covariance_matrix"], (n,), loc.dtype)
    if family == "MultivariateNormal":
        return loc + jax.random.normal(key, (n, loc.shape[-1]), loc.dtype) @ jnp.tril(params["scale_tril"]).T
    raise NotImplementedError(f"jax adapter has no sampler for {family}")
