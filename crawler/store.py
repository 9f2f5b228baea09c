"""Write one notice version into the raw store: files first, then its manifest record."""

from __future__ import annotations

from crawler.items import NoticeItem
from pipeline.rawstore import RawStore, now_iso


def notice_record(
    item: NoticeItem,
    page: tuple[str, str],
    files: list[dict],
    errors: list[dict],
    previous: dict | None,
) -> dict:
    rel, sha = page
    record = {
        "doc_id": sha[:16],
        "source": item.source,
        "origin": "crawl",
        "sha256": sha,
        "path": rel,
        "content_type": item.content_type,
        "encoding": item.encoding,
        "title": item.title,
        "year": item.year,
        "series": item.series,
        "url": item.url,
        "fetched_at": item.fetched_at or now_iso(),
        "attachments": files,
        "attachment_errors": errors,
        "published_at": item.published_at,
        "department": item.department,
        "issuer": item.issuer,
        "http_status": item.http_status,
        "list_title": item.list_title,
        "list_date": item.list_date,
        "files": [rel] + [f["path"] for f in files] + [e["path"] for e in errors if e.get("path")],
        "version": (previous.get("version") or 1) + 1 if previous else 1,
        "previous": previous.get("doc_id") if previous else None,
    }
    if item.final_url and item.final_url != item.url:
        record["final_url"] = item.final_url
    if item.etag:
        record["etag"] = item.etag
    if item.last_modified:
        record["last_modified"] = item.last_modified
    return record


def store_notice(store: RawStore, item: NoticeItem, previous: dict | None) -> dict | None:
    """Store files (content-addressed, fsynced), then append the record. None when unchanged."""
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
    store.append(record)
    return record
