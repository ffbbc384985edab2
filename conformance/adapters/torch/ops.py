"""How torch spells each function of the language (conformance/functions.py): data, compiled by the adapter."""

SPELLINGS: dict[str, str | None] = {
    "std": "torch.std(x, dim=axis, correction=correction)", "var": "torch.var(x, dim=axis, correction=correction)",
    "cumulative_sum": "torch.cumsum(x, dim=0 if axis is None else axis)",
    "cumulative_prod": "torch.cumprod(x, dim=0 if axis is None else axis)",
    "tan": "torch.tan", "sinh": "torch.sinh", "cosh": "torch.cosh", "asin": "torch.asin", "acos": "torch.acos",
    "atan": "torch.atan", "asinh": "torch.asinh", "acosh": "torch.acosh", "log2": "torch.log2", "log10": "torch.log10",
    "reciprocal": "torch.reciprocal", "floor": "torch.floor", "ceil": "torch.ceil", "round": "torch.round",
    "trunc": "torch.trunc", "atan2": "torch.atan2", "hypot": "torch.hypot",
    # the standard's sign is z/|z| for complex z: torch.sgn there (torch.sign refuses complex); torch.sign on reals,
    # whose backward is a plain zero where sgn's is a ZeroTensor
    "sign": "torch.sgn(x) if x.is_complex() else torch.sign(x)",
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
    "matmul": "torch.matmul", "matrix_transpose": "x.mT",
    "cholesky": "torch.linalg.cholesky", "solve": "torch.linalg.solve(x1, x2, left=left)", "det": "torch.linalg.det",
    "slogdet": "torch.linalg.slogdet", "eigh": "torch.linalg.eigh", "qr": "torch.linalg.qr(x, mode=mode)",
    "svd": "torch.linalg.svd(x, full_matrices=full_matrices)", "eigvalsh": "torch.linalg.eigvalsh",
    "inv": "torch.linalg.inv", "pinv": "torch.linalg.pinv", "matrix_power": "torch.linalg.matrix_power",
    "svdvals": "torch.linalg.svdvals", "outer": "torch.outer",
    # torch.trace takes only a 2-D matrix and no offset
    "trace": "torch.diagonal(x, offset, -2, -1).sum(-1)", "diagonal": "torch.linalg.diagonal(x, offset=offset)",
    "tensordot": "torch.tensordot(x1, x2, dims=axes)", "vecdot": "torch.linalg.vecdot(x1, x2, dim=axis)",
    # torch.linalg.cross broadcasts only inputs of equal rank; the standard broadcasts any
    "cross": "torch.linalg.cross(*torch.broadcast_tensors(x1, x2), dim=axis)",
    "vector_norm": "torch.linalg.vector_norm(x, ord=ord, dim=axis, keepdim=keepdims)",
    "matrix_norm": "torch.linalg.matrix_norm(x, ord=ord)",
    "diag": "torch.diag", "tril": "torch.tril",
    "concat": "torch.cat(arrays, dim=axis)", "stack": "torch.stack(arrays, dim=axis)",
    "reshape": "torch.reshape", "broadcast_to": "torch.broadcast_to", "expand_dims": "torch.unsqueeze(x, axis)",
    "squeeze": "torch.squeeze", "tile": "torch.tile", "repeat": "torch.repeat_interleave(x, repeats, dim=axis)",
    "unstack": "torch.unbind(x, dim=axis)", "broadcast_arrays": "torch.broadcast_tensors(*arrays)",
    "meshgrid": "torch.meshgrid(*arrays, indexing=indexing)",
    "moveaxis": "torch.movedim", "permute_dims": "torch.permute", "roll": "torch.roll(x, shift, dims=axis)",
    # torch.flip needs its axes; flipping every axis reverses the flattened array
    "flip": "x.flip(axis) if axis is not None else x.reshape(-1).flip(0).reshape(x.shape)",
    "sort": "torch.sort(x, dim=axis, descending=descending, stable=stable).values",
    "top_k": "torch.topk(x, k)",
    "logsumexp": "torch.logsumexp(x.reshape(-1), 0)", "xlogy": "torch.xlogy",
    "gammaln": "torch.special.gammaln", "digamma": "torch.digamma",
    "sigmoid": "torch.sigmoid", "softplus": "torch.nn.functional.softplus", "relu": "torch.relu",
    "positive": "torch.positive",
    # Tensor.to takes a torch.dtype, not its name
    "astype": "x.to(torch.float64 if dtype == 'float64' else torch.float32)",
    "triu": "torch.triu",
    "diff": "torch.diff(x, n=n, dim=axis)",
    # torch.take indexes the flattened array; the Array API's take along an axis is index_select
    "take": "torch.index_select(x, 0 if axis is None else axis, indices)",
    "take_along_axis": "torch.take_along_dim(x, indices, dim=axis)",
    "real": "torch.real", "imag": "torch.imag", "conj": "torch.conj",
    **{name: f"torch.fft.{name}(x, n=n, dim=axis, norm=norm)"
       for name in ("fft", "ifft", "rfft", "irfft", "hfft", "ihfft")},
    **{name: f"torch.fft.{name}(x, s=s, dim=axes, norm=norm)" for name in ("fftn", "ifftn", "rfftn", "irfftn")},
    "fftshift": "torch.fft.fftshift(x, dim=axes)", "ifftshift": "torch.fft.ifftshift(x, dim=axes)",
    # the functions people differentiate most (issue 20): torch's own operators
    **{name: f"torch.nn.functional.{name}(x, dim=axis) if axis is not None else "
             f"torch.nn.functional.{name}(x.reshape(-1), dim=0).reshape(x.shape)"
       for name in ("softmax", "log_softmax")},
    "gelu": "torch.nn.functional.gelu(x, approximate='tanh' if approximate else 'none')",
    "silu": "torch.nn.functional.silu", "elu": "torch.nn.functional.elu(x, alpha=alpha)",
    "selu": "torch.nn.functional.selu", "celu": "torch.nn.functional.celu(x, alpha=alpha)",
    "leaky_relu": "torch.nn.functional.leaky_relu(x, negative_slope)", "relu6": "torch.nn.functional.relu6",
    "hardtanh": "torch.nn.functional.hardtanh", "softsign": "torch.nn.functional.softsign",
    "log_sigmoid": "torch.nn.functional.logsigmoid", "logit": "torch.special.logit", "sinc": "torch.sinc",
    "i0": "torch.special.i0", "i1": "torch.special.i1",
    "normalize": "torch.nn.functional.normalize(x, p=2.0, dim=axis, eps=eps)",
    "layer_norm": "torch.nn.functional.layer_norm(x, x.shape[-1:], weight, bias, eps)",
    "cholesky_inverse": "torch.cholesky_inverse", "cho_solve": "torch.cholesky_solve(x2, x1)",
    # torch.ldexp takes its exponent as a tensor
    "ldexp": "torch.ldexp(x1, torch.tensor(x2))", "angle": "torch.angle",
}
