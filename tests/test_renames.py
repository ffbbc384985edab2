"""Renamed functions and unknown names: old names load for one release with a warning naming the new one, then
fail naming it; misspelt names, kinds and keys get the closest ones, never a list of every name."""

import warnings

import numpy as np
import pytest

from conformance import expr, loader, oracle, renames
from conformance.functions import FUNCTIONS

OLD_AND_NEW = [("norm(x)", "vector_norm(x)"), ("logdet(x)", "slogdet(x)[1]"), ("lgamma(sum(x))", "gammaln(sum(x))")]


def test_every_old_name_is_gone_from_the_table_and_its_new_name_is_in_it():
    assert not set(renames.FUNCTIONS) & set(FUNCTIONS)
    for renamed in renames.FUNCTIONS.values():
        assert renamed.new in FUNCTIONS
        outputs = FUNCTIONS[renamed.new].outputs
        assert (renamed.select is None) == (outputs is None)


@pytest.mark.parametrize(("old", "new"), OLD_AND_NEW)
def test_an_old_name_loads_as_the_new_one_with_a_warning_naming_it(old, new):
    x = np.array([[2.0, 1.0], [0.5, 3.0]])
    with pytest.warns(renames.RenamedWarning, match=r"is renamed '.*'; the old name loads until 0\.3\.0"):
        parsed = expr.parse(old, {"x"})
    assert parsed.tree == expr.parse(new, {"x"}).tree
    assert oracle.evaluate(parsed, {"x": x}) == pytest.approx(oracle.evaluate(expr.parse(new, {"x"}), {"x": x}))


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("norm(x)", "unknown function 'norm': renamed to 'vector_norm'"),
        ("logdet(x)", "unknown function 'logdet': renamed to 'slogdet(...)[1]'"),
        ("lgamma(x)", "unknown function 'lgamma': renamed to 'gammaln'"),
    ],
)
def test_from_the_release_it_names_an_old_name_is_an_error_naming_the_new_one(monkeypatch, source, message):
    monkeypatch.setattr(renames, "__version__", "0.3.0")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(expr.ExprError) as raised:
            expr.parse(source, {"x"})
    assert str(raised.value).startswith(message)


def test_a_misspelt_function_name_says_the_closest_ones():
    with pytest.raises(expr.ExprError) as raised:
        expr.parse("sinn(x)", {"x"})
    assert str(raised.value).startswith("unknown function 'sinn': did you mean 'sin'")
    assert len(str(raised.value)) < 200  # not the 150 names of the table


def test_a_name_with_no_close_match_lists_a_few_known_ones():
    assert renames.unknown("tag", "zzz", ["kink", "relu"]) == "unknown tag 'zzz' (known: kink, relu)"
    assert renames.unknown("tag", "knik", ["kink", "relu"]) == "unknown tag 'knik': did you mean 'kink'?"
    many = renames.unknown("function", "qqqq", [f"f{i:03d}" for i in range(100)])
    assert many.endswith(", f039, ... (100 in all))")


def test_only_the_names_nearly_as_close_as_the_closest_are_offered():
    assert renames.close("tolerence", ["tolerance", "divergences", "title"]) == "'tolerance'"
    assert renames.close("vpj", ["vjp", "jvp", "reparam"]) == "'vjp' or 'jvp'"
    assert renames.close("sigmod", ["sigmoid", "sign", "sin"]) == "'sigmoid'"
    assert renames.close("zzz", ["vjp"]) == ""


CASE = """\
- id: renamed-and-misspelt
  kind: jvp
  title: an old name
  why: "log|det A| + |x|: d/ds = tr(A^-1 V) + <x, V>/|x|"
  function: logdet(x) + norm(x)
  inputs: {x: [[2.0, 0.0], [0.0, 3.0]]}
  tangent: {x: [[1.0, 0.0], [0.0, 1.0]]}
  expected:
    jvp: {value: "1/2 + 1/3 + (2 + 3)/sqrt(13)", why: the algebra above}
- id: misspelt
  kind: vpj
  title: t
- id: misspelt-keys
  kind: vjp
  title: t
  why: w
  function: sin(x)
  inputs: {x: 1.0}
  tolerence: {float64: {rtol: 1.0e-3}}
  expected: {x: {value: cos(x), whi: d sin = cos}}
"""


def test_the_loader_warns_at_the_line_that_calls_an_old_name_and_suggests_kinds_and_keys(tmp_path):
    file = tmp_path / "case.yaml"
    file.write_text(CASE)
    with pytest.warns(renames.RenamedWarning) as caught:
        cases, errors = loader.load([file])
    assert [c.case.id for c in cases] == ["renamed-and-misspelt"]
    assert {(w.filename, w.lineno) for w in caught} == {(str(file), 5)}
    assert sorted(str(w.message).split()[1] for w in caught) == ["'logdet'", "'norm'"]
    assert sorted(str(e).removeprefix(f"{file}:") for e in errors) == [
        "10: unknown kind 'vpj': did you mean 'vjp' or 'jvp' or 'hvp'?",
        "19: tolerence: unknown key: did you mean 'tolerance'?",
        "20: expected.x.whi: unknown key: did you mean 'why'?",
        "20: expected.x.why: Field required",
    ]
