"""torch's autodiff primitives: reverse mode by torch.autograd.grad, forward mode by torch.func.jvp."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch


def pullback(f: Callable[..., Any], xs: list[Any], cotangent: Any) -> tuple[Any, list[Any]]:
    """f(*xs) and its VJP with `cotangent` (None: the gradient of a scalar); None where an input is unused."""
    leaves = [x.requires_grad_(True) for x in xs]
    out = f(*leaves)
    if not out.requires_grad:  # no input reaches the output: torch has no graph to walk
        return out, [None] * len(leaves)
    return out, list(torch.autograd.grad(out, leaves, cotangent, allow_unused=True))


def pushforward(f: Callable[..., Any], xs: list[Any], tangents: list[Any]) -> tuple[Any, Any]:
    result = torch.func.jvp(f, tuple(xs), tuple(tangents))
    return result[0], result[1]


def hessian_vector(f: Callable[..., Any], xs: list[Any], tangents: list[Any]) -> tuple[Any, list[Any]]:
    """Reverse over reverse: differentiate <grad f, v> with a graph kept by create_graph=True."""
    leaves = [x.requires_grad_(True) for x in xs]
    out = f(*leaves)
    grads = torch.autograd.grad(out, leaves, create_graph=True, allow_unused=True)
    dot = sum((g * t).sum() for g, t in zip(grads, tangents, strict=True) if g is not None)
    if not getattr(dot, "requires_grad", False):
        return out, [None] * len(leaves)
    return out, list(torch.autograd.grad(dot, leaves, allow_unused=True))
