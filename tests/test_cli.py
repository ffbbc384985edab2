"""The command line, end to end in subprocesses: exit codes 0 / 1 / 2 / 3, the report file, the schema, list,
selection, output paths checked before the run, the progress display."""

import io
import json
import os
import subprocess
import sys

import pytest
from rich.console import Console

from conformance import loader, progress, runner
from tests.conftest import REPO, installed


def conformance(*args: str, cwd=REPO) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "conformance", *args], cwd=cwd, capture_output=True, text=True, timeout=600
    )


@pytest.mark.skipif(not installed("torch"), reason="torch not installed")
def test_passing_run_exits_0_and_writes_the_report(tmp_path):
    out = tmp_path / "r.json"
    result = conformance("run", "conformance/cases/vjp", "--framework", "torch", "--report", str(out), "--table")
    assert result.returncode == 0, result.stdout + result.stderr
    data = json.loads(out.read_text())
    assert {(j["case"], j["dtype"]) for j in data["jobs"]} == {
        ("seed-vjp", "float32"),
        ("seed-vjp", "float64"),
        ("seed-grad", "float32"),
        ("seed-grad", "float64"),
    }
    assert data["environment"]["frameworks"]["torch"]["versions"]["torch"].startswith("2.")
    assert "seed-vjp" in result.stdout


@pytest.mark.skipif(not installed("jax"), reason="jax not installed")
def test_regime_all_runs_each_regime_of_a_framework_and_records_it(tmp_path):
    """JAX has two programs (no jit; jax.jit for compiled and xla): each job twice, by label; its xla is not a third."""
    out = tmp_path / "r.json"
    result = conformance(
        "run",
        "conformance/cases/vjp",
        "-k",
        "seed-vjp",
        "--framework",
        "jax",
        "--dtype",
        "float64",
        "--regime",
        "all",
        "--report",
        str(out),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    data = json.loads(out.read_text())
    assert [(j["label"], j["regime"], j["verdict"]) for j in data["jobs"]] == [
        ("jax[eager]", "eager", "pass"),
        ("jax", "compiled", "pass"),
    ]
    assert data["environment"]["frameworks"]["jax"]["regimes"] == {"eager": "no jit", "compiled": "jax.jit"}
    assert "jax[eager]" in result.stdout and "(no jit)" in result.stdout and "(jax.jit)" in result.stdout


def test_a_regime_the_framework_lacks_is_unavailable_said_once_and_exits_3():
    result = conformance("run", "conformance/cases/vjp", "--framework", "torch", "--regime", "xla")
    assert result.returncode == 3, result.stdout + result.stderr
    reason = "torch: unavailable: torch has no xla regime (its regimes: eager, compiled)"
    assert result.stdout.count(reason) == 1 and "--framework torch unavailable" in result.stderr


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
    assert "jax 1 ✗ fail" in line and "torch, tensorflow 0 (exact_zero) ✓" in line
    assert text.index("jax misses the math: a wrong value (1)") < text.index(line)
    assert text.rstrip().endswith(
        f"next: conformance docs --report {out} --out site  (every row, each case's math and links)"
    )


@pytest.mark.skipif(not installed("torch"), reason="torch not installed")
def test_failing_case_exits_1(write_case):
    path = write_case(
        "{id: wrong-on-purpose, kind: grad, title: t, why: w, inputs: {a: 1.0}, function: a*a, "
        "expected: {a: {value: 3, why: wrong on purpose}}}"
    )
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


@pytest.mark.parametrize(
    "args",
    [
        ["run", "--framework", "nope"],
        ["run", "no/such/path"],
        ["frobnicate"],
        ["run", "--dtype", "float8"],
        ["run", "--regime", "graph"],
    ],
)
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
    code = (
        "import sys, conformance, conformance.cli, conformance.runner, conformance.adapters, "
        "conformance.kinds, conformance.report, conformance.verdicts, conformance.agreement, conformance.summary\n"
        "print(sorted(m for m in ('torch', 'tensorflow', 'jax', 'tensorflow_probability') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 0 and result.stdout.strip() == "[]", result.stderr


# --- issue 12 §3: options, exit codes, output paths, timeout, progress -------------------------------------------

FAKE = {"fake": "tests.fake_adapter:FakeAdapter"}
GHOST = {"ghost": "no_such_module_anywhere:Ghost"}  # an adapter whose framework is not installed


def conformance_with(known: dict[str, str], *args: str, cwd=REPO) -> subprocess.CompletedProcess:
    """The command with these adapters instead of the installed ones: the NumPy fake runs in a second, not a minute."""
    code = (
        f"import sys, conformance.adapters as a; a.available = lambda: {known!r}\n"
        "from conformance.cli import main; raise SystemExit(main(sys.argv[1:]))"
    )
    return subprocess.run([sys.executable, "-c", code, *args], cwd=cwd, capture_output=True, text=True, timeout=600)


@pytest.fixture
def three_cases(write_case, tmp_path):
    write_case(
        """
        - {id: alpha-one, kind: grad, title: t, why: w, tags: [kink], inputs: {a: 2.0}, function: a*a,
           dtypes: [float64], expected: {a: {value: 4, why: 2a}}}
        - {id: alpha-two, kind: grad, title: t, why: w, tags: [smooth], inputs: {a: 2.0}, function: a*a,
           dtypes: [float64]}
        - {id: beta, kind: vjp, title: t, why: w, tags: [kink, smooth], inputs: {a: [2.0]}, function: a*a,
           cotangent: [1.0], dtypes: [float64]}
    """,
        "cases.yaml",
    )
    return tmp_path


def test_version_names_each_framework_from_metadata_without_importing_it():
    result = conformance("--version")
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert lines[0].startswith("gradient-conformance ")
    assert [line.split(":")[0] for line in lines[1:4]] == ["torch", "tensorflow", "jax"]
    code = (
        "import sys\nfrom conformance.cli import main\n"
        "try:\n    main(['--version'])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('torch', 'tensorflow', 'jax', 'tensorflow_probability') if m in sys.modules))"
    )
    imported = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert imported.stdout.splitlines()[-1] == "[]", imported.stderr


@pytest.mark.parametrize(
    ("args", "ids"),
    [
        ([], ["alpha-one", "alpha-two", "beta"]),
        (["-k", "alpha"], ["alpha-one", "alpha-two"]),
        (["-k", "ALPHA-T"], ["alpha-two"]),  # a substring, ignoring case, as pytest's -k
        (["-k", "*-one"], ["alpha-one"]),  # a glob matches the whole id
        (["-k", "beta", "-k", "alpha-one"], ["alpha-one", "beta"]),  # repeated: any
        (["--tag", "kink"], ["alpha-one", "beta"]),
        (["--tag", "kink", "--tag", "smooth"], ["alpha-one", "alpha-two", "beta"]),
        (["--tag", "smooth", "-k", "alpha"], ["alpha-two"]),  # different options: all
        (["--kind", "vjp"], ["beta"]),
    ],
)
def test_list_selects_by_pattern_tag_and_kind(three_cases, args, ids):
    result = conformance("list", str(three_cases), *args)
    assert result.returncode == 0, result.stderr
    assert [line.split()[0] for line in result.stdout.splitlines()] == ids
    assert result.stderr.strip() == f"{len(ids)} cases"


def test_list_exits_3_like_run_when_nothing_matches_and_an_unknown_tag_names_the_known_ones(three_cases):
    result = conformance("list", str(three_cases), "-k", "*-o")
    assert result.returncode == 3 and result.stdout == ""
    assert "nothing matched: no case (exit 3, as run)" in result.stderr
    assert conformance_with(FAKE, "run", str(three_cases), "-k", "*-o").returncode == 3
    typo = conformance("list", str(three_cases), "--tag", "knik")
    assert typo.returncode == 3 and "conformance: unknown tag 'knik': did you mean 'kink'?" in typo.stderr
    other = conformance("list", str(three_cases), "--tag", "zzz", "--tag", "kink")
    assert other.returncode == 0 and "conformance: unknown tag 'zzz' (known: kink, smooth)" in other.stderr


@pytest.mark.parametrize(
    "command", ["run", "schema", "docs", "list", "coverage", "compare", "merge", "generate-sweeps", "fuzz", "history"]
)
def test_each_subcommand_s_help_has_a_description_exit_codes_and_examples(command, capsys):
    from conformance import cli

    with pytest.raises(SystemExit) as done:
        cli.main([command, "--help"])
    assert done.value.code == 0
    text = capsys.readouterr().out
    description = cli.PAGES[command][0]
    assert " ".join(description.split()[:4]) in " ".join(text.split())
    assert "\nexit codes: 0" in text and "\nexamples:\n  conformance " + command in text


def test_an_unknown_framework_names_the_closest_one(three_cases):
    result = conformance_with(FAKE, "run", str(three_cases), "--framework", "fkae")
    assert result.returncode == 2 and "conformance: unknown framework 'fkae': did you mean 'fake'?" in result.stderr


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["rnu"], "argument command: unknown command 'rnu': did you mean 'run'?"),
        (["list", "--kind", "hpv"], "argument --kind: unknown kind 'hpv': did you mean 'hvp'"),
        (["run", "--dtype", "flaot32"], "argument --dtype: unknown dtype 'flaot32': did you mean 'float32'?"),
        (["run", "--regime", "egaer"], "argument --regime: unknown regime 'egaer': did you mean 'eager'?"),
        (["list", "--kind", "zzz"], "argument --kind: unknown kind 'zzz' (known: behaviour, directional,"),
    ],
)
def test_an_unknown_choice_names_the_closest_ones_and_exits_2(argv, message, capsys):
    from conformance import cli

    with pytest.raises(SystemExit) as done:
        cli.main(argv)
    assert done.value.code == 2 and message in capsys.readouterr().err


def test_list_shows_kind_tags_and_file_line(three_cases):
    lines = conformance("list", str(three_cases)).stdout.splitlines()
    assert lines[0].split() == ["alpha-one", "grad", "kink", f"{three_cases / 'cases.yaml'}:1"]
    assert lines[2].split() == ["beta", "vjp", "kink,smooth", f"{three_cases / 'cases.yaml'}:5"]


def test_list_without_paths_lists_the_shipped_library(tmp_path):
    result = conformance("list", cwd=tmp_path)
    assert result.returncode == 0
    assert any(line.startswith("seed-vjp ") for line in result.stdout.splitlines())


def test_run_selects_cases_and_json_puts_the_report_alone_on_stdout(three_cases, tmp_path):
    result = conformance_with(FAKE, "run", str(three_cases), "-k", "alpha", "--tag", "kink", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert [(j["case"], j["verdict"]) for j in data["jobs"]] == [("alpha-one", "pass")]
    assert "Verdicts against the math" in result.stderr


@pytest.mark.parametrize(
    ("known", "args", "reason"),
    [
        (FAKE, ["-k", "no-such-case"], "no job ran"),
        (GHOST, [], "every job was unavailable"),
        ({**FAKE, **GHOST}, ["--framework", "fake", "--framework", "ghost"], "--framework ghost unavailable"),
    ],
)
def test_a_run_that_checked_nothing_exits_3(three_cases, known, args, reason):
    result = conformance_with(known, "run", str(three_cases), "--quiet", *args)
    assert result.returncode == 3, result.stdout + result.stderr
    assert f"nothing ran: {reason}" in result.stderr


def test_a_framework_not_named_may_be_unavailable(three_cases):
    result = conformance_with({**FAKE, **GHOST}, "run", str(three_cases), "--quiet")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ghost: unavailable" in result.stdout


def test_a_reader_that_stops_early_ends_the_command_quietly(three_cases):
    process = subprocess.Popen(
        [sys.executable, "-m", "conformance", "list", str(REPO / "conformance" / "cases")],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # `| head -0`: gone before the command writes
    stderr = process.stderr.read()
    assert process.wait(timeout=120) == 141, stderr
    assert "Traceback" not in stderr and "BrokenPipe" not in stderr


@pytest.mark.parametrize(
    "args",
    [
        ["run", "--report", "{dir}"],
        ["run", "--junit", "{file}/junit.xml"],
        ["run", "--report", "{file}/deeper/r.json"],
        ["merge", "{file}", "--report", "{dir}"],
        ["docs", "--out", "{file}"],
        ["docs", "--out", "{file}/site"],
    ],
)
def test_an_output_path_that_cannot_be_written_is_a_usage_error_before_the_run(tmp_path, args):
    (tmp_path / "folder").mkdir()
    (tmp_path / "a-file").write_text("{}")
    args = [a.format(dir=tmp_path / "folder", file=tmp_path / "a-file") for a in args]
    result = conformance_with(FAKE, *args)
    assert result.returncode == 2
    assert "Verdicts" not in result.stdout and "Traceback" not in result.stderr
    assert (
        "is a folder, expected a file" in result.stderr
        or "is a file, expected a folder" in result.stderr
        or "is not a folder" in result.stderr
    ), result.stderr


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_an_unwritable_folder_is_a_usage_error(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    result = conformance_with(FAKE, "run", "--report", str(locked / "r.json"))
    assert result.returncode == 2 and "is not writable" in result.stderr


@pytest.mark.parametrize("value", ["-1", "0", "nan", "inf", "-inf", "soon"])
def test_timeout_must_be_a_positive_finite_number(value):
    result = conformance("run", "--timeout", value)
    assert result.returncode == 2
    assert "argument --timeout" in result.stderr


def test_progress_is_plain_lines_when_stderr_is_not_a_terminal(three_cases):
    result = conformance_with(FAKE, "run", str(three_cases))
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("progress: ")]
    assert lines and lines[-1].startswith("progress: 3/3 jobs, 0:00:") and lines[-1].endswith("elapsed")
    assert "\x1b[" not in result.stderr and "\r" not in result.stderr


def test_plain_progress_line_has_the_scheduler_s_eta_and_the_current_label():
    """The ETA is the seconds the scheduler estimates (150 s), not the count extrapolated (5 of 20 in 50 s)."""
    assert (
        progress.plain_line(5, 20, 50.0, "seed-vjp torch float64", 150.0)
        == "progress: 5/20 jobs, 0:00:50 elapsed, ETA 0:02:30, seed-vjp torch float64"
    )
    assert (
        progress.plain_line(5, 20, 50.0, "seed-vjp torch float64", None)
        == "progress: 5/20 jobs, 0:00:50 elapsed, seed-vjp torch float64"
    )  # no costs yet: no ETA
    assert progress.plain_line(20, 20, 3725.0, "last", 0.0) == "progress: 20/20 jobs, 1:02:05 elapsed"


def test_the_eta_comes_from_the_costs_left_over_the_workers_that_share_them():
    # jax: 90 s left over 3 workers; tensorflow 40 s over 1; torch 5 s: the frameworks run side by side
    assert (
        runner.eta({"jax": 90.0, "tensorflow": 40.0, "torch": 5.0}, {"jax": 3, "tensorflow": 1, "torch": 1}, 8) == 40.0
    )
    # two cores for 135 s of work: the cores decide
    assert runner.eta({"jax": 90.0, "tensorflow": 40.0, "torch": 5.0}, {"jax": 1, "tensorflow": 1}, 2) == 90.0
    assert runner.eta({}, {}, 4) == 0.0


def test_a_run_s_eta_is_the_scheduler_s_from_the_last_report_s_costs(tmp_path):
    """One dear job among cheap ones: from the report's costs the first ETA already counts it (a count-based ETA
    would say a few seconds after the first cheap jobs). The pool is assigned, never started: injected costs."""
    cases, _ = loader.load([REPO / "conformance" / "cases" / "vjp" / "seed.yaml"])
    jobs = runner.plan([c.case for c in cases], ["torch"], ["float32", "float64"])
    pool = runner._Pool({"torch": "x:Y"}, 60.0, None, None, tmp_path, 1, None)
    pool.assign(jobs, {(jobs[0].case.id, "torch", "float32"): 100.0, (jobs[0].case.id, "torch", "float64"): 1.0})
    assert pool.remaining() is None  # no start-up measured, nothing finished: no guess
    pool.startup["torch"] = 2.0
    assert pool.remaining() == pytest.approx(101.0 + runner.GUESSED_JOB_SECONDS * (len(jobs) - 2))


@pytest.mark.parametrize("no_color", [False, True])
def test_progress_on_a_terminal_is_a_live_bar_with_the_label_and_honours_no_color(monkeypatch, no_color):
    if no_color:
        monkeypatch.setenv("NO_COLOR", "1")
    else:
        monkeypatch.delenv("NO_COLOR", raising=False)
    out = io.StringIO()
    with progress.Display(Console(file=out, force_terminal=True, width=120)) as show:
        show(0, 4)  # the runner before its label argument
        show(2, 4, "seed-vjp torch float64", 75.0)
    text = out.getvalue()
    assert "2/4" in text and "seed-vjp torch float64" in text and "ETA 0:01:15" in text
    assert ("\x1b[3" in text) is not no_color  # colour codes (30-37, 38;5;n) only without NO_COLOR


@pytest.mark.skipif(not installed("tensorflow"), reason="tensorflow not installed")
def test_a_real_difference_between_two_regimes_of_one_framework_is_a_difference_naming_the_odd_one(tmp_path):
    """TF's eager SqrtGrad returns 0 where its incoming gradient is 0; XLA's lowering divides, 0 * inf = NaN."""
    out = tmp_path / "r.json"
    result = conformance(
        "run",
        "conformance/cases/array-api",
        "-k",
        "where-mask-sqrt-at-zero",
        "--framework",
        "tensorflow",
        "--dtype",
        "float64",
        "--regime",
        "eager",
        "--regime",
        "xla",
        "--report",
        str(out),
    )
    assert result.returncode == 1, result.stdout + result.stderr
    (row,) = json.loads(out.read_text())["agreement"]
    assert (row["result"], row["difference"], row["odd"]) == ("differ", "value", ["tensorflow[xla]"])
    assert [a["value"] for a in row["answers"]] == [[0.0, 0.25], ["nan", 0.25]]


@pytest.mark.parametrize("junit", ["{dir}/out.json", "{dir}/sub/../out.json", "{dir}/link.json"])
def test_report_and_junit_on_one_file_is_a_usage_error_before_the_run(three_cases, tmp_path, junit):
    (tmp_path / "link.json").symlink_to(tmp_path / "out.json")
    (tmp_path / "sub").mkdir()
    result = conformance_with(
        FAKE, "run", str(three_cases), "--report", str(tmp_path / "out.json"), "--junit", junit.format(dir=tmp_path)
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert "are one file: each would overwrite the other" in result.stderr and "Verdicts" not in result.stdout
    assert not (tmp_path / "out.json").exists()


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs /proc")
@pytest.mark.parametrize("args", [["run", "--report", "/proc/report.json"], ["docs", "--out", "/proc/site"]])
def test_a_folder_that_passes_the_permission_check_but_takes_no_file_is_a_usage_error_before_the_run(tmp_path, args):
    """/proc is writable by the permission bits (to root), yet no file can be made there."""
    result = conformance_with(FAKE, args[0], str(tmp_path), *args[1:])  # no cases: a run that got by costs nothing
    assert result.returncode == 2, result.stdout + result.stderr
    assert "cannot write /proc/" in result.stderr and "/proc is not writable" in result.stderr, result.stderr
    assert "Verdicts" not in result.stdout


def test_an_adapter_whose_name_no_report_could_hold_is_a_usage_error_before_the_run(tmp_path):
    result = conformance_with({"fake<b>": FAKE["fake"]}, "run", str(tmp_path), "--report", str(tmp_path / "r.json"))
    assert result.returncode == 2 and "an adapter's name must match" in result.stderr and "'fake<b>'" in result.stderr
    assert not (tmp_path / "r.json").exists()


def test_docs_refuses_a_history_store_it_cannot_read_before_building_anything(sample, tmp_path, capsys):
    from conformance import cli, report

    report.write(sample, tmp_path / "report.json")
    (tmp_path / "bad.json.gz").write_bytes(b"not gzip")
    for given, said in (
        (tmp_path / "none.json.gz", "no such history store"),
        (tmp_path / "bad.json.gz", "not a history store"),
    ):
        code = cli.main(
            [
                "docs",
                "--report",
                str(tmp_path / "report.json"),
                "--out",
                str(tmp_path / "site"),
                "--history",
                str(given),
            ]
        )
        assert code == 2 and said in capsys.readouterr().err
    assert not (tmp_path / "site" / "index.html").exists()
