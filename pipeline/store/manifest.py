"""A manifest record: the one place its common fields are built (docs/data.md, "Raw store").

Ingest and the crawler both store a file and then describe it with `record(...)`, adding their own
fields (`original_name`, `year_override`; `url`, `attachments`, `version`, …) on top.
"""

from __future__ import annotations

from policytrack.pipeline.store.rawstore import now_iso

ORIGINS = ("ingest", "crawl")
_TIME_FIELD = {"ingest": "ingested_at", "crawl": "fetched_at"}


def record(
    *,
    source: str,
    origin: str,
    stored: tuple[str, str],
    content_type: str,
    encoding: str | None,
    title: str,
    year: int | None,
    series: str,
    at: str | None = None,
    **extra,
) -> dict:
    """`stored` is RawStore.store's (relative path, sha256); `at` defaults to now (UTC)."""
    if origin not in ORIGINS:
        raise ValueError(f"origin must be one of {ORIGINS}, not {origin!r}")
    rel, sha = stored
    return {
        "doc_id": sha[:16],
        "source": source,
        "origin": origin,
        "sha256": sha,
        "path": rel,
        "content_type": content_type,
        "encoding": encoding,
        "title": title,
        "year": year,
        "series": series,
        _TIME_FIELD[origin]: at or now_iso(),
        **extra,
    }
