import textwrap

from conformance import loader, runner, verdicts

FAKE = {"fake": "tests.fake_adapter:FakeAdapter", "broken": "tests.fake_adapter:BrokenAdapter"}

CASES = """
- {id: ok-before, kind: grad, title: t, why: w, inputs: {a: 2.0}, function: a*a, dtypes: [float64],
   expected: {a: {value: 4, why: 2a}}}
- {id: crash, kind: grad, title: t, why: w, inputs: {a: 13.0}, function: a, dtypes: [float64]}
- {id: ok-middle, kind: grad, title: t, why: w, inputs: {a: 3.0}, function: a*a, dtypes: [float64]}
- {id: hang, kind: grad, title: t, why: w, inputs: {a: 14.0}, function: a, dtypes: [float64]}
- {id: raise, kind: grad, title: t, why: w, inputs: {a: 15.0}, function: a, dtypes: [float64]}
- {id: ok-after, kind: grad, title: t, why: w, inputs: {a: 5.0}, function: a*a, dtypes: [float64],
   expected: {a: {value: 10, why: 2a}}}
"""


def test_crash_and_hang_lose_only_their_own_job(write_case, tmp_path):
    cases, errors = loader.load([write_case(CASES)])
    assert not errors
    jobs = runner.plan([c.case for c in cases], ["fake", "broken"])
    runner.run(jobs, FAKE, timeout=3.0, logs=tmp_path / "logs")
    by_job = {(v.job.case.id, v.job.framework): v for v in verdicts.judge(jobs)}
    fake = {case: by_job[(case, "fake")] for case, fw in by_job if fw == "fake"}
    assert fake["crash"].verdict == "error" and "worker crashed (exit code 3)" in fake["crash"].failures[0]
    assert fake["hang"].verdict == "error" and "timeout" in fake["hang"].failures[0]
    assert fake["raise"].verdict == "error" and "RuntimeError: deliberate" in fake["raise"].failures[0]
    for case in ("ok-before", "ok-middle", "ok-after"):
        assert fake[case].verdict == "pass", (case, fake[case].all_failures())
    broken = [v for (case, fw), v in by_job.items() if fw == "broken"]
    assert len(broken) == 6 and all(v.verdict == "unavailable" for v in broken)
    assert "No module named 'not_a_real_framework_xyz'" in broken[0].failures[0]


def test_plan_respects_case_and_requested_dtypes(write_case):
    cases, _ = loader.load([write_case(textwrap.dedent("""
        - {id: both, kind: grad, title: t, why: w, inputs: {a: 1.0}, function: a}
        - {id: only64, kind: grad, title: t, why: w, inputs: {a: 1.0}, function: a, dtypes: [float64]}
    """))])
    jobs = runner.plan([c.case for c in cases], ["x", "y"], ["float32"])
    assert [(j.case.id, j.framework, j.dtype) for j in jobs] == [("both", "x", "float32"), ("both", "y", "float32")]


def test_progress_names_each_job_and_its_references_and_counts_jobs_ready_to_judge(write_case):
    cases, _ = loader.load([write_case("""
        - {id: ok-before, kind: grad, title: t, why: w, inputs: {a: 2.0}, function: a*a, dtypes: [float64]}
        - {id: raise, kind: grad, title: t, why: w, inputs: {a: 15.0}, function: a, dtypes: [float64]}
        - {id: ok-after, kind: grad, title: t, why: w, inputs: {a: 5.0}, function: a*a, dtypes: [float64]}
    """)])
    jobs = runner.plan([c.case for c in cases], ["fake"])
    calls: list[tuple[int, int, str]] = []
    runner.run(jobs, FAKE, timeout=60, progress=lambda done, total, label: calls.append((done, total, label)))
    assert calls[0] == (0, 3, "")
    labels = {label for _, _, label in calls}
    assert {"ok-before [fake float64]", "ok-before [reference]", "raise [fake float64]"} <= labels
    assert "raise [reference]" not in labels  # a job that raised needs no reference
    done = [d for d, _, _ in calls]
    assert done == sorted(done) and done[-1] == 3 and {t for _, t, _ in calls} == {3}
