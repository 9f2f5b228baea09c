"""diff (terminal + escaped HTML redline) and terms commands on a small data dir."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from policytrack.pipeline.analysis.align import align_corpus  # noqa: E402
from policytrack.pipeline.analysis.diff import diff_rows
from policytrack.pipeline.analysis.redline import mark, plain  # noqa: E402
from policytrack.pipeline.analysis.timeline import term_timeline  # noqa: E402
from policytrack.pipeline.cli.app import app  # noqa: E402
from policytrack.pipeline.jobs.build import build
from policytrack.pipeline.jobs.ingest import ingest
from policytrack.pipeline.store.tables import read_table, write_tables
from tests.support.frames import REVISED_学会, docs_frame, items_frame  # noqa: E402

REPO = Path(__file__).resolve().parents[2]

EVIL = "加强安全<script>alert('x')</script>宣传。组织网络安全宣传周活动，普及个人信息保护知识。"
A = ["党建", "科普", "学会", "智库", "学术"]


def test_mark_exact_segments():
    a, b = mark("加强科普工作。", "全面加强科普工作，")
    assert a == [("equal", "加强科普工作"), ("delete", "。")]
    assert b == [("insert", "全面"), ("equal", "加强科普工作"), ("insert", "，")]
    assert plain(a) == "加强科普工作[-。-]"
    assert plain(b) == "{+全面+}加强科普工作{+，+}"


@pytest.fixture
def data(tmp_path):
    docs = {2018: [*A, "人才"], 2019: ["学术", "智库", REVISED_学会, "科普", "党建", EVIL], 2021: A}
    items = items_frame(docs)
    documents = docs_frame(list(docs))
    al, threads = align_corpus(items, documents)
    terms = pd.DataFrame(
        [
            dict(
                source="s",
                series="x",
                year=2018,
                doc_id="d2018",
                term="三大攻坚战",
                kind="formula",
                count=2,
                paths=["1.1"],
            ),
            dict(
                source="s",
                series="x",
                year=2019,
                doc_id="d2019",
                term="打好三大攻坚战",
                kind="quote",
                count=1,
                paths=["1.2"],
            ),
            dict(
                source="s",
                series="x",
                year=2021,
                doc_id="d2021",
                term="双碳",
                kind="quote",
                count=1,
                paths=["1.3"],
            ),
        ]
    )
    tables = {
        "items": items,
        "documents": documents,
        "alignments": al,
        "threads": threads,
        "terms": terms,
        "term_timeline": term_timeline(terms, documents, watch=["三大攻坚战"]),
    }
    write_tables(tmp_path / "data", tables, strict=False)
    return tmp_path / "data"


def test_diff_prints_pairs_side_by_side(data):
    result = CliRunner().invoke(app, ["diff", "s", "2018", "2019", "--data", str(data)])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "s / x: 2018 → 2019 (item)" in out
    assert "dropped 1, new 1, revised 1, unchanged 4" in out
    assert "{+监+}事会" in out  # the revised item's changed characters are marked
    assert "[-理-]事会" in out


def test_diff_html_escapes_document_text(data, tmp_path):
    page = tmp_path / "out" / "redline.html"
    result = CliRunner().invoke(
        app, ["diff", "s", "2018", "2019", "--data", str(data), "--html", str(page)]
    )
    assert result.exit_code == 0, result.output
    html = page.read_text(encoding="utf-8")
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    assert "<ins>" in html and "<del>" in html
    assert html.count("<tr class=") == 7  # 4 unchanged, 1 revised, 1 new, 1 dropped


def test_diff_between_years_that_are_not_neighbours_aligns_directly(data):
    result = CliRunner().invoke(app, ["diff", "s", "2018", "2021", "--data", str(data)])
    assert result.exit_code == 0, result.output
    assert "aligned these two years directly" in result.output
    assert "dropped 1, unchanged 5" in result.output


def test_diff_unknown_year(data):
    result = CliRunner().invoke(app, ["diff", "s", "2018", "2030", "--data", str(data)])
    assert result.exit_code != 0
    assert str(result.exception) == (
        "s / x: no document for 2030; years: 2018–2019, 2021; try: policytrack diff s 2018 2019"
    )


def test_terms_matrix_and_csv(data):
    result = CliRunner().invoke(app, ["terms", "s", "--data", str(data)])
    assert result.exit_code == 0, result.output
    row = next(ln for ln in result.output.splitlines() if ln.lstrip().startswith("三大攻坚战"))
    assert "(+1: 打好三大攻坚战)" in row
    # Grouped with its variant, the priority is present in 2018 and 2019 (fading: the first
    # document without it).
    assert [c.strip() for c in row.split("│")[1:4]] == ["new", "●", "fading"]
    csv = CliRunner().invoke(app, ["terms", "s", "--data", str(data), "--csv", "--no-variants"])
    assert csv.exit_code == 0, csv.exception
    lines = csv.output.strip().splitlines()
    header = lines[0].split(",")
    assert header[:10] == ["source", "series", "term", "canonical", "variants", "year",
                           "present", "count", "per_10k_chars", "status"]  # fmt: skip
    rows = [ln for ln in lines if ",三大攻坚战,三大攻坚战," in ln]
    # On its own, the exact term is missing from 2019: 2019 is the first year without it.
    assert [r.split(",")[header.index("status")] for r in rows] == ["new", "fading", "absent"]


def test_terms_counts_a_term_the_build_did_not_watch(data):
    result = CliRunner().invoke(
        app, ["terms", "s", "--data", str(data), "--csv", "--no-variants", "--watch", "示范学会"]
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    header = lines[0].split(",")
    rows = [ln.split(",") for ln in lines if ",示范学会," in ln]
    at = [header.index(c) for c in ("year", "count", "status")]
    # 学会 item: "培育一批示范学会" in 2018 and 2021; revised 2019 text has "一流示范学会".
    assert [tuple(r[i] for i in at) for r in rows] == [
        ("2018", "1", "new"),
        ("2019", "1", "persisting"),
        ("2021", "1", "persisting"),
    ]


@pytest.mark.slow
def test_diff_shows_an_item_that_reappears(tmp_path):
    data = tmp_path / "data"
    notices = REPO / "sample" / "notices"
    ingest([notices / f"a-{y}.txt" for y in (2022, 2023, 2024)], "sample", data)
    build(data)
    series, rows, live = diff_rows(
        read_table(data, "alignments"),
        read_table(data, "items"),
        read_table(data, "documents"),
        "sample",
        2023,
        2024,
    )
    assert not live and series == "市科协工作要点"
    back = [r for r in rows if r.relation == "reappeared"]
    # 2024 item 10 (sample/gold/intent.json: reappeared) is 2022 item 10
    assert [(r.path_a, r.path_b) for r in back] == [("3.10 (2022)", "3.10")]
    assert back[0].text_b.startswith("加强国际科技交流合作")
