"""JAX with jax.numpy, jax.scipy.stats and jax.random; jax.vjp for gradients, optax's L-BFGS to minimize."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from conformance.adapters import (
    DISCONNECTED,
    ERROR,
    VALUE,
    Adapter,
    Gradient,
    Minimum,
    describe_error,
    failed,
    observed,
)
from conformance.expr import Ops, ops_from_namespace


class JaxAdapter(Adapter):
    name = "jax"
    distributions = "jax.scipy.stats"

    def __init__(self) -> None:
        import jax

        jax.config.update("jax_enable_x64", True)  # float64 on request; float32 arrays stay float32
        jax.config.update("jax_platforms", "cpu")
        import jax.extend
        import jax.numpy as jnp
        import jax.scipy as jsp
        import jax.scipy.stats

        self.jax, self.jnp, self.jsp = jax, jnp, jsp
        self._programs: dict[tuple, Callable] = {}

    def versions(self) -> dict[str, str]:
        import jaxlib

        return {"jax": self.jax.__version__, "jaxlib": jaxlib.__version__}

    def ops(self, dtype: str) -> Ops:
        jnp, nn, special, linalg = self.jnp, self.jax.nn, self.jsp.special, self.jnp.linalg
        return ops_from_namespace(jnp, {
            "atanh": "arctanh", "sigmoid": nn.sigmoid, "softplus": nn.softplus,
            "transpose": lambda x: jnp.swapaxes(x, -1, -2), "relu": nn.relu,
            "logsumexp": special.logsumexp, "norm": linalg.norm, "xlogy": special.xlogy,
            "lgamma": special.gammaln, "digamma": special.digamma, "cholesky": linalg.cholesky,
            "solve": linalg.solve, "logdet": lambda a: linalg.slogdet(a)[1], "eigvalsh": linalg.eigvalsh,
            "det": linalg.det,
        }, const=lambda v: jnp.asarray(v, dtype=dtype), stack=jnp.stack)

    def array(self, value: npt.ArrayLike, dtype: str) -> Any:
        return self.jnp.asarray(np.asarray(value), dtype=dtype)

    def vjp(self, fn: Callable, primals: dict[str, np.ndarray], dtype: str,
            cotangent: np.ndarray | None) -> tuple[np.ndarray, dict[str, Gradient]]:
        jax = self.jax
        names = list(primals)
        args = [self.array(primals[k], dtype) for k in names]
        f = lambda *xs: fn(dict(zip(names, xs, strict=True)))

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
            program, (out, *grads) = self._run(forward_and_pullback, ct, *args)
            connected = _depends_on_first_input(program.jaxpr)[1:]
        except Exception as err:  # a framework's refusal is a result, recorded per gradient
            return np.array(np.nan), {k: Gradient(ERROR, error=describe_error(err)) for k in names}
        return np.asarray(out), {
            k: Gradient(VALUE, np.asarray(g)) if linked
            else Gradient(DISCONNECTED, np.asarray(g), representation="symbolic zero")
            for k, g, linked in zip(names, grads, connected, strict=True)}

    def jvp(self, fn: Callable, primals: dict[str, np.ndarray], dtype: str,
            tangents: dict[str, np.ndarray]) -> tuple[np.ndarray, Gradient]:
        jax, names = self.jax, list(primals)
        f = lambda *xs: fn(dict(zip(names, xs, strict=True)))
        xs = tuple(self.array(primals[k], dtype) for k in names)
        ts = tuple(self.array(tangents[k], dtype) for k in names)
        try:
            _, (out, tangent) = self._run(lambda xs, ts: jax.jvp(f, xs, ts), xs, ts)
        except Exception as err:
            return np.array(np.nan), failed(err)
        return np.asarray(out), Gradient(VALUE, np.asarray(tangent))

    def hvp(self, fn: Callable, primals: dict[str, np.ndarray], dtype: str,
            tangents: dict[str, np.ndarray]) -> tuple[np.ndarray, dict[str, Gradient]]:
        """Forward over reverse, jax.jvp of jax.grad: the JAX autodiff cookbook's hvp."""
        jax, names = self.jax, list(primals)
        f = lambda *xs: fn(dict(zip(names, xs, strict=True)))
        xs = tuple(self.array(primals[k], dtype) for k in names)
        ts = tuple(self.array(tangents[k], dtype) for k in names)
        grad = jax.grad(f, argnums=tuple(range(len(names))))
        try:
            _, (out, *hv) = self._run(lambda xs, ts: (f(*xs), jax.jvp(lambda *a: grad(*a), xs, ts)[1]), xs, ts)
        except Exception as err:
            return np.array(np.nan), {k: failed(err) for k in names}
        return np.asarray(out), {k: Gradient(VALUE, np.asarray(g)) for k, g in zip(names, hv, strict=True)}

    def _run(self, f: Callable, *args: Any) -> tuple[Any, list[Any]]:
        """f(*args) jitted, as JAX code normally runs: its traced program and its flat outputs.

        One XLA compilation per distinct program (not one per primitive, as in
        eager mode), cached by the program's text and constants: checking the
        same function again, at new values of the same shapes, reuses it. The
        program is traced after jax.vjp/jvp, so its text is the whole computation.
        """
        program = self.jax.make_jaxpr(f)(*args)
        key = (str(program.jaxpr), tuple(map(self._fingerprint, program.consts)))
        if key not in self._programs:
            self._programs[key] = self.jax.jit(self.jax.extend.core.jaxpr_as_fun(program))
        return program, self._programs[key](*self.jax.tree.leaves(args))

    def _fingerprint(self, constant: Any) -> tuple:
        """A constant's identity by value (a PRNG key by its key data)."""
        jax = self.jax
        dtype = str(getattr(constant, "dtype", type(constant)))
        if hasattr(constant, "dtype") and jax.dtypes.issubdtype(constant.dtype, jax.dtypes.prng_key):
            constant = jax.random.key_data(constant)
        value = np.asarray(constant)
        return dtype, value.shape, value.tobytes()

    def log_prob(self, family: str, params: dict[str, Any], x: Any) -> Any:
        stats, jnp = self.jsp.stats, self.jnp
        if family == "Normal":
            return stats.norm.logpdf(x, params["loc"], params["scale"])
        location_scale = {"Laplace": stats.laplace, "Logistic": stats.logistic, "Gumbel": stats.gumbel_r,
                          "Cauchy": stats.cauchy}
        if family in location_scale:
            return location_scale[family].logpdf(x, params["loc"], params["scale"])
        if family == "StudentT":
            return stats.t.logpdf(x, params["df"], params["loc"], params["scale"])
        if family == "LogNormal":  # jax.scipy.stats has no lognorm: the change of variables, by hand
            return stats.norm.logpdf(jnp.log(x), params["loc"], params["scale"]) - jnp.log(x)
        if family == "MultivariateNormalDiag":
            return jnp.sum(stats.norm.logpdf(x, params["loc"], params["scale_diag"]), -1)
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
        jax, key, jnp = self.jax, self.jax.random.key(seed), self.jnp
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
        standard = {"Laplace": jax.random.laplace, "Logistic": jax.random.logistic, "Gumbel": jax.random.gumbel,
                    "Cauchy": jax.random.cauchy}
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
        trajectory: dict[str, list] = {k: [] for k in params}
        while iterations < max_iterations:
            for name, leaf in params.items():  # the point the loss `value` below is evaluated at
                trajectory[name].append(np.asarray(leaf).tolist())
            params, state, value, grad_norm = step(params, state)
            history.append(float(value))
            iterations += 1
            if float(grad_norm) <= 1e-9 or (len(history) > 1 and history[-2] - history[-1] == 0):
                break
        return Minimum({k: np.asarray(v) for k, v in params.items()}, float(fn(params)), iterations, history,
                       trajectory)

    # --- behaviours: each scenario in JAX's own idiom (functions in, functions out) --------------

    def _grads(self, fn: Callable, primals: dict[str, Any], dtype: str) -> dict[str, Gradient]:
        """Gradients through the adapter's own vjp, so a symbolic zero shows as disconnected."""
        return self.vjp(fn, {k: np.asarray(v) for k, v in primals.items()}, dtype, None)[1]

    def scenario_rebuilt_tensor_cuts_graph(self, dtype: str) -> dict:
        jnp = self.jnp
        at = {"s0": 1.5, "s1": 0.5, "rho": 0.6}
        stacked = self._grads(lambda p: jnp.sum(jnp.stack([
            jnp.stack([p["s0"] ** 2, p["rho"] * p["s0"] * p["s1"]]),
            jnp.stack([p["rho"] * p["s0"] * p["s1"], p["s1"] ** 2])])), at, dtype)
        error = None
        try:  # np.asarray of a traced value: JAX refuses, at trace time
            self.jax.grad(lambda s0, s1, rho: jnp.sum(jnp.asarray(np.asarray(
                [[s0 ** 2, rho * s0 * s1], [rho * s0 * s1, s1 ** 2]]))))(*(self.array(v, dtype) for v in at.values()))
        except Exception as err:
            error = err
        naive = failed(error) if error else Gradient(VALUE, np.asarray(np.nan))
        return observed(error, rebuilt_s0=naive, rebuilt_rho=naive, stacked_s0=stacked["s0"],
                        stacked_s1=stacked["s1"], stacked_rho=stacked["rho"])

    def scenario_distribution_reused_across_steps(self, dtype: str) -> dict:
        jax, jnp, norm = self.jax, self.jnp, self.jsp.stats.norm
        x = self.array(np.array([1.0, 2.0, 3.0]), dtype)
        # the loss is a function of the parameters: the distribution is rebuilt on every call by construction
        loss = lambda p: -jnp.sum(norm.logpdf(x, p["loc"], jnp.exp(p["log_scale"])))
        params = {"loc": self.array(0.0, dtype), "log_scale": self.array(0.0, dtype)}
        step = jax.jit(jax.grad(loss))
        first = step(params)
        params = jax.tree.map(lambda p, g: p - 0.1 * g, params, first)
        second = step(params)
        return observed(None, step1_loc=first["loc"], step1_log_scale=first["log_scale"],
                        step2_loc=second["loc"], step2_log_scale=second["log_scale"])

    def scenario_gradients_accumulate(self, dtype: str) -> dict:
        jnp = self.jnp
        f = lambda p: 3 * p["a"] + 2 * p["b"] * p["b"] + jnp.log(p["c"])
        at = {"a": 1.0, "b": 1.0, "c": 1.0}
        self._grads(f, at, dtype)
        twice = self._grads(f, at, dtype)  # a function of its inputs: no state to accumulate into
        return observed(None, **{f"twice_{k}": g for k, g in twice.items()},
                        **{f"zeroed_{k}": g for k, g in self._grads(f, at, dtype).items()})

    def scenario_vector_gradient_for_scalar(self, dtype: str) -> dict:
        jax, jnp = self.jax, self.jnp
        _, pullback = jax.vjp(lambda a: jnp.sum(3 * a), jnp.ones(3, dtype))
        try:
            (grad,) = pullback(self.array(np.array([1.0, 2.0, 3.0]), dtype))
        except Exception as err:
            return observed(err, a=failed(err))
        return observed(None, a=np.asarray(grad))

    def _sine_loss(self, theta: Any, s: int) -> Any:
        jnp = self.jnp
        t = jnp.linspace(0, 2 * np.pi, s, dtype=theta.dtype)
        return jnp.sum(jnp.sum(jnp.sin(t[:, None] + theta[None, :]), 1) ** 2) / s

    def scenario_loss_computed_outside_loop(self, dtype: str) -> dict:
        jax = self.jax
        theta = self.array(np.array([0.0, 0.5]), dtype)
        loss = self._sine_loss(theta, 64)  # a number: jax.grad needs a function, so the naive form is
        naive = self.vjp(lambda p: loss, {"theta": np.asarray(theta)}, dtype, None)[1]["theta"]  # lambda th: loss
        before = float(loss)
        for _ in range(3):
            theta = theta - 0.5 * np.asarray(naive.value)
        naive_change = float(loss) - before
        step = jax.jit(jax.grad(lambda th: self._sine_loss(th, 64)))
        start = float(self._sine_loss(theta, 64))
        for _ in range(3):
            theta = theta - 0.5 * step(theta)
        return observed(None, naive_loss_change=naive_change, naive_gradient=naive,
                        fixed_loss_decreased=float(float(self._sine_loss(theta, 64)) < start))

    def scenario_symmetric_start(self, dtype: str) -> dict:
        jax, jnp = self.jax, self.jnp
        grad_fn = jax.jit(jax.grad(lambda th: self._sine_loss(th, 64)))
        grad = np.asarray(grad_fn(self.array(np.zeros(2), dtype)))
        theta = self.array(np.array([0.0, 0.5]), dtype)
        for _ in range(100):
            theta = theta - 0.5 * grad_fn(theta)
        t = jnp.linspace(0, 2 * np.pi, 64, dtype=theta.dtype)
        residual = jnp.max(jnp.abs(jnp.sum(jnp.sin(t[:, None] + theta[None, :]), 1)))
        return observed(None, symmetric_grad_0=grad[0], symmetric_grad_1=grad[1],
                        symmetric_grad_difference=grad[0] - grad[1], perturbed_max_abs_sum=np.asarray(residual))

    def scenario_non_reparameterizable_samples(self, dtype: str) -> dict:
        jax, jnp, stats = self.jax, self.jnp, self.jsp.stats
        key = jax.random.key(0)
        at = {"p": 0.3, "rate": 2.0, "logits": np.log([0.2, 0.3, 0.5])}
        draws = {
            "bernoulli": ("p", lambda p: jnp.sum(jax.random.bernoulli(key, p["p"], (10,)).astype(dtype))),
            "poisson": ("rate", lambda p: jnp.sum(jax.random.poisson(key, p["rate"], (10,)).astype(dtype))),
            "categorical": ("logits", lambda p: jnp.sum(jax.random.categorical(key, p["logits"], shape=(10,))
                                                         .astype(dtype))),
        }
        values = {}
        for name, (param, fn) in draws.items():
            try:
                values[f"{name}_sample_grad"] = self._grads(fn, {param: at[param]}, dtype)[param]
            except Exception as err:
                values[f"{name}_sample_grad"] = failed(err)
        # the score-function (REINFORCE) contrast, exact by enumerating the outcomes: d/dtheta E[x]
        def surrogate(log_p: Callable, support: Any) -> Callable:
            def f(p: dict) -> Any:
                lp = log_p(p, support)
                return jnp.sum(jax.lax.stop_gradient(jnp.exp(lp)) * support.astype(lp.dtype) * lp)
            return f
        values["bernoulli_score"] = self._grads(surrogate(lambda p, k: stats.bernoulli.logpmf(k, p["p"]),
                                                          jnp.arange(2, dtype=dtype)), {"p": at["p"]}, dtype)["p"]
        counts = jnp.arange(60, dtype=dtype)
        values["poisson_score"] = self._grads(surrogate(lambda p, k: stats.poisson.logpmf(k, p["rate"]), counts),
                                              {"rate": at["rate"]}, dtype)["rate"]
        values["categorical_score"] = self._grads(surrogate(lambda p, k: jax.nn.log_softmax(p["logits"])[k],
                                                            jnp.arange(3)), {"logits": at["logits"]}, dtype)["logits"]
        return observed(None, **values)

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
