"""The sweep generator: deterministic, current with the committed files, and covering every elementwise function."""
from __future__ import annotations

from pathlib import Path

from conformance import cli, generate, loader
from conformance.functions import FUNCTIONS, Domain, elementwise
from conformance.kinds import FunctionCase

SWEEPS = loader.LIBRARY / "sweeps"


def test_the_committed_sweeps_are_the_generated_ones():
    """Regenerating gives the committed files, so they cannot drift from the table's special points."""
    committed = {p.name: p.read_text(encoding="utf-8") for p in SWEEPS.glob("*.yaml")}
    assert committed == generate.files(), "run: conformance generate-sweeps --out conformance/cases/sweeps"


def test_the_generator_is_deterministic(tmp_path: Path):
    first = generate.files()
    assert generate.files() == first
    written = generate.write(tmp_path)
    assert {p.name: p.read_text(encoding="utf-8") for p in written} == first


def test_every_unary_and_binary_elementwise_function_has_a_sweep():
    wanted = {f.name for f in FUNCTIONS.values() if f.shape is elementwise and f.outputs is None and not f.literal
              and not f.lists and len(f.params) <= 2 and Domain.REAL in f.domains}
    assert "imag" not in wanted and {"real", "conj"} <= wanted  # imag takes complex numbers only
    assert {f.name for f in FUNCTIONS.values() if generate.sweepable(f)} == wanted
    assert {name for name in wanted if FUNCTIONS[name].sweep is None} == set()
    cases, errors = loader.load([SWEEPS])
    assert errors == []
    swept = {name for c in cases for name in c.case.exercised()}
    assert wanted <= swept


def test_every_special_point_is_a_sample_with_its_stated_derivative():
    cases = {c.case.id: c.case for c in loader.load([SWEEPS])[0]}
    for f in FUNCTIONS.values():
        if not generate.sweepable(f):
            continue
        assert f.sweep is not None
        base = f"{f.name.replace('_', '-')}-sweep"
        assert {f"{base}[generic]", f"{base}[scalar]"} <= set(cases)
        for point in f.sweep.special:
            case = cases[f"{base}[{point.name}]"]
            assert isinstance(case, FunctionCase)
            assert set(case.expected) >= set(point.expected), case.id
            assert case.oracle == (point.differentiable and not point.oracle_off), case.id


def test_the_generic_points_lie_in_the_domain():
    for f in FUNCTIONS.values():
        if f.sweep is None:
            continue
        case = generate.sweep_case(f)
        for (lo, hi), p in zip(f.sweep.domain, f.params, strict=True):
            assert all(lo <= v <= hi for v in case["inputs"][p]), f.name
            assert lo <= case["samples"][1]["inputs"][p] <= hi, f.name


def test_the_command_writes_the_files(tmp_path: Path, capsys):
    assert cli.main(["generate-sweeps", "--out", str(tmp_path / "sweeps")]) == 0
    assert "54 files" in capsys.readouterr().out
    assert {p.name for p in (tmp_path / "sweeps").iterdir()} == set(generate.files())
