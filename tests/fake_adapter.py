"""A NumPy stand-in adapter for testing the runner's isolation (never used to check a framework).

It crashes the worker process on cases whose function sums to 13, hangs on 14,
raises on 15, and otherwise answers with finite differences. TwiceAdapter, a
newer "version" of it, answers twice that: it disagrees with FakeAdapter.
"""
from __future__ import annotations

import os
import time

import numpy as np
from conformance.adapters import VALUE, Adapter, Gradient

from conformance import oracle


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
            os._exit(3)
        if marker == 14.0:
            time.sleep(3600)
        if marker == 15.0:
            raise RuntimeError("deliberate")
        grads = oracle.finite_differences(lambda env: np.sum(weights * fn(env)), primals)
        return fn(primals), {k: Gradient(VALUE, g) for k, (g, _) in grads.items()}


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
        import not_a_real_framework_xyz  # noqa: F401
