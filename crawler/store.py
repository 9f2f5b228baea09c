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
    """A notice version ready to commit: its record (and its manifest line), and the bytes of
    each file the store may not hold yet with the path they go to (the name is their hash)."""

    record: dict
    line: bytes = b""
    files: list[tuple[bytes, str]] = field(default_factory=list)  # (bytes, final path)


class Commit:
    """Files and records of one crawl's notices (one per crawl and process: the pipeline's).

    A notice goes through two steps: `stage` (hash and name the files, build the record and its
    manifest line: no I/O; the crawler's reactor thread) and `commit` (blocking: the crawl's
    committing process, crawler/commitd.py, so the reactor never waits for the disk): each new
    file written under a temporary name, fsynced once and renamed into place, then the record
    appended under the manifest lock, the commit point. `store_notice` runs the two in a row."""

    def __init__(self, store: RawStore):
        self.store = store
        self.dirs: set[str] = set()  # folders whose new entries are not synced yet
        self._lock: int | None = None  # the manifest's lock file, opened once
        self._manifest: int | None = None  # the manifest, opened once for appending
        self._end = -1  # the manifest's size after our last append
        # flock excludes other processes only: this process's threads take turns here.
        self._threads = threading.Lock()
        self._names = itertools.count(1)  # temporary names (next() is atomic in CPython)
        self._tag = f"{os.getpid()}-{os.urandom(3).hex()}"  # a reused pid: other names
        self._root = str(store.root)
        self._folders: set[str] = set()  # year folders known to exist

    # -- staging (no I/O) ------------------------------------------------------------------
    def _name(self, data: bytes, year: int | None, ext: str, staged: Staged) -> tuple[str, str]:
        """Content-addressed name (as RawStore.store's) and sha256; the bytes join the files
        to write (once per name)."""
        sha = hashlib.sha256(data).hexdigest()
        rel = f"{int(year) if year else 'undated'}/{sha[:16]}{safe_ext(ext)}"
        final = os.path.join(self._root, rel)
        if all(f != final for _, f in staged.files):
            staged.files.append((data, final))
        return rel, sha

    def stage(self, item: NoticeItem, previous: dict | None) -> Staged | None:
        """The notice's files named, its record and manifest line built (no I/O); None when
        the page is the previous version's."""
        staged = Staged({})
        page = self._name(item.body, item.year, f".{item.ext}", staged)
        if previous and previous.get("sha256") == page[1]:
            return None
        files = []
        for f in item.attachments:
            rel, sha = self._name(f.body, item.year, f".{f.ext}", staged)
            files.append({"name": f.name, "url": f.url, "path": rel, "sha256": sha,
                          "content_type": f.content_type})  # fmt: skip
        errors = []
        for e in item.attachment_errors:
            err = {k: v for k, v in e.items() if k != "body"}
            if e.get("body"):  # keep what the site served, even when it is unusable
                err["path"], err["sha256"] = self._name(
                    e["body"], item.year, f".{e.get('ext', 'bin')}", staged
                )
            errors.append(err)
        staged.record = notice_record(item, page, files, errors, previous)
        staged.line = _line(staged.record)
        return staged

    # -- files (blocking) ------------------------------------------------------------------
    def write(self, staged: Staged) -> None:
        """Each file the store does not hold yet: written under a temporary name, fsynced once,
        renamed into place (a name that exists holds these bytes: it is their hash)."""
        for data, final in staged.files:
            where = os.path.dirname(final)
            if os.path.exists(final):
                # a file an earlier writer renamed into place may not be in a synced folder yet
                self.dirs.add(where)
                continue
            if where not in self._folders:
                os.makedirs(where, exist_ok=True)
                self._folders.add(where)
            name = os.path.basename(final)
            tmp = os.path.join(where, f".{name}{atomic.TMP_MARK}{self._tag}-{next(self._names)}")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
            try:
                try:
                    write_all(fd, data)
                    os.fsync(fd)
                finally:
                    os.close(fd)
                os.replace(tmp, final)
            except BaseException as exc:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(tmp)
                if isinstance(exc, OSError) and exc.filename is None:  # write, fsync: name it
                    raise OSError(exc.errno, exc.strerror, final) from exc
                raise
            self.dirs.add(where)

    def commit(self, staged: Staged, index: ManifestIndex) -> dict | None:
        """The files, then the record (the commit point); None when another worker recorded
        this very page meanwhile."""
        self.write(staged)
        return self.record([staged], index)[0]

    def commit_all(self, batch: list[Staged], index: ManifestIndex) -> list:
        """`commit` of each notice in `batch`, with one append for all their records: a record
        (or None, as `commit`), or the exception that kept that notice from being stored."""
        results: list = [None] * len(batch)
        written = []
        for i, staged in enumerate(batch):
            try:
                self.write(staged)
                written.append(i)
            except Exception as exc:  # noqa: BLE001 - that notice fails, the others go on
                results[i] = exc
        if written:
            try:
                records = self.record([batch[i] for i in written], index)
            except Exception as exc:  # noqa: BLE001
                records = [exc] * len(written)
            for i, rec in zip(written, records, strict=True):
                results[i] = rec
        return results

    # -- the record ------------------------------------------------------------------------
    def locked(self, wait: bool = True):
        """The manifest lock (rawstore.locked's file, kept open), held by one thread of this
        process and one process at a time. wait=False: BlockingIOError instead of waiting."""
        return _Held(self, wait)

    def record(self, batch: list[Staged], index: ManifestIndex) -> list[dict | None]:
        """Append the records (their files are in place), each unless the manifest has this
        very page as the URL's latest version already (another worker stored it meanwhile):
        the commit point. One write for the batch; None for a record not appended."""
        out: list[dict | None] = []
        with self.locked():
            index.catch_up()
            lines, batch_latest = [], {}
            for staged in batch:
                rec = staged.record
                if batch_latest.get(rec["url"], index.latest.get(rec["url"])) == rec["sha256"]:
                    out.append(None)
                    continue
                batch_latest[rec["url"]] = rec["sha256"]
                lines.append(staged.line)
                out.append(rec)
            if lines:
                self._append(b"".join(lines), index)
                index.latest.update(batch_latest)  # only once they are in the manifest
        return out

    def _append(self, data: bytes, index: ManifestIndex | None = None) -> None:
        """Write `data` (whole lines) at the manifest's end; inside the lock."""
        if self._manifest is None:
            flags = os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC
            self._manifest = os.open(self.store.manifest, flags, 0o666)
        fd = self._manifest
        size = os.fstat(fd).st_size
        if size and size != self._end and os.pread(fd, 1, size - 1) != b"\n":
            data = b"\n" + data  # a crash mid-write left a torn last line: fence it off
        try:
            write_all(fd, data)
        except OSError as exc:
            # All or nothing: no partial batch (nor a torn line) stays behind.
            with contextlib.suppress(OSError):
                os.ftruncate(fd, size)
            raise OSError(exc.errno, exc.strerror, str(self.store.manifest)) from exc
        self._end = size + len(data)
        if index is not None and index.offset == size:
            index.offset = self._end  # our own lines: no need to read them back
        self.dirs.add(self._root)

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


def write_all(fd: int, data: bytes) -> None:
    """os.write until every byte is written (a write may take fewer)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _line(record: dict) -> bytes:
    return (json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8")


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
        return None if staged is None else commit.commit(staged, index)
    finally:
        if own:
            commit.close()
