"""The reference site of the whole library (issue 21): `conformance docs` on a report of every case.

1. A cold build (an empty --out) with a process per core, against the same build in one process (the peer,
   measured in the same run). Goal: the whole site in at most 180 s on 2 cores.
2. Its figures: the time drawing them, in parallel and in the serial peer.
3. A rebuild from the same report into the same folder: no figure is drawn again and no page read again.
   Goal: at most 0.5x the cold build.

Each build runs in a fresh process and does what `conformance docs --report R --out D` does (read the report,
load the cases, generate), timed as a whole and per stage, in wall seconds and in core-seconds (its processes' CPU
time): on a machine shared with other work the wall time grows, the core-seconds hardly.

Run: .venv/bin/python benchmarks/docs.py [REPORT] (default out/report.json, made by `conformance run` when it is
missing; or `make bench`). Every figure is a time: run nothing else meanwhile.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
GOAL_SECONDS = 180.0

BUILD = """
import json, sys, time
from conformance import loader, report
from conformance.docs import build, site
spent = {}
def timed(module, name):
    original = getattr(module, name)
    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            spent[name] = spent.get(name, 0.0) + time.perf_counter() - started
    setattr(module, name, wrapper)
timed(site, "_draw")
timed(build, "html")
started = time.perf_counter()
result = report.read(sys.argv[1])
cases, _ = loader.load(loader.default_paths())
site.generate(result, cases, sys.argv[2], int(sys.argv[3]))
print(json.dumps({"total": time.perf_counter() - started, "figures": spent["_draw"], "sphinx": spent["html"]}))
"""


def _cpu() -> float:
    """Core-seconds of this process's finished children and theirs (the build and its pool and Sphinx workers)."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def build(report: Path, out: Path, workers: int) -> dict[str, float]:
    """One build in a fresh process: its seconds in all, drawing figures and in Sphinx (the rest: reading the
    report and cases, gathering and writing the pages), and its core-seconds."""
    before = _cpu()
    done = subprocess.run(
        [sys.executable, "-c", BUILD, str(report), str(out), str(workers)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    return {**json.loads(done.stdout.strip().splitlines()[-1]), "cpu": _cpu() - before}


def _line(name: str, t: dict[str, float]) -> str:
    rest = t["total"] - t["figures"] - t["sphinx"]
    return (
        f"  {name:<28} {t['total']:7.1f} s  (figures {t['figures']:6.1f} s, sphinx {t['sphinx']:6.1f} s, "
        f"rest {rest:5.1f} s); {t['cpu']:6.1f} core-s"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", nargs="?", default=str(REPO / "out" / "report.json"))
    report = Path(parser.parse_args().report)
    if not report.is_file():
        subprocess.run(
            [sys.executable, "-m", "conformance", "run", "--quiet", "--report", str(report)], cwd=REPO, check=False
        )  # failures are results the pages show
    cores = os.cpu_count() or 1
    load = os.getloadavg()[0]  # other work on the machine: it shows in the wall times
    with tempfile.TemporaryDirectory() as tmp:
        serial = build(report, Path(tmp) / "serial", 1)
        cold = build(report, Path(tmp) / "site", cores)
        warm = build(report, Path(tmp) / "site", cores)
        pages = len(list((Path(tmp) / "site" / "cases").glob("*.html")))
    print(
        f"docs of {report} ({pages} case pages), {cores} cores, load average {load:.1f} before, "
        f"{os.getloadavg()[0]:.1f} after:"
    )
    print(_line("serial (1 process)", serial))
    print(_line(f"cold ({cores} processes)", cold))
    print(_line("rebuild, same report", warm))
    met = "met" if cold["total"] <= GOAL_SECONDS else "MISSED"
    print(
        f"  cold: {cold['total']:.1f} s, goal <= {GOAL_SECONDS:.0f} s: {met}; {cold['total'] / serial['total']:.2f}x "
        f"the serial build, its figures {cold['figures'] / serial['figures']:.2f}x"
    )
    print(
        f"  rebuild: {warm['total'] / cold['total']:.2f}x the cold build, goal <= 0.5x: "
        f"{'met' if warm['total'] <= 0.5 * cold['total'] else 'MISSED'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
