"""Import and configure JAX (float64 on request, CPU); arrays in and out."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jax

jax.config.update("jax_enable_x64", True)  # float64 on request; float32 arrays stay float32
jax.config.update("jax_platforms", "cpu")
import jax.extend  # noqa: E402  (after the configuration)
import jax.numpy as jnp  # noqa: E402
import jaxlib  # noqa: E402
import numpy as np  # noqa: E402
import numpy.typing as npt  # noqa: E402

from conformance.adapters import WIRTINGER  # noqa: E402
from conformance.tolerance import real_dtype  # noqa: E402

#: what its reverse mode returns for complex numbers, as it documents it (mapped to the math's in the shared plumbing)
COMPLEX_GRADIENT = WIRTINGER
#: the names spellings may use (ops.py)
NAMESPACE = {"jax": jax, "jnp": jnp}


def cache_compiled(folder: Path | None) -> None:
    """JAX's persistent compilation cache in `folder`, for every program however quick to compile (its defaults
    keep only those over a second): a repeated run loads them instead of compiling. JAX keys each entry by the
    program's text, the compile options and the jax/jaxlib versions and backend, so an entry is never used for
    another computation (https://docs.jax.dev/en/latest/persistent_compilation_cache.html)."""
    if folder is None:
        return
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:  # an unwritable cache costs speed, never the run
        print(f"compilation cache off: {err}", flush=True)
        return
    jax.config.update("jax_compilation_cache_dir", str(folder))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)


def versions() -> dict[str, str]:
    return {"jax": jax.__version__, "jaxlib": jaxlib.__version__}


def array(value: npt.ArrayLike, dtype: str) -> jax.Array:
    return jnp.asarray(np.asarray(value), dtype=dtype)


def numpy(value: Any) -> np.ndarray:
    return np.asarray(value)


def const(value: complex, dtype: str) -> jax.Array:
    """A real number in the real component of a complex dtype: JAX promotes it where it meets a complex value."""
    return jnp.asarray(value, dtype=dtype if isinstance(value, complex) else real_dtype(dtype))


def stack(values: list[Any]) -> jax.Array:
    return jnp.stack(values)
