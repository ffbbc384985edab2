"""JAX with jax.numpy, jax.scipy.stats and jax.random; jax.vjp for gradients, optax's L-BFGS to minimize."""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from conformance.adapters import DISCONNECTED, ERROR, VALUE, Adapter, Gradient, Minimum, describe_error
from conformance.expr import Ops, ops_from_namespace


class JaxAdapter(Adapter):
    name = "jax"
    distributions = "jax.scipy.stats"

    def __init__(self) -> None:
        import jax

        jax.config.update("jax_enable_x64", True)  # float64 on request; float32 arrays stay float32
        jax.config.update("jax_platforms", "cpu")
        import jax.numpy as jnp
        import jax.scipy as jsp
        import jax.scipy.stats  # noqa: F401

        self.jax, self.jnp, self.jsp = jax, jnp, jsp

    def versions(self) -> dict[str, str]:
        import jaxlib

        return {"jax": self.jax.__version__, "jaxlib": jaxlib.__version__}

    def ops(self, dtype: str) -> Ops:
        jnp, nn = self.jnp, self.jax.nn
        return ops_from_namespace(jnp, {
            "atanh": "arctanh", "sigmoid": nn.sigmoid, "softplus": nn.softplus,
            "transpose": lambda x: jnp.swapaxes(x, -1, -2),
        }, const=lambda v: jnp.asarray(v, dtype=dtype), stack=jnp.stack)

    def array(self, value: np.ndarray, dtype: str) -> Any:
        return self.jnp.asarray(np.asarray(value), dtype=dtype)

    def vjp(self, fn: Callable, primals: dict[str, np.ndarray], dtype: str,
            cotangent: np.ndarray | None) -> tuple[np.ndarray, dict[str, Gradient]]:
        jax = self.jax
        names = list(primals)
        args = [self.array(primals[k], dtype) for k in names]
        f = lambda *xs: fn(dict(zip(names, xs)))

        def forward_and_pullback(ct: Any, *xs: Any) -> tuple[Any, Any]:
            out, pullback = jax.vjp(f, *xs)
            return out, pullback(ct)

        try:
            if cotangent is None:
                if jax.eval_shape(f, *args).shape != ():
                    jax.grad(f)(*args)  # raises jax.grad's own error for a non-scalar output
                ct = self.jnp.ones((), dtype)
            else:
                ct = self.array(cotangent, dtype)
            # jitted, as JAX code normally runs: one compiled program instead of one per primitive
            out, grads = jax.jit(forward_and_pullback)(ct, *args)
            connected = _depends_on_first_input(jax.make_jaxpr(lambda c, *xs: forward_and_pullback(c, *xs)[1])(
                ct, *args).jaxpr)
        except Exception as err:  # a framework's refusal is a result, recorded per gradient
            return np.array(np.nan), {k: Gradient(ERROR, error=describe_error(err)) for k in names}
        return np.asarray(out), {
            k: Gradient(VALUE, np.asarray(g)) if linked
            else Gradient(DISCONNECTED, np.asarray(g), representation="symbolic zero")
            for k, g, linked in zip(names, grads, connected)}

    def log_prob(self, family: str, params: dict[str, Any], x: Any) -> Any:
        stats = self.jsp.stats
        if family == "Normal":
            return stats.norm.logpdf(x, params["loc"], params["scale"])
        if family == "MultivariateNormal" and "covariance_matrix" in params:
            return stats.multivariate_normal.logpdf(x, params["loc"], params["covariance_matrix"])
        if family == "MultivariateNormal":  # with a Cholesky factor: solve against it, as TFP does
            jnp, tril = self.jnp, self.jnp.tril(params["scale_tril"])
            z = self.jsp.linalg.solve_triangular(tril, jnp.swapaxes(x - params["loc"], -1, -2), lower=True)
            d = tril.shape[-1]
            return (-0.5 * jnp.sum(z * z, axis=0) - jnp.sum(jnp.log(jnp.diagonal(tril)))
                    - 0.5 * d * jnp.log(2 * jnp.pi).astype(x.dtype))
        raise NotImplementedError(f"jax adapter has no family {family}")

    def sample(self, family: str, params: dict[str, Any], n: int, seed: int) -> Any:
        jax, key = self.jax, self.jax.random.key(seed)
        loc = params["loc"]
        if family == "Normal":
            return loc + params["scale"] * jax.random.normal(key, (n, *loc.shape), loc.dtype)
        if family == "MultivariateNormal" and "covariance_matrix" in params:
            return jax.random.multivariate_normal(key, loc, params["covariance_matrix"], (n,), loc.dtype)
        if family == "MultivariateNormal":
            return loc + jax.random.normal(key, (n, loc.shape[-1]), loc.dtype) @ self.jnp.tril(
                params["scale_tril"]).T
        raise NotImplementedError(f"jax adapter has no sampler for {family}")

    def minimize(self, fn: Callable, initial: dict[str, np.ndarray], dtype: str,
                 max_iterations: int) -> Minimum:
        import optax  # JAX's own L-BFGS lives in optax (jax.scipy.optimize offers only a fragile BFGS)

        jax = self.jax
        solver = optax.lbfgs()
        value_and_grad = optax.value_and_grad_from_state(fn)

        @jax.jit
        def step(params: Any, state: Any) -> tuple[Any, Any, Any, Any]:
            value, grad = value_and_grad(params, state=state)
            updates, state = solver.update(grad, state, params, value=value, grad=grad, value_fn=fn)
            return optax.apply_updates(params, updates), state, value, optax.tree.norm(grad)

        params = {k: self.array(v, dtype) for k, v in initial.items()}
        state, history, iterations = solver.init(params), [], 0
        while iterations < max_iterations:
            params, state, value, grad_norm = step(params, state)
            history.append(float(value))
            iterations += 1
            if float(grad_norm) <= 1e-9 or (len(history) > 1 and history[-2] - history[-1] == 0):
                break
        return Minimum({k: np.asarray(v) for k, v in params.items()}, float(fn(params)), iterations, history)

def _depends_on_first_input(jaxpr: Any) -> list[bool]:
    """For each output of a pullback's jaxpr, whether it depends on the cotangent (its first input).

    An output that does not is a symbolic zero instantiated by JAX: the input is
    disconnected. Equations with sub-jaxprs count as dependent if any input is,
    which can only err towards "connected".
    """
    tainted = {jaxpr.invars[0]}
    for eqn in jaxpr.eqns:
        if any(not hasattr(v, "val") and v in tainted for v in eqn.invars):
            tainted.update(eqn.outvars)
    return [not hasattr(v, "val") and v in tainted for v in jaxpr.outvars]
