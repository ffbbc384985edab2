"""Names of earlier releases and what they are called now, and "did you mean" for any unknown name.

Data only: a function renamed to follow the Array API standard (or scipy.special where the standard lacks it) keeps
an entry here, so a case file written for an earlier release is told the new name instead of a list of every name.
"""
from __future__ import annotations

import difflib
from collections.abc import Iterable

#: old function name -> its name now
FUNCTIONS = {
    "norm": "vector_norm",  # Array API: linalg.vector_norm
    "logdet": "slogdet",  # Array API: linalg.slogdet, select its [1]
    "lgamma": "gammaln",  # scipy.special.gammaln
}


def unknown(what: str, name: str, known: Iterable[str], renamed: dict[str, str] | None = None) -> str:
    """`unknown function 'norm': renamed to 'vector_norm'`, or `unknown tag 'knik': did you mean 'kink'?`, or, with
    no close name, the known ones (at most a few dozen are listed)."""
    known = sorted(set(known))
    if renamed and name in renamed:
        return f"unknown {what} {name!r}: renamed to {renamed[name]!r}"
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.75)
    if close:
        return f"unknown {what} {name!r}: did you mean {' or '.join(map(repr, close))}?"
    listed = ", ".join(known[:40]) + (f", ... ({len(known)} in all)" if len(known) > 40 else "")
    return f"unknown {what} {name!r} (known: {listed})"
