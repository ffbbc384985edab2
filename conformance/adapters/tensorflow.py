"""TensorFlow with TensorFlow-Probability; tf.GradientTape for gradients, tfp's L-BFGS to minimize."""
from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from conformance.adapters import (
    DISCONNECTED,
    ERROR,
    VALUE,
    Adapter,
    Gradient,
    Minimum,
    describe_error,
    failed,
    flatten,
    observed,
)
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
            "matmul": self._matmul, "transpose": tf.linalg.matrix_transpose,
            "relu": tf.nn.relu, "clip": tf.clip_by_value, "max": tf.reduce_max, "min": tf.reduce_min,
            "logsumexp": tf.reduce_logsumexp, "norm": tf.norm, "cholesky": tf.linalg.cholesky,
            "solve": lambda a, b: tf.linalg.solve(a, b[..., None])[..., 0] if b.shape.rank == a.shape.rank - 1
            else tf.linalg.solve(a, b),
            "logdet": lambda a: tf.linalg.slogdet(a)[1], "eigvalsh": tf.linalg.eigvalsh, "det": tf.linalg.det,
        }, const=lambda v: tf.constant(v, dtype=dtype), stack=tf.stack)

    def _matmul(self, a: Any, b: Any) -> Any:
        """NumPy's matmul: a vector operand is a row or a column (tf.linalg.matmul wants rank >= 2)."""
        tf = self.tf
        if b.shape.rank == 1:
            return tf.linalg.matvec(a, b)
        if a.shape.rank == 1:
            return tf.linalg.matvec(b, a, transpose_a=True)
        return tf.linalg.matmul(a, b)

    def array(self, value: npt.ArrayLike, dtype: str) -> Any:
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
        return self.numpy(out), {k: self._gradient(g) for k, g in zip(variables, grads, strict=True)}

    def _gradient(self, grad: Any) -> Gradient:
        if grad is None:
            return Gradient(DISCONNECTED, representation="None")
        if isinstance(grad, self.tf.IndexedSlices):  # sparse: same values, made dense
            return Gradient(VALUE, self.numpy(grad), representation="IndexedSlices")
        return Gradient(VALUE, self.numpy(grad))

    def jvp(self, fn: Callable, primals: dict[str, np.ndarray], dtype: str,
            tangents: dict[str, np.ndarray]) -> tuple[np.ndarray, Gradient]:
        tf, names = self.tf, list(primals)
        xs = [self.array(primals[k], dtype) for k in names]
        try:
            with tf.autodiff.ForwardAccumulator(xs, [self.array(tangents[k], dtype) for k in names]) as acc:
                out = fn(dict(zip(names, xs, strict=True)))
            tangent = acc.jvp(out)
        except Exception as err:
            return np.array(np.nan), failed(err)
        if tangent is None:
            return self.numpy(out), Gradient(DISCONNECTED, representation="None")
        return self.numpy(out), Gradient(VALUE, self.numpy(tangent))

    def hvp(self, fn: Callable, primals: dict[str, np.ndarray], dtype: str,
            tangents: dict[str, np.ndarray]) -> tuple[np.ndarray, dict[str, Gradient]]:
        """Forward over reverse: a ForwardAccumulator around a GradientTape, as the TF autodiff guide shows."""
        tf, names = self.tf, list(primals)
        xs = [self.array(primals[k], dtype) for k in names]
        try:
            with tf.autodiff.ForwardAccumulator(xs, [self.array(tangents[k], dtype) for k in names]) as acc:
                with tf.GradientTape() as tape:
                    tape.watch(xs)
                    out = fn(dict(zip(names, xs, strict=True)))
                grads = tape.gradient(out, xs)
            hv = [None if g is None else acc.jvp(g) for g in grads]
        except Exception as err:
            return np.array(np.nan), {k: failed(err) for k in names}
        return self.numpy(out), {k: self._gradient(g) for k, g in zip(names, hv, strict=True)}

    def _distribution(self, family: str, params: dict[str, Any]) -> Any:
        if family == "MultivariateNormalDiag":
            return self.tfd.MultivariateNormalDiag(loc=params["loc"], scale_diag=params["scale_diag"])
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
        trajectory: dict[str, list] = {}

        def value_and_gradients(vector: Any) -> tuple[Any, Any]:
            with tf.GradientTape() as tape:
                tape.watch(vector)
                loss = fn(unflatten(vector, tf.reshape))
            history.append(float(loss))
            for name, value in unflatten(vector.numpy(), np.reshape).items():
                trajectory.setdefault(name, []).append(value.tolist())
            return loss, tape.gradient(loss, vector)

        result = self.tfp.optimizer.lbfgs_minimize(
            value_and_gradients, initial_position=self.array(flat, dtype),
            max_iterations=max_iterations, tolerance=1e-9, x_tolerance=0, f_relative_tolerance=0)
        params = {k: self.numpy(v) for k, v in unflatten(result.position, tf.reshape).items()}
        return Minimum(params, float(result.objective_value), int(result.num_iterations), history, trajectory)

    # --- behaviours: each scenario in TensorFlow's own idiom -------------------------------------

    def _watched(self, tape: Any, *values: float, dtype: str) -> list[Any]:
        xs = [self.tf.constant(v, dtype=dtype) for v in values]
        tape.watch(xs)
        return xs

    def _value(self, grad: Any) -> Any:
        return None if grad is None else self.numpy(grad)

    def scenario_rebuilt_tensor_cuts_graph(self, dtype: str) -> dict:
        tf = self.tf
        with tf.GradientTape(persistent=True) as tape:
            s0, s1, rho = self._watched(tape, 1.5, 0.5, 0.6, dtype=dtype)
            stacked = tf.stack([tf.stack([s0 ** 2, rho * s0 * s1]), tf.stack([rho * s0 * s1, s1 ** 2])])
            # numpy values back into a constant: the tape sees a new constant, not s0, s1, rho
            rebuilt = tf.constant(np.array([[s0.numpy() ** 2, (rho * s0 * s1).numpy()],
                                            [(rho * s0 * s1).numpy(), s1.numpy() ** 2]]), dtype=dtype)
            loss_stacked, loss_rebuilt = tf.reduce_sum(stacked), tf.reduce_sum(rebuilt)
        fixed = tape.gradient(loss_stacked, [s0, s1, rho])
        naive = tape.gradient(loss_rebuilt, [s0, s1, rho])
        return observed(None, rebuilt_s0=self._value(naive[0]), rebuilt_rho=self._value(naive[2]),
                        stacked_s0=self.numpy(fixed[0]), stacked_s1=self.numpy(fixed[1]),
                        stacked_rho=self.numpy(fixed[2]))

    def scenario_distribution_reused_across_steps(self, dtype: str) -> dict:
        tf, tfp = self.tf, self.tfp
        x = self.array(np.array([1.0, 2.0, 3.0]), dtype)
        # naive: the scale computed once, eagerly, outside any tape: a constant to every later tape
        loc, log_scale = tf.Variable(0.0, dtype=dtype), tf.Variable(0.0, dtype=dtype)
        normal = self.tfd.Normal(loc=loc, scale=tf.exp(log_scale))
        with tf.GradientTape() as tape:
            loss = -tf.reduce_sum(normal.log_prob(x))
        naive = tape.gradient(loss, [loc, log_scale])
        # the fix: a TransformedVariable defers exp(.) to each use, so one distribution serves every step
        loc = tf.Variable(0.0, dtype=dtype)
        scale = tfp.util.TransformedVariable(1.0, bijector=tfp.bijectors.Exp(), dtype=dtype)
        normal = self.tfd.Normal(loc=loc, scale=scale)
        for _ in range(2):
            with tf.GradientTape() as tape:
                loss = -tf.reduce_sum(normal.log_prob(x))
            variables = [loc, scale.trainable_variables[0]]
            grads = tape.gradient(loss, variables)
            for v, g in zip(variables, grads, strict=True):
                v.assign_sub(0.1 * g)
        return observed(None, step1_loc=self._value(naive[0]), step1_log_scale=self._value(naive[1]),
                        step2_loc=self.numpy(grads[0]), step2_log_scale=self.numpy(grads[1]))

    def scenario_gradients_accumulate(self, dtype: str) -> dict:
        tf = self.tf
        with tf.GradientTape(persistent=True) as tape:
            a, b, c = self._watched(tape, 1.0, 1.0, 1.0, dtype=dtype)
            y = 3 * a + 2 * b * b + tf.math.log(c)
        tape.gradient(y, [a, b, c])
        twice = tape.gradient(y, [a, b, c])  # a tape returns gradients; it keeps no .grad to add to
        with tf.GradientTape() as tape:
            a, b, c = self._watched(tape, 1.0, 1.0, 1.0, dtype=dtype)
            y = 3 * a + 2 * b * b + tf.math.log(c)
        once = tape.gradient(y, [a, b, c])
        return observed(None, twice_a=self.numpy(twice[0]), twice_b=self.numpy(twice[1]), twice_c=self.numpy(twice[2]),
                        zeroed_a=self.numpy(once[0]), zeroed_b=self.numpy(once[1]), zeroed_c=self.numpy(once[2]))

    def scenario_vector_gradient_for_scalar(self, dtype: str) -> dict:
        tf = self.tf
        a = tf.ones(3, dtype=dtype)
        with tf.GradientTape() as tape:
            tape.watch(a)
            y = tf.reduce_sum(3 * a)
        try:
            grad = tape.gradient(y, a, output_gradients=tf.constant([1.0, 2.0, 3.0], dtype=dtype))
        except Exception as err:
            return observed(err, a=failed(err))
        return observed(None, a=self._value(grad))

    def _sine_loss(self, theta: Any, s: int) -> Any:
        tf = self.tf
        t = tf.linspace(tf.constant(0.0, theta.dtype), tf.constant(2 * np.pi, theta.dtype), s)
        return tf.reduce_sum(tf.reduce_sum(tf.sin(t[:, None] + theta[None, :]), 1) ** 2) / s

    def scenario_loss_computed_outside_loop(self, dtype: str) -> dict:
        tf = self.tf
        theta = tf.Variable(np.array([0.0, 0.5]), dtype=dtype)
        loss = self._sine_loss(theta, 64)  # once, outside the loop (and outside any tape)
        before, grads = float(loss), []
        for _ in range(3):
            with tf.GradientTape() as tape:
                pass  # the loss is not recomputed here, so the tape records nothing
            grads.append(tape.gradient(loss, theta))
        naive_change = float(loss) - before
        start = float(self._sine_loss(theta, 64))
        for _ in range(3):
            with tf.GradientTape() as tape:
                loss = self._sine_loss(theta, 64)  # the fix: inside the tape, inside the loop
            theta.assign_sub(0.5 * tape.gradient(loss, theta))
        return observed(None, naive_loss_change=naive_change, naive_gradient=self._value(grads[-1]),
                        fixed_loss_decreased=float(float(self._sine_loss(theta, 64)) < start))

    def scenario_symmetric_start(self, dtype: str) -> dict:
        tf = self.tf
        theta = tf.Variable(np.zeros(2), dtype=dtype)
        with tf.GradientTape() as tape:
            loss = self._sine_loss(theta, 64)
        grad = self.numpy(tape.gradient(loss, theta))
        theta = tf.Variable(np.array([0.0, 0.5]), dtype=dtype)
        for _ in range(100):
            with tf.GradientTape() as tape:
                loss = self._sine_loss(theta, 64)
            theta.assign_sub(0.5 * tape.gradient(loss, theta))
        t = tf.linspace(tf.constant(0.0, theta.dtype), tf.constant(2 * np.pi, theta.dtype), 64)
        residual = tf.reduce_max(tf.abs(tf.reduce_sum(tf.sin(t[:, None] + theta[None, :]), 1)))
        return observed(None, symmetric_grad_0=grad[0], symmetric_grad_1=grad[1],
                        symmetric_grad_difference=grad[0] - grad[1], perturbed_max_abs_sum=self.numpy(residual))

    def scenario_non_reparameterizable_samples(self, dtype: str) -> dict:
        tf, tfd = self.tf, self.tfd
        p, rate = tf.constant(0.3, dtype), tf.constant(2.0, dtype)
        logits = tf.constant(np.log([0.2, 0.3, 0.5]), dtype)
        with tf.GradientTape(persistent=True) as tape:
            tape.watch([p, rate, logits])
            samples = {"bernoulli": (tf.cast(tfd.Bernoulli(probs=p).sample(10, seed=(0, 0)), dtype), p),
                       "poisson": (tfd.Poisson(rate=rate).sample(10, seed=(0, 0)), rate),
                       "categorical": (tf.cast(tfd.Categorical(logits=logits).sample(10, seed=(0, 0)), dtype), logits)}
            totals = {name: tf.reduce_sum(sample) for name, (sample, _) in samples.items()}
            scores = {"bernoulli": self._surrogate(tfd.Bernoulli(probs=p, dtype=dtype), tf.range(2, dtype=dtype)),
                      "poisson": self._surrogate(tfd.Poisson(rate=rate), tf.range(60, dtype=dtype)),
                      "categorical": self._surrogate(tfd.Categorical(logits=logits), tf.range(3))}
        values = {f"{name}_sample_grad": self._value(tape.gradient(totals[name], param))
                  for name, (_, param) in samples.items()}
        values.update({f"{name}_score": self.numpy(tape.gradient(scores[name], samples[name][1])) for name in scores})
        return observed(None, **values)

    def _surrogate(self, dist: Any, support: Any) -> Any:
        """sum_x p(x) f(x) log p(x) with f(x) = x and p(x) held constant: its gradient is d/dtheta E[x]."""
        tf = self.tf
        log_p = dist.log_prob(support)
        return tf.reduce_sum(tf.stop_gradient(tf.exp(log_p)) * tf.cast(support, log_p.dtype) * log_p)
