"""Item pipeline: NoticeItem → raw files + manifest record; only then is the notice known.
One Commit per crawl: one fsync per stored file, the record as the commit point, and the
directories and manifest fsynced when the spider closes (crawler/store.py). The blocking part
runs in one committing thread (store.Committer), so the reactor keeps downloading and parsing
while the disk works."""

from __future__ import annotations

import itertools
import logging

from policytrack.crawler.items import NoticeItem
from policytrack.crawler.store import Commit, Committer, ManifestIndex

log = logging.getLogger("policytrack.crawler")


class StorePipeline:
    def __init__(self, crawler):
        self.crawler = crawler
        self._commit: Commit | None = None
        self._committer: Committer | None = None
        self._waiting: dict = {}  # token → the Deferred of a notice being committed
        self._tokens = itertools.count()

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def _deliver(self, results) -> None:
        """The committing thread's results, handed to the reactor thread."""
        from twisted.internet import reactor

        reactor.callFromThread(self._fire, results)

    def _fire(self, results) -> None:
        for token, result in results:
            d = self._waiting.pop(token)
            if isinstance(result, BaseException):
                d.errback(result)
            else:
                d.callback(result)

    async def process_item(self, item, spider=None):
        if not isinstance(item, NoticeItem):
            return item
        from scrapy.utils.defer import maybe_deferred_to_future
        from twisted.internet.defer import Deferred

        spider = spider or self.crawler.spider
        if self._commit is None:
            self._commit = Commit(spider.store)
            index = ManifestIndex(spider.store.manifest)  # caught up under the lock per batch
            self._committer = Committer(self._commit, index, self._deliver)
        try:
            # The record is built here (no I/O); its files' writes, one fsync each, renames
            # and the record's append (the commit point) happen in the committing thread.
            staged = self._commit.stage(item, spider.state.latest(item.key))
            record = None
            if staged is not None:
                token = next(self._tokens)
                self._waiting[token] = done = Deferred()
                self._committer.submit(staged, token)
                record = await maybe_deferred_to_future(done)
        except Exception as exc:  # noqa: BLE001 - an item never vanishes without a failure line
            # Disk full, permissions...: the notice stays unknown, so the next crawl retries it.
            entry = {"url": item.url, "title": item.list_title, "date": item.list_date}
            reason = str(exc) if isinstance(exc, OSError) else f"{type(exc).__name__}: {exc}"
            spider.fail(item.key, entry, f"could not store: {reason}", permanent=False)
            return {"failed": item.url}
        if record is None:
            spider.run.unchanged += 1
            return {"unchanged": item.url}
        spider.state.add_record(record)  # known from now on: files and record are on disk
        spider.run.records.append(
            {k: record[k] for k in ("doc_id", "url", "title", "year", "series", "version")}
        )
        log.debug(
            "%s: stored %s (%s %s, v%d)",
            item.url,
            record["path"],
            record["series"],
            record["year"],
            record["version"],
        )
        return record  # the bytes are on disk now; don't keep them in memory

    def close_spider(self, spider=None):
        if self._commit is None:
            return
        try:
            self._committer.close()  # what was submitted is committed (nothing, normally)
            self._commit.close()  # the directories and the manifest, fsynced once
        except OSError as exc:
            log.warning("%s: could not sync the manifest: %s", self._commit.store.root, exc)
