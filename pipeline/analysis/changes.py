"""What is new in a notice: its new priorities and the ones its series' previous notice had."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class NoticeChange:
    """A document that is new since the last run, and how its priorities differ."""

    source: str
    series: str
    year: int
    title: str
    doc_id: str
    revised: bool = False  # a new version of a year already known
    compared_to: int | None = None  # year compared with (the previous document of the series)
    new_terms: list[str] = field(default_factory=list)
    fading_terms: list[str] = field(default_factory=list)


def notice_changes(documents, terms, timeline, known: set[str] | None) -> list[NoticeChange]:
    """Documents not in `known` (None: all are new), with their new and fading priorities.

    New priorities: terms of the notice never seen in earlier years of its series. Fading: terms
    of the series' previous document that the notice no longer has. A new version of a year
    already known is compared with the version it replaces. Variants are folded onto the
    canonical form of the term timeline (打好三大攻坚战 → 三大攻坚战).
    """
    if documents is None or documents.empty:
        return []
    canon: dict[tuple[str, str, str], str] = {}
    if timeline is not None and not timeline.empty and "canonical" in timeline:
        pairs = timeline[["source", "series", "term", "canonical"]].drop_duplicates()
        canon = {(r.source, r.series, r.term): r.canonical for r in pairs.itertuples(index=False)}
    by_doc: dict[str, dict[str, int]] = {}
    if terms is not None and not terms.empty:
        for r in terms.itertuples(index=False):
            c = canon.get((r.source, r.series, r.term), r.term)
            d = by_doc.setdefault(r.doc_id, {})
            d[c] = d.get(c, 0) + int(r.count)
    docs = documents.sort_values(["source", "series", "year", "recorded_at", "doc_id"])
    fresh = docs if known is None else docs[~docs["doc_id"].isin(known)]
    out = []
    for row in fresh.itertuples(index=False):
        series = docs[(docs["source"] == row.source) & (docs["series"] == row.series)]
        others = series[series["doc_id"] != row.doc_id]
        mine = by_doc.get(row.doc_id, {})
        same_year = others[others["year"] == row.year]
        older_known = same_year[
            same_year["doc_id"].isin(known or set()) & (same_year["recorded_at"] <= row.recorded_at)
        ]
        change = NoticeChange(row.source, row.series, int(row.year), row.title, row.doc_id)
        if not older_known.empty:
            prev = older_known.iloc[-1]
            change.revised, change.compared_to = True, int(prev["year"])
            before = by_doc.get(prev["doc_id"], {})
            seen = set(before)
        else:
            earlier = others[others["year"] < row.year]
            # The latest version of each earlier year speaks for that year.
            earlier = earlier.drop_duplicates("year", keep="last")
            seen = (
                set().union(*(by_doc.get(d, {}) for d in earlier["doc_id"]))
                if len(earlier)
                else set()
            )
            before = by_doc.get(earlier.iloc[-1]["doc_id"], {}) if len(earlier) else {}
            change.compared_to = int(earlier.iloc[-1]["year"]) if len(earlier) else None
        rank = lambda counts: lambda t: (-counts.get(t, 0), t)  # noqa: E731
        if change.compared_to is not None:
            change.new_terms = sorted(set(mine) - seen, key=rank(mine))
            change.fading_terms = sorted(set(before) - set(mine), key=rank(before))
        out.append(change)
    return out
