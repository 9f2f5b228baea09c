"""Damaged cache files, mixed or unfinished tables, a deleted manifest line: the build repairs
from raw with one warning line each, readers refuse what was not committed, and the data
directory ends as an uninterrupted build leaves it (tests/support/datadir.py)."""

from __future__ import annotations

import json
import logging
import shutil

import pytest

from policytrack.pipeline.core.errors import InputError
from policytrack.pipeline.jobs.build import build
from policytrack.pipeline.jobs.ingest import ingest
from policytrack.pipeline.store import layout
from policytrack.pipeline.store.rawstore import RawStore
from policytrack.pipeline.store.tables import read_table
from tests.support.datadir import assert_same, reference
from tests.support.documents import notice_text


def make(tmp_path):
    """Two sources, two years each, built once."""
    data = tmp_path / "data"
    for source in ("alpha", "beta"):
        for year in (2019, 2020):
            p = tmp_path / f"{source}-{year}.txt"
            p.write_text(notice_text(year).replace("测试协会", f"{source}协会"), encoding="utf-8")
            ingest([p], source, data)
    build(data)
    return data


@pytest.fixture
def data(tmp_path):
    return make(tmp_path)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return make(tmp_path_factory.mktemp("built"))


@pytest.fixture
def copied(built, tmp_path):
    """A copy of `built` (for tests that only read or build warm)."""
    shutil.copytree(built, tmp_path / "data")
    return tmp_path / "data"


def cache_file(data, source: str, table: str):
    state = json.loads((data / "processed" / "sources" / source / "state.json").read_text())
    return data / "processed" / "sources" / source / state["files"][table]["file"]


def damage(path, content: bytes = b"torn") -> int:
    """Overwrite in place (same inode, as a bad disk would); returns the old size."""
    size = path.stat().st_size
    with open(path, "r+b") as fh:
        fh.truncate(0)
        fh.write(content)
    return size


def warnings_of(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


@pytest.mark.slow
def test_damaged_cache_parquet_is_reparsed_from_raw(data, tmp_path, caplog):
    items = cache_file(data, "alpha", "items")
    size = damage(items)
    gen = layout.current(data / "processed")
    part = gen.path / "items" / "alpha.parquet"  # the same file (a hard link): damaged too
    with caplog.at_level(logging.WARNING):
        result = build(data)
    assert (
        result.warnings
        == warnings_of(caplog)
        == [
            f"{items}: damaged (4 bytes, expected {size}); re-parsing alpha from raw",
            f"{part}: damaged (4 bytes, expected {size}); committing the tables again",
        ]
    )
    assert result.parsed == 2 and result.changed
    assert_same(data, reference(data, tmp_path / "ref"))


@pytest.mark.slow
def test_damaged_analysis_file_is_realigned(data, tmp_path):
    links = cache_file(data, "beta", "alignments")
    size = links.stat().st_size
    damage(links, b"x" * size)  # same size: only the magic bytes tell
    result = build(data)
    assert result.warnings[0] == (
        f"{links}: damaged (not a parquet file (no PAR1 marks)); re-aligning beta"
    )
    assert result.parsed == 0 and result.aligned_sources == ["beta"]
    assert_same(data, reference(data, tmp_path / "ref"))


@pytest.mark.slow
def test_damaged_term_timeline_is_recomputed_without_realigning(data, tmp_path):
    timeline = cache_file(data, "beta", "term_timeline")
    damage(timeline, b"x" * timeline.stat().st_size)
    result = build(data)
    assert result.warnings[0] == (
        f"{timeline}: damaged (not a parquet file (no PAR1 marks)); "
        "recomputing the term timeline of beta"
    )
    assert result.parsed == 0 and result.aligned_sources == []
    assert_same(data, reference(data, tmp_path / "ref"))


@pytest.mark.slow
def test_damaged_state_json_is_rebuilt_from_raw(data, tmp_path):
    state = data / "processed" / "sources" / "alpha" / "state.json"
    state.write_text('{"layout": 2, "parse_')
    result = build(data)
    assert result.warnings == [f"{state}: damaged (JSONDecodeError); rebuilding alpha from raw"]
    assert result.parsed == 2
    assert_same(data, reference(data, tmp_path / "ref"))


@pytest.mark.slow
def test_damaged_committed_table_is_repaired_by_a_warm_build(data, tmp_path):
    gen = layout.current(data / "processed")
    part = gen.path / "terms" / "beta.parquet"
    # Replaced (a new inode): the cache keeps the good bytes.
    size = part.stat().st_size
    part.unlink()
    part.write_bytes(b"PAR1 broken PAR1")
    with pytest.raises(InputError, match="mixed or unfinished tables"):
        read_table(data, "terms")
    result = build(data)
    assert result.parsed == 0 and result.aligned_sources == []  # no source work at all
    assert result.warnings == [
        f"{part}: damaged (16 bytes, expected {size}); committing the tables again"
    ]
    assert_same(data, reference(data, tmp_path / "ref"))


@pytest.mark.slow
def test_warm_build_reads_no_table(copied, monkeypatch):
    data = copied
    import pyarrow.parquet as pq

    def no_reading(*a, **k):
        raise AssertionError("a warm build read a table")

    monkeypatch.setattr(pq, "read_table", no_reading)
    monkeypatch.setattr(pq, "ParquetFile", no_reading)
    result = build(data)
    assert (result.parsed, result.changed, result.warnings) == (0, False, [])
    assert result.tables["documents"] == 4


@pytest.mark.slow
def test_deleted_manifest_line_is_reported_until_ingested_again(data, tmp_path):
    store = RawStore(data, "alpha")
    lines = store.manifest.read_text(encoding="utf-8").splitlines(keepends=True)
    gone = json.loads(lines[0])
    store.manifest.write_text("".join(lines[1:]), encoding="utf-8")
    reason = (
        f"no longer in {store.manifest} (a deleted line?); left out of the tables until it is "
        "ingested again"
    )
    first = build(data)
    assert first.failures == [(str(store.root / gone["path"]), reason)]
    assert sorted(read_table(data, "documents", source="alpha").year) == [2020]
    again = build(data)  # warm: still said, not silently forgotten
    assert (again.parsed, again.failures) == (0, first.failures)
    ingest([tmp_path / "alpha-2019.txt"], "alpha", data)
    back = build(data)
    assert back.failures == [] and back.parsed == 1
    assert sorted(read_table(data, "documents", source="alpha").year) == [2019, 2020]


@pytest.mark.slow
def test_readers_refuse_unfinished_or_unmarked_tables(copied):
    data = copied
    processed = data / "processed"
    gen = layout.current(processed)
    hint = f"run `policytrack build --data {data}`"
    # A build that died before its commit marker: CURRENT gone, a generation on disk.
    (processed / "CURRENT").unlink()
    with pytest.raises(InputError) as err:
        read_table(data, "items")
    assert str(err.value) == (
        f"{processed}: no finished build (tables of an unfinished build or an older "
        f"version); {hint}"
    )
    (processed / "CURRENT").write_text("garbage")
    with pytest.raises(InputError) as err:
        read_table(data, "items")
    assert (
        str(err.value)
        == f"{processed / 'CURRENT'}: unreadable commit marker ({'JSONDecodeError'}); {hint}"
    )
    (processed / "CURRENT").write_text(json.dumps({"generation": "g000009"}))
    with pytest.raises(InputError) as err:
        read_table(data, "items")
    assert str(err.value) == (
        f"{processed / 'g000009'}: unfinished build (build_report.json FileNotFoundError); {hint}"
    )
    (processed / "CURRENT").write_text(json.dumps({"generation": gen.name}))
    shutil.rmtree(processed)
    with pytest.raises(InputError) as err:
        read_table(data, "items")
    assert str(err.value) == f"{processed}: no tables yet; {hint} first"


@pytest.mark.slow
def test_read_table_partitions_columns_and_filters(built):
    data = built
    alpha = read_table(data, "items", ["source", "year", "path"], source="alpha")
    assert set(alpha.source) == {"alpha"} and list(alpha.columns) == ["source", "year", "path"]
    both = read_table(data, "items", ["source"])
    assert sorted(set(both.source)) == ["alpha", "beta"]
    y = read_table(data, "documents", ["source", "year"], filters=[("year", ">=", 2020)])
    assert sorted(zip(y.source, y.year, strict=True)) == [("alpha", 2020), ("beta", 2020)]
    s = read_table(data, "documents", ["series"], series="beta协会工作要点")
    assert list(s.series) == ["beta协会工作要点"] * 2
    assert read_table(data, "documents", source="nobody").empty
    with pytest.raises(InputError, match=r"/items: missing columns nope \(rebuild"):
        read_table(data, "items", ["year", "nope"])
