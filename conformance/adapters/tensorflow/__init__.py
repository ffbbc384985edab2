"""TensorFlow with TensorFlow-Probability: tf.GradientTape, tfp.distributions, tfp's L-BFGS (eager, TF's default)."""

from __future__ import annotations

from conformance.adapters import FrameworkAdapter, Regimes
from conformance.vocabulary import Regime


class TensorFlowAdapter(FrameworkAdapter):
    name = "tensorflow"
    distributions = "tensorflow_probability"
    REGIMES = Regimes(
        Regime.EAGER,
        {Regime.EAGER: "eager", Regime.COMPILED: "tf.function", Regime.XLA: "tf.function(jit_compile=True)"},
    )
