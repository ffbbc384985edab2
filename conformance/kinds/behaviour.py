"""behaviour: a named scenario, written in each adapter in that framework's idiom."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from conformance.adapters import Adapter
from conformance.kinds.base import Checked, Computed, Kind, Reference, references, version_matches
from conformance.model import CaseBase, Expectation, Strict, Versions


class Outcome(Strict):
    """What a scenario's naive idiom does on one framework (for a version range)."""

    outcome: Literal["ok", "raises"] = Field(description="whether the naive idiom runs (ok) or raises")
    error: str | None = Field(None, description="a substring of the observed 'ExceptionType: message'")
    versions: Versions = ""
    why: str = Field(description="why the framework behaves so")
    link: str | None = Field(None, description="the upstream doc or issue that documents it")


class BehaviourCase(CaseBase):
    """A named scenario, written in each adapter in that framework's idiom.

    The adapter returns what happened (`outcome`, `error`) and the values the
    scenario observed (as gradients: a value, disconnected, or an error); the case
    states, per framework, the outcome and, per value, the expectation
    (with conventions per framework where they differ by design). Frameworks are not
    compared with each other: each is checked against its own expectation.
    """

    kind: Literal["behaviour"] = Field(description="a named scenario in each framework's own idiom")
    scenario: str = Field(
        pattern=r"^[a-z][a-z0-9_]*$", description="names the method scenario_<name> that each adapter implements"
    )
    outcomes: dict[str, Outcome | list[Outcome]] = Field(
        description="per framework: what the naive idiom does; a list for several version ranges"
    )
    expected: dict[str, Expectation] = Field(
        default_factory=dict,
        description="per value the scenario observes, what it should be (conventions per "
        "framework where they differ by design)",
    )
    oracle: bool = Field(False, description="always false: a scenario is not a function to difference")
    oracle_why: str | None = Field(
        "a behaviour is a scenario, not a function: nothing to difference", description="why the oracle is off"
    )

    def outcomes_for(self, framework: str) -> list[Outcome]:
        spec = self.outcomes.get(framework, [])
        return list(spec) if isinstance(spec, list) else [spec]

    def compile(self) -> None:
        self._compile_expected(self.expected, frozenset(), frozenset(self.expected))
        self._check_expected(self.expected, {}, {})  # each scenario's gradients have their own shapes


def compute(case: BehaviourCase, adapter: Adapter, dtype: str) -> Computed:
    observed = adapter.behaviour(case.scenario, dtype)
    return Computed(observed["gradients"], details={"outcome": observed["outcome"], "error": observed.get("error")})


def reference(case: BehaviourCase, details: dict[str, Any] | None = None) -> dict[str, Reference]:
    refs = references(case, dict.fromkeys(case.expected), {}, {name: (None, None) for name in case.expected})
    for ref in refs.values():
        ref.not_comparable = "each framework's own idiom of the scenario"
    return refs


def check(case: BehaviourCase, computed: Computed, framework: str, versions: dict[str, str]) -> Checked:
    """The scenario's outcome (ok, or raises with the expected error) on this framework and version."""
    outcome = expected_outcome(case, framework, versions)
    if outcome is None:
        return Checked([f"no expected outcome for {framework} {versions.get(framework, '')} in this scenario"])
    got, error = computed.details.get("outcome"), computed.details.get("error") or ""
    if got != outcome.outcome:
        return Checked([f"outcome: expected {outcome.outcome}, got {got}" + (f" ({error})" if error else "")])
    if outcome.error and outcome.error not in error:
        return Checked([f"error: expected one containing {outcome.error!r}, got {error!r}"])
    return Checked()


def declared_error(case: BehaviourCase, framework: str, versions: dict[str, str]) -> str | None:
    """What the scenario's idiom raises here by its declared outcome ("": any error), else None."""
    outcome = expected_outcome(case, framework, versions)
    return (outcome.error or "") if outcome is not None and outcome.outcome == "raises" else None


def expected_outcome(case: BehaviourCase, framework: str, versions: dict[str, str]) -> Outcome | None:
    return next((o for o in case.outcomes_for(framework) if version_matches(o.versions, versions.get(framework))), None)


KIND = Kind(BehaviourCase, compute, reference, check, declared_error, regimes=False)
