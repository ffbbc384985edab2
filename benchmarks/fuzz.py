"""The fuzzer's measured goals (issue 11), each against its peer measured in the same run.

1. Throughput: expressions checked per second on all three frameworks in float64 (drawn, run, judged, filtered,
   shrunk and written: the whole loop, start-up included), against the goal of 30, and against the same loop on
   torch alone (the cheapest framework: what the other two add).
2. Findings: a run of `--findings-seconds` (default 600) from seed 0, all frameworks, both dtypes: its distinct
   findings, new and known, and the files written under out/bench-fuzz/ for review by hand.

Run: .venv/bin/python benchmarks/fuzz.py [--seconds 60] [--findings-seconds 600] [--only throughput|findings]
(about 13 minutes; run nothing else meanwhile, as every figure is a time)
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from conformance import adapters
from conformance.fuzz import Options, fuzz
from conformance.fuzz.report import FuzzReport

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "out" / "bench-fuzz"
GOAL = 30.0


def timed(seconds: float, seed: int, frameworks: list[str], dtypes: tuple[str, ...], out: Path) -> FuzzReport:
    shutil.rmtree(out, ignore_errors=True)
    return fuzz(
        Options(out=out, seconds=seconds, seed=seed, frameworks=frameworks, dtypes=dtypes), adapters.available()
    )


def throughput(seconds: float) -> None:
    every = timed(seconds, 1, ["torch", "tensorflow", "jax"], ("float64",), OUT / "throughput")
    alone = timed(seconds, 1, ["torch"], ("float64",), OUT / "throughput-torch")
    rate, peer = every.expressions_per_second, alone.expressions_per_second
    print(
        f"throughput: {every.expressions} expressions in {every.seconds:.0f} s on all three, float64: "
        f"{rate:.1f}/s ({rate / GOAL:.2f}x the goal of {GOAL:g}/s: {'met' if rate >= GOAL else 'MISSED'}); "
        f"torch alone {peer:.1f}/s ({rate / peer:.2f}x)"
    )


def findings(seconds: float) -> None:
    report = timed(seconds, 0, ["torch", "tensorflow", "jax"], ("float32", "float64"), OUT / "found")
    (OUT / "findings.json").write_text(report.model_dump_json(indent=1) + "\n")
    print(
        f"findings: {report.expressions} expressions in {report.seconds:.0f} s from seed 0: "
        f"{len(report.findings)} distinct, {len(report.new)} new, {len(report.findings) - len(report.new)} known; "
        f"written under {OUT / 'found'}, the report in {OUT / 'findings.json'}"
    )
    for f in report.findings:
        print(f"  {'new  ' if f.new else 'known'} {f.signature} ({f.dtype}, {f.count} trials) {f.case['function']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--findings-seconds", type=float, default=600.0)
    parser.add_argument("--only", choices=("throughput", "findings"))
    args = parser.parse_args()
    if args.only in (None, "throughput"):
        throughput(args.seconds)
    if args.only in (None, "findings"):
        findings(args.findings_seconds)


if __name__ == "__main__":
    main()
