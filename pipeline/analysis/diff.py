"""Side-by-side view of two years of one series: aligned units with relation, score and the
changed characters marked; as terminal text or as an HTML redline page (all text escaped)."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from policytrack.pipeline.analysis import redline
from policytrack.pipeline.analysis.corpus import latest_records
from policytrack.pipeline.analysis.units import unit_texts
from policytrack.pipeline.core.errors import InputError, year_ranges
from policytrack.pipeline.core.safe import terminal_text

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

    Table = pd.DataFrame | pa.Table

# The columns diff reads (the CLI asks the store for these only); `similarity` and `recorded_at`
# are read when the tables have them.
DOCUMENT_COLUMNS = ["source", "series", "year", "doc_id"]
DOCUMENT_OPTIONAL = ["recorded_at"]
ITEM_COLUMNS = ["source", "series", "year", "doc_id", "level", "path", "parent_path"]
ITEM_COLUMNS += ["ordinal", "heading", "text"]
ALIGNMENT_COLUMNS = ["source", "series", "level", "year_from", "path_from", "year_to", "path_to"]
ALIGNMENT_COLUMNS += ["relation", "score"]
ALIGNMENT_OPTIONAL = ["similarity"]
SENTENCE_COLUMNS = ["source", "series", "year", "doc_id", "path", "sent_no", "text"]
_LINK = [*ALIGNMENT_COLUMNS, "similarity"]  # a stored link's fields, in diff_rows' order


@dataclass
class DiffRow:
    relation: str
    score: float | None  # the aligner's standardised score
    path_a: str | None
    path_b: str | None
    text_a: str
    text_b: str
    segments_a: list[tuple[str, str]] = field(default_factory=list)  # (equal|delete, text)
    segments_b: list[tuple[str, str]] = field(default_factory=list)  # (equal|insert, text)
    similarity: float | None = None  # the two texts' similarity, 0–100


def columns(table: Table | None, names, where: tuple[str, set] | None = None) -> dict[str, list]:
    """Plain columns (python lists, None for a missing value) of a pandas DataFrame or a
    pyarrow Table: those of `names` it has; only the rows whose `where[0]` is in `where[1]`."""
    if table is None:
        return {}
    if hasattr(table, "to_pydict"):  # pyarrow: no pandas needed
        from policytrack.pipeline.store.tables import select_rows

        if where is not None:
            table = select_rows(table, *where)
        return {c: table.column(c).to_pylist() for c in names if c in table.column_names}
    if where is not None:
        table = table[table[where[0]].isin(list(where[1]))]
    return {c: [_none(v) for v in table[c].tolist()] for c in names if c in table.columns}


def _none(value: Any) -> Any:
    missing = value is None or (isinstance(value, float) and value != value)
    return None if missing or type(value).__name__ in ("NAType", "NaTType") else value


def check_request(
    documents: Table, source: str, year_a: int, year_b: int, series: str | None = None
) -> str:
    """The series to diff, or an InputError naming what exists and what to type: an unknown
    source (the sources), reversed or equal years, an unknown series (the series), a year
    without a document (the years there are, and the nearest pair that works)."""
    return _request(columns(documents, DOCUMENT_COLUMNS + DOCUMENT_OPTIONAL), source, year_a, year_b, series)[0]  # fmt: skip


def _request(
    docs: dict[str, list], source: str, year_a: int, year_b: int, series: str | None
) -> tuple[str, list[dict]]:
    """check_request's series, and its chosen documents (latest_records)."""
    sources = sorted({str(s) for s in docs.get("source", []) if s is not None})
    if source not in sources:
        close = [s for s in sources if s.lower() == source.lower()]
        hint = f"; try: policytrack diff {close[0]} {year_a} {year_b}" if close else ""
        raise InputError(
            f"source {source!r}", f"not in the data; sources: {', '.join(sources) or 'none'}{hint}"
        )
    if year_a > year_b:
        raise InputError(
            "diff",
            f"{year_a} is after {year_b}: give the earlier year first; "
            f"try: policytrack diff {source} {year_b} {year_a}",
        )
    mine = [i for i, s in enumerate(docs["source"]) if s == source]
    chosen = latest_records({c: [v[i] for i in mine] for c, v in docs.items()}, quiet=True)
    have: dict[str, list[int]] = {}
    for d in chosen:
        if d["series"] is not None:
            have.setdefault(str(d["series"]), []).append(d["year"])
    have = {s: sorted(have[s]) for s in sorted(have)}
    if series is not None and series not in have:
        raise InputError(
            f"source {source!r}", f"no series {series!r}; series: {', '.join(sorted(have))}"
        )
    names = [series] if series is not None else sorted(have)
    if year_a == year_b:
        later = [y for s in names for y in have[s] if y > year_a]
        hint = f"; try: policytrack diff {source} {year_a} {min(later)}" if later else ""
        raise InputError("diff", f"both years are {year_a}: give two different years{hint}")
    both = [s for s in names if year_a in have[s] and year_b in have[s]]
    if len(both) == 1:
        return both[0], [d for d in chosen if d["series"] == both[0]]
    if both:
        raise InputError(
            f"source {source!r}",
            f"several series have {year_a} and {year_b} ({', '.join(both)}); try: policytrack "
            f"diff {source} {year_a} {year_b} --series {both[0]}",
        )
    if len(names) == 1:
        years = have[names[0]]
        missing = [y for y in (year_a, year_b) if y not in years]
        later = [y for y in years if y > year_a]
        earlier = [y for y in years if y < year_b]
        a, b = (
            (year_a, later[0])
            if year_a in years and later
            else ((earlier[-1], year_b) if year_b in years and earlier else (years[0], years[-1]))
        )
        hint = f"; try: policytrack diff {source} {a} {b}" if len(years) > 1 else ""
        raise InputError(
            f"{source} / {names[0]}",
            f"no document for {' or '.join(map(str, missing))}; years: "
            f"{', '.join(year_ranges(years))}{hint}",
        )
    listing = "; ".join(f"{s}: {', '.join(year_ranges(have[s]))}" for s in names)
    raise InputError(f"source {source!r}", f"no series has both {year_a} and {year_b} ({listing})")


def diff_rows(
    alignments: Table | None,
    items: Table,
    documents: Table,
    source: str,
    year_a: int,
    year_b: int,
    *,
    series: str | None = None,
    level: str = "item",
    sentences: Table | None = None,
) -> tuple[str, list[DiffRow], bool]:
    """(series, rows, computed_live). Uses the stored alignments for the pair when present;
    otherwise aligns the two documents directly (years that are not neighbours).

    The tables are pandas DataFrames or pyarrow Tables (`policytrack diff` reads the latter, so
    that showing stored links needs no pandas; only aligning live does)."""
    docs = columns(documents, DOCUMENT_COLUMNS + DOCUMENT_OPTIONAL)
    series, docs = _request(docs, source, year_a, year_b, series)
    # Items that come back in year_b after a gap link from a year before year_a: show them too.
    stored = None
    al = columns(alignments, ALIGNMENT_COLUMNS + ALIGNMENT_OPTIONAL)
    if al and al["source"]:
        al.setdefault("similarity", [None] * len(al["source"]))
        stored = [
            r
            for r in zip(*(al[c] for c in _LINK), strict=True)
            if r[0] == source
            and r[1] == series
            and r[2] == level
            and r[5] == year_b
            and (r[3] == year_a or (r[7] == "reappeared" and r[3] is not None and r[3] < year_a))
        ]
    years = {year_a, year_b}
    if stored is not None:
        years |= {int(r[3]) for r in stored if r[3] is not None}
    chosen = [d["doc_id"] for d in docs if d["year"] in years]
    units = unit_texts(
        columns(items, ITEM_COLUMNS, where=("doc_id", set(chosen))),
        level,
        columns(sentences, SENTENCE_COLUMNS, where=("doc_id", set(chosen)))
        if sentences is not None
        else None,
    )
    text_of = {(y, p): t for y, p, t in units}
    order = {(y, p): k for k, (y, p, _) in enumerate(units)}
    links = None
    live = False
    if stored is not None and any(r[3] == year_a for r in stored):
        links = [
            (relation, score, int(y_from), _s(p_from), _s(p_to), similarity)
            for _src, _ser, _lvl, y_from, p_from, _yt, p_to, relation, score, similarity in stored
        ]
    if links is None:
        live = True
        links = _align_live(items, sentences, docs, chosen, year_a, year_b, level)
    rows = []
    for relation, score, year_from, pa, pb, similarity in links:
        ta = text_of.get((year_from, pa), "") if pa else ""
        tb = text_of.get((year_b, pb), "") if pb else ""
        if pa and year_from != year_a:
            pa = f"{pa} ({year_from})"  # a reappearance: the item was last seen in year_from
        row = DiffRow(relation, _num(score), pa, pb, ta, tb, similarity=_num(similarity))
        if pa and pb:
            row.segments_a, row.segments_b = redline.mark(ta, tb)
        else:
            row.segments_a = [("delete", ta)] if ta else []
            row.segments_b = [("insert", tb)] if tb else []
        rows.append(row)

    def key(r: DiffRow):
        if r.path_b is not None:
            return (0, order.get((year_b, r.path_b), 0), order.get((year_a, r.path_a), 0))
        return (1, order.get((year_a, r.path_a), 0), 0)

    rows.sort(key=key)
    return series, rows, live


def _align_live(items, sentences, docs, chosen, year_a, year_b, level) -> list[tuple]:
    """Links year_a → year_b aligned now. Only here are pandas and the scoring and assignment
    stack (scipy) needed: imported on demand."""
    import pandas as pd

    from policytrack.pipeline.analysis.align import AlignConfig, align_series, alignable_units

    def frame(table):
        return table if table is None or isinstance(table, pd.DataFrame) else table.to_pandas()

    items, sentences = frame(items), frame(sentences)
    pair = pd.DataFrame({"doc_id": [d["doc_id"] for d in docs if d["year"] in (year_a, year_b)]})
    cfg = AlignConfig(lookback=0)
    units = alignable_units(items[items["doc_id"].isin(chosen)], pair, level, sentences, cfg)
    return [
        (lk.relation, lk.score, year_a, lk.path_from, lk.path_to, lk.similarity)
        for lk in align_series(units, cfg)
        if lk.year_from == year_a
    ]


def _num(value) -> float | None:
    return None if _none(value) is None else float(value)


def _s(value) -> str | None:
    return None if _none(value) is None else str(value)


# ---------------------------------------------------------------------------- output


def score_text(row: DiffRow) -> str:
    """`87 · 4.9`: the texts' similarity (0–100) first, then the aligner's standardised score
    (how far the pair stands above unrelated pairs of the two documents); `—` for none."""
    parts = [f"{row.similarity:.0f}" if row.similarity is not None else "—"]
    if row.score is not None:
        parts.append(f"{row.score:.1f}")
    return " · ".join(parts) if row.score is not None or row.similarity is not None else ""


def rich_text(segments: list[tuple[str, str]]):
    """The same marks, also coloured when the terminal supports it."""
    from rich.text import Text

    t = Text()
    for kind, text in segments:
        text = terminal_text(text)  # no escape sequence of a document reaches the terminal
        if kind == "delete":
            t.append(f"[-{text}-]", style="red strike")
        elif kind == "insert":
            t.append(f"{{+{text}+}}", style="green underline")
        else:
            t.append(text)
    return t


_CSS = """
body{font-family:"WenQuanYi Micro Hei","Noto Sans CJK SC",sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;width:100%}
th,td{border:1px solid #ccc;padding:.4em;vertical-align:top;text-align:left}
td.meta{white-space:nowrap;font-size:90%;color:#555}
del{background:#fdd;color:#900}
ins{background:#dfd;color:#060;text-decoration:none}
tr.new td.b{background:#f3fff3} tr.dropped td.a{background:#fff3f3}
""".strip()


def to_html(
    source: str, series: str, year_a: int, year_b: int, level: str, rows: list[DiffRow]
) -> str:
    """A standalone redline page. Every piece of document text goes through html.escape."""
    e = html.escape
    counts: dict[str, int] = {}
    for r in rows:
        counts[r.relation] = counts.get(r.relation, 0) + 1
    summary = ", ".join(f"{e(k)} {v}" for k, v in sorted(counts.items()))
    body = []
    for r in rows:
        score = e(score_text(r))
        body.append(
            f'<tr class="{e(r.relation)}"><td class="meta">{e(r.relation)}<br>{score}</td>'
            f'<td class="meta">{e(r.path_a or "")}</td><td class="a">{redline.to_html(r.segments_a)}</td>'
            f'<td class="meta">{e(r.path_b or "")}</td><td class="b">{redline.to_html(r.segments_b)}</td></tr>'
        )
    title = f"{source} / {series}: {year_a} → {year_b} ({level})"
    return (
        '<!DOCTYPE html>\n<html lang="zh"><head><meta charset="utf-8">'
        f"<title>{e(title)}</title><style>{_CSS}</style></head><body>"
        f"<h1>{e(title)}</h1><p>{summary}</p>"
        f"<table><thead><tr><th>relation<br>similarity (0–100) · score</th><th>{year_a}</th><th>{e(str(year_a))} text</th>"
        f"<th>{year_b}</th><th>{e(str(year_b))} text</th></tr></thead><tbody>"
        + "\n".join(body)
        + "</tbody></table></body></html>\n"
    )
