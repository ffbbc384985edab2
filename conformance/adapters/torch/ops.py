"""How torch spells each function of the language (conformance/functions.py): data, compiled by the adapter."""

SPELLINGS = {
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
