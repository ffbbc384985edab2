"""Spellings: every function spelled once per framework, compiled into ops and rendered into code alike."""

import ast
import importlib
import subprocess
import sys

import numpy as np
import pytest

from conformance import spelling
from conformance.adapters import BUILTIN
from conformance.functions import FUNCTIONS

SPELLINGS = {fw: importlib.import_module(f"conformance.adapters.{fw}.ops").SPELLINGS for fw in BUILTIN}
ROOTS = {"torch": {"torch"}, "tensorflow": {"tf", "tfp"}, "jax": {"jax", "jnp"}}


@pytest.mark.parametrize("framework", list(BUILTIN))
def test_each_framework_spells_every_function_once_and_nothing_else(framework):
    assert sorted(SPELLINGS[framework]) == sorted(FUNCTIONS)


@pytest.mark.parametrize("framework", list(BUILTIN))
def test_a_spelling_names_only_its_parameters_and_the_framework(framework):
    for name, text in SPELLINGS[framework].items():
        if text is None:  # the framework has no such function
            continue
        names = {n.id for n in ast.walk(ast.parse(text, mode="eval")) if isinstance(n, ast.Name)}
        allowed = ROOTS[framework] | set(FUNCTIONS[name].signature) | set(spelling.CONSTANTS)
        assert names <= allowed, (name, names - allowed)


def test_importing_the_spellings_imports_no_framework():
    """The docs read the spellings in the main process, which never imports a framework."""
    code = (
        "import sys, conformance.adapters.torch.ops, conformance.adapters.tensorflow.ops, "
        "conformance.adapters.jax.ops\nprint(sorted({'torch', 'tensorflow', 'jax'} & set(sys.modules)))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "[]", result.stderr


def test_render_writes_the_call_with_defaults_resolved():
    total, largest, slogdet = FUNCTIONS["sum"], FUNCTIONS["max"], FUNCTIONS["slogdet"]
    torch = SPELLINGS["torch"]
    assert spelling.render(torch["sum"], total, ["a"]) == "torch.sum(a)"
    assert spelling.render(torch["sum"], total, ["a", 0]) == "torch.sum(a, dim=0)"  # a literal is its value
    assert spelling.render(torch["max"], largest, ["a"]) == "torch.max(a)"
    assert spelling.render(torch["max"], largest, ["a", 1]) == "torch.max(a, 1).values"
    assert spelling.render(torch["slogdet"], slogdet, ["a + b"], 1) == "torch.linalg.slogdet(a + b)[1]"
    assert spelling.render("torch.exp", FUNCTIONS["exp"], ["x * y"]) == "torch.exp(x * y)"


def test_to_callable_resolves_a_path_and_compiles_an_expression():
    namespace = {"np": np}
    assert spelling.to_callable("np.linalg.det", FUNCTIONS["det"], namespace) is np.linalg.det
    total = spelling.to_callable("np.sum(x, axis=axis)", FUNCTIONS["sum"], namespace)
    assert total(np.ones((2, 3))) == 6 and list(total(np.ones((2, 3)), 0)) == [2, 2, 2]


def test_the_oracle_spelling_of_every_function_compiles():
    from scipy import special

    for function in FUNCTIONS.values():
        assert callable(spelling.to_callable(function.numpy, function, {"np": np, "special": special}))


def test_a_function_a_library_lacks_raises_when_called():
    missing = spelling.to_callable(None, FUNCTIONS["betainc"], {}, "torch")
    with pytest.raises(NotImplementedError, match="torch has no betainc"):
        missing(1.0, 2.0, 0.5)


@pytest.mark.parametrize(
    "framework, name, args, code",
    [
        ("tensorflow", "matrix_norm", ["a", "nuc"], "tf.reduce_sum(tf.linalg.svd(a, compute_uv=False), -1)"),
        ("tensorflow", "matrix_norm", ["a", float("-inf")], "tf.reduce_min(tf.reduce_sum(tf.abs(a), -1), -1)"),
        ("tensorflow", "matrix_norm", ["a", 2], "tf.norm(a, ord=2, axis=[-2, -1])"),
        ("tensorflow", "vector_norm", ["a", None, False, float("inf")], "tf.norm(a, ord=float('inf'), keepdims=False)"),
        ("tensorflow", "sort", ["a", 0, True], "tf.sort(a, axis=0, direction='DESCENDING')"),
        ("torch", "matrix_norm", ["a", float("-inf")], "torch.linalg.matrix_norm(a, ord=float('-inf'))"),
        ("torch", "concat", [["a", "b * c"], 1], "torch.cat([a, b * c], dim=1)"),
        ("torch", "flip", ["a"], "a.reshape(-1).flip(0).reshape(a.shape)"),
        ("torch", "reshape", ["a + 1", (2, -1)], "torch.reshape(a + 1, (2, -1))"),
        # an option of the functions people differentiate most: the framework's own flag, or the composition at a value
        ("torch", "gelu", ["a", True], "torch.nn.functional.gelu(a, approximate='tanh')"),
        ("tensorflow", "elu", ["a", 1.0], "tf.nn.elu(a)"),
        ("tensorflow", "elu", ["a", 0.5], "tf.where(a > 0, a, 0.5 * tf.nn.elu(a))"),
        (
            "jax",
            "solve",
            ["a", "b", False],
            "jnp.matrix_transpose(jnp.linalg.solve(jnp.matrix_transpose(a), jnp.matrix_transpose(b)))",
        ),
    ],
)
def test_render_decides_conditionals_on_literals_and_writes_them_as_python(framework, name, args, code):
    """A test on literals (an order, a flag, an axis left out) keeps one branch; inf is float('inf'), not 1e309."""
    assert spelling.render(SPELLINGS[framework][name], FUNCTIONS[name], args) == code


@pytest.mark.parametrize(
    "framework, name, args, output, code",
    [
        # TF's svd returns (s, u, v): the spelling reorders it and transposes v; a selected output is that element alone
        ("tensorflow", "svd", ["a", False], 0, "tf.linalg.svd(a, full_matrices=False)[1]"),
        ("tensorflow", "svd", ["a", False], 1, "tf.linalg.svd(a, full_matrices=False)[0]"),
        ("tensorflow", "svd", ["a"], 2, "tf.linalg.adjoint(tf.linalg.svd(a, full_matrices=True)[2])"),
        ("tensorflow", "qr", ["a"], 1, "tf.linalg.qr(a)[1]"),
        ("tensorflow", "qr", ["a", "complete"], 0, "tf.linalg.qr(a, full_matrices=True)[0]"),
        ("torch", "broadcast_arrays", [["a", "b * c"]], 1, "torch.broadcast_tensors(a, b * c)[1]"),
        ("jax", "meshgrid", [["x", "y"], "ij"], 0, "jnp.meshgrid(x, y, indexing='ij')[0]"),
        ("jax", "top_k", ["x", 2], 0, "jax.lax.top_k(x, 2)[0]"),
        ("torch", "unstack", ["x"], -1, "torch.unbind(x, dim=0)[-1]"),
    ],
)
def test_render_selects_one_output_of_a_tuple(framework, name, args, output, code):
    """A list passed as *arrays is written out, and an element of a tuple the spelling builds is picked."""
    assert spelling.render(SPELLINGS[framework][name], FUNCTIONS[name], args, output) == code


def test_the_oracle_returns_every_output_of_a_tuple_in_order():
    """NumPy's spellings return the standard's tuples: as many arrays as the record names, in its order."""
    from scipy import special

    a = np.array([[3.0, 1.0], [4.0, 2.0]])
    for name, args in {
        "slogdet": [a],
        "eigh": [a + a.T],
        "qr": [a, "reduced"],
        "svd": [a, False],
        "top_k": [a, 1],
    }.items():
        function = FUNCTIONS[name]
        assert function.outputs is not None and function.outputs.fixed
        got = spelling.to_callable(function.numpy, function, {"np": np, "special": special})(*args)
        assert len(got) == len(function.outputs.names)
        assert [np.shape(g) for g in got] == list(
            function.outputs.shapes(name, [a.shape], {**function.options, "k": 1})
        )
    svd, unstack = FUNCTIONS["svd"].outputs, FUNCTIONS["unstack"].outputs
    assert svd is not None and svd.names == ("U", "S", "Vh") and unstack is not None and not unstack.fixed
