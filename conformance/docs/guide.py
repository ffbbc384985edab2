"""The user guide: its hand-written pages (`templates/guide/`, package data) and the reference pages generated
from their sources, so that the reference cannot drift from the code: the case format from the case files' JSON
Schema, the function table from `conformance/functions.py` and each adapter's spellings, the command line from its
argparse parser (each subcommand's description, options, exit codes and examples)."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

from conformance import cli, schemas
from conformance.adapters import BUILTIN
from conformance.docs import snippets
from conformance.functions import FUNCTIONS

GUIDE = Path(__file__).parent / "templates" / "guide"


def pages() -> dict[str, str]:
    """Each page of the guide: its path under the site's sources (`guide/...`) -> its MyST Markdown."""
    texts = {
        f"guide/{path.relative_to(GUIDE).as_posix()}": path.read_text(encoding="utf-8")
        for path in sorted(GUIDE.rglob("*.md"))
    }
    texts["guide/reference/case-format.md"] = case_format()
    texts["guide/reference/functions.md"] = function_table()
    texts["guide/reference/cli.md"] = command_line()
    return texts


def case_format() -> str:
    """Every field of every case kind, from the JSON Schema the loader validates against."""
    schema = schemas.case_schema()
    defs: dict[str, Any] = schema["$defs"]
    out = [
        "# Case format",
        "",
        "Generated from the case files' JSON Schema (`conformance schema`, committed as "
        "`schema/case.schema.json`): the fields each kind of case takes, their types and what they mean. A case "
        "file holds one case or a list of them.",
        "",
    ]
    # the kinds' models first (FunctionCase, ReparamCase, ...), then the records they share
    for name in sorted((n for n in defs if n != "Case"), key=lambda n: (not n.endswith("Case"), n)):
        model = defs[name]
        if "properties" not in model:
            continue
        out += [
            f"## {name}",
            "",
            _first_paragraph(model.get("description", "")),
            "",
            "| field | type | required | meaning |",
            "| --- | --- | --- | --- |",
        ]
        required = set(model.get("required", ()))
        for field, spec in model["properties"].items():
            out.append(
                f"| `{field}` | {_cell(_type(spec))} | {'yes' if field in required else ''} | "
                f"{_cell(spec.get('description', ''))} |"
            )
        out.append("")
    return "\n".join(out)


def _first_paragraph(text: str) -> str:
    return text.strip().split("\n\n")[0].replace("\n", " ")


def _type(spec: dict[str, Any]) -> str:
    """A schema node's type in a few words."""
    if "$ref" in spec:
        return spec["$ref"].rsplit("/", 1)[1]
    if "const" in spec:
        return json.dumps(spec["const"])
    if "enum" in spec:
        return " or ".join(json.dumps(v) for v in spec["enum"])
    for key in ("anyOf", "oneOf"):
        if key in spec:
            return " or ".join(_type(s) for s in spec[key])
    kind = spec.get("type", "any")
    if kind == "array":
        return f"list of {_type(spec.get('items', {}))}"
    if kind == "object" and isinstance(spec.get("additionalProperties"), dict):
        return f"name -> {_type(spec['additionalProperties'])}"
    return str(kind)


def _cell(text: str) -> str:
    """This project's own Markdown (a description, a spelling) for a table cell: on one line, its pipes escaped."""
    return " ".join(text.split()).replace("|", "\\|")


def function_table() -> str:
    """Every function of the language, with its signature, source and each built-in framework's spelling."""
    spelled = {framework: snippets.spellings_of(framework) for framework in BUILTIN}
    out = [
        "# Functions",
        "",
        "Generated from the function table (`conformance/functions.py`) and each adapter's spellings "
        "(`conformance/adapters/<framework>/ops.py`): the functions a case's expressions may call. A name is the "
        "Array API standard's where it has the function, scipy.special's otherwise; an extension says why it is "
        "in the language. A spelling of `—` means the framework has no such function: its answer is the error.",
        "",
        f"| function | from | {' | '.join(spelled)} |",
        f"| --- | --- | {' | '.join('---' for _ in spelled)} |",
    ]
    for name, function in sorted(FUNCTIONS.items()):
        options = [f"{option}={default!r}" for option, default in function.options.items()]
        signature = f"{name}({', '.join([*function.params, *options])})"
        cells = [_cell(f"`{spelled[f].get(name)}`") if spelled[f].get(name) else "—" for f in spelled]
        out.append(f"| `{signature}` | {function.standard} | {' | '.join(cells)} |")
    return "\n".join(out) + "\n"


def command_line() -> str:
    """Each subcommand's help page, as `conformance <command> --help` prints it (at 100 columns, whatever the
    terminal building the site: argparse wraps to $COLUMNS)."""
    said = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "100"
    try:
        return _command_line(cli.parser())
    finally:
        if said is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = said


def _command_line(parser: argparse.ArgumentParser) -> str:
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices
    out = [
        "# Command line",
        "",
        "Generated from the command's own parser (`conformance/cli.py`): what `conformance <command> --help` "
        "prints for each command.",
        "",
        "```text",
        parser.format_help().rstrip(),
        "```",
        "",
    ]
    for name, command in commands.items():
        out += [f"## conformance {name}", "", "```text", command.format_help().rstrip(), "```", ""]
    return "\n".join(out)
