"""Side-by-side view of two years of one series: aligned units with relation, score and the
changed characters marked; as terminal text or as an HTML redline page (all text escaped)."""

from __future__ import annotations

import html
from dataclasses import dataclass, field

import pandas as pd

from policytrack.pipeline.analysis import redline
from policytrack.pipeline.analysis.corpus import select_documents
from policytrack.pipeline.analysis.units import build_units
from policytrack.pipeline.core.errors import InputError, year_ranges
from policytrack.pipeline.core.safe import terminal_text


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


def check_request(
    documents: pd.DataFrame, source: str, year_a: int, year_b: int, series: str | None = None
) -> str:
    """The series to diff, or an InputError naming what exists and what to type: an unknown
    source (the sources), reversed or equal years, an unknown series (the series), a year
    without a document (the years there are, and the nearest pair that works)."""
    sources = sorted(str(s) for s in documents["source"].dropna().unique())
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
    docs = select_documents(documents[documents["source"] == source], quiet=True)
    have = {str(k): sorted(int(y) for y in ys) for k, ys in docs.groupby("series")["year"]}
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
        return both[0]
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
    alignments: pd.DataFrame | None,
    items: pd.DataFrame,
    documents: pd.DataFrame,
    source: str,
    year_a: int,
    year_b: int,
    *,
    series: str | None = None,
    level: str = "item",
    sentences: pd.DataFrame | None = None,
) -> tuple[str, list[DiffRow], bool]:
    """(series, rows, computed_live). Uses the stored alignments for the pair when present;
    otherwise aligns the two documents directly (years that are not neighbours)."""
    series = check_request(documents, source, year_a, year_b, series)
    docs = select_documents(documents[documents["source"] == source], quiet=True)
    docs = docs[docs["series"] == series]
    # Items that come back in year_b after a gap link from a year before year_a: show them too.
    stored = None
    if alignments is not None and not alignments.empty:
        stored = alignments[
            (alignments["source"] == source)
            & (alignments["series"] == series)
            & (alignments["level"] == level)
            & (alignments["year_to"] == year_b)
            & (
                (alignments["year_from"] == year_a)
                | ((alignments["relation"] == "reappeared") & (alignments["year_from"] < year_a))
            )
        ]
    years = {year_a, year_b}
    if stored is not None:
        years |= set(stored["year_from"].dropna().astype(int))
    chosen = docs[docs["year"].isin(years)]
    units = build_units(
        items[items["doc_id"].isin(chosen["doc_id"])],
        level,
        sentences[sentences["doc_id"].isin(chosen["doc_id"])] if sentences is not None else None,
    )
    text_of = {
        (int(y), p): t for y, p, t in zip(units["year"], units["path"], units["body"], strict=True)
    }
    order = {
        key: k for k, key in enumerate(zip(units["year"].astype(int), units["path"], strict=True))
    }
    links = None
    live = False
    if stored is not None and (stored["year_from"] == year_a).any():
        links = [
            (
                r.relation,
                r.score,
                int(r.year_from),
                _s(r.path_from),
                _s(r.path_to),
                getattr(r, "similarity", None),
            )
            for r in stored.itertuples()
        ]
    if links is None:
        # Only here is the scoring and assignment stack (scipy) needed: imported on demand.
        from policytrack.pipeline.analysis.align import AlignConfig, align_series, alignable_units

        live = True
        cfg = AlignConfig(lookback=0)
        pair = alignable_units(
            items[items["doc_id"].isin(chosen["doc_id"])],
            chosen[chosen["year"].isin([year_a, year_b])],
            level,
            sentences,
            cfg,
        )
        links = [
            (lk.relation, lk.score, year_a, lk.path_from, lk.path_to, lk.similarity)
            for lk in align_series(pair, cfg)
            if lk.year_from == year_a
        ]
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


def _num(value) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _s(value) -> str | None:
    return None if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)


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
