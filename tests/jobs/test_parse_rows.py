"""A source's parse rows: documents joined in table order, text columns by way of arrow."""

from __future__ import annotations

import pandas as pd

from policytrack.pipeline.jobs.build import _frame, _in_table_order, _strings


def _rows(series: str, year: int, doc_id: str, paths: list[str]) -> dict:
    base = {"series": series, "year": year, "doc_id": doc_id}
    return {
        "documents": {k: [v] for k, v in base.items()},
        "items": {**{k: [v] * len(paths) for k, v in base.items()}, "path": paths},
        "sentences": {**{k: [v] * len(paths) for k, v in base.items()}, "path": paths[::-1]},
    }


def test_documents_in_series_year_doc_id_order_each_keeping_its_rows_order():
    parsed = [
        _rows("b", 2019, "d1", ["1", "1.1"]),
        _rows("a", 2020, "d2", ["2"]),
        _rows("a", 2019, "d4", ["1", "2", "3"]),
        _rows("a", 2019, "d3", []),
    ]
    joined = _in_table_order(parsed)
    assert joined["documents"]["doc_id"] == ["d3", "d4", "d2", "d1"]
    assert joined["items"]["doc_id"] == ["d4", "d4", "d4", "d2", "d1", "d1"]
    assert joined["items"]["path"] == ["1", "2", "3", "2", "1", "1.1"]
    assert joined["sentences"]["path"] == ["3", "2", "1", "2", "1.1", "1"]


def test_text_columns_as_pandas_makes_them():
    for values in (["一、总体要求", "", "a"], ["x", None], [None, None]):
        made = pd.Series(_strings(values))
        assert made.dtype == "str"
        pd.testing.assert_series_equal(made, pd.Series(values, dtype="str"))
    assert _strings(["a", 1]) == ["a", 1]  # not text: left to pandas (which writes "1")
    items = _frame({c: [] for c in ("source", "series", "year", "doc_id", "level", "path",
                                    "parent_path", "section_no", "item_no", "marker",
                                    "ordinal", "heading", "text", "original")}, "items")  # fmt: skip
    assert items.empty and items["text"].dtype == "str"
