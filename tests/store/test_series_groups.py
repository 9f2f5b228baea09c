"""Series inside a source's file: one row group per run of one series, so a scan with `series=`
opens only that series' row groups (issue 17.1, "partitioned by source and series")."""

from __future__ import annotations

import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from policytrack.pipeline.store import tables
from policytrack.pipeline.store.tables import read_table, write_tables
from tests.store.test_layout import docs
from tests.support.run import SAMPLE_DIR

NOTICES = SAMPLE_DIR / "notices"


def documents(series: list[str]):
    frame = docs(*((f"d{k}", "src", 2000 + k) for k in range(len(series))))
    frame["series"] = series
    return frame


def file_of(gen, table="documents", source="src"):
    return gen / table / f"{source}.parquet"


def row_groups_scanned(path, series: str) -> int:
    """Row groups a filtered scan keeps after checking their statistics."""
    fragment = next(iter(ds.dataset(str(path), format="parquet").get_fragments()))
    return len(fragment.split_by_row_group(filter=ds.field("series") == series))


def test_each_run_of_a_series_is_a_row_group_and_a_scan_skips_the_others(tmp_path):
    series = ["甲"] * 3 + ["乙"] * 2 + ["甲"] * 1 + ["丙"] * 4
    gen = write_tables(tmp_path, {"documents": documents(series)})
    meta = pq.ParquetFile(file_of(gen)).metadata
    assert [meta.row_group(i).num_rows for i in range(meta.num_row_groups)] == [3, 2, 1, 4]
    assert row_groups_scanned(file_of(gen), "乙") == 1
    assert row_groups_scanned(file_of(gen), "甲") == 2
    assert row_groups_scanned(file_of(gen), "丁") == 0
    got = read_table(tmp_path, "documents", ["doc_id", "series"], series="甲")
    assert list(got.doc_id) == ["d0", "d1", "d2", "d5"]  # file order kept
    whole = read_table(tmp_path, "documents", ["doc_id"])
    assert list(whole.doc_id) == [f"d{k}" for k in range(10)]


def test_one_series_or_interleaved_series_stay_one_row_group(tmp_path, monkeypatch):
    gen = write_tables(tmp_path, {"documents": documents(["甲"] * 5)})
    assert pq.ParquetFile(file_of(gen)).metadata.num_row_groups == 1
    monkeypatch.setattr(tables, "MAX_SERIES_GROUPS", 3)
    gen = write_tables(tmp_path, {"documents": documents(["甲", "乙"] * 2)})  # 4 runs > 3
    assert pq.ParquetFile(file_of(gen)).metadata.num_row_groups == 1
    got = read_table(tmp_path, "documents", ["doc_id"], series="乙")
    assert list(got.doc_id) == ["d1", "d3"]


@pytest.mark.slow
def test_a_build_writes_each_series_of_a_source_as_its_own_row_groups(tmp_path):
    """Two series of one source whose years interleave (2022, 2023 each): the build writes
    every per-source table series by series, so each file holds one row group per series."""
    from policytrack.pipeline.jobs.build import build
    from policytrack.pipeline.jobs.ingest import ingest
    from policytrack.pipeline.store.layout import current

    data = tmp_path / "data"
    for series, prefix in (("甲系列", "a"), ("乙系列", "b")):
        files = [NOTICES / f"{prefix}-{year}.txt" for year in (2022, 2023)]
        ingest(files, "mix", data, series=series)
    build(data)
    gen = current(tables.processed_dir(data)).path
    docs = read_table(data, "documents", ["series", "year"])
    assert list(zip(docs.series, docs.year, strict=True)) == [
        ("乙系列", 2022), ("乙系列", 2023), ("甲系列", 2022), ("甲系列", 2023)
    ]  # fmt: skip
    for name in ("documents", "items", "sentences", "terms", "term_timeline", "alignments"):
        path = file_of(gen, name, "mix")
        meta = pq.ParquetFile(path).metadata
        assert meta.num_row_groups == 2, name
        assert row_groups_scanned(path, "甲系列") == 1, name
    assert [pq.ParquetFile(file_of(gen, "documents", "mix")).metadata.row_group(i).num_rows
            for i in range(2)] == [2, 2]  # fmt: skip


def test_dictionary_columns_read_as_categoricals_with_the_same_values(tmp_path):
    write_tables(tmp_path, {"documents": documents(["甲"] * 3 + ["乙"] * 2 + ["甲"])})
    plain = read_table(tmp_path, "documents", ["doc_id", "series"])
    coded = read_table(tmp_path, "documents", ["doc_id", "series"], dictionary=["series"])
    assert str(coded["series"].dtype) == "category"
    assert sorted(coded["series"].cat.categories) == ["乙", "甲"]
    assert coded["series"].tolist() == plain["series"].tolist() == ["甲"] * 3 + ["乙"] * 2 + ["甲"]
    assert coded["doc_id"].tolist() == plain["doc_id"].tolist()
    one = read_table(tmp_path, "documents", ["series"], series="乙", dictionary=["series"])
    assert one["series"].tolist() == ["乙", "乙"]


def test_a_part_may_come_as_arrow_of_the_tables_schema(tmp_path):
    from policytrack.pipeline.store.schema import conform

    arrow = tables.to_arrow(conform(documents(["b"]), "documents"), "documents")
    path = tmp_path / "t.parquet"
    assert tables.write_frames([documents(["a", "a"]), arrow], path, "documents") == 3
    assert tables.read_file(path, "documents")["series"].tolist() == ["a", "a", "b"]
    assert pq.ParquetFile(path).metadata.num_row_groups == 2  # one a part
    with pytest.raises(ValueError, match="documents: a part's arrow schema is not the table's"):
        tables.write_frames([arrow.drop_columns(["series"])], tmp_path / "u.parquet", "documents")
