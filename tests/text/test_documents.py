"""Issue 13: header fields, sources, outlines and trailers of documents from any issuer.

Every expected value lives in tests/fixtures/documents/*.expected.json, written by reading the
documents (see that folder's README, including the conventions the parser's design changed).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

from policytrack.pipeline.core.errors import InputError
from policytrack.pipeline.text.normalize import normalize
from policytrack.pipeline.text.parse import parse_file
from tests.fixtures.documents.make_binary import load_spec, make_docx, make_pdf

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "documents"
EXPECTED = {p.name.removesuffix(".expected.json"): json.loads(p.read_text("utf-8"))
            for p in sorted(FIXTURES.glob("*.expected.json"))}  # fmt: skip
CASES = [(name, fmt) for name, exp in EXPECTED.items() for fmt in exp["formats"]]
FIELDS = ["title", "title_source", "subtitle", "year", "year_source", "issuer", "issuer_source",
          "issued_on", "issued_on_source", "doc_number", "genre", "addressees"]  # fmt: skip
LOOSE = {"title", "subtitle"}  # compared with whitespace removed (README, "Comparing")
CLI = [sys.executable, "-m", "policytrack.pipeline.cli"]


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[tuple[str, str], Path]:
    out = tmp_path_factory.mktemp("documents")
    paths = {}
    for name, fmt in CASES:
        source = EXPECTED[name]["fixture"]
        if source.endswith(".spec.json"):
            spec = load_spec(source)
            make = make_pdf if fmt == "pdf" else make_docx
            paths[name, fmt] = make(spec, out / f"{spec['name']}.{fmt}")
        else:
            paths[name, fmt] = shutil.copy(FIXTURES / source, out / source)
    return {k: Path(v) for k, v in paths.items()}


@pytest.fixture(scope="module")
def docs(files):
    return {
        case: parse_file(path, year=EXPECTED[case[0]]["options"].get("year"))
        for case, path in files.items()
    }


def _value(field: str, value):
    if value in (None, ""):
        return None
    if field in LOOSE:
        return "".join(normalize(value).split())
    return value


@pytest.mark.parametrize("case", CASES, ids=[f"{n}.{f}" for n, f in CASES])
def test_header_fields_and_sources(docs, case):
    doc, expected = docs[case], EXPECTED[case[0]]["expected"]
    got = {f: _value(f, getattr(doc, f)) for f in FIELDS}
    assert got == {f: _value(f, expected[f]) for f in FIELDS}
    if "speaker" in EXPECTED[case[0]]:
        assert (doc.speaker, doc.speaker_role) == (
            EXPECTED[case[0]]["speaker"],
            EXPECTED[case[0]]["speaker_role"],
        )


@pytest.mark.parametrize("case", CASES, ids=[f"{n}.{f}" for n, f in CASES])
def test_outline_counts_and_trailer(docs, case):
    doc, exp = docs[case], EXPECTED[case[0]]
    numbered = [s for s in doc.sections if s.marker]
    outline = [
        (s.marker, s.no, "".join(s.title.split()), [i.marker for i in s.items if i.marker])
        for s in numbered
    ]
    assert outline == [
        (o["marker"], o["no"], "".join(o["title"].split()), o["items"]) for o in exp["outline"]
    ]
    assert (len(numbered), len(doc.numbered_items)) == (
        exp["expected"]["n_sections"],
        exp["expected"]["n_items"],
    )
    assert sorted(doc.trailer_kinds) == sorted(exp["expected"]["trailer_kinds"])


@pytest.mark.parametrize("case", CASES, ids=[f"{n}.{f}" for n, f in CASES])
def test_checks(docs, case):
    doc, checks = docs[case], EXPECTED[case[0]].get("checks", {})
    texts = [s.title for s in doc.sections] + [s.text for s in doc.sections]
    texts += [i.text for i in doc.iter_items()]
    nfc = [unicodedata.normalize("NFC", t) for t in texts]
    for s in checks.get("outline_excludes", []):
        assert not [t for t in nfc if s in t], s
    for s in checks.get("items_exclude", []):
        assert not [i for i in doc.numbered_items if s in i.text], s
    for s in checks.get("text_contains", []):
        assert [t for t in texts if s in t], s
    for s in checks.get("preamble_contains", []):
        assert s in doc.preamble
    for s in checks.get("addressees_exclude", []):
        assert s not in doc.addressees


@pytest.mark.parametrize(
    ("name", "variant"),
    [(n, v) for n, e in EXPECTED.items() for v in range(len(e.get("variants", [])))],
)
def test_variants(files, name, variant):
    spec = EXPECTED[name]["variants"][variant]
    fmt = EXPECTED[name]["formats"][0]
    doc = parse_file(files[name, fmt], year=spec["options"].get("year"))
    assert {f: getattr(doc, f) for f in spec["expected"]} == spec["expected"]


def test_trailer_keeps_what_the_outline_drops(docs):
    district = docs["district_gov_report_2016", "txt"]
    assert district.trailer.startswith("名词解释\n1．“四上”企业")
    page = docs["saved_page_work_points_2020", "html"]
    assert "责任编辑：王晓燕" in page.trailer and "相关文章" in page.trailer
    assert "南淮省科协2019年工作要点" in page.trailer


def test_closing_is_section_text(docs):
    district = docs["district_gov_report_2016", "txt"]
    last = district.sections[-1]
    assert last.items[-1].level == "paragraph"
    assert last.items[-1].text.startswith("各位代表！新的一年，任务艰巨，使命光荣。")


def test_body_only_file_without_its_name_has_no_year(tmp_path):
    renamed = tmp_path / "x.txt"
    shutil.copy(FIXTURES / "2017渔业渔政工作要点.txt", renamed)
    with pytest.raises(InputError, match="no recognisable year") as err:
        parse_file(renamed)
    assert "file name" in str(err.value)  # names the sources it looked in


def test_year_sources_that_disagree_are_warned(tmp_path):
    text = (FIXTURES / "notice_year_in_docno.txt").read_text("utf-8")
    p = tmp_path / "notice.txt"
    p.write_text(
        text.replace("南淮省科协办公室关于开展", "南淮省科协办公室关于开展2021年"), "utf-8"
    )
    doc = parse_file(p)
    assert (doc.year, doc.year_source) == (2021, "title")
    assert doc.warnings == ["year sources disagree: title 2021, doc_number 2019 (took the title)"]


@pytest.mark.parametrize(
    ("name", "source"),
    [
        ("district_gov_report_2016.txt", "subtitle"),
        ("provincial_gov_report_2017.txt", "date_line"),
        ("notice_year_in_docno.txt", "doc_number"),
        ("2017渔业渔政工作要点.txt", "file_name"),
    ],
)
def test_cli_parse_without_year(name, source):
    out = subprocess.run([*CLI, "parse", str(FIXTURES / name)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    year = EXPECTED[name.rsplit(".", 1)[0]]["expected"]["year"]
    assert out.stdout.splitlines()[0].endswith(
        f"({year}, {EXPECTED[name.rsplit('.', 1)[0]]['expected']['genre']})"
    )
    assert f"  year from  {source}" in out.stdout.splitlines()


def test_seed_header_sources(seed_path):
    # The seed's figures stay in test_parse_seed.py; here, where each field came from.
    doc = parse_file(seed_path)
    assert (doc.title_source, doc.year_source, doc.issuer_source, doc.issued_on_source) == (
        "title", "title", "signing", "signing",
    )  # fmt: skip
    assert (doc.series, doc.warnings) == ("省科协工作要点", [])
    assert doc.trailer_kinds == ["chrome"] and "鄂ICP备13005063号-3" in doc.trailer


def test_plan_signed_the_december_before_is_no_disagreement(docs):
    plan = docs["plan_2018_work_plan", "txt"]
    assert (plan.year, plan.issued_on, plan.warnings) == (2018, "2017-12-28", [])
