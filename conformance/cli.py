"""The `conformance` command.

Exit codes: 0 all pass, 1 any failure, 2 usage or load error, 3 nothing ran or matched (no job, every job
unavailable, or a framework named with --framework unavailable; `list`: no case), 141 stdout closed early (`| head`).
Each subcommand's --help says what it does, its exit codes and examples.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import math
import os
import re
import sys
import tempfile
from collections.abc import Callable, Sequence
from contextlib import suppress
from importlib.metadata import PackageNotFoundError, entry_points, version
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from rich.console import Console

from conformance import adapters, junit, loader, progress, regress, renames, report, runner, summary, verdicts
from conformance.history import command as history
from conformance.kinds import KINDS
from conformance.model import ALL_DTYPES, FRAMEWORK
from conformance.vocabulary import Regime, Verdict

if TYPE_CHECKING:
    from conformance.history.store import Store

OK, FAILED, USAGE, NOTHING_RAN = 0, 1, 2, 3
BROKEN_PIPE = 128 + 13  # what a shell reports for a process ended by SIGPIPE
# The distributions whose versions `--version` shows per built-in framework (read from metadata, never imported).
FRAMEWORK_PACKAGES = {
    "torch": ("torch",),
    "tensorflow": ("tensorflow", "tensorflow-cpu", "tensorflow-probability"),
    "jax": ("jax", "jaxlib"),
}
ALL = "all"  # --regime all: every regime
_PATHS_HELP = "case files or folders (default: ./cases if present, else the shipped library)"


#: per subcommand: what it does (its --help's description), its exit codes and examples (its epilog)
PAGES: dict[str, tuple[str, str, list[str]]] = {
    "run": (
        "Run the cases on every installed framework (each in worker processes of its own), judge each gradient "
        "against the math (the case's stated value and a NumPy finite-difference oracle) and print where the "
        "frameworks differ, ranked.",
        "0 every job passed (a recorded convention or known bug counts), 1 a job failed (fail, error, stale) or "
        "regressed against --baseline, 2 usage or load error, 3 nothing ran (no case matched, every job "
        "unavailable, or a --framework unavailable), 130/143 interrupted (what finished is a partial report), "
        "141 stdout closed early",
        [
            "conformance run                                  # the shipped library, about 4 to 16 minutes",
            "conformance run cases/ --report report.json      # your own cases, keeping the report",
            "conformance run -k abs --tag kink --framework jax --dtype float64",
            "conformance run --baseline old.json --junit junit.xml   # CI: exit 1 on a regression",
        ],
    ),
    "schema": (
        "Print the JSON Schema of a case file (or, with --report, of the report), for an editor's "
        "completion and validation.",
        "0",
        ["conformance schema > case.schema.json", "conformance schema --report > report.schema.json"],
    ),
    "docs": (
        "Generate the reference site (HTML, and its Markdown sources) from the cases and a run's report: "
        "the math, each framework's answer, its documented reason and link.",
        "0 written, 2 usage error, an unreadable report or the docs extra missing",
        [
            "conformance docs --report report.json --out site   # then open site/index.html",
            "conformance docs cases/ --out site                 # runs the suite first",
        ],
    ),
    "list": (
        "List the cases, one a line: id, kind, tags, file:line; the count on stderr.",
        "0 cases listed, 2 load error or no such path, 3 no case matched",
        ["conformance list --tag kink", "conformance list cases/ -k 'abs*' --kind grad"],
    ),
    "coverage": (
        "Which functions (the Array API standard's, and the function table's) the cases check, per framework.",
        "0, 2 load error or an unreadable report",
        ["conformance coverage", "conformance coverage --report report.json --format markdown"],
    ),
    "compare": (
        "What changed between two reports: verdicts, statuses, classes, values that moved beyond the case's "
        "tolerance, and where the frameworks started or stopped differing.",
        "0 nothing regressed, 1 something regressed, 2 a report unreadable or partial",
        [
            "conformance compare old.json new.json",
            "conformance compare old.json new.json --json",
            "conformance compare full.json subset.json -v   # list the jobs on one side only",
        ],
    ),
    "merge": (
        "Merge the reports of `run --shard I/N`, i = 1..N, into one report, as if one run had made it.",
        "0 every merged job passed, 1 a merged job failed, 2 the shards do not fit together",
        ["conformance merge out/shard*.json --report out/report.json"],
    ),
    "generate-sweeps": (
        "Write one sweep case per elementwise function of the table, at its special points.",
        "0",
        ["conformance generate-sweeps --out conformance/cases/sweeps"],
    ),
    "fuzz": (
        "Draw random expressions, find where a framework misses the math, shrink each new finding and write "
        "it as a case file.",
        "0 no new finding, 1 new findings (written to --out), 2 usage error, 130/143 interrupted (what was "
        "found is kept)",
        [
            "conformance fuzz --out found/ --seconds 300",
            "conformance fuzz --out found/ --functions 'log*' --seed 3 --expressions 200",
        ],
    ),
    "history": (
        "Release history: measure each release of a framework in an isolated environment of its own (run), "
        "print a case's answers over releases (show), a framework's changelog of gradients (changelog), "
        "find the first release where your case's answer changes (bisect), join stores (merge).",
        "0 done, 1 a release could not be measured (the others are stored), 2 usage error or an unreadable "
        "store, 3 nothing to show (no such case, fewer than two releases)",
        [
            "conformance history run --framework jax --from 0.4.30 --jobs 2",
            "conformance history show abs-at-zero --framework jax",
            "conformance history changelog --framework tensorflow",
            "conformance history bisect my_case.yaml --framework jax --from 0.4.30 --to 0.10.2",
            "conformance history merge stores/*.json.gz --out history/store.json.gz",
        ],
    ),
}


def _page(commands: Any, name: str, help_text: str) -> argparse.ArgumentParser:
    """A subcommand with its description, exit codes and examples."""
    description, codes, examples = PAGES[name]
    epilog = f"exit codes: {codes}\n\nexamples:\n" + "\n".join(f"  {e}" for e in examples)
    return commands.add_parser(
        name,
        help=help_text,
        description=description,
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # argparse exits 2 on usage errors too; keep its message
        self.print_usage(sys.stderr)
        self.exit(USAGE, f"{self.prog}: error: {message}\n")

    def _check_value(self, action: argparse.Action, value: Any) -> None:
        """An unknown choice (a command, a kind, a dtype, a regime) names the closest known ones, as unknown names in
        case files do."""
        if action.choices is not None and value not in action.choices:
            raise argparse.ArgumentError(action, renames.unknown(action.dest, str(value), map(str, action.choices)))


def main(argv: list[str] | None = None) -> int:
    """The command; a reader that closes stdout early (`conformance run | head`) ends it quietly."""
    try:
        code = _main(argv)
        sys.stdout.flush()
        return code
    except BrokenPipeError:
        # Point stdout at /dev/null so the interpreter's last flush does not raise again at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return BROKEN_PIPE


def _main(argv: list[str] | None) -> int:
    args = parser().parse_args(argv)
    if getattr(args, "paths", None) == []:
        args.paths = loader.default_paths()
    commands: dict[str, Callable[[argparse.Namespace], int]] = {
        "schema": lambda args: _schema(args.report, args.history),
        "docs": _docs,
        "compare": _compare,
        "merge": _merge,
        "list": _list,
        "generate-sweeps": _generate_sweeps,
        "coverage": _coverage,
        "fuzz": _fuzz,
        "run": _run,
        "history": history.main,
    }
    return commands[args.command](args)


def parser() -> argparse.ArgumentParser:
    """The command line: every subcommand and its options (its own --help page each)."""
    parser = _Parser(prog="conformance", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--version",
        action=_Version,
        nargs=0,
        help="print this package's version and each installed framework's, then exit",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    run = _page(commands, "run", "run cases on every installed framework")
    run.add_argument("paths", nargs="*", help=_PATHS_HELP)
    run.add_argument(
        "--framework",
        action="append",
        choices=None,
        metavar="NAME",
        help="run only this framework (repeatable); default: all adapters",
    )
    run.add_argument("--dtype", action="append", choices=ALL_DTYPES, help="run only this dtype (repeatable)")
    run.add_argument(
        "--regime",
        action="append",
        choices=[*Regime, ALL],
        metavar="NAME",
        help="execution regime (repeatable): eager, compiled, xla or all; default: each framework's own "
        "(torch and TensorFlow eager, JAX compiled by jax.jit)",
    )
    run.add_argument(
        "-k",
        "--case",
        action="append",
        metavar="PATTERN",
        help="run only cases whose id matches (repeatable): a glob if it has * ? [, else a substring",
    )
    run.add_argument("--tag", action="append", metavar="TAG", help="run only cases with this tag (repeatable: any)")
    run.add_argument("--report", metavar="FILE", type=_output_file, help="write the JSON report here")
    run.add_argument("--json", action="store_true", help="print the JSON report on stdout; the summary goes to stderr")
    run.add_argument("--timeout", type=_timeout, default=120.0, help="seconds per job (default 120)")
    run.add_argument("--quiet", action="store_true", help="no progress display")
    run.add_argument(
        "--workers",
        type=_positive,
        metavar="N",
        help="framework workers at once (default: the cores, as far as the memory holds 1 GiB each)",
    )
    run.add_argument(
        "--no-compile-cache",
        action="store_true",
        help=f"compile every program afresh (default: JAX keeps them in {runner.COMPILE_CACHE})",
    )
    run.add_argument("--no-partial", action="store_true", help="if interrupted, write no report or JUnit file")
    run.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="list every row where the frameworks differ (default: a few per heading, representation-only "
        "differences one line per function)",
    )
    run.add_argument("--table", action="store_true", help="also print every job's verdict")
    run.add_argument("--baseline", metavar="FILE", help="compare with this saved report; exit 1 if anything regressed")
    run.add_argument("--junit", metavar="FILE", type=_output_file, help="write JUnit XML here")
    run.add_argument("--shard", type=_shard, metavar="I/N", help="run only shard I of N (1 <= I <= N)")
    run.add_argument(
        "--expectations",
        metavar="FILE",
        help="known divergences, one a line: <case>[<framework>] <versions or *> <issue> <why>",
    )

    schema = _page(commands, "schema", "print the JSON Schema of a case file (or of the report)")
    schema.add_argument("--report", action="store_true", help="the report's schema instead")
    schema.add_argument("--history", action="store_true", help="the release history store's schema instead")

    docs = _page(commands, "docs", "generate the reference pages (HTML and Markdown)")
    docs.add_argument("paths", nargs="*", help=_PATHS_HELP)
    docs.add_argument("--report", metavar="FILE", help="a run's JSON report (default: run the suite first)")
    docs.add_argument("--out", metavar="DIR", type=_output_dir, required=True, help="write the site here")
    docs.add_argument(
        "--history",
        metavar="FILE",
        help="the release history store for the History page (default: the checkout's "
        "history/store.json.gz where it exists)",
    )

    listing = _page(commands, "list", "list the cases: id, kind, tags, file:line")
    listing.add_argument("paths", nargs="*", help=_PATHS_HELP)
    listing.add_argument("--kind", action="append", choices=list(KINDS), help="only this kind (repeatable)")
    listing.add_argument("--tag", action="append", metavar="TAG", help="only cases with this tag (repeatable: any)")
    listing.add_argument(
        "-k",
        "--case",
        action="append",
        metavar="PATTERN",
        help="only cases whose id matches (repeatable): a glob if it has * ? [, else a substring",
    )

    cover = _page(commands, "coverage", "which functions (Array API, table) the cases check, per framework")
    cover.add_argument("paths", nargs="*", help=_PATHS_HELP)
    cover.add_argument("--report", metavar="FILE", help="count only the jobs this run's report shows ran")
    cover.add_argument("--format", choices=("table", "json", "markdown"), default="table", help="default: table")

    diff = _page(commands, "compare", "what changed between two reports; exit 1 if anything regressed")
    diff.add_argument("old", metavar="OLD.json")
    diff.add_argument("new", metavar="NEW.json")
    diff.add_argument("--json", action="store_true", help="print the changes as JSON")
    diff.add_argument(
        "-v",
        "--verbose",
        "--all",
        action="store_true",
        help="list every job on one side only (default: one counted line)",
    )

    merge = _page(commands, "merge", "merge the reports of `run --shard I/N` into one")
    merge.add_argument("reports", nargs="+", metavar="SHARD.json")
    merge.add_argument(
        "--report", metavar="FILE", type=_output_file, required=True, help="write the merged report here"
    )

    sweeps = _page(
        commands, "generate-sweeps", "write one sweep case per elementwise function of the table (its special points)"
    )
    sweeps.add_argument(
        "--out",
        metavar="DIR",
        type=_output_dir,
        required=True,
        help="write the case files here (the library's: conformance/cases/sweeps)",
    )

    fuzzing = _page(
        commands,
        "fuzz",
        "draw random expressions, find where the frameworks miss the math, "
        "shrink each new finding and write it as a case",
    )
    fuzzing.add_argument(
        "--out", metavar="DIR", type=_output_dir, required=True, help="write each new finding's case file here"
    )
    fuzzing.add_argument("--seconds", type=_timeout, default=60.0, help="how long to draw (default 60)")
    fuzzing.add_argument(
        "--expressions",
        type=_positive,
        metavar="N",
        help="stop after N expressions (with --seed, a run that repeats exactly)",
    )
    fuzzing.add_argument("--seed", type=int, default=0, help="the generator's seed (default 0)")
    fuzzing.add_argument(
        "--functions",
        metavar="PATTERN",
        help="put only these functions at an expression's core: a glob if it has * ? [, else a substring of the name",
    )
    fuzzing.add_argument(
        "--framework", action="append", metavar="NAME", help="only this framework (repeatable); default: all adapters"
    )
    fuzzing.add_argument(
        "--dtype", action="append", choices=("float32", "float64"), help="only this dtype (repeatable); default: both"
    )
    fuzzing.add_argument(
        "--regime",
        action="append",
        choices=[*Regime, ALL],
        metavar="NAME",
        help="execution regime (repeatable): eager, compiled, xla or all; default: eager in every "
        "framework (JAX too: its jit compiles each distinct expression)",
    )
    fuzzing.add_argument("--report", metavar="FILE", type=_output_file, help="write the JSON fuzz report here")
    fuzzing.add_argument("--quiet", action="store_true", help="no progress display")
    history.arguments(_page(commands, "history", "release history: which gradient changed in which release"))
    return parser


def _fuzz(args: argparse.Namespace) -> int:
    """Draw, run, filter, shrink and write; exit 1 when there are new findings, 130 or 143 when interrupted (what
    was found is kept: its case files and, with --report, its report)."""
    from conformance import fuzz
    from conformance.fuzz.report import render

    known = adapters.available()
    unknown = [fw for fw in args.framework or [] if fw not in known]
    if unknown:
        print("\n".join(f"conformance: {renames.unknown('framework', fw, known)}" for fw in unknown), file=sys.stderr)
        return USAGE
    options = fuzz.Options(
        out=Path(args.out),
        seconds=args.seconds,
        seed=args.seed,
        functions=args.functions,
        frameworks=args.framework or list(known),
        dtypes=tuple(args.dtype or fuzz.DTYPES),
        expressions=args.expressions,
        regimes=_regimes(args.regime) or [Regime.EAGER],
        report=Path(args.report) if args.report else None,
    )
    try:
        with runner.interruptible(), fuzz.Display(options, quiet=args.quiet) as show:
            result = fuzz.fuzz(options, known, progress=show)
    except ValueError as err:
        print(f"conformance: {err}", file=sys.stderr)
        return USAGE
    except runner.Interrupted as stopped:  # before the first batch: nothing found yet
        return 128 + stopped.signum
    render(result, _console(stderr=False))
    if args.report:
        print(f"report: {args.report}" + (" (interrupted)" if result.interrupted else ""))
    if result.interrupted:
        return 128 + result.interrupted
    return FAILED if result.new else OK


def _docs(args: argparse.Namespace) -> int:
    """Pages from the cases and a report; with no report, run the suite first and keep its report beside them."""
    try:
        from conformance import docs
    except ImportError as err:
        print(f"conformance: docs need the docs extra (pip install -e '.[docs]'): {err}", file=sys.stderr)
        return USAGE
    if args.report is None:
        args.report = str(Path(args.out) / "report.json")
        main(["run", *map(str, args.paths), "--report", args.report, "--quiet"])  # failures are results the pages show
    try:
        result = report.read(args.report)
    except (OSError, ValueError) as err:
        print(f"conformance: {err}", file=sys.stderr)
        return USAGE
    try:
        history = _history_store(args.history)
    except ValueError as err:
        print(f"conformance: {err}", file=sys.stderr)
        return USAGE
    cases, _ = loader.load(args.paths)
    written = docs.generate(result, cases, args.out, history=history)
    print(f"docs: {len(written)} files; open {Path(args.out) / 'index.html'}")
    return OK


def _history_store(path: str | None) -> Store | None:
    """The store the History page shows: the one given (an error where it cannot be read), else the checkout's."""
    from conformance.history import store
    from conformance.history.command import STORE

    if path is None:
        return store.read(STORE) if STORE.is_file() else None
    if not Path(path).is_file():
        raise ValueError(f"{path}: no such history store")
    return store.read(path)


def _generate_sweeps(args: argparse.Namespace) -> int:
    """The sweep cases, from the function table's domains and special points."""
    from conformance import generate

    written = generate.write(Path(args.out))
    print(f"generate-sweeps: {len(written)} files in {args.out}")
    return OK


def _schema(of_report: bool, of_history: bool = False) -> int:
    """The text of schema/case.schema.json (or report.schema.json, history.schema.json), generated from the
    models."""
    from conformance import schemas

    chosen = schemas.history_schema if of_history else schemas.report_schema if of_report else schemas.case_schema
    sys.stdout.write(schemas.text(chosen()))
    return OK


def _run(args: argparse.Namespace) -> int:
    known = adapters.available()
    frameworks = args.framework or list(known)
    unknown = [fw for fw in frameworks if fw not in known]
    if unknown:
        print("\n".join(f"conformance: {renames.unknown('framework', fw, known)}" for fw in unknown), file=sys.stderr)
        return USAGE
    misnamed = [fw for fw in frameworks if not re.fullmatch(FRAMEWORK, fw)]
    if misnamed:  # the report would be refused after the whole run
        print(
            f"conformance: an adapter's name must match {FRAMEWORK} for the report to name it: "
            f"{', '.join(map(repr, misnamed))}",
            file=sys.stderr,
        )
        return USAGE
    missing = [p for p in args.paths if not Path(p).exists()]
    if missing:
        print(f"conformance: no such file or folder: {', '.join(missing)}", file=sys.stderr)
        return USAGE
    if args.report and args.junit and _same_file(args.report, args.junit):
        print(
            f"conformance: --report {args.report} and --junit {args.junit} are one file: each would overwrite "
            "the other",
            file=sys.stderr,
        )
        return USAGE
    try:
        baseline = report.read(args.baseline) if args.baseline else None
        if baseline is not None and baseline.partial is not None:
            raise ValueError(f"{args.baseline} is partial ({baseline.partial.reason}): a baseline must be complete")
        marks, mark_errors = regress.read_expectations(args.expectations) if args.expectations else ({}, [])
    except (OSError, ValueError) as err:
        print(f"conformance: {err}", file=sys.stderr)
        return USAGE
    cases, load_errors = loader.load(args.paths)
    load_errors += mark_errors
    cases, unmatched = regress.with_expectations(cases, marks)
    for case_id in unmatched:
        print(f"{args.expectations}: note: no case {case_id!r} in this run", file=sys.stderr)
    for error in load_errors:
        print(f"load error: {error}", file=sys.stderr)
    _unknown_tags(cases, args.tag)
    cases = select(cases, args.case, args.tag)
    regimes = _regimes(args.regime)
    jobs = runner.plan([c.case for c in cases], frameworks, args.dtype, regimes)
    if args.shard:
        jobs = runner.shard(jobs, *args.shard)
    stopped: runner.Interrupted | None = None
    try:
        with runner.interruptible():  # SIGINT and SIGTERM stop the workers; what finished is reported, as partial
            options = {
                "timeout": args.timeout,
                "workers": args.workers,
                "costs": _costs(args.report, args.baseline),
                "compile_cache": None if args.no_compile_cache else runner.COMPILE_CACHE,
            }
            if args.quiet:
                runner.run(jobs, known, **options)
            else:
                with progress.Display() as show:
                    runner.run(jobs, known, progress=show, **options)
    except runner.Interrupted as interruption:
        stopped = interruption
    finished = [job for job in jobs if job.finished] if stopped else jobs
    where = {c.case.id: f"{c.file}:{c.line}" for c in cases}  # a case's reference error names its file and line
    result = report.build(verdicts.judge(finished, where), cases, load_errors, frameworks, args.dtype, regimes)
    if stopped:
        result.partial = report.Partial(reason=str(stopped), finished=len(finished), planned=len(jobs))
    # A partial report goes only where --report names (no earlier report is overwritten otherwise); --no-partial
    # keeps even that file as it was.
    write = not (stopped and args.no_partial)
    if args.shard:
        result.shard = report.Shard(index=args.shard[0], count=args.shard[1])
    if args.report and write:
        report.write(result, args.report)
    if args.junit and write:
        junit.write(result, args.junit)
    human = sys.stderr if args.json else sys.stdout  # with --json, stdout carries the report alone
    summary.render(result, _console(stderr=args.json), verbose=args.verbose, full_table=args.table)
    if args.report and write:
        print(f"report: {args.report}" + (" (partial)" if stopped else ""), file=human)
    regressed = False
    if baseline is not None and stopped:
        print("against the baseline: not compared, the run is partial", file=human)
    elif baseline is not None:
        changes = regress.diff(baseline, result, (args.baseline, args.report or "this run"))
        print(f"against the baseline:\n{regress.table(changes, args.verbose)}", file=human)
        regressed = changes["regressed"]
    print(summary.next_step(args.report if args.report and write else None), file=human)
    if args.json:
        print(json.dumps(result.model_dump(mode="json", by_alias=True), indent=1, allow_nan=False))
    if stopped:
        return 128 + stopped.signum  # as a shell reports a process ended by that signal: 130, 143
    if load_errors:
        return USAGE
    if result.failed() or regressed:
        return FAILED
    return _nothing_ran(result, args.framework or [])


def _shard(text: str) -> tuple[int, int]:
    index, _, count = text.partition("/")
    if not (index.isdigit() and count.isdigit() and 1 <= int(index) <= int(count)):
        raise argparse.ArgumentTypeError(f"expected I/N with 1 <= I <= N, got {text!r}")
    return int(index), int(count)


def _compare(args: argparse.Namespace) -> int:
    try:
        old, new = report.read(args.old), report.read(args.new)
        result = regress.diff(old, new, (args.old, args.new))
    except (OSError, ValueError) as err:
        print(f"conformance: {err}", file=sys.stderr)
        return USAGE
    print(json.dumps(result, indent=1) if args.json else regress.table(result, args.verbose))
    return FAILED if result["regressed"] else OK


def _merge(args: argparse.Namespace) -> int:
    try:
        merged = regress.merge([report.read(path) for path in args.reports])
    except (OSError, ValueError) as err:
        print(f"conformance: {err}", file=sys.stderr)
        return USAGE
    report.write(merged, args.report)
    summary.render(merged, _console())
    print(f"report: {args.report}\n{summary.next_step(args.report)}")
    return FAILED if merged.failed() else OK


class _Console(Console):
    def on_broken_pipe(self) -> None:
        """rich would exit 1, which reads as a failed job; `main` exits quietly with BROKEN_PIPE instead."""
        raise BrokenPipeError


def _console(stderr: bool = False) -> Console:
    """Colour on a terminal (unless NO_COLOR), plain text into a pipe or file."""
    return _Console(highlight=False, stderr=stderr)


def select(
    cases: list[loader.LoadedCase],
    patterns: Sequence[str] | None = None,
    tags: Sequence[str] | None = None,
    kinds: Sequence[str] | None = None,
) -> list[loader.LoadedCase]:
    """The cases that `-k`, `--tag` and `--kind` keep; each option repeated means any of its values.

    A pattern with a glob character matches the whole id (`fnmatch`), any other is a substring,
    both ignoring case, as pytest's `-k` reads a plain word; a pattern equal to an id matches it, so
    that a sample's id (`log-sweep[tiny]`, whose brackets are glob characters) selects that sample.
    """

    def matches(case_id: str, pattern: str) -> bool:
        case_id, pattern = case_id.lower(), pattern.lower()
        if case_id == pattern:
            return True
        return fnmatch.fnmatchcase(case_id, pattern) if any(c in pattern for c in "*?[") else pattern in case_id

    return [
        c
        for c in cases
        if (not patterns or any(matches(c.case.id, p) for p in patterns))
        and (not tags or set(tags) & set(c.case.tags))
        and (not kinds or c.case.kind in kinds)
    ]


def _nothing_ran(result: report.Report, named: list[str]) -> int:
    """NOTHING_RAN where the run checked nothing it was asked to: a CI job missing its framework must not pass."""
    reasons = []
    if not any(job.verdict != Verdict.UNAVAILABLE for job in result.jobs):
        reasons.append("no job ran" if not result.jobs else "every job was unavailable")
    missing = [fw for fw in named if not result.environment.frameworks[fw].available]
    if missing and result.jobs:
        reasons.append(f"--framework {', '.join(missing)} unavailable")
    if not reasons:
        return OK
    print(f"conformance: nothing ran: {'; '.join(reasons)} (exit {NOTHING_RAN})", file=sys.stderr)
    return NOTHING_RAN


def _list(args: argparse.Namespace) -> int:
    """One case a line, in columns: id, kind, tags, file:line; the count and load errors on stderr."""
    missing = [str(p) for p in args.paths if not Path(p).exists()]
    if missing:
        print(f"conformance: no such file or folder: {', '.join(missing)}", file=sys.stderr)
        return USAGE
    cases, errors = loader.load(args.paths)
    _unknown_tags(cases, args.tag)
    cases = select(cases, args.case, args.tag, args.kind)
    rows = [(c.case.id, c.case.kind, ",".join(c.case.tags) or "-", f"{c.file}:{c.line}") for c in cases]
    widths = [max((len(row[i]) for row in rows), default=0) for i in range(3)]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False)), row[3])
    for error in errors:
        print(f"load error: {error}", file=sys.stderr)
    print(f"{len(rows)} cases", file=sys.stderr)
    if errors:
        return USAGE
    if not rows:
        print(f"conformance: nothing matched: no case (exit {NOTHING_RAN}, as run)", file=sys.stderr)
        return NOTHING_RAN
    return OK


def _unknown_tags(cases: list[loader.LoadedCase], tags: Sequence[str] | None) -> None:
    """A --tag no loaded case has: said on stderr, with the closest known tags (a typo selects nothing)."""
    known = {tag for c in cases for tag in c.case.tags}
    for tag in dict.fromkeys(tags or []):
        if tag not in known:
            print(f"conformance: {renames.unknown('tag', tag, known)}", file=sys.stderr)


def _coverage(args: argparse.Namespace) -> int:
    """Each function of the Array API standard and of the table: checked by how many cases, where."""
    from conformance import coverage

    try:
        result = report.read(args.report) if args.report else None
    except (OSError, ValueError) as err:
        print(f"conformance: {err}", file=sys.stderr)
        return USAGE
    cases, errors = loader.load(args.paths)
    for error in errors:
        print(f"load error: {error}", file=sys.stderr)
    measured = coverage.measure(cases, list(adapters.available()), result)
    if args.format == "json":
        print(measured.to_json())
    elif args.format == "markdown":
        print(measured.markdown(), end="")
    else:
        _console().print(measured.table())
    return USAGE if errors else OK


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return int(text)


def _costs(*paths: str | None) -> runner.Costs:
    """Each job's seconds as an earlier report measured them (the report about to be replaced, the baseline), so
    the run starts the dearest jobs first; a missing or unreadable report teaches nothing and is no error."""
    costs: runner.Costs = {}
    for path in filter(None, paths):
        with suppress(OSError, ValueError):
            costs |= {(job.case, job.label, job.dtype): job.seconds for job in report.read(path).jobs}
    return costs


def _regimes(names: list[str] | None) -> list[Regime] | None:
    """`--regime` as regimes, `all` as every one; None: each framework's default."""
    if not names:
        return None
    return list(Regime) if ALL in names else [Regime(name) for name in dict.fromkeys(names)]


def _timeout(text: str) -> float:
    """Seconds per job: positive and finite (-1 would kill every job, nan and inf would disable the limit)."""
    try:
        seconds = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds, got {text!r}") from None
    if not (math.isfinite(seconds) and seconds > 0):
        raise argparse.ArgumentTypeError(f"expected a positive finite number of seconds, got {text!r}")
    return seconds


def _output_file(text: str) -> str:
    """A file the run can write, checked before the run so a bad path cannot lose its results."""
    path = Path(text)
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a folder, expected a file name")
    _writable_parent(path.parent, text)
    return text


def _output_dir(text: str) -> str:
    """A folder the command can create or write into, checked before it runs the suite."""
    path = Path(text)
    if path.exists() and not path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a file, expected a folder")
    _writable_parent(path, text)
    return text


def _writable_parent(folder: Path, text: str) -> None:
    """The nearest existing folder on the way up must be a folder where a file can be made (the writers create the
    rest): a probe file is made and removed, since a permission check passes where writing fails (/proc as root)."""
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise argparse.ArgumentTypeError(f"cannot write {text}: {folder} is not a folder")
    try:
        fd, probe = tempfile.mkstemp(prefix=".conformance-probe-", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as err:
        raise argparse.ArgumentTypeError(f"cannot write {text}: {folder} is not writable ({err.strerror})") from None


def _same_file(a: str, b: str) -> bool:
    """Whether two output paths name one file: the same path once resolved (`..`, symbolic links), or a hard link."""
    if Path(a).resolve() == Path(b).resolve():
        return True
    return Path(a).exists() and Path(b).exists() and os.path.samefile(a, b)


class _Version(argparse.Action):
    """`--version`: computed only when asked, from installed metadata; no framework is imported."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        print(versions_text())
        parser.exit(OK)


def versions_text() -> str:
    """`gradient-conformance 0.2.0` and one line per framework adapter with its packages' versions."""
    lines = [f"gradient-conformance {_installed('gradient-conformance') or 'unknown'}"]
    plugins = {e.name: e for e in entry_points(group="conformance.adapters")}
    for name in adapters.available():
        packages = FRAMEWORK_PACKAGES.get(name)
        if packages is None:
            dist = getattr(plugins.get(name), "dist", None)
            packages = (dist.name,) if dist is not None else ()
        found = [f"{p} {v}" for p in packages if (v := _installed(p))]
        lines.append(f"{name}: {', '.join(found) if found else 'not installed'}")
    return "\n".join(lines)


def _installed(distribution: str) -> str | None:
    try:
        return version(distribution)
    except PackageNotFoundError:
        return None
