"""How TensorFlow spells each function of the language (conformance/functions.py): data, compiled by the adapter.

Where TF's function wants other ranks than NumPy's (matmul and solve with a
vector, diag both ways), the spelling picks by rank, visibly.
"""

SPELLINGS = {
    "exp": "tf.math.exp", "log": "tf.math.log", "log1p": "tf.math.log1p", "expm1": "tf.math.expm1",
    "sin": "tf.math.sin", "cos": "tf.math.cos", "tanh": "tf.math.tanh", "atanh": "tf.math.atanh",
    "sqrt": "tf.sqrt", "abs": "tf.abs", "square": "tf.math.square",
    "maximum": "tf.math.maximum", "minimum": "tf.math.minimum", "clip": "tf.clip_by_value", "where": "tf.where",
    "sum": "tf.reduce_sum(x, axis=axis)", "prod": "tf.reduce_prod(x, axis=axis)",
    "mean": "tf.reduce_mean(x, axis=axis)", "max": "tf.reduce_max(x, axis=axis)", "min": "tf.reduce_min(x, axis=axis)",
    "matmul": "tf.linalg.matvec(x1, x2) if x2.shape.rank == 1 else "
              "tf.linalg.matvec(x2, x1, transpose_a=True) if x1.shape.rank == 1 else tf.linalg.matmul(x1, x2)",
    "transpose": "tf.linalg.matrix_transpose",
    "cholesky": "tf.linalg.cholesky",
    "solve": "tf.linalg.solve(x1, x2[..., None])[..., 0] if x2.shape.rank == x1.shape.rank - 1 "
             "else tf.linalg.solve(x1, x2)",
    "det": "tf.linalg.det", "logdet": "tf.linalg.slogdet(x)[1]", "eigvalsh": "tf.linalg.eigvalsh", "norm": "tf.norm",
    "diag": "tf.linalg.diag(x) if x.shape.rank == 1 else tf.linalg.diag_part(x)",
    "tril": "tf.linalg.band_part(x, -1, 0)",
    "logsumexp": "tf.reduce_logsumexp", "xlogy": "tf.math.xlogy", "lgamma": "tf.math.lgamma",
    "digamma": "tf.math.digamma",
    "sigmoid": "tf.math.sigmoid", "softplus": "tf.math.softplus", "relu": "tf.nn.relu",
}
