"""The JSON Schemas: committed equal to the generated ones, every property described, `kind` picking its branch,
and the case files pointing their editors at the schema."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from conformance import loader, report, schemas, verdicts
from conformance.kinds import KINDS
from tests.conftest import REPO

SCHEMA = REPO / "schema"
MODELINE = "# yaml-language-server: $schema="


@pytest.mark.parametrize(
    "name, generate", [("case.schema.json", schemas.case_schema), ("report.schema.json", schemas.report_schema)]
)
def test_the_committed_schemas_are_the_generated_ones(name, generate):
    committed = (SCHEMA / name).read_text(encoding="utf-8")
    assert committed == schemas.text(generate()), f"regenerate: conformance schema > schema/{name}"
    assert json.loads(committed)["$id"] == f"https://gradient-conformance.invalid/schema/{name}"
    assert json.loads(committed)["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_the_command_prints_the_committed_text():
    for args, name in ((["schema"], "case.schema.json"), (["schema", "--report"], "report.schema.json")):
        result = subprocess.run(
            [sys.executable, "-m", "conformance", *args], cwd=REPO, capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 0 and result.stdout == (SCHEMA / name).read_text(encoding="utf-8")


def _properties(node: Any, where: str = "") -> Iterator[tuple[str, dict]]:
    """Every (path, schema) under a `properties` keyword, at any depth, but in an `if` (a condition)."""
    if isinstance(node, dict):
        for name, sub in node.get("properties", {}).items():
            yield f"{where}.{name}", sub
        for key, sub in node.items():
            if key != "if":
                yield from _properties(sub, f"{where}/{key}")
    elif isinstance(node, list):
        for i, sub in enumerate(node):
            yield from _properties(sub, f"{where}/{i}")


def test_every_property_of_a_case_is_described():
    properties = list(_properties(schemas.case_schema()))
    assert len(properties) > 90
    assert [path for path, sub in properties if not sub.get("description")] == []


def test_kind_is_an_enum_and_each_kind_applies_only_its_own_branch():
    schema = schemas.case_schema()
    case = schema["$defs"]["Case"]
    assert case["properties"]["kind"]["enum"] == list(KINDS)
    branches = {
        kind: rule["then"]["$ref"] for rule in case["allOf"] for kind in rule["if"]["properties"]["kind"]["enum"]
    }
    assert branches == {kind: f"#/$defs/{spec.model.__name__}" for kind, spec in KINDS.items()}
    assert "discriminator" not in json.dumps(schema)  # OpenAPI's keyword, which JSON Schema validators ignore


def test_every_case_file_names_the_schema_on_its_first_line():
    files = sorted(loader.LIBRARY.rglob("*.yaml"))
    assert files
    for file in files:
        first = file.read_text(encoding="utf-8").splitlines()[0]
        assert first.startswith(MODELINE), file
        target = (file.parent / first.removeprefix(MODELINE)).resolve()
        assert target == (SCHEMA / "case.schema.json").resolve(), file
        assert os.path.relpath(target, file.parent) == first.removeprefix(MODELINE)


# with a JSON Schema validator (not a dependency of the project: skipped where it is not installed)


@pytest.fixture(scope="module")
def validator() -> Any:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((SCHEMA / "case.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _messages(validator: Any, document: Any) -> list[str]:
    return [error.message for error in validator.iter_errors(document)]


def test_every_library_case_file_is_valid(validator):
    for file in sorted(loader.LIBRARY.rglob("*.yaml")):
        assert _messages(validator, yaml.safe_load(file.read_text(encoding="utf-8"))) == [], file


def test_a_typo_in_kind_gets_one_useful_message(validator):
    case = {"id": "x", "kind": "vjpp", "title": "t", "why": "w", "inputs": {"a": 1}, "function": "a"}
    assert _messages(validator, case) == [f"'vjpp' is not one of {list(KINDS)!r}"]
    assert _messages(validator, [case]) == [f"'vjpp' is not one of {list(KINDS)!r}"]


def test_an_unknown_key_is_named_by_its_kinds_branch_alone(validator):
    case = {"id": "x", "kind": "grad", "title": "t", "why": "w", "inputs": {"a": 1}, "function": "a", "bogus": 1}
    assert _messages(validator, case) == ["Additional properties are not allowed ('bogus' was unexpected)"]


def test_a_report_is_valid_against_the_report_schema(tmp_path: Path):
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((SCHEMA / "report.schema.json").read_text(encoding="utf-8"))
    errors = [loader.LoadError("cases/bad.yaml", 3, "function: unknown name 'q'")]
    path = tmp_path / "r.json"
    report.write(report.build(verdicts.judge([]), [], errors, ["torch"]), path)
    jsonschema.validate(json.loads(path.read_text()), schema, cls=jsonschema.Draft202012Validator)
