"""Item pipeline: NoticeItem → raw files + manifest record; only then is the notice known."""

from __future__ import annotations

import logging

from crawler.items import NoticeItem
from crawler.store import store_notice

log = logging.getLogger("crawler")


class StorePipeline:
    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_item(self, item, spider=None):
        if not isinstance(item, NoticeItem):
            return item
        spider = spider or self.crawler.spider
        try:
            record = store_notice(spider.store, item, spider.state.latest(item.key))
        except OSError as exc:
            # Disk full, permissions...: the notice stays unknown, so the next crawl retries it.
            entry = {"url": item.url, "title": item.list_title}
            spider.fail(item.key, entry, f"could not store: {exc}", permanent=False)
            return {"failed": item.url}
        if record is None:
            spider.run.unchanged += 1
            return {"unchanged": item.url}
        spider.state.add_record(record)  # known from now on: files and record are on disk
        spider.run.records.append(
            {k: record[k] for k in ("doc_id", "url", "title", "year", "series", "version")}
        )
        log.info("%s: stored %s (%s %s, v%d)", item.url, record["path"], record["series"], record["year"], record["version"])
        return record  # the bytes are on disk now; don't keep them in memory
