"""Item pipeline: NoticeItem → raw files + manifest record; only then is the notice known.
One Commit per crawl: one fsync per stored file, the record as the commit point, and the
directories and manifest fsynced when the spider closes (crawler/store.py). The blocking part
runs in a committing process of its own (crawler/commitproc.py), so the reactor keeps
downloading and parsing while the disk works, and never waits for the GIL of a thread that
does."""

from __future__ import annotations

import itertools
import logging
import os
import sys

from twisted.internet import protocol

from policytrack.crawler import commitproc
from policytrack.crawler.items import NoticeItem
from policytrack.crawler.store import Commit

log = logging.getLogger("policytrack.crawler")


class _Child(protocol.ProcessProtocol):
    """The committing process as the reactor sees it: frames out on its stdin, batches of
    results in on its stdout (`on_results`), and its end (`on_end`, with the exit status)."""

    def __init__(self, on_results, on_end):
        self.on_results, self.on_end = on_results, on_end
        self.frames = commitproc.Frames()

    def outReceived(self, data):
        for results in self.frames.feed(data):
            self.on_results(results)

    def processEnded(self, reason):
        self.on_end(getattr(reason.value, "exitCode", None))


class StorePipeline:
    def __init__(self, crawler):
        self.crawler = crawler
        self._commit: Commit | None = None
        self._child: _Child | None = None
        self._exit: int | None = None  # the committing process's exit status, once it ended
        self._ended = None  # the Deferred close_spider waits on
        self._waiting: dict = {}  # token → (the Deferred of a notice being committed, record)
        self._tokens = itertools.count()

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def _start(self, spider) -> None:
        from twisted.internet import reactor
        from twisted.internet.defer import Deferred

        self._commit = Commit(spider.store)  # stages here (no I/O); commits in the child
        self._ended = Deferred()
        self._child = _Child(self._fire, self._end)
        args = [sys.executable, "-m", "policytrack.crawler.commitproc",
                str(spider.store.data_dir), spider.store.source, str(os.getpid())]  # fmt: skip
        reactor.spawnProcess(self._child, sys.executable, args, env=os.environ,
                             childFDs={0: "w", 1: "r", 2: 2})  # fmt: skip

    def _fire(self, results) -> None:
        for token, result in results:
            done, record = self._waiting.pop(token)
            if isinstance(result, BaseException):
                done.errback(result)
            else:
                done.callback(record if result else None)

    def _end(self, code: int | None) -> None:
        self._exit = code or 0
        if code:
            log.warning(
                "%s: the committing process failed (exit %s)", self._commit.store.root, code
            )
        waiting, self._waiting = self._waiting, {}
        for done, _ in waiting.values():  # never answered: the notice stays unknown
            done.errback(OSError("the committing process ended before storing this notice"))
        self._ended.callback(None)

    async def process_item(self, item, spider=None):
        if not isinstance(item, NoticeItem):
            return item
        from scrapy.utils.defer import maybe_deferred_to_future
        from twisted.internet.defer import Deferred

        spider = spider or self.crawler.spider
        if self._commit is None:
            self._start(spider)
        try:
            # The record is built here (no I/O); its files' writes, one fsync each, renames
            # and the record's append (the commit point) happen in the committing process.
            staged = self._commit.stage(item, spider.state.latest(item.key))
            record = None
            if staged is not None:
                if self._exit is not None:
                    raise OSError(f"the committing process ended (exit {self._exit})")
                token = next(self._tokens)
                done = Deferred()
                self._waiting[token] = (done, staged.record)
                self._child.transport.write(commitproc.frame((token, staged)))
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

    async def close_spider(self, spider=None):
        if self._child is None:
            return
        from scrapy.utils.defer import maybe_deferred_to_future

        if self._exit is None:
            # What was submitted is committed (nothing, normally), the directories and the
            # manifest are fsynced once, and the child exits.
            self._child.transport.closeStdin()
        await maybe_deferred_to_future(self._ended)
