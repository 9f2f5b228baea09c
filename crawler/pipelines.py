"""Item pipeline: NoticeItem → raw files + manifest record; only then is the notice known.
One Commit per crawl: a file fsync per stored file, the record as the commit point, and the
directories and manifest fsynced when the spider closes (crawler/store.py)."""

from __future__ import annotations

import logging

from twisted.internet.threads import deferToThread

from policytrack.crawler.items import NoticeItem
from policytrack.crawler.store import Commit, ManifestIndex

log = logging.getLogger("policytrack.crawler")


class StorePipeline:
    def __init__(self, crawler):
        self.crawler = crawler
        self._index: ManifestIndex | None = None  # what the manifest holds, caught up per store
        self._commit: Commit | None = None

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    async def process_item(self, item, spider=None):
        if not isinstance(item, NoticeItem):
            return item
        from scrapy.utils.defer import maybe_deferred_to_future

        spider = spider or self.crawler.spider
        if self._index is None:
            self._index = ManifestIndex(spider.store.manifest)
            self._commit = Commit(spider.store)
        commit, staged = self._commit, None
        try:
            # Files go to temporary names here (page cache), their fsyncs and renames run in a
            # worker thread so the reactor keeps downloading, and the record is appended here
            # under the manifest lock (in a thread too when another process holds it).
            staged = commit.stage(item, spider.state.latest(item.key))
            if staged is None:
                record = None
            else:
                await maybe_deferred_to_future(deferToThread(commit.sync, staged))
                try:
                    record = commit.record(staged, self._index, wait=False)
                except BlockingIOError:
                    record = await maybe_deferred_to_future(
                        deferToThread(commit.record, staged, self._index)
                    )
        except Exception as exc:  # noqa: BLE001 - an item never vanishes without a failure line
            if staged is not None:
                staged.discard()
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
        if self._commit is not None:
            try:
                self._commit.close()  # the directories and the manifest, fsynced once
            except OSError as exc:
                log.warning("%s: could not sync the manifest: %s", self._commit.store.root, exc)
