"""Idiomatic code per framework for a case, filled from templates with the case's own values.

Each (kind, framework) has a template in templates/snippets/; expressions are
written out by evaluating the case's expression on symbols with that
framework's spellings (see `syntax` and conformance/spelling.py): the very
text each adapter compiles into its ops.
Every snippet binds `<name>_grad` for each gradient (and `<name>_hat` for each
MLE estimate), so tests/test_docs.py can execute the snippets in the real
frameworks and check them against the report: a snippet that drifts from what
the adapter computes fails that test. Behaviour scenarios are written by hand in
templates/behaviours/<scenario>.yaml, per framework the idiom a user writes and
its fix; the tests run those too. Nothing here imports a framework.
"""

from __future__ import annotations

import ast
import importlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
import numpy as np
import yaml

from conformance import oracle, spelling
from conformance.docs import syntax
from conformance.families import FAMILIES
from conformance.functions import FUNCTIONS
from conformance.tolerance import complex_dtype, numeric, real_dtype

TEMPLATES = Path(__file__).parent / "templates" / "snippets"
BEHAVIOURS = Path(__file__).parent / "templates" / "behaviours"
FRAMEWORKS = ("torch", "tensorflow", "jax")
KIND_TEMPLATE = {"vjp": "function", "grad": "function", "reparam": "reparam", "mle": "mle"}

_NUMBER = re.compile(r'^-?(\d[\d.e+-]*|float\("-?(inf|nan)"\))$')  # a literal as syntax.format_number writes it
_STACK = {"torch": "torch.stack", "tensorflow": "tf.stack", "jax": "jnp.stack"}
#: a list literal of numbers: torch.stack and tf.stack take tensors (and tf.stack would make Python ints int32)
_NUMBERS = {
    "torch": "torch.tensor([{}], dtype=dtype)",
    "tensorflow": "tf.constant([{}], dtype=dtype)",
    "jax": "jnp.stack([{}])",
}

# Distributions as each adapter builds them: "{params}" is "name=value, ..."; JAX takes positions.
# Families whose class has the same name and parameters in the framework as in the suite.
_SAME_NAME = {
    "torch": {"Normal", "MultivariateNormal", "Laplace", "Gumbel", "Cauchy", "StudentT"},
    "tensorflow": {"Normal", "Laplace", "Logistic", "Gumbel", "Cauchy", "StudentT"},
}
_DISTRIBUTION = {
    "torch": {"*": "torch.distributions.{family}({params})"},
    "tensorflow": {
        "*": "tfd.{family}({params})",
        "MultivariateNormal:covariance_matrix": (
            "tfd.MultivariateNormalTriL(loc={loc}, scale_tril=tf.linalg.cholesky({covariance_matrix}))"
        ),
        "MultivariateNormal:scale_tril": "tfd.MultivariateNormalTriL(loc={loc}, scale_tril={scale_tril})",
    },
}
_JAX_LOG_PROB = {
    "Normal": "jax.scipy.stats.norm.logpdf(x, {loc}, {scale})",
    "MultivariateNormal:covariance_matrix": "jax.scipy.stats.multivariate_normal.logpdf(x, {loc}, {covariance_matrix})",
    "MultivariateNormal:scale_tril": "mvn_tril_logpdf(x, {loc}, jnp.tril({scale_tril}))",
}
_JAX_HELPERS = {
    "mvn_tril_logpdf": """

def mvn_tril_logpdf(x, loc, tril):  # solve against the Cholesky factor, as TFP does
    z = jax.scipy.linalg.solve_triangular(tril, jnp.swapaxes(x - loc, -1, -2), lower=True)
    d = tril.shape[-1]
    return -0.5 * jnp.sum(z * z, axis=0) - jnp.sum(jnp.log(jnp.diagonal(tril))) - 0.5 * d * jnp.log(2 * jnp.pi)
"""
}
_JAX_SAMPLER = {
    "Normal": "loc + scale * jax.random.normal(jax.random.key({seed}), ({samples}, *jnp.shape(loc)), loc.dtype)"
}


class Unsupported(Exception):
    """The case needs something a template cannot write faithfully for this framework."""


@dataclass
class Snippet:
    framework: str
    code: str
    #: free names the snippet reads but does not spell out (too big to print), with how they are made
    given: dict[str, str] = field(default_factory=dict)


@dataclass
class Idiom:
    """A behaviour scenario in one framework: the code a user writes, and the fix ("" where it needs none)."""

    framework: str
    idiom: str
    fix: str


def python_syntax(framework: str) -> syntax.Syntax:
    """Calls spelled as the adapter spells them (conformance/adapters/<framework>/ops.py), so a snippet calls
    exactly what the suite ran; a function the framework lacks (spelled None) leaves the case without a snippet."""
    spellings = spellings_of(framework)

    def select(name: str, args: list, output: int | None) -> str:
        spelled = spellings.get(name)
        if spelled is None:
            raise Unsupported(f"{framework} has no {name}()")
        function = FUNCTIONS[name]
        operand = function.signature[0] not in function.literal and function.signature[0] not in function.lists
        if framework == "torch" and operand and _NUMBER.match(str(args[0])):
            args = [f"torch.tensor({args[0]}, dtype=dtype)", *args[1:]]  # torch.special.* want a tensor input
        text = spelling.render(spelled, function, args, output)
        atomic = isinstance(ast.parse(text, mode="eval").body, (ast.Call, ast.Name, ast.Attribute, ast.Subscript))
        return text if atomic else f"({text})"  # a conditional spelling (TF picks by rank) inside an expression

    def call(name: str, args: list) -> str:
        return select(name, args, None)

    def stack(items: list[syntax.Sym]) -> str:
        listed = ", ".join(map(str, items))
        if all(_NUMBER.match(str(item)) for item in items):
            return _NUMBERS[framework].format(listed)
        if framework == "torch":  # torch.stack takes tensors only: a number among them becomes one
            listed = ", ".join(
                f"torch.tensor({item}, dtype=dtype)" if _NUMBER.match(str(item)) else str(item) for item in items
            )
        return f"{_STACK[framework]}([{listed}])"

    return syntax.Syntax(call=call, stack=stack, select=select)


def spellings_of(framework: str) -> Mapping[str, str | None]:
    """The framework's SPELLINGS table: plain data, importable without the framework."""
    return importlib.import_module(f"conformance.adapters.{framework}.ops").SPELLINGS


def snippets(case) -> dict[str, Snippet]:
    """Per framework, the code for this case; empty for a kind or family without a template."""
    template = KIND_TEMPLATE.get(case.kind)
    if template is None:
        return {}
    out = {}
    for fw in FRAMEWORKS:
        try:
            context = _context(case, fw)
        except Unsupported:
            continue
        if context is None:
            continue
        given = context.pop("given", {})
        code = _ENV.get_template(f"{template}.{fw}.py.j2").render(**context)
        out[fw] = Snippet(fw, code.strip() + "\n", given)
    return out


def behaviour(scenario: str) -> dict[str, Idiom]:
    """Per framework, a behaviour scenario as a user writes it (the idiom) and its fix, from
    templates/behaviours/<scenario>.yaml; empty where none is written. The adapter's own code measures the
    scenario and is no reading for users; these are, and tests/test_docs.py runs them against the report."""
    path = BEHAVIOURS / f"{scenario}.yaml"
    if not path.is_file():
        return {}
    written = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {fw: Idiom(fw, written[fw]["idiom"], written[fw].get("fix", "")) for fw in FRAMEWORKS if fw in written}


_ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES), keep_trailing_newline=True, undefined=jinja2.StrictUndefined
)


def _literal(value: np.ndarray) -> str:
    value = numeric(value)
    if value.ndim == 0:
        return syntax.format_number(complex(value) if np.iscomplexobj(value) else float(value))
    return "[" + ", ".join(_literal(v) for v in value) + "]"


#: a data input's dtype as each framework names it, where the name differs from NumPy's
_DATA_DTYPES: dict[str, dict[str, str]] = {"torch": {}, "tensorflow": {}, "jax": {"bool": "bool_"}}


def _dtype(case) -> str:
    return next((d for d in ("float64", "complex128") if d in case.dtypes), case.dtypes[0])


def _context(case, fw: str) -> dict | None:
    py = python_syntax(fw)
    if case.kind in ("vjp", "grad"):
        values = {n: oracle.evaluate(case.expr(f"inputs.{n}")) for n in case.variables}
        ctx = _common(case, values)
        # integer and boolean data: arrays of their own dtype, never differentiated in the code a user writes
        ctx["data"] = {
            n: (repr(a.tolist()), _DATA_DTYPES[fw].get(str(a.dtype), str(a.dtype))) for n, a in case.data.items()
        }
        cotangent = oracle.evaluate(case.expr("cotangent")) if case.cotangent is not None else np.zeros(())
        complex_cotangent = bool(np.iscomplexobj(cotangent)) or case.complex_output
        # the cotangent in the output's dtype; JAX's VJP conjugates where complex numbers meet (complex.yaml)
        ctx.update(
            function=syntax.render(case.expr("function"), py),
            output="out" if "y" in values else "y",
            cotangent=None if case.cotangent is None else _literal(cotangent),
            cotangent_dtype=(complex_dtype if complex_cotangent else real_dtype)(ctx["dtype"]),
            conjugate=case.complex or complex_cotangent,
        )
        return ctx
    if case.kind == "reparam":
        return _reparam(case, fw, py)
    return _mle(case, fw, py)


def _common(case, values: dict[str, np.ndarray]) -> dict:
    names = list(values)
    return {
        "dtype": _dtype(case),
        "inputs": {n: _literal(v) for n, v in values.items()},
        "fn": next(name for name in ("f", "fn", "func", "function") if name not in names),  # not an input's
        "names": ", ".join(names),
        "argnums": repr(tuple(range(len(names)))),
        "grads": _unpacked(f"{n}_grad" for n in names),
        "hats": _unpacked(f"{n}_hat" for n in names),
    }


def _unpacked(targets) -> str:
    targets = list(targets)
    return ", ".join(targets) + ("," if len(targets) == 1 else "")


def _distribution(fw: str, family: str, params: dict[str, str]) -> tuple[str, str] | None:
    """(code that builds the distribution or evaluates log_prob at x, helper definitions); None if unknown."""
    key = f"{family}:{next((p for p in ('covariance_matrix', 'scale_tril') if p in params), '')}"
    if fw == "jax":
        template = _JAX_LOG_PROB.get(key) or _JAX_LOG_PROB.get(family)
        if template is None:
            return None
        helpers = "".join(code for name, code in _JAX_HELPERS.items() if name in template)
        return template.format(**params), helpers
    table = _DISTRIBUTION[fw]
    template = table.get(key) or (table["*"] if family in _SAME_NAME[fw] else None)
    if template is None:
        return None
    return template.format(family=family, params=", ".join(f"{k}={v}" for k, v in params.items()), **params), ""


def _reparam(case, fw: str, py: syntax.Syntax) -> dict | None:
    family = FAMILIES[case.family]
    values = {n: oracle.evaluate(case.expr(f"params.{n}")) for n in case.params}
    built = _distribution(fw, case.family, {n: n for n in case.params})
    native = case.sampler == "native"
    if built is None or (native and fw == "jax" and case.family not in _JAX_SAMPLER):
        return None
    ctx = _common(case, values)
    noise = family.noise(np.random.default_rng(case.seed), case.samples, values)
    ctx.update(
        native=native,
        seed=case.seed,
        samples=case.samples,
        helpers=built[1],
        transform=syntax.apply(family.transform, py, {n: syntax.symbol(n, py) for n in values}, syntax.symbol("z", py)),
        distribution=built[0],
        log_prob=built[0],
        sampler=_JAX_SAMPLER.get(case.family, "").format(seed=case.seed, samples=case.samples),
    )
    if np.array_equal(noise, np.random.default_rng(case.seed).standard_normal(noise.shape)):
        ctx["noise"] = f"np.random.default_rng({case.seed}).standard_normal({noise.shape})"
    else:  # a family whose noise is not plain standard normal: name it, and let the reader fetch it
        ctx["noise"] = "noise"
        ctx["given"] = {"noise": f"the suite's standard noise for {case.family}, shape {noise.shape}"}
    return ctx


def _mle(case, fw: str, py: syntax.Syntax) -> dict | None:
    if case.optimizer != "lbfgs" or case.design is not None:  # the templates write a family's L-BFGS fit only
        return None
    params = {n: syntax.render(case.expr(f"model.{n}"), py) for n in case.model}
    built = _distribution(fw, case.family, params)
    if built is None:
        return None
    values = {n: oracle.evaluate(case.expr(f"parameters.{n}")) for n in case.parameters}
    ctx = _common(case, values)
    note = f"{case.samples} samples the suite draws in NumPy from `truth` with seed {case.seed}"
    ctx.update(
        distribution=built[0],
        log_prob=built[0],
        helpers=built[1],
        data_note=note,
        max_iterations=case.max_iterations,
        unpack=_unpack(values),
        given={"data": note},
    )
    return ctx


def _unpack(values: dict[str, np.ndarray]) -> str:
    """Slices of one flat vector back into the named parameters (TF's L-BFGS wants one vector)."""
    parts, start = [], 0
    for value in values.values():
        shape = np.shape(value)
        size = int(np.prod(shape))
        if shape == ():
            parts.append(f"vector[{start}]")
        elif len(shape) == 1:
            parts.append(f"vector[{start}:{start + size}]")
        else:
            parts.append(f"tf.reshape(vector[{start}:{start + size}], {list(shape)})")
        start += size
    return ", ".join(parts)
