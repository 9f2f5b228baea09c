"""Records the spider hands to the store pipeline."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class FetchedFile:
    """An attachment as downloaded (bytes untouched)."""

    name: str  # sanitised file name (never a path)
    url: str
    content_type: str
    body: bytes
    ext: str


@dataclass
class NoticeItem:
    """One notice version: the detail page as fetched plus its attachments."""

    source: str
    key: str  # url path+query, the identity used for incremental crawls
    url: str  # the link as found on the list page
    final_url: str  # after redirects
    title: str
    year: int | None
    series: str
    body: bytes
    content_type: str
    ext: str
    encoding: str | None = None
    list_title: str = ""
    list_date: str | None = None
    published_at: str | None = None
    department: str | None = None
    issuer: str = ""
    http_status: int = 200
    etag: str | None = None
    last_modified: str | None = None
    fetched_at: str = ""
    attachments: list[FetchedFile] = field(default_factory=list)
    # Attachments that could not be used: {name, url, reason} (+ the bytes when some arrived).
    attachment_errors: list[dict] = field(default_factory=list)
