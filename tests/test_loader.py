from pathlib import Path

import pytest

from conformance import loader

GOOD = """
- id: good
  kind: grad
  title: t
  why: w
  inputs: {a: 2.0}
  function: a*a
  expected:
    a: {value: 4, why: 2a}
"""


def errors_of(path: Path) -> list[str]:
    cases, errors = loader.load([path])
    return [str(e) for e in errors]


def test_good_case_loads(write_case):
    cases, errors = loader.load([write_case(GOOD)])
    assert errors == [] and [c.case.id for c in cases] == ["good"]
    assert cases[0].line == 1


@pytest.mark.parametrize("text, line, fragment", [
    # unknown key, on its own line
    ("id: x\nkind: grad\ntitle: t\nwhy: w\ninputs: {a: 1}\nfunction: a\nbogus: 1\n", 7, "bogus: unknown key"),
    # missing required key: reported at the case
    ("id: x\nkind: grad\ntitle: t\ninputs: {a: 1}\nfunction: a\n", 1, "why: Field required"),
    # unknown kind
    ("id: x\nkind: nope\ntitle: t\nwhy: w\n", 1, "unknown kind 'nope'"),
    # attribute access in the function, on line 6
    ("id: x\nkind: grad\ntitle: t\nwhy: w\ninputs: {a: 1}\nfunction: a.__class__\n", 6,
     "function: attribute access is not allowed"),
    # an undeclared name inside an expected value
    ("id: x\nkind: grad\ntitle: t\nwhy: w\ninputs: {a: 1}\nfunction: a\nexpected:\n  a:\n    value: q\n    why: w\n",
     9, "unknown name 'q'"),
    # a gradient that does not exist
    ("id: x\nkind: grad\ntitle: t\nwhy: w\ninputs: {a: 1}\nfunction: a\nexpected:\n  b: {value: 1, why: w}\n",
     8, "not differentiated"),
    # a wrong type
    ("id: x\nkind: reparam\ntitle: t\nwhy: w\nfamily: Normal\nparams: {loc: 0, scale: 1}\nsamples: many\n"
     "expected: {}\n", 7, "samples: Input should be a valid integer"),
    ("id: x\nkind: reparam\ntitle: t\nwhy: w\nfamily: Nope\nparams: {loc: 0}\nexpected: {}\n", 5, "unknown family"),
    ("id: x\nkind: implicit\ntitle: t\nwhy: w\nfamily: Dirichlet\nparams: {concentration: [1, 2]}\n", 1,
     "Dirichlet has no per-sample CDF oracle: set oracle: false"),
    # PEP 440 ranges are checked at load, wherever they appear
    ("id: x\nkind: grad\ntitle: t\nwhy: w\ninputs: {a: 1}\nfunction: a\ndivergences:\n  - framework: jax\n"
     "    versions: oops\n    issue: https://example.org/1\n    why: w\n", 9, "not a PEP 440 version range: 'oops'"),
    ("id: x\nkind: grad\ntitle: t\nwhy: w\ninputs: {a: 1}\nfunction: a\nexpected:\n  a:\n    value: 1\n    why: w\n"
     "    conventions:\n      jax: {value: 2, why: w, link: 'https://example.org/1', versions: '>=banana'}\n",
     12, "not a PEP 440 version range"),
    ("id: x\nkind: behaviour\ntitle: t\nwhy: w\nscenario: s\noutcomes:\n  jax: {outcome: ok, why: w, versions: '=<1'}\n",
     7, "not a PEP 440 version range"),
    # a convention needs a public link and something to say
    ("id: x\nkind: grad\ntitle: t\nwhy: w\ninputs: {a: 1}\nfunction: a\nexpected:\n  a:\n    value: 1\n    why: w\n"
     "    conventions:\n      jax: {value: 2, why: w}\n", 12, "link: Field required"),
    ("id: x\nkind: grad\ntitle: t\nwhy: w\ninputs: {a: 1}\nfunction: a\nexpected:\n  a:\n    value: 1\n    why: w\n"
     "    conventions:\n      jax: {why: w, link: 'https://example.org/1'}\n", 12, "needs a value, a status or a tolerance"),
    ("id: [unclosed\n", 2, "invalid YAML"),
    ("", 1, "empty case file"),
    ("- 3\n", 1, "a case is a mapping"),
])
def test_errors_name_file_line_and_problem(write_case, text, line, fragment):
    path = write_case(text)
    errors = errors_of(path)
    assert len(errors) >= 1
    assert any(e.startswith(f"{path}:{line}: ") and fragment in e for e in errors), errors


def test_a_bad_file_does_not_lose_the_good_ones(write_case, tmp_path):
    write_case(GOOD, "a.yaml")
    write_case("id: bad\nkind: grad\n", "b.yaml")
    cases, errors = loader.load([tmp_path])
    assert [c.case.id for c in cases] == ["good"]
    assert errors and all(e.file.endswith("b.yaml") for e in errors)


def test_duplicate_ids_are_errors(write_case, tmp_path):
    write_case(GOOD, "a.yaml")
    write_case(GOOD, "b.yaml")
    cases, errors = loader.load([tmp_path])
    assert len(cases) == 1 and "duplicate case id 'good'" in errors[0].message


def test_the_shipped_library_loads_cleanly():
    cases, errors = loader.load([loader.LIBRARY])
    assert errors == [] and len(cases) >= 7
