"""Paragraphs → Document: the edges of the body, the header fields and their sources, the outline.

One entry point per input shape (paragraphs, Extracted, bytes, a file). The work is done by
edges.py (chrome, trailing matter, a closing signature), header.py (the lines before the body),
years.py (the year and its source), outline.py (sections and items) and series.py (the series key).
Every header field records where it came from in a `*_source` field (docs/data.md).
"""

from __future__ import annotations

import logging
from pathlib import Path

from policytrack.pipeline.core.errors import InputError
from policytrack.pipeline.text import vocab, years
from policytrack.pipeline.text.edges import (
    Line,
    clean_paragraphs,
    end_signature,
    find_trailer,
    is_chrome,
    read_lines,
    trailer_of,
)
from policytrack.pipeline.text.extract import Extracted, extract
from policytrack.pipeline.text.header import (
    Header,
    is_signer,
    read_header,
    sign_date,
    split_signers,
)
from policytrack.pipeline.text.limits import read_file
from policytrack.pipeline.text.markers import cn_number, cn_numeral, match_marker
from policytrack.pipeline.text.model import Document
from policytrack.pipeline.text.normalize import is_traditional, normalize
from policytrack.pipeline.text.outline import (
    build_sections,
    lead_clause,
    prose_section,
    split_sentences,
)
from policytrack.pipeline.text.title import (
    congress_of,
    file_stem,
    genre_of,
    strip_tag,
    title_issuer,
    venue_of,
    year_from_name,
    year_from_title,
)
from policytrack.pipeline.text.years import YearMissing

log = logging.getLogger(__name__)

# Re-exported: callers import these from the parser.
__all__ = [
    "YearMissing", "cn_number", "clean_paragraphs", "genre_of", "is_chrome", "lead_clause",
    "match_marker", "parse_bytes", "parse_extracted", "parse_file", "parse_paragraphs",
    "split_sentences", "year_from_title",
]  # fmt: skip


def _hint(title_hint: str | None, trad: bool) -> str:
    """A title from metadata (a corpus row, a crawler's link text), normalised."""
    if not title_hint:
        return ""
    lenient = trad or is_traditional(title_hint, threshold=0.2, min_hits=1)
    return normalize(title_hint, simplified=lenient)


def _refuse_stub(text: list[Line], where: str) -> None:
    """A Wikisource version list (论联合政府 的版本包括：…) is not a document."""
    for line in text[:3]:
        if line.norm.endswith(("的版本包括：", "的版本包括:")):
            raise InputError(
                where, f"not a document: a list of versions of another page ({line.norm!r})"
            )


def _closing_signature(norm, orig, body_from, trailer_lines):
    """(body end, signers, date) of a signature after the body or right after an annex list."""
    sig = end_signature(norm[body_from:]) if body_from < len(norm) else None
    if sig:
        s, d = (body_from + k for k in sig)
        return s, [n for k in range(s, d) for n in split_signers(orig[k])], sign_date(norm[d])
    text = [line for line in trailer_lines if not line.chrome][:4]
    for d, line in enumerate(text):
        if (date := sign_date(line.norm)) and d:
            s = d
            while s > 1 and d - s < 3 and is_signer(text[s - 1].norm):
                s -= 1
            signers = [n for k in range(s, d) for n in split_signers(text[k].orig)]
            if signers:
                return len(norm), signers, date
    return len(norm), [], None


def parse_paragraphs(
    paragraphs: list[str],
    *,
    where: str = "input",
    name: str | None = None,
    title_hint: str | None = None,
    year_hint: int | None = None,
    year: int | None = None,
    chrome: bool = True,
    meta: dict | None = None,
) -> Document:
    """Build a Document from paragraphs (already extracted from the file).

    `name`: the file's own name (a year or title may be read from it). `title_hint` and
    `year_hint`: metadata from outside the text (source `page`). `year`: the user's option.
    """
    if year is not None and not vocab.plausible_year(year):
        raise InputError(where, f"year {year} is out of range ({vocab.year_range()})")
    lines = read_lines(paragraphs, chrome)
    text_lines = [line for line in lines if not line.chrome]
    if not text_lines:
        raise InputError(where, "empty document (only page furniture, no notice text)")
    trad = is_traditional("".join(line.orig for line in text_lines))
    for line in lines:
        line.norm = line.orig if line.chrome else normalize(line.orig, simplified=trad)
    _refuse_stub(text_lines, where)

    # Where does the body start? At the first marker numbered 1 (一、 or 1、 …); in unnumbered
    # prose, at the first prose paragraph.
    first = next(
        (k for k, ln in enumerate(text_lines) if (m := match_marker(ln.norm)) and m.no == 1), None
    )
    at = [i for i, line in enumerate(lines) if not line.chrome]  # text line k is lines[at[k]]
    begin = first if first is not None else _first_prose(text_lines)
    tstart = find_trailer(lines, at[begin])
    trailer, kinds = trailer_of(lines, tstart)
    text = [line for k, line in enumerate(text_lines) if at[k] < tstart]
    norm = [ln.norm for ln in text]
    orig = [ln.orig for ln in text]
    header_end = min(first, len(norm)) if first is not None else len(norm)

    h = read_header(norm[:header_end], orig[:header_end], [ln.gap for ln in text[:header_end]])
    body_end, end_signers, end_signed = _closing_signature(
        norm, orig, header_end if first is not None else len(norm), lines[tstart:]
    )
    doc = Document(title="", year=0, trailer=trailer, trailer_kinds=kinds)
    hint = _hint(title_hint, trad)
    congress = _fill_header(doc, h, hint, name, meta or {})
    _fill_issuer(doc, h, end_signers)
    doc.issued_on, doc.issued_on_source = _issued_on(h, end_signed)
    signed = h.signed_on or end_signed
    _fill_year(doc, h, where, (year, year_hint, hint, name, signed, congress))

    doc.preamble = "\n".join(norm[i] for i in range(h.title_end, header_end) if i not in h.used)
    if first is None:
        if doc.genre != "report":
            raise InputError(where, "no numbered items found (no 一、 / 1、 / （一） markers)")
        # Long-form reports can be unnumbered prose (the 1954 and 1975 reports): keep each
        # paragraph as a unit so alignment and term paths still work.
        body = [i for i in range(h.title_end, body_end) if i not in h.used]
        doc.preamble = ""
        if not body:
            raise InputError(where, "no text after the header")
        doc.sections = [prose_section([norm[i] for i in body], [orig[i] for i in body])]
    else:
        doc.sections = build_sections(norm[header_end:body_end], orig[header_end:body_end])
        if not doc.sections:
            raise InputError(where, "no numbered items found")
    if not doc.title and doc.sections and doc.sections[0].title:
        doc.title, doc.title_source = doc.sections[0].title, "first_heading"
    return doc


def _first_prose(text: list[Line]) -> int:
    """Index of the first prose paragraph (the body of an unnumbered report)."""
    return next(
        (k for k, ln in enumerate(text) if len(ln.norm) > 60 or ln.norm[-1] in "。！？；"), 0
    )


def _fill_header(doc: Document, h: Header, hint: str, name: str | None, meta: dict) -> int | None:
    """Title, subtitle, speaker, venue and genre; returns the Party congress named, if any."""
    doc.page_title, doc.subtitle = h.page_title, h.subtitle
    doc.doc_number, doc.addressees = h.doc_number, h.addressees
    doc.published_at, doc.department = h.published_at, h.department
    doc.speaker, doc.speaker_role = h.speaker, h.speaker_role
    from_name = normalize(file_stem(name)) if file_stem(name) else ""
    if h.title:
        doc.title, doc.title_source = h.title, h.title_source
    elif strip_tag(hint) and strip_tag(hint) != from_name:  # not an earlier parse's file name
        doc.title, doc.title_source = strip_tag(hint), "page"
    elif file_stem(name):
        doc.title, doc.title_source = normalize(file_stem(name)), "file_name"
    if not doc.page_title and strip_tag(hint) not in ("", doc.title):
        doc.page_title = strip_tag(hint)  # the corpus row's or the crawled link's title
    doc.venue = h.venue
    in_title = venue_of(doc.title) if doc.title_source in ("title", "page") else None
    if in_title:
        doc.venue = doc.venue or in_title[1]
        doc.speaker = doc.speaker or in_title[0]
    congress = _congress(doc, hint, meta)
    if congress and not doc.venue:
        doc.venue = f"中国共产党第{cn_numeral(congress)}次全国代表大会"
    speech = bool(doc.venue or h.speaker or h.salutation in ("各位代表", "同志们"))
    genre = genre_of(doc.title, doc.subtitle, default="")
    doc.genre = genre or ("report" if speech else "notice")
    return congress


def _congress(doc: Document, hint: str, meta: dict) -> int | None:
    for text in (doc.title, doc.subtitle, hint):
        if text and (n := congress_of(text)):
            return n
    if "cpc" in str(meta.get("type") or "") and str(meta.get("congress") or "").isdigit():
        return int(meta["congress"])
    return None


def _fill_issuer(doc: Document, h: Header, end_signers: list[str]) -> None:
    """red_header > signing > body (我代表…) > title; a speech's speaker is kept apart."""
    named = title_issuer(doc.title) if doc.title_source in ("title", "page") else ""
    for value, source in (
        ("、".join(h.red_header), "red_header"),
        ("、".join(h.signers or end_signers), "signing"),
        (h.body_issuer, "body"),
        (named, "title"),
    ):
        if value:
            doc.issuer, doc.issuer_source = value, source
            return


def _issued_on(h: Header, end_signed: str | None) -> tuple[str | None, str]:
    for value, source in (
        (h.signed_on or end_signed, "signing"),
        (h.subtitle_date, "subtitle"),
        (h.date_line, "date_line"),
        ((h.published_at or "")[:10] or None, "page"),
    ):
        if value:
            return value, source
    return None, ""


def _fill_year(doc: Document, h: Header, where: str, given: tuple) -> None:
    option, year_hint, hint, name, signed, congress = given
    title_source = "file_name" if doc.title_source == "file_name" else "title"
    number = vocab.DOC_NUMBER.match(doc.doc_number)
    candidates = [
        ("option", option),
        (title_source, year_from_title(doc.title) if doc.title_source != "first_heading" else None),
        ("title" if h.page_title else "page", year_from_title(doc.page_title)),
        ("subtitle", int(h.subtitle_date[:4]) if h.subtitle_date else None),
        ("date_line", int(h.date_line[:4]) if h.date_line else None),
        ("doc_number", int(number.group(2)) if number else None),
        ("signing", int(signed[:4]) if signed else None),
        ("congress", years.congress_year(congress)),
        ("page", year_hint),
        ("page", year_from_title(hint)),
        ("file_name", year_from_name(name)),
    ]
    try:
        doc.year, doc.year_source, doc.warnings = years.choose(candidates)
    except years.YearMissing:
        raise YearMissing(
            where,
            f"no recognisable year in the title ({doc.title or 'no title found'!r}), nor in a "
            "subtitle, date line, document number, signing date or the file name (give --year)",
        ) from None
    for w in doc.warnings:
        log.warning("%s: %s", where, w)


def parse_extracted(
    ex: Extracted,
    *,
    where: str,
    year_hint: int | None = None,
    year: int | None = None,
    name: str | None = None,
) -> Document:
    return parse_paragraphs(
        ex.paragraphs,
        where=where,
        name=name,
        title_hint=ex.title,
        year_hint=year_hint or ex.year,
        year=year,
        chrome=ex.content_type in ("text/html", "text/plain", "application/json"),
        meta=ex.meta,
    )


def parse_bytes(
    data: bytes,
    name: str,
    content_type: str | None = None,
    *,
    title_hint: str | None = None,
    year_hint: int | None = None,
    year: int | None = None,
    file_name: str | None = None,
    watch: tuple[str, ...] | list[str] = (),
) -> Document:
    """Parse one document's bytes; terms are extracted too. Raises InputError(name, reason).

    `file_name`: the document's own file name when `name` is not it (a raw-store path).
    """
    from policytrack.pipeline.text.terms import extract_terms

    ex = extract(data, name, content_type)
    if title_hint and not ex.title:
        ex.title = title_hint
    doc = parse_extracted(ex, where=name, year_hint=year_hint, year=year, name=file_name)
    doc.terms = extract_terms(doc, watch=watch)
    return doc


def parse_file(
    path: str | Path, *, year: int | None = None, year_hint: int | None = None, watch=()
) -> Document:
    """Parse a file; its name is a year and title source of last resort."""
    path = Path(path)
    data = read_file(path)  # size and file type checked before reading
    return parse_bytes(
        data, str(path), year=year, year_hint=year_hint, file_name=path.name, watch=watch
    )
