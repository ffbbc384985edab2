"""The examples a user copies: the GitHub Actions workflow in the user guide and the pre-commit config parse, every
`conformance` command in the workflow is one the command line accepts, and actionlint (a test dependency) passes
it and the repository's own workflows, so none is shipped with a mistake only GitHub would find."""

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conformance import cli
from tests.conftest import REPO

GUIDE_CI = REPO / "conformance" / "docs" / "templates" / "guide" / "howto" / "ci.md"


def _workflow() -> str:
    """The workflow the guide's "Run it in CI" gives to copy: its YAML block."""
    found = re.search(r"```yaml\n(.*?)```", GUIDE_CI.read_text(encoding="utf-8"), re.S)
    assert found, f"{GUIDE_CI} has no workflow to copy"
    return found[1]


def test_the_workflow_is_a_github_actions_workflow_of_known_actions():
    flow = yaml.safe_load(_workflow())
    triggers = flow[True]  # YAML 1.1 reads the key `on` as true, as PyYAML does; GitHub reads it as "on"
    assert {"pull_request", "schedule"} <= set(triggers)
    (job,) = flow["jobs"].values()
    assert job["runs-on"] == "ubuntu-latest" and job["timeout-minutes"] > 0
    uses = [step["uses"].split("@")[0] for step in job["steps"] if "uses" in step]
    assert uses == ["actions/checkout", "actions/setup-python", "actions/upload-artifact"]
    assert all(set(step) <= {"name", "uses", "with", "run", "if"} for step in job["steps"])


def _commands() -> list[list[str]]:
    flow = yaml.safe_load(_workflow())
    (job,) = flow["jobs"].values()
    framework = job["strategy"]["matrix"]["framework"][0]
    found = []
    for step in job["steps"]:
        for line in step.get("run", "").replace("\n", " ").split(";"):
            words = shlex.split(line.replace("${{ matrix.framework }}", framework))
            if words and words[0] == "conformance":
                found.append(words[1:])
    return found


@pytest.mark.parametrize("argv", _commands(), ids=lambda argv: argv[0])
def test_each_conformance_command_of_the_workflow_parses(argv, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the output paths are checked writable here
    args = cli.parser().parse_args(argv)
    assert args.command in cli.PAGES


def test_the_workflow_runs_and_documents_the_suite():
    assert [argv[0] for argv in _commands()] == ["run", "docs"]


def test_the_pre_commit_config_runs_the_projects_own_ruff_format_ruff_mypy_and_actionlint():
    config = yaml.safe_load((REPO / ".pre-commit-config.yaml").read_text())
    hooks = [hook for repo in config["repos"] for hook in repo["hooks"]]
    assert [hook["id"] for hook in hooks] == ["ruff-format", "ruff", "mypy", "actionlint"]
    assert all(hook["entry"].startswith(".venv/bin/") for hook in hooks)
    makefile = (REPO / "Makefile").read_text()
    assert "ruff format --check ." in makefile  # make lint (and CI) refuse what the hook would reformat


def _actionlint() -> str:
    found = shutil.which("actionlint", path=str(Path(sys.executable).parent)) or shutil.which("actionlint")
    assert found, "actionlint is a test dependency (pyproject's test group): install it"
    return found


def _lint(*files: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [_actionlint(), "-no-color", *map(str, files)], cwd=cwd, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize("workflow", sorted((REPO / ".github" / "workflows").glob("*.yml")), ids=lambda p: p.name)
def test_the_repositorys_workflows_pass_actionlint(workflow):
    checked = _lint(workflow, cwd=REPO)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_guides_workflow_to_copy_passes_actionlint(tmp_path):
    workflow = tmp_path / ".github" / "workflows" / "conformance.yml"
    workflow.parent.mkdir(parents=True)
    workflow.write_text(_workflow(), encoding="utf-8")
    checked = _lint(workflow, cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_actionlint_finds_a_mistake(tmp_path):
    """The check can fail: a job with no `runs-on` is refused."""
    workflow = tmp_path / "broken.yml"
    workflow.write_text("on: push\njobs:\n  x:\n    steps:\n      - run: echo\n", encoding="utf-8")
    assert _lint(workflow, cwd=tmp_path).returncode != 0
