"""`policytrack diff` works on plain columns read with pyarrow (no pandas, issue 17.5): the same
units, the same chosen documents and the same rows as the pandas functions give."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd
import pytest

from policytrack.pipeline.analysis.corpus import latest_records, select_documents
from policytrack.pipeline.analysis.diff import ITEM_COLUMNS, SENTENCE_COLUMNS, columns, diff_rows
from policytrack.pipeline.analysis.units import LEVELS, build_units, unit_texts
from policytrack.pipeline.jobs.build import build
from policytrack.pipeline.jobs.ingest import ingest
from policytrack.pipeline.store.tables import read_arrow, read_table
from tests.support.frames import T, items_frame

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    data = tmp_path_factory.mktemp("sample") / "data"
    notices = REPO / "sample" / "notices"
    ingest([notices / f"a-{y}.txt" for y in (2022, 2023, 2024)], "sample", data)
    build(data)
    return data


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.slow
def test_unit_texts_are_build_units(sample, level):
    items, sentences = read_table(sample, "items"), read_table(sample, "sentences")
    units = build_units(items, level, sentences)
    expected = list(zip(units["year"].astype(int), units["path"], units["body"], strict=True))
    plain = unit_texts(
        columns(read_arrow(sample, "items", ITEM_COLUMNS), ITEM_COLUMNS),
        level,
        columns(read_arrow(sample, "sentences"), SENTENCE_COLUMNS),
    )
    assert plain == expected
    assert len(plain) > 10 or level == "paragraph"  # the sample notices have no bare paragraphs


@pytest.mark.parametrize("level", ["item", "paragraph", "section"])
def test_unit_texts_with_nested_paragraphs(level):
    items = items_frame({2018: ["学会", "科普"]})
    child = items.iloc[[0]].assign(
        level="paragraph", path="1.1.p1", parent_path="1.1", text="加强学会党建工作。", ordinal=5
    )
    items = pd.concat([child, items], ignore_index=True)  # not in document order: sorted first
    units = build_units(items, level)
    expected = list(zip(units["year"].astype(int), units["path"], units["body"], strict=True))
    assert unit_texts(columns(items, ITEM_COLUMNS), level) == expected
    if level == "item":
        assert expected[0][2] == T["学会"] + "\n加强学会党建工作。"


@pytest.mark.parametrize("pair", [(2023, 2024), (2022, 2023), (2022, 2024)])
@pytest.mark.slow
def test_diff_rows_from_arrow_tables_equal_those_from_frames(sample, pair):
    frames = [read_table(sample, n) for n in ("alignments", "items", "documents")]
    arrow = [read_arrow(sample, n) for n in ("alignments", "items", "documents")]
    assert diff_rows(*arrow, "sample", *pair) == diff_rows(*frames, "sample", *pair)


def test_latest_records_choose_what_select_documents_chooses(caplog):
    docs = pd.DataFrame(
        {
            "source": ["s", "s", "s", "s", "s", "t"],
            "series": ["x", "x", "x", "x", "y", "x"],
            "year": pd.array([2019, 2019, 2020, None, 2019, 2019], dtype="Int64"),
            "doc_id": ["b", "a", "c", "d", "e", "f"],
            "recorded_at": ["2020-01-01", "2020-01-01", None, "", "2021", "2019"],
        }
    )
    with caplog.at_level(logging.WARNING):
        want = select_documents(docs)
    said = [r.getMessage() for r in caplog.records]
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        got = latest_records(columns(docs, list(docs.columns)))
    assert [r.getMessage() for r in caplog.records] == said
    assert said[0] == "skipping 1 document(s) without a year: d"
    assert "a tie broken by the larger doc_id" in said[1]
    assert [(d["source"], d["series"], d["year"], d["doc_id"]) for d in got] == list(
        zip(want["source"], want["series"], want["year"], want["doc_id"], strict=True)
    )
    assert [d["doc_id"] for d in got] == ["b", "c", "e", "f"]
