"""Bytes → paragraphs. One entry point per format; the parser only ever sees a list of paragraphs.

Formats: HTML (any Chinese encoding, declared or not), plain text, .docx (tables included, in
document order), .pdf (with a check for undecodable output and fallback extractors), .doc (through
LibreOffice when installed), and one JSON object (a row of an ingested .jsonl: title/content/year).
"""

from __future__ import annotations

import io
import logging
import os
import re
import shutil
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from policytrack.pipeline.core.errors import InputError
from policytrack.pipeline.text.jsonrow import parse_json_row
from policytrack.pipeline.text.limits import MAX_BYTES, check_pdf, check_zip, too_large
from policytrack.pipeline.text.vocab import plausible_year

log = logging.getLogger(__name__)

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
TYPES = {
    ".html": "text/html",
    ".htm": "text/html",
    ".txt": "text/plain",
    ".json": "application/json",
    ".docx": DOCX_TYPE,
    ".pdf": "application/pdf",
    ".doc": "application/msword",
}


@dataclass
class Extracted:
    paragraphs: list[str]
    content_type: str
    encoding: str | None = None
    title: str | None = None  # known from metadata (a JSON row's title)
    year: int | None = None  # known from metadata (a JSON row's year)
    meta: dict = field(default_factory=dict)

    @property
    def text(self) -> str:
        return "\n".join(self.paragraphs)


# --------------------------------------------------------------------------------------------
# type and encoding detection


def sniff_type(data: bytes, name: str = "", content_type: str | None = None) -> str:
    """Decide the format from magic bytes first (names and headers lie), then hints."""
    head = data[:8]
    if head.startswith(b"%PDF"):
        return "application/pdf"
    if head.startswith(b"PK\x03\x04"):
        return DOCX_TYPE
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "application/msword"
    ext = os.path.splitext(name.split("#", 1)[0])[1].lower()
    ct = (content_type or "").split(";")[0].strip().lower()
    if ext in (".docx", ".pdf", ".doc") or ct in (DOCX_TYPE, "application/pdf"):
        # Claimed a binary format but the magic bytes disagree: a truncated or fake file.
        return TYPES.get(ext, ct)
    if ext == ".json" or ct == "application/json":
        return "application/json"
    if ext in (".html", ".htm") or ct in ("text/html", "application/xhtml+xml"):
        return "text/html"
    if re.search(rb"<(html|body|div|p|head|meta|table)[\s>/]", data[:4096], re.I):
        return "text/html"
    return "text/plain"


_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_-]+)""", re.I)
# GB2312 and GBK pages routinely contain characters outside their nominal repertoire;
# GB18030 is a superset of both, so decoding with it never fails on a mislabelled page.
_ALIASES = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "gb_2312-80": "gb18030"}


_SINGLE_BYTE = {
    "iso-8859-1", "latin-1", "latin1", "windows-1252", "cp1252", "ascii", "us-ascii",
    "iso-8859-15", "windows-1250", "cp1250",
}  # fmt: skip


def _canon(enc: str) -> str:
    enc = enc.lower().strip()
    return _ALIASES.get(enc, enc)


def decode_text(data: bytes, declared: str | None = None, where: str = "") -> tuple[str, str]:
    """Decode bytes of a text/HTML document; return (text, encoding).

    Order: BOM, a declared charset (HTTP header or <meta>) that actually decodes, strict UTF-8,
    strict GB18030, then charset-normalizer. Undeclared GBK is the common case on Chinese sites.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), "utf-8"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace"), "utf-16"
    candidates: list[str] = []
    if declared:
        candidates.append(_canon(declared))
    m = _META_CHARSET.search(data[:4096])
    if m:
        candidates.append(_canon(m.group(1).decode("ascii", "ignore")))
    # A single-byte charset decodes any bytes, so a GBK page mislabelled latin-1 would turn to
    # mojibake: such a declaration only counts after strict UTF-8 and GB18030 have failed.
    trusted = [c for c in candidates if c not in _SINGLE_BYTE]
    candidates = trusted + ["utf-8", "gb18030"] + [c for c in candidates if c in _SINGLE_BYTE]
    for enc in dict.fromkeys(candidates):
        try:
            return data.decode(enc), enc
        except (LookupError, UnicodeDecodeError):
            continue
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise InputError(where or "input", "binary or undecodable content (no text encoding fits)")
    return str(best), best.encoding


# C0 controls other than \t \n \f \r, and the replacement character: a binary file's marks.
_BAD_CHAR = re.compile("[\x00-\x08\x0b\x0e-\x1f\ufffd]")


def _check_text(text: str, where: str) -> None:
    if not text.strip():
        raise InputError(where, "empty document (no text)")
    sample = text[:20000]
    bad = len(_BAD_CHAR.findall(sample))
    if bad / max(len(sample), 1) > 0.02:
        raise InputError(where, "binary or undecodable content (control characters in text)")


# --------------------------------------------------------------------------------------------
# per-format extraction

_BLOCK_TAGS = {
    "p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "section",
    "article", "ul", "ol", "dd", "dt", "dl", "blockquote", "pre", "center", "td", "th",
    "header", "footer", "nav", "form", "title", "hr",
}  # fmt: skip
# <head> goes too: its <title> repeats the page heading with the site name appended.
_DROP_TAGS = (
    "head",
    "script",
    "style",
    "noscript",
    "template",
    "iframe",
    "object",
    "svg",
    "select",
)
# Containers whose class/id says they are page furniture, not the notice.
_CHROME_ATTR = re.compile(
    r"(^|[\s_-])(nav|navbar|menu|footer|foot|copyright|breadcrumb|crumbs?|sidebar|share|"
    r"banner|topbar|friendlink|links)([\s_-]|$)",
    re.I,
)


# Control characters lxml refuses (Word's \x0b soft line break, a stray \x08 …) are dropped;
# tab, newline and carriage return stay.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def html_paragraphs(html: str) -> list[str]:
    """Visible text of an HTML page, one paragraph per block element."""
    import lxml.html

    parser = lxml.html.HTMLParser()
    try:
        root = lxml.html.document_fromstring(_CONTROL.sub("", html), parser=parser)
    except Exception as exc:  # lxml raises several types on garbage
        raise ValueError(f"unparseable HTML ({exc.__class__.__name__})") from exc
    if any("Excessive depth" in e.message for e in parser.error_log):
        raise ValueError("HTML nested too deeply (more than 256 levels of elements)")
    for el in root.iter(*_DROP_TAGS):
        el.drop_tree()
    total = len(root.text_content() or "")
    for el in list(root.iter("nav", "footer", "div", "ul", "header", "td", "table", "span", "p")):
        attrs = f"{el.get('class', '')} {el.get('id', '')}"
        furniture = el.tag in ("nav", "footer") or _CHROME_ATTR.search(attrs)
        # Only drop furniture that is a small part of the page: a layout may wrap everything
        # in a div called "main-nav" and the notice must survive that.
        small = len(el.text_content() or "") < 0.3 * max(total, 1)
        if furniture and small and el.getparent() is not None:
            el.drop_tree()
    for el in root.iter(*_BLOCK_TAGS):
        el.tail = "\n" + (el.tail or "")
        if el.tag not in ("br", "hr"):
            el.text = "\n" + (el.text or "")
    text = root.text_content()
    return [line.strip() for line in text.split("\n")]


def docx_paragraphs(data: bytes) -> list[str]:
    """Paragraphs and table rows of a .docx in document order."""
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    document = docx.Document(io.BytesIO(data))
    out: list[str] = []
    for block in document.element.body.iterchildren():
        tag = block.tag.rsplit("}", 1)[-1]
        if tag == "p":
            out.append(Paragraph(block, document).text.strip())
        elif tag == "tbl":
            for row in Table(block, document).rows:
                cells: list[str] = []
                for cell in row.cells:
                    t = cell.text.strip()
                    if t and (not cells or cells[-1] != t):  # merged cells repeat their text
                        cells.append(t)
                out.append(" | ".join(cells))
            out.append("")
    return out


_CID = re.compile(r"\(cid:\d+\)")


def pdf_garbled(text: str) -> bool:
    """True when a PDF extractor produced undecodable output: (cid:NNN) glyph ids or U+FFFD."""
    if not text.strip():
        return True
    bad = len(_CID.findall(text)) * 6 + text.count("\ufffd")
    return bad / max(len(text), 1) > 0.01


def _pdf_pdfplumber(data: bytes) -> str:
    import pdfplumber

    with pdfplumber.open(io.BytesIO(data)) as pdf:
        return "\n".join(page.extract_text() or "" for page in pdf.pages)


def _pdf_pymupdf(data: bytes) -> str:
    import pymupdf

    with pymupdf.open(stream=data, filetype="pdf") as pdf:
        return "\n".join(page.get_text() for page in pdf)


def _pdf_pdftotext(data: bytes) -> str:
    exe = shutil.which("pdftotext")
    if not exe:
        raise RuntimeError("pdftotext not installed")
    proc = subprocess.run(
        [exe, "-enc", "UTF-8", "-", "-"], input=data, capture_output=True, timeout=120, check=True
    )
    return proc.stdout.decode("utf-8", errors="replace")


PDF_EXTRACTORS = (
    ("pdfplumber", _pdf_pdfplumber),
    ("pymupdf", _pdf_pymupdf),
    ("pdftotext", _pdf_pdftotext),
)


def pdf_text(data: bytes, where: str = "") -> tuple[str, str]:
    """Text of a PDF and the extractor that produced it; tries the next one on garbled output."""
    errors, empty, garbled = [], 0, 0
    for name, fn in PDF_EXTRACTORS:
        try:
            text = fn(data)
        except Exception as exc:  # each library fails its own way on broken files
            errors.append(f"{name}: {exc.__class__.__name__}")
            continue
        if not pdf_garbled(text):
            return text, name
        if text.strip():
            garbled += 1
            errors.append(f"{name}: undecodable glyphs")
        else:
            empty += 1
            errors.append(f"{name}: no text")
    if empty and not garbled:  # every extractor that ran found pages without text
        raise InputError(where, "PDF has no text layer (scanned pages?): its text needs OCR")
    raise InputError(where, "PDF text could not be extracted (" + "; ".join(errors) + ")")


def reflow_pdf_lines(lines: list[str]) -> list[str]:
    """Join lines a PDF wrapped mid-paragraph.

    A line that runs (nearly) to the full measure and does not end a sentence continues on the
    next line; short lines (titles, dates, signatures) stand alone.
    """
    lines = _drop_page_numbers([ln.strip() for ln in lines])
    lengths = sorted(len(ln) for ln in lines if len(ln) > 10)
    if not lengths:
        return lines
    full = lengths[int(len(lengths) * 0.8)]  # typical full line length
    out: list[str] = []
    joinable = False
    for ln in lines:
        if not ln:
            out.append("")
            joinable = False
            continue
        # A full-measure line was wrapped. When it ends at a 。 the paragraph may still go on:
        # a long next line continues it, a short one (issuer, date, title) stands alone.
        # A line ending in a colon (主送 addressees, 附件：) always stands alone.
        last = out[-1] if out else ""
        ended = bool(last) and last[-1] in _SENTENCE_END
        lead_in = bool(last) and last[-1] in "：:"
        if (
            joinable
            and not lead_in
            and not _starts_with_marker(ln)
            and not _STANDS_ALONE.match(ln)
            and (not ended or len(ln) >= 0.5 * full)
        ):
            out[-1] += ln
        else:
            out.append(ln)
        joinable = len(ln) >= 0.85 * full
    return out


_SENTENCE_END = "。！？；!?;…"
# 1、 1. （1） ① 一、 open a paragraph; 1.2万 (a decimal number) does not.
_MARKER_START = re.compile(
    r"^([一二三四五六七八九十]+、|[（(][一二三四五六七八九十\d]+[）)]|\d+[、.．](?!\d)|[①-⑳])"
)
_PAGE_NUMBER = re.compile(r"^\s*[-—–－]*\s*(第\s*)?\d{1,4}\s*(页)?\s*[-—–－]*\s*$")
# Lines that open a block of their own: an annex list, the colophon.
_STANDS_ALONE = re.compile(r"^(附件|附：|抄送|主送|印发|联系人)")


def _drop_page_numbers(lines: list[str]) -> list[str]:
    """Page numbers (— 2 —) and the blank lines around them sit between the halves of a
    paragraph split by a page break: drop them so the halves join."""
    out: list[str] = []
    after_number = False
    for ln in lines:
        if _PAGE_NUMBER.match(ln):
            while out and not out[-1]:
                out.pop()
            after_number = True
            continue
        if after_number and not ln:
            continue
        after_number = False
        out.append(ln)
    return out


def _starts_with_marker(line: str) -> bool:
    return bool(_MARKER_START.match(line))


def blocks_to_paragraphs(text: str) -> list[str]:
    """Blank-line separated blocks → one paragraph each (single newlines are soft breaks).

    Used for the Government Work Report corpus, whose wiki origin splits paragraphs at links.
    """
    out = []
    for block in re.split(r"\n\s*\n", text):
        lines = [ln for ln in map(str.strip, block.split("\n")) if ln]
        if lines:
            out.append("".join(lines))
        out.append("")
    return out


def doc_to_text(data: bytes, where: str) -> str:
    """Legacy .doc through LibreOffice (a fresh profile per call, so parallel calls don't clash)."""
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    if not exe:
        raise InputError(
            where, "legacy .doc is unsupported here: install LibreOffice to convert it"
        )
    with tempfile.TemporaryDirectory(prefix="policytrack-doc-") as tmp:
        src = Path(tmp) / "in.doc"
        src.write_bytes(data)
        profile = Path(tmp) / "profile"
        cmd = [
            exe, f"-env:UserInstallation=file://{profile}", "--headless",
            "--convert-to", "txt:Text (encoded):UTF8", "--outdir", tmp, str(src),
        ]  # fmt: skip
        try:
            subprocess.run(cmd, capture_output=True, timeout=120, check=True)
            return (Path(tmp) / "in.txt").read_text(encoding="utf-8", errors="replace")
        except (subprocess.SubprocessError, FileNotFoundError) as exc:
            raise InputError(where, f".doc conversion failed ({exc.__class__.__name__})") from exc


# --------------------------------------------------------------------------------------------
# entry points


def extract(data: bytes, name: str = "", content_type: str | None = None) -> Extracted:
    """Any supported document → paragraphs. Raises InputError naming `name` and the reason."""
    where = name or "input"
    if not data or not data.strip():
        raise InputError(where, "empty file")
    if len(data) > MAX_BYTES:
        raise InputError(where, too_large(len(data)))
    ctype = sniff_type(data, name, content_type)
    declared = None
    if content_type and "charset=" in content_type:
        declared = content_type.split("charset=", 1)[1].split(";")[0].strip()

    if ctype == DOCX_TYPE:
        if not data.startswith(b"PK\x03\x04"):
            raise InputError(where, "not a valid .docx (no ZIP signature)")
        check_zip(data, where)
        try:
            paras = docx_paragraphs(data)
        except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
            raise InputError(
                where, f"truncated or corrupt .docx ({exc.__class__.__name__})"
            ) from exc
        except Exception as exc:  # lxml.etree.XMLSyntaxError and other broken-part errors
            raise InputError(
                where, f"truncated or corrupt .docx ({exc.__class__.__name__})"
            ) from exc
        return Extracted(paras, ctype)
    if ctype == "application/pdf":
        if not data.startswith(b"%PDF"):
            raise InputError(where, "not a valid PDF (no %PDF header)")
        check_pdf(data, where)
        text, extractor = pdf_text(data, where)
        return Extracted(reflow_pdf_lines(text.split("\n")), ctype, meta={"extractor": extractor})
    if ctype == "application/msword":
        return Extracted(doc_to_text(data, where).split("\n"), ctype)

    text, encoding = decode_text(data, declared, where)
    _check_text(text, where)
    if ctype == "application/json":
        try:
            row = parse_json_row(text, strict_numbers=False)
        except ValueError as exc:
            raise InputError(where, str(exc)) from None
        if not isinstance(row, dict) or not isinstance(row.get("content"), str):
            raise InputError(where, "JSON document needs a 'content' string (and 'title', 'year')")
        year = row.get("year")
        try:  # 1e400 and Infinity are floats int() cannot take; 99999999 is no year either
            year = int(year) if year not in (None, "") else None
        except (TypeError, ValueError, OverflowError):
            year = None
        if year is not None and not plausible_year(year):
            year = None
        _check_text(row["content"], where)
        title = row.get("title")
        title = "" if title is None else str(title)  # a number or list must not crash the parser
        return Extracted(
            blocks_to_paragraphs(row["content"]), ctype, encoding, title or None, year,
            meta={k: row.get(k) for k in ("url", "congress", "type") if k in row},
        )  # fmt: skip
    if ctype == "text/html":
        try:
            paras = html_paragraphs(text)
        except ValueError as exc:
            raise InputError(where, str(exc)) from exc
        if not any(p.strip() for p in paras):
            raise InputError(where, "empty document (HTML has no visible text)")
        return Extracted(paras, ctype, encoding)
    return Extracted(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), ctype, encoding)


def content_type_for(name: str, data: bytes = b"") -> str:
    return (
        sniff_type(data, name)
        if data
        else TYPES.get(os.path.splitext(name)[1].lower(), "application/octet-stream")
    )
