"""The history store, its timelines, changelog, merge and bisect's search, on injected reports of the NumPy fake
adapter (no framework, no environment made)."""

from __future__ import annotations

import gzip
import json

import pytest

from conformance import cli
from conformance.history import envs, search, store, timeline
from conformance.history.store import JOB, Answer, Key, Measured
from conformance.model import Tolerance
from conformance.report import Report
from conformance.vocabulary import Class, Status, Verdict


def measured(release: str) -> Measured:
    return Measured("fake", release, "0.2.0 (test)", {"fake": release, "numpy": "2.0"}, [], 1.5, 2.5)


def released(sample: Report, good: float = 4.0, created: str = "2026-12-01T00:00:00+00:00") -> Report:
    """The sample report as a release that answers `good`'s gradient (float64) with `good` (judged against its 4)."""
    report = sample.model_copy(deep=True)
    report.created = created
    for job in report.jobs:
        if job.case == "good" and job.framework == "fake" and job.dtype == "float64":
            job.gradients["a"].value = good
            job.gradients["a"].verdict = Verdict.PASS if abs(good - 4.0) < 1e-9 else Verdict.FAIL
    return report


def history(sample: Report, *values: float) -> store.Store:
    """A store of releases 1.0, 1.1, ..., the n-th answering `good` with the n-th value."""
    held = store.empty()
    for n, value in enumerate(values):
        store.fold(held, released(sample, value), measured(f"1.{n}"))
    return held


def test_a_store_round_trips_gzipped_and_keeps_an_answer_given_by_two_releases_once(sample, tmp_path):
    one = history(sample, 4.0)
    two = history(sample, 4.0, 4.0)
    assert len(two.answers) == len(one.answers) and len(two.keys) == len(one.keys)
    assert len(two.releases) == 2 and two.releases[0].answers == two.releases[1].answers
    path = tmp_path / "store.json.gz"
    store.write(two, path)
    assert json.loads(gzip.decompress(path.read_bytes()))["format"] == "gradient-conformance-history"
    again = store.read(path)
    assert again == two
    store.write(again, tmp_path / "again.json.gz")
    assert (tmp_path / "again.json.gz").read_bytes() == path.read_bytes()


def test_a_release_records_what_was_installed_and_the_unavailable_framework_is_left_out(sample):
    held = history(sample, 4.0)
    release = held.releases[0]
    assert release.installed == {"fake": "1.0", "numpy": "2.0"} and release.env_seconds == 1.5
    assert release.load_errors == []
    assert {k.framework for k in held.keys} == {"fake"}  # "broken" was unavailable
    raised = next(k for k in held.keys if k.case == "raises")
    assert (
        raised.gradient == JOB and held.answers[dict(release.answers)[held.keys.index(raised)]].status == Status.ERROR
    )


def test_a_case_file_the_release_cannot_load_is_recorded(sample):
    from conformance.report import LoadErrorRecord

    report = sample.model_copy(deep=True)
    report.load_errors = [LoadErrorRecord(file="cases/reparam/mvn.yaml", line=16, message="params: AttributeError")]
    held = store.empty()
    store.fold(held, report, measured("1.0"))
    assert held.releases[0].load_errors == ["cases/reparam/mvn.yaml:16: params: AttributeError"]


def test_a_float32_value_is_kept_at_the_digits_float32_needs(sample):
    held = history(sample, 4.0)
    good32 = next(i for i, k in enumerate(held.keys) if k.case == "good" and k.dtype == "float32")
    assert held.answers[dict(held.releases[0].answers)[good32]].value == 4.0  # the report's 4.00000000000034


@pytest.mark.parametrize(
    "error, verdict",
    [
        ("AttributeError: module 'jax.numpy' has no attribute 'xlogy'", Verdict.UNSUPPORTED),
        ("ImportError: cannot import name 'logsumexp'", Verdict.UNSUPPORTED),
        ("TypeError: f() got an unexpected keyword argument 'axis'", Verdict.UNSUPPORTED),
        ("RuntimeError: deliberate", Verdict.ERROR),
    ],
)
def test_an_error_that_says_the_release_lacks_an_api_is_unsupported_not_an_error(sample, error, verdict):
    report = sample.model_copy(deep=True)
    next(j for j in report.jobs if j.case == "raises" and j.framework == "fake").failures = [error]
    entries = dict(((k.case, k.gradient), a) for k, a in store.entries(report, "fake"))
    assert entries[("raises", JOB)].verdict == verdict


def test_a_value_within_the_cases_tolerance_is_no_change_and_one_beyond_it_is(sample):
    held = history(sample, 4.0, 4.0 * (1 + 1e-12), 5.0)
    assert timeline.changelog(held, "fake") == [
        "1.2: good a [float64]: 4 -> 5, pass -> fail",
        "1.1: no gradient changed since 1.0",
    ]


def test_show_collapses_equal_neighbours_into_ranges(sample):
    held = history(sample, 4.0, 4.0, 5.0, 4.0)
    lines = timeline.show(held, "good", "fake")
    at = lines.index("fake good a [float64]:")
    assert lines[at + 1 : at + 4] == ["  1.0 .. 1.1: 4 (pass)", "  1.2: 5 (fail)", "  1.3: 4 (pass)"]
    assert "  1.0 .. 1.3: 4 (pass)" in lines  # float32 never changed
    assert timeline.show(held, "no-such-case") == []


def test_the_changelog_is_newest_first_and_counts_each_changed_gradient(sample):
    held = history(sample, 4.0, 5.0, 6.0)
    lines = timeline.changelog(held, "fake")
    assert [line.split(":")[0] for line in lines] == ["1.2", "1.1"]
    assert len(timeline.changed_keys(held, "fake")) == 1


def test_merge_joins_stores_and_keeps_the_newer_measurement_of_a_release_saying_so(sample):
    old, new, other = store.empty(), store.empty(), store.empty()
    store.fold(old, released(sample, 4.0, "2026-12-01T00:00:00+00:00"), measured("1.0"))
    store.fold(new, released(sample, 5.0, "2026-12-02T00:00:00+00:00"), measured("1.0"))
    store.fold(other, released(sample, 4.0), measured("1.1"))
    merged, said = store.merge([new, other, old])
    assert [r.release for r in store.of(merged, "fake")] == ["1.0", "1.1"]
    assert store.find(merged, "fake", "1.0").measured == "2026-12-02T00:00:00+00:00"  # type: ignore[union-attr]
    assert said == [
        "fake 1.0: measured twice (2026-12-02T00:00:00+00:00 and 2026-12-01T00:00:00+00:00): keeping "
        "2026-12-02T00:00:00+00:00"
    ]
    assert timeline.changelog(merged, "fake") == ["1.1: good a [float64]: 5 -> 4, fail -> pass"]


def test_bisect_finds_the_first_changed_release_in_a_few_measurements(sample):
    releases = [f"1.{n}" for n in range(17)]
    before = search.by_gradient(store.entries(released(sample, 4.0), "fake"))
    after = search.by_gradient(store.entries(released(sample, 5.0), "fake"))
    found = search.bisect(releases, lambda r: after if int(r.split(".")[1]) >= 11 else before)
    assert (found.release, found.before) == ("1.11", "1.10")
    assert found.changes == ["good a [float64]: 4 -> 5, pass -> fail"]
    assert len(found.measured) <= 2 + 4  # the ends, then log2(16) halvings
    unchanged = search.bisect(releases, lambda r: before)
    assert unchanged.release is None and unchanged.measured == ["1.0", "1.16"]


def test_releases_in_a_range_are_final_each_once_oldest_first():
    listed = ["2.15.0", "2.14.0", "2.13.0+cpu", "2.13.0", "2.13.0rc1", "0.9.0.1", "2.12.0", "not-a-version"]
    assert envs.in_range(listed, "2.13.0", None) == ["2.13.0", "2.14.0", "2.15.0"]
    assert envs.in_range(["0.9.0.1", "0.9.0", "0.10.0"], None, "0.9.2") == ["0.9.0", "0.9.0.1"]


def test_a_tensorflow_release_brings_its_own_probability_and_keras():
    assert envs.pins("tensorflow", "2.16.2") == [
        "tensorflow-cpu==2.16.2",
        "tensorflow==2.16.2",
        "tf-keras==2.16.*",
        "tensorflow-probability==0.24.0",
    ]
    assert envs.pins("tensorflow", "2.21.0")[-1] == "tensorflow-probability==0.25.0"
    assert envs.pins("jax", "0.4.30") == ["jax==0.4.30", "jaxlib==0.4.30"]


def test_the_constraints_a_release_could_not_meet_are_recorded():
    constraints = "# pins\ntorch==2.13.0\noptax==0.2.8\njax==0.10.2\n"
    assert envs._missed(constraints, ["jax==0.4.30"], {"jax": "0.4.30", "optax": "0.2.5"}) == ["optax==0.2.8"]


def test_the_command_shows_and_writes_a_changelog_from_a_store(sample, tmp_path, capsys):
    path = tmp_path / "store.json.gz"
    store.write(history(sample, 4.0, 5.0), path)
    assert cli.main(["history", "changelog", "--framework", "jax", "--store", str(path)]) == 3  # no jax releases
    assert cli.main(["history", "show", "good", "--store", str(path)]) == 0
    assert "  1.1: 5 (fail)" in capsys.readouterr().out
    assert cli.main(["history", "show", "nothing", "--store", str(path)]) == 3
    (tmp_path / "bad.json.gz").write_bytes(b"not gzip")
    assert cli.main(["history", "show", "good", "--store", str(tmp_path / "bad.json.gz")]) == 2
    merged = tmp_path / "merged.json.gz"
    assert cli.main(["history", "merge", str(path), str(path), "--out", str(merged)]) == 0
    assert len(store.read(merged).releases) == 2


def test_the_committed_schema_is_the_generated_one_and_a_written_store_meets_it(sample, tmp_path):
    from conformance import schemas
    from tests.conftest import REPO

    committed = (REPO / "schema" / "history.schema.json").read_text(encoding="utf-8")
    assert committed == schemas.text(schemas.history_schema()), "regenerate: conformance schema --history"
    path = tmp_path / "store.json.gz"
    store.write(history(sample, 4.0, 5.0), path)
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.validate(json.loads(gzip.decompress(path.read_bytes())), json.loads(committed))


def test_run_outside_a_checkout_says_it_needs_one(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(envs, "ROOT", tmp_path)
    assert (
        cli.main(
            ["history", "run", "--framework", "jax", "--releases", "0.10.2", "--store", str(tmp_path / "s.json.gz")]
        )
        == 2
    )
    assert "need a checkout of the repository (constraints.txt, pyproject.toml not found" in capsys.readouterr().err


def _answer(
    value: object, cls: Class = Class.FINITE, verdict: Verdict = Verdict.PASS, representation: str | None = None
) -> Answer:
    return Answer(status=Status.VALUE, cls=cls, verdict=verdict, representation=representation, value=value, error=None)


def _key(**update: object) -> Key:
    return Key(framework="jax", case="c", dtype="float64", gradient="x", tolerance=Tolerance(rtol=1e-7), **update)


def test_an_empty_value_or_a_zero_spelled_another_way_is_no_change():
    assert timeline.same(
        _key(), _answer([], Class.EXACT_ZERO, representation="symbolic zero"), _answer([], Class.EXACT_ZERO)
    )
    none = Answer(
        status=Status.DISCONNECTED, cls=None, verdict=Verdict.PASS, representation="None", value=None, error=None
    )
    assert not timeline.same(_key(), none, none.model_copy(update={"representation": "symbolic zero"}))


def test_a_nan_is_a_change_and_a_value_of_the_releases_own_draws_is_compared_by_verdict_only():
    assert not timeline.same(_key(), _answer([1.0]), _answer(["nan"], Class.NAN))
    assert timeline.same(_key(values_compared=False), _answer([1.0, 2.0]), _answer([1.5, 0.5]))
    assert not timeline.same(_key(values_compared=False), _answer([1.0]), _answer([1.5], verdict=Verdict.FAIL))


def test_a_change_shows_the_digits_that_tell_old_and_new_apart():
    assert timeline.moved(_answer(0.1234567891), _answer(0.1234567)) == "0.1234567891 -> 0.1234567"
    assert timeline.moved(_answer(4.0), _answer(5.0)) == "4 -> 5"
    assert timeline.moved(_answer(4.0), _answer(4.0, verdict=Verdict.FAIL)) == "4 -> the same"


def test_the_changelog_notes_another_numpy_major_and_case_files_that_did_not_load(sample):
    held = history(sample, 4.0, 4.0)
    older = store.of(held, "fake")[0]
    older.installed["numpy"], older.load_errors = "1.26.4", ["cases/x.yaml:1: AttributeError"]
    assert timeline.changelog(held, "fake")[1:] == [
        "1.1: note: judged with numpy 2.0, 1.0 with numpy 1.26.4: a verdict that changes with the same value may be "
        "NumPy's",
        "1.1: note: 1 case files did not load in 1.0 (e.g. cases/x.yaml:1: AttributeError): their cases are not "
        "compared",
    ]
