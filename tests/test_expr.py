import numpy as np
import pytest

from conformance import expr, oracle


@pytest.mark.parametrize("source, env, want", [
    ("3*a + 2*b*b + log(c)", {"a": 1.0, "b": 3.0, "c": 6.0}, 3 + 18 + np.log(6.0)),
    ("-a ** 2", {"a": 3.0}, -9.0),
    ("[a, 2*a][1]", {"a": 1.5}, 3.0),
    ("[[1, 2], [3, 4]][1][0]", {}, 3.0),
    ("sum([1, 2, 3])", {}, 6.0),
    ("sum([[1, 2], [3, 4]], 0)[1]", {}, 6.0),
    ("where(a > 0, log(a), 0)", {"a": 2.0}, np.log(2.0)),
    ("atanh(tanh(0.3))", {}, 0.3),
    ("matmul([[1, 2], [3, 4]], [1, 1])[1]", {}, 7.0),
    ("diag(diag([[1, 2], [3, 4]]))[1][1]", {}, 4.0),
    ("tril([[1, 2], [3, 4]])[0][1]", {}, 0.0),
    ("softplus(0) - log(2)", {}, 0.0),
])
def test_language_matches_numpy(source, env, want):
    got = oracle.evaluate(expr.parse(source, set(env)), {k: np.float64(v) for k, v in env.items()})
    np.testing.assert_allclose(got, want, rtol=1e-14, atol=1e-15)


@pytest.mark.parametrize("source, fragment", [
    ("a.real", "attribute access"),
    ("__import__('os')", "unknown function '__import__'"),
    ("(lambda: 1)()", "calling anything but a function name"),
    ("lambda: 1", "a lambda"),
    ("[x for x in a]", "a comprehension"),
    ("zz + 1", "unknown name 'zz'"),
    ("eval('1')", "unknown function 'eval'"),
    ("a[b]", "an index other than an integer literal"),
    ("a[1:2]", "an index other than an integer literal"),
    ("exp(a, a)", "exp() takes 1 argument(s), got 2"),
    ("'text'", "the constant 'text'"),
    ("True", "the constant True"),
    ("a if a else 1", "conditional expression"),
    ("sum(a, 1.5)", "axis of sum() other than an integer literal"),
    ("exp(x=a)", "keyword argument"),
    ("1 +", "not a valid expression"),
])
def test_everything_else_is_rejected(source, fragment):
    with pytest.raises(expr.ExprError) as err:
        expr.parse(source, {"a", "b"})
    assert fragment in str(err.value)


def test_error_line_is_relative_to_the_expression():
    with pytest.raises(expr.ExprError) as err:
        expr.parse("[a,\n  nope]", {"a"})
    assert err.value.line == 2


def test_parsing_never_runs_code(tmp_path):
    marker = tmp_path / "ran"
    with pytest.raises(expr.ExprError):
        expr.parse(f"__import__('pathlib').Path({str(marker)!r}).touch()")
    assert not marker.exists()


def test_every_table_function_has_a_numpy_implementation():
    assert set(oracle.NUMPY.functions) == set(expr.FUNCTIONS)
