"""constraints.txt with some pins swapped in: shared by tox (tools/tox_pip.py) and `history run`.

constraints.txt pins one version of each framework; an environment for another version replaces those packages'
lines with its own pins, the rest of the file still applies. pip refuses two pins of one package, so the file is
rewritten rather than given twice. This module imports nothing of the package, as tox runs it before installing it.
"""

from __future__ import annotations

import re


def name(requirement: str) -> str:
    """The normalized project name of a requirement line ('' for comments and blank lines)."""
    head = re.split(r"[\s=<>!~;\[#@]", requirement.strip(), maxsplit=1)[0]
    return re.sub(r"[-_.]+", "-", head).lower()


def swapped(text: str, pins: list[str], dropped: frozenset[str] = frozenset()) -> str:
    """The constraints `text` with `pins` in place of the same packages' lines, and without the packages in
    `dropped` (normalized names: the constraints a release cannot resolve under)."""
    replaced = {name(pin) for pin in pins} | dropped
    kept = [line for line in text.splitlines() if name(line) not in replaced]
    return "\n".join([*kept, *pins]) + "\n"
