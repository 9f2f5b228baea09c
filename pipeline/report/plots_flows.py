"""Figures of notebook 03 (item flows): the alluvial between consecutive years, link counts per
relation and year, the longest-lived threads."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from policytrack.pipeline.report import draw, views
from policytrack.pipeline.report.labels import RELATION_COLORS
from policytrack.pipeline.report.registry import chart
from policytrack.pipeline.store.schema import CONTINUING, RELATIONS


@chart("03_alluvial", zh="相邻年份条目流向", en="Item flows between consecutive years")
def plot_alluvial(flow_list: Sequence[views.Flow], note: str, lang: str = "zh", max_pairs: int = 8):
    """Alluvial of items between consecutive years: bands by relation, dropped items fade out to the
    right, new and reappeared ones fade in from the left. Shows the last `max_pairs` pairs."""
    fig, ax, lab = draw.start(lang)
    pairs = sorted({(f.year_from, f.year_to) for f in flow_list})[-max_pairs:]
    if not pairs:
        draw.empty(ax, lab)
        return draw.decorate(fig, plot_alluvial.chart.title(lang), note, data=views.flows_table([]))
    years = sorted({y for p in pairs for y in p})
    xpos = {y: i for i, y in enumerate(years)}
    node_w, gap = 0.08, 0.0
    heights: dict[int, float] = {y: 0.0 for y in years}
    by_pair = {p: [f for f in flow_list if (f.year_from, f.year_to) == p] for p in pairs}
    for (yf, yt), fl in by_pair.items():
        heights[yf] = max(heights[yf], sum(f.n_from for f in fl))
        heights[yt] = max(heights[yt], sum(f.n_to for f in fl))
    left_order = (*CONTINUING, "dropped")
    right_order = (*CONTINUING, "reappeared", "new")
    t = np.linspace(0, 1, 60)
    ease = (1 - np.cos(np.pi * t)) / 2
    for (yf, yt), fl in by_pair.items():
        x0, x1 = xpos[yf] + node_w / 2, xpos[yt] - node_w / 2
        lbase = {r: 0.0 for r in RELATIONS}
        acc = 0.0
        for r in left_order:
            lbase[r] = acc
            acc += sum(f.n_from for f in fl if f.relation == r) + gap
        rbase = {r: 0.0 for r in RELATIONS}
        acc = 0.0
        for r in right_order:
            rbase[r] = acc
            acc += sum(f.n_to for f in fl if f.relation == r) + gap
        for f in fl:
            color = RELATION_COLORS.get(f.relation, "#999999")
            if f.relation == "dropped":  # a stub leaving the left node, open to the right
                _stub(
                    ax, x0, x0 + (x1 - x0) * 0.3, lbase["dropped"], f.n_from, color, f"−{f.n_from}"
                )
            elif f.relation in ("new", "reappeared"):  # a stub arriving at the right node
                xa = x1 - (x1 - x0) * 0.3
                _stub(ax, x1, xa, rbase[f.relation], f.n_to, color, f"+{f.n_to}")
            else:
                xs = x0 + (x1 - x0) * t
                lo = lbase[f.relation] + (rbase[f.relation] - lbase[f.relation]) * ease
                hi = lo + f.n_from + (f.n_to - f.n_from) * ease
                ax.fill_between(xs, lo, hi, color=color, alpha=0.8, lw=0.5, edgecolor="white")
    for y in years:
        ax.bar(xpos[y], heights[y], width=node_w, bottom=0, color="#333333", zorder=3)
        ax.annotate(
            str(int(heights[y])),
            (xpos[y], heights[y]),
            xytext=(0, 4),
            textcoords="offset points",
            ha="center",
            fontsize=10,
        )
    ax.set_xticks(list(xpos.values()))
    ax.set_xticklabels([str(y) for y in years])
    for a, b in zip(years, years[1:], strict=False):  # a pair across missing years says so
        if b - a > 1:
            gap = f"{a + 1}" if b - a == 2 else f"{a + 1}–{b - 1}"
            ax.annotate(
                lab["missing_between"].format(years=gap),
                ((xpos[a] + xpos[b]) / 2, 0),
                xytext=(0, 4),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize=10,
                color="#555555",
                zorder=4,
            )
    ax.set_xlim(-0.3, len(years) - 0.7)
    ax.set_ylim(0, max(heights.values()) * 1.08 + 1)
    ax.set_xlabel(lab["year"])
    ax.set_ylabel(lab["items"])
    ax.yaxis.get_major_locator().set_params(integer=True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    present = [r for r in RELATIONS if any(f.relation == r for f in flow_list)]
    handles = draw.patches(present, RELATION_COLORS, lab, prefix="rel_")
    draw.legend(ax, handles, title=lab["relation"])
    shown = [f for f in flow_list if (f.year_from, f.year_to) in by_pair]
    return draw.decorate(fig, plot_alluvial.chart.title(lang), note, data=views.flows_table(shown))


def _stub(ax, xa: float, xb: float, base: float, height: float, color, text: str):
    """A band from the node at xa to its open end at xb (either direction), hatched so it reads
    as "leaves / arrives" rather than as a flow, with its count written at the open end."""
    lo, hi = sorted((xa, xb))
    ax.fill_between(
        [lo, hi], base, base + height, color=color, alpha=0.55, lw=0.8, edgecolor=color,
        hatch="///",
    )  # fmt: skip
    ax.plot([xb, xb], [base, base + height], color=color, lw=1.5, ls=(0, (2, 2)))
    ax.annotate(
        text,
        (xb, base + height / 2),
        xytext=(4 if xb > xa else -4, 0),
        textcoords="offset points",
        ha="left" if xb > xa else "right",
        va="center",
        fontsize=10,
        color="#333333",
    )


@chart(
    "03_relations_per_year",
    zh="相邻文件之间的条目变化",
    en="Item changes between consecutive documents",
)
def plot_relation_bars(counts: pd.DataFrame, note: str, lang: str = "zh"):
    """Stacked bars per year of link counts by relation (the year a change arrives)."""
    fig, ax, lab = draw.start(lang, no_data=counts.empty)
    years = list(counts.index)
    present = [r for r in RELATIONS if r in counts.columns and counts[r].sum() > 0]
    colors = [RELATION_COLORS.get(r, "#999999") for r in present]
    draw.stacked_bars(ax, counts, present, colors, [draw.relation_name(lab, r) for r in present])
    # Years are not consecutive (gaps are bridged): every bar names the pair it compares.
    ticks = list(counts["compared"]) if not counts.empty else []
    ax.set_xticks(range(len(years)))
    ax.set_xticklabels(
        ticks, rotation=0 if len(years) <= 8 else 90, fontsize=10 if len(years) <= 40 else 7
    )
    ax.set_xlabel(lab["year_to"])
    ax.set_ylabel(lab["links"])
    ax.yaxis.get_major_locator().set_params(integer=True)
    draw.legend(ax, ax.get_legend_handles_labels()[0], title=lab["relation"])
    return draw.decorate(fig, plot_relation_bars.chart.title(lang), note, data=counts.reset_index())


@chart("03_longest_threads", zh="延续最久的条目", en="Longest-lived threads")
def plot_threads(top: pd.DataFrame, doc_years: Sequence[int], note: str, lang: str = "zh"):
    """Gantt-like lanes for the longest-lived threads: a dot per year present."""
    fig, ax, lab = draw.start(lang, no_data=top.empty)
    for i, row in enumerate(top.itertuples(index=False)):
        present = lab["present"] if i == 0 else None
        draw.dot_lane(ax, i, row.first_seen, row.last_seen, row.years, "#bbbbbb", 50, present)
        ax.annotate(
            lab["n_years_short"].format(n=row.n_years),
            (row.last_seen, i),
            xytext=(8, 0),
            textcoords="offset points",
            va="center",
            fontsize=9,
            color="#555555",
        )
    ax.set_yticks(range(len(top)))
    ax.set_yticklabels([draw.shorten(t, 20) for t in top["label"]], fontsize=10)
    ax.set_ylim(max(len(top), 1) - 0.5, -0.5)
    lo, hi = draw.zoom(doc_years, list(top["first_seen"]))
    ax.set_xlim(lo - 0.8, hi + 1.5)
    gap_handles = draw.shade_missing(ax, [y for y in doc_years if y >= lo], lab)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_xlabel(lab["year"])
    ax.set_ylabel(lab["thread"])
    ax.grid(axis="x", color="#eeeeee")
    draw.legend(ax, ax.get_legend_handles_labels()[0] + gap_handles)
    return draw.decorate(fig, plot_threads.chart.title(lang), note, data=top)
