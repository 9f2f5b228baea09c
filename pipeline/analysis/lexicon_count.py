"""Counting lexicon entries in every document's own text with one multi-pattern automaton.

Rules (docs/terms.md, "Counting"):
- every entry is counted in every document, quoted or not, with one Aho–Corasick automaton
  (term_scan, compiled) over each unit's own text: never one scan per term;
- `count` is the number of non-overlapping mentions, left to right (as `str.count`), including
  mentions that lie inside a longer lexicon entry: a researcher says 八项规定 is said in a report
  that says 中央八项规定;
- `own` is the number of those mentions that are not inside a longer entry's mention: each
  stretch of text is attributed once, to the longest entry covering it, so sums over several
  entries (a document's total, a variant group) never count a mention twice;
- `quoted` is the number of mentions inside “…”/「…」/『…』/"…" (or inside 《》 for books);
- a two-character entry that is not watched counts only its quoted mentions (as a bare substring
  it matches unrelated words); every other entry, book titles included, counts every mention
  (中国制造2025 is in 《》 in some years and in quotes in others: the same plan).

A source's counted rows reduce to its per-term evidence for the lexicon table (`term_evidence`).

Watch terms that are not in the lexicon are counted on the fly from the stored items text
(`count_watch`, `watch_timeline`), so every command that takes watch terms agrees.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from policytrack.pipeline.text.terms import marked_spans

TERM_COLUMNS = ["source", "series", "year", "doc_id", "term", "kind", "count", "own", "quoted", "paths"]  # fmt: skip
MIN_BARE = 3  # shorter entries count only quoted mentions unless watched
SEPARATOR = 0x110000  # between a document's units in the automaton's walk: not a code point


@dataclass
class Tally:
    count: int = 0
    own: int = 0
    quoted: int = 0
    paths: list[str] | None = None


class Matcher:
    """The lexicon's entries as one automaton (term_scan.Automaton, compiled)."""

    def __init__(self, terms: Sequence[str], kinds: Sequence[str], watched: Iterable[str] = ()):
        from policytrack.pipeline.analysis import warm
        from policytrack.pipeline.analysis.term_scan import Automaton

        warm.ready()
        watched = set(watched)
        self.terms = list(terms)
        self.kinds = list(kinds)
        # 0: every mention; 1: quoted mentions only.
        self.mode = [int(len(t) < MIN_BARE and t not in watched) for t in self.terms]
        self._empty = not any(self.terms)
        self._auto = Automaton(self.terms, self.mode)

    def count(self, units: Iterable[tuple[str, str]]) -> dict[int, Tally]:
        """Entry index → tally over a document's (path, own text) units (in the order of each
        entry's first counted mention)."""
        found = self.tallies(units)
        if found is None:
            return {}
        touched, count, own, quoted, paths = found
        return {
            i: Tally(c, o, q, p)
            for i, c, o, q, p in zip(
                touched.tolist(), count.tolist(), own.tolist(), quoted.tolist(), paths, strict=True
            )
        }

    def tallies(self, units: Iterable[tuple[str, str]]):
        """`count` as arrays: (entries, counts, own, quoted, paths), or None without mentions."""
        units = [(path, text) for path, text in units if text]
        if self._empty or not units:
            return None
        texts = [text for _, text in units]
        # One walk over the document: its units joined by a code past Unicode's last, which no
        # text or entry holds, so no mention crosses units. (Joined first by newlines, which no
        # quote mark spans: the quote spans are found in the joined text, not unit by unit.)
        full = "\n".join(texts)
        codes = np.frombuffer(bytearray(full.encode("utf-32-le", "surrogatepass")), dtype=np.uint32)
        starts = np.cumsum([0] + [len(t) + 1 for t in texts[:-1]])
        codes[starts[1:] - 1] = SEPARATOR
        ends, idx = self._auto.walk(codes)
        if not len(ends):
            return None
        unit = np.searchsorted(starts, ends, side="right") - 1
        spans = _unit_spans(full, starts)
        touched, (count, own, quoted), pair_entry, pair_unit = self._auto.tally(
            ends, idx, unit, starts, *spans
        )
        # Each entry's units, in order (the pairs come in unit order, one per entry and unit):
        # the pairs sorted by entry row (stable: units stay in order), cut at each row's end.
        row = np.empty(len(self.terms), dtype=np.int64)
        row[touched] = np.arange(len(touched))
        rows = row[pair_entry]
        order = np.argsort(rows, kind="stable")
        names = [path for path, _ in units]
        listed = np.array(names, dtype=object)[pair_unit[order]].tolist()
        cuts = np.cumsum(np.bincount(rows, minlength=len(touched))).tolist()
        paths = [listed[a:b] for a, b in zip([0, *cuts][:-1], cuts, strict=True)]
        if len(set(names)) < len(names):  # two units of one path: a path is listed once
            paths = [list(dict.fromkeys(p)) for p in paths]
        return touched, count, own, quoted, paths


def _unit_spans(full: str, starts: np.ndarray):
    """Quote spans per mode (0: quotes and 《》, 1: quotes) of the units joined by newlines in
    `full` (unit k from starts[k]), each as (starts, ends, per-unit offsets) within its unit,
    sorted by (start, end) within a unit. No mark spans a newline, so these are the spans of
    each unit's own text."""
    quoted, titled = marked_spans(full)
    out = []
    for spans in (quoted + titled, quoted):
        at = np.array(spans, dtype=np.int64).reshape(-1, 2)
        at = at[np.lexsort((at[:, 1], at[:, 0]))]  # (start, end) order: units in order
        unit = np.searchsorted(starts, at[:, 0], side="right") - 1
        offsets = np.searchsorted(unit, np.arange(len(starts) + 1), side="left")
        base = starts[unit]
        out.append((at[:, 0] - base, at[:, 1] - base, offsets.astype(np.int64)))
    return out


def count_documents(
    matcher: Matcher, docs: Iterable[tuple[dict, list[tuple[str, str]]]]
) -> pd.DataFrame:
    """Terms rows (TERM_COLUMNS) for (document meta, units) pairs."""
    metas: list[tuple] = []  # (source, series, year, doc_id) of each document with mentions
    found_all = []
    paths: list[list[str]] = []
    for meta, units in docs:
        found = matcher.tallies(units)
        if found is None:
            continue
        metas.append((meta["source"], meta["series"], int(meta["year"]), meta["doc_id"]))
        found_all.append(found[:4])
        paths += found[4]
    if not metas:
        out = pd.DataFrame({c: [] for c in TERM_COLUMNS}, columns=TERM_COLUMNS)
        for col in ("year", "count", "own", "quoted"):
            out[col] = out[col].astype("int64")
        return out
    # Columns built once from the documents' arrays (not a Python list grown row by row), the
    # strings taken by pyarrow (not a Python object per row).
    touched, count, own, quoted = (np.concatenate(c) for c in zip(*found_all, strict=True))
    doc = np.repeat(np.arange(len(metas)), [len(f[0]) for f in found_all])
    source, series, year, doc_id = zip(*metas, strict=True)
    cols = {
        "source": _taken(source, doc), "series": _taken(series, doc),
        "year": np.array(year, dtype=np.int64)[doc], "doc_id": _taken(doc_id, doc),
        "term": _taken(matcher.terms, touched), "kind": _taken(matcher.kinds, touched),
        "count": count, "own": own, "quoted": quoted, "paths": paths,
    }  # fmt: skip
    return pd.DataFrame(cols, columns=TERM_COLUMNS)


def _taken(values: Sequence[str], at: np.ndarray) -> pd.Series:
    """A str column of values[at]."""
    return pd.Series(pa.array(values, type=pa.large_string()).take(at), dtype="str")


# ---------------------------------------------------------------------------- units of text


def _rows_by_document(items: pd.DataFrame) -> dict:
    """doc_id → positions of its rows in `items`, by ordinal (ties: table order), as
    `items.sort_values(["doc_id", "ordinal"], kind="stable").groupby("doc_id").indices` would
    give them, but in positions of `items` itself."""
    if not len(items):
        return {}
    codes, uniques = pd.factorize(items["doc_id"])  # (a missing doc_id: -1, first below)
    keys = (items["ordinal"].to_numpy(), codes) if "ordinal" in items else (codes,)
    order = np.lexsort(keys)  # stable: ties keep table order
    ends = np.cumsum(np.bincount(codes + 1, minlength=len(uniques) + 1)).tolist()
    return {d: order[a:b] for d, a, b in zip(uniques, ends[:-1], ends[1:], strict=True)}


def document_units(documents: pd.DataFrame, items: pd.DataFrame):
    """(meta, units) per document: the preamble, each section's title line, each item's own text
    (its lead paragraph when it has nested units) — Document.own_texts() rebuilt from tables."""
    if documents is None or documents.empty:
        return
    if items is None:
        items = pd.DataFrame(columns=["doc_id", "path", "parent_path", "level", "text"])
    # Each document's units are made when it comes (its rows' positions found once), so memory
    # holds one document's unit strings, not the source's. Its rows in (ordinal, row) order:
    # what sorting the table by (doc_id, ordinal) gives, without moving the text column.
    rows = _rows_by_document(items)
    paths, parent_paths = items["path"].to_numpy(), items["parent_path"].to_numpy()
    # (one conversion of the text column, not a pandas take per document)
    section, texts = items["level"].to_numpy() == "section", items["text"].to_numpy(dtype=object)
    pre = documents["preamble"] if "preamble" in documents else [""] * len(documents)
    for meta, preamble in zip(documents.to_dict("records"), pre, strict=True):
        units = [("preamble", preamble)] if isinstance(preamble, str) and preamble else []
        at = rows.get(meta["doc_id"])
        if at is not None:
            parents = set(parent_paths[at].tolist())
            for path, text, nested in zip(
                paths[at].tolist(), texts[at].tolist(), section[at].tolist(), strict=True
            ):
                text = text if isinstance(text, str) else ""
                nested = nested or path in parents
                units.append((str(path), text.split("\n", 1)[0] if nested else text))
        yield meta, units


# ---------------------------------------------------------------------------- evidence


def term_evidence(
    c: pd.DataFrame, series_docs: dict[tuple[str, str], int]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One source's counted rows (latest version of each year, mentioned) reduced to one row per
    term — documents, count, quoted, its first (year, source, series), the largest share of a
    series' documents mentioning it — and its (term, year) pairs. `series_docs`: documents per
    (source, series). Additive over sources (a file held by two sources counts in each).

    What `_evidence_grouped` makes of them, from integer codes instead of groupbys over strings
    (codes in sorted order: terms come out sorted, rows sort as by their strings)."""
    if c.empty:
        return _evidence_grouped(c, series_docs)
    term, terms = pd.factorize(c["term"], sort=True)
    src, sources = pd.factorize(c["source"], sort=True)
    ser, series = pd.factorize(c["series"], sort=True)
    doc, docs = pd.factorize(c["doc_id"])
    if min(term.min(), src.min(), ser.min(), doc.min()) < 0:
        return _evidence_grouped(c, series_docs)  # (a missing key: the groupbys drop it)
    year = c["year"].to_numpy()
    order = np.lexsort((ser, src, year))  # as sort_values(["year", "source", "series"], stable)
    nt, nd = len(terms), len(docs)
    at = np.full(nt, len(order))
    np.minimum.at(at, term[order], np.arange(len(order)))
    first = order[at]  # each term's first row in that order
    count, quoted = np.zeros(nt, dtype=np.int64), np.zeros(nt, dtype=np.int64)
    np.add.at(count, term, c["count"].to_numpy(dtype=np.int64))
    np.add.at(quoted, term, c["quoted"].to_numpy(dtype=np.int64))
    # Per (term, source, series) its documents over the series' documents; per term the largest.
    # Only the groups that occur (a source may have thousands of series: no terms × series
    # array); distinct (group, document) pairs by hashing, pd.unique.
    n_ser = len(series)
    n_pairs = len(sources) * n_ser
    group, df = np.unique(
        pd.unique((term * n_pairs + src * n_ser + ser) * nd + doc) // nd, return_counts=True
    )
    pairs, pair_at = np.unique(group % n_pairs, return_inverse=True)
    sizes = np.array(
        [series_docs.get((sources[p // n_ser], series[p % n_ser]), 1) for p in pairs.tolist()],
        dtype=np.int64,
    )
    share = np.full(nt, -np.inf)
    with np.errstate(divide="ignore"):  # (a series of 0 documents: inf, as pandas gives)
        np.maximum.at(share, group // n_pairs, df / sizes[pair_at])
    ev = pd.DataFrame(
        {
            "term": terms,
            "documents": np.bincount(pd.unique(term * nd + doc) // nd, minlength=nt),
            "count": count,
            "quoted": quoted,
            "share": share,
            "first_year": year[first],
            "first_source": sources[src[first]],
            "first_series": series[ser[first]],
        }
    )
    return ev, c[["term", "year"]].iloc[order].drop_duplicates()


def _evidence_grouped(
    c: pd.DataFrame, series_docs: dict[tuple[str, str], int]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """`term_evidence` by pandas groupbys (which drop a row whose term, source, series or doc_id is
    missing)."""
    cols = ["term", "documents", "count", "quoted", "share", "first_year", "first_source",
            "first_series"]  # fmt: skip
    if c.empty:
        return pd.DataFrame(columns=cols), pd.DataFrame(columns=["term", "year"])
    c = c.sort_values(["year", "source", "series"], kind="stable")
    first = c.drop_duplicates("term").set_index("term")[["year", "source", "series"]]
    ev = c.groupby("term").agg(
        documents=("doc_id", "nunique"), count=("count", "sum"), quoted=("quoted", "sum")
    )
    per_series = c.groupby(["term", "source", "series"]).agg(df=("doc_id", "nunique"))
    per_series["series_docs"] = [series_docs.get((src, ser), 1) for _, src, ser in per_series.index]
    ev["share"] = (per_series["df"] / per_series["series_docs"]).groupby("term").max()
    ev = ev.join(
        first.rename(
            columns={"year": "first_year", "source": "first_source", "series": "first_series"}
        )
    )
    return ev.reset_index()[cols], c[["term", "year"]].drop_duplicates()


# ---------------------------------------------------------------------------- watch terms


def count_watch(documents: pd.DataFrame, items: pd.DataFrame, terms: Sequence[str]) -> pd.DataFrame:
    """Terms rows (kind `watch`) for `terms` counted now in the stored items text of
    `documents`: for watch terms the build's lexicon does not hold. Watched terms count every
    mention whatever their length."""
    from policytrack.pipeline.text.normalize import normalize

    wanted = [t for t in dict.fromkeys(normalize(t) for t in terms) if t]
    if not wanted or documents is None or documents.empty:
        return pd.DataFrame(columns=TERM_COLUMNS)
    matcher = Matcher(wanted, ["watch"] * len(wanted), watched=wanted)
    return count_documents(matcher, document_units(documents, items))


def watch_timeline(
    documents: pd.DataFrame,
    items: pd.DataFrame | None,
    timeline: pd.DataFrame,
    watch: Sequence[str],
) -> pd.DataFrame:
    """Timeline rows (the term_timeline columns) of every watch term in every series of
    `documents`, whether or not the build counted it.

    Terms the timeline already has keep their rows (marked watched), except terms shorter than
    three characters, which the lexicon counts quoted only and a watch counts bare; the others
    are counted now
    from `items` (`count_watch`) and get rows computed by the same timeline code, so
    `terms --watch X` and `report --watch X` always show the same statuses. `items` may be None
    when every watch term is in the timeline.
    """
    from policytrack.pipeline.analysis.timeline import term_timeline

    watch = [w for w in dict.fromkeys(w.strip() for w in watch) if w]
    if not watch:
        return timeline.iloc[0:0]
    # A short term in the timeline was counted quoted only; watched, it counts every mention.
    have = timeline[timeline["term"].isin([w for w in watch if len(w) >= MIN_BARE])].copy()
    have["watched"] = True
    known = set(zip(have["source"], have["term"], strict=True))
    frames = [have]
    for source, sdocs in documents.groupby("source", sort=True):
        missing = [w for w in watch if (source, w) not in known]
        if not missing:
            continue
        if items is None:
            raise ValueError("watch terms not in the timeline need the items table")
        sitems = items[items["source"] == source] if "source" in items else items
        rows = count_watch(sdocs, sitems, missing)
        frames.append(term_timeline(rows, sdocs, watch=missing))
    frames = [f for f in frames if not f.empty]
    if not frames:
        return timeline.iloc[0:0]
    return pd.concat(frames, ignore_index=True)
