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

from conformance.adapters import (
    FORWARD,
    REVERSE,
    composition_name,
    compositions,
    hvp_compositions,
    inner_product,
    nested,
)
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


def hessian_vector(
    f: Callable[..., Any], xs: list[Any], tangents: list[Any], regime: Regime
) -> tuple[Any, dict[str, Any]]:
    """f(*xs) and H v per input by each composition of `hvp_compositions` (its values, or what it raised), through
    torch.func and through torch.autograd with forward_ad: a forward level is a jvp along v, a reverse one the
    gradient of its inner level's inner product with v (create_graph=True under autograd). Compiled as
    `directional` compiles: torch.func's compositions whole, torch.autograd's around the compiled f (AOTAutograd
    has no double backward, https://github.com/pytorch/pytorch/issues/91469: that composition's error). f(*xs) is
    the compiled f's value on inputs that require grad, as `pullback` computes it."""
    leaves = [x.requires_grad_(True) for x in xs]
    compiled = _in(regime, f)
    out = compiled(*leaves)
    found: dict[str, Any] = {}
    for modes in hvp_compositions():
        for api, levels in (("func", _func_hvp(tangents)), ("autograd", _autograd_hvp(tangents))):
            try:
                if api == "func" and regime != Regime.EAGER and modes in COMPILED_CRASHES:
                    raise NotRun(COMPILED_CRASHES[modes])
                if api == "func":
                    value = _in(regime, nested(f, modes, levels))(*(x.detach() for x in xs))
                else:
                    value = nested(compiled, modes, levels)(*leaves)
                found[composition_name(modes, api)] = list(value)
            except Exception as err:  # a composition torch cannot nest is that gradient's finding
                found[composition_name(modes, api)] = err
    return out, found


class NotRun(RuntimeError):
    """A composition not run, because running it crashes the process (and every other result of the job with it)."""


#: torch.func's compositions of an H v whose torch.compile'd program segfaults, with why (torch 2.13, CPU inductor):
#: grad of jvp of 0.5 * sum(x * matmul(C, x)) with C made inside f. No upstream issue found (a relative, closed:
#: https://github.com/pytorch/pytorch/issues/190856, inductor's SIGSEGV on jacfwd(jacfwd(f)))
COMPILED_CRASHES = {
    (REVERSE, FORWARD): "not run: torch.compile(torch.func.grad(jvp of f)) segfaults on torch 2.13's "
    "inductor (no upstream issue found; see pytorch/pytorch#190856)"
}


def _func_hvp(vs: list[Any]) -> dict[str, Callable[[Callable[..., Any]], Callable[..., Any]]]:
    """torch.func's levels of an H v along `vs`, each taking a function of the inputs to its derivative."""

    def forward(g: Callable[..., Any]) -> Callable[..., Any]:
        return lambda *xs: torch.func.jvp(g, xs, tuple(vs))[1]

    def reverse(g: Callable[..., Any]) -> Callable[..., Any]:
        return lambda *xs: torch.func.grad(lambda *a: inner_product(g(*a), vs, _dot), argnums=tuple(range(len(xs))))(
            *xs
        )

    return {FORWARD: forward, REVERSE: reverse}


def _autograd_hvp(vs: list[Any]) -> dict[str, Callable[[Callable[..., Any]], Callable[..., Any]]]:
    """torch.autograd's levels of an H v along `vs`: forward_ad's dual tensors x + v eps, and torch.autograd.grad
    with create_graph=True; None where nothing flowed (autograd's own None)."""

    def forward(g: Callable[..., Any]) -> Callable[..., Any]:
        def derivative(*xs: Any) -> Any:
            with forward_ad.dual_level():
                value = g(*(forward_ad.make_dual(x, v) for x, v in zip(xs, vs, strict=True)))
                if isinstance(value, (tuple, list)):
                    return [None if d is None else forward_ad.unpack_dual(d).tangent for d in value]
                return forward_ad.unpack_dual(value).tangent

        return derivative

    def reverse(g: Callable[..., Any]) -> Callable[..., Any]:
        def derivative(*xs: Any) -> Any:
            scalar = inner_product(g(*xs), vs, _dot)
            if not getattr(scalar, "requires_grad", False):
                return [None] * len(xs)
            return list(torch.autograd.grad(scalar, xs, create_graph=True, allow_unused=True))

        return derivative

    return {FORWARD: forward, REVERSE: reverse}


def _dot(a: Any, b: Any) -> Any:
    return (a * b).sum()


def evaluate(f: Callable[..., Any], xs: list[Any], regime: Regime) -> Any:
    """f(*xs) under torch.no_grad(), as a user evaluates a model for inference: no graph is recorded; compiled by
    torch.compile in the compiled regime (an inference graph: AOTAutograd traces no backward)."""
    with torch.no_grad():
        return _in(regime, f)(*xs)


def directional(
    f: Callable[..., Any], xs: list[Any], vs: list[Any], order: int, regime: Regime
) -> tuple[Any, dict[str, Any]]:
    """f(*xs) and d^order/ds^order f(*(xs + s vs)) at s = 0 by each composition (its value, or what it raised),
    through torch.func (jvp, vjp: its functional transforms, which nest) and through torch.autograd with
    torch.autograd.forward_ad (dual tensors; reverse levels nest by create_graph=True).

    Compiled: torch.func's compositions are compiled whole (dynamo traces the transforms, as for the HVP); autograd's
    differentiate the compiled f, as `pullback` does, so what AOTAutograd cannot nest (a double backward) is that
    composition's error. f(*xs) is phi(0) under AD: the primal torch.func.jvp returns beside the first derivative.
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
                s.clone().requires_grad_(True)
            )
        except Exception as err:
            found[composition_name(modes, "autograd")] = err
    return _in(regime, lambda s: torch.func.jvp(phi, (s,), (torch.ones_like(s),))[0])(s), found


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
        rows = [
            torch.autograd.grad(y, s, create_graph=True, allow_unused=True)[0] if y.requires_grad else None
            for y in flat
        ]
        return torch.stack([torch.zeros_like(s) if r is None else r for r in rows]).reshape(out.shape)

    return derivative


_FUNC = {FORWARD: _func_forward, REVERSE: _func_reverse}
_AUTOGRAD = {FORWARD: _autograd_forward, REVERSE: _autograd_reverse}
