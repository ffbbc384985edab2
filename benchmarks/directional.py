"""A directional job of order 2 against the matching hvp job, per composition (issue 20: goal at most 3x).

For each hvp case of the library (conformance/cases/second-order), the directional case with the same function,
its tangent as the direction, order 2: v^T H v by every composition of forward and reverse mode, where the hvp job
gives H v by every composition that gives it in one pass (fwd-over-fwd left out: `hvp_compositions`). Each
framework runs in a process of its own (its default regime, float64); each job is timed warm (its programs compiled
once before), as the median of repeats. The figure is the directional job's time per composition (its time over
its number of compositions: 4, torch's 8) over the hvp job's time per composition (3, torch's 6), per case and
their geometric mean per framework.

Run: .venv/bin/python benchmarks/directional.py (part of `make bench`; a few minutes on 2 idle cores)
"""

from __future__ import annotations

import argparse
import math
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FRAMEWORKS = ("torch", "tensorflow", "jax")
HVP = REPO / "conformance" / "cases" / "second-order" / "hvp.yaml"
GOAL = 3.0


def _median_s(fn: Callable[[], object], repeats: int) -> float:
    fn()  # warm: compile and cache once
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def measure(framework: str, repeats: int) -> None:
    """In this process: each hvp case against its directional twin on `framework`; prints one line per case."""
    from conformance import kinds, loader
    from conformance.adapters import BUILTIN, load
    from conformance.kinds.directional import DirectionalCase
    from conformance.kinds.function import FunctionCase

    adapter = load(BUILTIN[framework])
    for loaded in loader.load([HVP])[0]:
        case = loaded.case
        assert isinstance(case, FunctionCase)
        twin = DirectionalCase.model_validate(
            {
                "id": f"{case.id}-directional",
                "kind": "directional",
                "title": case.title,
                "why": case.why,
                "inputs": case.inputs,
                "direction": case.tangent,
                "function": case.function,
                "order": 2,
                "oracle": False,
                "oracle_why": "a benchmark: only the frameworks' time is measured",
            }
        )
        twin.compile()
        hvp = _median_s(partial(kinds.compute, case, adapter, "float64"), repeats)
        per_input = len(kinds.compute(case, adapter, "float64").gradients) // len(case.differentiated())
        compositions = len(kinds.compute(twin, adapter, "float64").gradients)
        directional = _median_s(partial(kinds.compute, twin, adapter, "float64"), repeats)
        print(f"{case.id} {hvp} {per_input} {directional} {compositions}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--framework", choices=FRAMEWORKS, help="measure in this process (the children's work)")
    parser.add_argument("--repeats", type=int, default=10)
    args = parser.parse_args()
    if args.framework:
        measure(args.framework, args.repeats)
        return
    for fw in FRAMEWORKS:
        out = subprocess.run(
            [sys.executable, __file__, "--framework", fw, "--repeats", str(args.repeats)],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        )
        ratios = []
        for line in out.stdout.split("\n"):
            if line.count(" ") != 4:
                continue
            case, hvp, per_input, directional, compositions = line.split()
            ratio = float(directional) / int(compositions) / (float(hvp) / int(per_input))
            ratios.append(ratio)
            print(
                f"{fw:<10}  {case:<24}  hvp {float(hvp) * 1e3:8.2f} ms / {per_input}  directional "
                f"{float(directional) * 1e3:8.2f} ms / {compositions}  = {ratio:5.2f}x per composition",
                flush=True,
            )
        mean = math.exp(statistics.mean(map(math.log, ratios)))
        print(f"{fw:<10}  geometric mean {mean:.2f}x per composition (goal: at most {GOAL:g}x)", flush=True)


if __name__ == "__main__":
    main()
