"""TensorFlow with TensorFlow-Probability: tf.GradientTape, tfp.distributions, tfp's L-BFGS (eager, TF's default)."""
from __future__ import annotations

from conformance.adapters import FrameworkAdapter


class TensorFlowAdapter(FrameworkAdapter):
    name = "tensorflow"
    distributions = "tensorflow_probability"
