"""Bad input never takes down the run: every hostile file is one error naming file and line, the run exits 2,
and the good case beside them still runs, within bounded time and memory.

All hostile files share one folder with one good case and one `conformance run` (torch, float64), under a
4 GiB address-space limit and a timeout; each file is then one test item reading that run's stderr and report.
"""

from __future__ import annotations

import json
import os
import random
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import REPO, installed

ADDRESS_SPACE = 4 << 30  # what the run may map, children included (a billion-laughs expansion took 3.5 GB)
TIMEOUT = 240.0  # seconds for the whole run: the good case alone takes about 10 s (importing torch)
MEMORY = 1 << 30  # the largest process's peak resident memory


def case(case_id: str, body: str, kind: str = "grad") -> bytes:
    """A case whose header takes lines 1-4, so that `body` starts on line 5."""
    return f"id: {case_id}\nkind: {kind}\ntitle: t\nwhy: w\n{body}".encode()


def laughs(values: str, levels: int = 9) -> bytes:
    """Nine anchors, each a list of nine aliases of the one before, inside `inputs` (the first on line 7)."""
    lines = [f"  l0: &l0 [{', '.join([values] * 9)}]"]
    lines += [f"  l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]" for i in range(1, levels)]
    return case("laughs", "function: l0\ninputs:\n" + "\n".join(lines) + "\n")


def nested(depth: int) -> str:
    return "[" * depth + "1" + "]" * depth


@dataclass(frozen=True)
class Hostile:
    name: str
    content: bytes | None  # None: made by `special`
    line: int | None  # None: wherever the first bad byte falls (random bytes)
    fragment: str


GOOD = case("good-neighbour", "inputs: {a: 2.0}\nfunction: a*a\nexpected:\n  a: {value: 4, why: 2a}\n")
TEN_THOUSAND = [f"x{i}" for i in range(10_000)]

TABLE = [
    # the expression checker
    Hostile(
        "axis-inf.yaml",
        case("axis-inf", "inputs: {a: [1, 2]}\nfunction: sum(a, inf)\n"),
        6,
        "an axis of sum() other than an integer literal",
    ),
    Hostile(
        "axis-nan.yaml",
        case("axis-nan", "inputs: {a: [1, 2]}\nfunction: sum(a, nan)\n"),
        6,
        "an axis of sum() other than an integer literal",
    ),
    Hostile(
        "int-1e309.yaml",
        case("int-1e309", "inputs: {a: 1}\nfunction: a * 1" + "0" * 309 + "\n"),
        6,
        "beyond float64's range",
    ),
    Hostile(
        "hex-400-digits.yaml",
        case("hex-400", "inputs: {a: 1}\nfunction: a * 0x" + "f" * 400 + "\n"),
        6,
        "beyond float64's range",
    ),
    Hostile(
        "yaml-int-400-digits.yaml",
        case("yaml-int", "inputs: {a: [1" + "0" * 400 + "]}\nfunction: a\n"),
        5,
        "beyond float64's range",
    ),
    Hostile(
        "chain-1000.yaml",
        case("chain-1000", "inputs: {a: 1}\nfunction: a" + "+a" * 1000 + "\n"),
        6,
        "nested more than 100 levels deep",
    ),
    Hostile(
        "chain-100000.yaml",
        case("chain-100000", "inputs: {a: 1}\nfunction: a" + "+a" * 100_000 + "\n"),
        6,
        "nested more than 100 levels deep",
    ),
    Hostile(
        "minus-1000.yaml",
        case("minus-1000", "inputs: {a: 1}\nfunction: " + "-" * 1000 + "a\n"),
        6,
        "nested more than 100 levels deep",
    ),
    Hostile(
        "minus-100000.yaml",
        case("minus-100000", "inputs: {a: 1}\nfunction: " + "-" * 100_000 + "a\n"),
        6,
        "nested more than 100 levels deep",
    ),
    Hostile(
        "inputs-330-deep.yaml",
        case("deep-inputs", f"inputs: {{a: {nested(330)}}}\nfunction: a\n"),
        5,
        "nested deeper than 32 levels",
    ),
    Hostile(
        "big-intermediate.yaml",
        case(
            "big-intermediate",
            "inputs: {a: [" + ", ".join(["1"] * 2000) + "]}\nfunction: sum(matmul(matrix_transpose([a]), [a]))\n",
        ),
        6,
        "larger than the limit of 1,000,000 elements",
    ),
    # the file itself
    Hostile("yaml-2000-deep.yaml", nested(2000).encode(), 1, "nested deeper than 32 levels"),
    Hostile(
        "latin1-comment.yaml",
        case("latin1", "# caf\xe9 au lait\ninputs: {a: 1}\nfunction: a\n").replace(b"\xc3\xa9", b"\xe9"),
        5,
        "not UTF-8: byte 0xe9 at column 6",
    ),
    Hostile("random-bytes.yaml", random.Random(12).randbytes(4096), None, "not UTF-8"),
    Hostile(
        "utf16-bom.yaml", GOOD.decode().replace("good-neighbour", "utf16").encode("utf-16"), 1, "not UTF-8 but UTF-16"
    ),
    Hostile("nul-byte.yaml", case("nul", "inputs: {a: 1}\nfunction: a\x00\n"), 6, "is not allowed in YAML"),
    Hostile(
        "month-13.yaml",
        case("month-13", "inputs: {a: 1}\nfunction: a\ntags: [2001-13-45]\n"),
        7,
        "cannot read this value: month must be in 1..12",
    ),
    Hostile(
        "yaml-int-5000-digits.yaml", case("int-5000", "samples: 1" + "0" * 5000 + "\n"), 5, "cannot read this value"
    ),
    Hostile(
        "two-documents.yaml",
        GOOD.replace(b"good-neighbour", b"doc-1") + b"---\n" + GOOD,
        9,
        "expected a single document in the stream, but found another document",
    ),
    Hostile(
        "duplicate-key.yaml",
        case("duplicate-key", "inputs: {a: 1}\nfunction: a\nfunction: a*a\n"),
        7,
        "duplicate key 'function' (first at line 6)",
    ),
    Hostile("too-big.yaml", b"# padding\n" * 120_000, 1, "larger than 1,048,576 bytes, the limit for a case file"),
    Hostile("fifo.yaml", None, 1, "not a regular file but a named pipe"),
    Hostile("dev-zero.yaml", None, 1, "not a regular file but a character device"),
    # aliases
    Hostile("billion-laughs.yaml", laughs("1"), 12, "more than 100,000 values once aliases are expanded"),
    Hostile(
        "laughs-in-bytes.yaml",
        laughs(repr("x" * 1000), levels=4),
        10,
        "more than 4,194,304 bytes of text once aliases are expanded",
    ),
    Hostile(
        "alias-cycle.yaml", case("cycle", "function: a\ninputs: &x {a: *x}\n"), 6, "an alias inside its own anchor"
    ),
    # what the NumPy reference would raise on
    Hostile(
        "cotangent-shape.yaml",
        case("cotangent-shape", "inputs: {a: [1, 2, 3]}\nfunction: a*a\ncotangent: [1, 1]\n", kind="vjp"),
        7,
        "the cotangent has shape (2,), the function's output shape (3,)",
    ),
    Hostile(
        "expected-shape.yaml",
        case(
            "expected-shape", "inputs: {a: [1, 2, 3]}\nfunction: sum(a*a)\nexpected:\n  a: {value: [2, 4], why: 2a}\n"
        ),
        8,
        "shape (2,) where the gradient of 'a' has shape (3,)",
    ),
    Hostile(
        "expected-index.yaml",
        case(
            "expected-index", "inputs: {a: [1, 2, 3]}\nfunction: sum(a*a)\nexpected:\n  a: {value: '2*a[5]', why: 2a}\n"
        ),
        8,
        "index 5 is out of range for a value of shape (3,)",
    ),
    # version ranges, wherever they are
    Hostile(
        "versions-divergence.yaml",
        case(
            "versions-divergence",
            "inputs: {a: 1}\nfunction: a\ndivergences:\n"
            "  - {framework: jax, versions: oops, issue: 'https://e.org', why: w}\n",
        ),
        8,
        "divergences.0.versions: not a PEP 440 version range: 'oops'",
    ),
    Hostile(
        "versions-convention.yaml",
        case(
            "versions-convention",
            "inputs: {a: 1}\nfunction: a\nexpected:\n  a:\n"
            "    value: 1\n    why: w\n    conventions:\n      jax: {value: 2, why: w,"
            " link: 'https://e.org/1', versions: oops}\n",
        ),
        12,
        "expected.a.conventions.jax.versions: not a PEP 440 version range: 'oops'",
    ),
    Hostile(
        "versions-outcome.yaml",
        case(
            "versions-outcome",
            "scenario: s\noutcomes:\n  jax: {outcome: ok, why: w, versions: oops}\n",
            kind="behaviour",
        ),
        7,
        "outcomes.jax.versions: not a PEP 440 version range: 'oops'",
    ),
    # cases too large to run
    Hostile(
        "ten-thousand-inputs.yaml",
        case(
            "ten-thousand",
            "inputs: {"
            + ", ".join(f"{x}: 1" for x in TEN_THOUSAND)
            + "}\nfunction: sum(["
            + ", ".join(TEN_THOUSAND)
            + "])\n",
        ),
        5,
        "above the limit of 1e+09 per case",
    ),
    Hostile(
        "billion-samples.yaml",
        case(
            "billion-samples",
            "family: Normal\nparams: {loc: 0.0, scale: 1.0}\nsamples: 1000000000\nexpected: {}\n",
            kind="reparam",
        ),
        7,
        "1,000,000,000 samples of 1 elements make 1,000,000,000 elements, above the limit of 1,000,000",
    ),
]


def write(folder: Path) -> None:
    (folder / "good.yaml").write_bytes(GOOD)
    for hostile in TABLE:
        path = folder / hostile.name
        if hostile.name == "fifo.yaml":
            os.mkfifo(path)
        elif hostile.name == "dev-zero.yaml":
            path.symlink_to("/dev/zero")
        else:
            assert hostile.content is not None
            path.write_bytes(hostile.content)


@dataclass(frozen=True)
class Run:
    folder: Path
    returncode: int
    stderr: str
    report: dict
    seconds: float
    peak_bytes: int


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


# Linux starts a process's peak RSS at its parent's when it forks and execs (the old mm's high-water mark is
# kept at exec), so a run forked from a pytest that has imported frameworks would report pytest's size. A small
# launcher, itself a fresh process, runs the command and reports that child's peak through wait4.
LAUNCHER = """
import os, subprocess, sys
child = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(child.pid, 0)
open(sys.argv[1], "w").write(str(usage.ru_maxrss * 1024))
sys.exit(os.waitstatus_to_exitcode(status))
"""


def run_bounded(args: list[str], folder: Path) -> tuple[int, str, float, int]:
    """Run under the address-space limit and the timeout: exit code, stderr, seconds and the peak resident memory
    of the largest process (from wait4, which counts the run's own workers)."""
    started = time.monotonic()
    peak = folder / "peak.txt"
    with open(folder / "stderr.txt", "w+") as err:
        process = subprocess.Popen(
            [sys.executable, "-c", LAUNCHER, str(peak), *args],
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=err,
            preexec_fn=_limit_memory,
            start_new_session=True,
        )
        try:
            returncode = process.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            process.wait()
            pytest.fail(f"the run took more than {TIMEOUT:g} s")
        err.seek(0)
        return returncode, err.read(), time.monotonic() - started, int(peak.read_text())


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    if not installed("torch"):
        pytest.skip("torch not installed")
    folder = tmp_path_factory.mktemp("hostile")
    cases = folder / "cases"
    cases.mkdir()
    write(cases)
    report = folder / "r.json"
    code, stderr, seconds, peak = run_bounded(
        [
            sys.executable,
            "-m",
            "conformance",
            "run",
            str(cases),
            "--framework",
            "torch",
            "--dtype",
            "float64",
            "--report",
            str(report),
            "--quiet",
        ],
        folder,
    )
    print(f"hostile run: {seconds:.1f} s, peak resident memory {peak / 2**20:.0f} MiB")
    data = json.loads(report.read_text()) if report.exists() else {}
    return Run(cases, code, stderr, data, seconds, peak)


def test_the_run_exits_2_in_bounded_time_and_memory_and_runs_the_good_case(hostile_run: Run):
    assert hostile_run.returncode == 2, hostile_run.stderr[-3000:]
    assert "Traceback" not in hostile_run.stderr
    jobs = [(j["case"], j["framework"], j["dtype"], j["verdict"]) for j in hostile_run.report["jobs"]]
    assert jobs == [("good-neighbour", "torch", "float64", "pass")]
    assert hostile_run.seconds < TIMEOUT and hostile_run.peak_bytes < MEMORY


def test_the_report_lists_every_hostile_file(hostile_run: Run):
    named = {Path(e["file"]).name for e in hostile_run.report["load_errors"]}
    assert named == {h.name for h in TABLE}


@pytest.mark.parametrize("hostile", TABLE, ids=[h.name for h in TABLE])
def test_each_hostile_file_is_an_error_naming_file_and_line(hostile_run: Run, hostile: Hostile):
    prefix = f"load error: {hostile_run.folder / hostile.name}:"
    lines = [line for line in hostile_run.stderr.splitlines() if line.startswith(prefix)]
    assert lines, f"{hostile.name} not named in stderr"
    wanted = prefix + (f"{hostile.line}: " if hostile.line is not None else "")
    assert any(line.startswith(wanted) and hostile.fragment in line for line in lines), lines
    assert all(len(line) < 1000 for line in lines)  # a message quotes no 100,000-character expression
