"""torch's autodiff primitives: reverse mode by torch.autograd.grad, forward mode by torch.func.jvp.

In the compiled regime the function is compiled by torch.compile (inductor on CPU) before autograd sees it, as a
user compiles a model and calls backward on its output: AOTAutograd compiles its backward too. Dynamo's caches are
reset first: every job's function has the same code object (the adapter's wrapper), so after its recompile limit
dynamo would quietly run the rest eagerly.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from conformance.vocabulary import Regime


def _in(regime: Regime, f: Callable[..., Any]) -> Callable[..., Any]:
    if regime == Regime.EAGER:
        return f
    torch._dynamo.reset()
    return torch.compile(f)


def pullback(f: Callable[..., Any], xs: list[Any], cotangent: Any, regime: Regime) -> tuple[Any, list[Any]]:
    """f(*xs) and its VJP with `cotangent` (None: the gradient of a scalar); None where an input is unused."""
    leaves = [x.requires_grad_(True) for x in xs]
    out = _in(regime, f)(*leaves)
    if not out.requires_grad:  # no input reaches the output: torch has no graph to walk
        return out, [None] * len(leaves)
    return out, list(torch.autograd.grad(out, leaves, cotangent, allow_unused=True))


def pushforward(f: Callable[..., Any], xs: list[Any], tangents: list[Any], regime: Regime) -> tuple[Any, Any]:
    result = _in(regime, lambda xs, ts: torch.func.jvp(f, xs, ts))(tuple(xs), tuple(tangents))
    return result[0], result[1]


def hessian_vector(f: Callable[..., Any], xs: list[Any], tangents: list[Any], regime: Regime) -> tuple[Any, list[Any]]:
    """Eager: reverse over reverse, differentiating <grad f, v> with a graph kept by create_graph=True. Compiled:
    torch.func's forward over reverse, jvp of grad, compiled whole: AOTAutograd has no double backward
    (https://github.com/pytorch/pytorch/issues/91469), and torch.func is how torch's docs write an HVP
    (https://docs.pytorch.org/docs/stable/func.migrating.html)."""
    if regime != Regime.EAGER:
        def hvp(xs: tuple, ts: tuple) -> tuple[Any, Any]:
            return f(*xs), torch.func.jvp(torch.func.grad(f, argnums=tuple(range(len(xs)))), xs, ts)[1]
        out, hv = _in(regime, hvp)(tuple(xs), tuple(tangents))
        return out, list(hv)
    leaves = [x.requires_grad_(True) for x in xs]
    out = f(*leaves)
    grads = torch.autograd.grad(out, leaves, create_graph=True, allow_unused=True)
    dot = sum((g * t).sum() for g, t in zip(grads, tangents, strict=True) if g is not None)
    if not getattr(dot, "requires_grad", False):
        return out, [None] * len(leaves)
    return out, list(torch.autograd.grad(dot, leaves, allow_unused=True))


def evaluate(f: Callable[..., Any], xs: list[Any], regime: Regime) -> Any:
    """f(*xs) under torch.no_grad(), as a user evaluates a model for inference: no graph is recorded; compiled by
    torch.compile in the compiled regime (an inference graph: AOTAutograd traces no backward)."""
    with torch.no_grad():
        return _in(regime, f)(*xs)
