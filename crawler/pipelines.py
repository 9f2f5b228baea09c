"""Item pipeline: NoticeItem → raw files + manifest record; only then is the notice known.

Each notice is staged here (its files named by their hash, its record and manifest line built:
no I/O) and committed by the crawl's committing process (crawler/commitd.py): one fsync per
stored file, the record appended as the commit point, the directories and the manifest fsynced
when the spider closes (crawler/store.py). The reactor keeps downloading and parsing meanwhile,
on its own core."""

from __future__ import annotations

import logging

from policytrack.crawler.commitd import Client
from policytrack.crawler.items import NoticeItem
from policytrack.crawler.store import Commit

log = logging.getLogger("policytrack.crawler")


class StorePipeline:
    def __init__(self, crawler):
        self.crawler = crawler
        self._commit: Commit | None = None  # stages notices (its I/O half runs in commitd)
        self._client: Client | None = None

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    async def process_item(self, item, spider=None):
        if not isinstance(item, NoticeItem):
            return item
        from scrapy.utils.defer import maybe_deferred_to_future

        spider = spider or self.crawler.spider
        if self._commit is None:
            self._commit = Commit(spider.store)
            self._client = Client(spider.store, log.warning)
        try:
            staged = self._commit.stage(item, spider.state.latest(item.key))
            record = None
            if staged is not None:
                while (room := self._client.room()) is not None:  # the disk is behind
                    await maybe_deferred_to_future(room)
                record = await maybe_deferred_to_future(self._client.submit(staged))
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

    async def close_spider(self, spider=None):
        # what was submitted is committed, then the directories and the manifest fsynced once
        ended = self._client.close() if self._client is not None else None
        if ended is not None:
            from scrapy.utils.defer import maybe_deferred_to_future

            await maybe_deferred_to_future(ended)
