"""Verdicts: each framework's gradients judged against the math, never against the other frameworks.

The reference for a gradient is the case's stated value or status and the
oracle's finite differences. Per gradient:

- `pass`: it matches the reference;
- `convention`: it misses the reference but matches the framework's recorded,
  linked convention (its own value, status or tolerance);
- `stale`: a recorded convention, yet it now matches the math: remove the record;
- `fail` (or `error`, where the framework raised): it matches neither;
- `xfail`: a failure covered by a known bug (a linked divergence mark); a mark
  that covers nothing failing is `stale`.

A job's verdict is its worst gradient's, or its own checks' (a behaviour's
outcome, an MLE's estimates). How the frameworks compare with each other is
`agreement`, a separate result.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from conformance import kinds
from conformance.adapters import ComplexConvention, Gradient, describe_error, nothing_flowed, regimes
from conformance.kinds import Case
from conformance.model import Convention, Divergence, Tolerance
from conformance.tolerance import EPS, ROUNDINGS, Judged, assess, classify, eps, errors, numeric, real_dtype, short
from conformance.vocabulary import Abstention, Class, Expect, PrimalMismatch, Regime, Rule, Status, Verdict

#: a case's references, or None and why they could not be computed
Referenced = tuple[dict[str, kinds.Reference] | None, str | None]


@dataclass
class Job:
    """One case on one framework in one dtype and execution regime, as the runner returns it."""

    case: Case
    framework: str
    dtype: str
    computed: kinds.Computed | None = None
    error: str | None = None  # the job as a whole failed: exception, crash, timeout
    unavailable: str | None = None
    versions: dict[str, str] = field(default_factory=dict)
    #: the regime it runs in, as planned (None: a job made outside the plan, in the framework's default)
    regime: Regime | None = None
    seconds: float = 0.0
    #: what each gradient should be, from the runner's reference worker (None: `judge` computes them)
    references: dict[str, kinds.Reference] | None = None
    #: why the references could not be computed (raised, timed out, out of memory): the job's error
    reference_error: str | None = None

    @property
    def label(self) -> str:
        """The name its answers go by: the framework's in its default regime, else `framework[regime]`."""
        return self.framework if self.regime is None else regimes(self.framework).label(self.framework, self.regime)

    @property
    def finished(self) -> bool:
        """Whether it can be judged as it stands: it failed, or its result and its references are in."""
        if self.computed is None:
            return self.error is not None or self.unavailable is not None
        return self.references is not None or self.reference_error is not None


@dataclass
class GradientVerdict:
    """One gradient of one job: what the framework gave, what the math says, and the verdict."""

    status: Status
    cls: Class | None
    value: np.ndarray | None
    error: str | None
    representation: str | None
    verdict: Verdict = Verdict.PASS
    #: whether it matches the case's math (stated value or status, and the oracle); None: no reference
    matches_math: bool | None = None
    failures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    expected: np.ndarray | None = None
    expected_status: Expect = Expect.VALUE
    oracle: np.ndarray | None = None
    oracle_bound: np.ndarray | None = None
    zero_tolerance: np.ndarray | None = None
    expected_error: dict[str, float] | None = None
    oracle_error: dict[str, float] | None = None
    #: the framework's recorded convention here (applied, or stale)
    convention: Convention | None = None
    #: the known bug that covers its failure
    bug: Divergence | None = None
    #: why this gradient is not compared across frameworks (None: it is)
    not_comparable: str | None = None
    #: complex dtypes: the framework's own answer before its documented convention was mapped to the math's
    raw: np.ndarray | None = None
    complex_convention: ComplexConvention | None = None
    #: the term of the tolerance rule that decided, at the element nearest its allowance (None: no value judged)
    rule: Rule | None = None
    #: why the oracle abstains at some elements (NaN there): they are judged by the stated math alone
    oracle_abstains: tuple[Abstention, ...] = ()
    #: the tolerance rule's normwise term: the m n of the largest matrix a factorization takes (0: none)
    normwise_size: int = 0
    #: the quantity it computes where its job computes it more than once (`Reference.siblings`)
    siblings: str | None = None
    #: the case's gradient it computes by one composition of several (`Reference.of`)
    of: str | None = None


@dataclass
class JobVerdict:
    job: Job
    verdict: Verdict
    gradients: dict[str, GradientVerdict] = field(default_factory=dict)
    #: the job's own failures, beyond its gradients': a crash, a behaviour's outcome, an MLE's estimates
    failures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: the known bugs that apply to this job (whether or not they still happen)
    bugs: list[Divergence] = field(default_factory=list)
    estimates: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: its output under autodiff, judged (None: its kind computes none, or autodiff raised)
    primal: PrimalVerdict | None = None

    def all_failures(self) -> list[str]:
        """The job's failures, each failing gradient's and its primal's, for a one-line reason."""
        return (
            self.failures
            + [f"{name}: {f}" for name, g in self.gradients.items() for f in g.failures]
            + ([f"{PRIMAL}: {f}" for f in self.primal.failures] if self.primal else [])
        )


def references(case: Case, details: dict[str, Any] | None = None) -> dict[str, kinds.Reference]:
    """What each gradient should be, in NumPy (`details`: a job's own samples). The runner calls it in a worker
    of its own, under a timeout and a memory limit: the oracle is the dearest code and a case can make it raise."""
    return kinds.reference(case, details)


def uses_own_samples(computed: kinds.Computed) -> bool:
    """Whether the framework drew its own samples: then its references are computed from them, for it alone."""
    return computed.details.get("samples") is not None


def judge(jobs: list[Job], where: Mapping[str, str] | None = None) -> list[JobVerdict]:
    """Verdicts for all jobs, each against its case's references.

    The runner gives each job its references; for a job without them they are computed here, once per case.
    A case whose references cannot be computed, or whose judgement raises, is the error of its jobs, never
    the caller's: the message starts with `where[case id]` (its "file:line") when given.
    """
    shared: dict[str, Referenced] = {}
    verdicts = []
    for job in jobs:
        if job.computed is None:
            verdict = Verdict.UNAVAILABLE if job.unavailable else Verdict.ERROR
            verdicts.append(JobVerdict(job, verdict, failures=[job.unavailable or job.error or "no result"]))
            continue
        place = f"{where[job.case.id]}: " if where and job.case.id in where else ""
        refs, failure = job.references, job.reference_error
        if refs is None and failure is None:
            refs, failure = _references_here(job, job.computed, shared)
        if refs is None:
            verdicts.append(
                JobVerdict(job, Verdict.ERROR, failures=[f"{place}the reference (NumPy oracle) failed: {failure}"])
            )
            continue
        try:
            verdicts.append(judge_job(job, kinds.for_framework(refs, job.framework, job.versions, job.dtype)))
        except Exception as err:  # a check the case makes impossible: its error, not the run's
            verdicts.append(JobVerdict(job, Verdict.ERROR, failures=[f"{place}judging failed: {describe_error(err)}"]))
    return verdicts


def _references_here(job: Job, computed: kinds.Computed, shared: dict[str, Referenced]) -> Referenced:
    """References for a job given without them: (references, None) or (None, why not)."""
    own = uses_own_samples(computed)
    if not own and job.case.id in shared:
        return shared[job.case.id]
    try:
        result: Referenced = references(job.case, computed.details if own else None), None
    except Exception as err:
        result = None, describe_error(err)
    if not own:
        shared[job.case.id] = result
    return result


def judge_job(job: Job, refs: dict[str, kinds.Reference]) -> JobVerdict:
    assert job.computed is not None
    case, tol = job.case, job.case.tolerance_for(job.dtype)
    declared = kinds.declared_error(case, job.framework, job.versions)
    gradients = {
        name: judge_gradient(grad, refs.get(name, kinds.Reference()), tol, job.dtype, declared)
        for name, grad in job.computed.gradients.items()
    }
    result = JobVerdict(job, Verdict.PASS, gradients, primal=_primal(job, tol))
    checked = kinds.check(case, job.computed, job.framework, job.versions)
    result.failures.extend(checked.failures)
    result.estimates = checked.estimates
    _apply_bugs(
        result,
        matching_divergences(
            case, job.framework, job.versions, job.dtype, job.regime or regimes(job.framework).default
        ),
    )
    return result


def judge_gradient(
    grad: Gradient, ref: kinds.Reference, tol: Tolerance, dtype: str, declared: str | None = None
) -> GradientVerdict:
    """One gradient against its reference; `declared`: the error the job's declared outcome raises (a behaviour's
    "raises X"), which a gradient that raises it meets."""
    zero_tol = kinds.zero_tolerance(ref, dtype)
    res = GradientVerdict(
        Status(grad.status),
        None,
        grad.value,
        grad.error,
        grad.representation,
        expected=ref.expected,
        expected_status=ref.status,
        oracle=ref.oracle,
        oracle_bound=ref.oracle_bound,
        zero_tolerance=zero_tol,
        not_comparable=ref.not_comparable,
        raw=grad.raw,
        complex_convention=grad.convention,
        oracle_abstains=ref.oracle_abstains,
        normwise_size=ref.normwise_size,
        siblings=ref.siblings,
        of=ref.of,
    )
    if res.status == Status.VALUE:
        res.cls = classify(grad.value, zero_tol)
        if ref.expected is not None:
            res.expected_error = errors(grad.value, ref.expected)
        if ref.oracle is not None:
            res.oracle_error = errors(grad.value, ref.oracle)
    if res.status == Status.ERROR and declared is not None and declared in (grad.error or ""):
        res.matches_math = True
        res.notes.append(f"raises the error its declared outcome names ({declared!r})")
        return res
    judged: list[Judged] = []
    if ref.oracle is not None and res.status == Status.VALUE:
        blind = ~(np.isfinite(ref.oracle) & np.isfinite(ref.oracle_bound if ref.oracle_bound is not None else 0.0))
        if blind.any():
            res.notes.append(
                f"the oracle abstains at {int(blind.sum())} element(s): "
                f"{', '.join(ref.oracle_abstains) or 'non-finite differences'}"
            )
    misses = _misses(
        grad,
        ref.status,
        ref.expected,
        ref.oracle,
        ref.oracle_bound,
        tol,
        zero_tol,
        ref.normwise_size,
        ref.spread,
        dtype,
        judged,
    )
    res.rule = max(judged, key=lambda j: j.share).rule if judged else None
    res.matches_math = None if not ref.stated and res.status != Status.ERROR else not misses
    if ref.convention is None:
        res.failures = misses
        res.verdict = Verdict.PASS if not misses else _miss_verdict(res.status, ref.status)
        return res
    convention = res.convention = ref.convention.convention
    conv_tol = convention.tolerance.get(dtype, tol)  # type: ignore[call-overload]
    if convention.value is not None or convention.status is not None:
        status = convention.status or Expect.VALUE
        conv_misses = _misses(
            grad, status, ref.convention.value, None, None, conv_tol, zero_tol, ref.normwise_size, ref.spread, dtype, []
        )
    else:
        status = ref.status
        conv_misses = _misses(
            grad,
            ref.status,
            ref.expected,
            ref.oracle,
            ref.oracle_bound,
            conv_tol,
            zero_tol,
            ref.normwise_size,
            ref.spread,
            dtype,
            [],
        )
    if ref.stated and not misses:
        res.verdict = Verdict.STALE
        res.failures = [f"now matches the math: remove the recorded convention ({convention.link})"]
    elif not conv_misses:
        res.verdict = Verdict.CONVENTION
        res.notes.append(f"convention: {convention.why} ({convention.link})")
    else:
        res.verdict = _miss_verdict(res.status, status)
        res.failures = [*misses, *(f"nor its recorded convention: {m}" for m in conv_misses)]
    return res


def _miss_verdict(got: Status, expected: Expect) -> Verdict:
    """An unexpected error is `error`; any other miss is `fail`."""
    return Verdict.ERROR if got == Status.ERROR and expected != Expect.ERROR else Verdict.FAIL


def _misses(
    grad: Gradient,
    status: Expect,
    expected: np.ndarray | None,
    oracle: np.ndarray | None,
    bound: np.ndarray | None,
    tol: Tolerance,
    zero_tol: np.ndarray | None,
    normwise_size: int,
    spread: np.ndarray | None,
    dtype: str,
    judged: list[Judged],
) -> list[str]:
    """How `grad` misses a reference (empty when it matches): its status, its value, the oracle (where it does not
    abstain); each value judged under the tolerance rule (with its normwise term for `normwise_size`) is added to
    `judged`.

    `spread` widens both checks elementwise: k standard errors of a Monte Carlo mean (the expectation kind)."""
    got = f"{grad.status}" + (f" ({grad.error})" if grad.error else "")
    if status == Expect.ZERO:
        if grad.status == Status.DISCONNECTED:
            return []
        if (
            grad.status == Status.VALUE
            and grad.value is not None
            and _judged(
                judged,
                grad.value,
                np.zeros(np.shape(grad.value)),
                dtype,
                tol,
                zero_tol,
                {} if spread is None else {Rule.STATISTICAL: spread},
                normwise_size,
            )
        ):
            return []
        return [f"expected zero in any representation, got {short(grad.value) if grad.value is not None else got}"]
    if grad.status == status != Expect.VALUE or (
        status == Expect.DISCONNECTED and nothing_flowed(grad.status, grad.representation)
    ):
        return []
    if status != Expect.VALUE or grad.status != Status.VALUE:
        # with nothing stated, a disconnected gradient is not held against the default status
        unstated = status == Expect.VALUE and grad.status == Status.DISCONNECTED and expected is None and oracle is None
        return [] if unstated else [f"expected {status}, got {got}"]
    misses = []
    got_value = np.asarray(grad.value)  # a value: the status is VALUE here
    if expected is not None:
        if np.shape(got_value) != np.shape(expected):
            misses.append(f"shape {np.shape(got_value)}, expected {np.shape(expected)}")
        elif not _judged(
            judged,
            got_value,
            expected,
            dtype,
            tol,
            zero_tol,
            {} if spread is None else {Rule.STATISTICAL: spread},
            normwise_size,
        ):
            beyond = "" if spread is None else f", beyond the statistical allowance {short(spread, 3)}"
            misses.append(
                f"expected {short(expected)}, got {short(got_value)} "
                f"(max abs error {errors(got_value, expected)['max_abs']:.3g}{beyond})"
            )
    if oracle is not None and np.shape(got_value) == np.shape(oracle):
        usable = np.isfinite(oracle) & np.isfinite(bound if bound is not None else 0.0)  # elsewhere it abstains
        value = numeric(grad.value)
        floor = None if zero_tol is None else np.broadcast_to(zero_tol, value.shape)[usable]
        slack = {
            rule: np.broadcast_to(extra, value.shape)[usable]
            for rule, extra in ((Rule.ORACLE_BOUND, bound), (Rule.STATISTICAL, spread))
            if extra is not None
        }
        if not _judged(judged, value[usable], oracle[usable], dtype, tol, floor, slack, normwise_size):
            misses.append(
                f"oracle (finite differences) gives {short(oracle)}, got {short(grad.value)} "
                f"(max abs error {errors(value[usable], oracle[usable])['max_abs']:.3g})"
            )
    return misses


def _judged(
    judged: list[Judged],
    got: np.ndarray,
    want: np.ndarray,
    dtype: str,
    tol: Tolerance,
    zero_tol: np.ndarray | None,
    slack: dict[Rule, np.ndarray],
    normwise_size: int,
) -> bool:
    """Whether `got` matches `want` under the tolerance rule, the judgement kept in `judged`."""
    judged.append(assess(got, want, dtype, tol.rtol, tol.atol, zero_tol, slack, normwise_size))
    return judged[-1].ok


def _apply_bugs(result: JobVerdict, marks: list[Divergence]) -> None:
    """Known bugs turn the failures they cover into xfail; a mark that covers no failure is stale."""
    result.bugs = marks
    own = Verdict.FAIL if result.failures else Verdict.PASS
    stale = []
    for mark in marks:
        covered = False
        for name, g in result.gradients.items():
            if mark.covers(name, g.of) and (g.verdict in (Verdict.FAIL, Verdict.ERROR) or g.bug is not None):
                if g.bug is None:
                    g.verdict, g.bug = Verdict.XFAIL, mark
                    g.notes.append(f"known bug: {mark.issue}")
                covered = True
        primal = result.primal
        if primal is not None and mark.covers(PRIMAL) and (primal.verdict == Verdict.FAIL or primal.bug is not None):
            if primal.bug is None:
                primal.verdict, primal.bug = Verdict.XFAIL, mark
                primal.notes.append(f"known bug: {mark.issue}")
            covered = True
        if not mark.gradients and own in (Verdict.FAIL, Verdict.XFAIL):
            own, covered = Verdict.XFAIL, True
        if not covered:
            stale.append(mark)
    if own == Verdict.XFAIL:
        links = ", ".join(m.issue for m in marks if not m.gradients)
        result.notes.extend(f"known bug ({links}): {f}" for f in result.failures)
        result.failures = []
    for mark in stale:
        result.failures.append(f"the known bug no longer happens: remove its divergence mark ({mark.issue})")
        own = max(own, Verdict.STALE, key=lambda v: v.rank)
    worst = max(
        [g.verdict for g in result.gradients.values()] + ([result.primal.verdict] if result.primal else []),
        key=lambda v: v.rank,
        default=Verdict.PASS,
    )
    result.verdict = max(own, worst, key=lambda v: v.rank)


def matching_divergences(
    case: Case, framework: str, versions: dict[str, str], dtype: str, regime: Regime
) -> list[Divergence]:
    """The case's divergence marks for this framework whose version range holds the installed version, in this
    dtype and execution regime."""
    return [
        mark
        for mark in case.divergences
        if mark.framework == framework
        and kinds.version_matches(mark.versions, versions.get(framework))
        and (not mark.dtypes or dtype in mark.dtypes)
        and (not mark.regimes or regime in mark.regimes)
    ]


#: the primal's name where a divergence mark lists what it covers (`gradients: [primal]`; a mark that lists nothing
#: covers it too)
PRIMAL = "primal"
#: how far the output under autodiff may be from the direct call, relative, in eps of the job's dtype, by whether
#: the regime compiles (beside the rule's floor of a few ulps, and where the terms of f cancel, a few roundings of
#: them). Eager: both run the same kernels on the same inputs, so they agree to the last bits but where the
#: framework computes otherwise under autodiff (a kernel chosen for a tensor that requires grad, a custom rule's own
#: forward). Compiled: the compiler sees the forward pass inside the program of its products and may fuse it
#: otherwise than alone (a reduction split or reordered, a multiply-add contracted): a few roundings more
PRIMAL_DIRECT_EPS = {False: 0, True: ROUNDINGS}


@dataclass
class PrimalVerdict:
    """A job's output computed under autodiff (beside its vjp, jvp or hvp), judged against the framework's direct
    call of the same function and the oracle's f: a mismatch is a failure of its own kind (`PrimalMismatch`)."""

    value: np.ndarray
    direct: np.ndarray | None
    direct_error: str | None
    oracle: np.ndarray | None
    direct_gap: dict[str, float] | None = None
    oracle_error: dict[str, float] | None = None
    direct_rule: Rule | None = None
    oracle_rule: Rule | None = None
    verdict: Verdict = Verdict.PASS
    mismatches: list[PrimalMismatch] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: the known bug that covers its failure
    bug: Divergence | None = None


def _primal(job: Job, tol: Tolerance) -> PrimalVerdict | None:
    """The job's primal judged, its oracle evaluated here (one evaluation of f in NumPy, as loading the case does;
    its rounding scale only where needed); an oracle that raises abstains."""
    computed = job.computed
    assert computed is not None
    if computed.primal is None:
        return None
    note = None
    try:
        want = kinds.primal_reference(job.case, job.dtype, computed.details)
    except Exception as err:  # a singular matrix in NumPy: the oracle cannot judge, the direct call still does
        want, note = None, f"the oracle cannot evaluate f here: {describe_error(err)}"
    regime = job.regime or regimes(job.framework).default
    judged = judge_primal(
        computed.primal,
        want,
        job.dtype,
        tol,
        regime != Regime.EAGER,
        lambda: kinds.primal_rounding(job.case, job.dtype, computed.details),
    )
    judged.notes += [note] if note else []
    return judged


def judge_primal(
    primal: kinds.Primal,
    oracle: np.ndarray | None,
    dtype: str,
    tol: Tolerance,
    compiled: bool,
    rounding: Callable[[], np.ndarray | None] | None = None,
) -> PrimalVerdict:
    """The output under autodiff against the direct call (`PRIMAL_DIRECT_EPS`: the same expression in the same
    dtype) and against the oracle's f (the case's rtol; a stated atol is the gradients'), under the one tolerance
    rule with its derived floor; where that misses, `rounding()` (per element, how far f moves when its inputs
    round by one eps, a few times) gives the rounding floor of the terms that cancel. The ulps are the job's dtype's,
    or the output's where it is coarser. Either mismatch fails it."""
    got = np.asarray(primal.under_ad)
    res = PrimalVerdict(got, primal.direct, primal.direct_error, oracle)
    own = real_dtype(got.dtype.name) if got.dtype.kind in "fc" else dtype
    dtype = own if own in EPS and EPS[own] > eps(dtype) else dtype  # astype(x, 'float32'): its output's rounding
    floor: list[np.ndarray | None] = []  # computed once, where first needed

    def zero_floor() -> np.ndarray | None:
        if not floor:
            scale = rounding() if rounding is not None else None
            floor.append(None if scale is None else eps(dtype) * scale)
        return floor[0]

    if primal.direct_error is not None:
        res.mismatches.append(PrimalMismatch.DIRECT_RAISED)
        res.failures.append(
            f"the direct call (no autodiff) raised {primal.direct_error}; under autodiff the function gave {short(got)}"
        )
    elif primal.direct is not None:
        judged = _primal_against(
            res, got, primal.direct, dtype, PRIMAL_DIRECT_EPS[compiled] * eps(dtype), zero_floor, "the direct call"
        )
        if judged is not None:
            res.direct_gap, res.direct_rule = errors(got, primal.direct), judged.rule
        if judged is None or not judged.ok:
            res.mismatches.append(PrimalMismatch.DIRECT)
    if oracle is not None:
        judged = _primal_against(res, got, oracle, dtype, tol.rtol, zero_floor, "the oracle's f")
        if judged is not None:
            res.oracle_error, res.oracle_rule = errors(got, oracle), judged.rule
        if judged is None or not judged.ok:
            res.mismatches.append(PrimalMismatch.ORACLE)
    res.verdict = Verdict.FAIL if res.mismatches else Verdict.PASS
    return res


def _primal_against(
    res: PrimalVerdict,
    got: np.ndarray,
    want: np.ndarray,
    dtype: str,
    rtol: float,
    zero_floor: Callable[[], np.ndarray | None],
    what: str,
) -> Judged | None:
    """`got` against `want` under the rule with `rtol`, the derived floor and, where that misses, the zero floor; a
    miss said in `res.failures`. None where their shapes differ (a miss too)."""
    if np.shape(got) != np.shape(want):
        res.failures.append(f"under autodiff the function gave {np.shape(got)}, {what} {np.shape(want)}")
        return None
    with np.errstate(invalid="ignore"):  # rtol 0 times an infinite want: no allowance, as the rule says
        judged = assess(got, want, dtype, rtol, None)
        if not judged.ok and (floor := zero_floor()) is not None and np.shape(floor) == np.shape(want):
            judged = assess(got, want, dtype, rtol, None, floor)
    if not judged.ok:
        res.failures.append(
            f"under autodiff the function gave {short(got, 10)}, {what} {short(want, 10)} (max abs "
            f"gap {errors(got, want)['max_abs']:.3g}, {judged.share:.3g}x its allowance)"
        )
    return judged
