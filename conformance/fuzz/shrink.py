"""Shrinking a finding to a minimal expression and input.

A small shrinker of our own rather than hypothesis's: each step must run the candidates through every framework's
worker, so candidates are tried in batches (all findings' candidates of one step at once), and the reductions that
matter here are structural: drop a wrapper, hoist a subexpression, keep one element, round the values. Hypothesis
shrinks its choice sequence one example at a time, which would cost a round trip through the workers per try.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace

import numpy as np

from conformance.fuzz.draw import Node, Trial
from conformance.fuzz.findings import Finding

#: steps at most: each removes a node, an element or digits, so a drawn trial needs few
STEPS = 8
#: elements tried alone, at most, when a trial is elementwise
ELEMENTS = 6

#: runs trials and gives, for each, the findings that survive the filters
Check = Callable[[list[Trial]], list[list[Finding]]]


def candidates(trial: Trial, elementwise: bool) -> list[Trial]:
    """Smaller trials, the most reducing first: a subtree in place of the tree (or of a node), one element alone
    (an elementwise trial), the values rounded."""
    out = []
    for tree in _hoisted(trial.tree):
        if tree.functions():
            out.append(trial.with_tree(tree))
    shapes = {np.shape(v) for v in trial.inputs.values()}
    if elementwise and len(shapes) == 1 and (shape := shapes.pop()) and 0 < int(np.prod(shape)) <= ELEMENTS * 4:
        for i in range(min(int(np.prod(shape)), ELEMENTS)):
            alone = {k: np.asarray(v.reshape(-1)[i]) for k, v in trial.inputs.items()}
            out.append(trial.with_tree(trial.tree, alone))
    for digits in (1, 0):
        rounded = {k: np.round(v, digits) for k, v in trial.inputs.items()}
        if any(not np.array_equal(rounded[k], v) for k, v in trial.inputs.items()):
            out.append(replace(trial, inputs=rounded))
    return out


def _hoisted(tree: Node) -> Iterator[Node]:
    """Each tree with one node replaced by one of its children."""
    for child in tree.children:
        yield child
    for i, child in enumerate(tree.children):
        for smaller in _hoisted(child):
            yield replace(tree, children=(*tree.children[:i], smaller, *tree.children[i + 1 :]))


def same(a: Finding, b: Finding) -> bool:
    """Whether `b` is the finding `a` shrunk: the same gradient, dtype, odd frameworks and symptom."""
    return (a.gradient, a.dtype, a.odd, a.symptom) == (b.gradient, b.dtype, b.odd, b.symptom)


def shrink(findings: list[Finding], check: Check, elementwise: Callable[[Trial], bool]) -> list[Finding]:
    """Each finding at the smallest trial that still shows it, all shrunk side by side."""
    current = list(findings)
    open_ = list(range(len(current)))
    for _ in range(STEPS):
        tries = {
            i: [
                replace(t, dtypes=(current[i].dtype,))
                for t in candidates(current[i].trial, elementwise(current[i].trial))
            ]
            for i in open_
        }
        flat = [t for i in open_ for t in tries[i]]
        if not flat:
            break
        results = iter(check(flat))
        still = []
        for i in open_:
            shown = [next(results) for _ in tries[i]]
            better = next((f for found in shown for f in found if same(current[i], f)), None)
            if better is not None:
                current[i] = better
                still.append(i)
        open_ = still
        if not open_:
            break
    return current
