import numpy as np
import pytest

from conformance import tolerance
from conformance.model import DEFAULT_TOLERANCE


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_eps_is_numpys_where_numpy_has_the_dtype(dtype):
    assert tolerance.eps(dtype) == float(np.finfo(dtype).eps)


def test_bfloat16_eps_is_its_seven_bits_of_mantissa():
    ml_dtypes = pytest.importorskip("ml_dtypes")  # NumPy has no bfloat16; JAX's and TF's ml_dtypes does
    assert tolerance.eps("bfloat16") == float(ml_dtypes.finfo(ml_dtypes.bfloat16).eps) == 2.0 ** -7


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_half_precision_tolerances_derive_from_eps(dtype):
    """8 eps, relative and absolute: a bfloat16 gradient 2.5 eps off (JAX's tanh' at 2) passes, 10 eps off fails."""
    tol, eps = DEFAULT_TOLERANCE[dtype], tolerance.eps(dtype)
    assert tol.rtol == tol.atol == 8 * eps
    want = np.array([0.0707])
    assert tolerance.within(want * (1 + 2.5 * eps), want, tol.rtol, tol.atol)
    assert not tolerance.within(want + 10 * eps * (1 + abs(want)), want, tol.rtol, tol.atol)
