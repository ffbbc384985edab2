"""A case's `samples`: each one a case of its own, `<id>[<name>]`, and bad samples named with file and line."""

from __future__ import annotations

import pytest

from conformance import loader
from conformance.cli import select
from conformance.kinds import FunctionCase

SWEEP = """
- id: s
  kind: vjp
  title: t
  why: w
  inputs: {x: [1.0, 2.0], y: 3.0}
  cotangent: [1.0, 1.0]
  function: x * y
  divergences:
    - {framework: jax, issue: 'https://example.org/1', why: w}
  samples:
    - name: generic
    - name: one
      why: here
      inputs: {x: 1.0}
      cotangent: 2.0
      expected:
        x: {value: 6, why: "2 y"}
      dtypes: [float64]
      oracle: false
      oracle_why: stated
      divergences:
        - {framework: torch, issue: 'https://example.org/2', why: w}
"""


def test_each_sample_is_a_case_of_its_own(write_case):
    cases, errors = loader.load([write_case(SWEEP)])
    assert errors == []
    generic, one = (c.case for c in cases)
    assert isinstance(generic, FunctionCase) and isinstance(one, FunctionCase)
    assert [generic.id, one.id] == ["s[generic]", "s[one]"]
    assert [c.line for c in cases] == [11, 12]  # each at its sample's line
    # the generic sample is the case's own inputs; a sample replaces what it gives, input by input
    assert generic.inputs == {"x": [1.0, 2.0], "y": 3.0} and generic.cotangent == [1.0, 1.0]
    assert one.inputs == {"x": 1.0, "y": 3.0} and one.cotangent == 2.0
    assert one.expected["x"].value == 6 and generic.expected == {}
    assert one.dtypes == ["float64"] and generic.dtypes == ["float32", "float64"]
    assert not one.oracle and generic.oracle
    assert one.why == "w here" and one.title == "t [one]"
    # divergences add up: the case's hold at every sample
    assert [d.framework for d in one.divergences] == ["jax", "torch"]
    assert [d.framework for d in generic.divergences] == ["jax"]
    assert generic.samples == [] and one.samples == []


def test_a_case_with_samples_runs_each_sample(write_case):
    """The whole path: the expanded cases are ordinary cases to the engine (compile, exercised functions)."""
    cases, _ = loader.load([write_case(SWEEP)])
    assert all(c.case.exercised() == {"multiply"} for c in cases)


@pytest.mark.parametrize(
    "samples, line, fragment",
    [
        # names: unique and identifier-like
        ("    - name: a\n    - name: a\n", 12, "samples.1.name: duplicate sample name 'a' (first at line 11)"),
        ("    - name: 'a b'\n", 11, "samples.0.name: String should match pattern"),
        ("    - name: A\n", 11, "samples.0.name: String should match pattern"),
        ("    - {inputs: {x: 1.0}}\n", 11, "samples.0.name: Field required"),
        ("    - name: a\n      bogus: 1\n", 12, "samples.0.bogus: unknown key"),
        # a sample's own values are checked as the case's are, at the sample's line
        # a sample's input that does not fit the case's cotangent: at the cotangent, naming the sample
        (
            "    - name: a\n    - name: b\n      inputs: {x: [1.0, 2.0, 3.0]}\n",
            6,
            "in sample 'b': cotangent: the cotangent has shape (2,), the function's output shape (3,)",
        ),
        (
            "    - name: a\n      inputs: {x: 'x.__class__'}\n",
            12,
            "samples.0.inputs.x: attribute access is not allowed",
        ),
        ("    - name: a\n      expected:\n        z: {value: 1, why: w}\n", 13, "not differentiated"),
    ],
)
def test_bad_samples_name_file_line_and_problem(write_case, samples, line, fragment):
    head = (
        "id: s\nkind: vjp\ntitle: t\nwhy: w\ninputs: {x: [1.0, 2.0]}\ncotangent: [1.0, 1.0]\nfunction: x * x\n"
        "tags: []\ndtypes: [float32, float64]\nsamples:\n"
    )
    path = write_case(head + samples)
    _, errors = loader.load([path])
    assert any(str(e).startswith(f"{path}:{line}: ") and fragment in str(e) for e in errors), errors


def test_no_samples_at_all_is_a_load_error_not_a_case_that_vanishes(write_case):
    path = write_case("id: s\nkind: grad\ntitle: t\nwhy: w\ninputs: {x: 1.0}\nfunction: x * x\nsamples: []\n")
    cases, errors = loader.load([path])
    assert cases == [] and [str(e) for e in errors] == [
        f"{path}:7: samples: List should have at least 1 item after validation, not 0"
    ]


def test_samples_are_only_for_function_kinds(write_case):
    path = write_case("id: s\nkind: behaviour\ntitle: t\nwhy: w\nscenario: x\noutcomes: {}\nsamples: []\n")
    _, errors = loader.load([path])
    assert any("samples: unknown key" in str(e) for e in errors), errors


def test_a_samples_id_selects_it_although_its_brackets_are_glob_characters(write_case):
    cases, _ = loader.load([write_case(SWEEP)])
    assert [c.case.id for c in select(cases, ["s[one]"])] == ["s[one]"]
    assert [c.case.id for c in select(cases, ["s[*"])] == ["s[generic]", "s[one]"]


def test_a_jvp_samples_tangent_replaces_the_cases_name_by_name(write_case):
    path = write_case("""
        id: j
        kind: jvp
        title: t
        why: w
        inputs: {x: 1.0, y: 2.0}
        tangent: {x: 1.0, y: 0.0}
        function: x * y
        samples:
          - name: along_y
            tangent: {x: 0.0, y: 1.0}
            expected:
              jvp: {value: x, why: "d(xy)/dy = x"}
        """)
    cases, errors = loader.load([path])
    assert errors == []
    case = cases[0].case
    assert isinstance(case, FunctionCase)
    assert case.id == "j[along_y]" and case.tangent == {"x": 0.0, "y": 1.0} and case.expected["jvp"].value == "x"


def test_a_sample_may_call_the_function_otherwise(write_case):
    """OpInfo's per-sample arguments: a sample's own function (an axis here) and inputs of its own shapes."""
    cases, errors = loader.load(
        [
            write_case("""
- id: s
  kind: vjp
  title: t
  why: w
  inputs: {x: [1.0, 2.0]}
  cotangent: 1.0
  function: sum(x)
  samples:
    - name: vector
    - name: axis
      function: sum(x, 1)
      inputs: {x: [[1.0, 2.0], [3.0, 4.0]]}
      cotangent: [1.0, 2.0]
    - name: bad_axis
      function: sum(x, 2)
""")
        ]
    )
    assert [c.case.function for c in cases if isinstance(c.case, FunctionCase)] == ["sum(x)", "sum(x, 1)"]
    assert len(errors) == 1 and errors[0].line == 15 and "bad_axis" in errors[0].message
