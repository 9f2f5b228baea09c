"""The processed layout: generations switched by CURRENT, old ones collected, partitions read
through read_table/iter_table, hard links or copies; the build lock's takeover line."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys

import pandas as pd
import pytest

from policytrack.pipeline.jobs.reportcache import tables_fingerprint
from policytrack.pipeline.store import layout
from policytrack.pipeline.store.lock import BuildLock, read_holder
from policytrack.pipeline.store.tables import iter_table, read_table, write_tables


def docs(*rows) -> pd.DataFrame:
    base = dict(series="x", title="t", page_title="", issuer="", doc_number="", issued_on=None,
                published_at=None, department="", addressees="", preamble="", genre="notice",
                n_sections=1, n_items=1, n_chars=1, raw_path="p", text_from="page", url=None,
                recorded_at="")  # fmt: skip
    return pd.DataFrame([{**base, "doc_id": d, "source": s, "year": y} for d, s, y in rows])


def test_generations_switch_and_old_ones_are_collected(tmp_path):
    g1 = write_tables(tmp_path, {"documents": docs(("a1", "a", 2019), ("b1", "b", 2019))})
    assert (g1.name, sorted(p.name for p in (g1 / "documents").iterdir())) == (
        "g000001",
        ["a.parquet", "b.parquet"],
    )
    g2 = write_tables(tmp_path, {"documents": docs(("a2", "a", 2020))})
    g3 = write_tables(tmp_path, {"documents": docs(("a3", "a", 2021))})
    processed = tmp_path / "processed"
    assert layout.read_marker(processed) == {"generation": "g000003", "previous": "g000002"}
    assert not g1.exists() and g2.exists() and g3.exists()  # the previous one stays for readers
    assert os.readlink(processed / "current") == "g000003"
    assert list(read_table(tmp_path, "documents").doc_id) == ["a3"]
    report = layout.current(processed).report
    assert report["tables"] == {"documents": 1} and report["generation"] == "g000003"


def test_iter_table_gives_one_source_at_a_time(tmp_path):
    write_tables(
        tmp_path, {"documents": docs(("a1", "a", 2019), ("b1", "b", 2019), ("b2", "b", 2020))}
    )
    got = [(s, list(df.doc_id)) for s, df in iter_table(tmp_path, "documents", ["doc_id"])]
    assert got == [("a", ["a1"]), ("b", ["b1", "b2"])]
    only = [s for s, _ in iter_table(tmp_path, "documents", source=["b"])]
    assert only == ["b"]


def test_a_file_system_without_hard_links_gets_copies(tmp_path, monkeypatch):
    def no_links(src, dst):
        raise OSError(1, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    gen = write_tables(tmp_path, {"documents": docs(("a1", "a", 2019))})
    assert (gen / "documents" / "a.parquet").stat().st_nlink == 1
    assert list(read_table(tmp_path, "documents").doc_id) == ["a1"]


def test_report_fingerprint_follows_content_not_generation(tmp_path):
    from policytrack.pipeline.jobs.reportcache import REPORT_TABLES

    frames = {name: pd.DataFrame({"source": []}) for name in REPORT_TABLES}
    frames["documents"] = docs(("a1", "a", 2019))
    write_tables(tmp_path, frames, strict=False)
    processed = tmp_path / "processed"
    first = tables_fingerprint(processed, {"lang": "zh"})
    assert first is not None
    write_tables(tmp_path, frames, strict=False)  # the same tables, a new generation
    assert tables_fingerprint(processed, {"lang": "zh"}) == first
    frames["documents"] = docs(("a2", "a", 2020))
    write_tables(tmp_path, frames, strict=False)
    assert tables_fingerprint(processed, {"lang": "zh"}) != first
    assert tables_fingerprint(tmp_path / "nothing", {}) is None


HOLD = """
import sys, time
from policytrack.pipeline.store.lock import BuildLock
lock = BuildLock(sys.argv[1], "build --data x").acquire()
lock.phase("analyse")
print("held", flush=True)
time.sleep(120)
"""


def test_build_lock_of_a_killed_build_is_taken_over_with_one_line(tmp_path, caplog):
    processed = tmp_path / "processed"
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(processed)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout.readline().strip() == "held"
    held = read_holder(processed / "build.lock")
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    with caplog.at_level(logging.WARNING), BuildLock(processed) as lock:
        assert lock.previous == held
    assert [r.getMessage() for r in caplog.records] == [
        f"{processed / 'build.lock'}: taking over the lock of a build that did not finish "
        f"(pid {proc.pid}, started {held.started_at}, phase analyse)"
    ]
    assert read_holder(processed / "build.lock").phase == "done"


def test_csv_copies_escape_formula_cells(tmp_path):
    from policytrack.pipeline.store import atomic

    df = pd.DataFrame(
        {"label": ["=HYPERLINK(1)", "+1", "-x", "@sum", "ok", None], "n": [-1, 2, 3, 4, 5, 6]}
    )
    atomic.write_csv(df, tmp_path / "x.csv")
    text = (tmp_path / "x.csv").read_text(encoding="utf-8-sig").splitlines()
    assert text == ["label,n", "'=HYPERLINK(1),-1", "'+1,2", "'-x,3", "'@sum,4", "ok,5", ",6"]


@pytest.mark.parametrize("content", [b"", b"PAR1", b"x" * 40])
def test_damaged_says_why_without_reading(tmp_path, content):
    p = tmp_path / "t.parquet"
    p.write_bytes(content)
    assert layout.damaged(p) is not None
    assert layout.damaged(tmp_path / "none.parquet") == "missing"
