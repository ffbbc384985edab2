"""The `conformance` command. Exit codes: 0 all pass, 1 any failure, 2 usage or load error."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rich.console import Console

from conformance import adapters, junit, loader, regress, report, runner, summary, verdicts
from conformance.kinds import Case
from conformance.model import DTYPES

OK, FAILED, USAGE = 0, 1, 2
_PATHS_HELP = "case files or folders (default: ./cases if present, else the shipped library)"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse exits 2 on usage errors too; keep its message
        self.print_usage(sys.stderr)
        self.exit(USAGE, f"{self.prog}: error: {message}\n")


def main(argv: list[str] | None = None) -> int:
    parser = _Parser(prog="conformance", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="run cases on every installed framework")
    run.add_argument("paths", nargs="*", help=_PATHS_HELP)
    run.add_argument("--framework", action="append", choices=None, metavar="NAME",
                     help="run only this framework (repeatable); default: all adapters")
    run.add_argument("--dtype", action="append", choices=DTYPES, help="run only this dtype (repeatable)")
    run.add_argument("--report", metavar="FILE", help="write the JSON report here")
    run.add_argument("--timeout", type=float, default=120.0, help="seconds per job (default 120)")
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    run.add_argument("--table", "-v", action="store_true", help="also print every job's verdict")
    run.add_argument("--baseline", metavar="FILE", help="compare with this saved report; exit 1 if anything regressed")
    run.add_argument("--junit", metavar="FILE", help="write JUnit XML here")
    run.add_argument("--shard", type=_shard, metavar="I/N", help="run only shard I of N (1 <= I <= N)")
    run.add_argument("--expectations", metavar="FILE",
                     help="known divergences, one a line: <case>[<framework>] <versions or *> <issue> <why>")

    schema = commands.add_parser("schema", help="print the JSON Schema of a case file (or of the report)")
    schema.add_argument("--report", action="store_true", help="the report's schema instead")

    docs = commands.add_parser("docs", help="generate the reference pages (HTML and Markdown)")
    docs.add_argument("paths", nargs="*", help=_PATHS_HELP)
    docs.add_argument("--report", metavar="FILE", help="a run's JSON report (default: run the suite first)")
    docs.add_argument("--out", metavar="DIR", required=True, help="write the site here")

    diff = commands.add_parser("compare", help="what changed between two reports; exit 1 if anything regressed")
    diff.add_argument("old", metavar="OLD.json")
    diff.add_argument("new", metavar="NEW.json")
    diff.add_argument("--json", action="store_true", help="print the changes as JSON")

    merge = commands.add_parser("merge", help="merge the reports of `run --shard I/N` into one")
    merge.add_argument("reports", nargs="+", metavar="SHARD.json")
    merge.add_argument("--report", metavar="FILE", required=True, help="write the merged report here")

    args = parser.parse_args(argv)
    if getattr(args, "paths", None) == []:
        args.paths = loader.default_paths()
    if args.command == "schema":
        return _schema(args.report)
    if args.command == "docs":
        return _docs(args)
    if args.command == "compare":
        return _compare(args)
    if args.command == "merge":
        return _merge(args)
    return _run(args)


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
    cases, _ = loader.load(args.paths)
    written = docs.generate(result, cases, args.out)
    print(f"docs: {len(written)} files; open {Path(args.out) / 'index.html'}")
    return OK


def _schema(of_report: bool) -> int:
    from pydantic import TypeAdapter

    if of_report:
        schema = report.schema()
    else:
        schema = TypeAdapter(list[Case] | Case).json_schema()
        schema["title"] = "gradient conformance case file"
    print(json.dumps(schema, indent=2))
    return OK


def _run(args: argparse.Namespace) -> int:
    known = adapters.available()
    frameworks = args.framework or list(known)
    unknown = [fw for fw in frameworks if fw not in known]
    if unknown:
        print(f"conformance: unknown framework {', '.join(unknown)} (known: {', '.join(known)})", file=sys.stderr)
        return USAGE
    missing = [p for p in args.paths if not Path(p).exists()]
    if missing:
        print(f"conformance: no such file or folder: {', '.join(missing)}", file=sys.stderr)
        return USAGE
    try:
        baseline = report.read(args.baseline) if args.baseline else None
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
    jobs = runner.plan([c.case for c in cases], frameworks, args.dtype)
    if args.shard:
        jobs = runner.shard(jobs, *args.shard)
    progress = None if args.quiet or not sys.stderr.isatty() else _progress_bar
    runner.run(jobs, known, timeout=args.timeout, progress=progress)
    result = report.build(verdicts.judge(jobs), cases, load_errors, frameworks)
    if args.shard:
        result.shard = report.Shard(index=args.shard[0], count=args.shard[1])
    if args.report:
        report.write(result, args.report)
    if args.junit:
        junit.write(result, args.junit)
    summary.render(result, _console(), full_table=args.table)
    if args.report:
        print(f"report: {args.report}")
    regressed = False
    if baseline is not None:
        changes = regress.diff(baseline, result, (args.baseline, args.report or "this run"))
        print(f"against the baseline:\n{regress.table(changes)}")
        regressed = changes["regressed"]
    if load_errors:
        return USAGE
    return FAILED if result.failed() or regressed else OK


def _shard(text: str) -> tuple[int, int]:
    index, _, count = text.partition("/")
    if not (index.isdigit() and count.isdigit() and 1 <= int(index) <= int(count)):
        raise argparse.ArgumentTypeError(f"expected I/N with 1 <= I <= N, got {text!r}")
    return int(index), int(count)


def _compare(args: argparse.Namespace) -> int:
    try:
        old, new = report.read(args.old), report.read(args.new)
    except (OSError, ValueError) as err:
        print(f"conformance: {err}", file=sys.stderr)
        return USAGE
    result = regress.diff(old, new, (args.old, args.new))
    print(json.dumps(result, indent=1) if args.json else regress.table(result))
    return FAILED if result["regressed"] else OK


def _merge(args: argparse.Namespace) -> int:
    try:
        merged = regress.merge([report.read(path) for path in args.reports])
    except (OSError, ValueError) as err:
        print(f"conformance: {err}", file=sys.stderr)
        return USAGE
    report.write(merged, args.report)
    summary.render(merged, _console())
    print(f"report: {args.report}")
    return FAILED if merged.failed() else OK


def _console() -> Console:
    """Colour on a terminal (unless NO_COLOR), plain text into a pipe or file."""
    return Console(highlight=False)


def _progress_bar(done: int, total: int) -> None:
    width = 30
    filled = width * done // max(total, 1)
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} jobs")
    if done == total:
        sys.stderr.write("\n")
    sys.stderr.flush()
