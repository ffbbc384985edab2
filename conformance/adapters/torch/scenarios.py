"""The behaviour scenarios in torch's own idiom: leaves with requires_grad, .backward(), optimizers."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import torch

from conformance.adapters import Adapter, failed, observed
from conformance.adapters.torch.core import dtype_of, numpy


def _leaf(value: float, dtype: str) -> Any:
    return torch.tensor(value, dtype=dtype_of(dtype), requires_grad=True)


def _grad(leaf: Any) -> Any:
    return None if leaf.grad is None else numpy(leaf.grad)


def rebuilt_tensor_cuts_graph(adapter: Adapter, dtype: str) -> dict:
    s0, s1, rho = (_leaf(v, dtype) for v in (1.5, 0.5, 0.6))
    stacked = torch.stack([torch.stack([s0**2, rho * s0 * s1]), torch.stack([rho * s0 * s1, s1**2])])
    fixed = torch.autograd.grad(stacked.sum(), [s0, s1, rho])
    with warnings.catch_warnings():  # torch warns that it converts tensors to numbers: the scenario's point
        warnings.simplefilter("ignore", UserWarning)
        rebuilt = torch.tensor([[s0**2, rho * s0 * s1], [rho * s0 * s1, s1**2]], dtype=dtype_of(dtype))
    error = None
    try:
        rebuilt.sum().backward()
    except Exception as err:  # element 0 of tensors does not require grad
        error = err
    return observed(
        error,
        rebuilt_requires_grad=float(rebuilt.requires_grad),
        rebuilt_s0=_grad(s0),
        rebuilt_rho=_grad(rho),
        stacked_s0=numpy(fixed[0]),
        stacked_s1=numpy(fixed[1]),
        stacked_rho=numpy(fixed[2]),
    )


def distribution_reused_across_steps(adapter: Adapter, dtype: str) -> dict:
    x = adapter.array(np.array([1.0, 2.0, 3.0]), dtype)
    loc, log_scale = _leaf(0.0, dtype), _leaf(0.0, dtype)
    optimizer = torch.optim.SGD([loc, log_scale], lr=0.1)
    normal = torch.distributions.Normal(loc, log_scale.exp())  # built once, outside the loop
    step1, error = {}, None
    try:
        for step in range(2):
            optimizer.zero_grad()
            (-normal.log_prob(x).sum()).backward()
            if step == 0:
                step1 = {"step1_loc": _grad(loc), "step1_log_scale": _grad(log_scale)}
            optimizer.step()
    except Exception as err:  # Trying to backward through the graph a second time
        error = err
    # the fix: rebuild the distribution from the parameters inside the loop
    loc, log_scale = _leaf(0.0, dtype), _leaf(0.0, dtype)
    optimizer = torch.optim.SGD([loc, log_scale], lr=0.1)
    for _ in range(2):
        optimizer.zero_grad()
        (-torch.distributions.Normal(loc, log_scale.exp()).log_prob(x).sum()).backward()
        optimizer.step()
    return observed(error, **step1, step2_loc=_grad(loc), step2_log_scale=_grad(log_scale))


def gradients_accumulate(adapter: Adapter, dtype: str) -> dict:
    a, b, c = (_leaf(1.0, dtype) for _ in range(3))
    y = 3 * a + 2 * b * b + c.log()
    y.backward(retain_graph=True)
    y.backward()
    twice = {"twice_a": _grad(a), "twice_b": _grad(b), "twice_c": _grad(c)}
    for leaf in (a, b, c):
        leaf.grad = None  # what optimizer.zero_grad() does (set_to_none=True)
    (3 * a + 2 * b * b + c.log()).backward()
    return observed(None, **twice, zeroed_a=_grad(a), zeroed_b=_grad(b), zeroed_c=_grad(c))


def vector_gradient_for_scalar(adapter: Adapter, dtype: str) -> dict:
    a = torch.ones(3, dtype=dtype_of(dtype), requires_grad=True)
    y = (3 * a).sum()
    try:
        y.backward(torch.tensor([1.0, 2.0, 3.0], dtype=dtype_of(dtype)))
    except Exception as err:
        return observed(err, a=failed(err))
    return observed(None, a=_grad(a))


def _sine_loss(theta: Any, s: int) -> Any:
    t = torch.linspace(0, 2 * np.pi, s, dtype=theta.dtype)
    return (torch.sin(t[:, None] + theta[None, :]).sum(1) ** 2).sum() / s


def loss_computed_outside_loop(adapter: Adapter, dtype: str) -> dict:
    theta = adapter.array(np.array([0.0, 0.5]), dtype).requires_grad_(True)
    optimizer = torch.optim.SGD([theta], lr=0.5)
    loss = _sine_loss(theta, 64)  # once, outside the loop
    before, error = loss.item(), None
    try:
        for _ in range(3):
            optimizer.zero_grad()
            loss.backward(retain_graph=True)  # the same stale graph, the same gradient, every step
            optimizer.step()
    except Exception as err:
        error = err
    naive_change = loss.item() - before
    start = _sine_loss(theta, 64).item()
    for _ in range(3):
        optimizer.zero_grad()
        loss = _sine_loss(theta, 64)  # the fix: inside the loop
        loss.backward()
        optimizer.step()
    return observed(
        error, naive_loss_change=naive_change, fixed_loss_decreased=float(_sine_loss(theta, 64).item() < start)
    )


def symmetric_start(adapter: Adapter, dtype: str) -> dict:
    theta = adapter.array(np.zeros(2), dtype).requires_grad_(True)
    grad = numpy(torch.autograd.grad(_sine_loss(theta, 64), theta)[0])
    theta = adapter.array(np.array([0.0, 0.5]), dtype).requires_grad_(True)
    optimizer = torch.optim.SGD([theta], lr=0.5)
    for _ in range(100):
        optimizer.zero_grad()
        _sine_loss(theta, 64).backward()
        optimizer.step()
    t = torch.linspace(0, 2 * np.pi, 64, dtype=theta.dtype)
    with torch.no_grad():
        residual = torch.sin(t[:, None] + theta[None, :]).sum(1).abs().max()
    return observed(
        None,
        symmetric_grad_0=grad[0],
        symmetric_grad_1=grad[1],
        symmetric_grad_difference=grad[0] - grad[1],
        perturbed_max_abs_sum=numpy(residual),
    )


def non_reparameterizable_samples(adapter: Adapter, dtype: str) -> dict:
    D = torch.distributions
    torch.manual_seed(0)
    p, rate = _leaf(0.3, dtype), _leaf(2.0, dtype)
    logits = adapter.array(np.log([0.2, 0.3, 0.5]), dtype).requires_grad_(True)
    samples = {
        "bernoulli": (D.Bernoulli(probs=p).sample((10,)), p),
        "poisson": (D.Poisson(rate).sample((10,)), rate),
        "categorical": (D.Categorical(logits=logits).sample((10,)).to(p.dtype), logits),
    }
    values = {}
    for name, (sample, param) in samples.items():
        values[f"{name}_sample_grad"] = (
            None if not sample.requires_grad else numpy(torch.autograd.grad(sample.sum(), param)[0])
        )
    # the score-function (REINFORCE) contrast, exact by enumerating the outcomes: d/dtheta E[x]
    values["bernoulli_score"] = _score(D.Bernoulli(probs=p), torch.arange(2, dtype=p.dtype), p)
    values["poisson_score"] = _score(D.Poisson(rate), torch.arange(60, dtype=p.dtype), rate)
    categorical = D.Categorical(logits=logits)
    values["categorical_score"] = _score(categorical, torch.arange(3), logits)
    try:
        D.Bernoulli(probs=p).rsample()
        error = None
    except NotImplementedError as err:
        error = err
    return observed(error, **values)


def _score(dist: Any, support: Any, param: Any) -> np.ndarray:
    """sum_x p(x) f(x) d log p(x)/dtheta with f(x) = x and p(x) held constant: the REINFORCE expectation."""
    log_p = dist.log_prob(support)
    surrogate = (log_p.exp().detach() * support.to(log_p.dtype) * log_p).sum()
    return numpy(torch.autograd.grad(surrogate, param)[0])
