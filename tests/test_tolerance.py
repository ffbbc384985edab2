import numpy as np
import pytest

from conformance import tolerance
from conformance.model import DEFAULT_TOLERANCE
from conformance.vocabulary import Rule


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_eps_is_numpys_where_numpy_has_the_dtype(dtype):
    assert tolerance.eps(dtype) == float(np.finfo(dtype).eps)


def test_bfloat16_eps_is_its_seven_bits_of_mantissa():
    ml_dtypes = pytest.importorskip("ml_dtypes")  # NumPy has no bfloat16; JAX's and TF's ml_dtypes does
    assert tolerance.eps("bfloat16") == float(ml_dtypes.finfo(ml_dtypes.bfloat16).eps) == 2.0**-7


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_half_precision_tolerances_derive_from_eps(dtype):
    """8 eps relative (and 4 ulps): a bfloat16 gradient 2.5 eps off (JAX's tanh' at 2) passes, 14 eps off fails."""
    tol, eps = DEFAULT_TOLERANCE[dtype], tolerance.eps(dtype)
    assert tol.rtol == 8 * eps and tol.atol is None
    want = np.array([0.0707])
    assert tolerance.within(want * (1 + 2.5 * eps), want, dtype, tol.rtol, tol.atol)
    assert not tolerance.within(want * (1 + 14 * eps), want, dtype, tol.rtol, tol.atol)


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_an_ulp_is_numpys_spacing(dtype):
    want = np.array([0.0, 1.0, 3.0, -1e-17, 1e-30, np.finfo(dtype).smallest_subnormal * 3], dtype)
    assert np.array_equal(tolerance.ulp(want, dtype), np.spacing(np.abs(want)).astype(np.float64))


@pytest.mark.parametrize(
    "dtype, want",
    [
        ("float64", 1.6993e-17),  # tanh'(20) = 1 / cosh(20)^2
        ("float64", 4.2484e-18),  # sigmoid'(40)
        ("float32", 1.6993e-17),
        ("float32", 3.7201e-44),  # expm1'(-100) = e^-100, a float32 subnormal
        ("float64", 1e-320),  # a float64 subnormal
    ],
)
def test_a_tail_is_judged_relative_to_itself(dtype, want):
    """A derivative of 1e-17 is not met by 0 or by its negative, at any magnitude; by itself give or take a rounding."""
    tol = DEFAULT_TOLERANCE[dtype]
    step = float(tolerance.ulp(want, dtype))
    assert tolerance.within(want + step, want, dtype, tol.rtol, tol.atol)
    assert not tolerance.within(0.0, want, dtype, tol.rtol, tol.atol)
    assert not tolerance.within(-want, want, dtype, tol.rtol, tol.atol)


def test_each_rule_is_recorded_where_it_decides():
    rtol = DEFAULT_TOLERANCE["float64"].rtol
    assert tolerance.assess(1.0 + 1e-11, 1.0, "float64", rtol, None).rule == Rule.RELATIVE
    assert tolerance.assess(1e-320, 0.0, "float64", rtol, None).rule == Rule.ULP_FLOOR
    assert not tolerance.assess(1e-300, 0.0, "float64", rtol, None).ok  # a zero with nothing cancelling is 0
    cancelled = tolerance.assess(1e-17, 0.0, "float64", rtol, None, zero_tolerance=np.asarray(1e-15))
    assert cancelled.ok and cancelled.rule == Rule.ZERO_FLOOR
    stated = tolerance.assess(1.0 + 1e-6, 1.0, "float64", rtol, 1e-5)
    assert stated.ok and stated.rule == Rule.STATED_ATOL
    oracle = tolerance.assess(1.0 + 1e-8, 1.0, "float64", rtol, None, slack={Rule.ORACLE_BOUND: 1e-7})
    assert oracle.ok and oracle.rule == Rule.ORACLE_BOUND and 0.09 < oracle.share < 0.11
    assert not tolerance.assess(np.inf, 1.0, "float64", rtol, None).ok


def test_a_factorizations_gradient_is_judged_normwise():
    """qr-sweep[square] in float32: its third column is exactly zero, and torch, TF and JAX each put 1e-8 to 5e-8
    there (0.7 to 4.7 eps times the largest element, 0.088): accurate normwise, as a backward-stable QR's gradient
    is, not within ulps of zero. The normwise term (4 * 9 roundings of the largest element for a 3 x 3) passes them;
    a gradient off by 1e3 eps * max|want| still fails, as does the same miss without a factorization."""
    want = np.array([[-0.059938, 0.003524, 0.0], [0.037867, 0.017882, 0.0], [-0.088057, 0.030943, 0.0]])
    eps, largest = tolerance.eps("float32"), 0.088057
    rtol = DEFAULT_TOLERANCE["float32"].rtol
    for off in (0.7, 4.7):
        got = want + np.array([[0, 0, 0], [0, 0, 0], [0, 0, off * eps * largest]])
        judged = tolerance.assess(got, want, "float32", rtol, None, normwise_size=9)
        assert judged.ok and judged.rule == Rule.NORMWISE
        assert not tolerance.within(got, want, "float32", rtol, None)  # elementwise, 0 allows a few subnormals
    wrong = want + np.array([[0, 0, 0], [0, 0, 0], [0, 0, 1e3 * eps * largest]])
    assert not tolerance.within(wrong, want, "float32", rtol, None, normwise_size=12)  # svd's 4 x 3 allows 48
    np.testing.assert_allclose(tolerance.normwise(want, "float32", 9), 4 * 9 * eps * largest)
