"""Input validation at the edge of ingest: implausible years from every way a year enters, JSON
depth and numbers, links and special files, a bad --data. One reason per bad record; the good
records of the same batch are kept."""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys
import threading

import pytest

from policytrack.pipeline.core.errors import InputError
from policytrack.pipeline.jobs.build import build
from policytrack.pipeline.jobs.ingest import ingest
from policytrack.pipeline.store.rawstore import RawStore
from policytrack.pipeline.store.tables import read_table
from tests.support.documents import notice_text

CLI = [sys.executable, "-m", "policytrack.pipeline.cli"]
# vocab.plausible_year: 1900 to next year.
RANGE = f"1900–{datetime.date.today().year + 1}"


@pytest.mark.parametrize("year", [99999999999999999999, -2019, 123456789012, 1899])
def test_implausible_year_option_is_refused_before_anything_is_stored(tmp_path, year):
    p = tmp_path / "n.txt"
    p.write_text(notice_text(2019), encoding="utf-8")
    with pytest.raises(InputError) as err:
        ingest([p], "s", tmp_path / "data", year=year)
    assert str(err.value) == f"--year: {year} is not plausible ({RANGE})"
    assert not (tmp_path / "data").exists()


def jsonl(tmp_path, lines: list[str]):
    p = tmp_path / "rows.jsonl"
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return p


def test_a_batch_keeps_good_rows_and_names_every_bad_one(tmp_path):
    def row(title, year, text):
        return json.dumps({"title": title, "content": text, "year": year}, ensure_ascii=False)

    good = row("测试协会2019年工作要点", 2019, notice_text(2019))
    good_str = row("测试协会2021年工作要点", "2021", notice_text(2021))
    lines = [
        good,
        '{"title": "a", "content": "x", "year": Infinity}',
        '{"title": "a", "content": "x", "year": 1e400}',
        '{"title": "a", "content": "x", "year": NaN}',
        '{"title": "a", "content": "x", "year": 99999999999999999999}',
        '{"title": "a", "content": "x", "year": -2019}',
        '{"title": "a", "content": "x", "year": 2019.5}',
        '{"title": "a", "content": "x", "year": true}',
        "[" * 100_000 + "]" * 100_000,
        '{"title": "a", "content": "x", "year": 2019, "x": ' + "[" * 30 + "]" * 30 + "}",
        '{"title": {"nested": 1}, "content": "x", "year": 2019}',
        good_str,
    ]
    result = ingest([jsonl(tmp_path, lines)], "s", tmp_path / "data")
    where = str(tmp_path / "rows.jsonl")
    assert result.skipped == [
        (f"{where}:2", "invalid JSON (Infinity is not a number)"),
        (f"{where}:3", "invalid JSON (number 1e400 out of range)"),
        (f"{where}:4", "invalid JSON (NaN is not a number)"),
        (f"{where}:5", f"year 99999999999999999999 is not plausible ({RANGE})"),
        (f"{where}:6", f"year -2019 is not plausible ({RANGE})"),
        (f"{where}:7", "year 2019.5 is not a year"),
        (f"{where}:8", "year True is not a year"),
        (f"{where}:9", "invalid JSON (nested too deep)"),
        (f"{where}:10", "invalid JSON (nested deeper than 20 levels)"),
        (f"{where}:11", "'title' must be text"),
    ]
    assert sorted(r["year"] for r in result.added) == [2019, 2021]


def test_links_and_special_files_are_refused(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "good.txt").write_text(notice_text(2019), encoding="utf-8")
    (folder / "passwd.txt").symlink_to("/etc/passwd")
    os.mkfifo(folder / "pipe.txt")  # reading it would block forever
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text(notice_text(2020), encoding="utf-8")
    (folder / "linked").symlink_to(outside, target_is_directory=True)
    link = tmp_path / "link.txt"
    link.symlink_to("/etc/passwd")
    done = {}

    def go():
        done["result"] = ingest([folder, link, folder / "pipe.txt"], "s", tmp_path / "data")

    t = threading.Thread(target=go, daemon=True)
    t.start()
    t.join(20)
    assert not t.is_alive(), "ingest hung on a special file"
    result = done["result"]
    link_reason = "a symbolic link (not followed: pass the file it points to)"
    assert sorted(result.skipped) == sorted(
        [
            (str(folder / "passwd.txt"), link_reason),
            (str(folder / "pipe.txt"), "not a regular file (a FIFO); only regular files are read"),
            (str(link), link_reason),
            (str(folder / "pipe.txt"), "not a regular file (a FIFO); only regular files are read"),
        ]
    )
    assert [r["original_name"] for r in result.added] == ["good.txt"]  # not the linked folder


def test_data_that_is_a_file_is_one_line(tmp_path):
    p = tmp_path / "n.txt"
    p.write_text(notice_text(2019), encoding="utf-8")
    with pytest.raises(InputError) as err:
        ingest([p], "s", "/etc/passwd")
    assert str(err.value) == "/etc/passwd: not a directory (--data takes the data folder)"
    with pytest.raises(InputError) as err:
        read_table("/etc/passwd", "items")
    assert str(err.value) == "/etc/passwd: not a directory (--data takes the data folder)"


@pytest.mark.slow
@pytest.mark.parametrize(
    "args",
    [
        ["ingest", "n.txt", "--source", "s", "--data", "/etc/passwd"],
        ["build", "--data", "/etc/passwd"],
        ["run", "--offline", "--data", "/etc/passwd"],
        ["terms", "s", "--data", "/etc/passwd"],
        ["ingest", "n.txt", "--source", "s", "--year", "99999999999999999999", "--data", "d"],
        ["ingest", "n.txt", "--source", "s", "--year", "-2019", "--data", "d"],
    ],
)
def test_cli_bad_data_or_year_is_one_line(tmp_path, args):
    (tmp_path / "n.txt").write_text(notice_text(2019), encoding="utf-8")
    proc = subprocess.run([*CLI, *args], cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 2
    if "/etc/passwd" in args:
        expected = "error: /etc/passwd: not a directory (--data takes the data folder)"
    else:
        expected = f"error: --year: {args[args.index('--year') + 1]} is not plausible ({RANGE})"
    assert proc.stderr.splitlines() == [expected]
    assert not (tmp_path / "d").exists()


@pytest.mark.slow
def test_a_poisoned_manifest_fails_one_document_not_the_build(tmp_path):
    data = tmp_path / "data"
    (tmp_path / "n.txt").write_text(notice_text(2019), encoding="utf-8")
    ingest([tmp_path / "n.txt"], "s", data)
    # A record written before years were checked (the manifest is append-only: it stays).
    store = RawStore(data, "s")
    rec = dict(store.records()[0])
    q = tmp_path / "m.txt"
    q.write_text(notice_text(2020), encoding="utf-8")
    stored = store.store(q.read_bytes(), 2020, ".txt")
    rec.update(doc_id=stored[1][:16], sha256=stored[1], path=stored[0], year_override=True)
    rec["year"] = 99999999999999999999
    store.append(rec)
    result = build(data)
    assert result.failures == [
        (
            str(store.root / stored[0]),
            f"manifest year 99999999999999999999 is not plausible ({RANGE})",
        )
    ]
    assert list(read_table(data, "documents").year) == [2019]
