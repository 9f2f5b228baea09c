"""Key words in context: every mention of a term, with its year, series, unit and the text around it.

One definition for every view (`policytrack kwic`, the notebooks, the explorer page). A mention is
found in a unit's own text (the preamble, each section's title line, each item's own text:
`lexicon_count.document_units`, the units the lexicon counts in), in the latest version of each
year (`corpus.select_documents`). The term's mentions are its non-overlapping occurrences, left to
right (as `str.count`), so a year's mentions equal the term's `count` in the terms table. A
mention inside a longer variant of the group (打好三大攻坚战 around 三大攻坚战) is marked with that
variant; variants that do not contain the term (a near spelling) add their own mentions, marked
too, and never overlap the term's (the counting rule of docs/terms.md for a variant group).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pandas as pd

from policytrack.pipeline.analysis.corpus import select_documents
from policytrack.pipeline.analysis.lexicon_count import document_units
from policytrack.pipeline.core.errors import InputError
from policytrack.pipeline.text.normalize import normalize

COLUMNS = ["source", "series", "year", "doc_id", "path", "heading", "start", "end", "form", "variant", "left", "match", "right"]  # fmt: skip


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    form: str  # the text matched: the term, or the variant around it / in its place
    variant: bool


def occurrences(text: str, needle: str) -> list[int]:
    """Start of each non-overlapping occurrence, left to right (the positions `str.count` counts)."""
    out: list[int] = []
    if not needle:
        return out
    i = text.find(needle)
    while i >= 0:
        out.append(i)
        i = text.find(needle, i + len(needle))
    return out


def find_mentions(text: str, term: str, variants: Sequence[str] = ()) -> list[Span]:
    """The term's mentions in `text`, each marked with the longest variant containing it there,
    then the mentions of variants that do not contain the term (not overlapping any kept one)."""
    if not text or not term:
        return []
    around = sorted((v for v in variants if v != term and term in v), key=len, reverse=True)
    others = sorted((v for v in variants if v != term and term not in v), key=len, reverse=True)
    covers: list[tuple[int, int, str]] = []
    for v in around:
        covers += [(s, s + len(v), v) for s in occurrences(text, v)]
    spans = []
    for s in occurrences(text, term):
        e = s + len(term)
        form = next((v for a, b, v in covers if a <= s and e <= b), term)
        spans.append(Span(s, e, form, form != term))
    taken = [(sp.start, sp.end) for sp in spans]
    for v in others:
        for s in occurrences(text, v):
            e = s + len(v)
            if all(e <= a or b <= s for a, b in taken):
                spans.append(Span(s, e, v, True))
                taken.append((s, e))
    return sorted(spans, key=lambda sp: sp.start)


def units(documents: pd.DataFrame, items: pd.DataFrame) -> Iterable[tuple[dict, str, str, str]]:
    """(document meta, path, heading, own text) of every unit of the latest version of each year,
    in series, year and document order."""
    docs = select_documents(documents, quiet=True)
    docs = docs.sort_values(["source", "series", "year"], kind="stable")
    items = items[items["doc_id"].isin(set(docs["doc_id"]))]
    headings = {
        (d, str(p)): h if isinstance(h, str) else ""
        for d, p, h in zip(items["doc_id"], items["path"], items["heading"], strict=True)
    }
    for meta, own in document_units(docs, items):
        for path, text in own:
            yield meta, path, headings.get((meta["doc_id"], path), ""), text


def kwic(
    documents: pd.DataFrame,
    items: pd.DataFrame,
    term: str,
    *,
    variants: Sequence[str] = (),
    source: str | None = None,
    years: Sequence[int] | None = None,
    width: int = 30,
) -> pd.DataFrame:
    """Every mention of `term` (and its `variants`) with `width` characters either side: one row
    per mention (COLUMNS), in series, year and document order."""
    term = normalize(term).strip()
    if not term:
        raise InputError("kwic", "empty term")
    if width < 0:
        raise InputError("--width", f"must be 0 or more, not {width}")
    forms = [normalize(v) for v in variants]
    if source is not None:
        if source not in set(documents["source"]):
            have = ", ".join(sorted(documents["source"].unique())) or "none"
            raise InputError(source, f"no such source; available: {have}")
        documents = documents[documents["source"] == source]
        items = items[items["source"] == source]
    if years:
        lo, hi = min(years), max(years)
        documents = documents[documents["year"].between(lo, hi)]
    rows = []
    for meta, path, heading, text in units(documents, items):
        for sp in find_mentions(text, term, forms):
            rows.append(
                (
                    meta["source"],
                    meta["series"],
                    int(meta["year"]),
                    meta["doc_id"],
                    path,
                    heading,
                    sp.start,
                    sp.end,
                    sp.form,
                    sp.variant,
                    text[max(0, sp.start - width) : sp.start],
                    text[sp.start : sp.end],
                    text[sp.end : sp.end + width],
                )
            )
    return pd.DataFrame(rows, columns=COLUMNS)


def group_of(timeline: pd.DataFrame | None, term: str) -> list[str]:
    """The variant group `term` belongs to (term_timeline's `variants` of its canonical form),
    the term first; [term] when the timeline does not know it."""
    term = normalize(term).strip()
    if timeline is None or timeline.empty or "variants" not in timeline:
        return [term]
    rows = timeline[timeline["term"] == term]
    if rows.empty:
        return [term]
    group = [str(v) for v in rows.iloc[0]["variants"]]
    return [term, *[v for v in group if v != term]]


def per_year(mentions: pd.DataFrame) -> pd.DataFrame:
    """Mentions per (source, series, year): the figure `kwic` prints under its lines."""
    if mentions.empty:
        return pd.DataFrame(columns=["source", "series", "year", "mentions"])
    return (
        mentions.groupby(["source", "series", "year"], sort=True)
        .size()
        .rename("mentions")
        .reset_index()
    )
