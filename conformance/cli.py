"""The `conformance` command. Exit codes: 0 all pass, 1 any failure, 2 usage or load error."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from conformance import adapters, compare, loader, report, runner
from conformance.model import DTYPES, Case

OK, FAILED, USAGE = 0, 1, 2
DEFAULT_CASES = "cases"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse exits 2 on usage errors too; keep its message
        self.print_usage(sys.stderr)
        self.exit(USAGE, f"{self.prog}: error: {message}\n")


def main(argv: list[str] | None = None) -> int:
    parser = _Parser(prog="conformance", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="run cases on every installed framework")
    run.add_argument("paths", nargs="*", default=[DEFAULT_CASES], help="case files or folders (default: cases)")
    run.add_argument("--framework", action="append", choices=None, metavar="NAME",
                     help="run only this framework (repeatable); default: all adapters")
    run.add_argument("--dtype", action="append", choices=DTYPES, help="run only this dtype (repeatable)")
    run.add_argument("--report", metavar="FILE", help="write the JSON report here")
    run.add_argument("--timeout", type=float, default=120.0, help="seconds per job (default 120)")
    run.add_argument("--quiet", action="store_true", help="no progress bar")

    commands.add_parser("schema", help="print the JSON Schema of a case file")

    args = parser.parse_args(argv)
    if args.command == "schema":
        return _schema()
    return _run(args)


def _schema() -> int:
    from pydantic import TypeAdapter

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
    cases, load_errors = loader.load(args.paths)
    for error in load_errors:
        print(f"load error: {error}", file=sys.stderr)
    jobs = runner.plan([c.case for c in cases], frameworks, args.dtype)
    progress = None if args.quiet or not sys.stderr.isatty() else _progress_bar
    runner.run(jobs, known, timeout=args.timeout, progress=progress)
    result = report.build(compare.judge(jobs), cases, load_errors, frameworks)
    if args.report:
        report.write(result, args.report)
    print(report.table(result))
    if args.report:
        print(f"report: {args.report}")
    if load_errors:
        return USAGE
    return FAILED if report.failed(result) else OK


def _progress_bar(done: int, total: int) -> None:
    width = 30
    filled = width * done // max(total, 1)
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} jobs")
    if done == total:
        sys.stderr.write("\n")
    sys.stderr.flush()
