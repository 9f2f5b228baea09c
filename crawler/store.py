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
import itertools
import json
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
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

    @property
    def offset(self) -> int:
        """How far the manifest has been read (Commit.append skips its own line past it)."""
        return self._tail.offset

    @offset.setter
    def offset(self, value: int) -> None:
        self._tail.offset = value

    def note(self, record: dict) -> None:
        self.latest[record["url"]] = record["sha256"]


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


@dataclass
class Staged:
    """A notice version written to temporary files (not yet fsynced, renamed, recorded)."""

    record: dict
    temps: list[tuple[int, str, str]] = field(default_factory=list)  # (fd, temp path, final)

    def discard(self) -> None:
        for fd, tmp, _ in self.temps:
            with contextlib.suppress(OSError):
                os.close(fd)
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
        self.temps = []


class Commit:
    """Files and records of one crawl's notices (one per crawl and process: the pipeline's).

    A notice goes through three steps, so the crawler's reactor thread only waits for what has
    to wait: `stage` (hash, write temporary files: page cache only), `sync` (the one fsync per
    file, then the rename into place: in a worker thread), `record` (append the manifest line
    under the lock: the commit point). `store_notice` runs the three in a row."""

    def __init__(self, store: RawStore):
        self.store = store
        self.dirs: set[str] = set()  # folders whose new entries are not synced yet
        self._lock: int | None = None  # the manifest's lock file, opened once
        self._manifest: int | None = None  # the manifest, opened once for appending
        self._end = -1  # the manifest's size after our last append
        # flock excludes other processes only: this process's threads take turns here.
        self._threads = threading.Lock()
        self._names = itertools.count(1)  # temporary names (next() is atomic in CPython)
        self._tag = os.getpid()
        self._root = str(store.root)
        self._folders: set[str] = set()  # year folders known to exist

    # -- files -----------------------------------------------------------------------------
    def _temp(self, data: bytes, year: int | None, ext: str, staged: Staged) -> tuple[str, str]:
        """Content-addressed name (as RawStore.store's) and sha256; the bytes go to a temporary
        file unless that name exists (renamed into place whole: it holds these bytes)."""
        sha = hashlib.sha256(data).hexdigest()
        folder = str(int(year)) if year else "undated"
        rel = f"{folder}/{sha[:16]}{safe_ext(ext)}"
        final = os.path.join(self._root, rel)
        if os.path.exists(final) or any(f == final for _, _, f in staged.temps):
            return rel, sha
        where = os.path.join(self._root, folder)
        if where not in self._folders:
            os.makedirs(where, exist_ok=True)
            self._folders.add(where)
        tmp = os.path.join(
            where, f".{sha[:16]}{safe_ext(ext)}{atomic.TMP_MARK}{self._tag}-{next(self._names)}"
        )
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
        staged.temps.append((fd, tmp, final))
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        return rel, sha

    def stage(self, item: NoticeItem, previous: dict | None) -> Staged | None:
        """Write the notice's files to temporary names and build its record; None when the
        page is the previous version's."""
        staged = Staged({})
        try:
            page = self._temp(item.body, item.year, f".{item.ext}", staged)
            if previous and previous.get("sha256") == page[1]:
                staged.discard()
                return None
            files = []
            for f in item.attachments:
                rel, sha = self._temp(f.body, item.year, f".{f.ext}", staged)
                files.append({"name": f.name, "url": f.url, "path": rel, "sha256": sha,
                              "content_type": f.content_type})  # fmt: skip
            errors = []
            for e in item.attachment_errors:
                err = {k: v for k, v in e.items() if k != "body"}
                if e.get("body"):  # keep what the site served, even when it is unusable
                    err["path"], err["sha256"] = self._temp(
                        e["body"], item.year, f".{e.get('ext', 'bin')}", staged
                    )
                errors.append(err)
            staged.record = notice_record(item, page, files, errors, previous)
        except BaseException:
            staged.discard()
            raise
        return staged

    def sync(self, staged: Staged) -> None:
        """The one fsync of each new file, then its rename into place (a worker thread)."""
        try:
            for fd, tmp, final in staged.temps:
                os.fsync(fd)
                os.close(fd)
                os.replace(tmp, final)
                self.dirs.add(os.path.dirname(final))
            staged.temps = []
        except BaseException:
            staged.discard()
            raise

    # -- the record ------------------------------------------------------------------------
    def locked(self, wait: bool = True):
        """The manifest lock (rawstore.locked's file, kept open), held by one thread of this
        process and one process at a time. wait=False: BlockingIOError instead of waiting."""
        return _Held(self, wait)

    def record(self, staged: Staged, index: ManifestIndex, wait: bool = True) -> dict | None:
        """Append the record unless the manifest has this very page as the URL's latest
        version already (another worker stored it meanwhile): the commit point."""
        record = staged.record

        def stored_meanwhile() -> bool:  # runs inside the manifest lock
            index.catch_up()
            return index.latest.get(record["url"]) == record["sha256"]

        if not self.append(record, stored_meanwhile, index, wait):
            return None
        index.note(record)
        return record

    def append(
        self,
        record: dict,
        unless: Callable[[], bool] | None = None,
        index: ManifestIndex | None = None,
        wait: bool = True,
    ) -> bool:
        """Append the record under the lock; False when `unless()`, called inside the lock,
        says another writer recorded the same thing already."""
        line = (json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8")
        with self.locked(wait):
            if unless is not None and unless():
                return False
            if self._manifest is None:
                flags = os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC
                self._manifest = os.open(self.store.manifest, flags, 0o666)
            fd = self._manifest
            size = os.fstat(fd).st_size
            if size and size != self._end and os.pread(fd, 1, size - 1) != b"\n":
                line = b"\n" + line  # a crash mid-write left a torn last line: fence it off
            os.write(fd, line)
            self._end = size + len(line)
            if index is not None and index.offset == size:
                index.offset = self._end  # our own line: no need to read it back
        self.dirs.add(self._root)
        return True

    def flush(self) -> None:
        """Make the crawl's records durable: the directories that gained files, the manifest."""
        for folder in sorted(self.dirs):
            atomic.fsync_dir(folder)
        self.dirs.clear()
        with self._threads:
            if self._manifest is not None:
                os.fsync(self._manifest)

    def close(self) -> None:
        self.flush()
        with self._threads:
            for fd in (self._lock, self._manifest):
                if fd is not None:
                    os.close(fd)
            self._lock = self._manifest = None


class _Held:
    def __init__(self, commit: Commit, wait: bool):
        self.commit, self.wait = commit, wait

    def __enter__(self):
        c = self.commit
        if not c._threads.acquire(blocking=self.wait):
            raise BlockingIOError("the manifest lock is taken by another thread")
        try:
            if c._lock is None:
                c.store.root.mkdir(parents=True, exist_ok=True)
                flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC
                c._lock = os.open(f"{c.store.manifest}.lock", flags, 0o666)
            fcntl.flock(c._lock, fcntl.LOCK_EX | (0 if self.wait else fcntl.LOCK_NB))
        except BaseException:
            c._threads.release()
            raise
        return self

    def __exit__(self, *exc):
        fcntl.flock(self.commit._lock, fcntl.LOCK_UN)
        self.commit._threads.release()


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
    index = index if index is not None else ManifestIndex(store.manifest)
    try:
        staged = commit.stage(item, previous)
        if staged is None:
            return None
        commit.sync(staged)
        return commit.record(staged, index)
    finally:
        if own:
            commit.close()
