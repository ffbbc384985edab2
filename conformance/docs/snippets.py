"""Idiomatic code per framework for a case, filled from templates with the case's own values.

Each (kind, framework) has a template in templates/snippets/; expressions are
written out by evaluating the case's expression on symbols with that
framework's function names (see `syntax`), mirroring each adapter's op table.
Every snippet binds `<name>_grad` for each gradient (and `<name>_hat` for each
MLE estimate), so tests/test_docs.py can execute the snippets in the real
frameworks and check them against the report: a snippet that drifts from what
the adapter computes fails that test. Nothing here imports a framework.
"""
from __future__ import annotations

import ast
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
import numpy as np

from conformance import oracle
from conformance.docs import syntax
from conformance.families import FAMILIES

TEMPLATES = Path(__file__).parent / "templates" / "snippets"
FRAMEWORKS = ("torch", "tensorflow", "jax")
KIND_TEMPLATE = {"vjp": "function", "grad": "function", "reparam": "reparam", "mle": "mle"}

# The adapters' op tables: namespace prefix, and renames ("{0}" marks a method-like spelling).
_NAMESPACE = {"torch": "torch", "tensorflow": "tf.math", "jax": "jnp"}


def _reduction(spelled: str, along: str) -> Callable[[list[str]], str]:
    """torch.max(x) over everything, torch.max(x, axis).values along an axis (as the torch adapter)."""
    return lambda args: f"{spelled}({args[0]})" if len(args) == 1 else along.format(*args)


# None: the adapter picks the spelling by the operands' ranks, which a template cannot see: no snippet.
_RENAMES: dict[str, dict[str, str | Callable[[list[str]], str] | None]] = {
    "torch": {"softplus": "torch.nn.functional.softplus", "transpose": "{0}.mT", "clip": "torch.clamp",
              "max": _reduction("torch.max", "torch.max({0}, {1}).values"),
              "min": _reduction("torch.min", "torch.min({0}, {1}).values"),
              "logsumexp": "torch.logsumexp({0}.reshape(-1), 0)", "norm": "torch.linalg.norm",
              "cholesky": "torch.linalg.cholesky", "solve": "torch.linalg.solve", "eigvalsh": "torch.linalg.eigvalsh",
              "det": "torch.linalg.det", "logdet": "torch.linalg.slogdet({0})[1]"},
    "tensorflow": {"sum": "tf.reduce_sum", "prod": "tf.reduce_prod", "mean": "tf.reduce_mean",
                   "sqrt": "tf.sqrt", "abs": "tf.abs", "where": "tf.where", "diag": None,
                   "tril": "tf.linalg.band_part({0}, -1, 0)", "matmul": None, "solve": None,
                   "transpose": "tf.linalg.matrix_transpose", "relu": "tf.nn.relu", "clip": "tf.clip_by_value",
                   "max": "tf.reduce_max", "min": "tf.reduce_min", "logsumexp": "tf.reduce_logsumexp",
                   "norm": "tf.norm", "cholesky": "tf.linalg.cholesky",
                   "eigvalsh": "tf.linalg.eigvalsh", "det": "tf.linalg.det", "logdet": "tf.linalg.slogdet({0})[1]"},
    "jax": {"atanh": "jnp.arctanh", "sigmoid": "jax.nn.sigmoid", "softplus": "jax.nn.softplus",
            "transpose": "jnp.swapaxes({0}, -1, -2)", "relu": "jax.nn.relu",
            "logsumexp": "jax.scipy.special.logsumexp", "xlogy": "jax.scipy.special.xlogy",
            "lgamma": "jax.scipy.special.gammaln", "digamma": "jax.scipy.special.digamma",
            "norm": "jnp.linalg.norm", "cholesky": "jnp.linalg.cholesky", "solve": "jnp.linalg.solve",
            "eigvalsh": "jnp.linalg.eigvalsh", "det": "jnp.linalg.det", "logdet": "jnp.linalg.slogdet({0})[1]"},
}
_STACK = {"torch": "torch.stack", "tensorflow": "tf.stack", "jax": "jnp.stack"}

# Distributions as each adapter builds them: "{params}" is "name=value, ..."; JAX takes positions.
# Families whose class has the same name and parameters in the framework as in the suite.
_SAME_NAME = {"torch": {"Normal", "MultivariateNormal", "Laplace", "Gumbel", "Cauchy", "StudentT"},
              "tensorflow": {"Normal", "Laplace", "Logistic", "Gumbel", "Cauchy", "StudentT"}}
_DISTRIBUTION = {
    "torch": {"*": "torch.distributions.{family}({params})"},
    "tensorflow": {"*": "tfd.{family}({params})",
                   "MultivariateNormal:covariance_matrix":
                       "tfd.MultivariateNormalTriL(loc={loc}, scale_tril=tf.linalg.cholesky({covariance_matrix}))",
                   "MultivariateNormal:scale_tril": "tfd.MultivariateNormalTriL(loc={loc}, scale_tril={scale_tril})"},
}
_JAX_LOG_PROB = {
    "Normal": "jax.scipy.stats.norm.logpdf(x, {loc}, {scale})",
    "MultivariateNormal:covariance_matrix": "jax.scipy.stats.multivariate_normal.logpdf(x, {loc}, {covariance_matrix})",
    "MultivariateNormal:scale_tril": "mvn_tril_logpdf(x, {loc}, jnp.tril({scale_tril}))",
}
_JAX_HELPERS = {"mvn_tril_logpdf": '''

def mvn_tril_logpdf(x, loc, tril):  # solve against the Cholesky factor, as TFP does
    z = jax.scipy.linalg.solve_triangular(tril, jnp.swapaxes(x - loc, -1, -2), lower=True)
    d = tril.shape[-1]
    return -0.5 * jnp.sum(z * z, axis=0) - jnp.sum(jnp.log(jnp.diagonal(tril))) - 0.5 * d * jnp.log(2 * jnp.pi)
'''}
_JAX_SAMPLER = {"Normal": "loc + scale * jax.random.normal(jax.random.key({seed}), ({samples}, *jnp.shape(loc)), "
                          "loc.dtype)"}


class Unsupported(Exception):
    """The case needs something a template cannot write faithfully for this framework."""


@dataclass
class Snippet:
    framework: str
    code: str
    #: free names the snippet reads but does not spell out (too big to print), with how they are made
    given: dict[str, str] = field(default_factory=dict)


def python_syntax(framework: str) -> syntax.Syntax:
    def call(name: str, args: list[str]) -> str:
        spelled = _RENAMES[framework].get(name, f"{_NAMESPACE[framework]}.{name}")
        if spelled is None:
            raise Unsupported(f"{framework} spells {name}() by its operands' ranks")
        if callable(spelled):
            return spelled(args)
        return spelled.format(*args) if "{0}" in spelled else f"{spelled}({', '.join(args)})"

    return syntax.Syntax(call=call, stack=lambda items: f"{_STACK[framework]}([{', '.join(map(str, items))}])")


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


def adapter_functions(framework: str, name: str) -> dict[str, str]:
    """Source of the adapter's functions whose name contains `name`: what it actually runs.

    For kinds implemented per adapter (behaviour scenarios), this is the code to
    show; it is read from the adapter's file, so the framework is not imported.
    """
    spec = importlib.util.find_spec(f"conformance.adapters.{framework}")
    if spec is None or spec.origin is None:
        return {}
    source = Path(spec.origin).read_text(encoding="utf-8")
    key = name.replace("-", "_").lower()
    return {node.name: ast.get_source_segment(source, node) for node in ast.walk(ast.parse(source))
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and key in node.name.lower()}


_ENV = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), keep_trailing_newline=True,
                          undefined=jinja2.StrictUndefined)


def _literal(value: np.ndarray) -> str:
    value = np.asarray(value, np.float64)
    if value.ndim == 0:
        return syntax.format_number(value)
    return "[" + ", ".join(_literal(v) for v in value) + "]"


def _dtype(case) -> str:
    return "float64" if "float64" in case.dtypes else case.dtypes[0]


def _context(case, fw: str) -> dict | None:
    py = python_syntax(fw)
    if case.kind in ("vjp", "grad"):
        values = {n: oracle.evaluate(case.expr(f"inputs.{n}")) for n in case.inputs}
        ctx = _common(case, values)
        ctx.update(function=syntax.render(case.expr("function"), py), output="out" if "y" in values else "y",
                   cotangent=_literal(oracle.evaluate(case.expr("cotangent"))) if case.cotangent is not None else None)
        return ctx
    if case.kind == "reparam":
        return _reparam(case, fw, py)
    return _mle(case, fw, py)


def _common(case, values: dict[str, np.ndarray]) -> dict:
    names = list(values)
    return {"dtype": _dtype(case), "inputs": {n: _literal(v) for n, v in values.items()},
            "names": ", ".join(names), "argnums": repr(tuple(range(len(names)))),
            "grads": _unpacked(f"{n}_grad" for n in names), "hats": _unpacked(f"{n}_hat" for n in names)}


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
    ctx.update(native=native, seed=case.seed, samples=case.samples, helpers=built[1],
               transform=syntax.apply(family.transform, py, {n: syntax.symbol(n, py) for n in values},
                                      syntax.symbol("z", py)),
               distribution=built[0], log_prob=built[0],
               sampler=_JAX_SAMPLER.get(case.family, "").format(seed=case.seed, samples=case.samples))
    if np.array_equal(noise, np.random.default_rng(case.seed).standard_normal(noise.shape)):
        ctx["noise"] = f"np.random.default_rng({case.seed}).standard_normal({noise.shape})"
    else:  # a family whose noise is not plain standard normal: name it, and let the reader fetch it
        ctx["noise"] = "noise"
        ctx["given"] = {"noise": f"the suite's standard noise for {case.family}, shape {noise.shape}"}
    return ctx


def _mle(case, fw: str, py: syntax.Syntax) -> dict | None:
    params = {n: syntax.render(case.expr(f"model.{n}"), py) for n in case.model}
    built = _distribution(fw, case.family, params)
    if built is None:
        return None
    values = {n: oracle.evaluate(case.expr(f"parameters.{n}")) for n in case.parameters}
    ctx = _common(case, values)
    note = f"{case.samples} samples the suite draws in NumPy from `truth` with seed {case.seed}"
    ctx.update(distribution=built[0], log_prob=built[0], helpers=built[1], data_note=note,
               max_iterations=case.max_iterations, unpack=_unpack(values), given={"data": note})
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
