"""Small generated gradient cases, for the benchmarks that need many distinct programs (a seeded generator)."""

from __future__ import annotations

import random
from pathlib import Path

#: smooth on the inputs drawn below, so every generated case has a finite gradient
UNARY = ("sin", "cos", "tanh", "sigmoid", "softplus", "exp", "square", "log1p", "atan")
BINARY = ("+", "*", "-")


def expression(rng: random.Random, depth: int) -> str:
    if depth == 0:
        return rng.choice(("a", "b", f"{rng.uniform(0.1, 2):.3f}"))
    if rng.random() < 0.5:
        return f"{rng.choice(UNARY)}({expression(rng, depth - 1)})"
    return f"({expression(rng, depth - 1)} {rng.choice(BINARY)} {expression(rng, depth - 1)})"


def write(folder: Path, count: int, seed: int = 0) -> Path:
    """`count` grad cases of two inputs of 3 elements, float32 and float64, in one file under `folder`."""
    rng = random.Random(seed)
    lines = []
    for i in range(count):
        a, b = ([round(rng.uniform(0.2, 1.2), 3) for _ in range(3)] for _ in range(2))
        lines.append(
            f"- {{id: generated-{i:04d}, kind: grad, title: generated, why: a benchmark's load, "
            f"inputs: {{a: {a}, b: {b}}}, function: 'sum({expression(rng, 3)} + 0 * (a + b))'}}"
        )
    path = folder / "generated.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path
