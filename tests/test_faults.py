"""Faults (issue 12 §2): a killed run leaves no process; an interrupted run reports what finished, marked partial;
the NumPy reference runs in a worker of its own, where a failure is its case's error; workers' output goes to logs.

The runner is tested with the NumPy fake adapters (tests/fake_adapter.py), never a framework check, except the
last test, which checks references from a real framework's own samples with torch.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conformance import loader, report, runner, verdicts
from conformance.kinds.base import RUNAWAY_FLOOR
from tests.conftest import REPO, installed

FAKE = "tests.fake_adapter:FakeAdapter"
BLIND = {"blind": "tests.fake_adapter:BlindAdapter"}
linux = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc; PR_SET_PDEATHSIG is Linux's")

# in order on one worker: a pass, an error (needs no reference), then a job that hangs, and one never reached
HANGING = """
- {id: ok-one, kind: grad, title: t, why: w, inputs: {a: 2.0}, function: a*a, dtypes: [float64],
   expected: {a: {value: 4, why: 2a}}}
- {id: raise, kind: grad, title: t, why: w, inputs: {a: 15.0}, function: a, dtypes: [float64]}
- {id: hang, kind: grad, title: t, why: w, inputs: {a: 14.0}, function: a, dtypes: [float64]}
- {id: never, kind: grad, title: t, why: w, inputs: {a: 3.0}, function: a*a, dtypes: [float64]}
"""


def start_run(tmp_path: Path, *args: str) -> tuple[subprocess.Popen, Path]:
    """`conformance run` on HANGING with the fake adapter, returned once its worker is inside the hanging job."""
    cases = tmp_path / "cases.yaml"
    cases.write_text(HANGING, encoding="utf-8")
    hanging = tmp_path / "hanging"
    code = (
        f"import sys, conformance.adapters as a; a.available = lambda: {{'fake': {FAKE!r}}}\n"
        "from conformance.cli import main; raise SystemExit(main(sys.argv[1:]))"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", code, "run", str(cases), *args],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(REPO), "FAKE_ADAPTER_HANGING": str(hanging)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 300
    while not hanging.exists():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the worker never reached the hanging job"
        time.sleep(0.05)
    return process, tmp_path


def children(pid: int) -> set[int]:
    """The processes whose parent is `pid` (workers and multiprocessing's resource tracker)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


def alive(pids: set[int]) -> set[int]:
    """Those still running (a zombie has ended: an orphan's is reaped by whoever adopted it, perhaps never)."""
    running = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            running.add(pid)
    return running


def gone_within(pids: set[int], seconds: float) -> float:
    """Seconds until none of `pids` runs; fails if some still run after `seconds`."""
    started = time.monotonic()
    while alive(pids):
        assert time.monotonic() - started < seconds, f"still running: {alive(pids)}"
        time.sleep(0.01)
    return time.monotonic() - started


@linux
def test_sigkill_to_the_run_leaves_no_worker_behind(tmp_path):
    process, _ = start_run(tmp_path, "--quiet", "--timeout", "600")
    kids = children(process.pid)
    assert len(kids) >= 2, kids  # the hanging worker and the reference worker, at least
    process.kill()
    process.wait()
    print(f"no worker left {gone_within(kids, 5.0):.3f} s after SIGKILL")


@linux
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_an_interrupted_run_writes_what_finished_to_its_report_marked_partial(tmp_path, signum):
    out = tmp_path / "r.json"
    out.write_text("the previous report")  # --report names it: the partial report replaces it
    process, _ = start_run(tmp_path, "--report", str(out), "--timeout", "600", "--table")
    kids = children(process.pid)
    process.send_signal(signum)
    stdout, stderr = process.communicate(timeout=60)
    gone_within(kids, 5.0)
    assert process.returncode == 128 + signum, stdout + stderr
    result = report.read(out)
    assert result.partial is not None and result.partial.reason == f"interrupted by {signal.Signals(signum).name}"
    jobs = {job.case: job.verdict for job in result.jobs}
    assert jobs["raise"] == "error" and "hang" not in jobs and "never" not in jobs
    assert set(jobs) <= {"ok-one", "raise"} and result.partial.finished == len(jobs) and result.partial.planned == 4
    assert jobs.get("ok-one", "pass") == "pass"  # finished unless its reference was still being computed
    assert stdout.startswith("Partial report (interrupted by") and f"report: {out} (partial)" in stdout
    assert "Traceback" not in stderr


@linux
def test_without_report_an_interrupted_run_writes_no_file(tmp_path):
    before = {p.name for p in tmp_path.iterdir()}
    process, _ = start_run(tmp_path, "--timeout", "600")
    process.send_signal(signal.SIGTERM)
    stdout, _ = process.communicate(timeout=60)
    assert process.returncode == 128 + signal.SIGTERM and "Partial report" in stdout
    assert {p.name for p in tmp_path.iterdir()} == before | {"cases.yaml", "hanging"}


def test_interruptible_turns_sigterm_into_interrupted_and_the_run_stops_its_workers(write_case):
    cases, _ = loader.load([write_case(HANGING)])
    jobs = runner.plan([c.case for c in cases], ["fake"])
    labels: list[str] = []

    def progress(done: int, total: int, label: str, _: float | None) -> None:
        labels.append(label)
        if done == 2 and "hang [fake float64]" in labels:  # two finished, the third hangs: interrupt the run
            os.kill(os.getpid(), signal.SIGTERM)

    with pytest.raises(runner.Interrupted, match="SIGTERM"), runner.interruptible():
        runner.run(jobs, {"fake": FAKE}, timeout=600, progress=progress)
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # restored
    assert [job.finished for job in jobs] == [True, True, False, False]
    assert jobs[1].error == "RuntimeError: deliberate"


REFERENCES = """
- {id: fine, kind: grad, title: t, why: w, inputs: {a: 2.0}, function: a*a, dtypes: [float64]}
- {id: not-positive-definite, kind: grad, title: t, why: w, dtypes: [float32, float64],
   inputs: {m: [[1.0, 2.0], [2.0, 1.0]]}, function: sum(cholesky(m))}
"""


def test_a_reference_that_raises_is_its_cases_error_naming_file_and_line(write_case):
    path = write_case(REFERENCES)
    cases, errors = loader.load([path])
    assert not errors
    jobs = runner.run(runner.plan([c.case for c in cases], ["blind"]), BLIND, timeout=60)
    judged = {
        (v.job.case.id, v.job.dtype): v for v in verdicts.judge(jobs, {c.case.id: f"{c.file}:{c.line}" for c in cases})
    }
    assert judged[("fine", "float64")].verdict == "fail"  # blind answers 1 where 2a = 4: judged, not an error
    for dtype in ("float32", "float64"):
        bad = judged[("not-positive-definite", dtype)]
        assert bad.verdict == "error"
        assert bad.failures == [
            f"{path}:2: the reference (NumPy oracle) failed: LinAlgError: Matrix is not positive definite"
        ]


@linux
def test_a_reference_over_its_memory_limit_is_its_cases_error_and_the_next_case_still_runs(write_case):
    # diag(diag(a)) builds a 1000 x 1000 matrix (8 MB) on the way to a: over a 4 MiB limit, within the loader's
    big = write_case(f"""
        - {{id: big, kind: grad, title: t, why: w, dtypes: [float64], oracle: false, oracle_why: the expected value,
           inputs: {{a: {[1.0] * 1000}}}, function: sum(a),
           expected: {{a: {{value: "diag(diag(a))", why: builds a big matrix}}}}}}
        - {{id: small, kind: grad, title: t, why: w, inputs: {{a: 2.0}}, function: a, dtypes: [float64]}}
    """)
    cases, errors = loader.load([big])
    assert not errors, errors
    jobs = runner.run(runner.plan([c.case for c in cases], ["blind"]), BLIND, timeout=60, memory=4 << 20)
    big_verdict, small_verdict = verdicts.judge(jobs)
    assert big_verdict.verdict == "error" and "MemoryError" in big_verdict.failures[0], big_verdict.failures
    assert small_verdict.verdict == "pass", small_verdict.all_failures()
    assert jobs[0].references is None and jobs[1].references is not None


def test_a_reference_that_outlasts_the_timeout_is_its_cases_error(write_case, tmp_path):
    # 16,000 evaluations of an 80 x 80 product for the oracle, within the loader's budget: about 1.5 s on an idle
    # machine here (six times the timeout plus the runner's 0.2 s polling), where the blind job takes a millisecond
    slow = write_case(f"""
        - {{id: slow, kind: grad, title: t, why: w, dtypes: [float64],
           inputs: {{a: {[[0.01 * (i + j) for j in range(80)] for i in range(50)]}}},
           function: "sum(exp(matmul(matrix_transpose(a), a)))"}}
    """)
    cases, errors = loader.load([slow])
    assert not errors, errors
    jobs = runner.run(runner.plan([c.case for c in cases], ["blind"]), BLIND, timeout=0.25, logs=tmp_path / "logs")
    (judged,) = verdicts.judge(jobs)
    assert judged.verdict == "error" and "timeout: no result after 0.25 s" in judged.failures[0], judged.failures


def test_workers_write_their_output_to_a_log_per_framework_never_to_the_terminal(write_case, tmp_path, capfd):
    cases, _ = loader.load([write_case(HANGING.split("- {id: raise")[0])])
    logs = tmp_path / "logs"
    jobs = runner.run(
        runner.plan([c.case for c in cases], ["noisy"]),
        {"noisy": "tests.fake_adapter:NoisyAdapter"},
        timeout=60,
        logs=logs,
    )
    assert verdicts.judge(jobs)[0].verdict == "pass"
    captured = capfd.readouterr()
    assert "noisy" not in captured.out + captured.err
    text = (logs / "noisy.log").read_text()
    for line in ("hello on stdout", "hello on stderr", "C-level stdout", "C-level stderr"):
        assert f"noisy: {line}" in text
    assert sorted(p.name for p in logs.iterdir()) == ["noisy.log", "numpy-reference.log"]


def test_a_crash_quotes_the_tail_of_the_workers_log_and_keeps_it(write_case):
    cases, _ = loader.load(
        [
            write_case("""
        - {id: crash, kind: grad, title: t, why: w, inputs: {a: 13.0}, function: a, dtypes: [float64]}
    """)
        ]
    )
    (job,) = runner.run(runner.plan([c.case for c in cases], ["fake"]), {"fake": FAKE}, timeout=60)
    assert job.error is not None and job.error.startswith("worker crashed (exit code 3); log ")
    log = Path(job.error.split("; log ")[1].split(": ")[0])
    assert job.error.endswith(": fake adapter: crashing on purpose") and log.name == "fake.log"
    assert "crashing on purpose" in log.read_text()  # kept: the error names it
    shutil.rmtree(log.parent)


def test_without_trouble_the_temporary_logs_are_removed(write_case, tmp_path, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr("tempfile.tempdir", None)
    cases, _ = loader.load([write_case(HANGING.split("- {id: raise")[0])])
    runner.run(runner.plan([c.case for c in cases], ["fake"]), {"fake": FAKE}, timeout=60)
    assert not list(tmp_path.glob("conformance-logs-*"))


def test_an_adapter_that_breaks_the_contract_errs_in_its_jobs_and_the_others_are_judged(write_case, tmp_path):
    """Another package's adapter: a gradient left out, one for a name nobody asked for, one of 10^8 elements (800
    MB had it crossed over to the main process) are each the job's error, found in its worker."""
    cases, _ = loader.load(
        [
            write_case("""
        - {id: two, kind: grad, title: t, why: w, inputs: {a: 2.0, b: [1.0, 3.0]}, function: a * sum(b),
           dtypes: [float64]}
    """)
        ]
    )
    targets = {name: f"tests.fake_adapter:{name.capitalize()}Adapter" for name in ("omitting", "misnaming", "huge")}
    jobs = runner.run(
        runner.plan([c.case for c in cases], [*targets, "fake"]),
        {**targets, "fake": FAKE},
        timeout=60,
        logs=tmp_path / "logs",
    )
    judged = {v.job.framework: v for v in verdicts.judge(jobs)}
    assert judged["fake"].verdict == "pass", judged["fake"].all_failures()
    assert judged["omitting"].failures == ["BrokenContract: no gradient for b (every differentiated input has one)"]
    assert judged["misnaming"].failures == [
        "BrokenContract: a gradient for not_an_input, which the case does not differentiate"
    ]
    assert judged["huge"].failures == [
        f"BrokenContract: the answer for a has {10**8:,} elements, more than the {RUNAWAY_FLOOR:,} allowed for an "
        "input of a scalar"
    ]
    assert {v.verdict for name, v in judged.items() if name != "fake"} == {"error"}


def test_an_adapter_that_hangs_at_start_up_makes_its_framework_unavailable_after_the_first_try(
    write_case, tmp_path, monkeypatch
):
    monkeypatch.setattr(runner, "STARTUP_SECONDS", 1.0)
    started = []
    start = runner._Pool._start

    def counted(pool, name, framework, *args):
        started.append(framework)
        return start(pool, name, framework, *args)

    monkeypatch.setattr(runner._Pool, "_start", counted)
    cases, _ = loader.load([write_case(HANGING.split("- {id: raise")[0] + HANGING.split("\n")[-2] + "\n")])
    jobs = runner.run(
        runner.plan([c.case for c in cases], ["stuck"]),
        {"stuck": "tests.fake_adapter:StuckAdapter"},
        timeout=60,
        workers=1,
        logs=tmp_path / "logs",
    )
    judged = verdicts.judge(jobs)
    assert len(judged) == 2 and {v.verdict for v in judged} == {"unavailable"}
    assert all(v.failures[0].startswith("unavailable: timeout: worker did not start within 1 s; log ") for v in judged)
    assert started.count("stuck") == 1  # one try, not one per job


@pytest.mark.skipif(not installed("torch"), reason="torch not installed")
def test_references_from_a_frameworks_own_samples_match_those_computed_in_the_main_process():
    """torch draws its own samples (implicit reparameterization, a native sampler): the reference worker computes
    each job's references from that job's samples, exactly as judging them here would."""
    library = loader.LIBRARY
    cases, _ = loader.load([library / "implicit", library / "reparam"])
    chosen = [c.case for c in cases if c.case.kind == "implicit" or getattr(c.case, "sampler", None) == "native"]
    assert chosen
    jobs = runner.run(runner.plan(chosen, ["torch"], ["float64"]), {"torch": "conformance.adapters.torch:TorchAdapter"})
    own = [job for job in jobs if job.computed and verdicts.uses_own_samples(job.computed)]
    assert own and all(job.references is not None for job in own)
    in_worker = verdicts.judge(jobs)
    for job in jobs:
        job.references = None
    here = verdicts.judge(jobs)
    for a, b in zip(in_worker, here, strict=True):
        assert a.verdict == b.verdict and set(a.gradients) == set(b.gradients)
        for name, g in a.gradients.items():
            assert json.dumps(report.plain(g.oracle)) == json.dumps(report.plain(b.gradients[name].oracle))
