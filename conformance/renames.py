"""Names of earlier releases and what they are called now, and "did you mean" for any unknown name.

Data only: a function renamed to follow the Array API standard (or scipy.special where the standard lacks it) keeps
an entry here. Until its `until` release the old name still loads, rewritten to the new one, with a warning naming
it; from then on it is an error that names the new one, so a case file written for an earlier release is told the
new name instead of a list of every name.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass

from conformance import __version__


@dataclass(frozen=True)
class Renamed:
    new: str
    #: the release from which the old name no longer loads (one release after the rename)
    until: str
    #: the old function was one output of the new one: logdet(x) is slogdet(x)[1]
    select: int | None = None

    def loads(self) -> bool:
        """Whether this release still loads the old name."""
        return _release(__version__) < _release(self.until)

    def spelled(self) -> str:
        return self.new if self.select is None else f"{self.new}(...)[{self.select}]"


def _release(version: str) -> tuple[int, ...]:
    """0.2.0 -> (0, 2, 0); a pre-release or local part (0.3.0.dev1, 0.3.0+abc) counts as its release."""
    return tuple(int(part) for part in version.split("+")[0].split(".")[:3] if part.isdigit())


#: old function name -> its name now (renamed in 0.2.0)
FUNCTIONS = {
    "norm": Renamed("vector_norm", until="0.3.0"),  # Array API: linalg.vector_norm
    "logdet": Renamed("slogdet", until="0.3.0", select=1),  # Array API: linalg.slogdet, its second output
    "lgamma": Renamed("gammaln", until="0.3.0"),  # scipy.special.gammaln
}


class RenamedWarning(FutureWarning):
    """An old function name that still loads; the loader re-issues it at the case file's line."""

    def __init__(self, old: str, renamed: Renamed):
        super().__init__(f"function {old!r} is renamed {renamed.spelled()!r}; the old name loads until {renamed.until}")
        self.old = old


def unknown(what: str, name: str, known: Iterable[str], renamed: dict[str, Renamed] | None = None) -> str:
    """`unknown function 'norm': renamed to 'vector_norm'`, or `unknown tag 'knik': did you mean 'kink'?`, or, with
    no close name, the known ones (at most a few dozen are listed)."""
    known = sorted(set(known))
    if renamed and name in renamed:
        return f"unknown {what} {name!r}: renamed to {renamed[name].spelled()!r}"
    if close(name, known):
        return f"unknown {what} {name!r}: did you mean {close(name, known)}?"
    listed = ", ".join(known[:40]) + (f", ... ({len(known)} in all)" if len(known) > 40 else "")
    return f"unknown {what} {name!r} (known: {listed})"


def close(name: str, known: Iterable[str]) -> str:
    """The known names closest to `name` ("'sin' or 'sinh'"), or '' where none is close: difflib's measure at its
    default cutoff ('vpj' finds 'vjp', 'whi' finds 'why'), keeping those nearly as close as the closest."""
    scored = sorted(((difflib.SequenceMatcher(None, name, k).ratio(), k) for k in set(known)), reverse=True)
    best = scored[0][0] if scored else 0.0
    return " or ".join(repr(k) for ratio, k in scored[:3] if ratio >= max(0.6, best - 0.1))
