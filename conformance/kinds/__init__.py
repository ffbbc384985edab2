"""Case kinds: one module each (its pydantic model, compute, references, checks), and the registry.

The engine dispatches through `KINDS` and knows no kind by name: adding a kind
means one module here and one line in the registry.
"""

from __future__ import annotations

from typing import Annotated, Any

import numpy as np
from pydantic import Field

from conformance.adapters import Adapter
from conformance.kinds import behaviour, directional, expectation, function, implicit, mle, reparam
from conformance.kinds.base import (
    Checked,
    Computed,
    ConventionRef,
    Kind,
    Primal,
    Reference,
    for_framework,
    held_to_contract,
    version_matches,
    vjp_per_input,
    zero_tolerance,
)
from conformance.kinds.behaviour import BehaviourCase, Outcome
from conformance.kinds.directional import DirectionalCase
from conformance.kinds.expectation import ExpectationCase
from conformance.kinds.function import JVP_OUTPUTS, FunctionCase
from conformance.kinds.implicit import ImplicitCase
from conformance.kinds.mle import MleCase
from conformance.kinds.reparam import ReparamCase

KINDS: dict[str, Kind] = {
    "vjp": function.KIND,
    "grad": function.KIND,
    "jvp": function.KIND,
    "hvp": function.KIND,
    "reparam": reparam.KIND,
    "mle": mle.KIND,
    "implicit": implicit.KIND,
    "expectation": expectation.KIND,
    "behaviour": behaviour.KIND,
    "directional": directional.KIND,
}

Case = Annotated[
    ReparamCase | FunctionCase | MleCase | ImplicitCase | ExpectationCase | BehaviourCase | DirectionalCase,
    Field(discriminator="kind"),
]


def compute(case: Any, adapter: Adapter, dtype: str) -> Computed:
    """In a framework's worker: what the framework computes for this case, held to the adapter's contract (an adapter
    from another package may break it: its job's error, raised before the answer is sent)."""
    kind = KINDS[case.kind]
    return held_to_contract(kind.compute(case, adapter, dtype), kind.shapes(case, adapter))


def reference(case: Any, details: dict[str, Any] | None = None) -> dict[str, Reference]:
    """In the engine: what each gradient should be (`details`: the framework's own samples, where it drew them)."""
    return KINDS[case.kind].references(case, details)


def declared_error(case: Any, framework: str, versions: dict[str, str]) -> str | None:
    """The error the case declares its job raises on this framework and version (a behaviour's "raises X"), or None:
    a gradient that raises it is that outcome, not an unexpected error."""
    return KINDS[case.kind].declared_error(case, framework, versions)


def check(case: Any, computed: Computed, framework: str, versions: dict[str, str]) -> Checked:
    """In the engine: the kind's own checks beyond the gradients."""
    return KINDS[case.kind].check(case, computed, framework, versions)


def primal_reference(case: Any, dtype: str, details: dict[str, Any]) -> np.ndarray | None:
    """In the engine: the oracle's value of the output a job computed under autodiff (None: its kind has none)."""
    return KINDS[case.kind].primal_reference(case, dtype, details)


def primal_rounding(case: Any, dtype: str, details: dict[str, Any]) -> np.ndarray | None:
    """In the engine: per output element, the scale of f's own rounding where its terms cancel, in eps (None: none)."""
    return KINDS[case.kind].primal_rounding(case, dtype, details)


__all__ = [
    "JVP_OUTPUTS",
    "KINDS",
    "BehaviourCase",
    "Case",
    "Checked",
    "Computed",
    "ConventionRef",
    "DirectionalCase",
    "ExpectationCase",
    "FunctionCase",
    "ImplicitCase",
    "Kind",
    "MleCase",
    "Outcome",
    "Primal",
    "Reference",
    "ReparamCase",
    "check",
    "compute",
    "declared_error",
    "for_framework",
    "mle",
    "primal_reference",
    "primal_rounding",
    "reference",
    "version_matches",
    "vjp_per_input",
    "zero_tolerance",
]
