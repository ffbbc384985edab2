"""`pip install` under constraints.txt with some pins swapped: tox's install_command.

constraints.txt pins one version of each framework (and keeps torch on its CPU
wheel). A tox env for another version sets PIN_<FRAMEWORK> (e.g. PIN_JAX =
"jax==0.9.2 jaxlib==0.9.2"); those pins replace the same packages' lines, the
rest of the file still applies. pip refuses two pins of one package, so the
file is rewritten rather than given twice.
"""
from __future__ import annotations

import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def name(requirement: str) -> str:
    """The normalized project name of a requirement line ('' for comments and blank lines)."""
    head = re.split(r"[\s=<>!~;\[#@]", requirement.strip(), maxsplit=1)[0]
    return re.sub(r"[-_.]+", "-", head).lower()


def constraints(pins: list[str]) -> str:
    swapped = {name(pin) for pin in pins}
    kept = [line for line in (ROOT / "constraints.txt").read_text().splitlines() if name(line) not in swapped]
    return "\n".join([*kept, *pins]) + "\n"


def main(argv: list[str]) -> None:
    """argv: the constraints file to write, then pip's install arguments."""
    out, args = Path(argv[0]), argv[1:]
    pins = [pin for key, value in sorted(os.environ.items()) if key.startswith("PIN_") for pin in value.split()]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(constraints(pins))
    os.execv(sys.executable, [sys.executable, "-m", "pip", "install", "-c", str(out), *args])


if __name__ == "__main__":
    main(sys.argv[1:])
