"""The user guide: its reference pages follow their sources, and its own pages link only to pages that exist."""

from __future__ import annotations

import posixpath
import re

from conformance import cli, schemas
from conformance.docs import guide, snippets
from conformance.functions import FUNCTIONS


def test_the_function_table_has_every_function_with_each_frameworks_spelling():
    table = guide.function_table()
    rows = {found[1]: line for line in table.splitlines() if (found := re.match(r"\| `([a-z0-9_.]+)\(", line))}
    assert set(rows) == set(FUNCTIONS)
    for framework in ("torch", "tensorflow", "jax"):
        spelled = snippets.spellings_of(framework)
        for name, row in rows.items():
            spelling = spelled.get(name)
            assert (f"`{spelling}`".replace("|", "\\|") if spelling else "—") in row, (framework, name)


def test_the_case_format_has_every_kind_and_every_field():
    text = guide.case_format()
    defs = schemas.case_schema()["$defs"]
    for name, model in defs.items():
        if "properties" in model and name != "Case":  # the dispatch on `kind`, whose models follow
            section = text.split(f"## {name}\n", 1)[1].split("\n## ", 1)[0]
            assert all(f"| `{field}` |" in section for field in model["properties"]), name


def test_every_page_is_in_a_toctree_and_every_link_names_a_page():
    pages = guide.pages()
    index = pages["guide/index.md"]
    listed = {
        f"guide/{entry}.md"
        for block in re.findall(r"```\{toctree\}\n(.*?)```", index, re.S)
        for entry in block.splitlines()
        if entry and not entry.startswith(":")
    }
    assert listed == set(pages) - {"guide/index.md"}
    for name, text in pages.items():
        for link in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", text):
            if not link.startswith(("http:", "https:")):
                assert posixpath.normpath(posixpath.join(posixpath.dirname(name), link)) in pages, (name, link)


def test_the_command_line_page_has_each_commands_help_with_its_exit_codes_and_examples():
    text = guide.command_line()
    for name, (_, codes, examples) in cli.PAGES.items():
        section = text.split(f"## conformance {name}\n", 1)[1].split("\n## ", 1)[0]
        assert f"usage: conformance {name}" in section
        assert " ".join(codes.split()[:3]) in " ".join(section.split()), name
        assert all(" ".join(example.split()[:2]) in section for example in examples), name
