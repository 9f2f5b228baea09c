"""Issue 16, extraction: bounded reads, decompression budgets, hostile markup, honest messages.

Each test asserts the exact one-line message. The bombs are written by hand (a deflate stream of
repeated full-flush segments), so building a 1 GB bomb costs a millisecond, not a gigabyte.
"""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import time
import tracemalloc
import zlib
from pathlib import Path

import pytest

from policytrack.pipeline.core.errors import InputError
from policytrack.pipeline.text import vocab
from policytrack.pipeline.text.extract import extract
from policytrack.pipeline.text.parse import parse_bytes, parse_file
from tests.support.documents import notice_html, notice_text

CLI = [sys.executable, "-m", "policytrack.pipeline.cli"]
MB = 1 << 20


def deflate_zeros(mb: int, *, zlib_wrapper: bool = False) -> bytes:
    """A deflate stream inflating to `mb` MiB of zeros, built from one compressed MiB repeated."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    segment = c.compress(b"\0" * MB) + c.flush(zlib.Z_FULL_FLUSH)
    body = segment * mb + c.flush()
    # The checksum is not computed (it would cost a pass over the gigabyte): a reader that
    # inflated the stream would only find that out at its end, which is what the budget prevents.
    return (b"\x78\xda" + body + b"\0\0\0\0") if zlib_wrapper else body


def zip_bytes(parts: dict[str, tuple[bytes, int]]) -> bytes:
    """A zip of pre-deflated parts {name: (deflated bytes, inflated size)}."""
    out, central = bytearray(), bytearray()
    for name, (data, size) in parts.items():
        n = name.encode()
        offset = len(out)
        out += struct.pack(
            "<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, 0, len(data), size, len(n), 0
        )
        out += n + data
        central += struct.pack(
            "<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0, 0, len(data), size, len(n),
            0, 0, 0, 0, 0, offset,
        )  # fmt: skip
        central += n
    end = struct.pack(
        "<IHHHHIIH", 0x06054B50, 0, 0, len(parts), len(parts), len(central), len(out), 0
    )
    return bytes(out + central + end)


def docx_bomb(mb: int) -> bytes:
    types = zlib.compressobj(9, zlib.DEFLATED, -15)
    ct = b'<?xml version="1.0"?><Types/>'
    small = types.compress(ct) + types.flush()
    return zip_bytes(
        {"[Content_Types].xml": (small, len(ct)), "word/document.xml": (deflate_zeros(mb), mb * MB)}
    )


def pdf_bomb(mb: int) -> bytes:
    stream = deflate_zeros(mb, zlib_wrapper=True)
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for k, obj in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % k + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return bytes(out)


def refused(fn, *args):
    with pytest.raises(InputError) as err:
        fn(*args)
    return str(err.value)


# -- bounded reads ------------------------------------------------------------------------------


def test_size_is_checked_before_reading(tmp_path, monkeypatch):
    big = tmp_path / "big.txt"
    with open(big, "wb") as fh:
        fh.truncate(60 * MB)  # sparse: 60 MB on paper, nothing on disk

    def no_open(*a, **k):
        raise AssertionError("the file was opened")

    monkeypatch.setattr("builtins.open", no_open)
    assert refused(parse_file, big) == f"{big}: file too large (60 MB > 50 MB)"


def test_fifo_is_refused_not_waited_on(tmp_path):
    fifo = tmp_path / "notice.txt"
    os.mkfifo(fifo)
    assert refused(parse_file, fifo) == (
        f"{fifo}: not a regular file (a FIFO); only regular files are read"
    )
    proc = subprocess.run([*CLI, "parse", str(fifo)], capture_output=True, text=True, timeout=60)
    assert (proc.returncode, proc.stderr) == (
        1, f"error: {fifo}: not a regular file (a FIFO); only regular files are read\n",
    )  # fmt: skip


def test_symlink_to_dev_zero_is_refused(tmp_path):
    link = tmp_path / "notice.html"
    link.symlink_to("/dev/zero")
    assert refused(parse_file, link) == (
        f"{link}: not a regular file (a character device); only regular files are read"
    )


# -- decompression budget -----------------------------------------------------------------------


def _fast_and_small(fn, *args) -> str:
    import pymupdf  # noqa: F401  (imported before tracing: an import is not the check's cost)

    tracemalloc.start()
    t = time.process_time()  # CPU time: the machine may be busy with other work
    try:
        message = refused(fn, *args)
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert time.process_time() - t < 5 and peak < 64 * MB, (time.process_time() - t, peak)
    return message


def test_docx_zip_bomb_fails_fast():
    bomb = docx_bomb(1024)  # 1 MB that would unpack to 1 GB
    assert 0.9 * MB < len(bomb) < 2 * MB
    assert _fast_and_small(extract, bomb, "bomb.docx") == (
        "bomb.docx: refused: the .docx would unpack to 1024 MB from 1 MB (limit 200 MB): "
        "a decompression bomb"
    )


def test_docx_part_compressed_too_well():
    bomb = docx_bomb(20)  # within the size budget, but 1000:1
    message = _fast_and_small(extract, bomb, "ratio.docx")
    assert message.startswith("ratio.docx: refused: word/document.xml in the .docx is compressed ")
    assert message.endswith(":1 (limit 100:1): a decompression bomb")


def test_pdf_stream_bomb_fails_fast():
    bomb = pdf_bomb(1024)
    assert _fast_and_small(extract, bomb, "bomb.pdf") == (
        "bomb.pdf: refused: the PDF's streams would unpack to more than 200 MB from 1 MB: "
        "a decompression bomb"
    )


def test_encrypted_pdf_says_encrypted():
    import pymupdf

    doc = pymupdf.open()
    doc.new_page().insert_text((50, 72), "测试协会2023年工作要点", fontname="china-s")
    data = doc.tobytes(encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="u", owner_pw="o")
    assert refused(extract, data, "locked.pdf") == (
        "locked.pdf: encrypted PDF: it needs a password, so its text cannot be read"
    )


def test_image_only_pdf_says_no_text_layer():
    import pymupdf

    doc = pymupdf.open()
    page = doc.new_page()
    pix = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, 200, 100), False)
    pix.set_rect(pix.irect, (255, 255, 255))
    page.insert_image(pymupdf.Rect(50, 50, 450, 250), pixmap=pix)
    assert refused(extract, doc.tobytes(), "scan.pdf") == (
        "scan.pdf: PDF has no text layer (scanned pages?): its text needs OCR"
    )


# -- hostile markup and numbers ----------------------------------------------------------------


def test_control_characters_from_word_do_not_lose_the_notice():
    html = notice_html(2020).replace("完善会员服务", "完善\x0b会员\x08服务")
    doc = parse_bytes(html.encode(), "p.html")
    assert [i.heading for i in doc.numbered_items] == [
        "完善会员服务",
        "加强制度建设",
        "开展学术交流",
    ]


def test_html_nested_100k_deep():
    html = "<html><body>" + "<div>" * 100_000 + "<p>一、加强建设</p>" + "</div>" * 100_000
    assert refused(extract, html.encode(), "deep.html") == (
        "deep.html: HTML nested too deeply (more than 256 levels of elements)"
    )


@pytest.mark.parametrize("year", ["Infinity", "1e400", "99999999999999999999", "-2019"])
def test_absurd_json_year_is_not_a_year(year):
    content = json.dumps("\n\n".join(notice_text(2020).splitlines()), ensure_ascii=False)
    row = f'{{"title": "测试协会2020年工作要点", "content": {content}, "year": {year}}}'
    doc = parse_bytes(row.encode(), "row.json")
    assert (doc.year, doc.year_source) == (2020, "title")


def test_json_nested_too_deep():
    assert refused(extract, b"[" * 100_000 + b"]" * 100_000, "deep.json") == (
        "deep.json: invalid JSON (nested too deep)"
    )


def test_year_option_out_of_range(tmp_path):
    p = tmp_path / "n.txt"
    p.write_text(notice_text(2020), "utf-8")
    assert refused(lambda: parse_file(p, year=99999)) == (
        f"{p}: year 99999 is out of range ({vocab.year_range()})"
    )


def test_years_from_the_text_are_checked():
    text = notice_text(2019).replace("测试协会2019年工作要点", "测试协会2099年工作要点")
    doc = parse_bytes(text.encode(), "n.txt")
    assert (doc.year, doc.year_source) == (2019, "doc_number")
    assert f"year 2099 from the title ignored: out of range ({vocab.year_range()})" in doc.warnings


def test_bombs_are_small_files(tmp_path):
    # The hand-made bombs are what a crawler could download: a megabyte each.
    assert len(pdf_bomb(1024)) < 2 * MB and Path(tmp_path).exists()
