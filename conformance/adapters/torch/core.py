"""Import and configure torch; arrays in and out."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import torch

from conformance.adapters import CONJUGATE_WIRTINGER
from conformance.tolerance import real_dtype

torch.set_num_threads(1)  # one core per worker: workers run side by side
# torch.compile (the compiled regime) in this process too: inductor's pool of compile workers cost about 3 s a
# compilation here (measured: 3.1 s, against 0.1 s in process, for a small function after the first)
torch._inductor.config.compile_threads = 1

#: what its reverse mode returns for complex numbers, as it documents it (mapped to the math's in the shared plumbing)
COMPLEX_GRADIENT = CONJUGATE_WIRTINGER
#: the names spellings may use (ops.py)
NAMESPACE = {"torch": torch}


def cache_compiled(folder: Path | None) -> None:
    """Nothing to do: torch runs eagerly by default: it compiles nothing to keep (torch.compile, with its own cache, is
    another regime)."""


def versions() -> dict[str, str]:
    return {"torch": torch.__version__}


def dtype_of(dtype: str) -> torch.dtype:
    return getattr(torch, dtype)


def array(value: npt.ArrayLike, dtype: str) -> torch.Tensor:
    return torch.tensor(np.asarray(value), dtype=dtype_of(dtype))


def numpy(value: Any) -> np.ndarray:
    """torch.conj and friends are lazy (a conjugate bit on a view): resolved before leaving torch; NumPy has no
    bfloat16: float32 holds it exactly."""
    value = value.detach().resolve_conj().resolve_neg().cpu()
    return (value.float() if value.dtype == torch.bfloat16 else value).numpy()


def const(value: complex, dtype: str) -> torch.Tensor:
    """A real number in the real component of a complex dtype: torch promotes it where it meets a complex value."""
    return torch.tensor(value, dtype=dtype_of(dtype if isinstance(value, complex) else real_dtype(dtype)))


def stack(values: list[Any]) -> torch.Tensor:
    return torch.stack(values)
