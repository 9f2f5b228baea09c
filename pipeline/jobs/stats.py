"""Per-source crawl stats (DIR/logs/stats.jsonl) and the signs that a site changed its layout.

One line per source per run. A source is flagged when
- its list pages yielded no items (the list selector matched nothing), its column link was not
  found, or a detail page had no body under the body selector: the selector is named;
- it found nothing new for longer than its usual publication gap: the largest gap between
  consecutive publication dates of its recent notices (at least MIN_GAP_DAYS). Annual notices
  come about once a year per series, so silence past the widest recent gap is worth a look.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from policytrack.pipeline.store.rawstore import append_record, iter_manifest

log = logging.getLogger(__name__)

STATS_FILE = "stats.jsonl"
RECENT = 10  # publication gaps looked at
MIN_NOTICES = 3  # fewer dated notices than this: no usual gap yet
MIN_GAP_DAYS = 30
MAX_LISTED = 10  # failures kept per stats line


@dataclass
class Flag:
    source: str
    kind: str  # list | column | detail | silent | unreachable
    message: str
    fatal: bool = True  # silent is a warning; the others come with crawl failures

    def __str__(self) -> str:
        return f"{self.source}: {self.message}"


@dataclass
class SourceStats:
    """What one source's crawl did in one run (a line of stats.jsonl)."""

    run: str
    source: str
    ok: bool
    requests: int = 0
    requests_by_kind: dict[str, int] = field(default_factory=dict)
    http: dict[str, int] = field(default_factory=dict)
    list_pages: int = 0
    list_entries: int = 0
    notices_found: int = 0  # list entries whose title passed the filter
    new_notices: int = 0
    unchanged: int = 0
    errors: int = 0
    blocked: int = 0  # requests and redirect hops the site guard refused (off-site, scheme)
    failures: list[str] = field(default_factory=list)
    selector_misses: list[dict] = field(default_factory=list)
    started_at: str | None = None
    finished_at: str | None = None
    close_reason: str | None = None  # finished | shutdown (stopped by a signal) | ...

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def from_report(run: str, report) -> SourceStats:
    """A crawler RunReport (crawler/spiders/generic.py) → SourceStats."""
    d = report.to_dict()
    failures = d.get("failures", [])
    return SourceStats(
        run=run,
        source=d["source"],
        ok=not failures,
        requests=sum(d.get("requests", {}).values()),
        requests_by_kind=d.get("requests", {}),
        http=d.get("statuses", {}),
        list_pages=d.get("list_pages", 0),
        list_entries=d.get("list_entries", 0),
        notices_found=d.get("matched", 0),
        new_notices=d.get("new_records", 0),
        unchanged=d.get("unchanged", 0),
        errors=len(failures),
        blocked=d.get("blocked", 0),
        failures=failures[:MAX_LISTED],
        selector_misses=d.get("selector_misses", [])[:MAX_LISTED],
        started_at=d.get("started_at"),
        finished_at=d.get("finished_at"),
        close_reason=d.get("close_reason"),
    )


def failed_source(run: str, source: str, reason: str) -> SourceStats:
    """A source whose crawl did not run at all (the crawler raised)."""
    return SourceStats(run=run, source=source, ok=False, errors=1, failures=[reason])


def append(logs_dir: Path, stats: list[SourceStats]) -> Path:
    path = Path(logs_dir) / STATS_FILE
    for s in stats:
        append_record(path, s.to_dict())
    return path


def history(logs_dir: Path, source: str | None = None) -> list[dict]:
    """Earlier stats lines (torn lines skipped), oldest first."""
    rows = iter_manifest(Path(logs_dir) / STATS_FILE)
    return [r for r in rows if source is None or r.get("source") == source]


# --------------------------------------------------------------------------------------------
# flags


def selector_flags(s: SourceStats) -> list[Flag]:
    """Selectors that matched nothing in this run: one flag per selector, naming the first URL."""
    misses: dict[tuple[str, str], list[str]] = {}
    for miss in s.selector_misses:
        misses.setdefault((miss.get("kind", ""), miss.get("selector", "")), []).append(
            miss.get("url", "")
        )
    flags = []
    for (kind, selector), urls in misses.items():
        where = urls[0] + (f" (and {len(urls) - 1} more)" if len(urls) > 1 else "")
        if kind == "list":
            msg = (
                f"list pages yield no items: list selector `{selector}` matched nothing on {where}"
            )
        elif kind == "column":
            msg = f"column link not found: link text `{selector}` matched nothing on {where}"
        else:
            msg = f"detail body selector `{selector}` matched nothing on {where}"
        flags.append(Flag(s.source, kind, msg))
    if s.list_pages and not s.list_entries and not misses:
        flags.append(Flag(s.source, "list", "list pages yield no items"))
    return flags


def _day(value) -> date | None:
    text = str(value or "")[:10]
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def usual_gap(published: list[date]) -> int | None:
    """Largest gap (days) between consecutive distinct publication dates of the recent notices."""
    days = sorted(set(published))[-(RECENT + 1) :]
    if len(days) < MIN_NOTICES:
        return None
    return max(MIN_GAP_DAYS, max((b - a).days for a, b in zip(days, days[1:], strict=False)))


def silence_flag(source: str, records: list[dict], today: date, hint: str = "") -> Flag | None:
    """Flag a source whose last new notice was found longer ago than its usual gap.

    `records` are its crawl manifest records: `published_at` dates give the usual gap,
    `fetched_at` of the latest record is when the crawler last found something. `hint` says
    what this run's selectors found, for the message.
    """
    crawled = [r for r in records if r.get("origin") == "crawl"]
    published = [d for r in crawled if (d := _day(r.get("published_at") or r.get("list_date")))]
    gap = usual_gap(published)
    found = [d for r in crawled if (d := _day(r.get("fetched_at")))]
    if gap is None or not found:
        return None
    silent = (today - max(found)).days
    if silent <= gap:
        return None
    return Flag(
        source,
        "silent",
        f"nothing new for {silent} days (last found {max(found).isoformat()}), longer than "
        f"its usual publication gap of {gap} days" + (f"; {hint}" if hint else ""),
        fatal=False,
    )


def source_flags(
    data_dir: Path, s: SourceStats, today: date | None = None, list_selector: str = ""
) -> list[Flag]:
    """Every flag for one source after this run's crawl (`list_selector`: its list.item)."""
    flags = selector_flags(s)
    if not s.list_pages and not s.ok and not flags:
        reason = s.failures[0] if s.failures else "no list page could be fetched"
        flags.append(Flag(s.source, "unreachable", f"no list page reached ({reason})"))
    hint = ""
    if list_selector and s.list_pages:
        hint = (
            f"this run the list selector `{list_selector}` found {s.list_entries} entries, "
            f"{s.notices_found} with a matching title"
        )
    manifest = Path(data_dir) / "raw" / s.source / "manifest.jsonl"
    silent = silence_flag(s.source, list(iter_manifest(manifest)), today or _today(), hint)
    if silent:
        flags.append(silent)
    return flags


def _today() -> date:
    return datetime.now(UTC).date()


def to_json(flags: list[Flag]) -> list[dict]:
    return [dict(f.__dict__) for f in flags]
