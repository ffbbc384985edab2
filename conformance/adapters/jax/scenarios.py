"""The behaviour scenarios in JAX's own idiom: functions in, functions out."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import jax.scipy as jsp
import jax.scipy.special
import jax.scipy.stats
import numpy as np

from conformance.adapters import VALUE, Adapter, Gradient, failed, observed


def _grads(adapter: Adapter, fn: Callable, primals: dict[str, Any], dtype: str) -> dict[str, Gradient]:
    """Gradients through the adapter's own vjp, so a symbolic zero shows as one."""
    return adapter.vjp(fn, {k: np.asarray(v) for k, v in primals.items()}, dtype, None)[1]


def rebuilt_tensor_cuts_graph(adapter: Adapter, dtype: str) -> dict:
    at = {"s0": 1.5, "s1": 0.5, "rho": 0.6}
    stacked = _grads(
        adapter,
        lambda p: jnp.sum(
            jnp.stack(
                [
                    jnp.stack([p["s0"] ** 2, p["rho"] * p["s0"] * p["s1"]]),
                    jnp.stack([p["rho"] * p["s0"] * p["s1"], p["s1"] ** 2]),
                ]
            )
        ),
        at,
        dtype,
    )
    error = None
    try:  # np.asarray of a traced value: JAX refuses, at trace time
        jax.grad(
            lambda s0, s1, rho: jnp.sum(jnp.asarray(np.asarray([[s0**2, rho * s0 * s1], [rho * s0 * s1, s1**2]])))
        )(*(adapter.array(v, dtype) for v in at.values()))
    except Exception as err:
        error = err
    naive = failed(error) if error else Gradient(VALUE, np.asarray(np.nan))
    return observed(
        error,
        rebuilt_s0=naive,
        rebuilt_rho=naive,
        stacked_s0=stacked["s0"],
        stacked_s1=stacked["s1"],
        stacked_rho=stacked["rho"],
    )


def distribution_reused_across_steps(adapter: Adapter, dtype: str) -> dict:
    x = adapter.array(np.array([1.0, 2.0, 3.0]), dtype)
    # the loss is a function of the parameters: the distribution is rebuilt on every call by construction
    loss = lambda p: -jnp.sum(jsp.stats.norm.logpdf(x, p["loc"], jnp.exp(p["log_scale"])))
    params = {"loc": adapter.array(0.0, dtype), "log_scale": adapter.array(0.0, dtype)}
    step = jax.jit(jax.grad(loss))
    first = step(params)
    params = jax.tree.map(lambda p, g: p - 0.1 * g, params, first)
    second = step(params)
    return observed(
        None,
        step1_loc=first["loc"],
        step1_log_scale=first["log_scale"],
        step2_loc=second["loc"],
        step2_log_scale=second["log_scale"],
    )


def gradients_accumulate(adapter: Adapter, dtype: str) -> dict:
    f = lambda p: 3 * p["a"] + 2 * p["b"] * p["b"] + jnp.log(p["c"])
    at = {"a": 1.0, "b": 1.0, "c": 1.0}
    _grads(adapter, f, at, dtype)
    twice = _grads(adapter, f, at, dtype)  # a function of its inputs: no state to accumulate into
    return observed(
        None,
        **{f"twice_{k}": g for k, g in twice.items()},
        **{f"zeroed_{k}": g for k, g in _grads(adapter, f, at, dtype).items()},
    )


def vector_gradient_for_scalar(adapter: Adapter, dtype: str) -> dict:
    _, pullback = jax.vjp(lambda a: jnp.sum(3 * a), jnp.ones(3, dtype))
    try:
        (grad,) = pullback(adapter.array(np.array([1.0, 2.0, 3.0]), dtype))
    except Exception as err:
        return observed(err, a=failed(err))
    return observed(None, a=np.asarray(grad))


def _sine_loss(theta: Any, s: int) -> Any:
    t = jnp.linspace(0, 2 * np.pi, s, dtype=theta.dtype)
    return jnp.sum(jnp.sum(jnp.sin(t[:, None] + theta[None, :]), 1) ** 2) / s


def loss_computed_outside_loop(adapter: Adapter, dtype: str) -> dict:
    theta = adapter.array(np.array([0.0, 0.5]), dtype)
    loss = _sine_loss(theta, 64)  # a number: jax.grad needs a function, so the naive form is
    naive = adapter.vjp(lambda p: loss, {"theta": np.asarray(theta)}, dtype, None)[1]["theta"]  # lambda th: loss
    before = float(loss)
    for _ in range(3):
        theta = theta - 0.5 * np.asarray(naive.value)
    naive_change = float(loss) - before
    step = jax.jit(jax.grad(lambda th: _sine_loss(th, 64)))
    start = float(_sine_loss(theta, 64))
    for _ in range(3):
        theta = theta - 0.5 * step(theta)
    return observed(
        None,
        naive_loss_change=naive_change,
        naive_gradient=naive,
        fixed_loss_decreased=float(float(_sine_loss(theta, 64)) < start),
    )


def symmetric_start(adapter: Adapter, dtype: str) -> dict:
    grad_fn = jax.jit(jax.grad(lambda th: _sine_loss(th, 64)))
    grad = np.asarray(grad_fn(adapter.array(np.zeros(2), dtype)))
    theta = adapter.array(np.array([0.0, 0.5]), dtype)
    for _ in range(100):
        theta = theta - 0.5 * grad_fn(theta)
    t = jnp.linspace(0, 2 * np.pi, 64, dtype=theta.dtype)
    residual = jnp.max(jnp.abs(jnp.sum(jnp.sin(t[:, None] + theta[None, :]), 1)))
    return observed(
        None,
        symmetric_grad_0=grad[0],
        symmetric_grad_1=grad[1],
        symmetric_grad_difference=grad[0] - grad[1],
        perturbed_max_abs_sum=np.asarray(residual),
    )


def non_reparameterizable_samples(adapter: Adapter, dtype: str) -> dict:
    key = jax.random.key(0)
    at = {"p": 0.3, "rate": 2.0, "logits": np.log([0.2, 0.3, 0.5])}
    draws = {
        "bernoulli": ("p", lambda p: jnp.sum(jax.random.bernoulli(key, p["p"], (10,)).astype(dtype))),
        "poisson": ("rate", lambda p: jnp.sum(jax.random.poisson(key, p["rate"], (10,)).astype(dtype))),
        "categorical": (
            "logits",
            lambda p: jnp.sum(jax.random.categorical(key, p["logits"], shape=(10,)).astype(dtype)),
        ),
    }
    values = {}
    for name, (param, fn) in draws.items():
        try:
            values[f"{name}_sample_grad"] = _grads(adapter, fn, {param: at[param]}, dtype)[param]
        except Exception as err:
            values[f"{name}_sample_grad"] = failed(err)

    # the score-function (REINFORCE) contrast, exact by enumerating the outcomes: d/dtheta E[x]
    def surrogate(log_p: Callable, support: Any) -> Callable:
        def f(p: dict) -> Any:
            lp = log_p(p, support)
            return jnp.sum(jax.lax.stop_gradient(jnp.exp(lp)) * support.astype(lp.dtype) * lp)

        return f

    values["bernoulli_score"] = _grads(
        adapter,
        surrogate(lambda p, k: jsp.stats.bernoulli.logpmf(k, p["p"]), jnp.arange(2, dtype=dtype)),
        {"p": at["p"]},
        dtype,
    )["p"]
    counts = jnp.arange(60, dtype=dtype)
    values["poisson_score"] = _grads(
        adapter, surrogate(lambda p, k: jsp.stats.poisson.logpmf(k, p["rate"]), counts), {"rate": at["rate"]}, dtype
    )["rate"]
    values["categorical_score"] = _grads(
        adapter,
        surrogate(lambda p, k: jax.nn.log_softmax(p["logits"])[k], jnp.arange(3)),
        {"logits": at["logits"]},
        dtype,
    )["logits"]
    return observed(None, **values)
