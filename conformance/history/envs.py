"""A framework's releases from the package index, and an isolated environment per release.

An environment holds one release of one framework, its companions (jaxlib with jax; tensorflow-probability and
tf-keras with TensorFlow) and the package's own dependencies, everything else from constraints.txt (pins.py swaps
the release's pins in). It is made with `python -m venv --without-pip` and filled by this interpreter's pip
(`pip --python`), so no pip is installed per environment. The checkout runs in it from PYTHONPATH, never installed.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from packaging.version import InvalidVersion, Version
from platformdirs import user_cache_dir

from conformance.history.pins import name, swapped

ROOT = Path(__file__).resolve().parent.parent.parent  # the checkout: constraints.txt, pyproject.toml
CACHE = Path(user_cache_dir("gradient-conformance")) / "history"
#: per framework, the package whose releases are its releases
PACKAGE = {"jax": "jax", "tensorflow": "tensorflow-cpu", "torch": "torch"}
#: per framework, the oldest release the history covers by default: the oldest the package's extras allow (jax,
#: TensorFlow), torch's first of 2024
OLDEST = {"jax": "0.4.30", "tensorflow": "2.16.0", "torch": "2.4.0"}
#: frameworks whose old releases bring several GB (torch's CUDA packages): one at a time, removed once measured
HEAVY = frozenset({"torch"})
#: TensorFlow minor release -> the tensorflow-probability release made for it, from TFP's release notes
#: (https://github.com/tensorflow/probability/releases: 0.24.0 "tested and stable against TensorFlow 2.16",
#: 0.25.0 against 2.18; none was made for 2.17, 0.24.0 is the one before 0.25.0). Newer minors keep 0.25.0, as
#: constraints.txt does for 2.20 and 2.21.
TFP = {"2.16": "0.24.0", "2.17": "0.24.0"}
TFP_NEWEST = "0.25.0"
#: what the environment records as installed: the framework's packages and the numerics under them
RECORDED = (
    "jax",
    "jaxlib",
    "optax",
    "ml-dtypes",
    "tensorflow",
    "tensorflow-cpu",
    "tensorflow-probability",
    "tf-keras",
    "keras",
    "torch",
    "numpy",
    "scipy",
)


class EnvError(RuntimeError):
    """A release's environment could not be made (pip's last lines say why)."""


@dataclass
class Env:
    """A made environment: its interpreter, what it holds, how long making it took."""

    path: Path
    installed: dict[str, str]
    relaxed: list[str] = field(default_factory=list)  # constraints.txt lines dropped so that the release resolves
    seconds: float = 0.0  # 0: taken from the cache

    @property
    def python(self) -> Path:
        return self.path / "bin" / "python"


def releases(framework: str, low: str | None = None, high: str | None = None) -> list[str]:
    """The framework's final releases in [low, high], oldest first, as `pip index versions` lists them."""
    listed = subprocess.run(
        [sys.executable, "-m", "pip", "index", "versions", PACKAGE[framework]],
        capture_output=True,
        text=True,
        timeout=300,
    )
    found = re.search(r"^Available versions: (.*)$", listed.stdout, re.M)
    if found is None:
        raise EnvError(f"pip index versions {PACKAGE[framework]}: {(listed.stderr or listed.stdout).strip()[-400:]}")
    return in_range(found[1].split(", "), low, high)


def in_range(versions: list[str], low: str | None, high: str | None) -> list[str]:
    """The final releases among `versions` in [low, high], oldest first, each once (torch's `2.13.0+cpu` is
    2.13.0)."""
    final: dict[Version, str] = {}
    for text in versions:
        try:
            v = Version(text.strip())
        except InvalidVersion:
            continue
        if (
            not (v.is_prerelease or v.is_devrelease)
            and (low is None or v >= Version(low))
            and (high is None or v <= Version(high))
        ):
            final.setdefault(Version(v.public), v.public)
    return [final[v] for v in sorted(final)]


def pins(framework: str, release: str) -> list[str]:
    """The release and its companions, pinned."""
    if framework == "jax":
        return [f"jax=={release}", f"jaxlib=={release}"]
    if framework == "tensorflow":
        minor = ".".join(release.split(".")[:2])
        return [
            f"tensorflow-cpu=={release}",
            f"tensorflow=={release}",
            f"tf-keras=={minor}.*",
            f"tensorflow-probability=={TFP.get(minor, TFP_NEWEST)}",
        ]
    return [f"{framework}=={release}"]


def requirements(framework: str) -> list[str]:
    """The package's dependencies and its extra for the framework, from the checkout's pyproject.toml."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return [*project["dependencies"], *project["optional-dependencies"][framework]]


def checkout() -> None:
    """Refuse, saying why, where this package runs from an installed wheel: environments need the checkout's
    constraints.txt and pyproject.toml, and run its code from PYTHONPATH."""
    missing = [f for f in ("constraints.txt", "pyproject.toml") if not (ROOT / f).is_file()]
    if missing:
        raise EnvError(
            f"history run and bisect need a checkout of the repository ({', '.join(missing)} not found in {ROOT})"
        )


def where(cache: Path, framework: str, release: str) -> Path:
    return cache / f"{framework}-{release}"


def make(framework: str, release: str, cache: Path = CACHE) -> Env:
    """The release's environment: from the cache when made before, else made now. Where the release cannot
    resolve under constraints.txt (an old TensorFlow needs numpy < 2, an old jax an older optax), it is made again
    with only its own pins, and the constraints it then misses are recorded."""
    path = where(cache, framework, release)
    done = path / "made.json"
    if done.is_file():
        kept = json.loads(done.read_text(encoding="utf-8"))
        return Env(path, kept["installed"], kept["relaxed"])
    start = time.perf_counter()
    constraints = (ROOT / "constraints.txt").read_text(encoding="utf-8")
    release_pins = pins(framework, release)
    first = _install(path, swapped(constraints, release_pins), requirements(framework))
    if first:
        error = _install(path, "\n".join(release_pins) + "\n", requirements(framework))
        if error:
            shutil.rmtree(path, ignore_errors=True)
            raise EnvError(f"{framework} {release}: pip could not install it: {error} (under constraints.txt: {first})")
    installed = _installed(path)
    relaxed = _missed(constraints, release_pins, installed) if first else []
    env = Env(path, installed, relaxed, round(time.perf_counter() - start, 1))
    done.write_text(json.dumps({"installed": installed, "relaxed": relaxed}), encoding="utf-8")
    return env


def _install(path: Path, constraints: str, wanted: list[str]) -> str | None:
    """A fresh environment at `path` with `wanted` under `constraints`; None when made, else pip's last lines."""
    shutil.rmtree(path, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True, timeout=300)
    file = path / "constraints.txt"
    file.write_text(constraints, encoding="utf-8")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(path / "bin" / "python"),
            "install",
            "--quiet",
            "-c",
            str(file),
            *wanted,
        ],
        capture_output=True,
        text=True,
        timeout=3600,
    )
    if done.returncode == 0:
        return None
    lines = [line for line in done.stderr.splitlines() if line.strip() and "is ignored" not in line]
    return " ".join(lines[-6:])[-800:]


def _installed(path: Path) -> dict[str, str]:
    """The recorded packages' versions in the environment, read from its metadata."""
    script = (
        "import json, importlib.metadata as m; print(json.dumps({d.metadata['Name']: d.version "
        "for d in m.distributions()}))"
    )
    listed = subprocess.run(
        [str(path / "bin" / "python"), "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    every = {name(dist): v for dist, v in json.loads(listed.stdout).items()}
    return {package: every[package] for package in RECORDED if package in every}


def _missed(constraints: str, release_pins: list[str], installed: dict[str, str]) -> list[str]:
    """The constraints.txt lines the environment does not meet: those the release could not resolve under."""
    ours = {name(pin) for pin in release_pins}
    missed = []
    for line in constraints.splitlines():
        package, _, pinned = line.partition("==")
        package = name(package)
        if package and package not in ours and package in installed and installed[package] != pinned.strip():
            missed.append(line.strip())
    return missed


def remove(env: Env) -> None:
    """Delete an environment (a heavy framework's, once its report is stored)."""
    shutil.rmtree(env.path, ignore_errors=True)
