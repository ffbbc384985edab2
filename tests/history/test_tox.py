"""tox's matrix follows the release history: each framework's newest release in the committed store has an env."""

from __future__ import annotations

import configparser
import re

from conformance.history import envs, store
from tests.conftest import REPO


def _pinned() -> dict[str, set[str]]:
    """Per tox env factor, the `package==version` pins its PIN_* line sets."""
    config = configparser.ConfigParser(interpolation=None)
    config.read(REPO / "tox.ini", encoding="utf-8")
    found: dict[str, set[str]] = {}
    for line in config["testenv"]["set_env"].splitlines():
        match = re.fullmatch(r"\s*(\w+): PIN_\w+ = (.*)", line)
        if match:
            found[match[1]] = set(match[2].split())
    return found


def test_each_frameworks_newest_release_in_the_store_has_a_tox_env():
    pins = set().union(*_pinned().values())
    held = store.read(REPO / "history" / "store.json.gz")
    for framework in {r.framework for r in held.releases}:
        newest = store.of(held, framework)[-1].release
        assert f"{envs.PACKAGE[framework]}=={newest}" in pins, f"tox.ini: no env for {framework} {newest}"


def test_torch_2_14_and_2_15_have_envs_by_name():
    assert _pinned()["torch214"] == {"torch==2.14.1"} and _pinned()["torch215"] == {"torch==2.15.0"}
