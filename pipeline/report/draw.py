"""What every figure shares: a 16:9 canvas with the CJK font set up (fonts.py), the title and
footnote, legend placement, year ticks, shading for missing years, the "no data" mark, palettes."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import numpy as np

from policytrack.pipeline.report import fonts
from policytrack.pipeline.report.labels import LABELS, labels

FIGSIZE = (12.8, 7.2)  # inches: 16:9, 1920×1080 px at export.EXPORT_DPI
DISPLAY_DPI = 100  # the copy shown when a figure is not exported
_DATA = "policytrack_data"  # where a figure keeps the table it draws (its CSV)


def new_figure(nrows: int = 1, ncols: int = 1, **kw):
    """A 16:9 figure with constrained layout, room kept at the bottom for the footnote."""
    from matplotlib.figure import Figure

    fonts.setup()
    fig = Figure(figsize=FIGSIZE, dpi=DISPLAY_DPI)
    fig.set_layout_engine("constrained", rect=(0, 0.035, 1, 0.965))
    axes = fig.subplots(nrows, ncols, **kw)
    return fig, axes


def start(lang: str, nrows: int = 1, ncols: int = 1, *, no_data: bool = False):
    """A new chart in `lang`: (figure, axes, labels); `no_data` marks the (single) axes "no data"."""
    lab = labels(lang)
    fig, axes = new_figure(nrows, ncols)
    if no_data:
        empty(axes, lab)
    return fig, axes, lab


def decorate(fig, title: str, note: str, subtitle: str | None = None, data=None):
    """Title, footnote (red when it marks sample data) and the data drawn (a DataFrame, written
    as the figure's CSV by export.py)."""
    if data is not None:
        setattr(fig, _DATA, data)
    fig.suptitle(title if not subtitle else f"{title}\n{subtitle}", fontsize=18)
    color = (
        "#b00020"
        if note.startswith((LABELS["zh"]["sample"], LABELS["en"]["sample"]))
        else "#555555"
    )
    fig.text(0.005, 0.005, note, fontsize=9, color=color, ha="left", va="bottom")
    return fig


def data_of(fig):
    """The table a figure draws (None when its plot function gave none)."""
    return getattr(fig, _DATA, None)


def legend(ax, handles, title: str | None = None, **kw):
    return ax.legend(
        handles=handles,
        title=title,
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        frameon=False,
        **kw,
    )


def patches(keys: Iterable[str], colors: dict[str, str], lab: dict[str, str], prefix: str = ""):
    from matplotlib.patches import Patch

    return [
        Patch(facecolor=colors.get(k, "#999999"), edgecolor="#999999", label=lab.get(prefix + k, k))
        for k in keys
    ]


def relation_name(lab: dict[str, str], relation: str) -> str:
    """A relation's label (a relation the labels do not know yet is shown as its name)."""
    return lab.get(f"rel_{relation}", relation)


def shorten(text: str, n: int = 18) -> str:
    text = re.sub(r"\s+", " ", str(text)).strip()
    return text if len(text) <= n else text[: n - 1] + "…"


def year_ticks(
    ax, years: Sequence[int], positions: Sequence[float] | None = None, max_labels: int = 26
):
    positions = list(range(len(years))) if positions is None else list(positions)
    step = max(1, int(np.ceil(len(years) / max_labels)))
    idx = list(range(0, len(years), step))
    if idx and idx[-1] != len(years) - 1:
        idx.append(len(years) - 1)  # the latest year is always labelled
    ax.set_xticks([positions[i] for i in idx])
    ax.set_xticklabels([str(years[i]) for i in idx], rotation=90 if len(idx) > 14 else 0)


def zoom(doc_years: Sequence[int], firsts: Sequence[int], context: int = 6) -> tuple[int, int]:
    """x range for timelines: from `context` years before the earliest first year shown (never
    before the first document) to the last document."""
    lo, hi = min(doc_years), max(doc_years)
    if len(firsts):
        lo = max(lo, int(min(firsts)) - context)
    return lo, hi


def shade_missing(ax, doc_years: Sequence[int], lab: dict[str, str]) -> list:
    """Grey bands over years without a document (inside the span); returns a legend handle."""
    from matplotlib.patches import Patch

    missing = (
        sorted(set(range(min(doc_years), max(doc_years) + 1)) - set(doc_years)) if doc_years else []
    )
    for y in missing:
        ax.axvspan(y - 0.5, y + 0.5, color="#f3f3f3", zorder=0, lw=0)
    return [Patch(facecolor="#f3f3f3", label=lab["missing_year"])] if missing else []


def empty(ax, lab):
    ax.tick_params(labelbottom=False, labelleft=False, length=0)  # no meaningless 0–1 scale
    ax.text(
        0.5,
        0.5,
        lab["no_data"],
        ha="center",
        va="center",
        transform=ax.transAxes,
        fontsize=16,
        color="#888",
    )


def stacked_bars(ax, counts, columns, colors, names) -> np.ndarray:
    """One bar per row of `counts` (at x = 0, 1, …), a segment per column of `columns` stacked in
    that order; returns each bar's total."""
    bottom = np.zeros(len(counts.index))
    for col, color, name in zip(columns, colors, names, strict=False):
        ax.bar(
            range(len(counts.index)),
            counts[col],
            bottom=bottom,
            color=color,
            label=name,
            width=0.8,
        )
        bottom += counts[col].to_numpy()
    return bottom


def dot_lane(ax, i: int, first, last, years, line_color: str, size: int, label: str | None):
    """Lane `i`: a line from the first to the last year and a dot per year present."""
    ax.hlines(i, first, last, color=line_color, lw=2, zorder=1)
    ax.scatter(years, [i] * len(years), s=size, color="#3a6ea5", zorder=2, label=label)


def palette(n: int) -> list:
    import matplotlib

    cmap = matplotlib.colormaps["tab20" if n > 10 else "tab10"]
    return [cmap(i % cmap.N) for i in range(max(n, 1))]
