"""The real Party congress reports: one series, years from honest sources, outlines, trailers.

Expected values: tests/fixtures/documents/cpc_expected.json (written by reading the corpus).
"""

from __future__ import annotations

import json

import pytest

from policytrack.pipeline.jobs.build import build
from policytrack.pipeline.jobs.ingest import ingest
from policytrack.pipeline.store.tables import read_table
from policytrack.pipeline.text.parse import parse_bytes
from tests.conftest import SHARED, _need
from tests.text.test_documents import FIELDS, FIXTURES, _value

pytestmark = pytest.mark.xdist_group("cpc")

CPC = json.loads((FIXTURES / "cpc_expected.json").read_text("utf-8"))
REPORTS = {r["row"]: r for r in CPC["reports"]}
SERIES = "在中国共产党全国代表大会上的报告"
# Congress → year (vocab.CONGRESS_YEARS; historical facts) for the rows of the one series.
YEARS = {3: 1923, 9: 1969, 10: 1973, 11: 1977, 12: 1982, 13: 1987, 14: 1992, 15: 1997,
         16: 2002, 17: 2007, 18: 2012, 19: 2017, 20: 2022}  # fmt: skip


@pytest.fixture(scope="module")
def rows() -> list[bytes]:
    path = _need(SHARED / "corpus" / "cpc_congress_reports.jsonl")
    return path.read_bytes().rstrip(b"\n").split(b"\n")


@pytest.fixture(scope="module")
def cpc_build(rows, tmp_path_factory):
    data = tmp_path_factory.mktemp("cpc") / "data"
    result = ingest([SHARED / "corpus" / "cpc_congress_reports.jsonl"], "cpc", data)
    build(data)
    docs = read_table(data, "documents")
    aligned = read_table(data, "alignments")
    return result, docs, aligned


def _parse(rows, row: int, **kw):
    name = f"cpc_congress_reports.jsonl#L{row + 1}.json"
    return parse_bytes(rows[row], name, "application/json", **kw)


def test_the_stub_is_skipped_with_a_reason(cpc_build):
    result, _, _ = cpc_build
    assert len(result.added) == 15
    [(where, reason)] = result.skipped
    assert where.endswith("cpc_congress_reports.jsonl:4")  # the 7th congress row
    assert reason == "not a document: a list of versions of another page ('论联合政府的版本包括：')"


def test_one_series_with_the_congress_years(cpc_build):
    _, docs, aligned = cpc_build
    series = docs[docs.series == SERIES].sort_values("year")
    assert series.year.tolist() == sorted(YEARS.values())
    assert series.year_source.tolist() == ["congress"] * 11 + ["date_line"] * 2
    # The two 1921 regional reports are issued by two local organisations (named in their
    # titles): each is its own series, so the congress series keeps one report per congress.
    others = docs[docs.series != SERIES].sort_values("series")
    assert list(zip(others.series, others.year, others.issuer, strict=True)) == [
        ("北京共产主义组织的报告", 1921, "北京共产主义组织"),
        ("广州共产党报告", 1921, "广州共产党"),
    ]
    # The series aligns: links between consecutive congresses exist.
    links = aligned[aligned.series == SERIES]
    linked = links[links.relation.isin(["unchanged", "revised", "split", "merged"])]
    assert {(2007, 2012), (2017, 2022)} <= set(zip(linked.year_from, linked.year_to, strict=True))


@pytest.mark.parametrize("row", sorted(REPORTS))
def test_report_header_and_outline(rows, row):
    report = REPORTS[row]
    exp = report["expected"]
    doc = _parse(rows, row)
    got = {f: _value(f, getattr(doc, f)) for f in FIELDS}
    assert got == {f: _value(f, exp[f]) for f in FIELDS}
    numbered = [s for s in doc.sections if s.marker]
    assert (len(numbered), len(doc.numbered_items)) == (exp["n_sections"], exp["n_items"])
    if report["first_section"]:
        assert (numbered[0].title, numbered[-1].title) == (
            report["first_section"],
            report["last_section"],
        )
    assert doc.trailer_kinds == exp["trailer_kinds"]
    assert doc.speaker == report.get("speaker", "")
    assert doc.series == SERIES
    # The last body paragraph is the closing, section-level text, never part of an item.
    last = doc.sections[-1].items[-1]
    assert last.level == "paragraph"
    assert last.text.startswith(report["last_body_paragraph_starts"])


# Reports whose text carries its own date line have no `with_year_option` case.
@pytest.mark.parametrize("row", sorted(r for r in REPORTS if REPORTS[r]["with_year_option"]))
def test_a_year_option_outranks_the_congress(rows, row):
    option = REPORTS[row]["with_year_option"]
    doc = _parse(rows, row, year=option["options"]["year"])
    assert (doc.year, doc.year_source) == (option["expected"]["year"], "option")
    assert doc.warnings == []  # the congress table agrees


def test_licence_years_are_never_read(rows):
    # The licence template cites 1949, 2011 and 2024; none may become a year or a date.
    for row in REPORTS:
        doc = _parse(rows, row)
        assert "本作品来自1949年10月1日（含）之后的中国共产党文件" in doc.trailer
        assert doc.issued_on in (None, REPORTS[row]["expected"]["issued_on"])


def test_traditional_third_congress(rows):
    doc = _parse(rows, 2)
    assert (doc.year, doc.year_source, doc.speaker) == (1923, "congress", "陈独秀")
    assert (doc.issuer, doc.issuer_source) == ("中央委员会", "body")  # 現在我代表中央委員會作…
    assert doc.trailer_kinds == ["editor"]  # five footnotes (↑ …), no licence
    assert "↑\n為代表大會之誤，下同。" in doc.trailer  # kept as found
