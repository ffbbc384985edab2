"""The one ranking of where the frameworks differ, and the one count every view says."""

from rich.console import Console

from conformance import ranking, summary
from conformance.report import AgreementRecord, AnswerRecord
from conformance.vocabulary import Agreement, Symptom


def _answer(
    label: str,
    value=None,
    matches: bool | None = True,
    status: str = "value",
    cls: str | None = "finite",
    verdict: str = "pass",
    representation: str | None = None,
) -> AnswerRecord:
    return AnswerRecord(
        framework=label,
        label=label,
        status=status,
        cls=cls if status == "value" else None,
        representation=representation,
        value=value if status == "value" else None,
        error="RuntimeError: no" if status == "error" else None,
        verdict=verdict,
        matches_math=matches,
        why=None,
        link=None,
    )


def _row(
    case: str,
    answers: list[AnswerRecord],
    dtype: str = "float64",
    gradient: str = "x",
    result: Agreement = Agreement.DIFFER,
) -> AgreementRecord:
    odd = [a.label for a in answers if a.matches_math is False]
    return AgreementRecord(
        case=case,
        dtype=dtype,
        gradient=gradient,
        result=result,
        difference="value",
        answers=answers,
        groups=[[a.label] for a in answers],
        odd=odd,
        reason=None,
    )


def _ok(label: str, value=1.0) -> AnswerRecord:
    return _answer(label, value)


RECORDS = [
    _row("agree", [_ok("torch"), _ok("jax")], result=Agreement.AGREE),
    _row(
        "floor-sweep[a]",
        [
            _answer("torch", 0.0, cls="exact_zero"),
            _answer("jax", None, status="disconnected", representation="symbolic zero"),
        ],
    ),
    _row(
        "floor-sweep[b]",
        [
            _answer("torch", [0.0, 0.0], cls="exact_zero"),
            _answer("jax", None, status="disconnected", representation="symbolic zero"),
        ],
    ),
    _row("both-odd", [_answer("torch", 2.0, matches=False), _answer("jax", 2.0, matches=False)]),
    _row("jax-none", [_ok("torch"), _answer("jax", status="disconnected", representation="None", matches=False)]),
    _row("torch-error", [_answer("torch", status="error", matches=False, verdict="xfail"), _ok("jax")]),
    _row("torch-nan", [_answer("torch", float("nan"), cls="nan", matches=False, verdict="convention"), _ok("jax")]),
    _row("torch-convention", [_answer("torch", 3.0, matches=False, verdict="convention"), _ok("jax")]),
    _row("torch-convention", [_answer("torch", 3.0, matches=False, verdict="convention"), _ok("jax")], "float32"),
    _row("torch-fail", [_answer("torch", list(range(10)), matches=False, verdict="fail"), _ok("jax")]),
    _row(
        "nobody",
        [_answer("torch", 1.0, matches=None), _answer("jax", 2.0, matches=None)],
        result=Agreement.DIFFER_NO_REFERENCE,
    ),
    _row("not-compared", [_ok("torch"), _ok("jax", 2.0)], result=Agreement.NOT_COMPARED),
]


def test_misses_of_the_math_come_first_by_odd_framework_then_symptom_worst_first_and_representation_last():
    ranked = ranking.rank(RECORDS)
    assert [(f.case, f.heading) for f in ranked.findings] == [
        ("torch-fail", "torch misses the math: a wrong value"),
        ("torch-convention", "torch misses the math: a wrong value"),
        ("torch-nan", "torch misses the math: NaN"),
        ("torch-error", "torch misses the math: an error"),
        ("jax-none", "jax misses the math: None (disconnected)"),
        ("both-odd", "torch, jax miss the math: a wrong value"),
        ("nobody", ranking.Section.NO_REFERENCE.value),
        ("floor-sweep[a]", ranking.Section.REPRESENTATION.value),
        ("floor-sweep[b]", ranking.Section.REPRESENTATION.value),
    ]
    assert ranked.findings[1].dtypes == ["float64", "float32"]  # one row, the dtypes with the same answers
    assert ranked.findings[3].symptom == Symptom.ERROR


def test_one_count_the_differing_gradients_and_representation_only_collapses_per_function():
    ranked = ranking.rank(RECORDS)
    assert ranked.count == 10 == len(ranked.records()) and ranked.compared == 11
    assert ranked.counted(ranking.Section.REPRESENTATION) == 2
    [floor] = ranked.collapsed()
    assert (floor.function, floor.count, floor.representations()) == ("floor-sweep", 2, "torch 0.0 | jax symbolic zero")
    assert ranked.headline() == (
        "Where the frameworks differ: 10 of 11 gradients (case, input, dtype) compared: "
        "7 where a framework misses the math; 1 with no reference; 2 where every framework "
        "matches it (representation only)"
    )
    assert ranking.rank(RECORDS[:1]).headline() == (
        "The frameworks agree on all 1 gradients (case, input, dtype) compared."
    )


def test_arrays_are_elided_to_a_few_elements():
    assert ranking.brief(list(range(10))) == "[0, 1, 2, … (10 values)]"
    assert ranking.brief([1.5, 2.0]) == "[1.5, 2. ]"
    ranked = ranking.rank(RECORDS)
    assert ranked.findings[0].answers() == "torch [0, 1, 2, … (10 values)] ✗ fail | jax 1 ✓"


def _text(verbose: bool) -> str:
    console = Console(record=True, width=300, color_system=None)
    for line in summary.difference_lines(ranking.rank(RECORDS), verbose):
        console.print(line, soft_wrap=True)
    return console.export_text()


def test_the_terminal_collapses_representation_only_rows_unless_verbose():
    text = _text(verbose=False)
    assert (
        "representation only (every framework matches the math) (2)\n  floor-sweep: 2 gradients: torch 0.0 | "
        "jax symbolic zero\n" in text
    )
    assert "floor-sweep[a]" not in text
    assert text.index("torch-fail") < text.index("jax-none") < text.index("both-odd") < text.index("nobody")
    verbose = _text(verbose=True)
    assert "  floor-sweep[a] x [float64]: torch 0 (exact_zero) ✓ | jax symbolic zero ✓" in verbose


def test_frameworks_with_the_same_answer_share_it_in_a_row():
    row = [_row("abs", [_ok("torch", 0.0), _ok("tensorflow", 0.0), _answer("jax", 1.0, matches=False)])]
    [_, line] = summary.difference_lines(ranking.rank(row))
    assert line.plain == "  abs x [float64]: torch, tensorflow 0 ✓ | jax 1 ✗"


def test_the_terminal_folds_a_function_s_rows_and_caps_a_heading_unless_verbose():
    many = [
        _row(f"f{i}-sweep[{s}]", [_answer("torch", 3.0, matches=False, verdict="convention"), _ok("jax")])
        for i in range(summary.ROWS + 2)
        for s in "ab"
    ]
    folded = summary.difference_lines(ranking.rank(many))
    texts = [line.plain for line in folded]
    assert texts[0] == f"torch misses the math: a wrong value ({len(many)})"
    assert texts[1].startswith("  f0-sweep[a] x [float64]: torch 3 ✗ convention | jax 1 ✓") and texts[1].endswith(
        "(+1 more of f0-sweep)"
    )
    assert texts[-1] == f"  +{2 * (summary.ROWS + 2) - 2 * summary.ROWS} more gradients (-v lists them)"
    assert len(texts) == 1 + summary.ROWS + 1
    assert len(summary.difference_lines(ranking.rank(many), verbose=True)) == 1 + len(many)
