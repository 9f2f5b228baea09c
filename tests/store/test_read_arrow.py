"""read_arrow: read_table's rows as a pyarrow Table, read without pandas or pyarrow.dataset
(`policytrack diff` starts without them, issue 17.5)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from policytrack.pipeline.core.errors import InputError
from policytrack.pipeline.store.tables import read_arrow, read_table, select_rows, write_tables
from tests.store.test_layout import docs


def documents(series: list[str], source: str = "src"):
    frame = docs(*((f"{source}{k}", source, 2000 + k) for k in range(len(series))))
    frame["series"] = series
    return frame


@pytest.fixture
def data(tmp_path):
    import pandas as pd

    frame = pd.concat(
        [documents(["甲"] * 3 + ["乙"] * 2 + ["甲"] + ["丙"] * 2), documents(["甲"] * 2, "other")],
        ignore_index=True,
    )
    write_tables(tmp_path, {"documents": frame})
    return tmp_path


def test_the_same_rows_as_read_table(data):
    for where in ({}, {"source": "src"}, {"source": ["other"]}, {"series": "甲"}):
        frame = read_table(data, "documents", ["doc_id", "series", "year"], **where)
        got = read_arrow(data, "documents", ["doc_id", "series", "year"], **where).to_pydict()
        assert got == {c: frame[c].tolist() for c in ("doc_id", "series", "year")}, where
    got = read_arrow(data, "documents", ["doc_id"], source="src", series=["乙", "丙"])
    assert got.column_names == ["doc_id"]  # the series column read for the filter is dropped
    assert got.column("doc_id").to_pylist() == ["src3", "src4", "src6", "src7"]


def test_optional_columns_unknown_sources_and_missing_columns(data):
    got = read_arrow(data, "documents", ["doc_id"], optional=["recorded_at", "nope"])
    assert got.column_names == ["doc_id", "recorded_at"]
    empty = read_arrow(data, "documents", ["doc_id", "year"], source="none")
    assert empty.num_rows == 0 and empty.column_names == ["doc_id", "year"]
    with pytest.raises(InputError) as err:
        read_arrow(data, "documents", ["doc_id", "nope"], source="src")
    assert str(err.value).endswith("src.parquet: missing columns nope (rebuild with this version)")
    assert read_arrow(data, "alignments", required=False) is None


def test_select_rows_keeps_order_and_runs(data):
    tbl = read_arrow(data, "documents", ["doc_id"], source="src")
    picked = select_rows(tbl, "doc_id", {"src0", "src1", "src5", "src7"})
    assert picked.column("doc_id").to_pylist() == ["src0", "src1", "src5", "src7"]
    assert select_rows(tbl, "doc_id", set()).num_rows == 0


def test_reading_imports_neither_pandas_nor_pyarrow_dataset(data):
    code = (
        "import sys; from policytrack.pipeline.store.tables import read_arrow; "
        f"t = read_arrow({str(data)!r}, 'documents', ['doc_id'], source='src', series='甲'); "
        "assert t.num_rows == 4, t; "
        "print(sorted(m for m in ('pandas', 'pyarrow.dataset', 'scipy') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "[]"
