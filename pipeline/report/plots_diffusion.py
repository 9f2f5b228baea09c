"""Figures of notebook 04 (diffusion across series): the diffusion ladder (terms × years, a mark
at each series' first year, a line for the lag) with each series' publication years drawn under
it, and the histogram of lags. The table comes from analysis.diffusion."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from policytrack.pipeline.analysis import diffusion as dif
from policytrack.pipeline.report import draw
from policytrack.pipeline.report.registry import chart

TEXT = {
    "zh": {
        "term": "提法",
        "year": "年份",
        "lag": "滞后（年）",
        "terms": "提法数",
        "pubs": "发布年份",
        "origin": "最早出现",
        "series": "系列",
        "none": "只有一个系列：无从比较",
    },  # fmt: skip
    "en": {
        "term": "Term",
        "year": "Year",
        "lag": "Lag (years)",
        "terms": "Terms",
        "pubs": "Publication years",
        "origin": "first seen",
        "series": "Series",
        "none": "one series only: nothing to compare",
    },  # fmt: skip
}


def _brief(groups: Sequence[dif.Group]) -> str:
    """Each series in a few characters: its documents and usual gap between them."""
    return " · ".join(
        f"{draw.shorten(g.label, 12)}: {len(g.years)} docs, gap {g.resolution}y" for g in groups
    )


def diffusion_view(
    timeline: pd.DataFrame, documents: pd.DataFrame, top_n: int = 30
) -> tuple[pd.DataFrame, list[dif.Group]]:
    """The diffusion rows of the `top_n` most mentioned terms present in two or more series
    (flagged noise left out), and the series compared (with their publication years)."""
    groups = dif.series_groups(documents)
    table = dif.diffusion(timeline, groups)
    if table.empty:
        return table, groups
    mentions = timeline.groupby("term")["count"].sum()
    order = sorted(set(table["term"]), key=lambda t: (-int(mentions.get(t, 0)), t))[:top_n]
    table = table[table["term"].isin(set(order))].reset_index(drop=True)
    return table, groups


def groups_table(groups: Sequence[dif.Group]) -> pd.DataFrame:
    """Each series compared: documents, publication years and the lag it can resolve."""
    return pd.DataFrame(
        {
            "series": [g.label for g in groups],
            "documents": [len(g.years) for g in groups],
            "usual_gap": [g.resolution for g in groups],
            "years": [" ".join(map(str, g.years)) for g in groups],
        }
    )


@chart("04_diffusion_ladder", zh="提法在系列之间的扩散", en="Diffusion of terms across series")
def plot_ladder(table: pd.DataFrame, groups: Sequence[dif.Group], note: str, lang: str = "zh"):
    txt = TEXT["zh" if lang == "zh" else "en"]
    fig, ax, _ = draw.start(lang, no_data=table.empty)
    colors = dict(zip([g.label for g in groups], draw.palette(len(groups)), strict=True))
    terms = list(dict.fromkeys(table.sort_values(["origin_year", "term"])["term"]))
    y_of = {t: i for i, t in enumerate(terms)}
    for term, rows in table.groupby("term", sort=False):
        y = y_of[term]
        ax.plot([rows["first_year"].min(), rows["first_year"].max()], [y, y], color="#999999", lw=1.5, zorder=1)  # fmt: skip
    for label in colors:
        rows = table[table["series"] == label]
        if rows.empty:
            continue
        ax.scatter(rows["first_year"], rows["term"].map(y_of), s=46, color=colors[label], zorder=3)  # fmt: skip
    # Each series' publication years, one strip per series under the terms.
    base = len(terms) + 0.8
    for k, g in enumerate(groups):
        ax.scatter(g.years, [base + k] * len(g.years), marker="|", s=80, color=colors[g.label], label=draw.shorten(g.label, 24), zorder=2)  # fmt: skip
    ticks = terms + [f"{txt['pubs']} · {draw.shorten(g.label, 14)}" for g in groups]
    ax.set_yticks(list(range(len(terms))) + [base + k for k in range(len(groups))])
    ax.set_yticklabels(ticks, fontsize=8 if len(ticks) > 24 else 10)
    ax.invert_yaxis()
    ax.set_xlabel(txt["year"])
    ax.set_ylabel(txt["term"])
    if groups:  # one colour per series: its first-year marks and its publication strip
        draw.legend(ax, ax.get_legend_handles_labels()[0], title=txt["series"])
    subtitle = txt["none"] if len(groups) < 2 else _brief(groups)
    data = table.assign(absent_after=[" ".join(map(str, v)) for v in table["absent_after"]])
    return draw.decorate(fig, plot_ladder.chart.title(lang), note, draw.shorten(subtitle, 160), data=data)  # fmt: skip


@chart("04_lag_histogram", zh="滞后年数分布", en="Lags between series")
def plot_lags(table: pd.DataFrame, groups: Sequence[dif.Group], note: str, lang: str = "zh"):
    txt = TEXT["zh" if lang == "zh" else "en"]
    later = table[table["lag"] > 0] if not table.empty else table
    fig, ax, _ = draw.start(lang, no_data=later.empty)
    colors = dict(zip([g.label for g in groups], draw.palette(len(groups)), strict=True))
    counts = later.groupby(["lag", "series"]).size().unstack(fill_value=0) if not later.empty else pd.DataFrame()  # fmt: skip
    if not counts.empty:
        counts = counts.reindex(range(1, int(later["lag"].max()) + 1), fill_value=0)
        bottom = None
        for label in counts.columns:
            ax.bar(counts.index, counts[label], bottom=bottom, color=colors.get(label), label=draw.shorten(label, 24))  # fmt: skip
            bottom = counts[label] if bottom is None else bottom + counts[label]
        ax.yaxis.get_major_locator().set_params(integer=True)
    if groups:  # the receiving series by colour (with no lag to show, still which were compared)
        from matplotlib.patches import Patch

        handles = [Patch(color=colors[g.label], label=draw.shorten(g.label, 24)) for g in groups]
        draw.legend(ax, handles, title=txt["series"])
    ax.set_xlabel(txt["lag"])
    ax.set_ylabel(txt["terms"])
    subtitle = _brief(groups) if len(groups) > 1 else txt["none"]
    data = counts.reset_index() if not counts.empty else pd.DataFrame({"lag": [], "terms": []})
    return draw.decorate(fig, plot_lags.chart.title(lang), note, draw.shorten(subtitle, 160), data=data)  # fmt: skip
