"""`run --shard I/N` splits the plan deterministically; `merge` puts the shard reports back together."""

import json
import re
import subprocess
import sys

import pytest

from conformance import regress, report, runner
from tests.conftest import REPO
from tests.fake_reports import build, load, run

CASES = "\n".join(
    f"- {{id: c{i}, kind: grad, title: t, why: w, inputs: {{a: {i}.5}}, function: a*a}}" for i in range(5)
)
FAKE = "tests.fake_adapter:FakeAdapter"
TWO = ("fake", "other")  # two frameworks (both the fake adapter), so the reports carry agreement records


def test_shards_partition_the_plan_keeping_each_case_and_dtype_whole(tmp_path):
    jobs = runner.plan([c.case for c in load(tmp_path, CASES)], ["fake", "other"])
    shards = [runner.shard(jobs, i, 3) for i in (1, 2, 3)]
    assert sorted(id(job) for s in shards for job in s) == sorted(map(id, jobs))  # every job exactly once
    assert [len(s) for s in shards] == [8, 6, 6]  # 10 (case, dtype) groups of 2 frameworks: 4, 3, 3
    for shard in shards:
        groups = {(j.case.id, j.dtype) for j in shard}
        assert all(sum((j.case.id, j.dtype) == g for j in shard) == 2 for g in groups)
    assert [(j.case.id, j.dtype) for j in runner.shard(jobs, 2, 3)] == [(j.case.id, j.dtype) for j in shards[1]]


def shard_reports(cases, count: int = 2, order=(2, 1)) -> list[report.Report]:
    parts = []
    for i in order:
        jobs = runner.shard(runner.plan([c.case for c in cases], list(TWO)), i, count)
        part = build(cases, runner.run(jobs, {"fake": FAKE, "other": FAKE}), TWO)
        part.shard = report.Shard(index=i, count=count)
        parts.append(part)
    return parts


def test_merged_shard_reports_equal_the_unsharded_run(tmp_path):
    cases = load(tmp_path, CASES)
    whole = build(cases, run(cases, TWO, {"fake": FAKE, "other": FAKE}), TWO)
    parts = shard_reports(cases)  # in any order
    merged = regress.merge(parts)
    assert merged.shard is None
    assert [(j.case, j.framework, j.dtype, j.verdict) for j in merged.jobs] == [
        (j.case, j.framework, j.dtype, j.verdict) for j in whole.jobs
    ]
    assert merged.summary == whole.summary == {"fake": {"pass": 10}, "other": {"pass": 10}}
    assert len(whole.agreement) == 10
    assert [a.model_dump() for a in merged.agreement] == [a.model_dump() for a in whole.agreement]
    assert regress.diff(whole, merged)["changes"] == []


def test_merge_refuses_missing_foreign_or_overlapping_shards(tmp_path):
    cases = load(tmp_path, CASES)
    parts = shard_reports(cases)
    with pytest.raises(ValueError, match=r"shards 1/N \.\. N/N, each once; got 2/2"):
        regress.merge(parts[:1])
    unsharded = parts[1].model_copy(update={"shard": None})
    with pytest.raises(ValueError, match="got 2/2, unsharded"):
        regress.merge([parts[0], unsharded])
    other = parts[1].model_copy(deep=True)
    other.environment.frameworks["fake"].versions = {"fake": "2.0"}
    with pytest.raises(ValueError, match=r"fake: shards ran different versions: fake 1\.0 and fake 2\.0"):
        regress.merge([parts[0], other])
    twice = parts[1].model_copy(deep=True)
    twice.jobs.append(parts[0].jobs[0])
    with pytest.raises(ValueError, match=r"job c0\[fake-float64\] is in two shards"):
        regress.merge([parts[0], twice])


def test_merge_refuses_shards_of_different_case_sets(tmp_path):
    cases = load(tmp_path, CASES)
    first = shard_reports(cases, order=(1,))[0]
    fewer = shard_reports(cases[:4], order=(2,))[0]  # another run: c4 not loaded
    with pytest.raises(ValueError, match="shards 1/2 and 2/2 ran different case sets: c4 in only one"):
        regress.merge([first, fewer])


def conformance(*args):
    return subprocess.run(
        [sys.executable, "-m", "conformance", *args], cwd=REPO, capture_output=True, text=True, timeout=600
    )


@pytest.mark.parametrize("shard", ["0/2", "3/2", "1", "a/b"])
def test_bad_shard_is_a_usage_error(shard):
    result = conformance("run", "--shard", shard)
    assert result.returncode == 2 and "expected I/N with 1 <= I <= N" in result.stderr


def test_merge_command_writes_one_report(tmp_path):
    cases = load(tmp_path, CASES)
    jobs = run(cases)
    shards = []
    for i in (1, 2):
        mine = {id(j) for j in runner.shard(jobs, i, 2)}
        path = tmp_path / f"shard{i}.json"
        part = build(cases, [j for j in jobs if id(j) in mine])
        part.shard = report.Shard(index=i, count=2)
        report.write(part, path)
        shards.append(str(path))
    out = tmp_path / "merged.json"
    result = conformance("merge", *shards, "--report", str(out))
    assert result.returncode == 0, result.stderr
    assert len(report.read(out).jobs) == 10 and "10 jobs: 10 pass" in result.stdout
    assert conformance("merge", shards[0], "--report", str(out)).returncode == 2


def test_merge_refuses_shards_of_different_plans(tmp_path):
    cases = load(tmp_path, CASES)
    first, second = shard_reports(cases)  # shards 2/2 and 1/2 of one plan: both frameworks, every dtype and regime
    other_dtypes = second.model_copy(update={"plan": report.Plan(dtypes=["float64"], regimes=None)})
    with pytest.raises(
        ValueError,
        match="shards 2/2 and 1/2 ran different plans: frameworks fake, other; dtypes "
        "each case's; regimes each framework's default and frameworks fake, "
        "other; dtypes float64; regimes each framework's default",
    ):
        regress.merge([first, other_dtypes])
    fewer = second.model_copy(deep=True)
    del fewer.environment.frameworks["other"]
    with pytest.raises(ValueError, match=r"ran different plans: .* and frameworks fake; dtypes"):
        regress.merge([first, fewer])
    assert len(regress.merge([first, second]).jobs) == 20


def test_a_report_records_what_its_run_asked_for(tmp_path):
    result = conformance(
        "run",
        str(tmp_path),
        "--dtype",
        "float64",
        "--dtype",
        "float32",
        "--regime",
        "eager",
        "--framework",
        "torch",
        "--report",
        str(tmp_path / "r.json"),
    )  # no cases: nothing runs
    assert result.returncode == 3, result.stderr
    assert report.read(tmp_path / "r.json").plan == report.Plan(dtypes=["float32", "float64"], regimes=["eager"])


@pytest.mark.parametrize(
    "forge, error",
    [
        (lambda d: d["cases"].pop("c0"), "a job or an agreement of case c0, not in cases"),
        (lambda d: d["jobs"].append(d["jobs"][0]), r"job c0\[fake-float32\] is in the report twice"),
        (lambda d: d["jobs"][0].pop("case"), r"jobs\.0\.case: Field required"),
        (lambda d: d["jobs"][0].update(case="c9"), "a job or an agreement of case c9, not in cases"),
    ],
)
def test_merge_refuses_a_forged_shard_naming_it(tmp_path, forge, error):
    parts = [tmp_path / "shard1.json", tmp_path / "shard2.json"]
    for path, part in zip(parts, shard_reports(load(tmp_path, CASES), order=(1, 2)), strict=True):
        data = json.loads(part.model_dump_json(by_alias=True))
        if path == parts[0]:
            forge(data)
        path.write_text(json.dumps(data))
    result = conformance("merge", *map(str, parts), "--report", str(tmp_path / "merged.json"))
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    assert re.search(re.escape(f"conformance: {parts[0]}: not a valid report: ") + f".*{error}", result.stderr)
