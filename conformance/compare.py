"""Verdicts: each job's gradients against the expected values, the oracle and the other frameworks.

Per gradient: its status (value / disconnected / error) and class (exact zero,
zero within the derived tolerance, NaN, inf, finite). A job fails when a
gradient misses its expected value or the oracle, or differs in value from
another framework beyond tolerance; a difference only of class between
frameworks (one exact 0.0, one rounding-level zero) is recorded as a finding.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from conformance import kinds
from conformance.adapters import VALUE
from conformance.model import Case, Divergence, MleCase, Tolerance

PASS, FAIL, ERROR, XFAIL, XPASS, UNAVAILABLE = "pass", "fail", "error", "xfail", "xpass", "unavailable"
FAILING = (FAIL, ERROR, XPASS)
EXACT_ZERO, TOLERANCE_ZERO, NAN, INF, FINITE = "exact_zero", "tolerance_zero", "nan", "inf", "finite"


@dataclass
class Job:
    """One case on one framework in one dtype, as the runner returns it."""

    case: Case
    framework: str
    dtype: str
    computed: kinds.Computed | None = None
    error: str | None = None  # the job as a whole failed: exception, crash, timeout
    unavailable: str | None = None
    versions: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0


@dataclass
class GradientResult:
    status: str
    kind: str | None  # the class; `class` is a keyword
    value: np.ndarray | None
    error: str | None
    representation: str | None
    expected: np.ndarray | None = None
    oracle: np.ndarray | None = None
    oracle_bound: np.ndarray | None = None
    zero_tolerance: np.ndarray | None = None
    expected_error: dict[str, float] | None = None
    oracle_error: dict[str, float] | None = None
    peers: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: frameworks differ here by design (their own documented conventions): a value difference is a note
    convention: bool = False


@dataclass
class Verdict:
    job: Job
    verdict: str
    messages: list[str]
    gradients: dict[str, GradientResult]
    estimates: dict[str, dict[str, Any]] = field(default_factory=dict)


def classify(value: np.ndarray, zero_tolerance: np.ndarray | None) -> str:
    """The class of a whole array: its most notable element decides."""
    value = np.asarray(value, np.float64)
    if np.isnan(value).any():
        return NAN
    if np.isinf(value).any():
        return INF
    if (value == 0).all():
        return EXACT_ZERO
    if zero_tolerance is not None and (np.abs(value) <= zero_tolerance).all():
        return TOLERANCE_ZERO
    return FINITE


def errors(got: np.ndarray, want: np.ndarray) -> dict[str, float]:
    with np.errstate(invalid="ignore"):  # inf - inf: NaN in the report, never a crash
        diff = np.abs(np.asarray(got, np.float64) - want)
        scale = np.abs(want)
        rel = np.where(scale > 0, diff / np.where(scale > 0, scale, 1), np.where(diff > 0, np.inf, 0))
    return {"max_abs": float(np.max(diff, initial=0)), "max_rel": float(np.max(rel, initial=0))}


def within(got: np.ndarray, want: np.ndarray, tol: Tolerance, zero_tol: np.ndarray | None = None,
           slack: np.ndarray | float = 0.0) -> bool:
    """|got - want| <= max(atol + rtol*|want| + slack, the derived zero tolerance), elementwise."""
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    if got.shape != want.shape:
        return False
    allowed = tol.atol + tol.rtol * np.abs(want) + slack
    if zero_tol is not None:  # the rounding floor of a cancelled sum bounds every element of it
        allowed = np.maximum(allowed, zero_tol)
    same = (got == want) | (np.isnan(got) & np.isnan(want))  # NaN where NaN is expected; inf where inf is
    with np.errstate(invalid="ignore"):
        return bool(np.all(same | (np.abs(got - want) <= allowed)))


def judge(jobs: list[Job]) -> list[Verdict]:
    """Verdicts for all jobs, peers compared within each (case, dtype)."""
    shared_refs: dict[str, dict[str, kinds.Reference]] = {}
    verdicts = []
    for job in jobs:
        if job.computed is None:
            verdicts.append(Verdict(job, UNAVAILABLE if job.unavailable else ERROR,
                                    [job.unavailable or job.error or "no result"], {}))
            continue
        if job.computed.details.get("samples") is not None:  # native sampler: references from its noise
            refs = kinds.reference(job.case, job.computed.details)
        else:
            if job.case.id not in shared_refs:  # the oracle once per case, not once per job
                shared_refs[job.case.id] = kinds.reference(job.case)
            refs = shared_refs[job.case.id]
        verdicts.append(_judge_job(job, kinds.for_framework(refs, job.framework, job.versions)))
    _compare_peers(verdicts)
    for v in verdicts:
        _apply_divergences(v)
    return verdicts


def _judge_job(job: Job, refs: dict[str, kinds.Reference]) -> Verdict:
    case, tol = job.case, job.case.tolerance_for(job.dtype)
    messages, results = [], {}
    for name, grad in job.computed.gradients.items():
        ref = refs.get(name, kinds.Reference())
        zero_tol = kinds.zero_tolerance(ref, job.dtype)
        res = GradientResult(grad.status, None, grad.value, grad.error, grad.representation,
                             ref.expected, ref.oracle, ref.oracle_bound, zero_tol, convention=ref.convention)
        results[name] = res
        if grad.status != VALUE or ref.status != VALUE:
            if grad.status != ref.status and (ref.expected is not None or ref.oracle is not None
                                              or ref.status != VALUE):
                messages.append(f"{name}: expected {ref.status}, got {grad.status}"
                                + (f" ({grad.error})" if grad.error else ""))
            continue
        res.kind = classify(grad.value, zero_tol)
        if ref.expected is not None:
            res.expected_error = errors(grad.value, ref.expected)
            if not within(grad.value, ref.expected, tol, zero_tol):
                messages.append(f"{name}: expected {_short(ref.expected)}, got {_short(grad.value)} "
                                f"(max abs error {res.expected_error['max_abs']:.3g})")
        if ref.oracle is not None:
            res.oracle_error = errors(grad.value, ref.oracle)
            if not within(grad.value, ref.oracle, tol, zero_tol, ref.oracle_bound):
                messages.append(f"{name}: oracle (finite differences) gives {_short(ref.oracle)}, "
                                f"got {_short(grad.value)} (max abs error {res.oracle_error['max_abs']:.3g})")
    messages.extend(kinds.check(case, job.computed, job.framework, job.versions))
    estimates = {}
    if isinstance(case, MleCase):
        for name, want in kinds.expected_estimates(case).items():
            got = np.asarray(job.computed.estimates.get(name, np.nan), np.float64)
            err = errors(got, want)
            estimates[name] = {"value": got, "expected": want, **err}
            if not err["max_abs"] <= case.estimate_tolerance:
                messages.append(f"estimate {name}: closed form {_short(want)}, got {_short(got)} "
                                f"(max abs error {err['max_abs']:.3g} > {case.estimate_tolerance})")
    return Verdict(job, FAIL if messages else PASS, messages, results, estimates)


def _compare_peers(verdicts: list[Verdict]) -> None:
    """Pairwise, within a (case, dtype): values beyond tolerance fail; class differences are noted."""
    groups: dict[tuple[str, str], list[Verdict]] = {}
    for v in verdicts:
        if v.gradients or v.estimates:
            groups.setdefault((v.job.case.id, v.job.dtype), []).append(v)
    for group in groups.values():
        for v in group:
            tol = v.job.case.tolerance_for(v.job.dtype)
            for peer in group:
                if peer is v:
                    continue
                other = peer.job.framework
                # a peer with a known divergence here is not held against this framework
                peer_diverges = bool(matching_divergences(peer.job.case, other, peer.job.versions))
                for name, res in v.gradients.items():
                    theirs = peer.gradients.get(name)
                    if theirs is None:
                        continue
                    entry: dict[str, Any] = {"status": theirs.status, "class": theirs.kind}
                    if res.status == VALUE and theirs.status == VALUE:
                        entry.update(errors(res.value, theirs.value))
                        entry["agree"] = within(res.value, theirs.value, tol, res.zero_tolerance) or within(
                            theirs.value, res.value, tol, res.zero_tolerance)
                        if not entry["agree"] and peer_diverges:
                            v.messages.append(f"note: {name} differs from {other} by {entry['max_abs']:.3g} "
                                              f"({other} has a known divergence here)")
                        elif not entry["agree"] and (res.convention or theirs.convention):
                            v.messages.append(f"note: {name} differs from {other} by {entry['max_abs']:.3g} "
                                              f"(each framework's own convention)")
                        elif not entry["agree"]:
                            v.messages.append(f"{name}: differs from {other} by {entry['max_abs']:.3g}")
                        elif res.kind != theirs.kind:
                            v.messages.append(f"note: {name} is {res.kind} here, {theirs.kind} in {other}")
                    else:
                        entry["agree"] = res.status == theirs.status
                        if not entry["agree"]:
                            v.messages.append(f"note: {name} is {res.status} here, {theirs.status} in {other}")
                    res.peers[other] = entry
                if isinstance(v.job.case, MleCase):
                    for name, est in v.estimates.items():
                        theirs = peer.estimates.get(name)
                        if theirs is not None and errors(est["value"], theirs["value"])["max_abs"] > \
                                v.job.case.estimate_tolerance:
                            v.messages.append(f"estimate {name}: differs from {other}")
            if v.verdict == PASS and any(not m.startswith("note:") for m in v.messages):
                v.verdict = FAIL


def _apply_divergences(v: Verdict) -> None:
    """A known divergence turns a failure into xfail; a marked case that passes is xpass (stale mark)."""
    marks = matching_divergences(v.job.case, v.job.framework, v.job.versions)
    if not marks or v.verdict in (ERROR, UNAVAILABLE):
        return
    links = ", ".join(m.issue for m in marks)
    if v.verdict == FAIL:
        v.verdict = XFAIL
        v.messages.append(f"known divergence: {links}")
    elif v.verdict == PASS:
        v.verdict = XPASS
        v.messages.append(f"now agrees: remove the divergence mark ({links})")


def matching_divergences(case: Case, framework: str, versions: dict[str, str]) -> list[Divergence]:
    """The case's divergence marks for this framework whose version range holds the installed version."""
    return [mark for mark in case.divergences
            if mark.framework == framework and kinds.version_matches(mark.versions, versions.get(framework))]


def _short(value: Any) -> str:
    return np.array2string(np.asarray(value, np.float64), precision=6, separator=", ", threshold=6)
