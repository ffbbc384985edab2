"""The installation itself: CPU-only, and in CI every framework present (so no test is skipped there)."""
import os
from importlib.metadata import distributions

import pytest

from tests.conftest import FRAMEWORK_MODULES, installed


def test_install_carries_no_cuda_packages():
    cuda = sorted(d.metadata["Name"] for d in distributions() if d.metadata["Name"].lower().startswith("nvidia-"))
    assert cuda == []


@pytest.mark.skipif(os.environ.get("CI") != "true", reason="only CI promises every framework")
def test_ci_installs_every_framework():
    assert [fw for fw in FRAMEWORK_MODULES if not installed(fw)] == []
