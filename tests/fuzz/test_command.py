"""`conformance fuzz` on a real framework: it finds TF's cumprod gradient through zeros, knows it from the library
(with its upstream link), counts it as known and exits 0; its report is the JSON the README describes."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytest.importorskip("tensorflow")


def test_fuzz_finds_a_known_tensorflow_bug_and_counts_it_known(tmp_path):
    report = tmp_path / "fuzz.json"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "conformance",
            "fuzz",
            "--framework",
            "tensorflow",
            "--dtype",
            "float64",
            "--functions",
            "cumulative_prod",
            "--expressions",
            "24",
            "--seed",
            "0",
            "--out",
            str(tmp_path / "found"),
            "--report",
            str(report),
            "--quiet",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads(report.read_text())
    assert result["expressions"] == 24 and result["frameworks"] == ["tensorflow"]  # eager: TF's default regime
    known = [f for f in result["findings"] if not f["new"]]
    assert known and all(f["odd"] == result["frameworks"] for f in known)
    assert any(
        "cumulative_prod" in f["functions"] and f["known_link"].endswith("tensorflow/issues/119430") for f in known
    )
    assert list((tmp_path / "found").iterdir()) == []  # nothing new: nothing written, the folder there all the same
    assert "0 new" in done.stdout


def test_fuzz_refuses_an_unknown_function_pattern(tmp_path):
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "conformance",
            "fuzz",
            "--functions",
            "no-such-function",
            "--out",
            str(tmp_path),
            "--quiet",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2 and "no function matches" in done.stderr
