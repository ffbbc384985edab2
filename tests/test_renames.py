"""Renamed functions and unknown names: the new name, or the closest ones, never a list of every name."""
import pytest

from conformance import expr, renames
from conformance.functions import FUNCTIONS


def test_every_old_name_is_gone_and_its_new_name_is_in_the_table():
    assert not set(renames.FUNCTIONS) & set(FUNCTIONS)
    assert set(renames.FUNCTIONS.values()) <= set(FUNCTIONS)


@pytest.mark.parametrize(("source", "message"), [
    ("norm(x)", "unknown function 'norm': renamed to 'vector_norm'"),
    ("logdet(x)", "unknown function 'logdet': renamed to 'slogdet'"),
    ("lgamma(x)", "unknown function 'lgamma': renamed to 'gammaln'"),
    ("sinn(x)", "unknown function 'sinn': did you mean 'sin'"),
])
def test_an_old_or_misspelt_function_name_says_the_name_to_use(source, message):
    with pytest.raises(expr.ExprError) as raised:
        expr.parse(source, {"x"})
    assert str(raised.value).startswith(message)
    assert len(str(raised.value)) < 200  # not the 130 names of the table


def test_a_name_with_no_close_match_lists_a_few_known_ones():
    assert renames.unknown("tag", "zzz", ["kink", "relu"]) == "unknown tag 'zzz' (known: kink, relu)"
    assert renames.unknown("tag", "knik", ["kink", "relu"]) == "unknown tag 'knik': did you mean 'kink'?"
    many = renames.unknown("function", "qqqq", [f"f{i:03d}" for i in range(100)])
    assert many.endswith(", f039, ... (100 in all))")
