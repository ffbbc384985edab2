"""How torch spells each function of the language (conformance/functions.py): data, compiled by the adapter."""

SPELLINGS: dict[str, str | None] = {
    "std": "torch.std(x, dim=axis, correction=correction)", "var": "torch.var(x, dim=axis, correction=correction)",
    "cumulative_sum": "torch.cumsum(x, dim=0 if axis is None else axis)",
    "cumulative_prod": "torch.cumprod(x, dim=0 if axis is None else axis)",
    "tan": "torch.tan", "sinh": "torch.sinh", "cosh": "torch.cosh", "asin": "torch.asin", "acos": "torch.acos",
    "atan": "torch.atan", "asinh": "torch.asinh", "acosh": "torch.acosh", "log2": "torch.log2", "log10": "torch.log10",
    "reciprocal": "torch.reciprocal", "floor": "torch.floor", "ceil": "torch.ceil", "round": "torch.round",
    "trunc": "torch.trunc", "sign": "torch.sign", "atan2": "torch.atan2", "hypot": "torch.hypot",
    "copysign": "torch.copysign", "logaddexp": "torch.logaddexp", "remainder": "torch.remainder",
    "floor_divide": "torch.floor_divide",
    "erf": "torch.special.erf", "erfc": "torch.special.erfc", "erfinv": "torch.special.erfinv",
    "log_ndtr": "torch.special.log_ndtr", "i0e": "torch.special.i0e", "i1e": "torch.special.i1e",
    "polygamma": "torch.special.polygamma", "xlog1py": "torch.special.xlog1py", "gammainc": "torch.special.gammainc",
    "gammaincc": "torch.special.gammaincc",
    "betainc": None,  # not in torch: https://github.com/pytorch/pytorch/issues/129085
    "stop_gradient": "x.detach()",
    "exp": "torch.exp", "log": "torch.log", "log1p": "torch.log1p", "expm1": "torch.expm1",
    "sin": "torch.sin", "cos": "torch.cos", "tanh": "torch.tanh", "atanh": "torch.atanh",
    "sqrt": "torch.sqrt", "abs": "torch.abs", "square": "torch.square",
    "maximum": "torch.maximum", "minimum": "torch.minimum", "clip": "torch.clamp", "where": "torch.where",
    "sum": "torch.sum(x, dim=axis)", "prod": "torch.prod(x) if axis is None else torch.prod(x, axis)",
    "mean": "torch.mean(x, dim=axis)",
    # a full reduction is torch.max(x) (ties share the gradient); along an axis, torch.max(x, dim)
    # (the gradient goes to one index), as the torch.amax docs contrast
    "max": "torch.max(x) if axis is None else torch.max(x, axis).values",
    "min": "torch.min(x) if axis is None else torch.min(x, axis).values",
    "matmul": "torch.matmul", "transpose": "x.transpose(-1, -2)",
    "cholesky": "torch.linalg.cholesky", "solve": "torch.linalg.solve", "det": "torch.linalg.det",
    "logdet": "torch.linalg.slogdet(x)[1]", "eigvalsh": "torch.linalg.eigvalsh", "norm": "torch.linalg.norm",
    "diag": "torch.diag", "tril": "torch.tril",
    "logsumexp": "torch.logsumexp(x.reshape(-1), 0)", "xlogy": "torch.xlogy",
    "lgamma": "torch.lgamma", "digamma": "torch.digamma",
    "sigmoid": "torch.sigmoid", "softplus": "torch.nn.functional.softplus", "relu": "torch.relu",
}
