"""Import and configure TensorFlow and TensorFlow-Probability; arrays in and out."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import tensorflow as tf
import tensorflow_probability as tfp

from conformance.adapters import CONJUGATE_WIRTINGER
from conformance.tolerance import is_complex

tf.config.threading.set_inter_op_parallelism_threads(1)  # one core per worker: workers run side by side
tf.config.threading.set_intra_op_parallelism_threads(1)

#: what its reverse mode returns for complex numbers, as it documents it (mapped to the math's in the shared plumbing)
COMPLEX_GRADIENT = CONJUGATE_WIRTINGER
#: the names spellings may use (ops.py)
NAMESPACE = {"tf": tf, "tfp": tfp}


def cache_compiled(folder: Path | None) -> None:
    """Nothing to do: TensorFlow runs eagerly by default: it compiles nothing to keep."""


def versions() -> dict[str, str]:
    return {"tensorflow": tf.__version__, "tensorflow_probability": tfp.__version__}


def array(value: npt.ArrayLike, dtype: str) -> tf.Tensor:
    return tf.constant(np.asarray(value), dtype=dtype)


def numpy(value: Any) -> np.ndarray:
    return tf.convert_to_tensor(value).numpy()


def const(value: complex, dtype: str) -> tf.Tensor | float:
    """In a complex dtype a real number stays a Python number: TF converts it to the dtype of what it meets (real
    or complex), where a tensor of either dtype would meet the other and raise (TF never promotes)."""
    if is_complex(dtype) and not isinstance(value, complex):
        return value
    return tf.constant(value, dtype=dtype)


def stack(values: list[Any]) -> tf.Tensor:
    return tf.stack(values)
