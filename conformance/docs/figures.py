"""Figures for the case pages, drawn with matplotlib (Agg, SVG files) from the report alone."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import NullLocator

from conformance.docs.values import array
from conformance.report import JobRecord

COLOURS = {"torch": "#ee4c2c", "tensorflow": "#ff8f00", "jax": "#4a7bd0"}
MARKERS = {"float32": "o", "float64": "s"}
FLOOR = 1e-20  # where an exact 0 error is drawn on a log axis
plt.rcParams.update({"svg.hashsalt": "conformance", "font.size": 9, "axes.spines.top": False,
                     "axes.spines.right": False})


def colour(framework: str) -> str:
    return COLOURS.get(framework, f"C{abs(hash(framework)) % 10}")


def _save(fig: Any, path: Path, rect: tuple[float, ...] | None = None) -> Path:
    """Write the SVG. Without `rect`, the canvas is cropped to what is drawn (bbox_inches="tight"): one layout pass
    fewer than tight_layout, which matters at a figure per case page."""
    if rect is not None:
        fig.tight_layout(rect=rect)
    fig.savefig(path, format="svg", metadata={"Date": None}, bbox_inches=None if rect is not None else "tight")
    plt.close(fig)
    return path


def oracle_errors(jobs: list[JobRecord], frameworks: list[str], path: Path) -> Path | None:
    """Per label (a framework in a regime: `frameworks` are labels), |gradient - oracle| for every element, float32 and
    float64 side by side, in the framework's colour."""
    labels: list[str] = []
    series: dict[str, list[tuple[str, dict[str, float]]]] = {}  # label: (dtype, {element: error})
    framework: dict[str, str] = {}  # label: its framework
    for job in jobs:
        points: list[tuple[str, float]] = []
        for name, grad in job.gradients.items():
            value, oracle = array(grad.value), array(grad.oracle)
            if value is None or oracle is None or value.shape != oracle.shape:
                continue
            flat = np.abs(value - oracle).ravel()
            names = [name] if flat.size == 1 else [f"{name}[{i}]" for i in range(flat.size)]
            labels.extend(n for n in names if n not in labels)
            points.extend(zip(names, map(float, flat), strict=True))
        if points:
            series.setdefault(job.label, []).append((job.dtype, dict(points)))
            framework[job.label] = job.framework
    shown = [fw for fw in frameworks if fw in series]
    if not shown:
        return None
    fig, axes = plt.subplots(1, len(shown), figsize=(3.2 * len(shown), 2.8), sharey=True, squeeze=False)
    for ax, fw in zip(axes[0], shown, strict=True):
        for dtype, errors in series[fw]:
            xs = [labels.index(n) for n in errors]
            ys = [max(e, FLOOR) if np.isfinite(e) else np.nan for e in errors.values()]
            ax.scatter(xs, ys, marker=MARKERS.get(dtype, "^"), color=colour(framework[fw]), label=dtype,
                       facecolors="none" if dtype == "float32" else colour(framework[fw]))
        ax.set_yscale("log")
        ax.yaxis.set_minor_locator(NullLocator())  # decades are enough, and minor log ticks are slow to lay out
        if any(e == 0 for _, errors in series[fw] for e in errors.values()):
            ax.axhline(FLOOR, color="#999", lw=0.6, ls=":")
        ax.set_title(fw)
        ax.set_xticks(range(len(labels)), labels, rotation=45 if len(labels) > 4 else 0, ha="right"
                      if len(labels) > 4 else "center")
        ax.legend(fontsize=7, frameon=False)
    axes[0][0].set_ylabel("|gradient - oracle|  (dotted: exact)")
    return _save(fig, path)


def mle_paths(jobs: list[JobRecord], truth: dict[str, np.ndarray], closed_form: dict[str, np.ndarray],
              path: Path) -> Path | None:
    """Loss and each parameter element against the iteration, one line per framework and dtype."""
    runs = [j for j in jobs if j.details.get("history")]
    if not runs:
        return None
    panels = [("loss", None)] + [(f"{n}" if np.size(v) == 1 else f"{n}[{i}]", (n, i))
                                 for n, v in closed_form.items() for i in range(np.size(v))]
    cols = min(3, len(panels))
    rows = -(-len(panels) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.4 * cols, 2.6 * rows), squeeze=False)
    best = min(min(j.details["history"]) for j in runs)
    for ax, (title, key) in zip(axes.ravel(), panels, strict=False):  # spare axes stay empty
        for job in runs:
            style = dict(color=colour(job.framework), lw=1.2, ls="-" if job.dtype == "float64" else "--",
                         label=f"{job.framework} {job.dtype}")
            if key is None:
                ax.plot(np.maximum(np.asarray(job.details["history"], float) - best, FLOOR), **style)
            else:
                trajectory = job.details.get("trajectory", {}).get(key[0])
                if trajectory:
                    ax.plot([np.ravel(p)[key[1]] for p in trajectory], **style)
        if key is None:
            ax.set_yscale("log")
            ax.set_title("loss - lowest loss reached")
        else:
            name, i = key
            ax.axhline(np.ravel(truth[name])[i], color="#2a9d48", ls=":", lw=1.2, label="truth")
            ax.axhline(np.ravel(closed_form[name])[i], color="black", ls="-.", lw=1, label="reference MLE")
            ax.set_title(title)
        ax.set_xlabel("step")
    for ax in axes.ravel()[len(panels):]:
        ax.axis("off")
    handles, labels = axes[0][-1 if len(panels) > 1 else 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=min(len(labels), 4), frameon=False, fontsize=7,
               bbox_to_anchor=(0.5, -0.02))
    return _save(fig, path, rect=(0, 0.08, 1, 1))
