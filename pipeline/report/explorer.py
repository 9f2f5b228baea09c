"""The explorer: one self-contained HTML page (data embedded, no network, no server) to explore the
terms of a data dir: a search over the lexicon; for a term, its timeline per series (mentions per
10,000 characters, statuses), its contexts by year (analysis.kwic: the same mentions `policytrack
kwic` prints; a few per year, the rest behind a "more" toggle), its diffusion row
(analysis.diffusion); for an item, its thread across years with the redline between consecutive
versions (analysis.redline, the one definition every view uses).

The data travel as JSON in `<script type="application/json">` with every `<` written `\\u003c`
(so no `</script>` can close it early); the page's script (explorer.js) inserts every piece of
text with `textContent`, never as HTML. Text is embedded once: each unit's own text, and the
mentions as (unit, offset) pairs, so the page grows with the corpus, not with the lexicon.
"""

from __future__ import annotations

import bisect
import html
import json
import time
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path

import pandas as pd

from policytrack.pipeline.analysis import diffusion as dif
from policytrack.pipeline.analysis.corpus import select_documents
from policytrack.pipeline.analysis.kwic import find_mentions, units
from policytrack.pipeline.analysis.redline import mark
from policytrack.pipeline.store import atomic
from policytrack.pipeline.store.tables import read_table

EXPLORER = "explorer.html"  # its name in the report folder (the index links it)
STATUS_CODES = {"new": 1, "persisting": 2, "returned": 3, "fading": 4, "absent": 0}
SEGMENT_CODES = {"equal": 0, "delete": 1, "insert": 2}
DOC_COLUMNS = ["doc_id", "source", "series", "year", "title", "preamble", "n_chars", "recorded_at"]
ITEM_COLUMNS = ["source", "series", "year", "doc_id", "level", "path", "parent_path", "ordinal", "heading", "text"]  # fmt: skip
TIMELINE_COLUMNS = ["source", "series", "term", "canonical", "variants", "year", "count", "per_10k_chars", "status", "kinds", "flag", "present"]  # fmt: skip


def _asset(name: str) -> str:
    return resources.files("policytrack.pipeline.report").joinpath(name).read_text("utf-8")


def embed_json(data: object) -> str:
    """JSON safe inside <script type="application/json">: `<`, `>` and `&` as \\u escapes (no
    `</script>` or `<!--` can appear), and the two line separators JavaScript once rejected."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    for ch, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(ch, esc)
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def explorer_data(
    documents: pd.DataFrame,
    items: pd.DataFrame,
    timeline: pd.DataFrame,
    threads: pd.DataFrame | None = None,
    *,
    shown: int = 3,
    title: str = "policytrack explorer",
) -> dict:
    """Everything the page shows, as plain lists (see explorer.js for the reading side)."""
    groups = dif.series_groups(documents)
    key_of = {m: i for i, g in enumerate(groups) for m in g.members}
    series = [
        {"label": g.label, "source": g.members[0][0], "years": list(g.years), "note": g.describe()}
        for g in groups
    ]
    # Units: the own text of every unit of the latest version of each year.
    unit_rows, unit_index = [], {}
    parent = {
        (d, str(p)): str(pp) if isinstance(pp, str) else ""
        for d, p, pp in zip(items["doc_id"], items["path"], items["parent_path"], strict=True)
    }
    for meta, path, heading, text in units(documents, items):
        s = key_of[(meta["source"], meta["series"])]
        unit_index[(meta["doc_id"], path)] = len(unit_rows)
        unit_rows.append([s, int(meta["year"]), path, heading, text, meta["doc_id"]])
    thread_list, unit_thread = _threads(threads, items, documents, key_of, unit_rows, parent)
    terms = _terms(timeline, key_of, unit_rows)
    table = dif.diffusion(timeline, groups)
    label_idx = {g.label: i for i, g in enumerate(groups)}
    for row in table.itertuples(index=False):
        if row.term in terms:
            terms[row.term]["d"].append(
                [label_idx[row.series], int(row.first_year), int(row.lag), bool(row.persisted)]
            )
    docs = select_documents(documents, quiet=True)
    sample = bool((docs["source"] == "sample").any())
    return {
        "title": title,
        "built": time.strftime("%Y-%m-%d %H:%M"),
        "sample": sample,
        "shown": shown,
        "series": series,
        "units": [
            [s, y, p, h, t, unit_thread.get(i, -1)]
            for i, (s, y, p, h, t, _) in enumerate(unit_rows)
        ],  # fmt: skip
        "terms": sorted(terms.values(), key=lambda t: (-t["n"], t["t"])),
        "threads": thread_list,
    }


def _terms(timeline: pd.DataFrame, key_of: dict, unit_rows: list) -> dict[str, dict]:
    """Per term: kinds, flag, variant group, timeline rows per series (non-absent years), and the
    mentions [unit, start, variant] found in the text of every unit of the years it is present.

    The timeline is read as plain column lists (one pass, no per-group frames), and a year's
    units are searched through their texts joined once: only the units holding the term are
    given to find_mentions, in unit order, as before."""
    out: dict[str, dict] = {}
    if timeline is None or timeline.empty:
        return out
    texts = _YearTexts(unit_rows)
    rows_of: dict[str, list[int]] = {}
    for i, term in enumerate(timeline["term"].tolist()):
        if isinstance(term, str):  # groupby leaves out a missing term
            rows_of.setdefault(term, []).append(i)
    # A term's canonical form, variants, kinds and flag: those of its first row (the variant
    # lists are costly to convert: only those rows are).
    firsts = [rows[0] for rows in rows_of.values()]
    head = timeline.iloc[firsts]
    cols = {
        c: dict(zip(firsts, head[c].tolist(), strict=True))
        for c in ("canonical", "variants", "kinds", "flag")
    }
    s_of = [key_of.get(k) for k in zip(timeline["source"].tolist(), timeline["series"].tolist(), strict=True)]  # fmt: skip
    year = timeline["year"].tolist()
    count = timeline["count"].tolist()
    per_10k = timeline["per_10k_chars"].tolist()
    status = timeline["status"].tolist()
    present = timeline["present"].tolist()
    for term, rows in rows_of.items():
        first = rows[0]
        vs = cols["variants"][first]
        variants = [str(v) for v in vs] if vs is not None else []
        entry = {
            "t": term,
            "k": str(cols["kinds"][first]),
            "f": str(cols["flag"][first] or ""),
            "c": str(cols["canonical"][first]),
            "v": [v for v in variants if v != term],
            "tl": [],
            "m": [],
            "d": [],
            "n": int(sum(count[i] for i in rows)),
        }
        around = [v for v in variants if v != term and term in v]
        for i in rows:
            s = s_of[i]
            if s is None:
                continue
            code = STATUS_CODES.get(str(status[i]), 0)
            if code or count[i]:
                entry["tl"].append([s, int(year[i]), int(count[i]), round(float(per_10k[i]), 2), code])  # fmt: skip
            if not present[i]:
                continue
            if not around:  # no variant to mark: the term's occurrences, unit by unit
                entry["m"] += ([u, start, -1] for u, start in texts.occurrences(s, int(year[i]), term))  # fmt: skip
                continue
            for u in texts.holding(s, int(year[i]), term):
                for sp in find_mentions(unit_rows[u][4], term, around):
                    entry["m"].append([u, sp.start, around.index(sp.form) if sp.variant else -1])
        entry["va"] = around  # the variants a mention can be marked with (by index)
        out[term] = entry
    return out


class _YearTexts:
    """The units' texts of each (series, year) joined by NUL (no term holds one), to find the
    units holding a term with a few str.find calls instead of a test per unit."""

    def __init__(self, unit_rows: list):
        parts: dict[tuple[int, int], tuple[list[int], list[str]]] = {}
        for i, row in enumerate(unit_rows):
            units, texts = parts.setdefault((row[0], row[1]), ([], []))
            units.append(i)
            texts.append(row[4])
        self._joined: dict[tuple[int, int], tuple[str, list[int], list[int]]] = {}
        for key, (units, texts) in parts.items():
            starts, at = [], 0
            for t in texts:
                starts.append(at)
                at += len(t) + 1
            self._joined[key] = ("\0".join(texts), starts, units)

    def occurrences(self, s: int, year: int, term: str) -> list[tuple[int, int]]:
        """(unit, start) of each occurrence of `term` in the units of series `s` in `year`, in
        unit order, non-overlapping within a unit as find_mentions counts them (no occurrence
        spans the NUL between two units, so one scan of the joined texts finds the same)."""
        got = self._joined.get((s, year))
        if got is None or not term:
            return []
        joined, starts, units = got
        out: list[tuple[int, int]] = []
        i = joined.find(term)
        while i >= 0:
            k = bisect.bisect_right(starts, i) - 1
            out.append((units[k], i - starts[k]))
            i = joined.find(term, i + len(term))
        return out

    def holding(self, s: int, year: int, term: str) -> list[int]:
        """The units of series `s` in `year` whose text holds `term`, in unit order."""
        got = self._joined.get((s, year))
        if got is None or not term:
            return []
        joined, starts, units = got
        out: list[int] = []
        i = joined.find(term)
        while i >= 0:
            k = bisect.bisect_right(starts, i) - 1
            out.append(units[k])
            nxt = starts[k + 1] if k + 1 < len(starts) else len(joined)
            i = joined.find(term, nxt)
        return out


def _threads(threads, items, documents, key_of, unit_rows, parent) -> tuple[list, dict]:
    """The threads (full item text each year, the redline between consecutive versions as
    segment lengths) and, per unit, the thread of the unit or of its nearest enclosing item."""
    if threads is None or threads.empty:
        return [], {}
    docs = select_documents(documents, quiet=True)
    doc_of = {(s, r, int(y)): d for s, r, y, d in zip(docs["source"], docs["series"], docs["year"], docs["doc_id"], strict=True)}  # fmt: skip
    by_key = {
        (d, str(p)): (h, t)
        for d, p, h, t in zip(
            items["doc_id"], items["path"], items["heading"], items["text"], strict=True
        )  # fmt: skip
    }
    unit_at = {(row[5], row[2]): i for i, row in enumerate(unit_rows)}
    out, where = [], {}
    for th in threads.itertuples(index=False):
        s = key_of.get((th.source, th.series))
        paths = getattr(th, "paths", None)  # a table of an older build has no paths: no thread
        if s is None or paths is None or len(paths) != len(th.years):
            continue
        steps, prev = [], None
        for year, path in zip(th.years, paths, strict=True):
            d = doc_of.get((th.source, th.series, int(year)))
            if d is None or (d, str(path)) not in by_key:
                continue
            heading, text = by_key[(d, str(path))]
            text = text if isinstance(text, str) else ""
            u = unit_at.get((d, str(path)))
            same = u is not None and unit_rows[u][4] == text  # the text is embedded once
            segs = [[], []]
            if prev is not None:
                a, b = mark(prev, text)
                segs = [[[SEGMENT_CODES[k], len(t)] for k, t in a], [[SEGMENT_CODES[k], len(t)] for k, t in b]]  # fmt: skip
            steps.append([int(year), str(path), str(heading or ""), u if same else text, segs])
            where[(d, str(path))] = len(out)
            prev = text
        if steps:
            out.append({"id": str(th.thread_id), "s": s, "label": str(th.label), "steps": steps})
    unit_thread = {}
    for i, row in enumerate(unit_rows):
        doc, path = row[5], row[2]
        seen = 0
        while path and seen < 10:
            if (doc, path) in where:
                unit_thread[i] = where[(doc, path)]
                break
            path, seen = parent.get((doc, path), ""), seen + 1
    return out, unit_thread


def explorer_html(data: dict) -> str:
    """The page: inline CSS and script, the data as JSON; nothing is fetched."""
    title = html.escape(str(data.get("title", "policytrack explorer")))
    return (
        "<!DOCTYPE html><html lang='zh'><head><meta charset='utf-8'>"
        "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; "
        "script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:\">"
        f"<title>{title}</title><style>{_asset('explorer.css')}</style></head><body>"
        f"<header><h1>{title}</h1><p id='meta'></p></header>"
        "<main><section id='finder'><input id='q' type='search' placeholder='搜索提法 · search terms' "
        "autocomplete='off'><ul id='hits'></ul></section>"
        "<section id='term'></section><section id='thread'></section></main>"
        f"<script type='application/json' id='pt-data'>{embed_json(data)}</script>"
        f"<script>{_asset('explorer.js')}</script></body></html>"
    )


def build_explorer(
    data_dir: str | Path,
    *,
    shown: int = 3,
    sources: Sequence[str] | None = None,
    read: Mapping[str, pd.DataFrame] | None = None,
) -> str:
    """The page for a data dir (its current build). `read`: tables of that build already read
    whole (every source, every column: the report's), used instead of reading them again."""

    def table(name, columns=None, required=True):
        frame = (read or {}).get(name) if sources is None else None
        if frame is not None and all(c in frame.columns for c in columns or ()):
            return frame[list(columns)] if columns else frame
        return read_table(data_dir, name, columns, required=required, source=sources)

    documents = table("documents", DOC_COLUMNS)
    items = table("items", ITEM_COLUMNS)
    timeline = table("term_timeline", TIMELINE_COLUMNS)
    threads = table("threads", required=False)
    if threads is not None and "level" in threads:
        threads = threads[threads["level"] == "item"]
    data = explorer_data(documents, items, timeline, threads, shown=shown)
    return explorer_html(data)


def write_explorer(
    data_dir: str | Path,
    out: str | Path,
    *,
    shown: int = 3,
    read: Mapping[str, pd.DataFrame] | None = None,
) -> int:
    """Write the page atomically; returns its size in bytes. `read`: as for build_explorer."""
    page = build_explorer(data_dir, shown=shown, read=read).encode("utf-8")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic.write_bytes(out, page)
    return len(page)
