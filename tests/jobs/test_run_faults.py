"""Faults of the build and report stages, in-process with `--offline` (no crawl): a disk-full
write, a corrupt raw file, tables of two builds mixed. Documents are ingested from small notices
written by tests/support/documents.py."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from policytrack.pipeline.core.errors import InputError
from policytrack.pipeline.jobs.ingest import ingest
from policytrack.pipeline.jobs.run import RunOptions, format_summary, run_job
from policytrack.pipeline.store import layout
from policytrack.pipeline.store.rawstore import RawStore
from policytrack.pipeline.store.tables import read_table
from tests.support.documents import notice_docx, notice_text
from tests.support.run import temp_leftovers


def add_notices(data: Path, tmp: Path, years: list[int], docx: bool = False) -> list[dict]:
    paths = []
    for y in years:
        p = tmp / f"notice-{y}.{'docx' if docx else 'txt'}"
        if docx:
            p.write_bytes(notice_docx(y))
        else:
            p.write_text(notice_text(y), encoding="utf-8")
        paths.append(p)
    return ingest(paths, "sample", data).added


def offline(data: Path, tmp: Path):
    return run_job(RunOptions(data_dir=data, out=tmp / "reports", crawl=False, report=False))


def files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*.parquet")}


@pytest.mark.slow
def test_offline_run_builds_what_is_on_disk(data_dir, tmp_path):
    add_notices(data_dir, tmp_path, [2019, 2020])
    result = offline(data_dir, tmp_path)
    text = format_summary(result)
    assert result.exit_code == 0, text
    assert "crawl   skipped (--offline)" in text
    assert "build   parsed 2, reused 0, aligned sample; 2 documents" in text
    assert [(c.year, c.compared_to) for c in result.changes] == [(2019, None), (2020, 2019)]
    again = offline(data_dir, tmp_path)
    assert again.exit_code == 0 and again.changes == [] and again.build.parsed == 0
    assert again.since == result.finished_at


@pytest.mark.slow
def test_disk_full_during_build_leaves_previous_tables(data_dir, tmp_path, monkeypatch):
    """(A fault-injection twin of tests/jobs/test_disk_full.py's tmpfs, through `run`.)"""
    add_notices(data_dir, tmp_path, [2019, 2020])
    assert offline(data_dir, tmp_path).exit_code == 0
    processed = data_dir / "processed"
    before = files(processed)
    last_before = (data_dir / "logs" / "last_run.json").read_text()
    add_notices(data_dir, tmp_path, [2021])

    def full_disk(writer, table, *a, **kw):
        Path(writer.where).write_bytes(b"PAR1 half a table")  # the device fills up mid-write
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(writer.where))

    # Every table file is written through a ParquetWriter (store/tables.py).
    monkeypatch.setattr(pq.ParquetWriter, "write_table", full_disk)
    result = offline(data_dir, tmp_path)
    text = format_summary(result)
    assert result.exit_code == 2, text  # offline and the build failed: nothing was done
    line = next(ln for ln in text.splitlines() if ln.startswith("build   "))
    assert line.startswith(f"build   failed: {processed}")
    assert line.endswith(": No space left on device (previous tables kept)")
    assert files(processed) == before  # nothing half-written, nothing replaced
    assert temp_leftovers(processed) == []
    assert (
        json.loads((data_dir / "logs" / "last_run.json").read_text())["doc_ids"]
        == (json.loads(last_before)["doc_ids"])
    )

    monkeypatch.undo()
    result = offline(data_dir, tmp_path)
    assert result.exit_code == 0, format_summary(result)
    assert [(c.year, c.title) for c in result.changes] == [(2021, "测试协会2021年工作要点")]


@pytest.mark.slow
def test_corrupt_raw_file_is_reported_and_skipped(data_dir, tmp_path):
    add_notices(data_dir, tmp_path, [2019, 2020])
    [bad] = add_notices(data_dir, tmp_path, [2021], docx=True)
    raw = RawStore(data_dir, "sample").path(bad["path"])
    raw.write_bytes(b"PK\x03\x04" + b"\x00" * 40)  # a truncated .docx
    result = offline(data_dir, tmp_path)
    text = format_summary(result)
    assert result.exit_code == 1, text
    assert result.build.documents == 2
    [(where, reason)] = result.build.failures
    assert where == str(raw) and reason
    assert f"  build: {raw}: {reason}" in text.splitlines()
    assert sorted(c.year for c in result.changes) == [2019, 2020]


@pytest.mark.slow
def test_mixed_tables_are_refused_and_repaired(data_dir, tmp_path):
    add_notices(data_dir, tmp_path, [2019, 2020])
    assert offline(data_dir, tmp_path).exit_code == 0
    old = layout.current(data_dir / "processed")
    old_items = (old.path / "items" / "sample.parquet").read_bytes()
    add_notices(data_dir, tmp_path, [2021])
    assert offline(data_dir, tmp_path).exit_code == 0
    gen = layout.current(data_dir / "processed")
    assert read_table(data_dir, "items")["year"].nunique() == 3
    # The items partition of the older build dropped in beside this build's documents.
    part = gen.path / "items" / "sample.parquet"
    part.unlink()
    part.write_bytes(old_items)
    with pytest.raises(InputError) as err:
        read_table(data_dir, "items")
    committed = gen.partitions("items")["sample"].bytes
    assert str(err.value) == (
        f"{part}: not the file build {gen.name} committed ({len(old_items)} bytes, committed "
        f"{committed}): mixed or unfinished tables; run `policytrack build --data {data_dir}`"
    )
    result = offline(data_dir, tmp_path)
    assert result.exit_code == 0, format_summary(result)
    assert result.build.warnings == [
        f"{part}: damaged ({len(old_items)} bytes, expected {committed}); "
        "committing the tables again"
    ]
    assert read_table(data_dir, "items")["year"].nunique() == 3


@pytest.mark.parametrize("name", ["01", "02_priority_timelines"])
def test_notebook_names_resolve(name):
    from policytrack.pipeline.jobs.run import resolve_notebooks

    [path] = resolve_notebooks([name])
    assert path.name.startswith(name) and path.is_file()
