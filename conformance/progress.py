"""The run's progress on stderr: a live bar on a terminal, a plain line now and then in a log.

A run takes minutes, so a person at a terminal sees elapsed time, an ETA and the
case being computed (rich.progress; colour unless NO_COLOR). Into a file or a CI
log a redrawn bar would be noise, so there it prints one plain line at most every
`interval` seconds, and the last one.

The ETA is the scheduler's (`runner.eta`: the jobs' costs as the last report measured them or as this run learns
them, over the workers that share them), never the job count extrapolated: the library's jobs range from
milliseconds to minutes, so a count-based ETA swung from seconds to hours in one run. Until the scheduler has costs
for every framework with work left, no ETA is shown.
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
            self._bar = Progress(
                TextColumn("[bold]jobs"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("{task.fields[eta]}"),
                TextColumn("{task.fields[label]}"),
                console=self.console,
            )
            self._bar.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self._bar is not None:
            self._bar.stop()

    def __call__(self, done: int, total: int, label: str = "", remaining: float | None = None) -> None:
        """`label`: the case (framework, dtype) being computed; `remaining`: the scheduler's seconds left (None: not
        known yet, no ETA)."""
        if total == 0:
            return
        if self._bar is not None:
            eta = f"ETA {_clock(remaining)}" if remaining is not None and done < total else ""
            if self._task is None:
                self._task = self._bar.add_task("jobs", total=total, label=label, eta=eta)
            self._bar.update(self._task, completed=done, total=total, label=label, eta=eta)
            return
        now = time.monotonic()
        finished = done >= total
        if done == self._last or not (finished or now - self._printed >= self.interval):
            return
        self._last, self._printed = done, now
        self.console.print(
            plain_line(done, total, now - self._started, label, remaining),
            markup=False,
            highlight=False,
            soft_wrap=True,
        )


def plain_line(done: int, total: int, elapsed: float, label: str = "", remaining: float | None = None) -> str:
    """`12/148 jobs, 0:00:31 elapsed, ETA 0:05:51, seed-vjp torch float64`: the ETA the scheduler's costs give."""
    parts = [f"{done}/{total} jobs", f"{_clock(elapsed)} elapsed"]
    if remaining is not None and done < total:
        parts.append(f"ETA {_clock(remaining)}")
    if label and done < total:
        parts.append(label)
    return "progress: " + ", ".join(parts)


def _clock(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}"
