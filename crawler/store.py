"""Write one notice version into the raw store: files first, then its manifest record (built by
pipeline/store/manifest.py, with the crawl's own fields on top).

One durable commit per notice (Commit): each file is written under a temporary name, fsynced once
and renamed to its content-addressed name; then the record is appended to the manifest under the
manifest lock, and that append is the commit point: a notice is known exactly when its record is
there. The new directory entries and the manifest are fsynced together when the crawl closes
(`Commit.flush`), not per notice: with ordered metadata (ext4, xfs) a record never reaches the
disk before the rename of its files, and power lost before the flush costs the last records,
whose notices the next crawl fetches again (their files are reused).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

from policytrack.crawler.items import NoticeItem
from policytrack.pipeline.store import atomic, manifest
from policytrack.pipeline.store.rawstore import RawStore, safe_ext


class ManifestTail:
    """Records appended to a manifest since the last read (complete lines only)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.offset = 0

    def read(self) -> list[dict]:
        try:
            size = self.path.stat().st_size
        except FileNotFoundError:
            return []
        if size < self.offset:  # replaced (never happens to an append-only manifest): reread
            self.offset = 0
        if size == self.offset:
            return []
        with open(self.path, "rb") as fh:
            fh.seek(self.offset)
            chunk = fh.read(size - self.offset)
        end = chunk.rfind(b"\n") + 1  # a line still being written is read next time
        self.offset += end
        out = []
        for line in chunk[:end].splitlines():
            try:
                rec = json.loads(line) if line.strip() else None
            except ValueError:
                continue  # a torn line from a crash; iter_manifest logs it for readers
            if isinstance(rec, dict):
                out.append(rec)
        return out


class ManifestIndex:
    """The sha256 of the latest crawl record of each URL on disk, caught up from the manifest's
    tail. Only read and updated while holding the manifest lock, so one process's store threads
    and other workers see every record appended before theirs."""

    def __init__(self, path: Path):
        self._tail = ManifestTail(path)
        self.latest: dict[str, str] = {}  # url → sha256 of its last record

    def catch_up(self) -> None:
        for rec in self._tail.read():
            if rec.get("origin") == "crawl" and rec.get("url"):
                self.latest[rec["url"]] = rec.get("sha256", "")

    def note(self, record: dict) -> None:
        self.latest[record["url"]] = record["sha256"]
        # Our own line is read back by the next catch_up: harmless, it says the same.


# NoticeItem fields a record carries as they are: those manifest.record names, then the crawl's.
_COMMON = ("source", "content_type", "encoding", "title", "year", "series")
_CRAWL = ("published_at", "department", "issuer", "http_status", "list_title", "list_date")


def notice_record(
    item: NoticeItem,
    page: tuple[str, str],
    files: list[dict],
    errors: list[dict],
    previous: dict | None,
) -> dict:
    extra = {"url": item.url, "attachments": files, "attachment_errors": errors}
    extra.update((k, getattr(item, k)) for k in _CRAWL)
    record = manifest.record(
        origin="crawl",
        stored=page,
        at=item.fetched_at or None,
        **{k: getattr(item, k) for k in _COMMON},
        **extra,
        files=[page[0]] + [f["path"] for f in files] + [e["path"] for e in errors if e.get("path")],
        version=(previous.get("version") or 1) + 1 if previous else 1,
        previous=previous.get("doc_id") if previous else None,
    )
    if item.final_url and item.final_url != item.url:
        record["final_url"] = item.final_url
    if item.etag:
        record["etag"] = item.etag
    if item.last_modified:
        record["last_modified"] = item.last_modified
    return record


class Commit:
    """Files and records of one crawl's notices (one per crawl and process: the pipeline's)."""

    def __init__(self, store: RawStore):
        self.store = store
        self.dirs: set[Path] = set()
        self._lock: int | None = None  # the manifest's lock file, opened once
        # flock excludes other processes only: this process's store threads share the descriptor.
        self._threads = threading.Lock()

    def put(self, data: bytes, year: int | None, ext: str) -> tuple[str, str]:
        """Store bytes content-addressed (as RawStore.store names them); (relative path, sha256).
        A name that exists already holds these bytes (renamed into place whole): not rewritten."""
        sha = hashlib.sha256(data).hexdigest()
        rel = f"{int(year) if year else 'undated'}/{sha[:16]}{safe_ext(ext)}"
        path = self.store.root / rel
        if path.exists():
            return rel, sha
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}{atomic.TMP_MARK}", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())  # the one fsync of this file
            os.chmod(tmp, 0o666 & ~_UMASK)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        self.dirs.add(path.parent)
        return rel, sha

    @contextlib.contextmanager
    def locked(self):
        """The manifest lock (rawstore.locked's file), its descriptor kept open across notices;
        held by one thread of this process at a time and by one process at a time."""
        with self._threads:
            if self._lock is None:
                self.store.root.mkdir(parents=True, exist_ok=True)
                flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC
                self._lock = os.open(f"{self.store.manifest}.lock", flags, 0o666)
            fcntl.flock(self._lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(self._lock, fcntl.LOCK_UN)

    def append(self, record: dict, unless: Callable[[], bool] | None = None) -> bool:
        """Append the record under the lock (the commit point); False when `unless()`, called
        inside the lock, says another writer recorded the same thing already."""
        line = (json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8")
        with self.locked():
            if unless is not None and unless():
                return False
            with open(self.store.manifest, "ab+") as fh:
                fh.seek(0, os.SEEK_END)
                if fh.tell() > 0:  # a crash mid-write may have left a torn last line
                    fh.seek(-1, os.SEEK_END)
                    if fh.read(1) != b"\n":
                        line = b"\n" + line
                fh.write(line)
        self.dirs.add(self.store.root)
        return True

    def flush(self) -> None:
        """Make the crawl's records durable: the directories that gained files, the manifest."""
        for folder in sorted(self.dirs):
            with contextlib.suppress(OSError):
                fd = os.open(folder, os.O_RDONLY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
        if self.store.manifest.exists():
            with open(self.store.manifest, "rb") as fh:
                os.fsync(fh.fileno())
        self.dirs.clear()

    def close(self) -> None:
        self.flush()
        with self._threads:
            if self._lock is not None:
                os.close(self._lock)
                self._lock = None


_UMASK = os.umask(0)
os.umask(_UMASK)


def store_notice(
    store: RawStore,
    item: NoticeItem,
    previous: dict | None,
    index: ManifestIndex | None = None,
    commit: Commit | None = None,
) -> dict | None:
    """Store files (content-addressed, fsynced), then append the record. None when unchanged.

    `previous` is the caller's view of the latest record; under the manifest lock the manifest
    itself is checked again (`index`, kept across calls by the pipeline), so a worker whose
    requests were requeued while it stalled does not append a second record of the same page.
    Without a `commit` (the pipeline's, flushed when the crawl closes) the record is made
    durable before returning."""
    own = commit is None
    commit = commit or Commit(store)
    try:
        return _store(commit, item, previous, index)
    finally:
        if own:
            commit.close()


def _store(commit: Commit, item, previous, index) -> dict | None:
    store = commit.store
    page = commit.put(item.body, item.year, f".{item.ext}")
    if previous and previous.get("sha256") == page[1]:
        return None
    files = []
    for f in item.attachments:
        rel, sha = commit.put(f.body, item.year, f".{f.ext}")
        files.append(
            {
                "name": f.name,
                "url": f.url,
                "path": rel,
                "sha256": sha,
                "content_type": f.content_type,
            }
        )
    errors = []
    for e in item.attachment_errors:
        err = {k: v for k, v in e.items() if k != "body"}
        if e.get("body"):  # keep what the site served, even when it is unusable
            err["path"], err["sha256"] = commit.put(e["body"], item.year, f".{e.get('ext', 'bin')}")
        errors.append(err)
    record = notice_record(item, page, files, errors, previous)
    index = index if index is not None else ManifestIndex(store.manifest)

    def stored_meanwhile() -> bool:  # runs inside the manifest lock
        index.catch_up()
        return index.latest.get(record["url"]) == record["sha256"]

    if not commit.append(record, unless=stored_meanwhile):
        return None  # another worker stored this very page meanwhile
    index.note(record)
    return record
