"""From judged trials to findings: what differs, whether the point is a kink, whether it is already known.

A finding is a gradient of one trial in one dtype where some frameworks (the odd ones) miss the math, as
`conformance run` judges it (or, with no reference, where they differ from the others). Three filters follow:

- **Kinks.** As in nablaFuzz, a few random neighbours within a small radius must have the same derivative as the
  point (by the oracle). Where they do not, the point is a kink or unstable, and a finding stays only if the odd
  answer is outside the admissible set: the box the neighbours' derivatives span (a NaN, an inf, an error where
  they are all finite; a value outside their range).
- **float32.** A float32 finding where no framework matches the math is float32's range or rounding, not a
  framework's (none of them could do better in that dtype): it stays only where float64 shows it too.
- **Undefined points.** Where the function's value is NaN or infinite somewhere, the math has no derivative there
  to judge by (and the oracle's differences of an infinite sum are NaN in every element): no finding.
- **Zero elsewise.** None or a symbolic zero where the oracle's derivative is zero is zero in another
  representation, which the library accepts wherever the math is zero.
- **Known.** A finding whose odd frameworks each have a recorded convention or known bug in the case library, on
  functions of the finding's expression and of a matching symptom, is counted as known, with that record's link.

Findings are deduplicated by their signature: the functions involved, the odd frameworks and the symptom.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from conformance import expr, oracle
from conformance.adapters import nothing_flowed
from conformance.fuzz.draw import Trial, output
from conformance.kinds import Case
from conformance.kinds.function import FunctionCase
from conformance.model import Convention, Tolerance
from conformance.tolerance import allowed, short
from conformance.verdicts import GradientVerdict, JobVerdict
from conformance.vocabulary import Class, Expect, Rule, Status, Symptom, Verdict

#: neighbours of a point checked by the kink filter, and their distance: relative to |x| (absolute below FLOOR),
#: beyond the oracle's own stencil (4 eps^(1/5) max(|x|, 1e-3) = 2.9e-3 |x|, 2.9e-6 at least), so that a neighbour
#: sees one side of a kink; those ten times nearer tell a kink from curvature, and a pole
NEIGHBOURS, RADIUS, FLOOR = 4, 1e-2, 1e-2
#: neighbours more at a kink, for the box they span: each of several ties has both sides among them
SIDES = 16
#: the oracle's bound at a smooth point, relative: far above its usual 1e-10, the point straddles a jump
TRUSTED = 1e-6
#: an answer this far (relative) outside the box of the neighbours' derivatives is still inside it
SMOOTH_RTOL = 0.05


#: what hand-written cases use to make a scalar or combine terms (`sum(cumulative_prod(x))`, `2 * f(x)`): a record
#: is about its other functions, where it has any
GLUE = frozenset({"sum", "add", "subtract", "multiply", "divide", "negative", "pow"})


@dataclass(frozen=True)
class Signature:
    """What makes two findings the same: the functions involved, the odd frameworks, the symptom."""

    functions: tuple[str, ...]
    odd: tuple[str, ...]
    symptom: Symptom

    def __str__(self) -> str:
        return f"{'+'.join(self.functions)}: {', '.join(self.odd)} {self.symptom.value}"


@dataclass(frozen=True)
class Recorded:
    """A convention or known bug of the case library: a framework's documented answer on some functions."""

    framework: str
    functions: frozenset[str]
    symptoms: frozenset[Symptom]
    why: str
    link: str
    case: str


@dataclass
class Finding:
    trial: Trial
    dtype: str
    gradient: str
    odd: tuple[str, ...]  # the frameworks (with their regime) that miss the math
    symptom: Symptom
    #: each framework's answer, in words, and the oracle's
    answers: dict[str, str] = field(default_factory=dict)
    oracle: str = ""
    kink: bool = False  # the point is a kink (or unstable) and the odd answer is outside the admissible set
    known: Recorded | None = None
    #: the framework behind each label (`jax[eager]` is jax's), whose conventions explain it; a label not here is
    #: a framework's name in its default regime
    frameworks: dict[str, str] = field(default_factory=dict)

    @property
    def signature(self) -> Signature:
        functions = tuple(
            sorted(expr.parse(self.trial.function, set(self.trial.inputs) | set(self.trial.data)).calls())
        )
        return Signature(functions, self.odd, self.symptom)


def detect(trial: Trial, verdicts: list[JobVerdict]) -> list[Finding]:
    """The findings of one trial's judged jobs (all its frameworks and dtypes), before the filters: per dtype and
    gradient, one per symptom of the frameworks that miss the math."""
    found = []
    for dtype in dict.fromkeys(v.job.dtype for v in verdicts):
        jobs = [v for v in verdicts if v.job.dtype == dtype and v.gradients]
        for name in dict.fromkeys(n for v in jobs for n in v.gradients):
            answers = {v.job.label: v.gradients[name] for v in jobs if name in v.gradients}
            odd = tuple(label for label, g in answers.items() if g.verdict in (Verdict.FAIL, Verdict.ERROR))
            if not odd and all(g.matches_math is None for g in answers.values()):
                odd = _minority(answers)
            reference = next(iter(answers.values()), None)
            for kind in dict.fromkeys(symptom(answers[label]) for label in odd):
                found.append(
                    Finding(
                        trial,
                        dtype,
                        name,
                        tuple(o for o in odd if symptom(answers[o]) == kind),
                        kind,
                        {label: describe(g) for label, g in answers.items()},
                        "" if reference is None or reference.oracle is None else short(reference.oracle),
                        frameworks={v.job.label: v.job.framework for v in jobs},
                    )
                )
    return found


def symptom(answer: GradientVerdict) -> Symptom:
    if answer.status == Status.ERROR:
        return Symptom.ERROR
    if nothing_flowed(answer.status, answer.representation):
        return Symptom.NONE
    return {Class.NAN: Symptom.NAN, Class.INF: Symptom.INF}.get(answer.cls or Class.FINITE, Symptom.VALUE)


def describe(answer: GradientVerdict) -> str:
    if answer.status == Status.VALUE and answer.value is not None:
        return short(answer.value)
    return answer.error or f"{answer.status.value} ({answer.representation})"


def _minority(answers: dict[str, GradientVerdict]) -> tuple[str, ...]:
    """With no reference: those outside the unique largest group of equal answers (nobody if there is none)."""
    groups: dict[str, list[str]] = {}
    for label, g in answers.items():
        groups.setdefault(describe(g) if g.status != Status.VALUE else f"{symptom(g)}", []).append(label)
    if len(groups) < 2:
        return ()
    sizes = sorted(map(len, groups.values()), reverse=True)
    if sizes[0] == sizes[1]:
        return ()
    largest = max(groups.values(), key=len)
    return tuple(label for label in answers if label not in largest)


def filtered(findings: list[Finding], verdicts: list[JobVerdict]) -> list[Finding]:
    """The findings that pass the filters (module docstring)."""
    in_float64 = {(f.gradient, f.symptom, o) for f in findings if f.dtype == "float64" for o in f.odd}
    matched = {(v.job.dtype, n) for v in verdicts for n, g in v.gradients.items() if g.verdict == Verdict.PASS}
    kept = [
        f
        for f in findings
        if (
            f.dtype != "float32"
            or (f.dtype, f.gradient) in matched
            or any((f.gradient, f.symptom, o) in in_float64 for o in f.odd)
        )
        and not _zero_elsewise(f, verdicts)
        and not _undefined(f.trial)
    ]
    answers = {(v.job.label, v.job.dtype, n): g for v in verdicts for n, g in v.gradients.items()}
    out = []
    for f in kept:
        try:
            box = admissible(f.trial, f.gradient)
        except (np.linalg.LinAlgError, ValueError):  # the oracle cannot say it is a kink: the finding stands
            box = None
        if box is None:
            out.append(f)
            continue
        tol = next(v.job.case.tolerance_for(f.dtype) for v in verdicts if v.job.dtype == f.dtype)
        outside = tuple(
            label for label in f.odd if not inside(answers[(label, f.dtype, f.gradient)], *box, f.dtype, tol)
        )
        if outside:  # at a kink only an answer outside the admissible set is odd
            f.odd, f.symptom, f.kink = outside, symptom(answers[(outside[0], f.dtype, f.gradient)]), True
            out.append(f)
    return out


def _undefined(trial: Trial) -> bool:
    """Whether the function is undefined or infinite somewhere at the point (NaN outside its domain, inf at a pole
    or by overflow): the oracle's differences of a sum with an infinite term are NaN in every element, and the math
    has no derivative there to judge by."""
    with np.errstate(all="ignore"):
        return not bool(np.all(np.isfinite(output(trial))))


def _zero_elsewise(finding: Finding, verdicts: list[JobVerdict]) -> bool:
    """A disconnected gradient (None, a symbolic zero) where the oracle's is zero: zero in another representation,
    which the library accepts wherever the math is zero (a step function, copysign in its sign argument)."""
    if finding.symptom != Symptom.NONE:
        return False
    oracle_ = next(
        (
            v.gradients[finding.gradient]
            for v in verdicts
            if v.job.dtype == finding.dtype and finding.gradient in v.gradients
        ),
        None,
    )
    if oracle_ is None or oracle_.oracle is None:
        return False
    bound = oracle_.oracle_bound if oracle_.oracle_bound is not None else 0.0
    return bool(np.all(np.abs(oracle_.oracle) <= bound))


def admissible(trial: Trial, gradient: str) -> tuple[np.ndarray, np.ndarray] | None:
    """None where the point is smooth; at a kink, the box its neighbours' derivatives span, elementwise.

    Smooth: along random directions u, the derivative's first and second differences g(x + tu) - g(x - tu) and
    g(x + tu) + g(x - tu) - 2 g(x) shrink with t as a smooth derivative's do (ten times nearer: the first at least
    halved, the second at least twenty times smaller), or stay within the oracle's noise. A jump of the derivative
    (abs at 0) keeps the first; a kink of the derivative (relu(x)^2 at 0, where finite differences lose their
    accuracy and the oracle its bound) keeps the second at a tenth. The point's own estimate straddles a kink, so
    the box leaves it out. Where the derivative grows without bound towards the point (a pole: ten times nearer,
    five times larger, the same sign), the box reaches that sign's infinity."""
    if gradient not in trial.inputs:
        return None
    rng = np.random.default_rng(0)
    here, bound = _oracle(trial, trial.inputs)[gradient]
    directions = [
        {
            k: rng.choice([-1.0, 1.0], np.shape(v)) * rng.uniform(0.5, 1.0, np.shape(v)) * np.maximum(np.abs(v), FLOOR)
            for k, v in trial.inputs.items()
        }
        for _ in range(NEIGHBOURS // 2)
    ]

    def at(radius: float, sign: float, direction: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        return _oracle(trial, {k: v + sign * radius * direction[k] for k, v in trial.inputs.items()})[gradient]

    def differences(radius: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        pairs = [(at(radius, 1.0, u), at(radius, -1.0, u)) for u in directions]
        values = np.stack([g for pair in pairs for g, _ in pair])
        first = np.max([np.abs(a - b) for (a, _), (b, _) in pairs], axis=0)
        second = np.max([np.abs(a + b - 2 * here) for (a, _), (b, _) in pairs], axis=0)
        return values, first, second, np.max([b for pair in pairs for _, b in pair], axis=0)

    with np.errstate(invalid="ignore", over="ignore"):
        near, first, second, near_bound = differences(RADIUS)
        nearer, first_in, second_in, _ = differences(RADIUS / 10)  # their bounds straddle what the near ones see
        noise = 10 * near_bound + 1e-12 * np.max(np.abs(near), axis=0)
        steady = np.all(bound <= TRUSTED * np.abs(here) + noise)  # the point's own estimate holds
        finite = np.all(np.isfinite(near)) and np.all(np.isfinite(nearer))
        shrinking = np.all(
            ((first_in <= 0.5 * first) & (second_in <= 0.05 * second)) | ((first_in <= noise) & (second_in <= noise))
        )
        if steady and finite and shrinking:
            return None
        sides = np.concatenate(
            [near, np.stack([_oracle(trial, _moved(trial, rng))[gradient][0] for _ in range(SIDES)])]
        )
        low, high = np.nanmin(sides, axis=0), np.nanmax(sides, axis=0)
        growing = np.min(np.abs(nearer), axis=0) >= 5 * np.max(np.abs(near), axis=0)
    low = np.where(growing & (high < 0), -np.inf, low)
    return low, np.where(growing & (low > 0), np.inf, high)


def _moved(trial: Trial, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """A neighbour at RADIUS, each element moved by its own random sign and size."""
    return {
        k: v
        + RADIUS
        * np.maximum(np.abs(v), FLOOR)
        * rng.choice([-1.0, 1.0], np.shape(v))
        * rng.uniform(0.5, 1.0, np.shape(v))
        for k, v in trial.inputs.items()
    }


def inside(answer: GradientVerdict, low: np.ndarray, high: np.ndarray, dtype: str, tol: Tolerance) -> bool:
    """Whether an answer is in the admissible box (a disconnected gradient is zero; an error never is): within the
    one tolerance rule (conformance/tolerance.py) of it in the answer's dtype, each edge's allowance widened by the
    box's own uncertainty, SMOOTH_RTOL of its largest finite edge (the box is the oracle's, at a few neighbours)."""
    if answer.status == Status.ERROR:
        return False
    if answer.status == Status.VALUE and answer.value is None:
        return False
    value = np.zeros(np.shape(low)) if answer.status == Status.DISCONNECTED else np.real(np.asarray(answer.value))
    if np.shape(value) != np.shape(low):
        return False
    finite = np.where(np.isfinite(low), np.abs(low), 0.0), np.where(np.isfinite(high), np.abs(high), 0.0)
    slack = {Rule.ORACLE_BOUND: SMOOTH_RTOL * np.maximum(*finite)}

    def allowance(edge: np.ndarray) -> np.ndarray:  # 0 at an infinite edge, which only that infinity reaches
        return allowed(edge, dtype, tol.rtol, tol.atol, answer.zero_tolerance, slack, answer.normwise_size)

    with np.errstate(invalid="ignore"):
        return bool(np.all((value >= low - allowance(low)) & (value <= high + allowance(high))))


def _oracle(trial: Trial, at: dict[str, np.ndarray]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The gradient of Re(sum(conj(v) f)) by the oracle's finite differences, at `at`, with its error bound."""
    data = {n: np.asarray(v["value"], dtype=v["dtype"]) for n, v in trial.data.items()}
    expression = expr.parse(trial.function, set(at) | set(data))
    cotangent = np.conj(np.asarray(trial.cotangent))
    with np.errstate(all="ignore"):  # a NaN or an inf says what happened
        return oracle.finite_differences(
            lambda env: np.real(cotangent * oracle.evaluate(expression, {**env, **data})), at
        )


def recorded(cases: Iterable[Case]) -> list[Recorded]:
    """Every convention and known bug of the function cases in `cases`, with the functions they concern."""
    out = []
    for case in cases:
        if not isinstance(case, FunctionCase):
            continue
        try:
            called = expr.parse(case.function, set(case.inputs)).calls()
        except expr.ExprError:
            continue
        functions = called - GLUE or called
        for expectation in case.expected.values():
            for framework, conventions in expectation.conventions.items():
                for c in conventions if isinstance(conventions, list) else [conventions]:
                    out.append(Recorded(framework, functions, _symptoms(c), c.why, c.link, case.id))
        out.extend(
            Recorded(d.framework, functions, frozenset(Symptom), d.why, d.issue, case.id) for d in case.divergences
        )
    return out


def _symptoms(convention: Convention) -> frozenset[Symptom]:
    """The symptoms a convention explains: its status, or a value (of any class)."""
    if convention.status == Expect.ERROR:
        return frozenset({Symptom.ERROR})
    if convention.status in (Expect.DISCONNECTED, Expect.ZERO):
        return frozenset({Symptom.NONE, Symptom.VALUE, Symptom.CLASS})
    return frozenset({Symptom.VALUE, Symptom.NAN, Symptom.INF, Symptom.CLASS})


def classify(finding: Finding, library: list[Recorded]) -> Recorded | None:
    """The library's record that explains the finding (for each odd framework one), or None: a new finding."""
    signature = finding.signature
    functions = set(signature.functions)
    found = None
    for label in finding.odd:
        framework = finding.frameworks.get(label, label)
        match = next(
            (
                r
                for r in library
                if r.framework == framework and r.functions <= functions and finding.symptom in r.symptoms
            ),
            None,
        )
        if match is None:
            return None
        found = found or match
    return found
