"""The run's progress on stderr: a live bar on a terminal, a plain line now and then in a log.

A run takes minutes, so a person at a terminal sees elapsed time, an ETA and the
case being computed (rich.progress; colour unless NO_COLOR). Into a file or a CI
log a redrawn bar would be noise, so there it prints one plain line at most every
`interval` seconds, and the last one.
"""
from __future__ import annotations

import time
from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)


class Display:
    """The runner's progress callback, `progress(done, total, label)`, as a context manager."""

    def __init__(self, console: Console | None = None, interval: float = 10.0) -> None:
        self.console = console or Console(stderr=True, highlight=False)
        self.interval = interval
        self._bar: Progress | None = None
        self._task: TaskID | None = None
        self._started = self._printed = 0.0
        self._last = -1

    def __enter__(self) -> Display:
        self._started = time.monotonic()
        if self.console.is_terminal:
            self._bar = Progress(TextColumn("[bold]jobs"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                                 TextColumn("ETA"), TimeRemainingColumn(), TextColumn("{task.fields[label]}"),
                                 console=self.console)
            self._bar.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self._bar is not None:
            self._bar.stop()

    def __call__(self, done: int, total: int, label: str = "") -> None:
        """`label`: the case (framework, dtype) being computed; older runners give none."""
        if total == 0:
            return
        if self._bar is not None:
            if self._task is None:
                self._task = self._bar.add_task("jobs", total=total, label=label)
            self._bar.update(self._task, completed=done, total=total, label=label)
            return
        now = time.monotonic()
        finished = done >= total
        if done == self._last or not (finished or now - self._printed >= self.interval):
            return
        self._last, self._printed = done, now
        self.console.print(plain_line(done, total, now - self._started, label), markup=False, highlight=False,
                           soft_wrap=True)


def plain_line(done: int, total: int, elapsed: float, label: str = "") -> str:
    """`12/148 jobs, 0:00:31 elapsed, ETA 0:05:51, seed-vjp torch float64`: the ETA from the pace so far."""
    parts = [f"{done}/{total} jobs", f"{_clock(elapsed)} elapsed"]
    if 0 < done < total:
        parts.append(f"ETA {_clock(elapsed / done * (total - done))}")
    if label and done < total:
        parts.append(label)
    return "progress: " + ", ".join(parts)


def _clock(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}"
