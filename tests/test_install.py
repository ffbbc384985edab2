"""The installation itself: CPU-only, in CI every framework present (so no test is skipped there), and the
built wheel working in a fresh venv with no checkout."""

import json
import os
import shutil
import subprocess
import sys
from importlib.metadata import distributions
from pathlib import Path

import pytest

from conformance import loader
from tests.conftest import FRAMEWORK_MODULES, REPO, installed


def test_install_carries_no_cuda_packages():
    cuda = sorted(d.metadata["Name"] for d in distributions() if d.metadata["Name"].lower().startswith("nvidia-"))
    assert cuda == []


@pytest.mark.skipif(os.environ.get("CI") != "true", reason="only CI promises every framework")
def test_ci_installs_every_framework():
    assert [fw for fw in FRAMEWORK_MODULES if not installed(fw)] == []


#: building and installing the wheel takes minutes: CI runs it as a step of its own, not inside `make test`
WHEEL_CHECK = os.environ.get("CONFORMANCE_WHEEL_CHECK") == "1"
# Build outputs, environments and caches of the checkout: not sources of the wheel.
NOT_SOURCES = shutil.ignore_patterns(
    ".git",
    ".venv",
    ".tox",
    "out",
    "site",
    "build",
    "dist",
    "*.egg-info",
    "__pycache__",
    ".*_cache",
    "test-artifacts",
    "benchmarks",
)


@pytest.fixture(scope="module")
def wheel_venv(tmp_path_factory) -> Path:
    """A fresh venv with only the built wheel (with torch and the docs extra) installed: no checkout on its path."""
    root = tmp_path_factory.mktemp("wheel")
    source = root / "source"
    shutil.copytree(REPO, source, ignore=NOT_SOURCES)
    pip = [sys.executable, "-m", "pip"]
    _check([*pip, "wheel", "--quiet", "--no-deps", "--wheel-dir", str(root / "dist"), str(source)])
    wheel = next((root / "dist").glob("gradient_conformance-*.whl"))
    venv = root / "venv"
    _check([sys.executable, "-m", "venv", str(venv)])
    _check(
        [
            str(venv / "bin" / "python"),
            "-m",
            "pip",
            "install",
            "--quiet",
            f"{wheel}[torch,docs]",
            "-c",
            str(REPO / "constraints.txt"),
        ]
    )
    return venv


def _check(command: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess:
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, f"{command}: exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result


@pytest.mark.skipif(
    not WHEEL_CHECK,
    reason="builds and installs the wheel (a minute or two): CONFORMANCE_WHEEL_CHECK=1, as CI's own step",
)
def test_the_installed_wheel_runs_and_lists_the_library_without_a_checkout(wheel_venv, tmp_path):
    bin_ = wheel_venv / "bin"
    packages = _check([str(bin_ / "python"), "-m", "pip", "list", "--format=freeze"]).stdout.lower()
    assert "gradient-conformance==" in packages and "nvidia-" not in packages
    where = _check([str(bin_ / "python"), "-c", "import conformance; print(conformance.__file__)"], cwd=tmp_path)
    package = Path(where.stdout.strip()).parent
    assert package.is_relative_to(wheel_venv) and (package / "py.typed").is_file()
    assert list(package.parent.glob("gradient_conformance-*.dist-info/licenses/LICENSE"))
    # exit 1 is a job that fails: a finding of the library (CI's whole-library step shows it), not of the wheel;
    # what the wheel could break (a missing case file, template or module) is an error, unavailable, or exit 2 or 3
    run = subprocess.run(
        [
            str(bin_ / "conformance"),
            "run",
            "--framework",
            "torch",
            "--dtype",
            "float64",
            "--quiet",
            "--report",
            "r.json",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert run.returncode in (0, 1), run.stderr
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["environment"]["frameworks"]["torch"]["available"], run.stdout
    in_float64 = [c.case.id for c in loader.load([loader.LIBRARY])[0] if "float64" in c.case.dtypes]
    assert sorted(job["case"] for job in data["jobs"]) == sorted(in_float64) and len(in_float64) > 50
    assert {job["verdict"] for job in data["jobs"]} <= {"pass", "convention", "xfail", "fail"}
    listing = _check([str(bin_ / "conformance"), "list"], cwd=tmp_path)
    assert len(listing.stdout.splitlines()) == len(data["cases"])
    version = _check([str(bin_ / "conformance"), "--version"], cwd=tmp_path)
    assert "torch: torch 2." in version.stdout and "jax: not installed" in version.stdout


@pytest.mark.skipif(not WHEEL_CHECK, reason="builds and installs the wheel: CONFORMANCE_WHEEL_CHECK=1")
def test_the_installed_wheel_writes_the_docs_without_a_checkout(wheel_venv, tmp_path):
    bin_ = wheel_venv / "bin"
    _check(
        [
            str(bin_ / "conformance"),
            "run",
            "--framework",
            "torch",
            "--dtype",
            "float64",
            "-k",
            "seed",
            "--quiet",
            "--report",
            "r.json",
        ],
        cwd=tmp_path,
    )
    _check([str(bin_ / "conformance"), "docs", "--report", "r.json", "--out", "site"], cwd=tmp_path)
    assert (tmp_path / "site" / "index.html").is_file()


@pytest.mark.skipif(not WHEEL_CHECK, reason="builds the wheel: CONFORMANCE_WHEEL_CHECK=1, as CI's own step")
def test_the_wheel_passes_twine_check_with_this_packages_version(wheel_venv):
    """What an upload would refuse (metadata, the README as its long description) is found before a release."""
    import conformance

    wheel = next((wheel_venv.parent / "dist").glob("gradient_conformance-*.whl"))
    assert wheel.name.startswith(f"gradient_conformance-{conformance.__version__}-")
    _check([sys.executable, "-m", "twine", "check", "--strict", str(wheel)])
