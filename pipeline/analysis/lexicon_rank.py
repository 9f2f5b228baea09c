"""How much a term matters over a window of years, and which terms rise or fall.

importance = persistence × salience, over the document years of the window:
  persistence  share of the window's documents that mention the term (0 … 1)
  salience     mean mentions per 10,000 characters over those documents
A term said in every report of the window at 2 mentions per 10k characters scores 2; a one-off
at 1 per 10k in one of ten reports scores 0.01. Default views (the `terms` table, the report's
heatmap) rank by it, leave flagged noise (emphasis and one-off quotes) out, and always keep
watch terms.

The trend is the timeline's `emergence` at the window's last year (timeline.EMERGENCE_AXIS):
rising > 0, falling < 0; a term present in every one of its years is 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from policytrack.pipeline.analysis.timeline import SeriesGrid

IMPORTANCE_AXIS = (
    "importance: share of the window's documents mentioning it × mentions per 10k characters"
)
KEY = ["source", "series", "term"]
IMPORTANCE_COLUMNS = [*KEY, "documents", "present_years", "persistence", "salience", "importance",
                      "first_year", "last_year", "trend", "flag", "watched"]  # fmt: skip
RANK_COLUMNS = [*KEY, "canonical", "variants", *IMPORTANCE_COLUMNS[len(KEY) :]]  # term_ranks


def in_window(timeline: pd.DataFrame, years: Sequence[int] | None) -> pd.DataFrame:
    """Rows of the timeline whose year lies in [first, last] (all rows when `years` is None)."""
    if not years:
        return timeline
    lo, hi = min(years), max(years)
    return timeline[(timeline["year"] >= lo) & (timeline["year"] <= hi)]


def term_importance(timeline: pd.DataFrame, years: Sequence[int] | None = None) -> pd.DataFrame:
    """One row per (source, series, term) of the timeline (or its group rows) over the window.

    Columns: source, series, term, documents (document years in the window), present_years,
    persistence, salience, importance, first_year, last_year (last year mentioned in the
    window, 0 if none), trend (emergence at the window's last document year), flag, watched.
    """
    tl = in_window(timeline, years)
    if tl.empty:
        return pd.DataFrame(columns=IMPORTANCE_COLUMNS)
    tl = tl.sort_values([*KEY, "year"], kind="stable")
    g = tl.groupby(KEY, sort=False)
    out = g.agg(
        documents=("year", "size"),
        present_years=("present", "sum"),
        salience=("per_10k_chars", "mean") if "per_10k_chars" in tl else ("count", "mean"),
        first_year=("first_year", "max"),
        trend=("emergence", "last"),
        watched=("watched", "any"),
    )
    out["flag"] = g["flag"].first() if "flag" in tl else ""
    last = tl[tl["present"]].groupby(KEY, sort=False)["year"].max()
    out["last_year"] = last.reindex(out.index).fillna(0).astype("int64")
    return _scored(out).reset_index()[IMPORTANCE_COLUMNS]


def _scored(out: pd.DataFrame) -> pd.DataFrame:
    """Persistence and importance from documents, present_years and salience (the mean, not
    yet rounded); salience and persistence rounded as shown."""
    out["persistence"] = out["present_years"] / out["documents"].clip(lower=1)
    out["importance"] = np.round(out["persistence"] * out["salience"], 4)
    out["salience"] = np.round(out["salience"], 3)
    out["persistence"] = np.round(out["persistence"], 3)
    return out


def term_ranks(timeline: pd.DataFrame) -> pd.DataFrame:
    """The term_ranks table: term_importance over every row of the timeline, with each term's
    canonical form and variants (written by the build, so a ranking over all years, and the
    variant lists, read one row per term instead of one per term and year)."""
    imp = term_importance(timeline)
    first = timeline.drop_duplicates(KEY).set_index(KEY)
    index = pd.MultiIndex.from_frame(imp[KEY])
    imp.insert(3, "canonical", first["canonical"].reindex(index).to_numpy())
    imp.insert(4, "variants", first["variants"].reindex(index).to_numpy())
    return imp


def series_ranks(grid: SeriesGrid) -> pd.DataFrame:
    """term_ranks(grid.frame()) from the grid's matrices, without its rows as a frame: a grid's
    rows are one series, each term over every year of it, in (term, year) order."""
    n, t = grid.counts.shape
    present = grid.present
    # The mean by pandas' own groupby kernel, as term_importance takes it: the same bits.
    salience = pd.Series(grid.per10k.ravel()).groupby(np.repeat(np.arange(n), t)).mean()
    last = grid.years[t - 1 - present[:, ::-1].argmax(axis=1)]
    out = pd.DataFrame(
        {
            "source": grid.source,
            "series": grid.series,
            "term": grid.terms,
            "canonical": grid.canonical,
            "variants": pd.Series(grid.variants, dtype=object),  # a list stays one cell
            "documents": np.full(n, t, dtype=np.int64),
            "present_years": present.sum(axis=1).astype(np.int64),
            "salience": salience.to_numpy(),
            "first_year": grid.first.astype(np.int64),
            "last_year": np.where(present.any(axis=1), last, 0).astype(np.int64),
            "trend": grid.emergence[:, -1],
            "flag": grid.flags,
            "watched": grid.watched,
        }
    )
    return _scored(out)[RANK_COLUMNS]


def rank_terms(
    timeline: pd.DataFrame,
    years: Sequence[int] | None = None,
    *,
    watch: Sequence[str] = (),
    noise: bool = False,
) -> pd.DataFrame:
    """term_importance rows in display order: watch terms first (in the order given), then by
    importance, then by mentions; flagged noise and terms never mentioned in the window are left
    out unless `noise` (watch terms are always kept). `timeline` may also be term_importance rows."""
    imp = timeline if "importance" in timeline else term_importance(timeline, years)
    if imp.empty:
        return imp
    watched = imp["term"].isin(set(watch)) | imp["watched"]
    keep = watched | (imp["present_years"] > 0)
    if not noise:
        keep &= watched | (imp["flag"].fillna("") == "")
    imp = imp[keep]
    order = {t: i for i, t in enumerate(watch)}
    imp = imp.assign(
        _w=[
            order.get(t, len(order)) if w else len(order) + 1
            for t, w in zip(imp["term"], imp["watched"] | imp["term"].isin(set(watch)), strict=True)
        ]  # fmt: skip
    )
    imp = imp.sort_values(
        ["_w", "importance", "present_years", "term"], ascending=[True, False, False, True]
    )
    return imp.drop(columns="_w").reset_index(drop=True)


def rising_falling(
    timeline: pd.DataFrame, years: Sequence[int] | None = None, n: int = 10
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The `n` most rising (trend > 0, mentioned in the window's last document) and most falling
    (trend < 0) terms at the window's last year, noise left out; ties by salience."""
    imp = rank_terms(timeline, years)
    if imp.empty:
        return imp, imp
    tl = in_window(timeline, years)
    last = int(tl["year"].max())
    now = set(tl.loc[(tl["year"] == last) & tl["present"], "term"])
    rising = imp[(imp["trend"] > 0) & imp["term"].isin(now)]
    rising = rising.sort_values(["trend", "salience"], ascending=False).head(n)
    falling = imp[imp["trend"] < 0].sort_values(["trend", "salience"], ascending=[True, False])
    return rising.reset_index(drop=True), falling.head(n).reset_index(drop=True)
