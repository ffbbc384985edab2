"""JAX's autodiff primitives: jax.vjp, jax.jvp, and jvp of grad for HVPs.

Jitted as JAX code normally runs (the compiled regime, JAX's default, which is also its xla one); in the eager
regime called without jit, each primitive dispatched op by op.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

import jax
import jax.extend
import jax.numpy as jnp
import numpy as np

from conformance.adapters import (
    FORWARD,
    REVERSE,
    SYMBOLIC_ZERO,
    VALUE,
    Gradient,
    Program,
    composition_name,
    compositions,
    hvp_compositions,
    inner_product,
    nested,
)
from conformance.vocabulary import Regime

#: distinct programs kept compiled; past that all are dropped, JAX's own caches too, so a worker's memory stays
#: flat however many jobs it runs (about 1 MB each otherwise); a suite's reuse is within a case, never that far.
#: Measured on generated jobs (a JAX worker is 238 MB once imported, 294 MB after its first job): 16 kept, 334 MB
#: from the 400th job on; 32, 361 MB; 64, 412 MB; 256, a plateau of 730 MB. 16 keeps a worker within its footprint
#: + 25% (issue 10); the persistent cache on disk still spares recompiling what was dropped
PROGRAMS_KEPT = 16


class _Compiled:
    """Compiled programs by what identifies them, bounded by PROGRAMS_KEPT."""

    def __init__(self) -> None:
        self.by_text: dict[tuple, Callable] = {}  # (jaxpr text, constants) -> jitted program
        self.by_key: dict[Hashable, tuple[Any, Callable]] = {}  # (Program key, argument types) -> (jaxpr, program)

    def flush_if_full(self) -> None:
        if max(len(self.by_text), len(self.by_key)) >= PROGRAMS_KEPT:
            self.by_text.clear()
            self.by_key.clear()
            jax.clear_caches()


_PROGRAMS = _Compiled()


def pullback(f: Callable[..., Any], xs: list[Any], cotangent: Any, regime: Regime) -> tuple[Any, list[Any]]:
    """f(*xs) and its VJP; an input the output does not depend on gets JAX's symbolic zero: the zeros `jax.grad`
    hands its user, their representation recorded as such."""

    def forward_and_pullback(ct: Any, *xs: Any) -> tuple[Any, Any]:
        out, pull = jax.vjp(f, *xs)
        # in the output's dtype, which astype makes differ from the job's: torch and TF convert it themselves
        return out, pull(ct.astype(out.dtype))

    key = _key("pullback", f)
    if cotangent is None:
        # a real loss (of complex inputs too), in the dtype of the first inexact input (integer data aside)
        inexact = next((x.dtype for x in xs if jnp.issubdtype(x.dtype, jnp.inexact)), jnp.dtype(float))
        cotangent = jnp.ones((), jnp.finfo(inexact).dtype)
        # a program found by its key was traced with this scalar cotangent: its output is a scalar
        if _typed(key, (cotangent, *xs)) not in _PROGRAMS.by_key and jax.eval_shape(f, *xs).shape != ():
            jax.grad(f)(*xs)  # raises jax.grad's own error for a non-scalar output
    program, (out, *grads) = _run(forward_and_pullback, cotangent, *xs, key=key, regime=regime)
    connected = _depends_on_first_input(program.jaxpr)[1:]
    return out, [
        _float0(g)
        if g.dtype == jax.dtypes.float0
        else g
        if linked
        else Gradient(VALUE, np.asarray(g), representation=SYMBOLIC_ZERO)
        for g, linked in zip(grads, connected, strict=True)
    ]


def _float0(grad: Any) -> Gradient:
    """An integer or boolean input's cotangent: JAX's float0, the tangent type with no values
    (https://docs.jax.dev/en/latest/notebooks/autodiff_cookbook.html): nothing flows to it, and its user gets an
    array of that type, a symbolic zero: judged as the zeros it stands for."""
    shape = tuple(np.shape(grad))
    return Gradient(VALUE, np.zeros(shape), representation=f"{SYMBOLIC_ZERO}: float0 of shape {shape}")


def pushforward(f: Callable[..., Any], xs: list[Any], tangents: list[Any], regime: Regime) -> tuple[Any, Any]:
    _, (out, tangent) = _run(
        lambda xs, ts: jax.jvp(f, xs, ts), tuple(xs), tuple(tangents), key=_key("pushforward", f), regime=regime
    )
    return out, tangent


def hessian_vector(
    f: Callable[..., Any], xs: list[Any], tangents: list[Any], regime: Regime
) -> tuple[Any, dict[str, Any]]:
    """f(*xs) and H v per input by each composition of `hvp_compositions` (its values, or what it raised): jax.jvp
    along v for a forward level, jax.grad of the inner level's inner product with v for a reverse one (fwd-over-rev
    is the JAX autodiff cookbook's hvp); each jitted whole with f(*xs) beside it (called as it is in the eager
    regime)."""
    found: dict[str, Any] = {}
    out = None
    for modes in hvp_compositions():
        name = composition_name(modes)

        def program(xs: tuple, ts: tuple, modes: tuple[str, ...] = modes) -> tuple[Any, Any]:
            return f(*xs), nested(f, modes, _hvp_levels(ts))(*xs)

        try:
            value, *hv = _run(
                program, tuple(xs), tuple(tangents), key=_key(f"hessian_vector {name}", f), regime=regime
            )[1]
        except Exception as err:  # a composition JAX cannot nest is that gradient's finding
            found[name] = err
            continue
        out = value if out is None else out
        found[name] = hv
    return f(*xs) if out is None else out, found


def _hvp_levels(vs: tuple) -> dict[str, Callable[[Callable[..., Any]], Callable[..., Any]]]:
    """JAX's levels of an H v along `vs`, each taking a function of the inputs to its derivative."""

    def reverse(g: Callable[..., Any]) -> Callable[..., Any]:
        return lambda *xs: jax.grad(
            lambda *a: inner_product(g(*a), list(vs), lambda d, v: jnp.sum(d * v)), argnums=tuple(range(len(xs)))
        )(*xs)

    return {FORWARD: lambda g: lambda *xs: jax.jvp(g, xs, vs)[1], REVERSE: reverse}


def evaluate(f: Callable[..., Any], xs: list[Any], regime: Regime) -> Any:
    """f(*xs) with no jax.vjp or jax.jvp around it: jitted alone as JAX code normally runs (a program of its own,
    found again by its key like the others), or called as it is in the eager regime."""
    if regime == Regime.EAGER:
        return f(*xs)
    _, (out,) = _run(f, *xs, key=_key("evaluate", f), regime=regime)
    return out


def _key(primitive: str, f: Callable[..., Any]) -> Hashable | None:
    return (primitive, f.key) if isinstance(f, Program) else None


def _run(f: Callable, *args: Any, key: Hashable | None, regime: Regime) -> tuple[Any, list[Any]]:
    """f(*args) jitted, as JAX code normally runs (eager: called as it is): its traced program and its flat outputs.

    The traced program (make_jaxpr traces, it never compiles) tells which inputs are disconnected, in either regime.

    One XLA compilation per distinct program (not one per primitive, as in
    eager mode), found by the program's text and its constants' types: the
    constants are the compiled program's arguments, so checking the same
    function again at new values, or a function that differs only in its
    constants, reuses it. The program is traced after jax.vjp/jvp, so its text is
    the whole computation. Where the function has a key (a `Program`), the
    program is also found by that key and the arguments' types, which skips
    tracing it again.
    """
    if regime == Regime.EAGER:
        return jax.make_jaxpr(f)(*args), jax.tree.leaves(f(*args))
    leaves, typed = jax.tree.leaves(args), _typed(key, args)
    if typed is not None and typed in _PROGRAMS.by_key:
        program, compiled = _PROGRAMS.by_key[typed]
        return program, compiled(program.consts, *leaves)
    _PROGRAMS.flush_if_full()
    program = jax.make_jaxpr(f)(*args)
    text = (str(program.jaxpr), tuple(map(_type, program.consts)))
    if text not in _PROGRAMS.by_text:
        _PROGRAMS.by_text[text] = jax.jit(_with_constants_as_arguments(program.jaxpr))
    if typed is not None:
        _PROGRAMS.by_key[typed] = program, _PROGRAMS.by_text[text]
    return program, _PROGRAMS.by_text[text](program.consts, *leaves)


def _typed(key: Hashable | None, args: tuple) -> Hashable | None:
    """A keyed program's identity with its arguments' structure and types."""
    return None if key is None else (key, jax.tree.structure(args), tuple(map(_type, jax.tree.leaves(args))))


def _with_constants_as_arguments(jaxpr: Any) -> Callable:
    def run(consts: list[Any], *args: Any) -> list[Any]:
        return jax.extend.core.jaxpr_as_fun(jax.extend.core.ClosedJaxpr(jaxpr, consts))(*args)

    return run


def _type(value: Any) -> tuple:
    """What a compiled program's argument must match: shape, dtype and weak type (a PRNG key's dtype names its
    implementation)."""
    return np.shape(value), str(value.dtype), bool(getattr(value, "weak_type", False))


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


def directional(
    f: Callable[..., Any], xs: list[Any], vs: list[Any], order: int, regime: Regime
) -> tuple[Any, dict[str, Any]]:
    """f(*xs) and d^order/ds^order f(*(xs + s vs)) at s = 0 by each composition (its value, or what it raised):
    jax.jvp for a forward level, jax.jacrev (VJPs, one per element of the output) for a reverse one; each
    composition jitted whole in the compiled regime, called as it is in the eager one. f(*xs) is phi(0) under AD:
    the primal jax.jvp returns beside the first derivative."""
    s = jnp.zeros((), jnp.finfo(xs[0].dtype).dtype)
    found: dict[str, Any] = {}
    for modes in compositions(order):
        name = composition_name(modes)

        def derivative(s: Any, xs: tuple, vs: tuple, modes: tuple[str, ...] = modes) -> Any:
            return nested(lambda s: f(*(x + s * v for x, v in zip(xs, vs, strict=True))), modes, _LEVELS)(s)

        try:
            found[name] = _run(derivative, s, tuple(xs), tuple(vs), key=_key(f"directional {name}", f), regime=regime)[
                1
            ][0]
        except Exception as err:  # a composition JAX cannot nest is that gradient's finding
            found[name] = err

    def under_ad(s: Any, xs: tuple, vs: tuple) -> Any:
        return jax.jvp(lambda s: f(*(x + s * v for x, v in zip(xs, vs, strict=True))), (s,), (jnp.ones_like(s),))[0]

    return _run(under_ad, s, tuple(xs), tuple(vs), key=_key("directional primal", f), regime=regime)[1][0], found


_LEVELS = {FORWARD: lambda g: lambda s: jax.jvp(g, (s,), (jnp.ones_like(s),))[1], REVERSE: jax.jacrev}
