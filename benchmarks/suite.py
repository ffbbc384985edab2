"""Benchmarks, each figure a ratio against a peer measured in the same run.

1. The whole suite against its floor. The floor is what no runner can beat:
   for each framework, a fresh process that imports it and makes the
   adapter's gradient calls for all that framework's jobs, one after another,
   with no loader, oracle, comparison, report or worker management; the
   slowest framework's time is the floor (workers run in parallel).
   Goal: `conformance run` within 1.5x of the floor.
2. The cost of one check (gradient + oracle + verdict) on the seed functions,
   against torch.autograd.gradcheck and jax.test_util.check_grads (rev mode)
   on the same functions and inputs. Goal: no dearer than gradcheck.

Run: .venv/bin/python benchmarks/suite.py [CASES]   (or `make bench`)
"""
from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FRAMEWORKS = ("torch", "tensorflow", "jax")

FLOOR = """
import sys, time
started = time.perf_counter()
from conformance import adapters, kinds, loader, runner
cases = [c.case for c in loader.load([sys.argv[2]])[0]]
adapter = adapters.load(adapters.BUILTIN[sys.argv[1]])
for job in runner.plan(cases, [sys.argv[1]]):
    kinds.compute(job.case, adapter, job.dtype)
print(time.perf_counter() - started)
"""


def wall(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=REPO, check=False, capture_output=True)
    return time.perf_counter() - started


def suite_against_floor(cases: str) -> dict[str, float]:
    floors = {}
    for fw in FRAMEWORKS:
        out = subprocess.run([sys.executable, "-c", FLOOR, fw, cases], cwd=REPO, capture_output=True, text=True)
        floors[fw] = float(out.stdout.strip().splitlines()[-1]) if out.returncode == 0 else float("nan")
    with tempfile.TemporaryDirectory() as tmp:
        suite = wall([sys.executable, "-m", "conformance", "run", cases, "--quiet", "--report", f"{tmp}/r.json"])
        jobs = len(json.loads(Path(f"{tmp}/r.json").read_text())["jobs"])
    floor = max(floors.values())
    return {"jobs": jobs, "suite_s": suite, **{f"floor_{fw}_s": t for fw, t in floors.items()},
            "floor_s": floor, "suite_over_floor": suite / floor}


def per_check() -> dict[str, float]:
    """Median seconds per check of the seed functions: ours against gradcheck and check_grads."""
    from conformance import kinds, loader, verdicts
    from conformance.adapters import BUILTIN, Adapter, load

    cases = {c.case.id: c.case for c in loader.load([REPO / "conformance" / "cases" / "vjp" / "seed.yaml"])[0]}
    results: dict[str, float] = {}
    for fw in ("torch", "jax"):
        adapter = load(BUILTIN[fw])

        def ours(fw: str = fw, adapter: Adapter = adapter) -> None:
            for case in cases.values():
                job = verdicts.Job(case, fw, "float64", kinds.compute(case, adapter, "float64"))
                assert verdicts.judge([job])[0].verdict == "pass"

        results[f"ours_{fw}_ms"] = _median_ms(ours)

    import torch

    inputs = [torch.tensor(v, dtype=torch.float64, requires_grad=True)
              for v in ([1.0, 2.0, 3.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0])]
    scalars = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (0.1, 1.0, 0.1)]
    seed = lambda a, b, c: 3 * a + 2 * b * b + torch.log(c)
    results["gradcheck_ms"] = _median_ms(lambda: (torch.autograd.gradcheck(seed, inputs),
                                                  torch.autograd.gradcheck(seed, scalars)))

    import jax
    import jax.numpy as jnp
    from jax.test_util import check_grads

    jax.config.update("jax_enable_x64", True)
    args = [jnp.array(v, jnp.float64) for v in ([1.0, 2.0, 3.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0])]
    jseed = lambda a, b, c: 3 * a + 2 * b * b + jnp.log(c)
    results["check_grads_ms"] = _median_ms(lambda: (check_grads(jseed, args, order=1, modes=["rev"]),
                                                    check_grads(jseed, [jnp.float64(x) for x in (0.1, 1.0, 0.1)],
                                                                order=1, modes=["rev"])))
    assert len(cases) == 2  # both seed cases, in every measurement
    results["ours_torch_over_gradcheck"] = results["ours_torch_ms"] / results["gradcheck_ms"]
    results["ours_jax_over_check_grads"] = results["ours_jax_ms"] / results["check_grads_ms"]
    return results


def _median_ms(fn, repeats: int = 30) -> float:
    fn()  # warm: compile and cache once, as every repeated check would
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def main() -> None:
    cases = sys.argv[1] if len(sys.argv) > 1 else str(REPO / "conformance" / "cases")
    figures = {**suite_against_floor(cases), **per_check()}
    width = max(map(len, figures))
    for name, value in figures.items():
        print(f"{name.ljust(width)}  {value:.3f}" if isinstance(value, float) else f"{name.ljust(width)}  {value}")


if __name__ == "__main__":
    main()
