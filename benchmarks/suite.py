"""Benchmarks, each figure a ratio against a peer measured in the same run, each with its goal (issue 10).

1. The suite against the ideal: per framework, a fresh process imports it (its
   start-up) and makes the adapter's gradient calls for all its jobs (its work),
   with no loader, oracle, comparison, report or worker management. Work is CPU
   time over all the process's threads, in core-seconds: alone on 2 cores, JAX
   spends about 1.5 of them (XLA compiles and runs on several threads), so its
   wall time would understate what the cores must do. The ideal is the
   frameworks' work spread evenly over the cores plus one start-up:
   sum(work) / cores + max(start-up). Goal: within 1.15x. Also against the
   slowest framework alone (its start-up and wall time).
2. A warm run (JAX's compilation cache filled by the run before) against a cold
   one (an empty cache). Goal: at most 0.5x.
3. The cost of one check (gradient + oracle + verdict) of the seed cases against
   torch.autograd.gradcheck (goal: at most 0.5x) and jax.test_util.check_grads
   in rev mode (goal: at most 1.0x) on the same functions and inputs.
4. 1,000 generated cases (float64) on all three frameworks against the same on
   torch alone. Goal: within 4x.
5. The JAX worker's memory after 2,000 distinct jobs against after 100. Goal:
   flat, within 10%.
6. The oracle (Richardson extrapolation) against the plain central difference
   with a D(2h) check it replaced: the largest error bound on the seed cases
   (goal: at most 1e-11) and the cost per case (goal: at most 2x).

Run: .venv/bin/python benchmarks/suite.py [CASES] [--only oracle|check|suite|generated|memory]
(or `make bench`; about 20 minutes on 2 idle cores: run nothing else meanwhile, as every figure is a time)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))
import generated  # noqa: E402

FRAMEWORKS = ("torch", "tensorflow", "jax")
SEED = REPO / "conformance" / "cases" / "vjp" / "seed.yaml"

FLOOR = """
import sys, time
from conformance import adapters, kinds, loader, runner
cases = [c.case for c in loader.load([sys.argv[2]])[0]]
jobs = runner.plan(cases, [sys.argv[1]])
started = time.perf_counter()
adapter = adapters.load(adapters.BUILTIN[sys.argv[1]])
loaded, cpu = time.perf_counter(), time.process_time()
for job in jobs:
    try:
        kinds.compute(job.case, adapter, job.dtype)
    except Exception:
        pass
print(loaded - started, time.perf_counter() - loaded, time.process_time() - cpu)
"""

MEMORY = """
import sys
from conformance import adapters, kinds, loader, runner
def rss():
    return next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmRSS:")) / 1024
cases = [c.case for c in loader.load([sys.argv[1]])[0]]
jobs = runner.plan(cases, ["jax"])
adapter = adapters.load(adapters.BUILTIN["jax"])
marks = {}
for i, job in enumerate(jobs, 1):
    kinds.compute(job.case, adapter, job.dtype)
    if i in (100, len(jobs)):
        marks[i] = rss()
print(len(jobs), marks[100], marks[len(jobs)])
"""


def conformance(*args: str, env: dict[str, str] | None = None) -> float:
    """Seconds of one `conformance run`, as a user starts it."""
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "conformance", "run", "--quiet", *args],
        cwd=REPO,
        check=False,
        capture_output=True,
        env={**os.environ, **(env or {})},
    )
    return time.perf_counter() - started


def suite_against_ideal(cases: str) -> dict[str, float]:
    start, alone, work = {}, {}, {}
    for fw in FRAMEWORKS:
        out = subprocess.run(
            [sys.executable, "-c", FLOOR, fw, cases],
            cwd=REPO,
            capture_output=True,
            text=True,
            env={**os.environ, "XDG_CACHE_HOME": tempfile.mkdtemp()},
        )
        start[fw], alone[fw], work[fw] = map(float, out.stdout.split()[-3:])
    cores = len(os.sched_getaffinity(0))
    ideal = sum(work.values()) / cores + max(start.values())
    slowest = max(FRAMEWORKS, key=lambda fw: start[fw] + alone[fw])
    with tempfile.TemporaryDirectory() as tmp:
        cache = {"XDG_CACHE_HOME": tmp}
        cold = conformance(cases, "--report", f"{tmp}/r.json", env=cache)
        warm = conformance(cases, "--report", f"{tmp}/r.json", env=cache)
        jobs = len(json.loads(Path(f"{tmp}/r.json").read_text())["jobs"])
    return {
        "jobs": jobs,
        "cores": cores,
        **{f"{fw}_startup_s": start[fw] for fw in FRAMEWORKS},
        **{f"{fw}_alone_s": alone[fw] for fw in FRAMEWORKS},
        **{f"{fw}_work_cpu_s": work[fw] for fw in FRAMEWORKS},
        "ideal_s": ideal,
        "suite_cold_s": cold,
        "suite_over_ideal": cold / ideal,
        "slowest_alone_s": start[slowest] + alone[slowest],
        "suite_over_slowest_alone": cold / (start[slowest] + alone[slowest]),
        "suite_warm_s": warm,
        "warm_over_cold": warm / cold,
    }


def per_check() -> dict[str, float]:
    """Median seconds per check of the seed functions: ours against gradcheck and check_grads."""
    from conformance import kinds, loader, verdicts
    from conformance.adapters import BUILTIN, Adapter, load

    cases = {c.case.id: c.case for c in loader.load([SEED])[0]}
    results: dict[str, float] = {}
    for fw in ("torch", "jax"):
        adapter = load(BUILTIN[fw])

        def ours(fw: str = fw, adapter: Adapter = adapter) -> None:
            for case in cases.values():
                job = verdicts.Job(case, fw, "float64", kinds.compute(case, adapter, "float64"))
                assert verdicts.judge([job])[0].verdict == "pass"

        results[f"ours_{fw}_ms"] = _median_ms(ours)

    import torch

    inputs = [
        torch.tensor(v, dtype=torch.float64, requires_grad=True)
        for v in ([1.0, 2.0, 3.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0])
    ]
    scalars = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (0.1, 1.0, 0.1)]
    seed = lambda a, b, c: 3 * a + 2 * b * b + torch.log(c)
    results["gradcheck_ms"] = _median_ms(
        lambda: (torch.autograd.gradcheck(seed, inputs), torch.autograd.gradcheck(seed, scalars))
    )

    import jax
    import jax.numpy as jnp
    from jax.test_util import check_grads

    jax.config.update("jax_enable_x64", True)
    args = [jnp.array(v, jnp.float64) for v in ([1.0, 2.0, 3.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0])]
    jseed = lambda a, b, c: 3 * a + 2 * b * b + jnp.log(c)
    results["check_grads_ms"] = _median_ms(
        lambda: (
            check_grads(jseed, args, order=1, modes=["rev"]),
            check_grads(jseed, [jnp.float64(x) for x in (0.1, 1.0, 0.1)], order=1, modes=["rev"]),
        )
    )
    assert len(cases) == 2  # both seed cases, in every measurement
    results["ours_torch_over_gradcheck"] = results["ours_torch_ms"] / results["gradcheck_ms"]
    results["ours_jax_over_check_grads"] = results["ours_jax_ms"] / results["check_grads_ms"]
    return results


def generated_against_torch(count: int = 1000) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        path = str(generated.write(Path(tmp), count))
        cache = {"XDG_CACHE_HOME": tmp}  # a cold compilation cache
        everyone = conformance(path, "--dtype", "float64", env=cache)
        torch_alone = conformance(path, "--dtype", "float64", "--framework", "torch", env=cache)
    return {
        "generated_cases": count,
        "generated_all_s": everyone,
        "generated_torch_s": torch_alone,
        "generated_all_over_torch": everyone / torch_alone,
    }


def memory(count: int = 1000) -> dict[str, float]:
    """RSS of a JAX worker after 100 jobs and after all (both dtypes of `count` generated cases)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = str(generated.write(Path(tmp), count, seed=1))
        out = subprocess.run(
            [sys.executable, "-c", MEMORY, path],
            cwd=REPO,
            capture_output=True,
            text=True,
            env={**os.environ, "XDG_CACHE_HOME": tmp},
        )
    jobs, at_100, at_all = out.stdout.split()[-3:]
    return {
        "memory_jobs": int(jobs),
        "jax_rss_100_mb": float(at_100),
        "jax_rss_all_mb": float(at_all),
        "jax_rss_all_over_100": float(at_all) / float(at_100),
    }


def central(f: Callable, at: dict[str, np.ndarray]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The oracle's previous scheme, the peer: D(h) with h = eps**(1/3) scale, bound |D(h) - D(2h)| + rounding."""
    eps, out = 2.0**-52, {}
    for name, x in at.items():
        x = np.asarray(x, np.float64)
        grad, bound = np.zeros_like(x), np.zeros_like(x)
        for e in np.ndindex(x.shape):
            h = eps ** (1 / 3) * max(abs(x[e]), 1e-3)

            def shifted(step: float, x: np.ndarray = x, e: tuple = e, name: str = name) -> float:
                moved = x.copy()
                moved[e] += step
                return float(np.sum(f({**at, name: moved})))

            plus, minus = shifted(h), shifted(-h)
            grad[e] = (plus - minus) / (2 * h)
            d2 = (shifted(2 * h) - shifted(-2 * h)) / (4 * h)
            bound[e] = abs(grad[e] - d2) + 4 * eps * max(abs(plus), abs(minus)) / h
        out[name] = (grad, bound)
    return out


def oracle_against_central() -> dict[str, float]:
    from conformance import loader, oracle
    from conformance.kinds.base import values
    from conformance.kinds.function import FunctionCase, weighted_terms

    results: dict[str, float] = {}
    for scheme, differences in (("richardson", oracle.finite_differences), ("central", central)):
        worst, seconds = 0.0, 0.0
        for loaded in loader.load([SEED])[0]:
            case = loaded.case
            assert isinstance(case, FunctionCase)
            inputs = values(case, "inputs", case.inputs)
            f = weighted_terms(case)  # the terms of the weighted sum, as the suite hands them to the oracle

            def check(f: Callable = f, inputs: dict = inputs, differences: Callable = differences) -> object:
                return differences(f, inputs)

            worst = max(worst, *(float(np.max(b)) for _, b in differences(f, inputs).values()))
            seconds += _median_ms(check, repeats=50) / 1000
        results[f"oracle_{scheme}_bound"], results[f"oracle_{scheme}_ms"] = worst, seconds * 1000
    results["oracle_bound_ratio"] = results["oracle_richardson_bound"] / results["oracle_central_bound"]
    results["oracle_cost_ratio"] = results["oracle_richardson_ms"] / results["oracle_central_ms"]
    return results


def _median_ms(fn: Callable[[], object], repeats: int = 30) -> float:
    fn()  # warm: compile and cache once, as every repeated check would
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description="The benchmarks of the module docstring, each a ratio.")
    parser.add_argument(
        "cases",
        nargs="?",
        default=str(REPO / "conformance" / "cases"),
        help="the cases the suite figures run (default: the library)",
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=["oracle", "check", "suite", "generated", "memory"],
        help="run only these figures (repeatable; default: all)",
    )
    args = parser.parse_args()
    measures: dict[str, Callable[[], dict[str, float]]] = {
        "oracle": oracle_against_central,
        "check": per_check,
        "suite": lambda: suite_against_ideal(args.cases),
        "generated": generated_against_torch,
        "memory": memory,
    }
    for key, measure in measures.items():
        if args.only and key not in args.only:
            continue
        for name, value in measure().items():
            print(
                f"{name.ljust(28)}  {value:.4g}" if isinstance(value, float) else f"{name.ljust(28)}  {value}",
                flush=True,
            )


if __name__ == "__main__":
    main()
