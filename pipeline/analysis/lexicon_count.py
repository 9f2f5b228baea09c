"""Counting lexicon entries in every document's own text with one multi-pattern automaton.

Rules (docs/terms.md, "Counting"):
- every entry is counted in every document, quoted or not, with one Aho–Corasick automaton
  (pyahocorasick) over each unit's own text: never one scan per term;
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

Watch terms that are not in the lexicon are counted on the fly from the stored items text
(`count_watch`, `watch_timeline`), so every command that takes watch terms agrees.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pandas as pd

from policytrack.pipeline.text.terms import marked_spans

TERM_COLUMNS = ["source", "series", "year", "doc_id", "term", "kind", "count", "own", "quoted", "paths"]  # fmt: skip
MIN_BARE = 3  # shorter entries count only quoted mentions unless watched


@dataclass
class Tally:
    count: int = 0
    own: int = 0
    quoted: int = 0
    paths: list[str] | None = None


class Matcher:
    """An Aho–Corasick automaton over the lexicon's entries."""

    def __init__(self, terms: Sequence[str], kinds: Sequence[str], watched: Iterable[str] = ()):
        import ahocorasick

        watched = set(watched)
        self.terms = list(terms)
        self.kinds = list(kinds)
        self.lengths = [len(t) for t in self.terms]
        # 0: every mention; 1: quoted mentions only.
        self.mode = [int(len(t) < MIN_BARE and t not in watched) for t in self.terms]
        self._auto = ahocorasick.Automaton()
        for i, t in enumerate(self.terms):
            if t:
                self._auto.add_word(t, i)
        self._empty = not any(self.terms)
        if not self._empty:
            self._auto.make_automaton()

    def count(self, units: Iterable[tuple[str, str]]) -> dict[int, Tally]:
        """Entry index → tally over a document's (path, own text) units."""
        out: dict[int, Tally] = {}
        if self._empty:
            return out
        for path, text in units:
            if not text:
                continue
            last_end: dict[int, int] = {}
            accepted = []  # (start, -length, end, index)
            spans = None
            for end, i in self._auto.iter(text):
                start = end - self.lengths[i] + 1
                if last_end.get(i, -1) >= start:
                    continue  # overlaps this entry's previous mention
                mode = self.mode[i]
                if spans is None:
                    spans = _Spans(text)
                inside = spans.inside(start, end + 1, mode)
                if mode and not inside:
                    continue
                last_end[i] = end
                accepted.append((start, -self.lengths[i], end, i, inside))
            if not accepted:
                continue
            accepted.sort()
            reach = -1
            for _start, _neg, end, i, inside in accepted:
                t = out.get(i)
                if t is None:
                    t = out[i] = Tally(paths=[])
                t.count += 1
                t.quoted += inside
                if end > reach:
                    t.own += 1  # not inside a longer (earlier-starting or same-start) mention
                reach = max(reach, end)
                if not t.paths or t.paths[-1] != path:
                    t.paths.append(path)
        for t in out.values():
            t.paths = list(dict.fromkeys(t.paths))
        return out


class _Spans:
    """Quote and title spans of one text, for 'is this mention inside one' questions."""

    def __init__(self, text: str):
        quoted, titled = marked_spans(text)
        # mode 0: inside quotes or 《》 (the `quoted` tally); 1: inside quotes
        self.by_mode = (sorted(quoted + titled), sorted(quoted))

    def inside(self, start: int, end: int, mode: int = 0) -> bool:
        spans = self.by_mode[mode]
        if not spans:
            return False
        k = bisect.bisect_right(spans, (start, float("inf")))
        return any(s <= start and end <= e for s, e in spans[max(0, k - 3) : k])


def count_documents(
    matcher: Matcher, docs: Iterable[tuple[dict, list[tuple[str, str]]]]
) -> pd.DataFrame:
    """Terms rows (TERM_COLUMNS) for (document meta, units) pairs."""
    rows = []
    for meta, units in docs:
        for i, t in matcher.count(units).items():
            rows.append(
                (
                    meta["source"],
                    meta["series"],
                    int(meta["year"]),
                    meta["doc_id"],
                    matcher.terms[i],
                    matcher.kinds[i],
                    t.count,
                    t.own,
                    t.quoted,
                    t.paths,
                )
            )
    out = pd.DataFrame(rows, columns=TERM_COLUMNS)
    for col in ("year", "count", "own", "quoted"):
        out[col] = out[col].astype("int64")
    return out


# ---------------------------------------------------------------------------- units of text


def document_units(documents: pd.DataFrame, items: pd.DataFrame):
    """(meta, units) per document: the preamble, each section's title line, each item's own text
    (its lead paragraph when it has nested units) — Document.own_texts() rebuilt from tables."""
    if documents is None or documents.empty:
        return
    if items is None:
        items = pd.DataFrame(columns=["doc_id", "path", "parent_path", "level", "text"])
    if "ordinal" in items and len(items):
        items = items.sort_values(["doc_id", "ordinal"], kind="stable")
    # Each document's units are made when it comes (its rows' positions found once), so memory
    # holds one document's unit strings, not the source's.
    rows = items.groupby("doc_id", sort=False).indices if len(items) else {}
    paths, parent_paths = items["path"].to_numpy(), items["parent_path"].to_numpy()
    levels, texts = items["level"].to_numpy(), items["text"]
    pre = documents["preamble"] if "preamble" in documents else [""] * len(documents)
    for meta, preamble in zip(documents.to_dict("records"), pre, strict=True):
        units = [("preamble", preamble)] if isinstance(preamble, str) and preamble else []
        at = rows.get(meta["doc_id"])
        if at is not None:
            parents = set(parent_paths[at])
            for k, text in zip(at, texts.iloc[at].tolist(), strict=True):
                text = text if isinstance(text, str) else ""
                nested = levels[k] == "section" or paths[k] in parents
                units.append((str(paths[k]), text.split("\n", 1)[0] if nested else text))
        yield meta, units


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
