"""Regression tests for review findings: --year override, short watched terms, odd JSON
titles, one-year builds, diff across a reappearance, mislabelled charsets."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd

from policytrack.pipeline.analysis.diff import diff_rows
from policytrack.pipeline.jobs.build import build
from policytrack.pipeline.jobs.ingest import ingest
from policytrack.pipeline.text.extract import decode_text
from tests.support.documents import notice_text

REPO = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-m", "policytrack.pipeline.cli"]


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
    docs = pd.read_parquet(data / "processed" / "documents.parquet")
    assert docs.year.tolist() == [2020]
    assert docs.raw_path.iloc[0].startswith("2020/")


def test_short_watched_terms_count_bare(tmp_path):
    data = tmp_path / "data"
    p = tmp_path / "n.txt"
    p.write_text(notice_text(2019).replace("修订章程。", "推进双减和双碳工作，落实双减。"), "utf-8")
    ingest([p], "s", data)
    build(data, watch="双减,双碳")
    terms = pd.read_parquet(data / "processed" / "terms.parquet").set_index("term")
    assert terms.loc["双减", ["kind", "count"]].tolist() == ["watch", 2]
    assert terms.loc["双碳", ["kind", "count"]].tolist() == ["watch", 1]
    tl = pd.read_parquet(data / "processed" / "term_timeline.parquet").set_index("term")
    assert tl.loc["双减", ["present", "count", "status"]].tolist() == [True, 2, "new"]


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


def test_one_year_build_has_typed_empty_analysis_tables(tmp_path):
    data = tmp_path / "data"
    p = tmp_path / "n.txt"
    p.write_text(notice_text(2019), encoding="utf-8")
    ingest([p], "s", data)
    build(data)
    al = pd.read_parquet(data / "processed" / "alignments.parquet")
    assert al.empty and {"source", "year_from", "path_to", "relation", "score"} <= set(al.columns)
    gold = tmp_path / "gold.json"
    gold.write_text(json.dumps({"source": "s", "level": "item", "pairs": []}), "utf-8")
    proc = subprocess.run(
        [*CLI, "evaluate", "--gold", str(gold), "--data", str(data)], capture_output=True, text=True
    )
    assert "Traceback" not in proc.stderr


def test_diff_shows_an_item_that_reappears(tmp_path):
    data = tmp_path / "data"
    notices = REPO / "sample" / "notices"
    ingest([notices / f"a-{y}.txt" for y in (2022, 2023, 2024)], "sample", data)
    build(data)
    processed = data / "processed"
    series, rows, live = diff_rows(
        pd.read_parquet(processed / "alignments.parquet"),
        pd.read_parquet(processed / "items.parquet"),
        pd.read_parquet(processed / "documents.parquet"),
        "sample",
        2023,
        2024,
    )
    assert not live and series == "市科协工作要点"
    back = [r for r in rows if r.relation == "reappeared"]
    assert [(r.path_a, r.path_b) for r in back] == [("3.10 (2022)", "3.9")]
    assert back[0].text_b.startswith("加强国际科技交流合作")


def test_gbk_page_mislabelled_latin1_decodes_as_gbk():
    data = '<meta charset="iso-8859-1"><p>关于印发《工作要点》的通知</p>'.encode("gbk")
    text, enc = decode_text(data)
    assert enc == "gb18030" and "关于印发《工作要点》的通知" in text
