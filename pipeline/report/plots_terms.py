"""Figures of notebook 02 (priority timelines): the term × year status heatmap, the watch-list
swimlanes, the rising and fading terms."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from policytrack.pipeline.report import draw, views
from policytrack.pipeline.report.labels import STATUS_COLORS, STATUSES
from policytrack.pipeline.report.registry import chart


@chart("02_term_heatmap", zh="重点提法逐年状态", en="Priority terms by year and status")
def plot_heatmap(matrix: pd.DataFrame, note: str, lang: str = "zh"):
    """term × year grid coloured by status; dashed lines where years are missing in between."""
    from matplotlib.colors import ListedColormap

    fig, ax, lab = draw.start(lang)
    keys = ("absent", *STATUSES)
    if matrix.empty:
        draw.empty(ax, lab)
    else:
        codes = matrix.replace({k: i for i, k in enumerate(keys)}).astype(int).to_numpy()
        cmap = ListedColormap([STATUS_COLORS[k] for k in keys])
        ax.imshow(
            codes,
            aspect="auto",
            cmap=cmap,
            vmin=-0.5,
            vmax=len(keys) - 0.5,
            interpolation="nearest",
        )
        years = [int(y) for y in matrix.columns]
        draw.year_ticks(ax, years, max_labels=36)
        ax.set_yticks(range(len(matrix.index)))
        ax.set_yticklabels(
            [draw.shorten(t, 16) for t in matrix.index], fontsize=10 if len(matrix) <= 30 else 8
        )
        ax.set_xticks(np.arange(-0.5, len(years)), minor=True)
        ax.set_yticks(np.arange(-0.5, len(matrix.index)), minor=True)
        ax.grid(which="minor", color="white", linewidth=0.8)
        ax.tick_params(which="minor", length=0)
        for i in range(1, len(years)):
            if years[i] - years[i - 1] > 1:
                ax.axvline(i - 0.5, color="#333333", linestyle="--", linewidth=1)
    ax.set_xlabel(lab["year"])
    ax.set_ylabel(lab["term"])
    from matplotlib.lines import Line2D

    handles = draw.patches(keys, STATUS_COLORS, lab)
    handles.append(Line2D([], [], color="#333333", linestyle="--", label=lab["gap_note"]))
    draw.legend(ax, handles)
    data = matrix.rename_axis(index="term", columns=None).reset_index()
    return draw.decorate(fig, plot_heatmap.chart.title(lang), note, data=data)


@chart(
    "02_watch_lanes",
    zh="关注提法时间线（标注首末年份）",
    en="Watch-list timeline (first and last year labelled)",
)
def plot_watch_lanes(
    lanes: Sequence[views.Lane], doc_years: Sequence[int], note: str, lang: str = "zh"
):
    """Swimlanes: one per watched term, markers coloured by status, first and last year labelled."""
    fig, ax, lab = draw.start(lang)
    # Zoom to where the watched terms live (plus context) so a 70-year corpus does not squash them.
    lo, hi = draw.zoom(doc_years, [lane.first for lane in lanes if lane.years])
    pad = max(1.0, (hi - lo) * 0.04)
    for i, lane in enumerate(lanes):
        ax.axhline(i, color="#f0f0f0", lw=14, zorder=0)
        if not lane.years:
            ax.text(
                (lo + hi) / 2,
                i,
                lab["not_found"],
                ha="center",
                va="center",
                color="#888888",
                fontsize=12,
            )
            continue
        ax.hlines(i, lane.first, lane.last, color="#555555", lw=2.5, zorder=1)
        absent = [y for y in doc_years if lane.first < y < lane.last and y not in lane.years]
        ax.scatter(
            absent, [i] * len(absent), s=70, facecolor="white", edgecolor="#999999", zorder=2
        )
        colors = [STATUS_COLORS.get(s, STATUS_COLORS["persisting"]) for s in lane.statuses]
        ax.scatter(
            lane.years, [i] * len(lane.years), s=140, c=colors, edgecolor="#333333", zorder=3
        )
        stops = [y for y in lane.stops if y >= lo]  # the first document without it
        ax.scatter(stops, [i] * len(stops), s=110, marker="X", c=STATUS_COLORS["fading"], zorder=3)
        ax.annotate(
            str(lane.first),
            (lane.first, i),
            xytext=(-10, 0),
            textcoords="offset points",
            ha="right",
            va="center",
            fontsize=12,
        )
        if lane.last != lane.first:
            ax.annotate(
                str(lane.last),
                (lane.last, i),
                xytext=(10, 0),
                textcoords="offset points",
                ha="left",
                va="center",
                fontsize=12,
            )
    ax.set_yticks(range(len(lanes)))
    ax.set_yticklabels([draw.shorten(lane.term, 16) for lane in lanes], fontsize=13)
    ax.set_ylim(max(len(lanes), 1) - 0.5, -0.5)
    ax.set_xlim(lo - pad, hi + pad)
    gap_handles = draw.shade_missing(ax, [y for y in doc_years if y >= lo], lab)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_xlabel(lab["year"])
    ax.set_ylabel(lab["term"])
    from matplotlib.lines import Line2D

    handles = [
        Line2D(
            [],
            [],
            marker="X" if s == "fading" else "o",
            ls="",
            markersize=11,
            markerfacecolor=STATUS_COLORS[s],
            markeredgecolor="#333333" if s != "fading" else STATUS_COLORS[s],
            label=lab["fading_stop"] if s == "fading" else lab[s],
        )
        for s in STATUSES
    ]
    handles.append(
        Line2D(
            [],
            [],
            marker="o",
            ls="",
            markersize=9,
            markerfacecolor="white",
            markeredgecolor="#999999",
            label=lab["absent"],
        )
    )
    draw.legend(ax, handles + gap_handles)
    data = views.lanes_table(lanes)
    return draw.decorate(fig, plot_watch_lanes.chart.title(lang), note, data=data)


@chart(
    "02_term_trend",
    zh="重点提法出现频率（每万字）",
    en="Priority mentions per 10,000 characters",
)
def plot_term_trend(
    trend: pd.DataFrame,
    doc_years: Sequence[int],
    watch: Sequence[str],
    note: str,
    lang: str = "zh",
):
    """One line per term (watched terms solid and thick, top terms thinner and dashed): mentions
    per 10,000 characters of that year's document; missing years shaded, no line across them."""
    fig, ax, lab = draw.start(lang, no_data=trend.empty or trend["per_10k"].notna().sum() == 0)
    terms = list(dict.fromkeys(trend["term"])) if not trend.empty else []
    colors = draw.palette(len(terms))
    present = trend[trend["count"] > 0] if not trend.empty else trend
    # From a few years before the first mention shown: a 70-year corpus does not squash them.
    lo, hi = draw.zoom(doc_years, list(present["year"])) if len(doc_years) else (0, 0)
    all_years = list(range(lo, hi + 1)) if len(doc_years) else []
    for term, color in zip(terms, colors, strict=True):
        rows = trend[trend["term"] == term].set_index("year")
        series = rows["per_10k"].reindex(all_years)  # NaN in missing years: the line breaks
        mentioned = (rows["count"].reindex(all_years).fillna(0) > 0).to_list()
        watched = term in watch
        ax.plot(
            all_years,
            series.to_numpy(dtype=float),
            marker="o",
            markevery=mentioned,  # a dot where the term is mentioned, none on the zeros
            ms=6 if watched else 4,
            lw=2.8 if watched else 1.4,
            ls="-" if watched else "--",
            color=color,
            label=f"{draw.shorten(term, 14)}{' ★' if watched else ''}",
        )
    shown_years = [y for y in doc_years if y >= lo]
    gap_handles = draw.shade_missing(ax, shown_years, lab) if shown_years else []
    ax.set_xlabel(lab["year"])
    ax.set_ylabel(lab["per_10k"])
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_ylim(bottom=0)
    ax.grid(axis="y", color="#eeeeee")
    handles = ax.get_legend_handles_labels()[0]
    draw.legend(ax, handles + gap_handles, title=lab["trend_legend"])
    return draw.decorate(fig, plot_term_trend.chart.title(lang), note, data=trend)


@chart("02_rising_fading", zh="上升与下降的提法", en="Rising and falling terms")
def plot_rising_fading(
    rising: pd.DataFrame,
    falling: pd.DataFrame,
    doc_years: Sequence[int],
    window: int,
    note: str,
    lang: str = "zh",
):
    """Rising (trend > 0, said in the latest document) and falling (trend < 0) terms at the
    latest document, among those said in its last `window`+1 documents; the trend is the
    timeline's emergence (−1 … 1)."""
    fig, (left, right), lab = draw.start(lang, 1, 2)
    latest = doc_years[-1] if len(doc_years) else ""
    since = list(doc_years)[-(window + 1) :][0] if len(doc_years) else ""
    left.set_title(lab["rising_title"].format(year=latest), fontsize=13)
    notes = [lab["since_year"].format(year=yr) for yr in rising["first_year"]]
    _ranked_bars(left, rising, "trend", notes, STATUS_COLORS["new"], lab["trend"], lab)
    right.set_title(lab["falling_title"].format(year=latest, y0=since), fontsize=13)
    notes = [f"{lab['last']} {yr}" for yr in falling["last_year"]]
    _ranked_bars(right, falling, "trend", notes, STATUS_COLORS["fading"], lab["trend"], lab)
    for ax in (left, right):
        ax.set_xlabel(lab["trend_axis"], fontsize=10)
        ax.set_ylabel(lab["term"])
    data = pd.concat(
        [rising.assign(list="rising"), falling.assign(list="falling")], ignore_index=True
    )
    data = data[["list", *[c for c in data.columns if c != "list"]]]
    return draw.decorate(fig, plot_rising_fading.chart.title(lang), note, data=data)


def _ranked_bars(ax, ranked: pd.DataFrame, value: str, notes, color, label: str, lab) -> None:
    """Horizontal bars of `value`, first row at the top, each annotated with its note; "no data"
    when there are no rows."""
    if ranked.empty:
        draw.empty(ax, lab)
        return
    ys = range(len(ranked))
    values = ranked[value].astype(float)
    ax.barh(ys, values, color=color, label=label)
    ax.set_yticks(list(ys))
    ax.set_yticklabels([draw.shorten(t, 14) for t in ranked["label"]])
    ax.invert_yaxis()
    if (values < 0).any():  # falling: bars grow leftwards from 0, labels on the right
        ax.set_xlim(min(values.min() * 1.25, -0.1), 0)
        ax.yaxis.tick_right()
        ax.yaxis.set_label_position("right")
    for y, (v, note) in enumerate(zip(values, notes, strict=True)):
        ax.annotate(
            note,
            (v, y),
            xytext=(4 if v >= 0 else -4, 0),
            textcoords="offset points",
            ha="left" if v >= 0 else "right",
            va="center",
            fontsize=9,
        )
    ax.legend(loc="lower right" if (values >= 0).all() else "lower left", frameon=False)
