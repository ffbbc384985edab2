"""The report: one typed model (pydantic), written atomically as strict JSON and read back through it.

`conformance schema --report` prints its JSON Schema. Non-finite numbers are
the strings "nan", "inf" and "-inf", so the file is strict JSON. Version 2
carries the judgement model: per gradient a verdict against the math, its
convention or known bug, and an `agreement` section across frameworks. A job
and an answer record their execution regime and their label (the framework in
that regime, `torch[compiled]`, or its bare name in its default regime); a
report written before regimes has neither, and reads as each framework's
default.

A report is read as strictly as a case file, since it may come from anywhere (a CI artifact, a shard): a regular
file of at most MAX_BYTES, case ids, framework names and labels by the case files' patterns, links http(s), and
every job and agreement of a case and a framework the report lists, each once.
"""

from __future__ import annotations

import json
import math
import os
import platform
import sys
import tempfile
from collections import Counter
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator
from typing_extensions import TypeAliasType

from conformance.adapters import ComplexConvention, regimes
from conformance.agreement import GradientAgreement, agreement, consistency
from conformance.loader import LoadedCase, LoadError, Unreadable, read_bytes, source_name
from conformance.model import CaseId, Convention, Divergence, Dtype, Framework, Label, Link, Tolerance
from conformance.verdicts import PRIMAL, GradientVerdict, JobVerdict, PrimalVerdict
from conformance.vocabulary import (
    Abstention,
    Agreement,
    Class,
    Difference,
    Expect,
    PrimalMismatch,
    Regime,
    Rule,
    Status,
    Verdict,
)

FORMAT, VERSION = "gradient-conformance-report", 3
#: the largest report read: the whole library's (about 5,600 jobs) is about 24 MB; reading takes about 7 bytes of
#: memory per byte of file, so 256 MiB is about 2 GB
MAX_BYTES = 256 << 20

Number = float | Literal["nan", "inf", "-inf"]
Array = TypeAliasType("Array", "Number | list[Array]")


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Labelled(Record):
    """A framework's job or answer in a regime. Reports written before regimes have neither field: the framework's
    default regime, and its name as label."""

    framework: Framework
    regime: Regime | None = Field(
        None, description="the execution regime it ran in (null: an older report's, the framework's default)"
    )
    label: Label = Field("", description="the framework in its regime: `torch` in its default, else `torch[compiled]`")

    @model_validator(mode="after")
    def _named(self) -> Labelled:
        if not self.label:
            self.label = self.framework
        if self.label not in (self.framework, f"{self.framework}[{self.regime}]"):
            raise ValueError(f"label {self.label!r} is not {self.framework} in regime {self.regime}")
        return self


class ComplexArray(Record):
    """A complex value (complex64, complex128 jobs): its real and imaginary parts, arrays of the same shape."""

    re: Array
    im: Array


#: a gradient's value: real, or complex as its two parts
Value = Array | ComplexArray


class ErrorSize(Record):
    max_abs: Number
    max_rel: Number


class Explanation(Record):
    """A recorded convention or known bug: the framework's reason and its public link."""

    why: str
    link: Link


class GradientRecord(Record):
    status: Status
    cls: Class | None = Field(alias="class")
    representation: str | None = Field(description="how the framework spelled it: None, symbolic zero, ...")
    value: Value | None
    error: str | None
    verdict: Verdict
    matches_math: bool | None = Field(
        description="matches the stated value or status and the oracle; null: nothing to judge it by"
    )
    failures: list[str]
    notes: list[str]
    expected: Value | None
    expected_status: Expect
    oracle: Value | None
    oracle_bound: Array | None
    zero_tolerance: Array | None
    expected_error: ErrorSize | None
    oracle_error: ErrorSize | None
    convention: Explanation | None
    bug: Explanation | None
    not_comparable: str | None
    raw: Value | None = Field(
        None,
        description="complex dtypes: the framework's own answer, before its documented "
        "convention (complex_convention) was mapped to the math's (value)",
    )
    complex_convention: Explanation | None = Field(
        None, description="complex dtypes: what the framework's reverse mode returns, as it documents it"
    )
    rule: Rule | None = Field(
        None,
        description="the term of the tolerance rule that decided, at the element nearest "
        "its allowance; null: no value judged (or a report from before it)",
    )
    oracle_abstains: list[Abstention] = Field(
        default_factory=list,
        description="why the oracle cannot judge some elements (its estimate and bound are "
        "NaN there, and they are judged by the stated math alone); empty: it "
        "judges every element, or it is off",
    )
    normwise_size: int = Field(
        0,
        ge=0,
        description="the m n of the largest matrix a factorization accurate "
        "normwise only takes (qr, svd, eigh, LU, cholesky): the "
        "tolerance rule allows each element ROUNDINGS m n eps of the "
        "largest; 0: judged elementwise",
    )


class EstimateRecord(Record):
    value: Array
    expected: Array
    max_abs: Number
    max_rel: Number
    tolerance: Number | None = Field(
        None, description="the largest max_abs that passes: stated, or derived from the optimizer's stopping rule"
    )


class PrimalRecord(Record):
    """The job's output computed under autodiff (beside its vjp, jvp or hvp), judged against the framework's direct
    call (no autodiff, the job's regime) and the oracle's f: a mismatch fails the job, a failure of its own kind."""

    value: Value = Field(description="f as the framework computed it under autodiff")
    direct: Value | None = Field(
        description="f from the framework's direct call, no autodiff, in the job's regime (null: it raised)"
    )
    direct_error: str | None = Field(description="the direct call's error, where it raised")
    oracle: Value | None = Field(
        description="the oracle's f: NumPy float64 at the inputs as the job's dtype rounds "
        "them (null: the kind has none, or it could not evaluate f)"
    )
    direct_gap: ErrorSize | None = Field(description="value against direct")
    oracle_error: ErrorSize | None = Field(description="value against oracle")
    direct_rule: Rule | None = Field(description="the term of the tolerance rule that decided against direct")
    oracle_rule: Rule | None = Field(description="the term of the tolerance rule that decided against the oracle")
    verdict: Verdict
    mismatches: list[PrimalMismatch] = Field(description="what it missed: the direct call, its raising, the oracle")
    failures: list[str]
    notes: list[str]
    bug: Explanation | None = Field(description="the known bug that covers its failure")


class ConsistencyRecord(Record):
    """Within one job, the gradients that compute one quantity by different compositions of modes."""

    quantity: str
    result: Agreement
    difference: Difference | None
    groups: list[list[str]] = Field(description="gradient names with the same answer, one list per answer")
    odd: list[str] = Field(description="the gradients that differ: those that miss the math, else the minority")


class JobRecord(Labelled):
    case: CaseId
    dtype: Dtype
    verdict: Verdict
    failures: list[str]
    notes: list[str]
    bugs: list[Explanation]
    seconds: float
    tolerance: Tolerance
    gradients: dict[str, GradientRecord]
    estimates: dict[str, EstimateRecord]
    details: dict[str, Any]
    primal: PrimalRecord | None = Field(
        None,
        description="its output under autodiff, judged (null: its kind computes "
        "none, autodiff raised, or a report from before it)",
    )
    consistency: list[ConsistencyRecord] = Field(
        default_factory=list,
        description="its sibling gradients (one quantity by different compositions of modes) "
        "against each other (older reports: none)",
    )

    def all_failures(self) -> list[str]:
        """The job's failures, each failing gradient's and its primal's, as in `JobVerdict.all_failures`."""
        return (
            self.failures
            + [f"{name}: {f}" for name, g in self.gradients.items() for f in g.failures]
            + ([f"{PRIMAL}: {f}" for f in self.primal.failures] if self.primal else [])
        )


class AnswerRecord(Labelled):
    status: Status
    cls: Class | None = Field(alias="class")
    representation: str | None
    value: Value | None
    error: str | None
    verdict: Verdict
    matches_math: bool | None
    why: str | None = Field(description="the recorded convention's or known bug's reason")
    link: Link | None


class AgreementRecord(Record):
    case: CaseId
    dtype: Dtype
    gradient: str
    result: Agreement
    difference: Difference | None
    answers: list[AnswerRecord]
    groups: list[list[Label]] = Field(
        description="labels (frameworks in regimes) with the same answer, one list per answer"
    )
    odd: list[Label] = Field(description="labels that miss the math (or, where all match it, the minority)")
    reason: str | None = Field(description="why the values are not compared")


class FrameworkInfo(Record):
    available: bool
    versions: dict[str, str]
    reason: str | None
    regime: str | None = Field(None, description="its default execution regime (older reports: eager or jit)")
    regimes: dict[Regime, str] = Field(
        {},
        description="the regimes its jobs ran in, each as the framework spells "
        "it (eager, torch.compile, tf.function, jax.jit)",
    )


class Environment(Record):
    python: str
    platform: str
    executable: str = Field(description="the Python executable's file name (no folder: no path of the machine)")
    packages: dict[str, str | None]
    frameworks: dict[Framework, FrameworkInfo] = Field(description="each framework the run asked for")


class LoadErrorRecord(Record):
    file: str
    line: int
    message: str


class CaseRecord(Record):
    title: str
    kind: str
    why: str
    file: str = Field(description="its case file from the library's cases/ folder on (loader.source_name)")
    line: int
    tags: list[str]


class Shard(Record):
    index: int
    count: int


class Plan(Record):
    """What a run asked for beyond its cases and frameworks, so that shards of different runs are not merged."""

    dtypes: list[Dtype] | None = Field(description="--dtype, sorted (null: each case's own dtypes)")
    regimes: list[Regime] | None = Field(description="--regime, sorted (null: each framework's default)")


class Partial(Record):
    """A run stopped early (SIGINT, SIGTERM): its report holds only the jobs that finished."""

    reason: str = Field(description="why the run stopped, e.g. 'interrupted by SIGTERM'")
    finished: int = Field(description="jobs that finished, all of them in this report")
    planned: int = Field(description="jobs the run was asked to do")


def _moment(text: str) -> str:
    """An ISO 8601 date and time with its UTC offset, as `build` writes it, so that two reports' times compare."""
    try:
        offset = datetime.fromisoformat(text).utcoffset()
    except ValueError:
        raise ValueError("not an ISO 8601 date and time") from None
    if offset is None:
        raise ValueError("an ISO 8601 date and time without its UTC offset")
    return text


Moment = Annotated[str, AfterValidator(_moment), Field(json_schema_extra={"format": "date-time"})]


class Report(Record):
    format: Literal["gradient-conformance-report"] = "gradient-conformance-report"
    version: Literal[3] = 3  # VERSION
    created: Moment
    environment: Environment
    load_errors: list[LoadErrorRecord]
    cases: dict[CaseId, CaseRecord]
    jobs: list[JobRecord]
    summary: dict[Label, dict[Verdict, int]] = Field(
        description="per label (a framework in a regime): jobs per verdict"
    )
    agreement: list[AgreementRecord]
    shard: Shard | None = None
    plan: Plan | None = Field(None, description="what the run asked for (null: a report from before plans)")
    partial: Partial | None = Field(None, description="set when the run was interrupted: not every job is here")

    @model_validator(mode="after")
    def _consistent(self) -> Report:
        """Each job and agreement of a case and a framework the report lists, each once, and the summary their
        count: what merge, compare and the docs index by."""
        cases = {j.case for j in self.jobs} | {a.case for a in self.agreement}
        frameworks = {j.framework for j in self.jobs} | {x.framework for a in self.agreement for x in a.answers}
        stray = [f"case {case}, not in cases" for case in sorted(cases - self.cases.keys())] + [
            f"framework {fw}, not in environment.frameworks"
            for fw in sorted(frameworks - self.environment.frameworks.keys())
        ]
        if stray:
            raise ValueError(f"a job or an agreement of {stray[0]}")
        twice = _twice(
            [f"job {j.case}[{j.label}-{j.dtype}]" for j in self.jobs]
            + [f"agreement {a.case}[{a.dtype}] {a.gradient}" for a in self.agreement]
        )
        if twice:
            raise ValueError(f"{twice} is in the report twice")
        if self.summary != summarize([j.label for j in self.jobs], [j.verdict for j in self.jobs]):
            raise ValueError("the summary does not count the jobs")
        return self

    def totals(self) -> Counter[Verdict]:
        return sum((Counter(counts) for counts in self.summary.values()), Counter())

    def failed(self) -> bool:
        return any(job.verdict.failing for job in self.jobs)

    def differences(self) -> list[AgreementRecord]:
        return [a for a in self.agreement if a.result in (Agreement.DIFFER, Agreement.DIFFER_NO_REFERENCE)]


def _twice(keys: list[str]) -> str | None:
    return next((key for key, count in Counter(keys).items() if count > 1), None)


def build(
    verdicts: list[JobVerdict],
    cases: list[LoadedCase],
    load_errors: list[LoadError],
    frameworks: list[str],
    dtypes: list[str] | None = None,
    regimes: list[Regime] | None = None,
) -> Report:
    """The report of a run that asked for `frameworks`, `dtypes` and `regimes` (None: the defaults)."""
    return Report(
        created=datetime.now(UTC).isoformat(timespec="seconds"),
        environment=_environment(verdicts, frameworks),
        load_errors=[LoadErrorRecord(file=source_name(e.file), line=e.line, message=e.message) for e in load_errors],
        cases={
            c.case.id: CaseRecord(
                title=c.case.title,
                kind=c.case.kind,
                why=c.case.why,
                file=source_name(c.file),
                line=c.line,
                tags=list(c.case.tags),
            )
            for c in cases
        },
        jobs=[_job(v) for v in verdicts],
        summary=summarize([v.job.label for v in verdicts], [v.verdict for v in verdicts]),
        agreement=[_agreement(a) for a in agreement(verdicts)],
        plan=Plan(dtypes=sorted(set(dtypes)) if dtypes else None, regimes=sorted(set(regimes)) if regimes else None),
    )


def summarize(labels: list[str], verdicts: list[Verdict]) -> dict[str, dict[Verdict, int]]:
    """Jobs per verdict, per label, in the order the labels first come."""
    counts: dict[str, Counter[Verdict]] = {}
    for label, verdict in zip(labels, verdicts, strict=True):
        counts.setdefault(label, Counter())[verdict] += 1
    return {label: dict(c) for label, c in counts.items()}


def write(report: Report, path: str | Path) -> None:
    """Write atomically: a reader sees the old file or the new one, never half of one."""
    write_text(json.dumps(report.model_dump(mode="json", by_alias=True), indent=1, allow_nan=False) + "\n", path)


def write_text(text: str, path: str | Path) -> None:
    """Write `text` atomically (a temporary file renamed over `path`), with the mode a plain open() would give:
    0666 less the umask (mkstemp's 0600 would hide a CI artifact from the other users who read it)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def read(path: str | Path) -> Report:
    """Load a report, refusing with a ValueError naming the file anything that is not a valid one (not a regular
    file, larger than MAX_BYTES, not UTF-8, not strict JSON, truncated, nested too deep, missing keys, wrong types,
    inconsistent) and with an OSError one it cannot read."""
    try:
        text = read_bytes(path, MAX_BYTES, "report").decode("utf-8")
    except Unreadable as err:
        raise ValueError(f"{path}: {err}") from None
    except UnicodeDecodeError as err:
        raise ValueError(f"{path}: not a gradient conformance report (not UTF-8: {err})") from None
    try:
        data = json.loads(text, parse_constant=_no_constant, parse_float=_finite)
    except (ValueError, RecursionError) as err:
        raise ValueError(f"{path}: not a gradient conformance report (not JSON: {err})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValueError(f"{path}: not a gradient conformance report")
    if data.get("version") != VERSION:
        raise ValueError(
            f"{path}: report format version {data.get('version')!r}; "
            f"this conformance reads version {VERSION}: re-run the suite to regenerate it"
        )
    try:
        return Report.model_validate(data)
    except (ValidationError, RecursionError) as err:
        first = err.errors()[0] if isinstance(err, ValidationError) else {"loc": (), "msg": str(err)}
        where = ".".join(str(p) for p in first["loc"])
        raise ValueError(f"{path}: not a valid report: {where + ': ' if where else ''}{first['msg']}") from None


def _no_constant(name: str) -> Any:
    """NaN and Infinity are not JSON; the report writes them as strings."""
    raise ValueError(f"{name} is not strict JSON")


def _finite(text: str) -> float:
    """A number too large for a float (1e999) would read as inf, which the report writes as a string."""
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} does not fit in a float")
    return value


def _umask() -> int:
    """The process's umask: read from /proc where it can be, else set and restored (which a thread could race)."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            return next(int(line.split()[1], 8) for line in f if line.startswith("Umask:"))
    except (OSError, StopIteration, ValueError, IndexError):
        mask = os.umask(0o22)
        os.umask(mask)
        return mask


def schema() -> dict[str, Any]:
    out = Report.model_json_schema(by_alias=True)
    out["title"] = "gradient conformance report"
    return out


def _environment(verdicts: list[JobVerdict], frameworks: list[str]) -> Environment:
    info: dict[str, FrameworkInfo] = {}
    for fw in frameworks:
        jobs = [v.job for v in verdicts if v.job.framework == fw]
        versions = next((j.versions for j in jobs if j.versions), {})
        reason = next((j.unavailable for j in jobs if j.unavailable), None)
        declared = regimes(fw)
        ran = dict.fromkeys(j.regime or declared.default for j in jobs if not j.unavailable)
        info[fw] = FrameworkInfo(
            available=reason is None and bool(versions),
            versions=versions,
            reason=reason if reason or versions else "no jobs ran",
            regime=declared.default,
            regimes={r: declared.spelled[r] for r in ran},
        )
    return Environment(
        python=platform.python_version(),
        platform=platform.platform(),
        executable=Path(sys.executable).name,
        packages={name: _version(name) for name in ("gradient-conformance", "numpy", "scipy")},
        frameworks=info,
    )


def _explain(record: Convention | Divergence | ComplexConvention | None) -> Explanation | None:
    if isinstance(record, Convention | ComplexConvention):
        return Explanation(why=record.why, link=record.link)
    if isinstance(record, Divergence):
        return Explanation(why=record.why, link=record.issue)
    return None


def _explained(record: Convention | Divergence | None) -> dict[str, str | None]:
    explanation = _explain(record)
    return {"why": explanation.why, "link": explanation.link} if explanation else {"why": None, "link": None}


def _gradient(g: GradientVerdict) -> GradientRecord:
    return GradientRecord(
        status=g.status,
        cls=g.cls,
        representation=g.representation,
        value=plain(g.value),
        error=g.error,
        verdict=g.verdict,
        matches_math=g.matches_math,
        failures=g.failures,
        notes=g.notes,
        expected=plain(g.expected),
        expected_status=g.expected_status,
        oracle=plain(g.oracle),
        oracle_bound=plain(g.oracle_bound),
        zero_tolerance=plain(g.zero_tolerance),
        expected_error=plain(g.expected_error),
        oracle_error=plain(g.oracle_error),
        convention=_explain(g.convention),
        bug=_explain(g.bug),
        not_comparable=g.not_comparable,
        raw=plain(g.raw),
        complex_convention=_explain(g.complex_convention),
        rule=g.rule,
        oracle_abstains=list(g.oracle_abstains),
        normwise_size=g.normwise_size,
    )


def _job(v: JobVerdict) -> JobRecord:
    details = v.job.computed.details if v.job.computed else {}
    return JobRecord(
        case=v.job.case.id,
        framework=v.job.framework,
        regime=v.job.regime or regimes(v.job.framework).default,
        label=v.job.label,
        dtype=v.job.dtype,
        verdict=v.verdict,
        failures=v.failures,
        notes=v.notes,
        bugs=[Explanation(why=m.why, link=m.issue) for m in v.bugs],
        seconds=round(v.job.seconds, 4),
        tolerance=v.job.case.tolerance_for(v.job.dtype),
        gradients={name: _gradient(g) for name, g in v.gradients.items()},
        estimates=plain(v.estimates),
        details=plain({k: val for k, val in details.items() if k != "samples"}),
        primal=_primal(v.primal),
        consistency=[
            ConsistencyRecord(quantity=c.quantity, result=c.result, difference=c.difference, groups=c.groups, odd=c.odd)
            for c in consistency(v)
        ],
    )


def _primal(p: PrimalVerdict | None) -> PrimalRecord | None:
    if p is None:
        return None
    return PrimalRecord(
        value=plain(p.value),
        direct=plain(p.direct),
        direct_error=p.direct_error,
        oracle=plain(p.oracle),
        direct_gap=plain(p.direct_gap),
        oracle_error=plain(p.oracle_error),
        direct_rule=p.direct_rule,
        oracle_rule=p.oracle_rule,
        verdict=p.verdict,
        mismatches=p.mismatches,
        failures=p.failures,
        notes=p.notes,
        bug=_explain(p.bug),
    )


def _agreement(a: GradientAgreement) -> AgreementRecord:
    return AgreementRecord(
        case=a.case,
        dtype=a.dtype,
        gradient=a.gradient,
        result=a.result,
        difference=a.difference,
        answers=[
            AnswerRecord(
                framework=x.framework,
                regime=x.regime or regimes(x.framework).default,
                label=x.label,
                status=x.gradient.status,
                cls=x.gradient.cls,
                representation=x.gradient.representation,
                value=plain(x.gradient.value),
                error=x.gradient.error,
                verdict=x.gradient.verdict,
                matches_math=x.gradient.matches_math,
                **_explained(x.gradient.convention or x.gradient.bug),
            )
            for x in a.answers
        ],
        groups=a.groups,
        odd=a.odd,
        reason=a.reason,
    )


def plain(value: Any) -> Any:
    """NumPy values and non-finite floats as strict-JSON-friendly Python values."""
    if value is None or isinstance(value, (str, bool)):
        return value
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, (np.ndarray, np.generic)) and np.iscomplexobj(value):
        return {"re": plain(np.real(value)), "im": plain(np.imag(value))}
    if isinstance(value, complex):
        return {"re": plain(value.real), "im": plain(value.imag)}
    if isinstance(value, (np.ndarray, np.generic)):
        return plain(value.tolist())
    if isinstance(value, float):
        if value != value:
            return "nan"
        if value in (float("inf"), float("-inf")):
            return "inf" if value > 0 else "-inf"
        return value
    return value


def _version(name: str) -> str | None:
    try:
        return version(name)
    except PackageNotFoundError:
        return None
