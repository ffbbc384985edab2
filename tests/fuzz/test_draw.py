"""The fuzzer's generator: every drawn expression is well-typed and loads; a seed repeats exactly."""

from __future__ import annotations

import numpy as np

from conformance import expr, loader
from conformance.fuzz import cases
from conformance.fuzz.draw import Node, draw_trial, select
from conformance.kinds.function import FunctionCase


def trials(seed: int, count: int) -> list:
    rng = np.random.default_rng(seed)
    pool = select()
    return [draw_trial(rng, pool) for _ in range(count)]


def test_every_drawn_expression_is_well_typed_and_loads(tmp_path):
    drawn = trials(7, 400)
    path = tmp_path / "batch.yaml"
    path.write_text(cases.batch_text(drawn), encoding="utf-8")
    loaded, errors = loader.load([path])
    assert errors == [] and len(loaded) == len(drawn)
    for trial, case in zip(drawn, (c.case for c in loaded), strict=True):
        # the checker measures every shape again at load: the drawn cotangent has the output's
        shapes = {n: np.shape(v) for n, v in trial.inputs.items()}
        shapes |= {n: np.shape(v["value"]) for n, v in trial.data.items()}
        size = expr.measure(expr.parse(trial.function, set(shapes)), shapes)
        assert size.shape == np.shape(trial.cotangent), trial.function
        assert isinstance(case, FunctionCase) and case.function == trial.function


def test_the_draw_covers_scalar_empty_and_non_elementwise_cores():
    drawn = trials(3, 400)
    shapes = {np.shape(v) for t in drawn for v in t.inputs.values()}
    assert () in shapes and (0,) in shapes and any(len(s) >= 2 for s in shapes)
    cores = {f for t in drawn for f in t.tree.functions()}
    assert {"sum", "matmul"} & cores and len(cores) > 60
    assert any(len(t.tree.functions()) >= 2 for t in drawn)  # a function of the table wraps the core
    assert any("* 2.5)" in t.function for t in drawn)  # and arithmetic


def test_the_same_seed_draws_the_same_expressions_and_inputs():
    first, again, other = trials(11, 60), trials(11, 60), trials(12, 60)
    assert [t.function for t in first] == [t.function for t in again]
    assert all(np.array_equal(a.inputs[k], b.inputs[k]) for a, b in zip(first, again, strict=True) for k in a.inputs)
    assert [t.function for t in first] != [t.function for t in other]


def test_functions_selects_by_glob_or_substring():
    assert {f.name for f in select("log1?")} == {"log10", "log1p"}
    assert {f.name for f in select("expm")} == {"expm1"}
    assert select("no-such-function") == []


def test_a_node_renders_its_template_with_its_children():
    tree = Node("sum({}, 0)", (Node("sin({})", (Node("x"),), "sin"),), "sum")
    assert tree.render() == "sum(sin(x), 0)" and tree.functions() == {"sum", "sin"}
