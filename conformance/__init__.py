"""Gradient conformance: the same gradient case through PyTorch, TensorFlow-Probability and JAX.

Importing this package imports no framework; each adapter imports its own,
in its own worker process.
"""

__version__ = "0.2.0"
