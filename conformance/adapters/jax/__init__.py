"""JAX: jax.vjp/jvp under jax.jit (as JAX code normally runs), jax.scipy.stats and jax.random, optax's L-BFGS."""

from __future__ import annotations

from conformance.adapters import FrameworkAdapter, Regimes
from conformance.vocabulary import Regime


class JaxAdapter(FrameworkAdapter):
    name = "jax"
    distributions = "jax.scipy.stats"
    #: jax.jit compiles with XLA: the xla regime is the compiled one, run once
    REGIMES = Regimes(Regime.COMPILED, {Regime.EAGER: "no jit", Regime.COMPILED: "jax.jit", Regime.XLA: "jax.jit"})
