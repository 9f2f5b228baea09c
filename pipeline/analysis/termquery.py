"""The term × year view behind `policytrack terms`: which rows of the timeline to show.

Tables in, a long timeline out; the CLI only reads tables and renders.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pandas as pd

from policytrack.pipeline.analysis.timeline import count_terms, group_timeline, term_timeline
from policytrack.pipeline.core.errors import InputError


def select_terms(
    documents: pd.DataFrame,
    timeline: pd.DataFrame,
    source: str,
    *,
    wanted: Sequence[str] = (),
    series: str | None = None,
    variants: bool = True,
    top: int = 0,
    parsed: Callable[[], tuple[pd.DataFrame, pd.DataFrame]] | None = None,
) -> pd.DataFrame:
    """Timeline rows of `source` for the terms asked for.

    Wanted terms the build did not count are counted now in the parsed text (`parsed()` returns
    the source's terms and items tables; it is only called then). `variants` folds a group onto
    its canonical form; `top` keeps the N terms with the highest emergence in the latest year.
    """
    documents = documents[documents["source"] == source]
    if documents.empty:
        raise InputError(source, "no documents for this source (run `policytrack build`)")
    timeline = timeline[timeline["source"] == source]
    missing = [t for t in wanted if t not in set(timeline["term"])]
    if missing and parsed is not None:
        terms, items = parsed()
        extra = count_terms(items, documents, missing)
        timeline = term_timeline(
            pd.concat([terms, extra], ignore_index=True),
            documents,
            watch=sorted(set(missing) | set(timeline.loc[timeline["watched"], "term"])),
        )
    if series is not None:
        timeline = timeline[timeline["series"] == series]
        if timeline.empty:
            raise InputError(f"{source} / {series}", "no terms for this series")
    if variants:
        timeline = group_timeline(timeline, documents)
    if wanted:
        keep = set(wanted)
        if variants:
            canon = {t: c for t, c in zip(timeline["term"], timeline["canonical"], strict=True)}
            keep |= {canon.get(t, t) for t in wanted}
            for vs in timeline["variants"]:
                if keep & set(vs):
                    keep |= set(vs)
        timeline = timeline[timeline["term"].isin(keep) | timeline["canonical"].isin(keep)]
    if top > 0 and not timeline.empty:
        last = timeline[timeline["year"] == timeline.groupby("series")["year"].transform("max")]
        best = last.sort_values("emergence", ascending=False).head(top)
        timeline = timeline[timeline["term"].isin(set(best["term"]))]
    return timeline


def term_order(rows: pd.DataFrame) -> list[str]:
    """Terms of one series in display order: earliest first year first, then most mentions."""
    order = rows.groupby("term").agg(first=("first_year", "max"), total=("count", "sum"))
    order = order.assign(first=order["first"].replace(0, 9999))
    return list(order.sort_values(["first", "total"], ascending=[True, False]).index)
