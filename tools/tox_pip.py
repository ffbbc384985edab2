"""`pip install` under constraints.txt with some pins swapped: tox's install_command.

constraints.txt pins one version of each framework (and keeps torch on its CPU
wheel). A tox env for another version sets PIN_<FRAMEWORK> (e.g. PIN_JAX =
"jax==0.9.2 jaxlib==0.9.2"); conformance/history/pins.py swaps them in (the
same code `conformance history run` uses), read from the checkout since tox
runs this before the package is installed.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from conformance.history.pins import swapped  # noqa: E402  (the checkout's, before the package is installed)


def constraints(pins: list[str]) -> str:
    return swapped((ROOT / "constraints.txt").read_text(), pins)


def main(argv: list[str]) -> None:
    """argv: the constraints file to write, then pip's install arguments."""
    out, args = Path(argv[0]), argv[1:]
    pins = [pin for key, value in sorted(os.environ.items()) if key.startswith("PIN_") for pin in value.split()]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(constraints(pins))
    os.execv(sys.executable, [sys.executable, "-m", "pip", "install", "-c", str(out), *args])


if __name__ == "__main__":
    main(sys.argv[1:])
