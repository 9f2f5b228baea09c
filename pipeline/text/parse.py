"""Paragraphs → Document: the edges of the body, the header fields, the outline.

One entry point per input shape (paragraphs, Extracted, bytes, a file); the work is done by
edges.py (chrome, trailers), header.py (header fields), outline.py (sections and items).
"""

from __future__ import annotations

import re
from pathlib import Path

from policytrack.pipeline.core.errors import InputError
from policytrack.pipeline.text import vocab
from policytrack.pipeline.text.edges import clean_paragraphs, is_chrome, split_licence
from policytrack.pipeline.text.extract import Extracted, extract
from policytrack.pipeline.text.header import (
    ATTACHMENT_LINE,
    INNER_TITLE,
    genre_of,
    is_title_like,
    meta_line,
    sign_date,
    year_from_title,
)
from policytrack.pipeline.text.markers import cn_number, match_marker
from policytrack.pipeline.text.model import Document
from policytrack.pipeline.text.normalize import is_traditional, normalize
from policytrack.pipeline.text.outline import (
    build_sections,
    lead_clause,
    prose_section,
    split_sentences,
)

# Re-exported: callers import these from the parser.
__all__ = [
    "cn_number", "clean_paragraphs", "genre_of", "is_chrome", "lead_clause", "match_marker",
    "parse_bytes", "parse_extracted", "parse_file", "parse_paragraphs", "split_sentences",
    "year_from_title",
]  # fmt: skip


def parse_paragraphs(
    paragraphs: list[str],
    *,
    where: str = "input",
    title_hint: str | None = None,
    year_hint: int | None = None,
    chrome: bool = True,
) -> Document:
    """Build a Document from paragraphs (already extracted from the file)."""
    paragraphs, licence = split_licence(paragraphs)
    dropped: list[str] = []
    paras = clean_paragraphs(paragraphs, chrome, dropped)
    if not paras:
        raise InputError(where, "empty document (only page furniture, no notice text)")
    trad = is_traditional("".join(paras))
    norm = [normalize(p, simplified=trad) for p in paras]

    # Where does the body start? At the first marker numbered 1 (一、 or 1、 …).
    first = next((i for i, p in enumerate(norm) if (m := match_marker(p)) and m.no == 1), None)
    header_end = first if first is not None else len(norm)

    doc = Document(title="", year=0)
    doc.trailer = "\n".join(dropped + licence)
    doc.trailer_kinds = (["chrome"] if dropped else []) + (["licence"] if licence else [])
    used: set[int] = set()
    title_idx = None
    sign_idx = None
    for i in range(header_end):
        p = norm[i]
        meta = meta_line(p)
        if meta and (meta[0] or meta[1]) and doc.published_at is None and not sign_date(p):
            doc.published_at, dept = meta
            doc.department = dept or doc.department
            used.add(i)
            continue
        if not doc.doc_number and (m := vocab.DOC_NUMBER.match(p)):
            doc.doc_number = p.replace(" ", "")
            used.add(i)
            continue
        if (d := sign_date(p)) and sign_idx is None:
            doc.issued_on, sign_idx = d, i
            used.add(i)
            prev = i - 1
            if (
                prev >= 0
                and prev not in used
                and len(norm[prev]) <= 40
                and not re.search(r"[。，：:；,]", norm[prev])
            ):
                doc.issuer = norm[prev]
                used.add(prev)
            continue
        if not doc.page_title and is_title_like(p) and i not in used and not doc.addressees:
            doc.page_title = p
            used.add(i)
            continue
        if not doc.addressees and p[-1] in "：:" and len(p) < 200 and i not in used:
            doc.addressees = p[:-1].strip()
            used.add(i)
            continue
    # The document's own title line: the last title-like line before the body that is not the
    # page title (the seed repeats 省科协2019年工作要点 under the cover letter).
    inner = INNER_TITLE.search(doc.page_title or "")
    for i in range(header_end - 1, -1, -1):
        if i in used:
            continue
        p = norm[i]
        if (inner and p == inner.group(1)) or (is_title_like(p) and year_from_title(p)):
            title_idx = i
            break
    if title_idx is not None:
        doc.title = norm[title_idx]
        used.add(title_idx)
    elif inner:
        doc.title = inner.group(1)
    elif title_hint:
        doc.title = normalize(title_hint)
    else:
        doc.title = doc.page_title

    year = year_from_title(doc.title) or year_from_title(doc.page_title)
    if year is None and title_hint:
        year = year_from_title(title_hint)
    if year is None:
        year = year_hint
    if year is None:
        raise InputError(
            where, f"no recognisable year in the title ({doc.title or 'no title found'!r})"
        )
    doc.year = int(year)
    doc.genre = genre_of(doc.title or doc.page_title or title_hint or "")

    # Preamble: what follows the title line (or the signature) up to the body.
    start = (
        (title_idx + 1) if title_idx is not None else (sign_idx + 1 if sign_idx is not None else 0)
    )
    doc.preamble = "\n".join(norm[i] for i in range(start, header_end) if i not in used)

    if first is None:
        if doc.genre != "report":
            raise InputError(where, "no numbered items found (no 一、 / 1、 / （一） markers)")
        # Long-form reports can be unnumbered prose (the 1954 and 1975 reports): keep each
        # paragraph as a unit so alignment and term paths still work.
        body = [i for i in range(start, len(norm)) if i not in used]
        doc.preamble = ""
        if not body:
            raise InputError(where, "no text after the header")
        doc.sections = [prose_section([norm[i] for i in body], [paras[i] for i in body])]
        return doc

    end = next(
        (i for i in range(header_end, len(norm)) if ATTACHMENT_LINE.match(norm[i])), len(norm)
    )
    # "附件：…" links after the last item belong to the page, not to the item.
    doc.sections = build_sections(norm[header_end:end], paras[header_end:end])
    if not doc.sections:
        raise InputError(where, "no numbered items found")
    return doc


def parse_extracted(ex: Extracted, *, where: str, year_hint: int | None = None) -> Document:
    return parse_paragraphs(
        ex.paragraphs,
        where=where,
        title_hint=ex.title,
        year_hint=year_hint or ex.year,
        chrome=ex.content_type in ("text/html", "text/plain", "application/json"),
    )


def parse_bytes(
    data: bytes,
    name: str,
    content_type: str | None = None,
    *,
    title_hint: str | None = None,
    year_hint: int | None = None,
    watch: tuple[str, ...] | list[str] = (),
) -> Document:
    """Parse one document's bytes; terms are extracted too. Raises InputError(name, reason)."""
    from policytrack.pipeline.text.terms import extract_terms

    ex = extract(data, name, content_type)
    if title_hint and not ex.title:
        ex.title = title_hint
    doc = parse_extracted(ex, where=name, year_hint=year_hint)
    doc.terms = extract_terms(doc, watch=watch)
    return doc


def parse_file(path: str | Path, *, year_hint: int | None = None, watch=()) -> Document:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(str(path), exc.strerror or exc.__class__.__name__) from exc
    return parse_bytes(data, str(path), year_hint=year_hint, watch=watch)
