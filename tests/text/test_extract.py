"""Format extraction: PDF fallback on undecodable glyphs, HTML furniture, encodings."""

from __future__ import annotations

import pytest

from policytrack.pipeline.core.errors import InputError
from policytrack.pipeline.text import extract as ex
from policytrack.pipeline.text.extract import decode_text
from policytrack.pipeline.text.parse import parse_bytes
from tests.support.documents import notice_html, notice_text


def make_pdf(text: str) -> bytes:
    import pymupdf

    doc = pymupdf.open()
    page = doc.new_page()
    y = 72
    for line in text.strip().split("\n"):
        page.insert_text((50, y), line, fontname="china-s", fontsize=10)
        y += 16
    return doc.tobytes()


def test_pdf_notice_parses():
    doc = parse_bytes(make_pdf(notice_text(2023)), "n.pdf")
    assert (doc.title, doc.year) == ("测试协会2023年工作要点", 2023)
    assert [i.heading for i in doc.numbered_items] == [
        "完善会员服务",
        "加强制度建设",
        "开展学术交流",
    ]


def test_pdf_falls_back_when_glyphs_undecodable(monkeypatch):
    calls = []

    def garbled(data):
        calls.append("pdfplumber")
        return "(cid:3512)(cid:2087)(cid:4410)" * 20

    monkeypatch.setattr(ex, "PDF_EXTRACTORS", (("pdfplumber", garbled),) + ex.PDF_EXTRACTORS[1:])
    result = ex.extract(make_pdf(notice_text(2023)), "n.pdf")
    assert calls == ["pdfplumber"]
    assert result.meta["extractor"] == "pymupdf"
    assert "测试协会2023年工作要点" in result.text


def test_pdf_all_extractors_garbled(monkeypatch):
    bad = ("x", lambda data: "\ufffd" * 100)
    monkeypatch.setattr(ex, "PDF_EXTRACTORS", (bad, bad))
    with pytest.raises(InputError, match=r"n\.pdf: PDF text could not be extracted"):
        ex.extract(make_pdf("测试"), "n.pdf")


def test_fake_pdf_and_fake_docx():
    with pytest.raises(InputError, match="not a valid PDF"):
        ex.extract(b"hello, not a pdf", "x.pdf")
    with pytest.raises(InputError, match="not a valid .docx"):
        ex.extract(b"plain text", "x.docx")


def test_html_furniture_dropped_but_wrapper_kept():
    html = (
        notice_html(2020)
        .replace("<body>", "<body><div id='main-nav'>")
        .replace("</body>", "</div><div class='footer'>版权所有 测试协会</div></body>")
    )
    doc = parse_bytes(html.encode(), "p.html")
    assert doc.year == 2020 and len(doc.numbered_items) == 3
    assert all("版权所有" not in i.text for i in doc.iter_items())


@pytest.mark.parametrize(
    ("declared", "encoding"), [(None, "gb18030"), ("gb2312", "gb18030"), ("utf-8", "gb18030")]
)
def test_decode_gbk_declared_or_not(declared, encoding):
    data = "关于印发《工作要点》的通知".encode("gbk")
    text, enc = ex.decode_text(data, declared)
    assert text == "关于印发《工作要点》的通知" and enc == encoding


def test_traditional_mirror_is_simplified():
    trad = notice_text(2020).replace("组织建设", "組織建設").replace("会员服务", "會員服務")
    trad = trad.replace("测试协会", "測試協會").replace("工作要点", "工作要點")
    trad = trad.replace("加强制度建设", "加強制度建設").replace("开展学术交流", "開展學術交流")
    doc = parse_bytes(trad.encode("utf-8"), "t.txt")
    assert doc.title == "测试协会2020年工作要点"
    assert [i.heading for i in doc.numbered_items] == [
        "完善会员服务",
        "加强制度建设",
        "开展学术交流",
    ]
    assert doc.sections[0].title == "加强组织建设"


def test_gbk_page_mislabelled_latin1_decodes_as_gbk():
    data = '<meta charset="iso-8859-1"><p>关于印发《工作要点》的通知</p>'.encode("gbk")
    text, enc = decode_text(data)
    assert enc == "gb18030" and "关于印发《工作要点》的通知" in text
