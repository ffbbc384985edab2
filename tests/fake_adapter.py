"""A NumPy stand-in adapter for testing the runner's isolation (never used to check a framework).

It crashes the worker process on cases whose id contains "crash", hangs on
"hang", raises on "raise", and otherwise answers with finite differences.
"""
from __future__ import annotations

import os
import time

import numpy as np

from conformance import oracle
from conformance.adapters import VALUE, Adapter, Gradient


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


class BrokenAdapter(Adapter):
    """An adapter whose framework is missing."""

    def __init__(self):
        import not_a_real_framework_xyz  # noqa: F401
