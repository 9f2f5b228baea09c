"""The term × year view behind `policytrack terms`: which rows of the timeline to show.

Tables in, a long timeline out; the CLI only reads tables and renders. Rows are filtered (source,
series, years) before anything is grouped, and the matrix is one pivot, never per-cell lookups.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

import pandas as pd

from policytrack.pipeline.analysis.lexicon_count import watch_timeline
from policytrack.pipeline.analysis.lexicon_rank import in_window, rank_terms, term_importance
from policytrack.pipeline.analysis.timeline import group_timeline
from policytrack.pipeline.core.errors import InputError


def check_source(documents: pd.DataFrame, source: str) -> pd.DataFrame:
    """The source's documents, or an InputError naming the sources there are."""
    mine = documents[documents["source"] == source]
    if mine.empty:
        known = sorted(documents["source"].unique())
        have = ", ".join(known) if known else "none (run `policytrack build`)"
        raise InputError(source, f"no such source; available: {have}")
    return mine


# What ranking needs of the timeline (no lists, no statuses): a capped table reads these for
# every row first and the remaining columns only for the rows it shows (`top_terms`).
RANK_COLUMNS = ("source", "series", "term", "canonical", "year", "present", "count",
                "per_10k_chars", "emergence", "first_year", "flag", "watched")  # fmt: skip


class Top(NamedTuple):
    rows: set[tuple[str, str]]  # (series, term) of the rows kept
    totals: dict[str, int]  # series → groups there were to choose from


def _scope(
    documents: pd.DataFrame,
    timeline: pd.DataFrame,
    source: str,
    series: str | None,
    years: Sequence[int] | None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The source's (and series') documents and timeline rows; InputError naming what exists
    for an unknown source or series."""
    documents = check_source(documents, source)
    timeline = timeline[timeline["source"] == source]
    if series is not None:
        if series not in set(documents["series"]):
            raise InputError(
                f"{source} / {series}",
                f"no such series; available: {', '.join(sorted(documents['series'].unique()))}",
            )
        documents = documents[documents["series"] == series]
        timeline = timeline[timeline["series"] == series]
    return documents, timeline


def _window(timeline: pd.DataFrame, source: str, years: Sequence[int] | None) -> pd.DataFrame:
    if not years:
        return timeline
    window = in_window(timeline, years)
    if window.empty and not timeline.empty:
        have = sorted(timeline["year"].unique())
        raise InputError(
            f"{source} --years {min(years)}-{max(years)}",
            f"no documents in that window; years: {have[0]}–{have[-1]}",
        )
    return window


def top_terms(
    documents: pd.DataFrame,
    rows: pd.DataFrame,
    source: str,
    *,
    limit: int,
    series: str | None = None,
    variants: bool = True,
    years: Sequence[int] | None = None,
    noise: bool = False,
) -> Top:
    """The (series, term) rows select_terms keeps with this `limit` (> 0) and no watch terms (a
    watch term counted on the fly competes for the places), and the number of groups per
    series there were to choose from. `rows`: the term_ranks table (no `years`: it ranks over
    every year), or timeline rows with RANK_COLUMNS. select_terms given this as `top`, on
    timeline rows holding at least these terms, gives select_terms' result."""
    documents, rows = _scope(documents, rows, source, series, years)
    if "importance" in rows:
        if years:
            raise ValueError("term_ranks rank over every year: pass timeline rows for a window")
        imp = rows
    else:
        rows = _window(rows, source, years)
        if rows.empty:
            return Top(set(), {})
        imp = term_importance(rows)
    imp = _groups(imp, rows, variants)
    chosen, totals = _chosen(imp, limit, noise)
    keep = pd.MultiIndex.from_arrays([imp["series"], imp["group"]]).isin(list(chosen))
    kept = imp[keep]
    return Top(set(zip(kept["series"].tolist(), kept["term"].tolist(), strict=True)), totals)


def with_variants(rows: pd.DataFrame, ranks: pd.DataFrame) -> pd.DataFrame:
    """Timeline rows read without their `variants` lists, given them from term_ranks (one list
    per series and term there: the list column is the costliest part of the timeline to read)."""

    def keys(frame):
        return zip(*(frame[c].tolist() for c in ("source", "series", "term")), strict=True)

    lists = dict(zip(keys(ranks), ranks["variants"], strict=True))  # one row per key there
    return rows.assign(variants=[lists.get(k) for k in keys(rows)])


def select_terms(
    documents: pd.DataFrame,
    timeline: pd.DataFrame,
    source: str,
    *,
    wanted: Sequence[str] = (),
    series: str | None = None,
    variants: bool = True,
    years: Sequence[int] | None = None,
    items: Callable[[], pd.DataFrame] | None = None,
    limit: int = 0,
    noise: bool = False,
    top: Top | None = None,
) -> pd.DataFrame:
    """Timeline rows of `source` (in the `years` window) for the terms asked for.

    Wanted terms the build did not count are counted now in the stored items text (`items()`
    returns the source's items table; it is only called then), so every command agrees on a
    watch term. `variants` folds a group onto its canonical form. `limit` > 0 keeps only the
    rows of the `limit` most important groups (and the wanted terms) before grouping, so a
    capped table never groups the whole timeline; `noise` keeps flagged groups in that choice.
    `top` (from top_terms, with the same scope and no `wanted`) stands for that choice.
    """
    documents, timeline = _scope(documents, timeline, source, series, years)
    if wanted:
        missing = [t for t in wanted if t not in set(timeline["term"])]
        extra = watch_timeline(
            documents, items() if missing and items is not None else None, timeline, wanted
        ) if missing else timeline[timeline["term"].isin(set(wanted))].assign(watched=True)  # fmt: skip
        timeline = pd.concat(
            [timeline[~timeline["term"].isin(set(wanted))], extra], ignore_index=True
        )
    timeline = _window(timeline, source, years)
    totals: dict[str, int] = {}
    if top is not None:
        pairs = pd.MultiIndex.from_arrays([timeline["series"], timeline["term"]])
        timeline, totals = timeline[pairs.isin(list(top.rows))], dict(top.totals)
    elif limit > 0 and not timeline.empty:
        timeline, totals = _top_groups(timeline, limit, wanted, noise, variants)
    if variants and not timeline.empty:
        timeline = group_timeline(timeline, documents)
    timeline.attrs["totals"] = totals  # series → terms before the cut (the table's "N of M")
    if wanted:
        keep = set(wanted)
        if variants:
            for c, vs in zip(timeline["canonical"], timeline["variants"], strict=True):
                if keep & set(vs):
                    keep.add(c)
        timeline = timeline[timeline["term"].isin(keep) | timeline["canonical"].isin(keep)]
    return timeline


def _groups(imp: pd.DataFrame, rows: pd.DataFrame, variants: bool) -> pd.DataFrame:
    """term_importance rows with their `group`: the canonical form `rows` give each (series,
    term) (with variants), else the term itself."""
    if not variants:
        return imp.assign(group=imp["term"])
    canon = rows.drop_duplicates(["series", "term"]).set_index(["series", "term"])
    index = pd.MultiIndex.from_arrays([imp["series"], imp["term"]])
    return imp.assign(group=canon["canonical"].reindex(index).to_numpy())


def _chosen(imp: pd.DataFrame, limit: int, noise: bool) -> tuple[set, dict[str, int]]:
    """(series, group) of the `limit` most important groups per series (a group scores its best
    member's importance; a flagged root leaves its group out unless `noise`), and the number of
    groups per series that could have been shown."""
    roots = imp[imp["term"] == imp["group"]]
    flagged = roots[roots["flag"].fillna("") != ""]
    bad = set(zip(flagged["series"].tolist(), flagged["group"].tolist(), strict=True))
    best = imp.groupby(["series", "group"])["importance"].max().reset_index()
    if not noise:
        pairs = zip(best["series"].tolist(), best["group"].tolist(), strict=True)
        best = best[[p not in bad for p in pairs]]
    best = best[best["importance"] > 0]
    best = best.sort_values(["series", "importance", "group"], ascending=[True, False, True])
    totals = best.groupby("series").size().to_dict()
    chosen: set = set()
    for series, grp in best.groupby("series", sort=False):
        chosen |= {(series, g) for g in grp["group"].head(limit)}
    return chosen, totals


def _top_groups(
    timeline: pd.DataFrame, limit: int, wanted: Sequence[str], noise: bool, variants: bool
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Rows of the `limit` most important groups per series (`_chosen`), plus the wanted
    terms; and the number of groups per series that could have been shown."""
    chosen, totals = _chosen(_groups(term_importance(timeline), timeline, variants), limit, noise)
    key = "canonical" if variants else "term"
    pairs = pd.MultiIndex.from_arrays([timeline["series"], timeline[key]])
    keep = pairs.isin(list(chosen)) if chosen else pd.Series(False, index=timeline.index)
    keep = (
        keep
        | timeline["term"].isin(set(wanted)).to_numpy()
        | timeline[key].isin(set(wanted)).to_numpy()
    )
    return timeline[keep], totals


def ranked(timeline: pd.DataFrame, *, watch: Sequence[str] = (), noise: bool = False) -> list[str]:
    """Terms in display order: watch terms, then importance over the rows' years (lexicon_rank);
    `timeline` may be timeline rows or their term_importance rows."""
    return list(dict.fromkeys(rank_terms(timeline, watch=watch, noise=noise)["term"]))


def status_matrix(timeline: pd.DataFrame, terms: Sequence[str]) -> pd.DataFrame:
    """term × year statuses of one series for `terms` (in that order): one pivot."""
    rows = timeline[timeline["term"].isin(set(terms))]
    m = rows.pivot_table(index="term", columns="year", values="status", aggfunc="first")
    return m.reindex(index=list(terms))
