"""Attachment files built in memory (so no binary lives in the repository): .docx via
python-docx, .pdf via PyMuPDF's built-in CJK font. Both are byte-for-byte deterministic (fixed
ZIP entry times, fixed PDF dates, no random PDF /ID), so two demo runs store identical files."""

from __future__ import annotations

import io
import zipfile

FIXED_TIME = (2024, 1, 1, 0, 0, 0)  # ZIP entry timestamps (python-docx writes the time of day)
PDF_DATE = "D:20240101000000Z"

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def build_docx(paragraphs: list[str], table: list[list[str]] | None = None) -> bytes:
    import docx

    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    if table:
        t = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, cell in enumerate(row):
                t.cell(r, c).text = cell
    buf = io.BytesIO()
    document.save(buf)
    return _fixed_zip(buf.getvalue())


def _fixed_zip(data: bytes) -> bytes:
    """The same archive with every entry dated FIXED_TIME."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME)
            entry.compress_type = info.compress_type
            entry.external_attr = info.external_attr
            dst.writestr(entry, src.read(info.filename))
    return out.getvalue()


def build_pdf(paragraphs: list[str]) -> bytes:
    """An A4 PDF with CJK text (PyMuPDF's built-in china-s font), wrapped like a typeset notice."""
    import pymupdf

    size, margin, per_line = 12, 72, 36
    doc = pymupdf.open()
    page, y = doc.new_page(), margin
    for para in paragraphs:
        lines = [para[i : i + per_line] for i in range(0, len(para), per_line)] or [""]
        for line in lines:
            if y > 842 - margin:
                page, y = doc.new_page(), margin
            if line:
                page.insert_text((margin, y), line, fontname="china-s", fontsize=size)
            y += size * 1.6
        y += size * 0.6
    doc.set_metadata(
        {"creationDate": PDF_DATE, "modDate": PDF_DATE, "producer": "policytrack sample site"}
    )
    data = doc.tobytes(no_new_id=True)
    doc.close()
    return data
