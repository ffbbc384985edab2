import re

import numpy as np
import pytest

from conformance import expr, oracle


@pytest.mark.parametrize(
    "source, env, want",
    [
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
        ("slogdet([[1, 2], [3, 1]])[1] - log(5)", {}, 0.0),
        ("slogdet([[1, 2], [3, 1]])[0]", {}, -1.0),
        ("svd([[3, 0], [4, 5]])[1][0] ** 2", {}, 45.0),
        ("eigh([[2, 1], [1, 2]])[0][1]", {}, 3.0),
        ("unstack([[1, 2], [3, 4]], axis=1)[1][0]", {}, 2.0),
        ("broadcast_arrays([[1, 2], a])[1][1]", {"a": 3.0}, 3.0),
        ("meshgrid([[1, 2, 3], [4, 5]])[0][1][2]", {}, 3.0),
        ("meshgrid([[1, 2, 3], [4, 5]], indexing='ij')[1][2][0]", {}, 4.0),
        ("top_k([3, 1, 2], 2)[0][1]", {}, 2.0),
    ],
)
def test_language_matches_numpy(source, env, want):
    got = oracle.evaluate(expr.parse(source, set(env)), {k: np.float64(v) for k, v in env.items()})
    np.testing.assert_allclose(got, want, rtol=1e-14, atol=1e-15)


@pytest.mark.parametrize(
    "source, fragment",
    [
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
        ("slogdet(a)", "slogdet() returns (sign, logabsdet): select one, as slogdet(a)[0]"),
        ("sum(svd(a, full_matrices=False))", "svd() returns (U, S, Vh): select one, as svd(a, full_matrices=False)[0]"),
        ("[eigh(a), a]", "eigh() returns (eigenvalues, eigenvectors): select one"),
        ("-unstack(a)", "unstack() returns (slice, ...): select one, as unstack(a)[0]"),
        ("slogdet(a)[2]", "slogdet() returns (sign, logabsdet): index 2 is out of range"),
        ("svd(a)[-4]", "index -4 is out of range"),
        ("unstack(a)[b]", "an index other than an integer literal"),
        ("qr(a, mode='full')[0]", "a mode of qr() other than 'reduced' or 'complete'"),
        ("meshgrid([a, b], indexing='yx')[0]", "an indexing of meshgrid() other than 'xy' or 'ij'"),
        ("top_k(a, b)[0]", "a k of top_k() other than an integer literal"),
    ],
)
def test_everything_else_is_rejected(source, fragment):
    with pytest.raises(expr.ExprError) as err:
        expr.parse(source, {"a", "b"})
    assert fragment in str(err.value)


def test_error_line_is_relative_to_the_expression():
    with pytest.raises(expr.ExprError) as err:
        expr.parse("[a,\n  nope]", {"a"})
    assert err.value.line == 2


def test_a_tuple_not_selected_at_once_names_its_line():
    with pytest.raises(expr.ExprError, match=r"qr\(\) returns \(Q, R\)") as err:
        expr.parse("[a,\n  sum(qr(a))]", {"a"})
    assert err.value.line == 2


def test_a_selected_output_is_its_own_program():
    """The JAX worker keys a compiled program by the tree's repr: each output of a call is a different program."""
    first, last = expr.parse("svd(a)[0]", {"a"}), expr.parse("svd(a)[2]", {"a"})
    assert repr(first.tree) != repr(last.tree) and first.calls() == last.calls() == {"svd"}
    a = np.array([[3.0, 0.0], [4.0, 5.0]])
    assert not np.allclose(oracle.evaluate(first, {"a": a}), oracle.evaluate(last, {"a": a}))


def test_parsing_never_runs_code(tmp_path):
    marker = tmp_path / "ran"
    with pytest.raises(expr.ExprError):
        expr.parse(f"__import__('pathlib').Path({str(marker)!r}).touch()")
    assert not marker.exists()


def test_every_table_function_has_a_numpy_implementation():
    assert set(oracle.NUMPY.functions) == set(expr.FUNCTIONS)


@pytest.mark.parametrize(
    "source, fragment",
    [
        ("sum(a, inf)", "an axis of sum() other than an integer literal"),
        ("sum(a, nan)", "an axis of sum() other than an integer literal"),
        ("max(a, 1e300)", "an axis of max() other than an integer literal"),
        ("a * 1" + "0" * 309, "beyond float64's range (about 1.8e308)"),
        ("a * 0x" + "f" * 400, "(482 digits) is beyond float64's range"),
        ("a" + "+a" * expr.MAX_DEPTH, f"nested more than {expr.MAX_DEPTH} levels"),
        ("a" + "+a" * 1000, f"nested more than {expr.MAX_DEPTH} levels"),  # past 1,000 Python's parser recurses out
        ("a" + "+a" * 100_000, f"nested more than {expr.MAX_DEPTH} levels"),
        ("-" * expr.MAX_DEPTH + "a", f"nested more than {expr.MAX_DEPTH} levels"),
        ("-" * 100_000 + "a", f"nested more than {expr.MAX_DEPTH} levels"),  # MemoryError in Python's parser
        ("exp(" * 300 + "a" + ")" * 300, "too many nested parentheses"),
        ("a" * (expr.MAX_LENGTH + 1), "longer than the limit"),
    ],
)
def test_hostile_expressions_are_errors_not_crashes(source, fragment):
    with pytest.raises(expr.ExprError) as err:
        expr.parse(source, {"a"})
    assert fragment in str(err.value)
    assert len(str(err.value)) < 300  # the message quotes no 100,000-character expression


def test_the_deepest_expression_allowed_evaluates():
    deepest = expr.parse("-" * (expr.MAX_DEPTH - 1) + "a", {"a"})
    assert oracle.evaluate(deepest, {"a": np.float64(2.0)}) == -2.0
    chain = expr.parse("a" + "+a" * (expr.MAX_DEPTH - 1), {"a"})
    assert oracle.evaluate(chain, {"a": np.float64(1.0)}) == expr.MAX_DEPTH


SHAPES = {"s": (), "v": (3,), "w": (2,), "m": (2, 3), "q": (3, 3), "b": (4, 3, 3), "c": (1, 3)}


def _matrices(shape: tuple[int, ...], fill: float) -> np.ndarray:
    """`fill` everywhere, plus 3 on the diagonal of square matrices (positive definite, for cholesky and solve)."""
    square = len(shape) >= 2 and shape[-1] == shape[-2]
    return np.full(shape, fill) + (3 * np.eye(shape[-1]) if square else 0.0)


@pytest.mark.parametrize(
    "source",
    [
        "s + v",
        "v * m",
        "-m",
        "v > 0",
        "m[1]",
        "m[-2][2]",
        "[v, v]",
        "[[s, s], [s, s]]",
        "exp(m)",
        "gammaln(v)",
        "sum(m)",
        "sum(m, 1)",
        "prod(b, 2)",
        "mean(b, 0)",
        "max(m, 0)",
        "min(v)",
        "logsumexp(m)",
        "vector_norm(v)",
        "maximum(c, m)",
        "where(v > 0, m, s)",
        "clip(m, 0, v)",
        "xlogy(v, c)",
        "diag(v)",
        "diag(m)",
        "tril(q)",
        "tril(v)",
        "matrix_transpose(m)",
        "matrix_transpose(b)",
        "matmul(m, v)",
        "matmul(w, m)",
        "matmul(v, v)",
        "matmul(m, q)",
        "matmul(b, q)",
        "matmul(b, v)",
        "cholesky(q)",
        "cholesky(b)",
        "det(b)",
        "det(q)",
        "eigvalsh(b)",
        "solve(q, v)",
        "solve(b, v)",
        "solve(q, matrix_transpose(m))",
        "solve(b, matrix_transpose(m))",
        "inv(b)",
        "pinv(m)",
        "matrix_power(q, -2)",
        "svdvals(m)",
        "trace(b)",
        "trace(m, offset=1)",
        "diagonal(m, -1)",
        "diagonal(m, offset=2)",
        "outer(v, w)",
        "tensordot(m, q, axes=1)",
        "tensordot(q, q)",
        "tensordot(v, w, 0)",
        "vecdot(m, c)",
        "vecdot(m, m, axis=0)",
        "cross(v, q)",
        "cross(q, q, axis=0)",
        "vector_norm(m, axis=-1)",
        "vector_norm(b, axis=1, keepdims=True, ord=inf)",
        "vector_norm(v, ord=-1.5)",
        "matrix_norm(b, ord='nuc')",
        "matrix_norm(m, ord=-inf)",
        "concat([m, m])",
        "concat([m, c], axis=0)",
        "concat([v, v, v], axis=-1)",
        "stack([v, v])",
        "stack([m, m], axis=-1)",
        "reshape(m, (3, -1))",
        "reshape(b, (-1,))",
        "broadcast_to(c, (2, 3))",
        "expand_dims(m, axis=-1)",
        "squeeze(c, 0)",
        "squeeze(c, axis=(0,))",
        "flip(m)",
        "flip(b, axis=(0, 2))",
        "roll(m, -1)",
        "roll(m, (1, 2), axis=(0, 1))",
        "tile(m, (2, 1))",
        "tile(v, (2, 2))",
        "repeat(m, 2)",
        "repeat(m, 3, axis=0)",
        "moveaxis(b, 0, -1)",
        "moveaxis(b, (0, 1), (2, 0))",
        "permute_dims(b, (2, 0, 1))",
        "sort(m)",
        "sort(m, axis=0, descending=True)",
        "slogdet(b)[1]",
        "slogdet(q)[0]",
        "eigh(b)[0]",
        "eigh(q)[1]",
        "qr(m)[0]",
        "qr(m)[1]",
        "qr(matrix_transpose(m))[0]",
        "qr(matrix_transpose(m), mode='complete')[0]",
        "qr(matrix_transpose(m), mode='complete')[1]",
        "svd(m)[0]",
        "svd(m)[2]",
        "svd(m, full_matrices=False)[0]",
        "svd(m, full_matrices=False)[2]",
        "svd(b)[1]",
        "unstack(m)[1]",
        "unstack(b, axis=-1)[0]",
        "unstack(v)[-1]",
        "broadcast_arrays([v, m, s])[2]",
        "broadcast_arrays([c, w[0]])[0]",
        "meshgrid([v, w])[0]",
        "meshgrid([v, w, v], indexing='ij')[2]",
        "meshgrid([w])[0]",
        "top_k(m, 2)[0]",
        "top_k(v, 3)[1]",
    ],
)
def test_measure_gives_numpys_shape_without_computing(source):
    env = {name: _matrices(shape, 0.5) for name, shape in SHAPES.items()}
    parsed = expr.parse(source, set(SHAPES))
    size = expr.measure(parsed, SHAPES)
    assert size.shape == np.shape(oracle.evaluate(parsed, env))
    assert size.work >= expr.NODE_WORK * 2


@pytest.mark.parametrize(
    "source, fragment",
    [
        ("v + w", "do not broadcast"),
        ("m[2]", "index 2 is out of range for a value of shape (2, 3)"),
        ("v[-4]", "index -4 is out of range"),
        ("s[0]", "index 0 is out of range for a value of a scalar"),
        ("[v, w]", "a list of values of different shapes"),
        ("sum(v, 1)", "axis 1 of sum() is out of range"),
        ("diag(b)", "diag() takes a vector or a matrix"),
        ("matrix_transpose(v)", "matrix_transpose() takes a matrix"),
        ("matmul(m, m)", "inner dimensions 3 and 2 differ"),
        ("matmul(s, v)", "matmul() of a scalar"),
        ("cholesky(m)", "cholesky() takes a square matrix"),
        ("solve(q, w)", "solve() of a (3, 3) matrix and a vector"),
        ("inv(m)", "inv() takes a square matrix"),
        ("tensordot(m, m, axes=1)", "cannot contract 1 axes"),
        ("vecdot(m, q)", "do not broadcast"),
        ("cross(m, m, axis=0)", "must have size 3"),
        ("outer(m, v)", "outer() takes two vectors"),
        ("matrix_norm(m, ord=3)", "ord 3 of matrix_norm() is not one of"),
        ("vector_norm(v, ord='fro')", "a matrix norm's"),
        ("concat([m, v])", "they differ beyond axis 0"),
        ("stack([m, c])", "stack() of different shapes"),
        ("reshape(m, (4, -1))", "cannot make a value of shape (2, 3) into shape (4, -1)"),
        ("broadcast_to(m, (3,))", "cannot broadcast a value of shape (2, 3) to shape (3,)"),
        ("squeeze(m, 0)", "not of size 1"),
        ("flip(m, axis=(0, 0))", "repeats an axis"),
        ("expand_dims(m, axis=3)", "axis 3 of expand_dims() is out of range"),
        ("permute_dims(b, (0, 1))", "not a permutation"),
        ("sort(v, axis=1)", "axis 1 of sort() is out of range"),
        ("slogdet(m)[1]", "slogdet() takes a square matrix"),
        ("qr(v)[0]", "qr() takes a matrix, not a value of shape (3,)"),
        ("svd(v)[1]", "svd() takes a matrix"),
        ("unstack(m)[2]", "unstack() returns 2 arrays here: index 2 is out of range"),
        ("unstack(m, axis=2)[0]", "axis 2 of unstack() is out of range"),
        ("broadcast_arrays([v, w])[0]", "do not broadcast"),
    ],
)
def test_measure_refuses_what_numpy_would_raise_on(source, fragment):
    env = {name: _matrices(shape, 1.0) for name, shape in SHAPES.items()}
    parsed = expr.parse(source, set(SHAPES))
    with pytest.raises(expr.ExprError) as err:
        expr.measure(parsed, SHAPES)
    assert fragment in str(err.value)
    with pytest.raises((ValueError, IndexError)):  # NumPy's own errors (AxisError and LinAlgError are ValueErrors)
        oracle.evaluate(parsed, env)


@pytest.mark.parametrize(
    "source, fragment",
    [
        ("meshgrid([m, v])[0]", "meshgrid() takes one-dimensional arrays"),
        ("top_k(v, 4)[0]", "top_k() of k = 4 along the last axis of a value of shape (3,)"),
        ("top_k(s, 1)[0]", "top_k() of k = 1 along the last axis of a value of a scalar"),
    ],
)
def test_measure_keeps_the_limits_numpy_is_laxer_about(source, fragment):
    """The standard's meshgrid takes vectors (NumPy flattens anything); top_k's k fits the axis (slicing would not
    mind)."""
    with pytest.raises(expr.ExprError, match=re.escape(fragment)):
        expr.measure(expr.parse(source, set(SHAPES)), SHAPES)


def test_measure_bounds_every_array_of_a_tuple_not_only_the_one_selected():
    """svd's full U of a tall matrix is m x m: the selected S is small, the U computed beside it is not."""
    tall = expr.parse("svd(x)[1]", {"x"})
    assert expr.measure(tall, {"x": (1000, 2)}).shape == (2,)
    with pytest.raises(expr.ExprError, match="larger than the limit of 1,000,000 elements"):
        expr.measure(tall, {"x": (1001, 2)})
    assert expr.measure(expr.parse("svd(x, full_matrices=False)[1]", {"x"}), {"x": (1001, 2)}).shape == (2,)


def test_measure_refuses_a_value_beyond_the_element_limit():
    square = expr.parse("matmul(matrix_transpose([v]), [v])", {"v"})
    assert expr.measure(square, {"v": (1000,)}).shape == (1000, 1000)
    with pytest.raises(expr.ExprError, match="larger than the limit of 1,000,000 elements"):
        expr.measure(square, {"v": (1001,)})


def test_options_may_be_given_by_keyword_as_the_array_api_writes_them():
    both = expr.parse("var(x, correction=1) + sum(x, axis=0)", {"x"})
    x = np.array([1.0, 2.0, 4.0])
    assert oracle.evaluate(both, {"x": x}) == pytest.approx(np.var(x, ddof=1) + 7)
    assert expr.measure(expr.parse("std(m, axis=1, correction=1)", {"m"}), {"m": (2, 3)}).shape == (2,)


@pytest.mark.parametrize(
    "source, fragment",
    [
        ("sum(x, foo=1)", "a keyword argument foo to sum() (its options: axis)"),
        ("exp(x, axis=1)", "its options: none"),
        ("sum(x, 0, axis=0)", "sum() given axis twice"),
        ("var(x, correction=0.5)", "a correction of var() other than an integer literal"),
    ],
)
def test_keyword_arguments_are_only_a_functions_options(source, fragment):
    with pytest.raises(expr.ExprError) as err:
        expr.parse(source, {"x"})
    assert fragment in str(err.value)


@pytest.mark.parametrize(
    "source, want",
    [
        ("sum(m, -1)", [6, 15]),
        ("matrix_norm(m, ord='nuc')", np.linalg.matrix_norm(np.arange(1.0, 7).reshape(2, 3), ord="nuc")),
        ("vector_norm(v, ord=-inf) + vector_norm(v, ord=inf)", 4.0),
        ("sort(v, descending=True)", [3, 2, 1]),
        ("reshape(m, (3, 2))[2]", [5, 6]),
        ("squeeze(expand_dims(v, axis=0), axis=0)", [1, 2, 3]),
        ("concat([v, 2 * v])", [1, 2, 3, 2, 4, 6]),
        ("stack([v, v], axis=1)[0]", [1, 1]),
        ("leaky_relu(v - 2, 0.5) + elu(v - 2, alpha=2)", [-0.5 + 2 * np.expm1(-1), 0, 2]),  # a number, by keyword too
    ],
)
def test_literal_arguments_and_lists_of_arrays(source, want):
    """Literals of every kind (a negative axis, inf, a string, a flag, a tuple) and a list literal of arrays."""
    env = {"v": np.array([1.0, 2.0, 3.0]), "m": np.arange(1.0, 7).reshape(2, 3)}
    np.testing.assert_allclose(oracle.evaluate(expr.parse(source, set(env)), env), want, rtol=1e-14)


@pytest.mark.parametrize(
    "source, fragment",
    [
        ("reshape(m, 6)", "a shape of reshape() other than a tuple of integer literals"),
        ("reshape(m, (2, v))", "a shape of reshape() other than a tuple of integer literals"),
        ("sort(v, descending=1)", "a descending of sort() other than True or False"),
        ("matrix_norm(m, ord='max')", "an ord of matrix_norm() other than a norm's order"),
        ("vector_norm(v, ord=nan)", "an ord of vector_norm() other than a norm's order"),
        ("squeeze(m, axis=())", "an axis of squeeze() other than an integer literal or a tuple of them"),
        ("roll(m, 10 ** 7)", "a shift of roll() other than an integer literal or a tuple of them"),
        ("roll(m, 10000000)", "a shift of roll() other than an integer literal or a tuple of them"),  # beyond any size
        ("concat(v)", "concat()'s arrays other than a list literal of arrays"),
        ("concat([])", "other than a list literal of arrays"),
        ("squeeze(m)", "squeeze() takes 2 argument(s), got 1"),
        ("exp('fro')", "the constant 'fro'"),
        ("leaky_relu(v, inf)", "a negative_slope of leaky_relu() other than a finite number literal"),
        ("normalize(v, eps=m)", "an eps of normalize() other than a finite number literal"),
        ("gelu(v, approximate=1)", "an approximate of gelu() other than True or False"),
    ],
)
def test_literals_must_be_of_their_kind(source, fragment):
    with pytest.raises(expr.ExprError) as err:
        expr.parse(source, {"v", "m"})
    assert fragment in str(err.value)


def test_the_empty_vector_is_a_constant_only():
    """`[]` is an empty input's value (NumPy alone evaluates it); an adapter would have to build it from nothing."""
    assert oracle.evaluate(expr.parse("[]")).shape == (0,)
    assert oracle.evaluate(expr.parse("reshape([], (0, 3))")).shape == (0, 3)
    assert expr.measure(expr.parse("reshape([], (0, 3))"), {}).shape == (0, 3)
    with pytest.raises(expr.ExprError, match="an empty list in an expression of the inputs"):
        expr.parse("sum(x) + sum([])", {"x"})


def test_the_normwise_size_is_the_largest_matrix_a_factorization_takes():
    """qr's 4 x 3 and solve's 3 x 3 (its right-hand side a vector): 12; elementwise functions and matmul: 0."""
    shapes = {"x": (4, 3), "a": (2, 3, 3), "b": (3,), "s": (2, 2)}
    assert (
        expr.normwise_size(expr.parse("qr(x)[0] ** 2 + sum(solve(a, b)) + eigh(s)[1][0][0]", set(shapes)), shapes) == 12
    )
    assert expr.normwise_size(expr.parse("sum(solve(a, b))", set(shapes)), shapes) == 9
    assert expr.normwise_size(expr.parse("sin(matmul(x, matrix_transpose(x)))", {"x"}), shapes) == 0
