"""crawler/store.py: a notice version is appended to the manifest at most once, even when two
workers (a stalled one whose requests were requeued, and the one that redid them) store it."""

from __future__ import annotations

import json
import threading
from dataclasses import replace

from policytrack.crawler.items import NoticeItem
from policytrack.crawler.store import ManifestIndex, store_notice
from policytrack.pipeline.store.rawstore import RawStore, append_record, locked

URL = "http://127.0.0.1:1/news/info?newsid=ab12"


def item(body: bytes = b"<html><body><p>v1</p></body></html>") -> NoticeItem:
    return NoticeItem(
        source="hbkx", key="/news/info?newsid=ab12", url=URL, final_url=URL,
        title="关于印发《市科协2023年工作要点》的通知", year=2023, series="市科协工作要点",
        body=body, content_type="text/html", ext="html", fetched_at="2024-01-01T00:00:00Z",
    )  # fmt: skip


def lines(store: RawStore) -> list[dict]:
    return [json.loads(x) for x in store.manifest.read_text(encoding="utf-8").splitlines()]


def test_a_stalled_worker_does_not_append_a_second_record(tmp_path):
    store = RawStore(tmp_path / "data", "hbkx")
    stalled, other = ManifestIndex(store.manifest), ManifestIndex(store.manifest)
    stalled.catch_up()  # it looked at the manifest (empty), then stalled
    first = store_notice(store, item(), None, other)  # the requeued request, redone elsewhere
    # The stalled worker wakes up with its stale view: no previous version known.
    assert store_notice(store, item(), None, stalled) is None
    assert store_notice(store, item(), None) is None  # a fresh index reads the whole manifest
    assert [r["sha256"] for r in lines(store)] == [first["sha256"]]


def test_a_record_appended_by_another_process_is_seen_under_the_lock(tmp_path):
    store = RawStore(tmp_path / "data", "hbkx")
    index = ManifestIndex(store.manifest)
    rec = store_notice(store, item(), None, index)
    # Another process (its own index) stores v2 after our index last caught up.
    v2 = store_notice(store, item(b"<html><body><p>v2</p></body></html>"), rec)
    assert (v2["version"], v2["previous"]) == (2, rec["doc_id"])
    # Our stale view says v1 is the latest, so v2's page looks new: the manifest says otherwise.
    assert store_notice(store, item(b"<html><body><p>v2</p></body></html>"), rec, index) is None
    assert [r["version"] for r in lines(store)] == [1, 2]


def test_a_page_that_changes_back_is_a_new_version(tmp_path):
    store = RawStore(tmp_path / "data", "hbkx")
    index = ManifestIndex(store.manifest)
    v1 = store_notice(store, item(b"<p>A</p>"), None, index)
    v2 = store_notice(store, item(b"<p>B</p>"), v1, index)
    v3 = store_notice(store, item(b"<p>A</p>"), v2, index)  # reverted: the latest is B
    assert [r["version"] for r in lines(store)] == [1, 2, 3]
    assert v3["sha256"] == v1["sha256"] and v3["previous"] == v2["doc_id"]
    # Other URLs and non-crawl records do not count.
    append_record(store.manifest, {"origin": "ingest", "url": URL, "sha256": "x"})
    other = store_notice(store, replace(item(b"<p>A</p>"), url=URL + "cd"), None, index)
    assert other is not None and len(lines(store)) == 5


def test_append_waits_for_the_manifest_lock_and_keeps_lines_whole(tmp_path):
    store = RawStore(tmp_path / "data", "hbkx")
    store.manifest.parent.mkdir(parents=True)
    store.manifest.write_bytes(b'{"torn": ')  # a crash mid-line
    done = threading.Event()
    with locked(store.manifest):
        t = threading.Thread(target=lambda: (store_notice(store, item(), None), done.set()))
        t.start()
        assert not done.wait(0.3)  # held off by the lock (taken once, no self-deadlock)
    t.join(10)
    assert done.is_set()
    raw = store.manifest.read_bytes().split(b"\n")
    assert raw[0] == b'{"torn": ' and json.loads(raw[1])["url"] == URL and raw[2] == b""


def test_store_threads_sharing_one_commit_append_every_record_once(tmp_path):
    """The pipeline stores notices from a thread pool through one Commit (one lock descriptor:
    flock alone would not keep the threads apart) and one ManifestIndex."""
    from concurrent.futures import ThreadPoolExecutor

    from policytrack.crawler.store import Commit

    store = RawStore(tmp_path / "data", "hbkx")
    commit, index = Commit(store), ManifestIndex(store.manifest)
    items = [
        replace(item(f"<p>{i}</p>".encode()), url=f"{URL}{i:04d}", key=f"/k{i}") for i in range(300)
    ]
    with ThreadPoolExecutor(10) as pool:
        stored = list(pool.map(lambda it: store_notice(store, it, None, index, commit), items))
    commit.close()
    assert all(stored)
    assert sorted(r["url"] for r in lines(store)) == sorted(it.url for it in items)
    for rec in lines(store):
        assert (store.root / rec["path"]).read_bytes() == f"<p>{int(rec['url'][-4:])}</p>".encode()


def test_stage_does_no_io_and_skips_the_previous_version(tmp_path):
    from policytrack.crawler.store import Commit

    store = RawStore(tmp_path / "data", "hbkx")
    commit = Commit(store)
    staged = commit.stage(item(), None)
    assert not (tmp_path / "data").exists()  # named and recorded only: nothing written yet
    assert staged.record["path"] == f"2023/{staged.record['sha256'][:16]}.html"
    assert json.loads(staged.line) == staged.record and staged.line.endswith(b"\n")
    assert [path for _, path in staged.files] == [str(store.root / staged.record["path"])]
    assert commit.stage(item(), {"sha256": staged.record["sha256"]}) is None
