"""`conformance history run|show|changelog|bisect|merge`: the subcommand's options and what each does."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from packaging.version import Version

from conformance.history import envs, runs, search, store, timeline
from conformance.history.envs import ROOT

STORE = ROOT / "history" / "store.json.gz"
OK, FAILED, USAGE, NOTHING = 0, 1, 2, 3


def arguments(history: argparse.ArgumentParser) -> None:
    """The options of `conformance history`'s own subcommands."""
    actions = history.add_subparsers(dest="action", required=True)
    run = actions.add_parser("run", help="measure the releases not yet in the store")
    run.add_argument("--framework", required=True, choices=sorted(envs.PACKAGE))
    run.add_argument(
        "--from",
        dest="low",
        metavar="VERSION",
        help="oldest release (default: " + ", ".join(f"{fw} {v}" for fw, v in envs.OLDEST.items()) + ")",
    )
    run.add_argument("--to", dest="high", metavar="VERSION", help="newest release (default: the newest)")
    run.add_argument("--releases", metavar="A,B", help="exactly these releases, comma-separated")
    run.add_argument("--jobs", type=int, default=1, metavar="N", help="releases at once (default 1; torch: 1)")
    run.add_argument("--force", action="store_true", help="measure again the releases already in the store")
    run.add_argument(
        "--list",
        action="store_true",
        help="print the releases it would measure as JSON ({framework, release} each: a CI matrix) and exit",
    )
    run.add_argument(
        "-k",
        "--case",
        action="append",
        default=[],
        metavar="PATTERN",
        help="only these cases (repeatable), as `conformance run -k`",
    )
    _common(run)
    run.add_argument(
        "--envs", type=Path, default=envs.CACHE, metavar="DIR", help=f"the environments' cache (default {envs.CACHE})"
    )

    show = actions.add_parser("show", help="the timeline of a case: its answers over releases")
    show.add_argument("case", metavar="CASE")
    show.add_argument("--framework", choices=sorted(envs.PACKAGE), help="only this framework")
    _common(show)

    changelog = actions.add_parser("changelog", help="per release, newest first, the gradients that changed")
    changelog.add_argument("--framework", required=True, choices=sorted(envs.PACKAGE))
    _common(changelog)

    bisect = actions.add_parser("bisect", help="the first release where your case's answer changes")
    bisect.add_argument("case_file", metavar="CASE_FILE")
    bisect.add_argument("--framework", required=True, choices=sorted(envs.PACKAGE))
    bisect.add_argument("--from", dest="low", required=True, metavar="VERSION")
    bisect.add_argument("--to", dest="high", required=True, metavar="VERSION")
    bisect.add_argument(
        "--envs", type=Path, default=envs.CACHE, metavar="DIR", help=f"the environments' cache (default {envs.CACHE})"
    )

    merge = actions.add_parser("merge", help="join stores made on several machines")
    merge.add_argument("stores", nargs="+", type=Path, metavar="STORE")
    merge.add_argument("--out", type=Path, default=STORE, metavar="FILE", help=f"default {STORE}")


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--store", type=Path, default=STORE, metavar="FILE", help=f"default {STORE}")


def main(args: argparse.Namespace) -> int:
    try:
        return {"run": _run, "show": _show, "changelog": _changelog, "bisect": _bisect, "merge": _merge}[args.action](
            args
        )
    except (OSError, ValueError, envs.EnvError) as err:
        print(f"conformance history: {err}", file=sys.stderr)
        return USAGE


def _run(args: argparse.Namespace) -> int:
    """Each release not yet in the store (all of them with --force), newest first, measured and folded in as it
    finishes."""
    envs.checkout()
    held = store.read(args.store)
    if args.releases:
        wanted = [r.strip() for r in args.releases.split(",") if r.strip()]
    else:
        wanted = envs.releases(args.framework, args.low or envs.OLDEST[args.framework], args.high)
    # Newest first: a history cut short covers the latest releases, one after the other.
    todo = [
        r
        for r in sorted(wanted, key=Version, reverse=True)
        if args.force or store.find(held, args.framework, r) is None
    ]
    if args.list:
        print(json.dumps([{"framework": args.framework, "release": release} for release in todo]))
        return OK
    print(f"history: {args.framework}: {len(wanted)} releases, {len(todo)} to measure", flush=True)
    plan = runs.Plan(args.framework, args.envs, tuple(args.case))
    failed = 0
    for outcome in runs.measure_all(plan, todo, args.jobs):
        if outcome.measured is None or outcome.report is None:
            failed += 1
            print(f"history: {args.framework} {outcome.release}: not measured: {outcome.error}", flush=True)
            continue
        held = store.read(args.store)  # as it is now: another run may have stored a release meanwhile
        replaced = store.fold(held, outcome.report, outcome.measured)
        store.write(held, args.store)
        m = outcome.measured
        print(
            f"history: {args.framework} {outcome.release}: env {m.env_seconds:.0f} s, run {m.run_seconds:.0f} s, "
            f"{len(outcome.report.jobs)} jobs" + (f" (replaces the measurement of {replaced})" if replaced else ""),
            flush=True,
        )
    return FAILED if failed else OK


def _show(args: argparse.Namespace) -> int:
    held = store.read(args.store)
    lines = timeline.show(held, args.case, args.framework)
    if not lines:
        print(f"conformance history: no case {args.case!r} in {args.store}", file=sys.stderr)
        return NOTHING
    print("\n".join(lines))
    return OK


def _changelog(args: argparse.Namespace) -> int:
    held = store.read(args.store)
    if len(store.of(held, args.framework)) < 2:
        print(f"conformance history: fewer than two {args.framework} releases in {args.store}", file=sys.stderr)
        return NOTHING
    print("\n".join(timeline.changelog(held, args.framework)))
    return OK


def _bisect(args: argparse.Namespace) -> int:
    """Binary search over the releases in [from, to] for the first whose answers to the case file differ."""
    envs.checkout()
    releases = envs.releases(args.framework, args.low, args.high)
    if len(releases) < 2:
        print(
            f"conformance history: fewer than two {args.framework} releases in [{args.low}, {args.high}]",
            file=sys.stderr,
        )
        return USAGE
    plan = runs.Plan(args.framework, args.envs, paths=(str(Path(args.case_file).resolve()),))
    found = search.bisect(releases, search.answers_by_running(plan), say=lambda text: print(text, flush=True))
    print(search.verdict_text(args.framework, found))
    return OK


def _merge(args: argparse.Namespace) -> int:
    merged, said = store.merge([store.read(path) for path in args.stores])
    for line in said:
        print(f"history: {line}")
    store.write(merged, args.out)
    print(f"history: {len(merged.releases)} releases from {len(args.stores)} stores -> {args.out}")
    return OK
