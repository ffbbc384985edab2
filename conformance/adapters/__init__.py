"""Framework adapters: the contract every framework implements, and where to find them.

`Adapter` is the contract: a handful of methods, NumPy arrays in and out. The
built-in frameworks are packages with the same file names (`FrameworkAdapter`
wires them), each implementing small primitives only; the marshalling they
share (names to positions, arrays to NumPy, a raise to a per-gradient error,
None to disconnected) is written once, here:

    core.py           import and configure the framework; versions; arrays in and out
    ops.py            how the framework spells each function of the language (data, no import)
    autodiff.py       pullback, pushforward, hessian_vector, directional on positional arrays
    distributions.py  log_prob and reparameterized samples from its distribution library
    optimize.py       its own L-BFGS and Adam
    scenarios.py      the behaviour scenarios, in its own idiom

Only a worker process constructs an adapter, which imports the framework:
importing this package imports none. Adapters from other packages register
under the `conformance.adapters` entry point group.
"""

from __future__ import annotations

import importlib
import itertools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from conformance import spelling
from conformance.expr import Ops
from conformance.functions import FUNCTIONS
from conformance.tolerance import CARRIER, complex_dtype, is_complex, real_dtype
from conformance.vocabulary import Regime, Status

BUILTIN = {
    "torch": "conformance.adapters.torch:TorchAdapter",
    "tensorflow": "conformance.adapters.tensorflow:TensorFlowAdapter",
    "jax": "conformance.adapters.jax:JaxAdapter",
}

# status of one gradient
VALUE, DISCONNECTED, ERROR = Status.VALUE, Status.DISCONNECTED, Status.ERROR
#: how a value that stands for zeros nothing flowed into is spelled (JAX's symbolic zero, its float0)
SYMBOLIC_ZERO = "symbolic zero"


def nothing_flowed(status: str, representation: str | None) -> bool:
    """Whether a gradient says no derivative reached its input: None (disconnected), or a symbolic zero's zeros."""
    return status == DISCONNECTED or (status == VALUE and (representation or "").startswith(SYMBOLIC_ZERO))


@dataclass(frozen=True)
class ComplexConvention:
    """What a framework's reverse mode returns for complex numbers, as it documents it.

    The suite states the math once: for a real loss L(z), z = x + iy, the gradient is dL/dx + i dL/dy (the
    direction of steepest ascent, 2 dL/d conj(z)); a VJP with cotangent v of a function w = f(z) is the gradient of
    the real loss Re(sum(conj(v) * w)). A framework that conjugates (`conjugated`: JAX, whose VJP is the transpose
    of the linearization, with no conjugation) answers conj(dL/dx + i dL/dy) when given conj(v); the shared
    plumbing (`FrameworkAdapter.vjp`) maps it back, and the report keeps its raw answer beside the mapped one.
    """

    conjugated: bool
    why: str
    link: str


CONJUGATE_WIRTINGER = ComplexConvention(
    False,
    "the gradient of a real loss is the conjugate Wirtinger derivative, scaled to dL/dx + i dL/dy; "
    "torch documents it as TensorFlow's convention, and JAX's as the conjugate of it",
    "https://docs.pytorch.org/docs/stable/notes/autograd.html#autograd-for-complex-numbers",
)
WIRTINGER = ComplexConvention(
    True,
    "grad of a function C -> R gives dL/dx - i dL/dy, the conjugate of the steepest-ascent direction (JAX's VJP "
    "transposes the linearization without conjugating): mapped to dL/dx + i dL/dy by conj(vjp(conj(v)))",
    "https://docs.jax.dev/en/latest/notebooks/autodiff_cookbook.html#complex-numbers-and-differentiation",
)


@dataclass(frozen=True)
class Regimes:
    """The regimes a framework can run a job in, each with how the framework spells it, and its default.

    Data the engine reads without importing the framework. Two regimes spelled alike run the same program (JAX's
    xla is its jax.jit, as its compiled is): a job is planned once, in the first of them.
    """

    default: Regime
    spelled: dict[Regime, str]

    def resolve(self, regime: Regime) -> Regime | None:
        """The regime that runs `regime`'s program here; None: the framework has no such regime."""
        if regime not in self.spelled:
            return None
        return next(r for r, spelling in self.spelled.items() if spelling == self.spelled[regime])

    def label(self, framework: str, regime: Regime) -> str:
        """What the report calls the framework in `regime`: its name in its default regime, else `name[regime]`."""
        return framework if regime == self.default else f"{framework}[{regime}]"


#: an adapter that declares nothing runs as it runs: one regime, called eager
ONE_REGIME = Regimes(Regime.EAGER, {Regime.EAGER: "as the adapter runs"})

#: the modes a derivative is taken in, as a directional job's composition names spell them
FORWARD, REVERSE = "fwd", "rev"
#: the highest order of a directional derivative (2**order compositions per API)
MAX_ORDER = 3


def compositions(order: int) -> list[tuple[str, ...]]:
    """Every composition of forward and reverse mode for a derivative of `order`, outermost mode first."""
    return list(itertools.product((FORWARD, REVERSE), repeat=order))


def composition_name(modes: tuple[str, ...], api: str = "") -> str:
    """A composition's gradient name, outermost first (`fwd-over-rev`), prefixed by the API where a framework has
    several with rules of their own (`func:fwd-over-fwd`)."""
    return (f"{api}:" if api else "") + "-over-".join(modes)


def composition_names(apis: tuple[str, ...], order: int) -> list[str]:
    """The gradient names of a directional job of `order` on a framework whose APIs are `apis`."""
    return [composition_name(modes, api) for api in apis for modes in compositions(order)]


def hvp_compositions() -> list[tuple[str, ...]]:
    """The compositions that give H v, a vector, in one pass of each mode: the inner mode takes f's first derivative
    (reverse: grad f; forward: grad f . v), the outer one differentiates that along v (forward) or takes the
    gradient of its inner product with v (reverse): fwd-over-rev, rev-over-rev and rev-over-fwd. Forward over
    forward gives the scalar v^T H v (the directional kind's order 2), and H v only from one pass per element of x
    (e_i^T H v): not an H v a user computes, so it is left out."""
    return [modes for modes in compositions(2) if modes != (FORWARD, FORWARD)]


def inner_product(value: Any, vs: list[Any], dot: Callable[[Any, Any], Any]) -> Any:
    """What a reverse level of an H v differentiates: f's own value (a scalar: the level is the innermost), or the
    sum over the inputs of the inner level's derivative (one per input; None where nothing flowed) dotted with v by
    the framework's `dot`; None where nothing flowed to any input."""
    if not isinstance(value, (tuple, list)):
        return value
    terms = [dot(d, v) for d, v in zip(value, vs, strict=True) if d is not None]
    return sum(terms[1:], terms[0]) if terms else None


def hvp_name(name: str, composition: str) -> str:
    """The gradient of an hvp job that is input `name`'s H v by `composition` (`x by func:fwd-over-rev`)."""
    return f"{name} by {composition}"


def hvp_composition_names(apis: tuple[str, ...]) -> list[str]:
    """The names of the compositions an hvp job runs on a framework whose APIs are `apis`, outermost first."""
    return [composition_name(modes, api) for api in apis for modes in hvp_compositions()]


def hvp_names(apis: tuple[str, ...], names: Iterable[str]) -> dict[str, str]:
    """The gradient names of an hvp job on a framework whose APIs are `apis`, each with the input whose H v it is."""
    return {hvp_name(name, composition): name for name in names for composition in hvp_composition_names(apis)}


@dataclass(frozen=True)
class NestingLimit:
    """What an API (`api`) documents it cannot nest: more than `forward` forward levels in one composition. Such a
    composition is still run (its error is its answer), and judged against this documented limit."""

    api: str
    forward: int
    why: str
    link: str

    def refuses(self, modes: tuple[str, ...]) -> bool:
        return modes.count(FORWARD) > self.forward


def nested(
    phi: Callable[[Any], Any],
    modes: tuple[str, ...],
    levels: Mapping[str, Callable[[Callable[[Any], Any]], Callable[[Any], Any]]],
) -> Callable[[Any], Any]:
    """phi (a function of the scalar s) differentiated once per mode, the innermost (last) first: `levels` maps a
    mode to what takes a function of s to its derivative in that mode, written in one API's own calls."""
    for mode in reversed(modes):
        phi = levels[mode](phi)
    return phi


@dataclass
class Gradient:
    """One input's gradient as the framework gave it, in NumPy."""

    status: str  # VALUE | DISCONNECTED | ERROR
    value: np.ndarray | None = None
    error: str | None = None  # "ExceptionType: message"
    #: how the framework spelled a disconnected or unusual gradient (None, a symbolic zero's zeros, IndexedSlices)
    representation: str | None = None
    #: in complex dtypes, the framework's own answer before its convention was mapped to the math's (`value`)
    raw: np.ndarray | None = None
    #: in complex dtypes, the framework's documented convention (the mapping from `raw` to `value`)
    convention: ComplexConvention | None = None


@dataclass(frozen=True)
class Program:
    """A function with what identifies its computation: two with the same key compute the same thing from inputs
    of the same shapes and dtypes, so an adapter may reuse what it compiled for one on the other (the key of a
    case's function is its expression tree and dtype). A plain function has no key: nothing is reused across it."""

    key: str
    fn: Callable[..., Any]

    def __call__(self, *args: Any) -> Any:
        return self.fn(*args)


@dataclass
class Minimum:
    params: dict[str, np.ndarray]
    loss: float
    iterations: int
    history: list[float] = field(default_factory=list)  # loss per objective evaluation, where observable
    #: each parameter's value at each entry of `history` (nested lists), for the docs' optimizer figures
    trajectory: dict[str, list] = field(default_factory=dict)


@dataclass(frozen=True)
class Optimizer:
    """Which optimizer an MLE case asks for: `lbfgs` stops on its own rule within `max_iterations`; `adam` takes
    exactly `max_iterations` steps of size `learning_rate` (Adam has no stopping rule of its own)."""

    name: str  # "lbfgs" | "adam"
    max_iterations: int
    learning_rate: float | None = None


class Adapter:
    """The contract. `fn` arguments take and return the framework's own arrays."""

    name = "base"
    #: the regimes it can run a job in, and its default (class data: the engine reads it without an instance)
    REGIMES = ONE_REGIME
    #: the regime of the job at hand: the runner sets it before each job
    regime = Regime.EAGER
    #: distribution library whose version the report records, besides the framework's
    distributions = ""
    #: its public autodiff APIs with rules of their own, which prefix a directional job's composition names; one
    #: unnamed API by default (class data: the engine reads it without an instance)
    DIRECTIONAL_APIS: tuple[str, ...] = ("",)
    #: per API, the nesting it documents it cannot do (class data, as DIRECTIONAL_APIS)
    DIRECTIONAL_LIMITS: tuple[NestingLimit, ...] = ()

    def versions(self) -> dict[str, str]:
        raise NotImplementedError

    def cache_compiled(self, folder: Path | None) -> None:
        """Keep compiled programs in `folder` between runs, so a repeated run does not compile again (None: do
        not). A framework that compiles nothing in its default regime ignores it."""

    def ops(self, dtype: str) -> Ops:
        """The expression language's function table, evaluating in `dtype`."""
        raise NotImplementedError

    def array(self, value: npt.ArrayLike, dtype: str) -> Any:
        raise NotImplementedError

    def vjp(
        self,
        fn: Callable[[dict[str, Any]], Any],
        primals: dict[str, np.ndarray],
        dtype: str,
        cotangent: np.ndarray | None,
    ) -> tuple[np.ndarray, dict[str, Gradient]]:
        """fn(primals) and its vector-Jacobian product (the gradient when `cotangent` is None)."""
        raise NotImplementedError

    def jvp(
        self,
        fn: Callable[[dict[str, Any]], Any],
        primals: dict[str, np.ndarray],
        dtype: str,
        tangents: dict[str, np.ndarray],
    ) -> tuple[np.ndarray, Gradient]:
        """fn(primals) and its Jacobian-vector product along `tangents`, in forward mode."""
        raise NotImplementedError

    def hvp(
        self,
        fn: Callable[[dict[str, Any]], Any],
        primals: dict[str, np.ndarray],
        dtype: str,
        tangents: dict[str, np.ndarray],
    ) -> tuple[np.ndarray, dict[str, Gradient]]:
        """Scalar fn(primals) and its Hessian times `tangents`, per input by every composition of `hvp_compositions`
        through each of its APIs, named by `hvp_names(DIRECTIONAL_APIS, primals)`."""
        raise NotImplementedError

    def call(self, fn: Callable[[dict[str, Any]], Any], primals: dict[str, np.ndarray], dtype: str) -> np.ndarray:
        """fn(primals) called directly, with no autodiff at all, as a user evaluates it: the value `vjp`, `jvp`
        and `hvp` return beside their products must equal it. An adapter that declares no regimes calls it as it
        is."""
        return self.numpy(fn({k: self.array(v, handed_over(v, dtype)) for k, v in primals.items()}))

    def directional(
        self,
        fn: Callable[[dict[str, Any]], Any],
        primals: dict[str, np.ndarray],
        dtype: str,
        direction: dict[str, np.ndarray],
        order: int,
    ) -> tuple[np.ndarray, dict[str, Gradient]]:
        """fn(primals) and d^order/ds^order fn(primals + s direction) at s = 0, by every composition of forward and
        reverse mode through each of its APIs, named by `composition_names(DIRECTIONAL_APIS, order)`."""
        raise NotImplementedError

    def behaviour(self, scenario: str, dtype: str) -> dict[str, Any]:
        """Run a named scenario in this framework's idiom; see `observed` for what it returns.

        Scenarios are methods named `scenario_<name>(dtype)`; a framework without
        one raises NotImplementedError, which the report shows as an error.
        """
        method = getattr(self, f"scenario_{scenario}", None)
        if method is None:
            raise NotImplementedError(f"{self.name} adapter has no scenario {scenario!r}")
        return method(dtype)

    def log_prob(self, family: str, params: dict[str, Any], x: Any) -> Any:
        """Per-sample log density of `family` from the framework's distribution library."""
        raise NotImplementedError

    def sample(self, family: str, params: dict[str, Any], n: int, seed: int) -> Any:
        """n reparameterized samples from the framework's own sampler, differentiable in params."""
        raise NotImplementedError

    def minimize(
        self, fn: Callable[[dict[str, Any]], Any], initial: dict[str, np.ndarray], dtype: str, optimizer: Optimizer
    ) -> Minimum:
        """Minimize a scalar fn with the framework's own L-BFGS or Adam."""
        raise NotImplementedError

    def numpy(self, value: Any) -> np.ndarray:
        return np.asarray(value)


class FrameworkAdapter(Adapter):
    """A built-in adapter: its package's modules (see the module docstring) behind the contract."""

    def __init__(self) -> None:
        package = type(self).__module__
        load = lambda name: importlib.import_module(f"{package}.{name}")
        self.core, self.autodiff = load("core"), load("autodiff")  # core imports the framework
        self.regime = self.REGIMES.default
        self.complex_convention: ComplexConvention = self.core.COMPLEX_GRADIENT
        self.spellings: dict[str, str | None] = load("ops").SPELLINGS
        self.library, self.optimize, self.scenarios = load("distributions"), load("optimize"), load("scenarios")
        self._ops: dict[str, Ops] = {}

    def versions(self) -> dict[str, str]:
        return self.core.versions()

    def cache_compiled(self, folder: Path | None) -> None:
        self.core.cache_compiled(folder)

    def ops(self, dtype: str) -> Ops:
        if dtype not in self._ops:
            namespace = self.core.NAMESPACE
            functions = {
                name: spelling.to_callable(self.spellings[name], function, namespace, self.name)
                for name, function in FUNCTIONS.items()
            }
            self._ops[dtype] = Ops(functions, const=lambda v: self.core.const(v, dtype), stack=self.core.stack)
        return self._ops[dtype]

    def array(self, value: npt.ArrayLike, dtype: str) -> Any:
        """`value` in the precision of `dtype`, real or complex as the value is: a real output's cotangent in a
        complex case stays real, a complex output's in a real case (rfft(x)) is complex; inputs come as the case's
        dtype says."""
        return self.core.array(value, complex_dtype(dtype) if np.iscomplexobj(value) else real_dtype(dtype))

    def numpy(self, value: Any) -> np.ndarray:
        """A framework's value in NumPy; bfloat16, which NumPy lacks, as float32 (exactly)."""
        array = self.core.numpy(value)
        return array.astype(CARRIER[array.dtype.name]) if array.dtype.name in CARRIER else array

    def mapped(self, gradient: Gradient) -> Gradient:
        """A gradient in a complex dtype in the math's convention (see ComplexConvention), its raw answer kept."""
        if gradient.status != VALUE or gradient.value is None:
            return replace(gradient, convention=self.complex_convention)
        convention = self.complex_convention
        value = np.conj(gradient.value) if convention.conjugated else gradient.value
        return replace(gradient, value=value, raw=gradient.value, convention=convention)

    def gradient(self, raw: Any) -> Gradient:
        """A primitive's gradient as a Gradient: None is disconnected; a Gradient says its own status."""
        if raw is None:
            return Gradient(DISCONNECTED, representation="None")
        if isinstance(raw, Gradient):  # its value (a symbolic zero's) in NumPy's dtypes too
            return raw if raw.value is None else replace(raw, value=self.numpy(raw.value))
        return Gradient(VALUE, self.numpy(raw))

    def vjp(
        self,
        fn: Callable[[dict[str, Any]], Any],
        primals: dict[str, np.ndarray],
        dtype: str,
        cotangent: np.ndarray | None,
    ) -> tuple[np.ndarray, dict[str, Gradient]]:
        names, xs, f = self._positional(fn, primals, dtype)
        if cotangent is not None and np.iscomplexobj(cotangent) and self.complex_convention.conjugated:
            cotangent = np.conj(cotangent)
        try:
            out, grads = self.autodiff.pullback(
                f, xs, None if cotangent is None else self.array(cotangent, dtype), self.regime
            )
        except Exception as err:  # a framework's refusal is a result, recorded per gradient
            return np.array(np.nan), {k: failed(err) for k in names}
        gradients = {k: self.gradient(g) for k, g in zip(names, grads, strict=True)}
        # a real input's gradient is real: the same in either convention
        return self.numpy(out), {k: self.mapped(g) for k, g in gradients.items()} if is_complex(dtype) else gradients

    def jvp(
        self,
        fn: Callable[[dict[str, Any]], Any],
        primals: dict[str, np.ndarray],
        dtype: str,
        tangents: dict[str, np.ndarray],
    ) -> tuple[np.ndarray, Gradient]:
        names, xs, f = self._positional(fn, primals, dtype)
        try:
            out, tangent = self.autodiff.pushforward(
                f, xs, [self.array(tangents[k], dtype) for k in names], self.regime
            )
        except Exception as err:
            return np.array(np.nan), failed(err)
        return self.numpy(out), self.gradient(tangent)

    def hvp(
        self,
        fn: Callable[[dict[str, Any]], Any],
        primals: dict[str, np.ndarray],
        dtype: str,
        tangents: dict[str, np.ndarray],
    ) -> tuple[np.ndarray, dict[str, Gradient]]:
        """A composition's error (one that raises) is its own gradients'; the output is f's value as the framework's
        `hessian_vector` computes it beside them."""
        names, xs, f = self._positional(fn, primals, dtype)
        compositions = hvp_composition_names(self.DIRECTIONAL_APIS)
        try:
            out, found = self.autodiff.hessian_vector(
                f, xs, [self.array(tangents[k], dtype) for k in names], self.regime
            )
        except Exception as err:
            return np.array(np.nan), {hvp_name(k, c): failed(err) for k in names for c in compositions}
        return self.numpy(out), {
            hvp_name(k, c): failed(found[c]) if isinstance(found[c], BaseException) else self.gradient(found[c][i])
            for i, k in enumerate(names)
            for c in compositions
        }

    def call(self, fn: Callable[[dict[str, Any]], Any], primals: dict[str, np.ndarray], dtype: str) -> np.ndarray:
        """fn(primals) in the job's regime (compiled where it compiles), with no tape, no graph, no tracer of AD."""
        _, xs, f = self._positional(fn, primals, dtype)
        return self.numpy(self.autodiff.evaluate(f, xs, self.regime))

    def directional(
        self,
        fn: Callable[[dict[str, Any]], Any],
        primals: dict[str, np.ndarray],
        dtype: str,
        direction: dict[str, np.ndarray],
        order: int,
    ) -> tuple[np.ndarray, dict[str, Gradient]]:
        """Each composition's error (a composition an API cannot nest, or one that raises) is its own gradient's."""
        names, xs, f = self._positional(fn, primals, dtype)
        wanted = composition_names(self.DIRECTIONAL_APIS, order)
        try:
            out, found = self.autodiff.directional(
                f, xs, [self.array(direction[k], dtype) for k in names], order, self.regime
            )
        except Exception as err:
            return np.array(np.nan), {name: failed(err) for name in wanted}
        return self.numpy(out), {
            name: failed(found[name]) if isinstance(found[name], BaseException) else self.gradient(found[name])
            for name in wanted
        }

    def _positional(
        self, fn: Callable[[dict[str, Any]], Any], primals: dict[str, np.ndarray], dtype: str
    ) -> tuple[list[str], list[Any], Callable[..., Any]]:
        """Named inputs as the framework's arrays in a fixed order, and fn taking them positionally."""
        names = list(primals)

        def positional(*xs: Any) -> Any:
            return fn(dict(zip(names, xs, strict=True)))

        keyed = Program(f"{fn.key} {names}", positional) if isinstance(fn, Program) else positional
        return names, [self.array(primals[k], handed_over(primals[k], dtype)) for k in names], keyed

    def behaviour(self, scenario: str, dtype: str) -> dict[str, Any]:
        """A scenario is a public function defined in the framework's scenarios module (not one it imports)."""
        run = getattr(self.scenarios, scenario, None)
        if not callable(run) or scenario.startswith("_") or run.__module__ != self.scenarios.__name__:
            raise NotImplementedError(f"{self.name} adapter has no scenario {scenario!r}")
        return run(self, dtype)

    def log_prob(self, family: str, params: dict[str, Any], x: Any) -> Any:
        return self.library.log_prob(family, params, x)

    def sample(self, family: str, params: dict[str, Any], n: int, seed: int) -> Any:
        return self.library.sample(family, params, n, seed)

    def minimize(
        self, fn: Callable[[dict[str, Any]], Any], initial: dict[str, np.ndarray], dtype: str, optimizer: Optimizer
    ) -> Minimum:
        return self.optimize.OPTIMIZERS[optimizer.name](self, fn, initial, dtype, optimizer)


def observed(error: BaseException | None = None, **values: Any) -> dict[str, Any]:
    """What a scenario observed: outcome "raises" (with the error) or "ok", and named values.

    A value is a Gradient, None (the framework gave None: disconnected), or an array.
    """

    def as_gradient(value: Any) -> Gradient:
        if isinstance(value, Gradient):
            return value
        if value is None:
            return Gradient(DISCONNECTED, representation="None")
        return Gradient(VALUE, np.asarray(value))

    return {
        "outcome": "ok" if error is None else "raises",
        "error": None if error is None else describe_error(error),
        "gradients": {k: as_gradient(v) for k, v in values.items()},
    }


def failed(err: BaseException) -> Gradient:
    """A value the scenario could not produce because the framework raised."""
    return Gradient(ERROR, error=describe_error(err))


def available() -> dict[str, str]:
    """Adapter name -> "module:Class", built-ins first, then entry points of other packages."""
    found = dict(BUILTIN)
    for entry in entry_points(group="conformance.adapters"):
        found.setdefault(entry.name, entry.value)
    return found


def regimes(framework: str) -> Regimes:
    """A framework's regimes, read from its adapter class: a built-in's package imports no framework. An adapter from
    another package is not imported here (its module may import its framework): it runs in one regime."""
    target = BUILTIN.get(framework)
    if target is None:
        return ONE_REGIME
    module, _, attr = target.partition(":")
    declared: Regimes = getattr(importlib.import_module(module), attr).REGIMES
    return declared


def directional_apis(framework: str) -> tuple[tuple[str, ...], tuple[NestingLimit, ...]]:
    """A framework's directional APIs and their documented nesting limits (`Adapter.DIRECTIONAL_APIS` and
    `DIRECTIONAL_LIMITS`), read as `regimes` reads its regimes."""
    target = BUILTIN.get(framework)
    if target is None:
        return Adapter.DIRECTIONAL_APIS, ()
    module, _, attr = target.partition(":")
    declared = getattr(importlib.import_module(module), attr)
    return declared.DIRECTIONAL_APIS, declared.DIRECTIONAL_LIMITS


def load(target: str) -> Adapter:
    """Import and construct the adapter at "module:Class" (this imports its framework)."""
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)()


def flatten(values: dict[str, np.ndarray]) -> tuple[np.ndarray, Callable[[Any, Callable], dict[str, Any]]]:
    """Concatenate named arrays into one vector, for optimizers that want one; and the inverse.

    The inverse takes the framework's flat vector and its reshape function.
    """
    names = list(values)
    shapes = [np.shape(values[n]) for n in names]
    sizes = [int(np.prod(s)) for s in shapes]
    flat = np.concatenate([np.ravel(values[n]) for n in names]) if names else np.zeros(0)

    def unflatten(vector: Any, reshape: Callable[[Any, tuple], Any]) -> dict[str, Any]:
        out, start = {}, 0
        for name, shape, size in zip(names, shapes, sizes, strict=True):
            out[name] = reshape(vector[start : start + size], shape)
            start += size
        return out

    return flat, unflatten


def handed_over(value: np.ndarray, dtype: str) -> str:
    """The dtype an input is handed to a framework in: data (integer or boolean) keeps its own, a variable takes the
    job's floating-point dtype."""
    own = np.asarray(value).dtype
    return own.name if own.kind in "biu" else dtype


def describe_error(err: BaseException) -> str:
    """ "Type: first line of the message", the form errors take in the report."""
    lines = str(err).strip().splitlines()
    return f"{type(err).__name__}: {lines[0] if lines else ''}"
