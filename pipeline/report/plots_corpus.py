"""Figures of notebook 01 (corpus overview): documents per source and year, year coverage and
gaps, items per section and year."""

from __future__ import annotations

import numpy as np
import pandas as pd

from policytrack.pipeline.report.draw import (
    decorate,
    empty,
    legend,
    new_figure,
    palette,
    shorten,
    year_ticks,
)
from policytrack.pipeline.report.labels import labels
from policytrack.pipeline.report.registry import chart


@chart("01_documents_per_year", zh="各来源每年文件数", en="Documents per source and year")
def plot_documents_per_year(counts: pd.DataFrame, note: str, lang: str = "zh"):
    lab = labels(lang)
    fig, ax = new_figure()
    years = list(counts.index)
    bottom = np.zeros(len(years))
    cmap = palette(len(counts.columns))
    for i, source in enumerate(counts.columns):
        ax.bar(
            range(len(years)),
            counts[source],
            bottom=bottom,
            color=cmap[i],
            label=str(source),
            width=0.8,
        )
        bottom += counts[source].to_numpy()
    missing = [i for i, total in enumerate(bottom) if total == 0]
    for i in missing:
        ax.axvspan(i - 0.5, i + 0.5, color="#f3f3f3", zorder=0)
    year_ticks(ax, years)
    ax.set_xlabel(lab["year"])
    ax.set_ylabel(lab["documents"])
    ax.yaxis.get_major_locator().set_params(integer=True)
    from matplotlib.patches import Patch

    handles = ax.get_legend_handles_labels()[0]
    if missing:
        handles.append(Patch(facecolor="#f3f3f3", label=lab["missing_year"]))
    legend(ax, handles, title=lab["source"])
    decorate(fig, plot_documents_per_year.chart.title(lang), note)
    return fig


@chart("01_coverage", zh="年份覆盖与缺口", en="Year coverage and gaps")
def plot_coverage(gaps: pd.DataFrame, note: str, lang: str = "zh"):
    """One row per source/series: a dot per year with a document, a cross per missing year."""
    lab = labels(lang)
    fig, ax = new_figure()
    if gaps.empty:
        empty(ax, lab)
    for i, row in enumerate(gaps.itertuples(index=False)):
        ax.hlines(i, row.first_year, row.last_year, color="#cccccc", lw=2, zorder=1)
        ax.scatter(
            row.years,
            [i] * len(row.years),
            s=36,
            color="#3a6ea5",
            zorder=2,
            label=lab["present"] if i == 0 else None,
        )
        if row.missing:
            ax.scatter(
                row.missing,
                [i] * len(row.missing),
                s=40,
                marker="x",
                color="#e76f51",
                zorder=3,
                label=lab["missing_year"]
                if i == 0 or not any(len(m) for m in gaps["missing"][:i])
                else None,
            )
    ax.set_yticks(range(len(gaps)))
    ax.set_yticklabels([shorten(f"{r.source} · {r.series}", 28) for r in gaps.itertuples()])
    ax.set_ylim(-0.8, len(gaps) - 0.2)
    ax.invert_yaxis()
    ax.set_xlabel(lab["year"])
    ax.set_ylabel(lab["series"])
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.grid(axis="x", color="#eeeeee")
    handles, names = ax.get_legend_handles_labels()
    uniq = dict(zip(names, handles, strict=False))
    legend(ax, list(uniq.values()))
    decorate(fig, plot_coverage.chart.title(lang), note)
    return fig


@chart("01_items_per_section", zh="每年各部分条目数", en="Items per section and year")
def plot_items_per_section(counts: pd.DataFrame, note: str, lang: str = "zh"):
    lab = labels(lang)
    fig, ax = new_figure()
    years = list(counts.index)
    if counts.empty or counts.to_numpy().sum() == 0:
        empty(ax, lab)
    bottom = np.zeros(len(years))
    colors = palette(len(counts.columns))
    for i, sec in enumerate(counts.columns):
        ax.bar(
            range(len(years)),
            counts[sec],
            bottom=bottom,
            color=colors[i],
            label=lab["section"].format(n=sec),
            width=0.8,
        )
        bottom += counts[sec].to_numpy()
    year_ticks(ax, years)
    ax.set_xlabel(lab["year"])
    ax.set_ylabel(lab["items"])
    ax.yaxis.get_major_locator().set_params(integer=True)
    legend(ax, ax.get_legend_handles_labels()[0], ncols=1 if len(counts.columns) <= 14 else 2)
    decorate(fig, plot_items_per_section.chart.title(lang), note)
    return fig
