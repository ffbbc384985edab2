"""JAX: jax.vjp/jvp under jax.jit (as JAX code normally runs), jax.scipy.stats and jax.random, optax's L-BFGS."""
from __future__ import annotations

from conformance.adapters import FrameworkAdapter


class JaxAdapter(FrameworkAdapter):
    name = "jax"
    distributions = "jax.scipy.stats"
