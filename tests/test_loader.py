import os
from pathlib import Path

import numpy as np
import pytest

from conformance import loader, model
from conformance.kinds import FunctionCase

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
    _, errors = loader.load([path])
    return [str(e) for e in errors]


def test_good_case_loads(write_case):
    cases, errors = loader.load([write_case(GOOD)])
    assert errors == [] and [c.case.id for c in cases] == ["good"]
    assert cases[0].line == 1


@pytest.mark.parametrize(
    "text, line, fragment",
    [
        # unknown key, on its own line
        ("id: x\nkind: grad\ntitle: t\nwhy: w\ninputs: {a: 1}\nfunction: a\nbogus: 1\n", 7, "bogus: unknown key"),
        # missing required key: reported at the case
        ("id: x\nkind: grad\ntitle: t\ninputs: {a: 1}\nfunction: a\n", 1, "why: Field required"),
        # unknown kind
        ("id: x\nkind: nope\ntitle: t\nwhy: w\n", 1, "unknown kind 'nope'"),
        # attribute access in the function, on line 6
        (
            "id: x\nkind: grad\ntitle: t\nwhy: w\ninputs: {a: 1}\nfunction: a.__class__\n",
            6,
            "function: attribute access is not allowed",
        ),
        # an undeclared name inside an expected value
        (
            "id: x\nkind: grad\ntitle: t\nwhy: w\ninputs: {a: 1}\nfunction: a\nexpected:\n  a:\n    value: q\n"
            "    why: w\n",
            9,
            "unknown name 'q'",
        ),
        # a gradient that does not exist
        (
            "id: x\nkind: grad\ntitle: t\nwhy: w\ninputs: {a: 1}\nfunction: a\nexpected:\n  b: {value: 1, why: w}\n",
            8,
            "not differentiated",
        ),
        # a wrong type
        (
            "id: x\nkind: reparam\ntitle: t\nwhy: w\nfamily: Normal\nparams: {loc: 0, scale: 1}\nsamples: many\n"
            "expected: {}\n",
            7,
            "samples: Input should be a valid integer",
        ),
        ("id: x\nkind: reparam\ntitle: t\nwhy: w\nfamily: Nope\nparams: {loc: 0}\nexpected: {}\n", 5, "unknown family"),
        (
            "id: x\nkind: implicit\ntitle: t\nwhy: w\nfamily: Dirichlet\nparams: {concentration: [1, 2]}\n",
            1,
            "Dirichlet has no per-sample CDF oracle: set oracle: false",
        ),
        # PEP 440 ranges are checked at load, wherever they appear
        (
            "id: x\nkind: grad\ntitle: t\nwhy: w\ninputs: {a: 1}\nfunction: a\ndivergences:\n  - framework: jax\n"
            "    versions: oops\n    issue: https://example.org/1\n    why: w\n",
            9,
            "not a PEP 440 version range: 'oops'",
        ),
        (
            "id: x\nkind: grad\ntitle: t\nwhy: w\ninputs: {a: 1}\nfunction: a\nexpected:\n  a:\n    value: 1\n"
            "    why: w\n"
            "    conventions:\n      jax: {value: 2, why: w, link: 'https://example.org/1', versions: '>=banana'}\n",
            12,
            "not a PEP 440 version range",
        ),
        (
            "id: x\nkind: behaviour\ntitle: t\nwhy: w\nscenario: s\noutcomes:\n"
            "  jax: {outcome: ok, why: w, versions: '=<1'}\n",
            7,
            "not a PEP 440 version range",
        ),
        # a convention needs a public link and something to say
        (
            "id: x\nkind: grad\ntitle: t\nwhy: w\ninputs: {a: 1}\nfunction: a\nexpected:\n  a:\n    value: 1\n"
            "    why: w\n"
            "    conventions:\n      jax: {value: 2, why: w}\n",
            12,
            "link: Field required",
        ),
        (
            "id: x\nkind: grad\ntitle: t\nwhy: w\ninputs: {a: 1}\nfunction: a\nexpected:\n  a:\n    value: 1\n"
            "    why: w\n"
            "    conventions:\n      jax: {why: w, link: 'https://example.org/1'}\n",
            12,
            "needs a value, a status or a tolerance",
        ),
        ("id: [unclosed\n", 2, "invalid YAML"),
        ("", 1, "empty case file"),
        ("- 3\n", 1, "a case is a mapping"),
    ],
)
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


CASE = "id: x\nkind: grad\ntitle: t\nwhy: w\n"  # lines 1-4; a case's own keys start on line 5


@pytest.mark.parametrize(
    "text, line, fragment",
    [
        # duplicate keys name both lines, in block and flow style, at any depth
        (CASE + "inputs: {a: 1}\nfunction: a\nfunction: a*a\n", 7, "duplicate key 'function' (first at line 6)"),
        (CASE + "inputs: {a: 1, a: 2}\nfunction: a\n", 5, "duplicate key 'a' (first at line 5)"),
        (CASE + "inputs: {a: 1, 'a': 2}\nfunction: a\n", 5, "duplicate key 'a'"),
        # nesting, and what aliases expand to
        (
            CASE + f"inputs: {{a: {'[' * 40}1{']' * 40}}}\nfunction: a\n",
            5,
            f"nested deeper than {loader.MAX_DEPTH} levels, the limit for a case file",
        ),
        (
            CASE + f"function: a\ninputs:\n  a: &d {'[' * 20}1{']' * 20}\n  b: {'[' * 20}*d{']' * 20}\n",
            8,
            f"nested deeper than {loader.MAX_DEPTH} levels once aliases are expanded",
        ),
        (CASE + "function: a\ninputs: &x {a: *x}\n", 6, "an alias inside its own anchor"),
        (
            CASE
            + "function: a\ninputs:\n  a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n"
            + "".join(f"  {n}: &{n} [{', '.join([f'*{p}'] * 10)}]\n" for p, n in zip("abcd", "bcde", strict=True)),
            11,
            f"more than {loader.MAX_VALUES:,} values once aliases are expanded",
        ),
        (
            CASE
            + f"function: a\ninputs:\n  a: &a ['{'x' * 5000}']\n"
            + "".join(f"  {n}: &{n} [{', '.join([f'*{p}'] * 10)}]\n" for p, n in zip("abc", "bcd", strict=True)),
            10,
            f"more than {loader.MAX_EXPANDED_BYTES:,} bytes of text once aliases are expanded",
        ),
        # values Python refuses to build
        (CASE + "inputs: {a: 1}\nfunction: a\ntags: [2001-02-30]\n", 7, "cannot read this value: day is out of range"),
        (
            CASE + "inputs: {a: 1}\nfunction: a\ntolerance: {float64: {rtol: 1" + "0" * 5000 + ", atol: 0}}\n",
            7,
            "cannot read this value: Exceeds the limit (4300 digits)",
        ),
        # shapes the frameworks or the NumPy reference would refuse
        (
            CASE.replace("grad", "vjp") + "inputs: {a: [1, 2, 3]}\nfunction: a*a\ncotangent: 1\n",
            7,
            "the cotangent has a scalar, the function's output shape (3,): they must be the same",
        ),
        (
            CASE + "inputs: {a: [1, 2, 3]}\nfunction: a*a\n",
            6,
            "a grad case's function gives a scalar, this one shape (3,)",
        ),
        (
            CASE.replace("grad", "jvp") + "inputs: {a: [1, 2]}\nfunction: a*a\ntangent: {a: [1, 0, 0]}\n",
            7,
            "the tangent has shape (3,), the input shape (2,)",
        ),
        (
            CASE + "inputs: {a: [1, 2, 3]}\nfunction: sum(a)\nexpected:\n  a: {value: [[1, 1, 1]], why: ones}\n",
            8,
            "shape (1, 3) where the gradient of 'a' has shape (3,)",
        ),
        (
            CASE + "inputs: {a: [1, 2, 3]}\nfunction: sum(a)\nexpected:\n  a:\n    value: 1\n    why: ones\n"
            "    conventions:\n      jax: {value: [1, 2], why: w, link: 'https://example.org/1'}\n",
            12,
            "shape (2,) where the gradient of 'a' has shape (3,)",
        ),
        (
            CASE + "inputs: {a: [1, 2, 3]}\nfunction: sum(a)\nexpected:\n  a: {value: 'a[3]', why: w}\n",
            8,
            "index 3 is out of range for a value of shape (3,)",
        ),
        (
            CASE.replace("grad", "reparam") + "family: MultivariateNormal\nparams: {loc: 0.0, scale_tril: 1.0}\n"
            "expected: {}\n",
            6,
            "MultivariateNormal cannot take these params: IndexError",
        ),
        (
            CASE.replace("grad", "reparam") + "family: Normal\nparams: {loc: 0.0, scale: 1.0}\nsamples: 2000000\n"
            "expected: {}\n",
            7,
            "2,000,000 samples of 1 elements make 2,000,000 elements, above the limit of 1,000,000",
        ),
        (
            CASE.replace("grad", "reparam") + "family: Normal\nparams: {loc: 0.0, scale: 1.0}\nexpected:\n"
            "  loc: {value: 'sum(z, 1)', why: w}\n",
            8,
            "axis 1 of sum() is out of range for a value of shape (1,)",
        ),
        (
            CASE.replace("grad", "implicit") + "family: Gamma\nparams: {concentration: [1, 2], rate: [1, 2, 3]}\n",
            6,
            "params: shapes (2,), (3,) do not broadcast together",
        ),
        (
            CASE.replace("grad", "mle") + "family: Normal\nmodel: {loc: m, scale: s}\ntruth: {m: [0, 1], s: 1}\n"
            "parameters: {m: 0, s: 1}\nexpected: {m: {value: sample_mean, why: w}, s: {value: sample_std, why: w}}\n",
            7,
            "truth.m: the truth has shape (2,), the initial value a scalar",
        ),
    ],
)
def test_hostile_and_misshapen_cases_are_errors_naming_file_and_line(write_case, text, line, fragment):
    path = write_case(text)
    errors = errors_of(path)
    assert any(e.startswith(f"{path}:{line}: ") and fragment in e for e in errors), errors


def test_the_oracle_budget_refuses_a_case_too_large_to_difference_and_names_the_limit(write_case):
    vector = "[" + ", ".join(["1"] * 10_000) + "]"
    path = write_case(CASE.replace("grad", "vjp") + f"inputs: {{a: {vector}}}\nfunction: a*a\ncotangent: {vector}\n")
    (error,) = errors_of(path)
    assert error.startswith(f"{path}:5: inputs: the finite-difference oracle would evaluate this case 60,001 times")
    assert f"above the limit of {model.MAX_ORACLE_WORK:.0e} per case" in error and "oracle: false" in error
    path.write_text(path.read_text() + "oracle: false\noracle_why: too large to difference\n")
    assert errors_of(path) == []


def test_the_librarys_dearest_case_is_far_within_the_oracle_budget(monkeypatch):
    spent: list[int] = []
    monkeypatch.setattr(
        model.CaseBase, "_check_oracle", lambda self, path, evaluations, work: spent.append(evaluations * work)
    )
    cases, errors = loader.load([loader.LIBRARY])
    assert errors == [] and len(spent) == sum(c.case.kind != "behaviour" for c in cases)
    assert max(spent) * 10 <= model.MAX_ORACLE_WORK, max(spent)


def test_aliases_within_the_limits_load(write_case):
    path = write_case(
        CASE + "inputs: {a: &v [1.0, 2.0], b: *v}\nfunction: sum(a*b)\n"
        "expected:\n  a: &same {value: b, why: d/da = b}\n  b: *same\n"
    )
    cases, errors = loader.load([path])
    case = cases[0].case
    assert errors == [] and isinstance(case, FunctionCase) and case.inputs == {"a": [1.0, 2.0], "b": [1.0, 2.0]}


def test_a_utf8_byte_order_mark_is_fine_and_other_encodings_name_their_line(tmp_path):
    good = tmp_path / "bom.yaml"
    good.write_bytes(b"\xef\xbb\xbf" + GOOD.lstrip().encode())
    assert errors_of(good) == []
    latin = tmp_path / "latin.yaml"
    latin.write_bytes(GOOD.lstrip().replace("title: t", "title: caf\xe9").encode("latin-1"))
    assert errors_of(latin) == [
        f"{latin}:3: not UTF-8: byte 0xe9 at column 13 is not valid UTF-8 (case files are UTF-8)"
    ]
    utf16 = tmp_path / "utf16.yaml"
    utf16.write_bytes(GOOD.lstrip().encode("utf-16"))
    assert errors_of(utf16) == [
        f"{utf16}:1: not UTF-8 but UTF-16 (it starts with a UTF-16 byte-order mark): case files are UTF-8"
    ]


def test_only_regular_files_of_bounded_size_are_read(tmp_path):
    (tmp_path / "device.yaml").symlink_to(os.devnull)
    (tmp_path / "big.yaml").write_bytes(b"#" * (loader.MAX_FILE_BYTES + 1))
    (tmp_path / "folder.yaml").mkdir()  # a folder with a case suffix is a folder: walked, not read
    (tmp_path / "folder.yaml" / "good.yaml").write_text(GOOD)
    cases, errors = loader.load([tmp_path])
    assert [c.case.id for c in cases] == ["good"]
    assert sorted(map(str, errors)) == [
        f"{tmp_path}/big.yaml:1: larger than {loader.MAX_FILE_BYTES:,} bytes, the limit for a case file",
        f"{tmp_path}/device.yaml:1: not a regular file but a character device: case files are regular files",
    ]


def test_a_bug_in_a_kind_is_that_cases_error_not_a_crash(write_case, monkeypatch):
    def broken(self):
        raise RuntimeError("boom")

    monkeypatch.setattr(FunctionCase, "compile", broken)
    (error,) = errors_of(write_case(GOOD))
    assert error.endswith(
        ":1: the loader failed on this case (RuntimeError: boom); this is a bug in conformance: please report it"
    )


def test_a_convention_list_names_the_entry_without_pydantics_union_labels(write_case):
    path = write_case(
        CASE + "inputs: {a: 1}\nfunction: a\nexpected:\n  a:\n    value: 1\n    why: w\n"
        "    conventions:\n      jax:\n        - {value: 2, why: w, link: 'https://example.org/1'}\n"
        "        - {value: 3, why: w, link: 'https://example.org/2', versions: '>=x'}\n"
    )
    assert errors_of(path) == [
        f"{path}:14: expected.a.conventions.jax.1.versions: not a PEP 440 version range: "
        "'>=x' (e.g. '>=2.1,<2.3'; empty for all versions)"
    ]


DATA = "id: x\nkind: grad\ntitle: t\nwhy: w\ninputs:\n  a: [1.0, 2.0]\n  i: {value: %s, dtype: %s}\nfunction: %s\n"


@pytest.mark.parametrize(
    "value, dtype, function, more, line, fragment",
    [
        ("[1, 2.5]", "int64", "sum(take(a, i))", "", 7, "inputs.i.value: int64 data holds 2.5, not an integer"),
        ("[1, 0]", "bool", "sum(where(i, a, 0))", "", 7, "bool data holds 1, not true or false"),
        ("[true, 1]", "int32", "sum(take(a, i))", "", 7, "int32 data holds True, not an integer"),
        ("[[1, 0], [1]]", "int64", "sum(take(a, i))", "", 7, "must be rectangular"),
        ("[]", "int64", "sum(take(a, i))", "", 7, "must be rectangular and not empty"),
        ("[3000000000]", "int32", "sum(take(a, i))", "", 7, "3000000000 is out of range for int32"),
        ("[1]", "float16", "sum(take(a, i))", "", 7, "inputs.i.dtype: Input should be 'int32', 'int64' or 'bool'"),
        ("[[1, 0]]", "int64", "sum(take(a, i))", "", 8, "one-dimensional index array"),
        (
            "[1]",
            "int64",
            "sum(take(a, i))",
            "expected:\n  i: {status: disconnected, why: w}\n",
            10,
            "not differentiated",
        ),
    ],
)
def test_a_bad_data_input_is_an_error_naming_its_line(write_case, value, dtype, function, more, line, fragment):
    path = write_case(DATA % (value, dtype, function) + more)
    errors = errors_of(path)
    assert any(e.startswith(f"{path}:{line}: ") and fragment in e for e in errors), errors


def test_a_data_input_asked_to_be_differentiated_needs_a_status(write_case):
    text = (
        "id: x\nkind: grad\ntitle: t\nwhy: w\ninputs:\n  a: [1.0, 2.0]\n"
        "  i: {value: [1], dtype: int64, differentiate: true}\nfunction: sum(take(a, i))\n"
    )
    path = write_case(text)
    assert any(
        e.startswith(
            f"{path}:7: inputs.i.differentiate: int64 data asked to be differentiated needs an expected status"
        )
        for e in errors_of(path)
    )
    path = write_case(text + "expected:\n  i: {status: disconnected, why: no derivative}\n")
    cases, errors = loader.load([path])
    case = cases[0].case
    assert errors == [] and isinstance(case, FunctionCase)
    assert case.differentiated() == ["a", "i"] and case.data["i"].dtype == np.dtype("int64")
