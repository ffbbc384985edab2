"""A real torch.autograd.Function with a deliberately wrong nested forward rule, shared by the hvp and directional
tests (real torch, imported when a test asks for it)."""

from __future__ import annotations

from typing import Any


def wrong_jvp_cube() -> Any:
    """x^3 whose backward and first-order jvp are right, but whose jvp rule detaches x: differentiating that rule
    again (forward or reverse over it) loses 6 x v^2."""
    import torch

    class Cube(torch.autograd.Function):
        @staticmethod
        def forward(x):
            return x**3

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(inputs[0])
            ctx.save_for_forward(inputs[0])

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 3 * x**2

        @staticmethod
        def jvp(ctx, tangent):
            (x,) = ctx.saved_tensors
            return 3 * x.detach() ** 2 * tangent  # right at first order; its own derivative in x is lost

    return Cube
