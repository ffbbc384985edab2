"""The command line, end to end in subprocesses: exit codes 0 / 1 / 2, the report file, the schema."""
import json
import subprocess
import sys

import pytest

from tests.conftest import REPO, installed


def conformance(*args: str, cwd=REPO) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "conformance", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=600)


@pytest.mark.skipif(not installed("torch"), reason="torch not installed")
def test_passing_run_exits_0_and_writes_the_report(tmp_path):
    out = tmp_path / "r.json"
    result = conformance("run", "conformance/cases/vjp", "--framework", "torch", "--report", str(out), "--table")
    assert result.returncode == 0, result.stdout + result.stderr
    data = json.loads(out.read_text())
    assert {(j["case"], j["dtype"]) for j in data["jobs"]} == {
        ("seed-vjp", "float32"), ("seed-vjp", "float64"), ("seed-grad", "float32"), ("seed-grad", "float64")}
    assert data["environment"]["frameworks"]["torch"]["versions"]["torch"].startswith("2.")
    assert "seed-vjp" in result.stdout


@pytest.mark.skipif(not all(map(installed, ("torch", "tensorflow", "jax"))), reason="needs all three frameworks")
def test_a_case_of_only_the_math_fails_the_framework_that_differs_alone_and_findings_come_first(write_case, tmp_path):
    path = write_case("""
        id: abs-at-zero-plain
        kind: grad
        title: abs'(0), the math only
        why: sign(0) = 0, the minimum-norm subgradient
        oracle: false
        oracle_why: a kink
        inputs: {x: 0.0}
        function: abs(x)
        expected:
          x: {value: 0, why: "sign(0) = 0"}
    """)
    out = tmp_path / "r.json"
    result = conformance("run", str(path), "--dtype", "float64", "--report", str(out))
    assert result.returncode == 1, result.stdout + result.stderr
    verdicts = {j["framework"]: j["verdict"] for j in json.loads(out.read_text())["jobs"]}
    assert verdicts == {"torch": "pass", "tensorflow": "pass", "jax": "fail"}
    text = result.stdout
    order = [text.index(s) for s in ("Verdicts against the math", "Where the frameworks differ", "Failures")]
    assert order == sorted(order), text
    line = next(li for li in text.splitlines() if "abs-at-zero-plain x" in li)
    assert "differ in value" in line and "jax 1" in line and "torch 0" in line


@pytest.mark.skipif(not installed("torch"), reason="torch not installed")
def test_failing_case_exits_1(write_case):
    path = write_case("{id: wrong-on-purpose, kind: grad, title: t, why: w, inputs: {a: 1.0}, function: a*a, "
                      "expected: {a: {value: 3, why: wrong on purpose}}}")
    result = conformance("run", str(path), "--framework", "torch", "--dtype", "float64")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "expected 3" in result.stdout


@pytest.mark.skipif(not installed("torch"), reason="torch not installed")
def test_load_error_exits_2_and_still_runs_the_good_cases(write_case, tmp_path):
    write_case("{id: fine, kind: grad, title: t, why: w, inputs: {a: 1.0}, function: a*a}", "a.yaml")
    write_case("{id: bad, kind: grad, title: t, why: w, inputs: {a: 1.0}, function: a.b}", "b.yaml")
    out = tmp_path / "r.json"
    result = conformance("run", str(tmp_path), "--framework", "torch", "--report", str(out))
    assert result.returncode == 2
    assert "b.yaml:1: function: attribute access is not allowed" in result.stderr
    data = json.loads(out.read_text())
    assert [j["verdict"] for j in data["jobs"]] == ["pass", "pass"]
    assert data["load_errors"][0]["line"] == 1


@pytest.mark.parametrize("args", [["run", "--framework", "nope"], ["run", "no/such/path"], ["frobnicate"],
                                  ["run", "--dtype", "float16"]])
def test_usage_errors_exit_2(args):
    assert conformance(*args).returncode == 2


def test_schema_is_json_schema_that_rejects_unknown_keys():
    result = conformance("schema")
    assert result.returncode == 0
    schema = json.loads(result.stdout)
    defs = schema["$defs"]
    assert {"ReparamCase", "FunctionCase", "MleCase"} <= set(defs)
    assert all(defs[name]["additionalProperties"] is False for name in ("ReparamCase", "FunctionCase", "MleCase"))


def test_the_report_schema_is_published():
    result = conformance("schema", "--report")
    assert result.returncode == 0
    schema = json.loads(result.stdout)
    assert schema["title"] == "gradient conformance report"
    assert {"JobRecord", "GradientRecord", "AgreementRecord"} <= set(schema["$defs"])
    assert schema["$defs"]["GradientRecord"]["properties"]["verdict"]["$ref"].endswith("Verdict")


def test_importing_the_engine_imports_no_framework():
    code = ("import sys, conformance, conformance.cli, conformance.runner, conformance.adapters, "
            "conformance.kinds, conformance.report, conformance.verdicts, conformance.agreement, conformance.summary\n"
            "print(sorted(m for m in ('torch', 'tensorflow', 'jax', 'tensorflow_probability') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 0 and result.stdout.strip() == "[]", result.stderr

