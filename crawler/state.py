"""What a source's crawls already know, kept on disk under data/raw/<source>/.

- Known notices come from manifest.jsonl itself: a notice is known exactly when its record is on
  disk, and a record is appended only after its files are (the pitfall of scrapy-deltafetch, which
  marks a page seen when the item is yielded, cannot happen: a crash before the append leaves the
  notice unknown and the next crawl fetches it again).
- crawlstate.json holds what only saves requests: list entries seen and skipped (title did not
  match), notices given up on (404, garbage page), notices to retry (5xx, timeouts), and whether a
  column was walked to its end, which is what lets a nightly crawl stop at the first list page
  holding only known notices (walked with the same title filter and list selectors: a widened
  filter walks the column again, to find older entries skipped before). Losing it costs
  requests, never data.

Keys are the URL's path and query, so a mirror on another host or port shares the state.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from policytrack.pipeline.store import atomic
from policytrack.pipeline.store.rawstore import RawStore, locked, now_iso

log = logging.getLogger(__name__)

STATE_FILE = "crawlstate.json"
STATE_VERSION = 1


def url_key(url: str) -> str:
    u = urlsplit(url)
    return (u.path or "/") + (f"?{u.query}" if u.query else "")


@dataclass
class CrawlState:
    versions: dict[str, list[dict]] = field(
        default_factory=dict
    )  # key → manifest records, in order
    page_shas: set[str] = field(default_factory=set)
    seen: set[str] = field(default_factory=set)  # list entries skipped on purpose
    gone: dict[str, dict] = field(default_factory=dict)  # key → {url, reason, at}
    pending: dict[str, dict] = field(default_factory=dict)  # key → {url, title, reason, attempts}
    walked: dict[str, bool] = field(default_factory=dict)  # column → walked to its end once
    # column → Source.walk_fingerprint() of that walk: a changed title filter or list selector
    # makes entries skipped as `seen` worth another look, so the column must be walked again.
    walked_with: dict[str, str] = field(default_factory=dict)
    resolved: set[str] = field(default_factory=set)  # keys settled during this run

    # -- queries ---------------------------------------------------------------------------
    def is_known(self, key: str) -> bool:
        return key in self.versions

    def was_seen(self, key: str) -> bool:
        """Seen by an earlier crawl in any way (collected, skipped, given up, waiting for retry)."""
        return key in self.versions or key in self.seen or key in self.gone or key in self.pending

    def walked_before(self, column: str, fingerprint: str) -> bool:
        """Walked to its end by an earlier crawl with the same title filter and list selectors."""
        return bool(self.walked.get(column)) and self.walked_with.get(column) == fingerprint

    def latest(self, key: str) -> dict | None:
        recs = self.versions.get(key)
        return recs[-1] if recs else None

    # -- updates (in memory; save() persists) ----------------------------------------------
    def add_record(self, record: dict) -> None:
        key = url_key(record.get("url") or "")
        self.versions.setdefault(key, []).append(record)
        self.page_shas.add(record.get("sha256", ""))
        self.resolve(key)

    def resolve(self, key: str) -> None:
        self.gone.pop(key, None)
        self.pending.pop(key, None)
        self.resolved.add(key)

    def give_up(self, key: str, url: str, reason: str) -> None:
        self.pending.pop(key, None)
        self.gone[key] = {"url": url, "reason": reason, "at": now_iso()}

    def defer(self, key: str, entry: dict, reason: str) -> None:
        """Fetch again next crawl without counting an attempt (the crawl was stopped)."""
        attempts = int(self.pending.get(key, {}).get("attempts", 0))
        self.pending[key] = {**entry, "reason": reason, "attempts": attempts, "at": now_iso()}

    def retry_later(self, key: str, entry: dict, reason: str, max_attempts: int) -> bool:
        """Queue a transient failure for the next crawl; False once attempts run out."""
        attempts = int(self.pending.get(key, {}).get("attempts", 0)) + 1
        if attempts >= max_attempts:
            self.give_up(key, entry.get("url", key), f"{reason} (gave up after {attempts} crawls)")
            return False
        self.pending[key] = {**entry, "reason": reason, "attempts": attempts, "at": now_iso()}
        return True

    # -- disk ------------------------------------------------------------------------------
    @classmethod
    def load(cls, store: RawStore) -> CrawlState:
        state = cls()
        for rec in store.records():
            if rec.get("origin") == "crawl" and rec.get("url"):
                key = url_key(rec["url"])
                state.versions.setdefault(key, []).append(rec)
                state.page_shas.add(rec.get("sha256", ""))
        for recs in state.versions.values():
            recs.sort(key=lambda r: (r.get("version") or 0, r.get("fetched_at") or ""))
        disk = _read(store.root / STATE_FILE)
        state.seen = set(disk.get("seen", []))
        state.gone = {k: v for k, v in disk.get("gone", {}).items() if k not in state.versions}
        state.pending = {
            k: v for k, v in disk.get("pending", {}).items() if k not in state.versions
        }
        state.walked = dict(disk.get("walked", {}))
        state.walked_with = dict(disk.get("walked_with", {}))
        return state

    def save(self, store: RawStore, walked: dict[str, bool], fingerprint: str = "") -> None:
        """Merge into crawlstate.json under a lock (several workers may share a data dir).
        `walked` holds this crawl's verdicts, made under `fingerprint` (Source.walk_fingerprint)."""
        path = store.root / STATE_FILE
        with locked(path):
            disk = _read(path)
            known = set(self.versions)
            gone = {**disk.get("gone", {}), **self.gone}
            pending = {**disk.get("pending", {}), **self.pending}
            for key in self.resolved | known:
                if key not in self.gone:
                    gone.pop(key, None)
                if key not in self.pending:
                    pending.pop(key, None)
            merged = {
                "version": STATE_VERSION,
                "updated_at": now_iso(),
                "seen": sorted(set(disk.get("seen", [])) | self.seen),
                "gone": dict(sorted(gone.items())),
                "pending": dict(sorted(pending.items())),
                "walked": {**disk.get("walked", {}), **walked},
                "walked_with": {
                    **disk.get("walked_with", {}),
                    **dict.fromkeys(walked, fingerprint),
                },
            }
            atomic.write_text(path, json.dumps(merged, ensure_ascii=False, indent=1) + "\n")


def _read(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        # Only costs requests: the next crawl walks every list page again.
        log.warning(
            "%s: unreadable crawl state (%s); starting afresh", path, exc.__class__.__name__
        )
        return {}
    return data if isinstance(data, dict) and data.get("version") == STATE_VERSION else {}
