"""PyTorch with torch.distributions; torch.autograd for gradients, torch.optim.LBFGS to minimize."""
from __future__ import annotations

import warnings
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


class TorchAdapter(Adapter):
    name = "torch"
    distributions = "torch.distributions"

    def __init__(self) -> None:
        import torch

        self.torch = torch
        torch.set_num_threads(1)

    def versions(self) -> dict[str, str]:
        return {"torch": self.torch.__version__}

    def _dtype(self, dtype: str) -> Any:
        return getattr(self.torch, dtype)

    def ops(self, dtype: str) -> Ops:
        torch = self.torch
        linalg = torch.linalg
        return ops_from_namespace(torch, {
            "sigmoid": torch.sigmoid, "softplus": torch.nn.functional.softplus,
            "transpose": lambda x: x.transpose(-1, -2), "clip": torch.clamp,
            # full reductions are torch.max(x) (ties share the gradient); along an axis, torch.max(x, dim)
            # (the gradient goes to one index), as the torch.amax docs contrast
            "max": lambda x, axis=None: torch.max(x) if axis is None else torch.max(x, axis).values,
            "min": lambda x, axis=None: torch.min(x) if axis is None else torch.min(x, axis).values,
            "logsumexp": lambda x: torch.logsumexp(x.reshape(-1), 0), "norm": linalg.norm,
            "cholesky": linalg.cholesky, "solve": linalg.solve, "logdet": lambda a: linalg.slogdet(a)[1],
            "eigvalsh": linalg.eigvalsh, "det": linalg.det,
        }, const=lambda v: torch.tensor(v, dtype=self._dtype(dtype)), stack=torch.stack)

    def array(self, value: npt.ArrayLike, dtype: str) -> Any:
        return self.torch.tensor(np.asarray(value), dtype=self._dtype(dtype))

    def numpy(self, value: Any) -> np.ndarray:
        return value.detach().cpu().numpy()

    def vjp(self, fn: Callable, primals: dict[str, np.ndarray], dtype: str,
            cotangent: np.ndarray | None) -> tuple[np.ndarray, dict[str, Gradient]]:
        torch = self.torch
        leaves = {k: self.array(v, dtype).requires_grad_(True) for k, v in primals.items()}
        out = fn(leaves)
        if not out.requires_grad:  # no input reaches the output: torch has no graph to walk
            return self.numpy(out), {k: Gradient(DISCONNECTED, representation="None") for k in leaves}
        grad_out = None if cotangent is None else self.array(cotangent, dtype)
        try:
            grads = torch.autograd.grad(out, list(leaves.values()), grad_out, allow_unused=True)
        except Exception as err:  # a framework's refusal is a result, recorded per gradient
            return self.numpy(out), {k: Gradient(ERROR, error=describe_error(err)) for k in leaves}
        return self.numpy(out), {
            k: Gradient(DISCONNECTED, representation="None") if g is None else Gradient(VALUE, self.numpy(g))
            for k, g in zip(leaves, grads, strict=True)}

    def jvp(self, fn: Callable, primals: dict[str, np.ndarray], dtype: str,
            tangents: dict[str, np.ndarray]) -> tuple[np.ndarray, Gradient]:
        torch, names = self.torch, list(primals)
        xs = tuple(self.array(primals[k], dtype) for k in names)
        ts = tuple(self.array(tangents[k], dtype) for k in names)
        try:
            out, tangent = torch.func.jvp(lambda *a: fn(dict(zip(names, a, strict=True))), xs, ts)
        except Exception as err:
            return np.array(np.nan), failed(err)
        return self.numpy(out), Gradient(VALUE, self.numpy(tangent))

    def hvp(self, fn: Callable, primals: dict[str, np.ndarray], dtype: str,
            tangents: dict[str, np.ndarray]) -> tuple[np.ndarray, dict[str, Gradient]]:
        """Reverse over reverse: differentiate <grad f, v> with a graph kept by create_graph=True."""
        torch = self.torch
        leaves = {k: self.array(v, dtype).requires_grad_(True) for k, v in primals.items()}
        try:
            out = fn(leaves)
            grads = torch.autograd.grad(out, list(leaves.values()), create_graph=True, allow_unused=True)
            dot = sum((g * self.array(tangents[k], dtype)).sum()
                      for k, g in zip(leaves, grads, strict=True) if g is not None)
            if not getattr(dot, "requires_grad", False):
                return self.numpy(out), {k: Gradient(DISCONNECTED, representation="None") for k in leaves}
            hv = torch.autograd.grad(dot, list(leaves.values()), allow_unused=True)
        except Exception as err:
            return np.array(np.nan), {k: failed(err) for k in leaves}
        return self.numpy(out), {
            k: Gradient(DISCONNECTED, representation="None") if g is None else Gradient(VALUE, self.numpy(g))
            for k, g in zip(leaves, hv, strict=True)}

    def _distribution(self, family: str, params: dict[str, Any]) -> Any:
        D = self.torch.distributions
        if family == "MultivariateNormalDiag":
            return D.Independent(D.Normal(params["loc"], params["scale_diag"]), 1)
        if family == "Logistic":  # torch has no Logistic: the TransformedDistribution recipe of its docs
            loc, scale = params["loc"], params["scale"]
            uniform = D.Uniform(self.torch.zeros_like(loc), self.torch.ones_like(loc))
            return D.TransformedDistribution(uniform, [D.transforms.SigmoidTransform().inv,
                                                       D.transforms.AffineTransform(loc, scale)])
        return getattr(D, family)(**params)

    def log_prob(self, family: str, params: dict[str, Any], x: Any) -> Any:
        return self._distribution(family, params).log_prob(x)

    def sample(self, family: str, params: dict[str, Any], n: int, seed: int) -> Any:
        self.torch.manual_seed(seed)
        return self._distribution(family, params).rsample((n,))

    def minimize(self, fn: Callable, initial: dict[str, np.ndarray], dtype: str,
                 max_iterations: int) -> Minimum:
        torch = self.torch
        leaves = {k: self.array(v, dtype).requires_grad_(True) for k, v in initial.items()}
        optimizer = torch.optim.LBFGS(list(leaves.values()), lr=1, max_iter=max_iterations,
                                      tolerance_grad=1e-9, tolerance_change=1e-12,
                                      history_size=20, line_search_fn="strong_wolfe")
        history: list[float] = []
        trajectory: dict[str, list] = {}

        def closure() -> Any:
            optimizer.zero_grad()
            loss = fn(leaves)
            loss.backward()
            history.append(loss.item())
            for name, leaf in leaves.items():
                trajectory.setdefault(name, []).append(leaf.detach().tolist())
            return loss

        optimizer.step(closure)
        state = optimizer.state[optimizer._params[0]]
        with torch.no_grad():
            loss = float(fn(leaves))
        return Minimum({k: self.numpy(v) for k, v in leaves.items()}, loss, int(state.get("n_iter", 0)),
                       history, trajectory)


    # --- behaviours: each scenario in torch's own idiom ------------------------------------------

    def _leaf(self, value: float, dtype: str) -> Any:
        return self.torch.tensor(value, dtype=self._dtype(dtype), requires_grad=True)

    def _grad(self, leaf: Any) -> Any:
        return None if leaf.grad is None else self.numpy(leaf.grad)

    def scenario_rebuilt_tensor_cuts_graph(self, dtype: str) -> dict:
        torch = self.torch
        s0, s1, rho = (self._leaf(v, dtype) for v in (1.5, 0.5, 0.6))
        stacked = torch.stack([torch.stack([s0 ** 2, rho * s0 * s1]), torch.stack([rho * s0 * s1, s1 ** 2])])
        fixed = torch.autograd.grad(stacked.sum(), [s0, s1, rho])
        with warnings.catch_warnings():  # torch warns that it converts tensors to numbers: the scenario's point
            warnings.simplefilter("ignore", UserWarning)
            rebuilt = torch.tensor([[s0 ** 2, rho * s0 * s1], [rho * s0 * s1, s1 ** 2]], dtype=self._dtype(dtype))
        error = None
        try:
            rebuilt.sum().backward()
        except Exception as err:  # element 0 of tensors does not require grad
            error = err
        return observed(error, rebuilt_requires_grad=float(rebuilt.requires_grad), rebuilt_s0=self._grad(s0),
                        rebuilt_rho=self._grad(rho), stacked_s0=self.numpy(fixed[0]), stacked_s1=self.numpy(fixed[1]),
                        stacked_rho=self.numpy(fixed[2]))

    def scenario_distribution_reused_across_steps(self, dtype: str) -> dict:
        torch = self.torch
        x = self.array(np.array([1.0, 2.0, 3.0]), dtype)
        loc, log_scale = self._leaf(0.0, dtype), self._leaf(0.0, dtype)
        optimizer = torch.optim.SGD([loc, log_scale], lr=0.1)
        normal = torch.distributions.Normal(loc, log_scale.exp())  # built once, outside the loop
        step1, error = {}, None
        try:
            for step in range(2):
                optimizer.zero_grad()
                (-normal.log_prob(x).sum()).backward()
                if step == 0:
                    step1 = {"step1_loc": self._grad(loc), "step1_log_scale": self._grad(log_scale)}
                optimizer.step()
        except Exception as err:  # Trying to backward through the graph a second time
            error = err
        # the fix: rebuild the distribution from the parameters inside the loop
        loc, log_scale = self._leaf(0.0, dtype), self._leaf(0.0, dtype)
        optimizer = torch.optim.SGD([loc, log_scale], lr=0.1)
        for _ in range(2):
            optimizer.zero_grad()
            (-torch.distributions.Normal(loc, log_scale.exp()).log_prob(x).sum()).backward()
            optimizer.step()
        return observed(error, **step1, step2_loc=self._grad(loc), step2_log_scale=self._grad(log_scale))

    def scenario_gradients_accumulate(self, dtype: str) -> dict:
        a, b, c = (self._leaf(1.0, dtype) for _ in range(3))
        y = 3 * a + 2 * b * b + c.log()
        y.backward(retain_graph=True)
        y.backward()
        twice = {"twice_a": self._grad(a), "twice_b": self._grad(b), "twice_c": self._grad(c)}
        for leaf in (a, b, c):
            leaf.grad = None  # what optimizer.zero_grad() does (set_to_none=True)
        (3 * a + 2 * b * b + c.log()).backward()
        return observed(None, **twice, zeroed_a=self._grad(a), zeroed_b=self._grad(b), zeroed_c=self._grad(c))

    def scenario_vector_gradient_for_scalar(self, dtype: str) -> dict:
        torch = self.torch
        a = self.torch.ones(3, dtype=self._dtype(dtype), requires_grad=True)
        y = (3 * a).sum()
        try:
            y.backward(torch.tensor([1.0, 2.0, 3.0], dtype=self._dtype(dtype)))
        except Exception as err:
            return observed(err, a=failed(err))
        return observed(None, a=self._grad(a))

    def _sine_loss(self, theta: Any, s: int) -> Any:
        torch = self.torch
        t = torch.linspace(0, 2 * np.pi, s, dtype=theta.dtype)
        return (torch.sin(t[:, None] + theta[None, :]).sum(1) ** 2).sum() / s

    def scenario_loss_computed_outside_loop(self, dtype: str) -> dict:
        torch = self.torch
        theta = self.array(np.array([0.0, 0.5]), dtype).requires_grad_(True)
        optimizer = torch.optim.SGD([theta], lr=0.5)
        loss = self._sine_loss(theta, 64)  # once, outside the loop
        before, error = loss.item(), None
        try:
            for _ in range(3):
                optimizer.zero_grad()
                loss.backward(retain_graph=True)  # the same stale graph, the same gradient, every step
                optimizer.step()
        except Exception as err:
            error = err
        naive_change = loss.item() - before
        start = self._sine_loss(theta, 64).item()
        for _ in range(3):
            optimizer.zero_grad()
            loss = self._sine_loss(theta, 64)  # the fix: inside the loop
            loss.backward()
            optimizer.step()
        return observed(error, naive_loss_change=naive_change,
                        fixed_loss_decreased=float(self._sine_loss(theta, 64).item() < start))

    def scenario_symmetric_start(self, dtype: str) -> dict:
        torch = self.torch
        theta = self.array(np.zeros(2), dtype).requires_grad_(True)
        grad = self.numpy(torch.autograd.grad(self._sine_loss(theta, 64), theta)[0])
        theta = self.array(np.array([0.0, 0.5]), dtype).requires_grad_(True)
        optimizer = torch.optim.SGD([theta], lr=0.5)
        for _ in range(100):
            optimizer.zero_grad()
            self._sine_loss(theta, 64).backward()
            optimizer.step()
        t = torch.linspace(0, 2 * np.pi, 64, dtype=theta.dtype)
        with torch.no_grad():
            residual = torch.sin(t[:, None] + theta[None, :]).sum(1).abs().max()
        return observed(None, symmetric_grad_0=grad[0], symmetric_grad_1=grad[1],
                        symmetric_grad_difference=grad[0] - grad[1], perturbed_max_abs_sum=self.numpy(residual))

    def scenario_non_reparameterizable_samples(self, dtype: str) -> dict:
        torch, D = self.torch, self.torch.distributions
        torch.manual_seed(0)
        p, rate = self._leaf(0.3, dtype), self._leaf(2.0, dtype)
        logits = self.array(np.log([0.2, 0.3, 0.5]), dtype).requires_grad_(True)
        samples = {"bernoulli": (D.Bernoulli(probs=p).sample((10,)), p),
                   "poisson": (D.Poisson(rate).sample((10,)), rate),
                   "categorical": (D.Categorical(logits=logits).sample((10,)).to(p.dtype), logits)}
        values = {}
        for name, (sample, param) in samples.items():
            values[f"{name}_sample_grad"] = (None if not sample.requires_grad else
                                             self.numpy(torch.autograd.grad(sample.sum(), param)[0]))
        # the score-function (REINFORCE) contrast, exact by enumerating the outcomes: d/dtheta E[x]
        values["bernoulli_score"] = self._score(D.Bernoulli(probs=p), torch.arange(2, dtype=p.dtype), p)
        values["poisson_score"] = self._score(D.Poisson(rate), torch.arange(60, dtype=p.dtype), rate)
        categorical = D.Categorical(logits=logits)
        values["categorical_score"] = self._score(categorical, torch.arange(3), logits)
        try:
            D.Bernoulli(probs=p).rsample()
            error = None
        except NotImplementedError as err:
            error = err
        return observed(error, **values)

    def _score(self, dist: Any, support: Any, param: Any) -> np.ndarray:
        """sum_x p(x) f(x) d log p(x)/dtheta with f(x) = x and p(x) held constant: the REINFORCE expectation."""
        log_p = dist.log_prob(support)
        surrogate = (log_p.exp().detach() * support.to(log_p.dtype) * log_p).sum()
        return self.numpy(self.torch.autograd.grad(surrogate, param)[0])
