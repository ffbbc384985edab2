"""How JAX spells each function of the language (conformance/functions.py): data, compiled by the adapter."""

SPELLINGS = {
    "exp": "jnp.exp", "log": "jnp.log", "log1p": "jnp.log1p", "expm1": "jnp.expm1",
    "sin": "jnp.sin", "cos": "jnp.cos", "tanh": "jnp.tanh", "atanh": "jnp.arctanh",
    "sqrt": "jnp.sqrt", "abs": "jnp.abs", "square": "jnp.square",
    "maximum": "jnp.maximum", "minimum": "jnp.minimum", "clip": "jnp.clip", "where": "jnp.where",
    "sum": "jnp.sum", "prod": "jnp.prod", "mean": "jnp.mean", "max": "jnp.max", "min": "jnp.min",
    "matmul": "jnp.matmul", "transpose": "jnp.swapaxes(x, -1, -2)",
    "cholesky": "jnp.linalg.cholesky", "solve": "jnp.linalg.solve", "det": "jnp.linalg.det",
    "logdet": "jnp.linalg.slogdet(x)[1]", "eigvalsh": "jnp.linalg.eigvalsh", "norm": "jnp.linalg.norm",
    "diag": "jnp.diag", "tril": "jnp.tril",
    "logsumexp": "jax.scipy.special.logsumexp", "xlogy": "jax.scipy.special.xlogy",
    "lgamma": "jax.scipy.special.gammaln", "digamma": "jax.scipy.special.digamma",
    "sigmoid": "jax.nn.sigmoid", "softplus": "jax.nn.softplus", "relu": "jax.nn.relu",
}
