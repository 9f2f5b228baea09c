"""Figures of notebook 01 (corpus overview): documents per source and year, year coverage and
gaps, items per section and year."""

from __future__ import annotations

import pandas as pd

from policytrack.pipeline.report import draw
from policytrack.pipeline.report.registry import chart


@chart("01_documents_per_year", zh="各来源每年文件数", en="Documents per source and year")
def plot_documents_per_year(counts: pd.DataFrame, note: str, lang: str = "zh"):
    fig, ax, lab = draw.start(lang)
    years = list(counts.index)
    columns = list(counts.columns)
    names = [str(source) for source in columns]
    bottom = draw.stacked_bars(ax, counts, columns, draw.palette(len(columns)), names)
    missing = [i for i, total in enumerate(bottom) if total == 0]
    for i in missing:
        ax.axvspan(i - 0.5, i + 0.5, color="#f3f3f3", zorder=0)
    draw.year_ticks(ax, years)
    ax.set_xlabel(lab["year"])
    ax.set_ylabel(lab["documents"])
    ax.yaxis.get_major_locator().set_params(integer=True)
    from matplotlib.patches import Patch

    handles = ax.get_legend_handles_labels()[0]
    if missing:
        handles.append(Patch(facecolor="#f3f3f3", label=lab["missing_year"]))
    draw.legend(ax, handles, title=lab["source"])
    # Bars all of height one say nothing but the gaps: say so instead of leaving it to guess.
    subtitle = lab["one_per_year"] if len(bottom) and bottom.max() == 1 else None
    title = plot_documents_per_year.chart.title(lang)
    return draw.decorate(fig, title, note, subtitle, data=counts.reset_index())


@chart("01_coverage", zh="年份覆盖与缺口", en="Year coverage and gaps")
def plot_coverage(gaps: pd.DataFrame, note: str, lang: str = "zh"):
    """One row per source/series: a dot per year with a document, a cross per missing year."""
    fig, ax, lab = draw.start(lang, no_data=gaps.empty)
    for i, row in enumerate(gaps.itertuples(index=False)):
        present = lab["present"] if i == 0 else None
        draw.dot_lane(ax, i, row.first_year, row.last_year, row.years, "#cccccc", 36, present)
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
    ax.set_yticklabels([draw.shorten(f"{r.source} · {r.series}", 28) for r in gaps.itertuples()])
    ax.set_ylim(-0.8, len(gaps) - 0.2)
    ax.invert_yaxis()
    ax.set_xlabel(lab["year"])
    ax.set_ylabel(lab["series"])
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.grid(axis="x", color="#eeeeee")
    handles, names = ax.get_legend_handles_labels()
    uniq = dict(zip(names, handles, strict=False))
    draw.legend(ax, list(uniq.values()))
    return draw.decorate(fig, plot_coverage.chart.title(lang), note, data=gaps)


@chart("01_items_per_section", zh="每年各部分条目数", en="Items per section and year")
def plot_items_per_section(counts: pd.DataFrame, note: str, lang: str = "zh"):
    fig, ax, lab = draw.start(lang, no_data=counts.empty or counts.to_numpy().sum() == 0)
    years = list(counts.index)
    columns = list(counts.columns)
    names = [lab["section"].format(n=sec) for sec in columns]
    totals = draw.stacked_bars(ax, counts, columns, draw.palette(len(columns)), names)
    draw.year_ticks(ax, years)
    handles = ax.get_legend_handles_labels()[0]
    # A year whose document has no numbered items is not an empty year: mark and count it.
    bare = [i for i, total in enumerate(totals) if total == 0]
    if bare and len(bare) < len(years):
        from matplotlib.patches import Patch

        for i in bare:
            ax.axvspan(i - 0.4, i + 0.4, facecolor="none", edgecolor="#bbbbbb", hatch="//", lw=0)
        handles.append(
            Patch(facecolor="none", edgecolor="#bbbbbb", hatch="//", label=lab["no_items"])
        )
    # Years are positions, not a scale: a dashed line where years are missing in between.
    gaps = [i for i in range(1, len(years)) if years[i] - years[i - 1] > 1]
    for i in gaps:
        ax.axvline(i - 0.5, color="#555555", ls="--", lw=0.8)
    if gaps:
        from matplotlib.lines import Line2D

        handles.append(Line2D([], [], color="#555555", ls="--", label=lab["gap_note"]))
    ax.set_xlabel(lab["year"])
    ax.set_ylabel(lab["items"])
    ax.yaxis.get_major_locator().set_params(integer=True)
    draw.legend(ax, handles, ncols=1 if len(counts.columns) <= 14 else 2)
    subtitle = lab["no_items_note"].format(n=len(bare)) if bare and len(bare) < len(years) else None
    title = plot_items_per_section.chart.title(lang)
    return draw.decorate(fig, title, note, subtitle, data=counts.reset_index())
