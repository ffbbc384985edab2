"""How TensorFlow spells each function of the language (conformance/functions.py): data, compiled by the adapter.

Where TF's function wants other ranks than NumPy's (matmul and solve with a
vector, diag both ways), the spelling picks by rank, visibly.
"""

# tf.signal transforms the innermost axis (or two, three) of a complex value, at its own length, unnormalized forward:
# the Array API's axis, n and norm are the compositions a TF user writes (a real x is made complex first)
_COMPLEX = "(x if x.dtype.is_complex else tf.complex(x, tf.zeros_like(x)))"
_LENGTH = "(x.shape[axis] if n is None else n)"


def _last(value: str) -> str:
    return f"tf.experimental.numpy.moveaxis({value}, axis, -1)"


def _back(value: str) -> str:
    return f"tf.experimental.numpy.moveaxis({value}, -1, axis)"


def _scaled(value: str, forward: bool, length: str = _LENGTH) -> str:
    """`value` under the Array API's norm: TF's transforms are 'backward' (unscaled forward, 1/n inverse)."""
    ortho, whole = (f"{length} ** -0.5", f"1 / {length}") if forward else (f"{length} ** 0.5", length)
    return f"{value} if norm == 'backward' else {value} * ({ortho} if norm == 'ortho' else {whole})"


def _sized(value: str) -> str:
    """`value` (axis last) cut or zero-padded to n, as the Array API's n does."""
    return (
        f"({value} if n is None else {value}[..., :n] if n <= x.shape[axis] else "
        f"tf.pad({value}, [[0, 0]] * (x.shape.rank - 1) + [[0, n - x.shape[axis]]]))"
    )


def _complex_fft(op: str, forward: bool) -> str:
    return _scaled(_back(f"tf.signal.{op}({_sized(_last(_COMPLEX))})"), forward)


def _real_fft(op: str, forward: bool, length: str) -> str:
    """rfft takes real input; irfft complex only, so a real one is made complex (zero imaginary part), as NumPy
    reads it."""
    return _scaled(
        _back(f"tf.signal.{op}({_last('x' if forward else _COMPLEX)}, fft_length=[{length}])"), forward, length
    )


SPELLINGS: dict[str, str | None] = {
    # TF's reduce_std and reduce_variance have no correction: the composition a TF user writes
    "var": "tf.reduce_sum(tf.square(x - tf.reduce_mean(x, axis=axis, keepdims=True)), axis=axis) "
    "/ (tf.cast(tf.size(x) if axis is None else tf.shape(x)[axis], x.dtype) - correction)",
    "std": "tf.sqrt(tf.reduce_sum(tf.square(x - tf.reduce_mean(x, axis=axis, keepdims=True)), axis=axis) "
    "/ (tf.cast(tf.size(x) if axis is None else tf.shape(x)[axis], x.dtype) - correction))",
    "cumulative_sum": "tf.math.cumsum(x, axis=0 if axis is None else axis)",
    "cumulative_prod": "tf.math.cumprod(x, axis=0 if axis is None else axis)",
    "tan": "tf.math.tan",
    "sinh": "tf.math.sinh",
    "cosh": "tf.math.cosh",
    "asin": "tf.math.asin",
    "acos": "tf.math.acos",
    "atan": "tf.math.atan",
    "asinh": "tf.math.asinh",
    "acosh": "tf.math.acosh",
    "log2": "tf.experimental.numpy.log2",
    "log10": "tf.experimental.numpy.log10",
    "reciprocal": "tf.math.reciprocal",
    "floor": "tf.math.floor",
    "ceil": "tf.math.ceil",
    "round": "tf.math.round",
    # TF has no trunc and no copysign: the compositions a TF user writes
    "trunc": "tf.where(x < 0, tf.math.ceil(x), tf.math.floor(x))",
    "sign": "tf.math.sign",
    "atan2": "tf.math.atan2",
    "hypot": "tf.experimental.numpy.hypot",
    "copysign": "tf.where(tf.experimental.numpy.signbit(x2), -tf.abs(x1), tf.abs(x1))",
    "logaddexp": "tf.experimental.numpy.logaddexp",
    "remainder": "tf.math.floormod",
    "floor_divide": "tf.math.floordiv",
    "erf": "tf.math.erf",
    "erfc": "tf.math.erfc",
    "erfinv": "tf.math.erfinv",
    # TF has no log_ndtr of its own: TFP's standard normal log CDF (its special_math.log_ndtr)
    "log_ndtr": "tfp.distributions.Normal(tf.zeros_like(x), tf.ones_like(x)).log_cdf(x)",
    "i0e": "tf.math.bessel_i0e",
    "i1e": "tf.math.bessel_i1e",
    "polygamma": "tf.math.polygamma(tf.constant(n, x.dtype), x)",
    "xlog1py": "tf.math.xlog1py",
    "gammainc": "tf.math.igamma",
    "gammaincc": "tf.math.igammac",
    "betainc": "tf.math.betainc",
    "stop_gradient": "tf.stop_gradient",
    "exp": "tf.math.exp",
    "log": "tf.math.log",
    "log1p": "tf.math.log1p",
    "expm1": "tf.math.expm1",
    "sin": "tf.math.sin",
    "cos": "tf.math.cos",
    "tanh": "tf.math.tanh",
    "atanh": "tf.math.atanh",
    "sqrt": "tf.sqrt",
    "abs": "tf.abs",
    "square": "tf.math.square",
    "maximum": "tf.math.maximum",
    "minimum": "tf.math.minimum",
    "clip": "tf.clip_by_value",
    "where": "tf.where",
    "sum": "tf.reduce_sum(x, axis=axis)",
    "prod": "tf.reduce_prod(x, axis=axis)",
    "mean": "tf.reduce_mean(x, axis=axis)",
    "max": "tf.reduce_max(x, axis=axis)",
    "min": "tf.reduce_min(x, axis=axis)",
    "matmul": "tf.tensordot(x1, x2, 1) if x1.shape.rank == 1 == x2.shape.rank else "
    "tf.linalg.matvec(x1, x2) if x2.shape.rank == 1 else "
    "tf.linalg.matvec(x2, x1, transpose_a=True) if x1.shape.rank == 1 else tf.linalg.matmul(x1, x2)",
    "matrix_transpose": "tf.linalg.matrix_transpose",
    "cholesky": "tf.linalg.cholesky",
    # left=False (X A = B) is A^T X^T = B^T: tf.linalg.solve's adjoint
    "solve": "(tf.linalg.solve(x1, x2[..., None])[..., 0] if x2.shape.rank == x1.shape.rank - 1 "
    "else tf.linalg.solve(x1, x2)) if left else "
    "tf.linalg.matrix_transpose(tf.linalg.solve(x1, tf.linalg.matrix_transpose(x2), adjoint=True))",
    "det": "tf.linalg.det",
    "slogdet": "tf.linalg.slogdet",
    "eigh": "tf.linalg.eigh",
    "qr": "tf.linalg.qr(x, full_matrices=True) if mode == 'complete' else tf.linalg.qr(x)",
    # tf.linalg.svd returns (s, u, v), with v where the standard has its adjoint Vh: reordered, v transposed
    "svd": "(tf.linalg.svd(x, full_matrices=full_matrices)[1], tf.linalg.svd(x, full_matrices=full_matrices)[0], "
    "tf.linalg.adjoint(tf.linalg.svd(x, full_matrices=full_matrices)[2]))",
    "eigvalsh": "tf.linalg.eigvalsh",
    "inv": "tf.linalg.inv",
    "pinv": "tf.linalg.pinv",
    "matrix_power": None,  # not in TF: https://www.tensorflow.org/api_docs/python/tf/linalg lists no matrix power
    "svdvals": "tf.linalg.svd(x, compute_uv=False)",
    "outer": "tf.tensordot(x1, x2, axes=0)",
    "trace": "tf.reduce_sum(tf.linalg.diag_part(x, k=offset), -1)",
    "diagonal": "tf.linalg.diag_part(x, k=offset)",
    "tensordot": "tf.tensordot(x1, x2, axes=axes)",
    # TF has no vecdot, and tf.linalg.cross takes no axis
    "vecdot": "tf.reduce_sum(x1 * x2, axis=axis)",
    "cross": "tf.experimental.numpy.cross(x1, x2, axis=axis)",
    # tf.norm has no order -inf (nor 'nuc' and the negative matrix orders): the compositions a TF user writes
    "vector_norm": "tf.reduce_min(tf.abs(x), axis=axis, keepdims=keepdims) if ord == -inf "
    "else tf.norm(x, ord=ord, axis=axis, keepdims=keepdims)",
    "matrix_norm": "tf.reduce_sum(tf.linalg.svd(x, compute_uv=False), -1) if ord == 'nuc' "
    "else tf.reduce_min(tf.linalg.svd(x, compute_uv=False), -1) if ord == -2 "
    "else tf.reduce_min(tf.reduce_sum(tf.abs(x), -2), -1) if ord == -1 "
    "else tf.reduce_min(tf.reduce_sum(tf.abs(x), -1), -1) if ord == -inf "
    "else tf.norm(x, ord=ord, axis=[-2, -1])",
    "diag": "tf.linalg.diag(x) if x.shape.rank == 1 else tf.linalg.diag_part(x)",
    "tril": "tf.linalg.band_part(x, -1, 0)",
    "concat": "tf.concat(arrays, axis=axis)",
    "stack": "tf.stack(arrays, axis=axis)",
    "unstack": "tf.unstack(x, axis=axis)",
    # TF's own broadcast_to needs the shape: the broadcast of several arrays is its NumPy API's
    "broadcast_arrays": "tf.experimental.numpy.broadcast_arrays(*arrays)",
    "meshgrid": "tf.meshgrid(*arrays, indexing=indexing)",
    "reshape": "tf.reshape",
    "broadcast_to": "tf.broadcast_to",
    "expand_dims": "tf.expand_dims(x, axis)",
    "squeeze": "tf.squeeze",
    "repeat": "tf.repeat(x, repeats, axis=axis)",
    "permute_dims": "tf.transpose",
    # tf.tile wants one count per axis; NumPy's tile (and the Array API's) pads the shorter with ones
    "tile": "tf.experimental.numpy.tile",
    "moveaxis": "tf.experimental.numpy.moveaxis",
    # tf.roll and tf.reverse need their axes; every axis is the flattened array
    "roll": "tf.roll(x, shift, axis) if axis is not None else tf.reshape(tf.roll(tf.reshape(x, [-1]), shift, 0), "
    "tf.shape(x))",
    "flip": "tf.reverse(x, tf.reshape(axis, [-1])) if axis is not None "
    "else tf.reshape(tf.reverse(tf.reshape(x, [-1]), [0]), tf.shape(x))",
    # tf.sort has no stable flag: its values are the same either way
    "sort": "tf.sort(x, axis=axis, direction='DESCENDING' if descending else 'ASCENDING')",
    "top_k": "tf.math.top_k(x, k)",
    "logsumexp": "tf.reduce_logsumexp",
    "xlogy": "tf.math.xlogy",
    "gammaln": "tf.math.lgamma",
    "digamma": "tf.math.digamma",
    "sigmoid": "tf.math.sigmoid",
    "softplus": "tf.math.softplus",
    "relu": "tf.nn.relu",
    "positive": "tf.experimental.numpy.positive",
    "astype": "tf.cast(x, dtype)",
    # TF has no triu: the band from the diagonal up, as tril is the band from it down
    "triu": "tf.linalg.band_part(x, 0, -1)",
    "diff": "tf.experimental.numpy.diff(x, n=n, axis=axis)",
    # tf.gather's gradient is a tf.IndexedSlices (autodiff.py makes it dense)
    "take": "tf.gather(x, indices, axis=0 if axis is None else axis)",
    "take_along_axis": "tf.experimental.numpy.take_along_axis(x, indices, axis=axis)",
    "real": "tf.math.real",
    "imag": "tf.math.imag",
    "conj": "tf.math.conj",
    "fft": _complex_fft("fft", forward=True),
    "ifft": _complex_fft("ifft", forward=False),
    "rfft": _real_fft("rfft", True, _LENGTH),
    # irfft's default length is 2 (m - 1) for m input entries
    "irfft": _real_fft("irfft", False, "(2 * (x.shape[axis] - 1) if n is None else n)"),
    # TF has no Hermitian transforms: https://www.tensorflow.org/api_docs/python/tf/signal lists none
    "hfft": None,
    "ihfft": None,
    # every axis of a matrix is tf.signal's fft2d family; other shapes, s, axes and norm are tf.signal.fftnd's, which
    # has no CPU kernel (https://github.com/tensorflow/tensorflow/issues/69595): on a CPU they raise
    **{
        name: f"(tf.signal.{name.removesuffix('n')}2d({value}) if x.shape.rank == 2 else {general}) "
        "if s is None and axes is None and norm == 'backward' else " + general
        for name, value in (("fftn", _COMPLEX), ("ifftn", _COMPLEX), ("rfftn", "x"), ("irfftn", _COMPLEX))
        for general in [f"tf.signal.{name}d({value}, fft_length=s, axes=axes, norm=norm)"]
    },
    "fftshift": "tf.signal.fftshift(x, axes=axes)",
    "ifftshift": "tf.signal.ifftshift(x, axes=axes)",
    # the functions people differentiate most (issue 20): TF's own operators, else the composition a TF user writes
    **{
        name: f"tf.nn.{name}(x, axis=axis) if axis is not None else "
        f"tf.reshape(tf.nn.{name}(tf.reshape(x, [-1])), tf.shape(x))"
        for name in ("softmax", "log_softmax")
    },
    "gelu": "tf.nn.gelu(x, approximate=approximate)",
    "silu": "tf.nn.silu",
    # tf.nn.elu has no alpha: Keras's elu scales its negative part
    "elu": "tf.nn.elu(x) if alpha == 1 else tf.where(x > 0, x, alpha * tf.nn.elu(x))",
    "selu": "tf.nn.selu",
    # TF has no celu, hardtanh, logit or ldexp: celu(x) = alpha elu(x / alpha), hardtanh is a clip
    "celu": "tf.nn.elu(x) if alpha == 1 else alpha * tf.nn.elu(x / alpha)",
    "leaky_relu": "tf.nn.leaky_relu(x, alpha=negative_slope)",
    "relu6": "tf.nn.relu6",
    "hardtanh": "tf.clip_by_value(x, -1.0, 1.0)",
    "softsign": "tf.nn.softsign",
    "log_sigmoid": "tf.math.log_sigmoid",
    "logit": "tf.math.log(x) - tf.math.log1p(-x)",
    "sinc": "tf.experimental.numpy.sinc",
    "i0": "tf.math.bessel_i0",
    "i1": "tf.math.bessel_i1",
    # l2_normalize's epsilon bounds the squared norm: max(|x|^2, eps^2) is max(|x|, eps)^2
    "normalize": "tf.math.l2_normalize(x, axis=axis, epsilon=eps ** 2)",
    "layer_norm": "tf.nn.batch_normalization(x, tf.nn.moments(x, [-1], keepdims=True)[0], "
    "tf.nn.moments(x, [-1], keepdims=True)[1], bias, weight, eps)",
    "cholesky_inverse": "tf.linalg.cholesky_solve(x, tf.eye(x.shape[-1], batch_shape=x.shape[:-2], dtype=x.dtype))",
    "cho_solve": "tf.linalg.cholesky_solve(x1, x2)",
    "ldexp": "x1 * 2.0 ** x2",
    "angle": "tf.math.angle",
}
