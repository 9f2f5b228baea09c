"""Write one notice version into the raw store: files first, then its manifest record (built by
pipeline/store/manifest.py, with the crawl's own fields on top)."""

from __future__ import annotations

import json
from pathlib import Path

from policytrack.crawler.items import NoticeItem
from policytrack.pipeline.store import manifest
from policytrack.pipeline.store.rawstore import RawStore, append_record


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


def store_notice(
    store: RawStore, item: NoticeItem, previous: dict | None, index: ManifestIndex | None = None
) -> dict | None:
    """Store files (content-addressed, fsynced), then append the record. None when unchanged.

    `previous` is the caller's view of the latest record; under the manifest lock the manifest
    itself is checked again (`index`, kept across calls by the pipeline), so a worker whose
    requests were requeued while it stalled does not append a second record of the same page."""
    page = store.store(item.body, item.year, f".{item.ext}")
    if previous and previous.get("sha256") == page[1]:
        return None
    files = []
    for f in item.attachments:
        rel, sha = store.store(f.body, item.year, f".{f.ext}")
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
            err["path"], err["sha256"] = store.store(
                e["body"], item.year, f".{e.get('ext', 'bin')}"
            )
        errors.append(err)
    record = notice_record(item, page, files, errors, previous)
    index = index if index is not None else ManifestIndex(store.manifest)

    def stored_meanwhile() -> bool:  # runs inside the manifest lock
        index.catch_up()
        return index.latest.get(record["url"]) == record["sha256"]

    if not append_record(store.manifest, record, unless=stored_meanwhile):
        return None  # another worker stored this very page meanwhile
    index.note(record)
    return record
