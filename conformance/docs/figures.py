"""Figures for the case pages, drawn with matplotlib (Agg, SVG files) from the report alone.

Each figure is first reduced to its data (plain, picklable, what is drawn and nothing else), so figures can be
drawn in worker processes and found again by a hash of that data: a rebuild draws only what changed.
"""

from __future__ import annotations

import hashlib
import json
import os
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, NullLocator

from conformance.docs.values import array
from conformance.report import JobRecord

COLOURS = {"torch": "#ee4c2c", "tensorflow": "#ff8f00", "jax": "#4a7bd0"}
MARKERS = {"float32": "o", "float64": "s"}
FLOOR = 1e-20  # where an exact 0 error is drawn on a log axis
# svg.fonttype none: text stays text (the browser draws it), half the file and faster than glyphs as paths
matplotlib.rcParams.update(
    {
        "svg.hashsalt": "conformance",
        "svg.fonttype": "none",
        "font.size": 9,
        "axes.spines.top": False,
        "axes.spines.right": False,
    }
)
_CODE = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()  # a change to the drawing code redraws every figure


def colour(framework: str) -> str:
    return COLOURS.get(framework, f"C{zlib.crc32(framework.encode()) % 10}")  # hash() differs between processes


def _log_axis(ax: Any) -> None:
    """A log y axis labelled at decades in plain text (1e-16): matplotlib's default labels are math text, whose
    parsing was a third of a figure's time, and minor log ticks are slow to lay out."""
    ax.set_yscale("log")
    ax.yaxis.set_minor_locator(NullLocator())
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"1e{np.log10(v):.0f}" if v > 0 else ""))


def digest(kind: str, data: Any) -> str:
    """A short hash of a figure's kind, data and drawing code: its file name, so an unchanged figure is not drawn
    again."""
    said = json.dumps([kind, data, _CODE], sort_keys=True, default=str)
    return hashlib.sha256(said.encode()).hexdigest()[:16]


def draw(kind: str, data: Any, path: Path) -> None:
    """Draw a figure of `kind` from its data into `path` (a worker process's entry point)."""
    DRAW[kind](data, path)


def _save(fig: Any, path: Path, rect: tuple[float, ...] | None = None) -> None:
    """Write the SVG, whole or not at all (a file is a cached figure). Without `rect`, the canvas is cropped to what
    is drawn (bbox_inches="tight"): one layout pass fewer than tight_layout, which matters at a figure per page."""
    if rect is not None:
        fig.tight_layout(rect=rect)
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    fig.savefig(partial, format="svg", metadata={"Date": None}, bbox_inches=None if rect is not None else "tight")
    partial.replace(path)


def oracle_errors(jobs: list[JobRecord], frameworks: list[str]) -> dict[str, Any] | None:
    """Per label (a framework in a regime: `frameworks` are labels), |gradient - oracle| for every element with a
    finite error, and how many elements have none (an oracle or value of NaN or inf); None where no gradient has a
    value and an oracle to compare."""
    labels: list[str] = []
    series: dict[str, list[tuple[str, dict[str, float]]]] = {}  # label: (dtype, {element: error})
    framework: dict[str, str] = {}  # label: its framework
    left_out = 0
    for job in jobs:
        points: list[tuple[str, float]] = []
        for name, grad in job.gradients.items():
            value, oracle = array(grad.value), array(grad.oracle)
            if value is None or oracle is None or value.shape != oracle.shape:
                continue
            with np.errstate(invalid="ignore", over="ignore"):
                flat = np.abs(value - oracle).ravel()
            names = [name] if flat.size == 1 else [f"{name}[{i}]" for i in range(flat.size)]
            points.extend((n, float(e)) for n, e in zip(names, flat, strict=True) if np.isfinite(e))
            left_out += int(np.sum(~np.isfinite(flat)))
        labels.extend(n for n, _ in points if n not in labels)
        if points:
            series.setdefault(job.label, []).append((job.dtype, dict(points)))
            framework[job.label] = job.framework
    shown = [fw for fw in frameworks if fw in series]
    if not shown and not left_out:
        return None
    return {"labels": labels, "panels": [(fw, framework[fw], series[fw]) for fw in shown], "left_out": left_out}


def _draw_oracle_errors(data: dict[str, Any], path: Path) -> None:
    """One axes (a figure's time goes mostly to laying out each axes' ticks): per element, each label's errors side
    by side in its framework's colour, float32 hollow and float64 filled, on a log axis (an exact 0 on the dotted
    floor)."""
    labels, panels = data["labels"], data["panels"]
    fig = Figure(figsize=(min(2.4 + 0.5 * len(labels) * len(panels), 7.5), 2.8))  # not pyplot's: nothing to close
    ax = fig.subplots()
    step = 0.8 / len(panels)
    for k, (label, framework, series) in enumerate(panels):
        for dtype, errors in series:
            xs = [labels.index(n) + (k - (len(panels) - 1) / 2) * step for n in errors]
            ax.scatter(
                xs,
                [max(e, FLOOR) for e in errors.values()],
                marker=MARKERS.get(dtype, "^"),
                color=colour(framework),
                facecolors="none" if dtype == "float32" else colour(framework),
                label=f"{label} {dtype}",
            )
    _log_axis(ax)
    if any(e == 0 for _, _, series in panels for _, errors in series for e in errors.values()):
        ax.axhline(FLOOR, color="#999", lw=0.6, ls=":")
    ax.set_xticks(
        range(len(labels)), labels, rotation=45 if len(labels) > 4 else 0, ha="right" if len(labels) > 4 else "center"
    )
    ax.legend(fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(1, 1))  # beside: never over a point
    ax.set_ylabel("|gradient - oracle|  (dotted: exact)")
    _save(fig, path)


def mle_paths(
    jobs: list[JobRecord], truth: dict[str, np.ndarray], closed_form: dict[str, np.ndarray]
) -> dict[str, Any] | None:
    """Each optimizer run's loss history and parameter trajectories, with the truth and the closed-form MLE; None
    where no job recorded a run."""
    runs = [
        {
            "framework": j.framework,
            "dtype": j.dtype,
            "history": j.details["history"],
            "trajectory": j.details.get("trajectory", {}),
        }
        for j in jobs
        if j.details.get("history")
    ]
    if not runs:
        return None
    return {
        "runs": runs,
        "truth": {n: np.ravel(v).tolist() for n, v in truth.items()},
        "closed_form": {n: np.ravel(v).tolist() for n, v in closed_form.items()},
    }


def _draw_mle_paths(data: dict[str, Any], path: Path) -> None:
    """Loss and each parameter element against the iteration, one line per framework and dtype."""
    runs, truth, closed_form = data["runs"], data["truth"], data["closed_form"]
    panels = [("loss", None)] + [
        (f"{n}" if np.size(v) == 1 else f"{n}[{i}]", (n, i)) for n, v in closed_form.items() for i in range(np.size(v))
    ]
    cols = min(3, len(panels))
    rows = -(-len(panels) // cols)
    fig = Figure(figsize=(3.4 * cols, 2.6 * rows))
    axes = fig.subplots(rows, cols, squeeze=False)
    best = min(min(run["history"]) for run in runs)
    for ax, (title, key) in zip(axes.ravel(), panels, strict=False):  # spare axes stay empty
        for run in runs:
            style = dict(
                color=colour(run["framework"]),
                lw=1.2,
                ls="-" if run["dtype"] == "float64" else "--",
                label=f"{run['framework']} {run['dtype']}",
            )
            if key is None:
                ax.plot(np.maximum(np.asarray(run["history"], float) - best, FLOOR), **style)
            else:
                trajectory = run["trajectory"].get(key[0])
                if trajectory:
                    ax.plot([np.ravel(p)[key[1]] for p in trajectory], **style)
        if key is None:
            _log_axis(ax)
            ax.set_title("loss - lowest loss reached")
        else:
            name, i = key
            ax.axhline(truth[name][i], color="#2a9d48", ls=":", lw=1.2, label="truth")
            ax.axhline(closed_form[name][i], color="black", ls="-.", lw=1, label="reference MLE")
            ax.set_title(title)
        ax.set_xlabel("step")
    for ax in axes.ravel()[len(panels) :]:
        ax.axis("off")
    handles, labels = axes[0][-1 if len(panels) > 1 else 0].get_legend_handles_labels()
    fig.legend(
        handles,
        labels,
        loc="lower center",
        ncol=min(len(labels), 4),
        frameon=False,
        fontsize=7,
        bbox_to_anchor=(0.5, -0.02),
    )
    _save(fig, path, rect=(0, 0.08, 1, 1))


DRAW: dict[str, Callable[[Any, Path], None]] = {"oracle-error": _draw_oracle_errors, "optimizer": _draw_mle_paths}
