"""Which documents speak for a series: the one latest-version-per-year rule.

A re-issued notice replaces the first posting: per (source, series, year) the version with the
latest `recorded_at` wins; a tie goes to the larger `doc_id`, so the choice is stable. Alignment,
timelines, diffs, evaluation, the report and the run summary all choose documents through here.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

log = logging.getLogger(__name__)

KEY = ["source", "series", "year"]
ORDER = [*KEY, "recorded_at", "doc_id"]


def _ordered(documents: pd.DataFrame) -> pd.DataFrame:
    docs = documents.copy()
    if "recorded_at" not in docs:
        docs["recorded_at"] = ""
    docs["recorded_at"] = docs["recorded_at"].fillna("").astype(str)
    return docs.sort_values(ORDER, kind="stable")


def latest_versions(documents: pd.DataFrame) -> pd.DataFrame:
    """One row per (source, series, year): its latest version, in (source, series, year) order."""
    if documents is None or documents.empty:
        import pandas as pd

        return pd.DataFrame(columns=[*ORDER[:3], "doc_id", "recorded_at"])
    docs = _ordered(documents[documents["year"].notna()])
    return docs.drop_duplicates(KEY, keep="last").reset_index(drop=True)


def select_documents(documents: pd.DataFrame, *, quiet: bool = False) -> pd.DataFrame:
    """`latest_versions`, saying which versions lost and which documents have no year (logged as
    warnings, or at debug level when `quiet`)."""
    say = log.debug if quiet else log.warning
    if documents is None or documents.empty:
        return latest_versions(documents)
    no_year = documents["year"].isna()
    if no_year.any():
        say(
            "skipping %d document(s) without a year: %s",
            no_year.sum(),
            ", ".join(documents.loc[no_year, "doc_id"].astype(str)),
        )
    docs = _ordered(documents[~no_year])
    docs["year"] = docs["year"].astype(int)
    for (source, series, year), group in docs.groupby(KEY, sort=False):
        if len(group) > 1:
            versions = list(zip(group["doc_id"], group["recorded_at"], strict=True))
            _say_versions(say, source, series, year, versions)
    return latest_versions(docs)


def _say_versions(say, source, series, year, versions: list[tuple[str, str]]) -> None:
    """The message for several versions of one year ((doc_id, recorded_at), the last wins)."""
    win_id, win_at = versions[-1]
    lost = ", ".join(f"{d} ({at or 'no time'})" for d, at in versions[:-1])
    tie = sum(at == win_at for _, at in versions) > 1
    say(
        "%s / %s / %d: %d documents for one year; using the latest, %s (%s%s); ignoring %s",
        source,
        series,
        year,
        len(versions),
        win_id,
        win_at or "no time",
        ", a tie broken by the larger doc_id" if tie else "",
        lost,
    )


def latest_records(documents: Mapping[str, Sequence], *, quiet: bool = False) -> list[dict]:
    """`select_documents` on plain columns (lists, None for a missing value), for commands that
    do without pandas (`policytrack diff`): one dict of `source`, `series`, `year`, `doc_id`,
    `recorded_at` per (source, series, year), the same version chosen, in the same order, with
    the same messages."""
    say = log.debug if quiet else log.warning
    n = len(documents["year"]) if "year" in documents else 0
    got = {c: documents[c] if c in documents else [None] * n for c in ORDER}
    rows = [dict(zip(ORDER, r, strict=True)) for r in zip(*(got[c] for c in ORDER), strict=True)]
    no_year = [r for r in rows if r["year"] is None]
    if no_year:
        say(
            "skipping %d document(s) without a year: %s",
            len(no_year),
            ", ".join(str(r["doc_id"]) for r in no_year),
        )
    rows = [r for r in rows if r["year"] is not None]
    for r in rows:
        r["year"] = int(r["year"])
        r["recorded_at"] = "" if r["recorded_at"] is None else str(r["recorded_at"])
    rows.sort(key=lambda r: tuple(r[c] for c in ORDER))
    groups: dict[tuple, list[dict]] = {}
    for r in rows:
        groups.setdefault((r["source"], r["series"], r["year"]), []).append(r)
    for (source, series, year), group in groups.items():
        if len(group) > 1:
            versions = [(r["doc_id"], r["recorded_at"]) for r in group]
            _say_versions(say, source, series, year, versions)
    return [group[-1] for group in groups.values()]
