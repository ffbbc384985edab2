"""JAX's autodiff primitives, jitted as JAX code normally runs: jax.vjp, jax.jvp, and jvp of grad for HVPs."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.extend
import jax.numpy as jnp
import numpy as np

from conformance.adapters import DISCONNECTED, Gradient

_PROGRAMS: dict[tuple, Callable] = {}


def pullback(f: Callable[..., Any], xs: list[Any], cotangent: Any) -> tuple[Any, list[Any]]:
    """f(*xs) and its VJP; an input the output does not depend on gets JAX's symbolic zero, marked disconnected."""
    def forward_and_pullback(ct: Any, *xs: Any) -> tuple[Any, Any]:
        out, pull = jax.vjp(f, *xs)
        return out, pull(ct)

    if cotangent is None:
        if jax.eval_shape(f, *xs).shape != ():
            jax.grad(f)(*xs)  # raises jax.grad's own error for a non-scalar output
        cotangent = jnp.ones((), xs[0].dtype if xs else float)
    program, (out, *grads) = _run(forward_and_pullback, cotangent, *xs)
    connected = _depends_on_first_input(program.jaxpr)[1:]
    return out, [g if linked else Gradient(DISCONNECTED, np.asarray(g), representation="symbolic zero")
                 for g, linked in zip(grads, connected, strict=True)]


def pushforward(f: Callable[..., Any], xs: list[Any], tangents: list[Any]) -> tuple[Any, Any]:
    _, (out, tangent) = _run(lambda xs, ts: jax.jvp(f, xs, ts), tuple(xs), tuple(tangents))
    return out, tangent


def hessian_vector(f: Callable[..., Any], xs: list[Any], tangents: list[Any]) -> tuple[Any, list[Any]]:
    """Forward over reverse, jax.jvp of jax.grad: the JAX autodiff cookbook's hvp."""
    grad = jax.grad(f, argnums=tuple(range(len(xs))))
    _, (out, *hv) = _run(lambda xs, ts: (f(*xs), jax.jvp(lambda *a: grad(*a), xs, ts)[1]), tuple(xs), tuple(tangents))
    return out, hv


def _run(f: Callable, *args: Any) -> tuple[Any, list[Any]]:
    """f(*args) jitted, as JAX code normally runs: its traced program and its flat outputs.

    One XLA compilation per distinct program (not one per primitive, as in
    eager mode), cached by the program's text and constants: checking the
    same function again, at new values of the same shapes, reuses it. The
    program is traced after jax.vjp/jvp, so its text is the whole computation.
    """
    program = jax.make_jaxpr(f)(*args)
    key = (str(program.jaxpr), tuple(map(_fingerprint, program.consts)))
    if key not in _PROGRAMS:
        _PROGRAMS[key] = jax.jit(jax.extend.core.jaxpr_as_fun(program))
    return program, _PROGRAMS[key](*jax.tree.leaves(args))


def _fingerprint(constant: Any) -> tuple:
    """A constant's identity by value (a PRNG key by its key data)."""
    dtype = str(getattr(constant, "dtype", type(constant)))
    if hasattr(constant, "dtype") and jax.dtypes.issubdtype(constant.dtype, jax.dtypes.prng_key):
        constant = jax.random.key_data(constant)
    value = np.asarray(constant)
    return dtype, value.shape, value.tobytes()


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
