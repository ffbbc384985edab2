"""JAX's autodiff module compiles each traced program once, never confuses two programs, and keeps a bounded number."""

import numpy as np
import pytest

from conformance import expr
from tests.conftest import installed

pytestmark = pytest.mark.skipif(not installed("jax"), reason="jax not installed")


@pytest.fixture(scope="module")
def adapter():
    from conformance.adapters import BUILTIN, load

    return load(BUILTIN["jax"])


def programs() -> int:
    from conformance.adapters.jax import autodiff

    return len(autodiff._PROGRAMS.by_text)


def gradient(adapter, source: str, a: list[float], constant: list[float] | None = None) -> np.ndarray:
    f = expr.parse(source, {"a"})
    ops = adapter.ops("float64")
    fixed = None if constant is None else adapter.array(np.array(constant), "float64")
    fn = lambda env: f.evaluate(env, ops) if fixed is None else f.evaluate(env, ops) * ops.functions["sum"](fixed)
    return adapter.vjp(fn, {"a": np.array(a)}, "float64", None)[1]["a"].value


def test_same_program_at_new_values_reuses_its_compilation(adapter):
    before = programs()
    np.testing.assert_allclose(gradient(adapter, "sum(sin(a))", [0.1, 0.2]), np.cos([0.1, 0.2]))
    np.testing.assert_allclose(gradient(adapter, "sum(sin(a))", [1.0, 2.0]), np.cos([1.0, 2.0]))
    assert programs() == before + 1


def test_programs_that_differ_in_an_operation_stay_apart_and_in_an_array_constant_share_a_compilation(adapter):
    np.testing.assert_allclose(gradient(adapter, "sum(cos(a))", [0.1, 0.2]), -np.sin([0.1, 0.2]))
    before = programs()
    np.testing.assert_allclose(gradient(adapter, "sum(a)", [0.1, 0.2], constant=[1.0, 2.0]), [3.0, 3.0])
    np.testing.assert_allclose(gradient(adapter, "sum(a)", [0.1, 0.2], constant=[1.0, 5.0]), [6.0, 6.0])
    assert programs() == before + 1  # the constant is the compiled program's argument, not part of it


def test_a_keyed_program_is_traced_once_and_a_new_key_or_shape_is_traced_again(adapter):
    from conformance.adapters import Program

    calls = []
    f = expr.parse("sum(a * a)", {"a"})

    def traced(env):
        calls.append(1)
        return f.evaluate(env, adapter.ops("float64"))

    def keyed(key: str, a: list[float]) -> np.ndarray:
        fn = Program(key, traced)
        return adapter.vjp(fn, {"a": np.array(a)}, "float64", None)[1]["a"].value

    np.testing.assert_allclose(keyed("square-test", [1.0, 2.0]), [2.0, 4.0])
    once = len(calls)
    np.testing.assert_allclose(keyed("square-test", [3.0, 4.0]), [6.0, 8.0])
    assert len(calls) == once  # found by its key: not traced again
    np.testing.assert_allclose(keyed("square-test", [1.0, 2.0, 3.0]), [2.0, 4.0, 6.0])
    np.testing.assert_allclose(keyed("another-key", [3.0, 4.0]), [6.0, 8.0])
    assert len(calls) > once


def test_the_compiled_programs_kept_are_bounded(adapter, monkeypatch):
    from conformance.adapters.jax import autodiff

    monkeypatch.setattr(autodiff, "PROGRAMS_KEPT", 4)
    for k in range(1, 11):
        np.testing.assert_allclose(gradient(adapter, f"sum(a ** {k})", [1.5]), [k * 1.5 ** (k - 1)])
        assert programs() <= 4


def test_a_program_holding_data_is_found_again_only_with_the_same_data(adapter, tmp_path):
    """Two cases with the same expression and different index arrays are different programs (the data is part of
    the program's key), so the second never runs with the first one's indices."""
    from conformance import kinds, loader

    path = tmp_path / "take.yaml"
    path.write_text(
        "".join(
            f"- {{id: t{k}, kind: grad, title: t, why: w, function: 'sum(take(x, i))',\n"
            f"   inputs: {{x: [1.0, 2.0, 3.0], i: {{value: [{k}], dtype: int64}}}}}}\n"
            for k in (0, 2)
        ),
        encoding="utf-8",
    )
    cases, errors = loader.load([path])
    assert not errors
    for loaded, want in zip(cases, ([1.0, 0.0, 0.0], [0.0, 0.0, 1.0]), strict=True):
        np.testing.assert_array_equal(kinds.compute(loaded.case, adapter, "float64").gradients["x"].value, want)


@pytest.mark.parametrize("size", [11])
def test_the_eager_regime_dispatches_op_by_op_and_the_compiled_one_jits_the_whole_program(size, caplog):
    """jax.log_compiles: eager compiles each primitive alone (jit(sin), jit(multiply)), never the whole pullback;
    compiled compiles one program (jit(run)) holding it all. Same gradient either way. A new shape defeats caches."""
    import jax
    import jax.numpy as jnp

    from conformance.adapters.jax import autodiff
    from conformance.vocabulary import Regime

    compiled = {}
    for regime, n in ((Regime.EAGER, size), (Regime.COMPILED, size + 1)):
        caplog.clear()
        with caplog.at_level("WARNING", logger="jax"), jax.log_compiles():
            _, (grad,) = autodiff.pullback(lambda x: jnp.sum(jnp.sin(x) * 3.0), [jnp.ones(n)], None, regime)
        np.testing.assert_allclose(grad, 3 * np.cos(np.ones(n)))
        compiled[regime] = {m.split()[1] for r in caplog.records if (m := r.getMessage()).startswith("Compiling ")}
    assert {"jit(sin)", "jit(multiply)"} <= compiled[Regime.EAGER] and "jit(run)" not in compiled[Regime.EAGER]
    assert "jit(run)" in compiled[Regime.COMPILED] and not {"jit(sin)", "jit(multiply)"} & compiled[Regime.COMPILED]


def test_a_symbolic_zero_is_the_zeros_jax_grad_hands_its_user_and_meets_a_stated_zero(adapter, write_case):
    from conformance import kinds, loader
    from conformance.verdicts import Job, judge
    from conformance.vocabulary import Status, Verdict

    (loaded,), _ = loader.load(
        [
            write_case("""
        id: floor-flat
        kind: grad
        title: floor's derivative
        why: floor is piecewise constant
        inputs: {x: [0.5, 1.5], y: [1.0, 2.0]}
        function: sum(floor(x)) + sum(y)
        oracle: false
        oracle_why: a step function
        expected:
          x: {value: 0, why: 'floor is piecewise constant: its derivative is 0 wherever it exists'}
          y: {value: 1, why: 'd/dy sum(y) = 1'}
        """)
        ]
    )
    computed = kinds.compute(loaded.case, adapter, "float64")
    x = computed.gradients["x"]
    assert x.status == Status.VALUE and x.representation == "symbolic zero"
    assert x.value is not None and np.array_equal(x.value, [0.0, 0.0])
    (verdict,) = judge([Job(loaded.case, "jax", "float64", computed)])
    assert verdict.verdict == Verdict.PASS, verdict.all_failures()


def test_an_integer_inputs_float0_is_a_symbolic_zero(adapter):
    import jax.numpy as jnp

    grads = adapter.vjp(
        lambda env: jnp.sum(env["x"] * env["n"]), {"x": np.array([1.0, 2.0]), "n": np.array([3, 4])}, "float64", None
    )[1]
    assert grads["n"].status == "value" and grads["n"].representation.startswith("symbolic zero: float0")
    assert grads["n"].value is not None and np.array_equal(grads["n"].value, [0.0, 0.0])


@pytest.mark.parametrize("regime", ["eager", "compiled"])
def test_every_composition_of_a_directional_derivative_in_either_regime_is_the_third_derivative(regime):
    """exp(sin(x)) * y along (1, 2) at order 3: jax.jvp and jax.jacrev nested eight ways, each jitted whole or
    called op by op; the same program found again by its key on a second call."""
    from conformance.adapters import BUILTIN, composition_names, load
    from conformance.vocabulary import Regime

    adapter = load(BUILTIN["jax"])
    adapter.regime = Regime(regime)
    ops = adapter.ops("float64")
    f = lambda env: ops.functions["exp"](ops.functions["sin"](env["x"])) * env["y"]
    x, y = 0.5, 1.5
    # h(s) = exp(sin(x + s)) (y + 2s): h''' = g''' y + 3 g'' 2, with g = exp(sin(x)) and its derivatives
    g2 = (np.cos(x) ** 2 - np.sin(x)) * np.exp(np.sin(x))
    g3 = (np.cos(x) ** 3 - 3 * np.sin(x) * np.cos(x) - np.cos(x)) * np.exp(np.sin(x))
    for _ in range(2):
        out, grads = adapter.directional(
            f, {"x": np.array(x), "y": np.array(y)}, "float64", {"x": np.array(1.0), "y": np.array(2.0)}, 3
        )
        assert list(grads) == composition_names(("",), 3)
        for name, g in grads.items():
            np.testing.assert_allclose(np.asarray(g.value), g3 * y + 6 * g2, rtol=1e-13, err_msg=name)
    assert float(out) == pytest.approx(np.exp(np.sin(x)) * y)
