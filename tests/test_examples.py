"""The example files a user copies: the GitHub Actions workflow and the pre-commit config parse, and every
`conformance` command in them is one the command line accepts."""
import shlex

import pytest
import yaml

from conformance import cli
from tests.conftest import REPO

WORKFLOW = REPO / "docs" / "ci" / "conformance.yml"


def test_the_workflow_is_a_github_actions_workflow_of_known_actions():
    flow = yaml.safe_load(WORKFLOW.read_text())
    triggers = flow[True]  # YAML 1.1 reads the key `on` as true, as PyYAML does; GitHub reads it as "on"
    assert {"pull_request", "schedule"} <= set(triggers)
    (job,) = flow["jobs"].values()
    assert job["runs-on"] == "ubuntu-latest" and job["timeout-minutes"] > 0
    uses = [step["uses"].split("@")[0] for step in job["steps"] if "uses" in step]
    assert uses == ["actions/checkout", "actions/setup-python", "actions/upload-artifact"]
    assert all(set(step) <= {"name", "uses", "with", "run", "if"} for step in job["steps"])


def _commands() -> list[list[str]]:
    flow = yaml.safe_load(WORKFLOW.read_text())
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


def test_the_pre_commit_config_runs_ruff_and_mypy_and_no_formatter():
    config = yaml.safe_load((REPO / ".pre-commit-config.yaml").read_text())
    hooks = [hook for repo in config["repos"] for hook in repo["hooks"]]
    assert [hook["id"] for hook in hooks] == ["ruff", "mypy"]
    assert all(hook["entry"].startswith(".venv/bin/") for hook in hooks)
    assert not any("format" in hook["entry"] for hook in hooks)
