"""Ingest is idempotent by content; build writes readable parquet and reuses its work."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from policytrack.pipeline.jobs.build import build
from policytrack.pipeline.jobs.ingest import ingest
from policytrack.pipeline.store import layout
from policytrack.pipeline.store.rawstore import RawStore
from policytrack.pipeline.store.tables import read_table
from tests.support.documents import notice_docx, notice_html, notice_text

CLI = [sys.executable, "-m", "policytrack.pipeline.cli"]


def test_ingest_idempotent(tmp_path):
    data = tmp_path / "data"
    a = tmp_path / "a.txt"
    a.write_text(notice_text(2019), encoding="utf-8")
    b = tmp_path / "copy-of-a.txt"
    b.write_text(notice_text(2019), encoding="utf-8")
    first = ingest([a], "demo", data)
    again = ingest([a, b], "demo", data)
    assert (len(first.added), first.duplicates) == (1, 0)
    assert (len(again.added), again.duplicates) == (0, 2)
    records = RawStore(data, "demo").records()
    assert len(records) == 1
    rec = records[0]
    assert rec["year"] == 2019 and rec["title"] == "测试协会2019年工作要点"
    assert rec["series"] == "测试协会工作要点"
    assert rec["original_name"] == "a.txt" and rec["content_type"] == "text/plain"
    assert rec["path"] == f"2019/{rec['sha256'][:16]}.txt"
    assert (data / "raw" / "demo" / rec["path"]).read_bytes() == a.read_bytes()  # untouched
    assert set(rec) >= {"sha256", "original_name", "year", "title", "content_type", "ingested_at"}


@pytest.mark.slow
def test_ingest_cli_formats_and_year_override(tmp_path):
    data = tmp_path / "data"
    (tmp_path / "n.html").write_text(notice_html(2020), encoding="utf-8")
    (tmp_path / "n.docx").write_bytes(notice_docx(2021))
    rows = [
        {"title": "某报告", "content": notice_text(2022), "year": 2022},
        {"title": "无年份的决议", "content": "正文。", "year": None},
    ]
    (tmp_path / "rows.jsonl").write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8"
    )
    out = subprocess.run(
        [*CLI, "ingest", str(tmp_path / "n.html"), str(tmp_path / "n.docx"), str(tmp_path / "rows.jsonl"),
         "--source", "mixed", "--data", str(data)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("3 added, 0 already present, 1 skipped")
    assert "rows.jsonl:2: no year" in out.stderr
    recs = RawStore(data, "mixed").records()
    assert sorted((r["year"], r["content_type"]) for r in recs) == [
        (2020, "text/html"),
        (2021, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        (2022, "application/json"),
    ]
    bad_source = subprocess.run(
        [*CLI, "ingest", str(tmp_path / "n.html"), "--source", "../evil", "--data", str(data)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert bad_source.returncode == 2 and "source '../evil'" in bad_source.stderr
    assert not (tmp_path / "evil").exists()


@pytest.mark.slow
def test_build_tables_and_warm_rebuild(tmp_path):
    data = tmp_path / "data"
    for y in (2019, 2020):
        p = tmp_path / f"{y}.txt"
        p.write_text(notice_text(y), encoding="utf-8")
        ingest([p], "demo", data)
    cold = build(data)
    assert cold.parsed == 2 and cold.failures == []
    docs = read_table(data, "documents")
    assert docs.sort_values("year")[
        ["year", "doc_number", "issuer", "n_sections", "n_items"]
    ].values.tolist() == [
        [2019, "测协办〔2019〕3号", "测试协会", 2, 3],
        [2020, "测协办〔2020〕3号", "测试协会", 2, 3],
    ]
    items = read_table(data, "items")
    y19 = items[items.year == 2019].fillna({"item_no": -1})
    assert y19[
        ["level", "path", "parent_path", "section_no", "item_no", "heading"]
    ].values.tolist() == [
        ["section", "1", "", 1, -1, "加强组织建设"],
        ["item", "1.1", "1", 1, 1, "完善会员服务"],
        ["item", "1.2", "1", 1, 2, "加强制度建设"],
        ["section", "2", "", 2, -1, "提升服务能力"],
        ["item", "2.3", "2", 2, 3, "开展学术交流"],
    ]
    sents = read_table(data, "sentences")
    assert sents[(sents.year == 2019) & (sents.path == "1.1")].text.tolist() == [
        "完善会员服务。", "建立会员联系制度，开展“三大攻坚战”宣讲。",
    ]  # fmt: skip
    terms = read_table(data, "terms")
    t = terms[(terms.year == 2019)].sort_values("term")
    assert t[["term", "kind", "count"]].values.tolist() == [
        ["三大攻坚战", "formula", 1],
        ["服务发展年", "quote", 1],
    ]
    assert list(t[t.term == "三大攻坚战"].paths.iloc[0]) == ["1.1"]
    # The build report says where the time went, stage by stage.
    seconds = layout.current(data / "processed").report["seconds"]
    assert list(seconds) == ["parse", "lexicon", "analyse"]
    assert all(isinstance(v, float) and v >= 0 for v in seconds.values())

    warm = build(data)
    assert (warm.parsed, warm.reused, warm.changed) == (0, 2, False)
    # A new document: only it is parsed.
    p = tmp_path / "2021.txt"
    p.write_text(notice_text(2021), encoding="utf-8")
    ingest([p], "demo", data)
    inc = build(data)
    assert (inc.parsed, inc.reused) == (1, 2)
    assert sorted(read_table(data, "documents").year) == [2019, 2020, 2021]


@pytest.mark.slow
def test_watch_terms_counted_unquoted(tmp_path):
    data = tmp_path / "data"
    p = tmp_path / "n.txt"
    p.write_text(notice_text(2019).replace("举办年会", "举办科普年会"), encoding="utf-8")
    ingest([p], "demo", data)
    build(data, watch="科普年会")
    terms = read_table(data, "terms")
    row = terms[terms.term == "科普年会"]
    assert row[["kind", "count"]].values.tolist() == [["watch", 1]]
    assert list(row.paths.iloc[0]) == ["2.3"]


@pytest.mark.slow
def test_build_sweeps_temp_files_of_killed_writers(tmp_path):
    data = tmp_path / "data"
    p = tmp_path / "n.txt"
    p.write_text(notice_text(2019), encoding="utf-8")
    ingest([p], "demo", data)
    stale = data / "processed" / "sources" / "demo" / ".items.parquet.tmp-dead1234.parquet"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"half a parquet file")
    fresh_raw = data / "raw" / "demo" / "2019" / ".x.html.tmp-live5678.tmp"
    fresh_raw.write_bytes(b"a crawler worker may still be writing this")
    build(data)
    assert not stale.exists()
    assert fresh_raw.exists()  # raw temp files are only swept when a day old


@pytest.mark.slow
def test_build_only_keeps_other_sources_in_combined_tables(tmp_path):
    data = tmp_path / "data"
    for source, year in (("one", 2019), ("two", 2020)):
        p = tmp_path / f"{source}.txt"
        p.write_text(notice_text(year), encoding="utf-8")
        ingest([p], source, data)
    build(data)
    p = tmp_path / "one-2021.txt"
    p.write_text(notice_text(2021), encoding="utf-8")
    ingest([p], "one", data)
    result = build(data, only=["one"])
    assert result.parsed == 1
    docs = read_table(data, "documents")
    assert sorted(zip(docs.source, docs.year, strict=True)) == [
        ("one", 2019), ("one", 2021), ("two", 2020),
    ]  # fmt: skip


@pytest.mark.slow
def test_ingest_year_overrides_the_title(tmp_path):
    data = tmp_path / "data"
    p = tmp_path / "n.txt"
    p.write_text(notice_text(2019), encoding="utf-8")
    proc = subprocess.run(
        [*CLI, "ingest", str(p), "--source", "s", "--year", "2020", "--data", str(data)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    build(data)
    docs = read_table(data, "documents")
    assert docs.year.tolist() == [2020]
    assert docs.raw_path.iloc[0].startswith("2020/")


@pytest.mark.slow
def test_json_row_with_numeric_title_does_not_sink_the_build(tmp_path):
    data = tmp_path / "data"
    # Like the report corpus: paragraphs separated by blank lines.
    rows = [
        {"title": 2019, "content": notice_text(2019).replace("\n", "\n\n"), "year": 2019},
        {
            "title": "测试协会2020年工作要点",
            "content": notice_text(2020).replace("\n", "\n\n"),
            "year": 2020,
        },
    ]
    src = tmp_path / "rows.jsonl"
    src.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), "utf-8")
    ingest([src], "s", data)
    result = build(data)
    assert result.failures == []
    assert sorted(result.documents.year) == [2019, 2020]


@pytest.mark.slow
def test_one_year_build_has_typed_empty_analysis_tables(tmp_path):
    data = tmp_path / "data"
    p = tmp_path / "n.txt"
    p.write_text(notice_text(2019), encoding="utf-8")
    ingest([p], "s", data)
    build(data)
    al = read_table(data, "alignments")
    assert al.empty and {"source", "year_from", "path_to", "relation", "score"} <= set(al.columns)
    gold = tmp_path / "gold.json"
    gold.write_text(json.dumps({"source": "s", "level": "item", "pairs": []}), "utf-8")
    proc = subprocess.run(
        [*CLI, "evaluate", "--gold", str(gold), "--data", str(data)], capture_output=True, text=True
    )
    assert "Traceback" not in proc.stderr


@pytest.mark.slow
def test_short_watched_terms_count_bare(tmp_path):
    data = tmp_path / "data"
    p = tmp_path / "n.txt"
    p.write_text(notice_text(2019).replace("修订章程。", "推进双减和双碳工作，落实双减。"), "utf-8")
    ingest([p], "s", data)
    build(data, watch="双减,双碳")
    terms = read_table(data, "terms").set_index("term")
    assert terms.loc["双减", ["kind", "count"]].tolist() == ["watch", 2]
    assert terms.loc["双碳", ["kind", "count"]].tolist() == ["watch", 1]
    tl = read_table(data, "term_timeline").set_index("term")
    assert tl.loc["双减", ["present", "count", "status"]].tolist() == [True, 2, "new"]
