"""The history workflow's steps, run here for two cheap releases (jax 0.10.1 and 0.10.2, one case): each measured
into a store of its own as a matrix job does, then merged as the final job does. It makes real environments from
the package index (CI reaches it; the environments are cached as `history run` caches them), with real jax."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import yaml
from packaging.version import Version

from conformance.history import store, timeline
from tests.conftest import REPO

WORKFLOW = REPO / ".github" / "workflows" / "history.yml"
RELEASES = ("0.10.1", "0.10.2")


def _step(job: str, name: str) -> str:
    """A step's shell command, by the start of its name."""
    steps = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))["jobs"][job]["steps"]
    return next(s["run"] for s in steps if s.get("name", "").startswith(name))


def _here(command: str, **matrix: str) -> list[str]:
    """The workflow's command as argv here: its matrix values filled in, `conformance` as this interpreter's."""
    for name, value in matrix.items():
        command = command.replace(f"${{{{ matrix.{name} }}}}", value)
    assert "${{" not in command, command
    argv = shlex.split(command)
    assert argv[0] == "conformance"
    return [sys.executable, "-m", "conformance", *argv[1:]]


def _run(argv: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """In `cwd`, with this checkout first on the path, as CI's `pip install -e .` makes it; globs expanded."""
    argv = [str(p) for arg in argv for p in (sorted(cwd.glob(arg)) if "*" in arg else [arg])]
    environ = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(argv, cwd=cwd, env=environ, capture_output=True, text=True, timeout=1200)


def test_the_workflow_measures_two_releases_in_jobs_of_their_own_and_merges_them(tmp_path):
    for release in RELEASES:
        measured = _run(
            [*_here(_step("measure", "Measure"), framework="jax", release=release), "--case", "abs-at-zero"], tmp_path
        )
        assert measured.returncode == 0, measured.stdout + measured.stderr
    stores = tmp_path / "stores"
    stores.mkdir()
    for path in (tmp_path / "out").glob("history-*.json.gz"):  # download-artifact's merge-multiple
        path.rename(stores / path.name)
    merged = _run(_here(_step("merge", "Merge")), tmp_path)
    assert merged.returncode == 0, merged.stdout + merged.stderr
    held = store.read(tmp_path / "history" / "store.json.gz")
    assert [r.release for r in store.of(held, "jax")] == list(RELEASES)
    assert all(r.installed["jax"] == r.installed["jaxlib"] == r.release for r in held.releases)
    assert timeline.show(held, "abs-at-zero", "jax")[:2] == [
        "jax abs-at-zero x [float32]:",
        "  0.10.1 .. 0.10.2: 1 (convention)",
    ]


def test_the_plan_lists_each_release_from_the_oldest_covered_newest_first_as_a_matrix(tmp_path):
    listed = _run(
        [
            sys.executable,
            "-m",
            "conformance",
            "history",
            "run",
            "--framework",
            "jax",
            "--list",
            "--store",
            str(tmp_path / "none.json.gz"),
        ],
        tmp_path,
    )
    assert listed.returncode == 0, listed.stderr
    releases = [entry["release"] for entry in json.loads(listed.stdout)]
    assert releases[-1] == "0.4.30" and "0.4.29" not in releases and "0.10.2" in releases
    assert releases == sorted(releases, key=Version, reverse=True)
