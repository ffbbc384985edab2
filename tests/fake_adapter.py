"""A NumPy stand-in adapter for testing the runner's isolation (never used to check a framework).

It crashes the worker process on cases whose function sums to 13 (saying so on
stderr first), hangs on 14 (touching the file $FAKE_ADAPTER_HANGING names, so a
test knows the worker is inside the job), raises on 15, and otherwise answers
with finite differences. TwiceAdapter, a newer "version" of it, answers twice
that: it disagrees with FakeAdapter. BlindAdapter answers without differentiating the
function, so the oracle can fail alone; NoisyAdapter writes to stdout and stderr
when it starts, as TensorFlow does. Omitting, Misnaming, Huge and Stuck stand for another package's adapter that
breaks the contract: a gradient left out, one for an unknown name, one of 10^8 elements, a start-up that hangs.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import numpy as np

from conformance import oracle
from conformance.adapters import VALUE, Adapter, Gradient
from conformance.expr import Ops


class FakeAdapter(Adapter):
    name = "fake"

    def versions(self) -> dict[str, str]:
        return {"fake": "1.0"}

    def ops(self, dtype):
        return oracle.NUMPY

    def array(self, value, dtype):
        return np.asarray(value, np.float64)

    def vjp(self, fn, primals, dtype, cotangent):
        weights = 1.0 if cotangent is None else cotangent
        # the case id is not passed to adapters; the function's value tells the cases apart
        marker = float(np.sum(fn(primals)))
        if marker == 13.0:
            print("fake adapter: crashing on purpose", file=sys.stderr, flush=True)
            os._exit(3)
        if marker == 14.0:
            if os.environ.get("FAKE_ADAPTER_HANGING"):
                Path(os.environ["FAKE_ADAPTER_HANGING"]).touch()
            time.sleep(3600)
        if marker == 15.0:
            raise RuntimeError("deliberate")
        # the terms of the weighted sum differenced, as the reference does; where the oracle abstains (a kink), 0:
        # the minimum-norm subgradient the library's kink cases state
        grads = oracle.finite_differences(lambda env: np.real(weights * fn(env)), primals)
        return fn(primals), {k: Gradient(VALUE, np.nan_to_num(g, nan=0.0)) for k, (g, _) in grads.items()}


class TwiceAdapter(FakeAdapter):
    """FakeAdapter 2.0, with a bug: every gradient is doubled."""

    def versions(self) -> dict[str, str]:
        return {"fake": "2.0"}

    def vjp(self, fn, primals, dtype, cotangent):
        value, grads = super().vjp(fn, primals, dtype, cotangent)
        return value, {k: Gradient(VALUE, 2 * g.value) for k, g in grads.items()}


class BrokenAdapter(Adapter):
    """An adapter whose framework is missing."""

    def __init__(self):
        import not_a_real_framework_xyz  # type: ignore[import-not-found]  # noqa: F401


class BlindAdapter(FakeAdapter):
    """Gradients of ones, without differentiating the function: a case the NumPy oracle cannot evaluate still has a
    framework result, so the reference's failure is seen alone. Its output is the function's value where NumPy can
    evaluate it (so that its primal is honest), else a zero."""

    def vjp(self, fn, primals, dtype, cotangent):
        try:
            out = fn(primals)
        except Exception:
            out = np.zeros(())
        return out, {k: Gradient(VALUE, np.ones_like(np.asarray(v, np.float64))) for k, v in primals.items()}


class NoisyAdapter(FakeAdapter):
    """Prints at start-up, through Python and straight into the file descriptors (as C++ logging does)."""

    def __init__(self):
        print("noisy: hello on stdout")
        print("noisy: hello on stderr", file=sys.stderr)
        os.write(1, b"noisy: C-level stdout\n")
        os.write(2, b"noisy: C-level stderr\n")


class SlowAdapter(FakeAdapter):
    """Each job takes 0.5 s: enough work that the runner should split it over several workers."""

    name = "slow"

    def vjp(self, fn, primals, dtype, cotangent):
        time.sleep(0.5)
        return super().vjp(fn, primals, dtype, cotangent)


class PlantedAdapter(FakeAdapter):
    """A divergence planted for the fuzzer's shrinker: its expm1 is twice NumPy's, so any gradient through expm1 is
    doubled, and nothing else differs from the oracle."""

    name = "planted"

    def ops(self, dtype):
        return Ops(
            {**oracle.NUMPY.functions, "expm1": lambda x: 2 * np.expm1(x)}, oracle.NUMPY.const, oracle.NUMPY.stack
        )

    def vjp(self, fn, primals, dtype, cotangent):
        weights = 1.0 if cotangent is None else cotangent
        grads = oracle.finite_differences(lambda env: np.real(np.conj(weights) * fn(env)), primals)
        return fn(primals), {k: Gradient(VALUE, g) for k, (g, _) in grads.items()}


class OmittingAdapter(FakeAdapter):
    """Another package's adapter that breaks the contract: it leaves out the gradient of the input named `b`."""

    def vjp(self, fn, primals, dtype, cotangent):
        value, grads = super().vjp(fn, primals, dtype, cotangent)
        return value, {k: g for k, g in grads.items() if k != "b"}


class MisnamingAdapter(FakeAdapter):
    """Breaks the contract with a gradient for a name the case does not differentiate."""

    def vjp(self, fn, primals, dtype, cotangent):
        value, grads = super().vjp(fn, primals, dtype, cotangent)
        return value, {**grads, "not_an_input": Gradient(VALUE, np.zeros(()))}


class HugeAdapter(FakeAdapter):
    """Answers each input with a gradient of 10^8 float64 elements (800 MB once sent), which costs nothing to make:
    every element is the same zero (a broadcast view)."""

    def vjp(self, fn, primals, dtype, cotangent):
        return fn(primals), {k: Gradient(VALUE, np.broadcast_to(np.float64(0.0), (10**8,))) for k in primals}


class StuckAdapter(FakeAdapter):
    """Hangs at start-up, as an adapter whose framework waits for a lock or a licence server would."""

    def __init__(self):
        time.sleep(3600)
