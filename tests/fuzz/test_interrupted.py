"""An interrupted fuzz run keeps what it found: each finding's case file is written when it is confirmed, the report
after each batch and once more, marked, when SIGTERM or SIGINT stops the run (issue 21 §4)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conformance import loader, runner
from conformance.fuzz import Options, fuzz, shrink
from tests.conftest import REPO

PLANTED = "tests.fake_adapter:PlantedAdapter"  # its expm1 is doubled: a finding in the first batch


@pytest.mark.skipif(not hasattr(signal, "SIGTERM") or sys.platform == "win32", reason="POSIX signals")
def test_sigterm_keeps_each_finding_confirmed_before_it_with_its_case_file(tmp_path):
    found, report = tmp_path / "found", tmp_path / "fuzz.json"
    code = (
        f"import sys, conformance.adapters as a; a.available = lambda: {{'planted': {PLANTED!r}}}\n"
        "from conformance.cli import main; raise SystemExit(main(sys.argv[1:]))"
    )
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            code,
            "fuzz",
            "--functions",
            "expm1",
            "--dtype",
            "float64",
            "--seconds",
            "600",
            "--out",
            str(found),
            "--report",
            str(report),
            "--quiet",
        ],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 300
    while not (report.exists() and any(f["new"] for f in json.loads(report.read_text())["findings"])):
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "no finding was confirmed"
        time.sleep(0.1)
    before = {f["signature"] for f in json.loads(report.read_text())["findings"] if f["new"]}
    process.send_signal(signal.SIGTERM)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 128 + signal.SIGTERM, stdout + stderr
    result = json.loads(report.read_text())
    assert result["interrupted"] == signal.SIGTERM and "interrupted by SIGTERM" in stdout
    new = [f for f in result["findings"] if f["new"]]
    assert before <= {f["signature"] for f in new}
    for finding in new:
        loaded, errors = loader.load([finding["file"]])
        assert errors == [] and len(loaded) == 1 and Path(finding["file"]).parent == found
    assert "Traceback" not in stderr


def test_a_finding_whose_shrinking_is_interrupted_is_kept_as_it_was_found(tmp_path, monkeypatch):
    def interrupted(*args: object) -> None:  # the signal arrives while the shrinker runs
        raise runner.Interrupted(signal.SIGINT)

    monkeypatch.setattr(shrink, "shrink", interrupted)
    report = tmp_path / "fuzz.json"
    result = fuzz(
        Options(
            out=tmp_path / "found",
            frameworks=["planted"],
            dtypes=("float64",),
            expressions=8,
            functions="expm1",
            report=report,
        ),
        {"planted": PLANTED},
    )
    assert result.interrupted == signal.SIGINT and result.new
    assert json.loads(report.read_text())["interrupted"] == signal.SIGINT
    for finding in result.new:
        assert finding.file is not None and "interrupted before it was shrunk" in Path(finding.file).read_text()
