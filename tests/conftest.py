"""Shared test helpers: write case files, and skip a framework's tests where it is not installed."""

from __future__ import annotations

import importlib.util
import textwrap
from pathlib import Path

import pytest

pytest_plugins = ["tests.fake_reports"]  # the `sample` report fixture, shared by regress and JUnit tests

FRAMEWORK_MODULES = {"torch": "torch", "tensorflow": "tensorflow_probability", "jax": "jax"}
REPO = Path(__file__).resolve().parent.parent


def installed(framework: str) -> bool:
    return importlib.util.find_spec(FRAMEWORK_MODULES[framework]) is not None


def framework_params() -> list:
    """One param per framework, skipped cleanly when it is not installed."""
    return [
        pytest.param(fw, marks=pytest.mark.skipif(not installed(fw), reason=f"{fw} not installed"))
        for fw in FRAMEWORK_MODULES
    ]


@pytest.fixture
def write_case(tmp_path: Path):
    """Write YAML text (dedented) to a case file and return its path."""

    def write(text: str, name: str = "case.yaml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
        return path

    return write
