"""Import and configure JAX (float64 on request, CPU); arrays in and out."""
from __future__ import annotations

from typing import Any

import jax

jax.config.update("jax_enable_x64", True)  # float64 on request; float32 arrays stay float32
jax.config.update("jax_platforms", "cpu")
import jax.extend  # noqa: E402  (after the configuration)
import jax.numpy as jnp  # noqa: E402
import jaxlib  # noqa: E402
import numpy as np  # noqa: E402
import numpy.typing as npt  # noqa: E402

#: the names spellings may use (ops.py)
NAMESPACE = {"jax": jax, "jnp": jnp}


def versions() -> dict[str, str]:
    return {"jax": jax.__version__, "jaxlib": jaxlib.__version__}


def array(value: npt.ArrayLike, dtype: str) -> jax.Array:
    return jnp.asarray(np.asarray(value), dtype=dtype)


def numpy(value: Any) -> np.ndarray:
    return np.asarray(value)


def const(value: float, dtype: str) -> jax.Array:
    return jnp.asarray(value, dtype=dtype)


def stack(values: list[Any]) -> jax.Array:
    return jnp.stack(values)
