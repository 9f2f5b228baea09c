"""The term × year view behind `policytrack terms`: which rows of the timeline to show.

Tables in, a long timeline out; the CLI only reads tables and renders. Rows are filtered (source,
series, years) before anything is grouped, and the matrix is one pivot, never per-cell lookups.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd

from policytrack.pipeline.analysis.lexicon_count import watch_timeline
from policytrack.pipeline.analysis.lexicon_rank import in_window, rank_terms, term_importance
from policytrack.pipeline.analysis.timeline import group_timeline
from policytrack.pipeline.core.errors import InputError


def read_source_rows(
    data_dir: str | Path, name: str, source: str, columns: Sequence[str] | None = None
) -> pd.DataFrame:
    """Rows of one source of a processed table (only `columns` when given), filtered while
    reading (parquet filters)."""
    from policytrack.pipeline.store.tables import read_table, table_path

    path = table_path(data_dir, name)
    if not path.exists():
        return read_table(data_dir, name)  # the one missing-file message
    try:
        return pd.read_parquet(
            path, columns=list(columns) if columns else None, filters=[("source", "==", source)]
        )
    except Exception:  # an old file without those columns, or a damaged one: the checked reader
        df = read_table(data_dir, name, columns)
        return df[df["source"] == source]


def check_source(documents: pd.DataFrame, source: str) -> pd.DataFrame:
    """The source's documents, or an InputError naming the sources there are."""
    mine = documents[documents["source"] == source]
    if mine.empty:
        known = sorted(documents["source"].unique())
        have = ", ".join(known) if known else "none (run `policytrack build`)"
        raise InputError(source, f"no such source; available: {have}")
    return mine


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
) -> pd.DataFrame:
    """Timeline rows of `source` (in the `years` window) for the terms asked for.

    Wanted terms the build did not count are counted now in the stored items text (`items()`
    returns the source's items table; it is only called then), so every command agrees on a
    watch term. `variants` folds a group onto its canonical form. `limit` > 0 keeps only the
    rows of the `limit` most important groups (and the wanted terms) before grouping, so a
    capped table never groups the whole timeline; `noise` keeps flagged groups in that choice.
    """
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
    if wanted:
        missing = [t for t in wanted if t not in set(timeline["term"])]
        extra = watch_timeline(
            documents, items() if missing and items is not None else None, timeline, wanted
        ) if missing else timeline[timeline["term"].isin(set(wanted))].assign(watched=True)  # fmt: skip
        timeline = pd.concat(
            [timeline[~timeline["term"].isin(set(wanted))], extra], ignore_index=True
        )
    if years:
        window = in_window(timeline, years)
        if window.empty and not timeline.empty:
            have = sorted(timeline["year"].unique())
            raise InputError(
                f"{source} --years {min(years)}-{max(years)}",
                f"no documents in that window; years: {have[0]}–{have[-1]}",
            )
        timeline = window
    totals: dict[str, int] = {}
    if limit > 0 and not timeline.empty:
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


def _top_groups(
    timeline: pd.DataFrame, limit: int, wanted: Sequence[str], noise: bool, variants: bool
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Rows of the `limit` most important groups per series (a group scores its best member's
    importance; a flagged root leaves its group out unless `noise`), plus the wanted terms;
    and the number of groups per series that could have been shown."""
    imp = term_importance(timeline)
    key = "canonical" if variants else "term"
    if variants:
        canon = timeline.drop_duplicates(["series", "term"]).set_index(["series", "term"])
        index = pd.MultiIndex.from_arrays([imp["series"], imp["term"]])
        imp["group"] = canon["canonical"].reindex(index).to_numpy()
    else:
        imp["group"] = imp["term"]
    roots = imp[imp["term"] == imp["group"]]
    bad = set(zip(roots.loc[roots["flag"].fillna("") != "", "series"], roots.loc[roots["flag"].fillna("") != "", "group"], strict=True))  # fmt: skip
    best = imp.groupby(["series", "group"])["importance"].max().reset_index()
    if not noise:
        best = best[[(s, g) not in bad for s, g in zip(best["series"], best["group"], strict=True)]]
    best = best[best["importance"] > 0]
    best = best.sort_values(["series", "importance", "group"], ascending=[True, False, True])
    totals = best.groupby("series").size().to_dict()
    chosen: set = set()
    for series, grp in best.groupby("series", sort=False):
        chosen |= {(series, g) for g in grp["group"].head(limit)}
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
