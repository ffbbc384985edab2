"""What every case kind shares: what a framework computed, what a gradient should be, and helpers.

`compute` runs in a framework's worker and returns what the framework gave;
`references` runs in the engine, in NumPy float64, and returns what each
gradient should be: the case's expected value or status, the framework's
recorded convention, the oracle's finite differences with their error bound,
and, for gradients that cancel to zero, the size of the terms that cancel
(from which the zero tolerance follows).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

import numpy as np
from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version

from conformance import expr, oracle
from conformance.adapters import ERROR, Adapter, Gradient, describe_error, handed_over
from conformance.expr import Shape
from conformance.model import CaseBase, Convention, Expectation, ExprAt, Path
from conformance.tolerance import ROUNDINGS, eps, numeric
from conformance.vocabulary import Abstention, Expect

T = TypeVar("T")
#: element operations per sample of a family's log-density, transform or CDF in NumPy, for the oracle's budget
FAMILY_WORK = 20
SPECIAL_WORK = 100  # a CDF through scipy.special (gammainc, betainc, the t CDF)


@dataclass
class Primal:
    """The output a job's autodiff call computed beside its products (the value `vjp`, `jvp` and `hvp` return), and
    the same function called directly with no autodiff (`Adapter.call`): the engine judges the first against the
    oracle's f and against the second (`verdicts.judge_primal`)."""

    under_ad: np.ndarray
    #: None where the direct call raised
    direct: np.ndarray | None = None
    #: "Type: message" of the direct call that raised
    direct_error: str | None = None


@dataclass
class Computed:
    """What one framework computed for one case and dtype."""

    gradients: dict[str, Gradient]
    estimates: dict[str, np.ndarray] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)
    #: the output under autodiff and by the direct call, where the kind computes one (None: it does not, or the
    #: autodiff call raised and gave none)
    primal: Primal | None = None


@dataclass
class ConventionRef:
    """A framework's recorded convention for one gradient, its value evaluated."""

    convention: Convention
    value: np.ndarray | None


@dataclass
class Reference:
    """What one gradient should be, from the case and the oracle (NumPy float64)."""

    expected: np.ndarray | None = None
    oracle: np.ndarray | None = None
    oracle_bound: np.ndarray | None = None
    #: magnitude of the terms that cancel, elementwise; None where nothing is meant to cancel
    cancelling: np.ndarray | None = None
    #: number of terms summed, for the rounding bound of a cancelled sum
    terms: int = 1
    #: the expected status: value, disconnected, error, or zero in any representation
    status: Expect = Expect.VALUE
    #: per framework, its recorded conventions in order (the first that applies is used)
    conventions: dict[str, list[ConventionRef]] = field(default_factory=dict)
    #: for one framework (see `for_framework`): the convention that applies to it, if any
    convention: ConventionRef | None = None
    #: why the frameworks' values here cannot be compared with each other (their own samples, own path)
    not_comparable: str | None = None
    #: a statistical allowance added to the tolerance, elementwise: k standard errors of a Monte Carlo mean
    spread: np.ndarray | None = None
    #: why the oracle cannot judge some elements (its estimate and bound are NaN there); empty: it judges them all
    oracle_abstains: tuple[Abstention, ...] = ()
    #: the m n of the largest matrix a factorization accurate normwise only takes on the way (0: none), for the
    #: tolerance rule's normwise term (conformance/tolerance.py)
    normwise_size: int = 0
    #: the quantity this gradient computes, where a job computes it more than once (by different compositions of
    #: modes): gradients of one job with the same `siblings` must agree with each other (agreement.consistency)
    siblings: str | None = None
    #: the case's gradient (an input's) this one computes by one composition of several (an hvp job's
    #: `x by fwd-over-rev` computes `x`): a divergence mark that names it covers each composition
    of: str | None = None

    @property
    def stated(self) -> bool:
        """Whether there is any reference to judge against (a stated value or status, or the oracle where it judges
        an element)."""
        judges = self.oracle is not None and (np.size(self.oracle) == 0 or bool(np.any(np.isfinite(self.oracle))))
        return self.expected is not None or judges or self.status != Expect.VALUE


@dataclass
class Checked:
    """A kind's own checks of a job beyond its gradients: failures, and an MLE's estimates."""

    failures: list[str] = field(default_factory=list)
    estimates: dict[str, dict[str, Any]] = field(default_factory=dict)


#: a gradient has its input's shape, and a wrong one is judged (a fail); one with this many times its input's elements,
#: and more than RUNAWAY_FLOOR, is a runaway (1 GB from another package's adapter would take the main process's
#: memory as the result crossed over): the job's error, found in the worker before anything is sent
RUNAWAY_SLACK, RUNAWAY_FLOOR = 16, 1 << 16


class BrokenContract(Exception):
    """An adapter's answer outside the contract: a gradient missing, unknown or far too large."""


def held_to_contract(computed: Computed, shapes: dict[str, Shape] | None) -> Computed:
    """`computed`, where it has a gradient for each differentiated input (`shapes`, see `CaseBase.gradient_shapes`),
    none for another name, and no runaway value (its gradients and estimates); else raises BrokenContract. Where the
    adapter names its own gradients (`shapes` None), each value is bounded by the largest a case may hold."""
    if shapes is not None:
        missing = [name for name in shapes if name not in computed.gradients]
        unknown = [name for name in computed.gradients if name not in shapes]
        if missing:
            raise BrokenContract(f"no gradient for {', '.join(missing)} (every differentiated input has one)")
        if unknown:
            raise BrokenContract(f"a gradient for {', '.join(unknown)}, which the case does not differentiate")
    values = [(name, v) for name, g in computed.gradients.items() for v in (g.value, g.raw)]
    for name, value in [*values, *computed.estimates.items()]:
        shape = None if shapes is None else shapes.get(name)
        limit = expr.MAX_ELEMENTS if shape is None else max(RUNAWAY_SLACK * math.prod(shape), RUNAWAY_FLOOR)
        if value is not None and np.size(value) > limit:
            raise BrokenContract(
                f"the answer for {name} has {np.size(value):,} elements, more than the {limit:,} "
                "allowed" + ("" if shape is None else f" for an input of {expr.describe(shape)}")
            )
    return computed


def no_checks(case: Any, computed: Computed, framework: str, versions: dict[str, str]) -> Checked:
    return Checked()


def no_declared_error(case: Any, framework: str, versions: dict[str, str]) -> str | None:
    return None


def no_primal_reference(case: Any, dtype: str, details: dict[str, Any]) -> np.ndarray | None:
    return None


def own_shapes(case: Any, adapter: Adapter) -> dict[str, Shape] | None:
    shapes: dict[str, Shape] | None = case.gradient_shapes()
    return shapes


@dataclass(frozen=True)
class Kind:
    """Everything about one case kind, in one record (as OpInfo keeps an operator's facts)."""

    model: type[CaseBase]
    #: in the framework's worker: what it computes
    compute: Callable[[Any, Adapter, str], Computed]
    #: in the engine: what each gradient should be (`details`: the framework's own samples, where it drew them)
    references: Callable[[Any, dict[str, Any] | None], dict[str, Reference]]
    #: in the engine: the kind's checks beyond the gradients
    check: Callable[[Any, Computed, str, dict[str, str]], Checked] = no_checks
    #: in the engine: the error a job's declared outcome raises on a framework and version (None: none declared),
    #: which a gradient that raises it meets
    declared_error: Callable[[Any, str, dict[str, str]], str | None] = no_declared_error
    #: whether its gradients come from the adapter's vjp, jvp or hvp, which run in the job's execution regime; a kind
    #: whose work is the framework's own code (an optimizer, a scenario's idiom) runs in the default regime only
    regimes: bool = True
    #: in the engine: the oracle's value of the output its autodiff call computes (`Computed.primal`), in NumPy
    #: float64 at the inputs as the job's dtype rounds them (`details`: the job's own, its samples); None: the kind
    #: has none to judge it by (a Monte Carlo sum, the framework's own random samples)
    primal_reference: Callable[[Any, str, dict[str, Any]], np.ndarray | None] = no_primal_reference
    #: in the engine, asked only where the primal misses by more than the rule allows without it: per output
    #: element, the scale of f's own rounding where its terms cancel, in units of eps (None: the kind has none)
    primal_rounding: Callable[[Any, str, dict[str, Any]], np.ndarray | None] = no_primal_reference
    #: in the worker: the gradients a job gives on this adapter, by name, with their shapes (held_to_contract); the
    #: case's own unless the names are the adapter's (a directional job's compositions, per API)
    shapes: Callable[[Any, Adapter], dict[str, Shape] | None] = own_shapes


def vjp_per_input(
    adapter: Adapter,
    fn: Callable[[dict[str, Any]], Any],
    primals: dict[str, np.ndarray],
    dtype: str,
    cotangent: np.ndarray | None,
) -> tuple[np.ndarray, dict[str, Gradient]]:
    """The adapter's VJP; where the joint pullback raises, each input differentiated alone.

    The others are then held as constants, which gives the same partial
    derivative, so a failure lands only on the gradients that fail and the
    others keep their values.
    """
    out, grads = adapter.vjp(fn, primals, dtype, cotangent)
    if len(primals) < 2 or any(g.status != ERROR for g in grads.values()):
        return out, grads
    alone, outs = {}, []
    for name in primals:
        held = {k: adapter.array(v, handed_over(v, dtype)) for k, v in primals.items() if k != name}

        def with_held(env: dict[str, Any], held: dict[str, Any] = held) -> Any:
            return fn({**held, **env})

        value, grad = adapter.vjp(with_held, {name: primals[name]}, dtype, cotangent)
        alone[name] = grad[name]
        outs += [value] if grad[name].status != ERROR else []
    return (outs[0] if outs else out), alone  # the output of a pullback that ran: the joint one's is a placeholder


def primal(
    adapter: Adapter,
    fn: Callable[[dict[str, Any]], Any],
    primals: dict[str, np.ndarray],
    dtype: str,
    under_ad: np.ndarray,
    gradients: Iterable[Gradient],
) -> Primal | None:
    """`under_ad`, the output an autodiff call returned beside `gradients`, with the adapter's direct call of the same
    `fn` at the same `primals`; None where every gradient is an error: the call raised, and its output is only the
    placeholder the contract returns then."""
    if all(g.status == ERROR for g in gradients):
        return None
    try:
        direct = adapter.call(fn, primals, dtype)
    except Exception as err:  # a direct call that raises where autodiff computed a value is judged, not the job's error
        return Primal(np.asarray(under_ad), direct_error=describe_error(err))
    return Primal(np.asarray(under_ad), np.asarray(direct))


#: the relative step `rounding_scale` moves each input element by: the change it makes is linear in the step to
#: about 1e-6 of itself, and float64's rounding of f stays 2**-52 / 1e-6 ~ 2e-10 of f's size
ROUNDING_STEP = 1e-6


def rounding_scale(f: Callable[[dict[str, np.ndarray]], np.ndarray], inputs: dict[str, np.ndarray]) -> np.ndarray:
    """Per output element of f, in units of eps: (ROUNDINGS + ceil(log2 n)) sum_j |x_j df/dx_j| over the n input
    elements, as `zero_tolerance` counts the roundings of a sum of n terms. The sum is how far f moves when every
    input element moves by one relative eps, each on its own; a backward-stable evaluation rounds as if its inputs
    had (float32's 3a + 2b^2 + log(c) at 0.1, 1, 0.1 is -0.0026 from terms of 2.3: its rounding is eps times the
    terms, not times f), so this bounds the gap between two evaluations of f where its terms cancel. `f` takes the
    inputs it moves (the others as `inputs` gives them); one evaluation per input element, in NumPy float64."""

    def at(env: dict[str, np.ndarray]) -> np.ndarray:
        return f({**inputs, **env})

    base = at({})
    total = np.zeros(np.shape(base))
    with np.errstate(all="ignore"):
        for name, x in inputs.items():
            for j in np.ndindex(np.shape(x)):
                moved = np.array(x, copy=True)
                moved[j] += ROUNDING_STEP * moved[j]
                change = np.abs(at({name: moved}) - base) / ROUNDING_STEP
                total += np.where(np.isfinite(change), change, 0.0)
    elements = sum(np.size(x) for x in inputs.values())
    return (ROUNDINGS + math.ceil(math.log2(max(elements, 1)))) * total


def as_handed(value: np.ndarray, dtype: str) -> np.ndarray:
    """`value` as a framework receives it in `dtype` (`handed_over`: rounded to it), back in float64 or complex128,
    so that the oracle evaluates f at the point the framework did; data (integers, booleans) as it is."""
    array = np.asarray(value)
    if array.dtype.kind in "biu":
        return array
    if dtype == "bfloat16":  # NumPy has none: float32's top half, rounded to nearest even
        bits = np.asarray(array, np.float32).view(np.uint32).astype(np.uint64)
        rounded = (((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16) << 16).astype(np.uint32).view(np.float32)
        return np.where(np.isnan(array), np.nan, rounded).astype(np.float64)
    return numeric(array.astype(dtype))


def drawn(
    adapter: Adapter, sample: Callable[[dict[str, Any]], Any], params: dict[str, np.ndarray], dtype: str
) -> np.ndarray:
    """A framework's own samples as its job's regime draws them: the primal output of the sampler's VJP. Drawn
    outside the regime they could be other numbers than the gradient saw: TF's stateless samplers draw otherwise
    under XLA, from the same seed."""
    shape = np.shape(adapter.numpy(sample({k: adapter.array(v, dtype) for k, v in params.items()})))
    samples, _ = adapter.vjp(sample, params, dtype, np.ones(shape))
    return samples


def for_framework(
    refs: dict[str, Reference], framework: str, versions: dict[str, str], dtype: str
) -> dict[str, Reference]:
    """The references with, for each gradient, the framework's convention that applies here (if any)."""
    out = {}
    for name, ref in refs.items():
        chosen = next(
            (
                c
                for c in ref.conventions.get(framework, [])
                if c.convention.applies(dtype) and version_matches(c.convention.versions, versions.get(framework))
            ),
            None,
        )
        out[name] = replace(ref, convention=chosen)
    return out


def version_matches(specifier: str, version: str | None) -> bool:
    """Whether `version` is in the PEP 440 range `specifier` (an empty range holds every version)."""
    if not specifier:
        return True
    if version is None:
        return False
    try:
        return Version(version.split("+")[0]) in SpecifierSet(specifier)
    except InvalidVersion:
        return False


def probe(path: Path, what: str, run: Callable[[], T]) -> T:
    """A family's forward pass in NumPy on one or two samples, at load.

    Params a family cannot take (a scalar where it needs a vector, shapes that do not
    broadcast, a matrix that is not positive definite) then show as a load error with
    file and line, not as an exception in the reference; it also gives the shapes
    of samples and statistics, which expected values are checked against.
    """
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return run()
    except Exception as err:  # whatever NumPy or SciPy raise on these params, the case cannot run
        raise ExprAt(path, expr.ExprError(f"{what}: {type(err).__name__}: {err}")) from None


#: the oracle's answer for a gradient: its `Estimate`, or a pair (estimate, bound) from a scheme of a family's own
#: (families.implicit_derivative), or (None, None) where the case turns it off
Oracle = oracle.Estimate | tuple[np.ndarray | None, np.ndarray | None]


def oracle_or_nothing(
    case: CaseBase, differences: Callable[[], Mapping[str, Oracle]], shapes: dict[str, Any]
) -> Mapping[str, Oracle]:
    """The oracle's finite differences, unless the case turns the oracle off (a kink, a singular point)."""
    if case.oracle:
        return differences()
    return {name: (None, None) for name in shapes}


def zero_tolerance(ref: Reference, dtype: str) -> np.ndarray | None:
    """How far from 0.0 a cancelled sum may land by rounding alone.

    Summing `terms` values of total magnitude S pairwise in precision eps gives
    an error of at most ceil(log2(terms)) * eps * S; each term carries a few
    roundings of its own, hence (ROUNDINGS + ceil(log2(terms))) * eps * S.
    """
    if ref.cancelling is None:
        return None
    return (ROUNDINGS + math.ceil(math.log2(max(ref.terms, 1)))) * eps(dtype) * ref.cancelling


def values(case: CaseBase, prefix: str, names) -> dict[str, np.ndarray]:
    """The case's constant values under `prefix` (inputs, tangent, params); complex128 in a complex case."""
    found = {name: oracle.evaluate(case.expr(f"{prefix}.{name}")) for name in names}
    return {name: v.astype(np.complex128) for name, v in found.items()} if case.complex else found


def references(
    case: CaseBase,
    env: dict[str, Any],
    expected_env: dict[str, np.ndarray],
    fd: Mapping[str, Oracle],
    expected: dict[str, Expectation] | None = None,
) -> dict[str, Reference]:
    """`env` gives each gradient's shape (an array or a shape tuple); `fd` the oracle, or (None, None);
    `expected` the gradients' expectations (default: the case's `expected`)."""
    expected = getattr(case, "expected", {}) if expected is None else expected
    refs = {}
    for name, found in fd.items():
        shape = env[name] if isinstance(env[name], tuple) or env[name] is None else np.shape(env[name])
        ref = (
            Reference(oracle=found.estimate, oracle_bound=found.bound, oracle_abstains=found.abstains)
            if isinstance(found, oracle.Estimate)
            else Reference(oracle=found[0], oracle_bound=found[1])
        )
        spec = expected.get(name)
        if spec is not None:

            def value(key: str, shape: Any = shape) -> np.ndarray:
                evaluated = oracle.evaluate(case.expr(key), expected_env)
                return evaluated if shape is None else np.broadcast_to(evaluated, shape).copy()

            ref.status = spec.status
            if spec.value is not None:
                ref.expected = value(f"expected.{name}")
                if "status" not in spec.model_fields_set and not np.any(ref.expected):
                    ref.status = Expect.ZERO  # a stated zero is zero in any representation; `status: value` is not
            ref.conventions = {
                fw: [
                    ConventionRef(c, value(f"expected.{name}.{fw}.{i}") if c.value is not None else None)
                    for i, c in enumerate(entries)
                ]
                for fw, entries in spec.conventions_for().items()
            }
        if isinstance(shape, tuple) and 0 in shape and ref.status == Expect.VALUE:
            ref.status = Expect.ZERO  # no elements: an empty array, None and a symbolic zero say the same
        refs[name] = ref
    return refs
