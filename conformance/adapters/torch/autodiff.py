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
from torch.autograd import forward_ad

from conformance.adapters import FORWARD, REVERSE, composition_name, compositions, nested
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

def directional(f: Callable[..., Any], xs: list[Any], vs: list[Any], order: int,
                regime: Regime) -> tuple[Any, dict[str, Any]]:
    """f(*xs) and d^order/ds^order f(*(xs + s vs)) at s = 0 by each composition (its value, or what it raised),
    through torch.func (jvp, vjp: its functional transforms, which nest) and through torch.autograd with
    torch.autograd.forward_ad (dual tensors; reverse levels nest by create_graph=True).

    Compiled: torch.func's compositions are compiled whole (dynamo traces the transforms, as for the HVP); autograd's
    differentiate the compiled f, as `pullback` does, so what AOTAutograd cannot nest (a double backward) is that
    composition's error.
    """
    def phi(s: Any) -> Any:
        return f(*(x + s * v for x, v in zip(xs, vs, strict=True)))

    s = torch.zeros((), dtype=xs[0].real.dtype)
    found: dict[str, Any] = {}
    for modes in compositions(order):
        try:
            found[composition_name(modes, "func")] = _in(regime, nested(phi, modes, _FUNC))(s)
        except Exception as err:  # a composition torch.func cannot nest is that gradient's finding
            found[composition_name(modes, "func")] = err
        compiled = _in(regime, f)
        def compiled_phi(s: Any, compiled: Callable[..., Any] = compiled) -> Any:
            return compiled(*(x + s * v for x, v in zip(xs, vs, strict=True)))
        try:
            found[composition_name(modes, "autograd")] = nested(compiled_phi, modes, _AUTOGRAD)(
                s.clone().requires_grad_(True))
        except Exception as err:
            found[composition_name(modes, "autograd")] = err
    return f(*xs), found


def _func_forward(g: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda s: torch.func.jvp(g, (s,), (torch.ones_like(s),))[1]


def _func_reverse(g: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """The derivative of an array-valued g of the scalar s in reverse mode: one VJP per element of g."""
    def derivative(s: Any) -> Any:
        out, pull = torch.func.vjp(g, s)[:2]
        basis = torch.eye(out.numel(), dtype=out.dtype).reshape(-1, *out.shape)
        return torch.stack([pull(e)[0] for e in basis]).reshape(out.shape)
    return derivative


def _autograd_forward(g: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """forward_ad's dual tensor s + 1 eps; a level inside another raises (its own refusal to nest)."""
    def derivative(s: Any) -> Any:
        with forward_ad.dual_level():
            tangent = forward_ad.unpack_dual(g(forward_ad.make_dual(s, torch.ones_like(s)))).tangent
        return torch.zeros_like(s) if tangent is None else tangent
    return derivative


def _autograd_reverse(g: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """torch.autograd.grad of each element of g, with create_graph=True so that an outer level differentiates it;
    an element that does not depend on s (autograd's None) is zero."""
    def derivative(s: Any) -> Any:
        out = g(s)
        flat = out.reshape(-1)
        rows = [torch.autograd.grad(y, s, create_graph=True, allow_unused=True)[0] if y.requires_grad else None
                for y in flat]
        return torch.stack([torch.zeros_like(s) if r is None else r for r in rows]).reshape(out.shape)
    return derivative


_FUNC = {FORWARD: _func_forward, REVERSE: _func_reverse}
_AUTOGRAD = {FORWARD: _autograd_forward, REVERSE: _autograd_reverse}
