"""GitHub Actions workflows, checked by actionlint (a test dependency): the repository's own, and the one the user
guide gives a project to copy, so neither is shipped with a mistake only GitHub would find."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
GUIDE_CI = REPO / "conformance" / "docs" / "templates" / "guide" / "howto" / "ci.md"


def _actionlint() -> str:
    found = shutil.which("actionlint", path=str(Path(sys.executable).parent)) or shutil.which("actionlint")
    assert found, "actionlint is a test dependency (pyproject's test group): install it"
    return found


def _lint(*files: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([_actionlint(), "-no-color", *map(str, files)], cwd=cwd, capture_output=True, text=True,
                          timeout=60)


@pytest.mark.parametrize("workflow", sorted((REPO / ".github" / "workflows").glob("*.yml")), ids=lambda p: p.name)
def test_the_repositorys_workflows_pass_actionlint(workflow):
    checked = _lint(workflow, cwd=REPO)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_guides_workflow_to_copy_passes_actionlint(tmp_path):
    example = re.search(r"```yaml\n(name: gradients.*?)```", GUIDE_CI.read_text(encoding="utf-8"), re.S)
    assert example, f"{GUIDE_CI} has no workflow to copy"
    workflow = tmp_path / ".github" / "workflows" / "gradients.yml"
    workflow.parent.mkdir(parents=True)
    workflow.write_text(example[1], encoding="utf-8")
    checked = _lint(workflow, cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_actionlint_finds_a_mistake(tmp_path):
    """The check can fail: a job with no `runs-on` is refused."""
    workflow = tmp_path / "broken.yml"
    workflow.write_text("on: push\njobs:\n  x:\n    steps:\n      - run: echo\n", encoding="utf-8")
    assert _lint(workflow, cwd=tmp_path).returncode != 0
