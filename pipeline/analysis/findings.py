"""What changed, in one place: the facts the nightly run summary prints and the report's front page
writes, computed by one function (`findings`) so the two never disagree.

Per document (every document of a window for the report, the documents new since the last run for
the run summary), against the previous document of its series (changes.notice_changes, the
version it replaces for a corrected re-post):
- new priorities: terms never seen before in the series;
- fading: terms of the previous document that this one no longer has;
- returning: terms absent from the previous document but seen in an earlier one (with the year
  they were last seen).
Over the window: the items that changed most (linked items with the lowest similarity), the
items that came back after a gap, and the years missing in each series.

`notice_lines` words one document's findings for the run summary; the report renders the same
Findings as HTML (report/index.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

from policytrack.pipeline.analysis.changes import NoticeChange, notice_changes
from policytrack.pipeline.analysis.corpus import latest_versions

MAX_TERMS = 8  # terms listed per document in the run summary
CONTINUING = ("revised", "split", "merged")  # linked, and changed on the way


@dataclass
class DocumentFindings(NoticeChange):
    """A document and how its priorities differ from the previous document of its series."""

    returned_terms: list[tuple[str, int]] = field(default_factory=list)  # (term, last seen)


@dataclass(frozen=True)
class ItemChange:
    """One link between items of two compared documents."""

    source: str
    series: str
    year_from: int
    year_to: int
    relation: str
    similarity: float | None  # 0–100
    heading_from: str
    heading_to: str


@dataclass
class Findings:
    documents: list[DocumentFindings] = field(default_factory=list)
    changed_items: list[ItemChange] = field(default_factory=list)  # least similar first
    returned_items: list[ItemChange] = field(default_factory=list)  # latest first
    gaps: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    # (source, series, term) → the window's years whose document has the term
    presence: dict[tuple[str, str, str], list[int]] = field(default_factory=dict)

    def years_of(self, d: DocumentFindings, term: str) -> int:
        return len(self.presence.get((d.source, d.series, term), ()))

    def new_terms(self) -> list[tuple[str, int]]:
        """(term, year first seen) over the documents: the ones present in the most years of the
        window first (a priority that took hold before a one-off), then by year."""
        found = [(self.years_of(d, t), d.year, t) for d in self.documents for t in d.new_terms]
        return [(t, y) for _, y, t in sorted(found, key=lambda f: (-f[0], f[1]))]

    def fading_terms(self) -> list[tuple[str, int]]:
        """(term, last year seen) for terms that faded and are not back by the last document of
        their series in these findings: the longest-present first, then the latest to go."""
        out: dict[tuple[str, str, str], tuple[str, int]] = {}
        last_doc: dict[tuple[str, str], DocumentFindings] = {}
        for d in self.documents:
            last_doc[(d.source, d.series)] = d
            for t in d.fading_terms:
                out[(d.source, d.series, t)] = (t, d.compared_to)
            for t in [*d.new_terms, *(r for r, _ in d.returned_terms)]:
                out.pop((d.source, d.series, t), None)
        ranked = sorted(
            out.items(),
            key=lambda kv: (-len(self.presence.get(kv[0], ())), -(kv[1][1] or 0), kv[1][0]),
        )
        return [tv for _, tv in ranked]

    def returned_terms(self) -> list[tuple[str, int, int]]:
        """(term, year back, year last seen before) over the documents, in document order."""
        return [(t, d.year, last) for d in self.documents for t, last in d.returned_terms]


def findings(
    documents: pd.DataFrame,
    terms: pd.DataFrame | None,
    timeline: pd.DataFrame | None = None,
    alignments: pd.DataFrame | None = None,
    items: pd.DataFrame | None = None,
    *,
    known: set[str] | None = None,
    source: str | None = None,
    series: str | None = None,
    years: Sequence[int] | None = None,
    level: str = "item",
    max_items: int = 5,
    latest: bool = False,
) -> Findings:
    """The findings for the documents not in `known` (None: every document), restricted to
    `source`, `series` and the `years` window [first, last] when given; with `latest`, only the
    latest version of each year counts (a corrected re-post replaces the first posting).

    documents: doc_id, source, series, year, title, recorded_at; terms: source, series, doc_id,
    term, count; timeline (optional): source, series, term, canonical (variants fold onto it);
    alignments and items (optional): the items that changed most and came back.
    """
    out = Findings()
    if documents is None or documents.empty:
        return out
    cols = [
        c for c in ("doc_id", "source", "series", "year", "title", "recorded_at") if c in documents
    ]
    docs = _select(documents[cols], source, series, None)  # not the long text columns
    if latest:
        docs = latest_versions(docs)
    if (terms is None or terms.empty) and timeline is not None and "present" in timeline:
        terms = _terms_from_timeline(docs, timeline)  # an older build without a terms table
    changes = notice_changes(docs, terms, timeline, known)
    sets = _term_sets(docs, terms, timeline)
    history = _history(docs, sets)
    lo, hi = (years[0], years[1]) if years else (None, None)
    for c in changes:
        if lo is not None and not lo <= c.year <= hi:
            continue
        doc = DocumentFindings(**vars(c))
        if not doc.revised and doc.compared_to is not None:
            doc.returned_terms = _returned(history, sets, doc)
        out.documents.append(doc)
    window = _select(docs, None, None, years)
    out.gaps = _gaps(window)
    for r in latest_versions(window).itertuples(index=False):
        for term in sets.get(r.doc_id, {}):
            out.presence.setdefault((r.source, r.series, term), []).append(int(r.year))
    if alignments is not None and not alignments.empty:
        out.changed_items, out.returned_items = _items(alignments, items, window, level, max_items)
    return out


def notice_lines(d: DocumentFindings) -> list[str]:
    """One document's findings as the run summary words them (a line each)."""
    if d.compared_to is None:
        return ["first of its series"]
    versus = "the earlier version" if d.revised else str(d.compared_to)
    lines = [
        f"new priorities: {_list(d.new_terms) or '—'}",
        f"fading since {versus}: {_list(d.fading_terms) or '—'}",
    ]
    if d.returned_terms:
        back = [f"{t} (last {y})" for t, y in d.returned_terms]
        lines.append(f"returning: {_list(back)}")
    return lines


def _list(terms: list[str]) -> str:
    shown = "、".join(terms[:MAX_TERMS])
    return shown + (f" …(+{len(terms) - MAX_TERMS})" if len(terms) > MAX_TERMS else "")


def _select(documents, source, series, years) -> pd.DataFrame:
    docs = documents
    if source is not None:
        docs = docs[docs["source"] == source]
    if series is not None:
        docs = docs[docs["series"] == series]
    if years:
        docs = docs[docs["year"].between(years[0], years[1])]
    return docs


def _terms_from_timeline(docs, timeline) -> pd.DataFrame:
    """Per-document terms from the timeline: a present (term, year) belongs to the year's latest
    version (the one the timeline was computed from)."""
    chosen = latest_versions(docs)[["source", "series", "year", "doc_id"]]
    rows = timeline[timeline["present"].fillna(False).astype(bool)]
    rows = rows[["source", "series", "year", "term", "count"]].merge(
        chosen, on=["source", "series", "year"]
    )
    return rows[["source", "series", "doc_id", "term", "count"]]


def _term_sets(docs, terms, timeline) -> dict[str, dict[str, int]]:
    """doc_id → {term (canonical form): mentions}."""
    if terms is None or terms.empty:
        return {}
    t = terms[terms["doc_id"].isin(docs["doc_id"])][["source", "series", "doc_id", "term", "count"]]
    if timeline is not None and not timeline.empty and "canonical" in timeline:
        canon = timeline[["source", "series", "term", "canonical"]].drop_duplicates(
            ["source", "series", "term"]
        )
        t = t.merge(canon, on=["source", "series", "term"], how="left")
        t["term"] = t["canonical"].where(t["canonical"].notna() & (t["canonical"] != ""), t["term"])
    summed = t.groupby(["doc_id", "term"], sort=False)["count"].sum()
    sets: dict[str, dict[str, int]] = {}
    for (doc_id, term), n in summed.items():
        sets.setdefault(doc_id, {})[term] = int(n)
    return sets


def _history(docs, sets) -> dict[tuple[str, str], list[tuple[int, str]]]:
    """(source, series) → [(year, doc_id)] of the latest version of each year, oldest first."""
    history: dict[tuple[str, str], list[tuple[int, str]]] = {}
    for r in latest_versions(docs).itertuples(index=False):
        history.setdefault((r.source, r.series), []).append((int(r.year), r.doc_id))
    return history


def _returned(history, sets, doc: DocumentFindings) -> list[tuple[str, int]]:
    """Terms of `doc` absent from the previous document but in an earlier one: (term, the
    latest earlier year that had it), most mentioned first."""
    earlier = [(y, d) for y, d in history.get((doc.source, doc.series), []) if y < doc.year]
    mine = sets.get(doc.doc_id, {})
    before = sets.get(earlier[-1][1], {}) if earlier else {}
    last_seen = {term: year for year, doc_id in earlier for term in sets.get(doc_id, {})}
    back = [t for t in mine if t not in before and t in last_seen]
    return [(t, last_seen[t]) for t in sorted(back, key=lambda t: (-mine[t], t))]


def _gaps(docs) -> dict[tuple[str, str], list[int]]:
    gaps = {}
    for (source, series), grp in docs.groupby(["source", "series"], sort=True):
        present = {int(y) for y in grp["year"]}
        gaps[(str(source), str(series))] = sorted(
            set(range(min(present), max(present) + 1)) - present
        )
    return gaps


def _items(alignments, items, docs, level, n) -> tuple[list[ItemChange], list[ItemChange]]:
    """The `n` linked items with the lowest similarity, and the last `n` items that came back."""
    chosen = latest_versions(docs)
    keys = set(zip(chosen["source"], chosen["series"], strict=True))
    al = alignments[
        [(s, r) in keys for s, r in zip(alignments["source"], alignments["series"], strict=True)]
    ]
    if "level" in al.columns:
        al = al[al["level"] == level]
    years = chosen["year"]
    al = al[al["year_to"].notna() & al["year_to"].between(years.min(), years.max())]
    heading = _headings(items, chosen, level)
    sim = "similarity" if "similarity" in al.columns else None

    def change(r) -> ItemChange:
        value = getattr(r, sim) if sim else None
        return ItemChange(
            str(r.source),
            str(r.series),
            int(r.year_from),
            int(r.year_to),
            str(r.relation),
            None if value is None or pd.isna(value) else float(value),
            heading.get((r.source, r.series, int(r.year_from), r.path_from), str(r.path_from)),
            heading.get((r.source, r.series, int(r.year_to), r.path_to), str(r.path_to)),
        )

    linked = al[al["relation"].isin(CONTINUING)]
    if sim:
        linked = linked.sort_values([sim, "year_to"], ascending=[True, False], kind="stable")
    back = al[al["relation"] == "reappeared"].sort_values("year_to", ascending=False, kind="stable")
    return (
        [change(r) for r in linked.head(n).itertuples(index=False)],
        [change(r) for r in back.head(n).itertuples(index=False)],
    )


def _headings(items, chosen, level) -> dict[tuple, str]:
    if items is None or items.empty:
        return {}
    its = items[items["doc_id"].isin(chosen["doc_id"])]
    if "level" in its.columns:
        its = its[its["level"] == level]
    return {
        (r.source, r.series, int(r.year), r.path): str(r.heading)
        for r in its[["source", "series", "year", "path", "heading"]].itertuples(index=False)
    }
