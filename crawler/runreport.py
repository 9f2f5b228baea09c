"""What one source's crawl did: requests, new records, problems (the line in crawllog.jsonl).

Every spider family fills the same RunReport; pipeline/jobs/stats.py reads it into run stats.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from policytrack.pipeline.store.rawstore import now_iso


@dataclass
class Problem:
    url: str
    reason: str
    fatal: bool = True  # False: worth a log line, not a failed crawl (robots.txt, off-site)

    def __str__(self) -> str:
        return f"{self.url}: {self.reason}"


@dataclass
class RunReport:
    source: str
    started_at: str = field(default_factory=now_iso)
    finished_at: str | None = None
    requests: dict[str, int] = field(default_factory=dict)  # by kind, robots.txt included
    records: list[dict] = field(default_factory=list)
    unchanged: int = 0
    list_pages: int = 0
    problems: list[Problem] = field(default_factory=list)
    # For run stats (pipeline/jobs/stats.py): what the site answered and what the selectors found.
    statuses: dict[str, int] = field(default_factory=dict)  # HTTP status → responses
    list_entries: int = 0  # entries the list selector yielded
    matched: int = 0  # of those, titles that passed the title filter
    selector_misses: list[dict] = field(default_factory=list)  # {kind, url, selector}
    blocked: int = 0  # requests and redirect hops refused by the site guard (off-site, scheme)
    close_reason: str | None = None  # Scrapy's: finished | shutdown (a signal) | ...

    @property
    def failures(self) -> list[Problem]:
        return [p for p in self.problems if p.fatal]

    def to_dict(self) -> dict:
        return {
            "source": self.source,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "requests": dict(sorted(self.requests.items())),
            "new_records": len(self.records),
            "unchanged": self.unchanged,
            "list_pages": self.list_pages,
            "failures": [str(p) for p in self.failures],
            "notes": [str(p) for p in self.problems if not p.fatal],
            "statuses": dict(sorted(self.statuses.items())),
            "list_entries": self.list_entries,
            "matched": self.matched,
            "selector_misses": list(self.selector_misses),
            "blocked": self.blocked,
            "close_reason": self.close_reason,
        }

    def missed(self, kind: str, url: str, selector: str) -> None:
        """A selector (list item, detail body, column link text) that matched nothing."""
        self.selector_misses.append({"kind": kind, "url": url, "selector": selector})
