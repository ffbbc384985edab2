"""TensorFlow with TensorFlow-Probability; tf.GradientTape for gradients, tfp's L-BFGS to minimize."""
from __future__ import annotations

import os
from typing import Any, Callable

import numpy as np

from conformance.adapters import DISCONNECTED, ERROR, VALUE, Adapter, Gradient, Minimum, describe_error, flatten
from conformance.expr import Ops, ops_from_namespace


class TensorFlowAdapter(Adapter):
    name = "tensorflow"
    distributions = "tensorflow_probability"

    def __init__(self) -> None:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        import tensorflow as tf
        import tensorflow_probability as tfp

        tf.config.threading.set_inter_op_parallelism_threads(1)
        tf.config.threading.set_intra_op_parallelism_threads(1)
        self.tf, self.tfd, self.tfp = tf, tfp.distributions, tfp

    def versions(self) -> dict[str, str]:
        return {"tensorflow": self.tf.__version__, "tensorflow_probability": self.tfp.__version__}

    def ops(self, dtype: str) -> Ops:
        tf = self.tf
        diag = lambda x: tf.linalg.diag(x) if x.shape.rank == 1 else tf.linalg.diag_part(x)
        return ops_from_namespace(tf.math, {
            "sum": tf.reduce_sum, "prod": tf.reduce_prod, "mean": tf.reduce_mean,
            "sqrt": tf.sqrt, "abs": tf.abs, "where": tf.where, "diag": diag,
            "tril": lambda x: tf.linalg.band_part(x, -1, 0),
            "matmul": tf.linalg.matmul, "transpose": tf.linalg.matrix_transpose,
        }, const=lambda v: tf.constant(v, dtype=dtype), stack=tf.stack)

    def array(self, value: np.ndarray, dtype: str) -> Any:
        return self.tf.constant(np.asarray(value), dtype=dtype)

    def numpy(self, value: Any) -> np.ndarray:
        return self.tf.convert_to_tensor(value).numpy()

    def vjp(self, fn: Callable, primals: dict[str, np.ndarray], dtype: str,
            cotangent: np.ndarray | None) -> tuple[np.ndarray, dict[str, Gradient]]:
        tf = self.tf
        variables = {k: self.array(v, dtype) for k, v in primals.items()}
        with tf.GradientTape() as tape:
            tape.watch(list(variables.values()))
            out = fn(variables)
        grad_out = None if cotangent is None else self.array(cotangent, dtype)
        try:
            grads = tape.gradient(out, list(variables.values()), output_gradients=grad_out)
        except Exception as err:  # a framework's refusal is a result, recorded per gradient
            return self.numpy(out), {k: Gradient(ERROR, error=describe_error(err)) for k in variables}
        return self.numpy(out), {k: self._gradient(g) for k, g in zip(variables, grads)}

    def _gradient(self, grad: Any) -> Gradient:
        if grad is None:
            return Gradient(DISCONNECTED, representation="None")
        if isinstance(grad, self.tf.IndexedSlices):  # sparse: same values, made dense
            return Gradient(VALUE, self.numpy(grad), representation="IndexedSlices")
        return Gradient(VALUE, self.numpy(grad))

    def _distribution(self, family: str, params: dict[str, Any]) -> Any:
        if family == "MultivariateNormal":
            tril = params.get("scale_tril")
            if tril is None:
                tril = self.tf.linalg.cholesky(params["covariance_matrix"])
            return self.tfd.MultivariateNormalTriL(loc=params["loc"], scale_tril=tril)
        return getattr(self.tfd, family)(**params)

    def log_prob(self, family: str, params: dict[str, Any], x: Any) -> Any:
        return self._distribution(family, params).log_prob(x)

    def sample(self, family: str, params: dict[str, Any], n: int, seed: int) -> Any:
        return self._distribution(family, params).sample(n, seed=(seed, 0))

    def minimize(self, fn: Callable, initial: dict[str, np.ndarray], dtype: str,
                 max_iterations: int) -> Minimum:
        tf = self.tf
        flat, unflatten = flatten(initial)
        history: list[float] = []

        def value_and_gradients(vector: Any) -> tuple[Any, Any]:
            with tf.GradientTape() as tape:
                tape.watch(vector)
                loss = fn(unflatten(vector, tf.reshape))
            history.append(float(loss))
            return loss, tape.gradient(loss, vector)

        result = self.tfp.optimizer.lbfgs_minimize(
            value_and_gradients, initial_position=self.array(flat, dtype),
            max_iterations=max_iterations, tolerance=1e-9, x_tolerance=0, f_relative_tolerance=0)
        params = {k: self.numpy(v) for k, v in unflatten(result.position, tf.reshape).items()}
        return Minimum(params, float(result.objective_value), int(result.num_iterations), history)
