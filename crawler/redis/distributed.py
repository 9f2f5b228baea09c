"""Several crawl workers on one shared frontier in Redis (`policytrack crawl|worker --redis URL`).

Built on scrapy-redis: its Scheduler, PriorityQueue (requests as JSON, crawler/redis/frontier.py) and
RFPDupeFilter, with three changes that make "killing a worker loses nothing" true:

1. push and pop are atomic Lua scripts, and a popped request is held in an in-flight hash under
   the worker's token until Scrapy has finished it entirely: callback run, new requests queued,
   items stored (files fsynced, manifest record appended);
2. workers heartbeat; the requests of a worker whose heartbeat expired are put back in the queue
   (bypassing the dupefilter, which already holds them) by whichever worker notices first;
3. before fetching a notice, a worker reads the manifest records other workers appended, so a
   request requeued after its record was written is dropped, not fetched and stored twice.

A worker stays until the queue and the in-flight hash are both empty; the first to see that ends
the run (its dupefilter is cleared, so the next crawl starts afresh). See docs/distributed.md.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
import warnings
from collections import deque
from dataclasses import dataclass

from redis.exceptions import RedisError
from scrapy import signals
from scrapy.exceptions import DontCloseSpider, ScrapyDeprecationWarning
from scrapy_redis.scheduler import Scheduler
from twisted.internet.task import LoopingCall

from policytrack.crawler.redis.frontier import Frontier, Keys, Member, Run, active_runs, safe_url
from policytrack.crawler.runreport import RunReport
from policytrack.crawler.sources import DetailProfile, ListProfile, Source, select
from policytrack.crawler.spiders.base import NoticeSpider
from policytrack.crawler.spiders.registry import spider_class as source_spider
from policytrack.crawler.state import url_key
from policytrack.crawler.store import ManifestTail
from policytrack.pipeline.core.errors import ConfigError, PolicytrackError
from policytrack.pipeline.store.rawstore import check_source, now_iso

log = logging.getLogger("policytrack.crawler")

URL_SCHEMES = ("redis://", "rediss://", "unix://")
LIST_PRIORITY = 20  # above notices (10)


def crawler_settings(redis_url: str, prefix: str, src: Source, settings) -> dict:
    """Scrapy settings of one source's crawler in redis mode (on top of crawler/settings.py)."""
    keys = Keys(prefix, src.name)
    per_site = int(
        src.settings.get("CONCURRENT_REQUESTS_PER_DOMAIN")
        or settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN", 2)
    )
    return {
        # A worker takes from the shared queue only what it can download at once: requests
        # waiting in its own downloader queue are work no other worker can pick up (the next
        # list page among them holds up every worker). --set CONCURRENT_REQUESTS still wins.
        "CONCURRENT_REQUESTS": max(1, per_site),
        "SCHEDULER": "policytrack.crawler.redis.distributed.RedisScheduler",
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "SCHEDULER_QUEUE_CLASS": "scrapy_redis.queue.PriorityQueue",
        "SCHEDULER_SERIALIZER": "policytrack.crawler.redis.frontier",  # JSON, not pickle
        "SCHEDULER_PERSIST": True,  # the frontier is shared: one worker closing must not clear it
        "SCHEDULER_QUEUE_KEY": keys.queue,
        "SCHEDULER_DUPEFILTER_KEY": keys.dupefilter,
        "REDIS_URL": redis_url,
        # Calls block the reactor: fail fast while Redis is away (the outage is retried).
        "REDIS_PARAMS": {"socket_timeout": 10, "socket_connect_timeout": 5},
    }


# --------------------------------------------------------------------------------------------
# the run's source definition travels through Redis, so every worker crawls the same config


def source_to_json(src: Source) -> str:
    return json.dumps(dataclasses.asdict(src), ensure_ascii=False, sort_keys=True)


def source_from_json(text: str) -> Source:
    def tuples(d: dict) -> dict:
        return {k: tuple(v) if isinstance(v, list) else v for k, v in d.items()}

    try:
        d = tuples(json.loads(text))
        d["list"] = ListProfile(**tuples(d["list"]))
        d["detail"] = DetailProfile(**tuples(d["detail"]))
        src = Source(**d)
        check_source(src.name)
    except (ValueError, TypeError, KeyError, PolicytrackError) as exc:
        raise ConfigError(
            f"the source published in redis is not understood by this version ({exc})"
        ) from exc
    return src


# --------------------------------------------------------------------------------------------
# planning (before the reactor starts): seed or join each source's run


def connect(redis_url: str, settings):
    from scrapy_redis.connection import get_redis_from_settings

    if not redis_url.startswith(URL_SCHEMES):
        raise ConfigError(f"--redis {redis_url!r}: expected redis://host:port/db")
    s = settings.copy()
    s.set("REDIS_URL", redis_url, priority="cmdline")
    server = get_redis_from_settings(s)
    try:
        server.ping()
    except Exception as exc:  # connection refused, DNS, auth: one line, exit 2
        raise ConfigError(
            f"--redis {safe_url(redis_url)}: cannot connect ({exc.__class__.__name__}: {exc})"
        ) from None
    return server


def plan(
    redis_url: str,
    names: list[str],
    settings,
    *,
    sources_file=None,
    base_url: str | None = None,
    recheck: bool = False,
    join_only: bool = False,
    wait: float = 0.0,
) -> list[tuple[type, dict]]:
    """(spider class, spider kwargs) per source this worker takes part in.

    crawl (join_only False): start a run for each selected source, or join the one in progress.
    worker (join_only True): join the runs of `names` (or every run in progress), waiting up to
    `wait` seconds for them to appear. Empty list: nothing to join.
    """
    server = connect(redis_url, settings)
    prefix = settings.get("REDIS_KEY_PREFIX") or "policytrack"
    member = Member(server, prefix, settings.getfloat("REDIS_WORKER_TTL", 10.0)).start()
    where = safe_url(redis_url)
    joined: list[tuple[Source, Run, str | None]] = []
    if not join_only:
        for src in [s.rebased(base_url) for s in select(list(names), sources_file)]:
            frontier = Frontier(server, prefix, src.name)
            if n := frontier.reap():
                log.info("%s: requeued %d requests of workers that stopped", src.name, n)
            seed = member.token()
            run = frontier.start("crawl", member.id, seed, source_to_json(src), recheck, now_iso())
            if run.role == "join":
                published = source_from_json(run.source_json)
                if (published, run.recheck) != (src, recheck):
                    log.warning("%s: a run is in progress with other settings (sources file, "
                                "--base-url or --recheck); joining it as it is", src.name)  # fmt: skip
                src = published
                log.info("%s: joined run %s on %s (started %s by %s)",
                         src.name, run.id, where, run.started_at, run.by)  # fmt: skip
            else:
                log.info("%s: started run %s on %s", src.name, run.id, where)
            joined.append((src, run, seed if run.role == "seed" else None))
    else:
        for name in names:
            check_source(name)
        deadline = time.monotonic() + max(0.0, wait)
        while True:
            have = {src.name for src, _, _ in joined}
            for name in list(names) or active_runs(server, prefix):
                if name in have:
                    continue
                check_source(name)  # names read from redis are data, not trusted
                frontier = Frontier(server, prefix, name)
                frontier.reap()
                run = frontier.start("join", member.id, "", "", False, "")
                if run is not None:
                    src = source_from_json(run.source_json)
                    log.info("%s: joined run %s on %s", name, run.id, where)
                    joined.append((src, run, None))
            complete = len(joined) == len(names) if names else bool(joined)
            if complete or time.monotonic() >= deadline:
                break
            time.sleep(0.25)
    if not joined:
        member.stop()
        return []
    return [
        (
            spider_class(src, crawler_settings(redis_url, prefix, src, settings)),
            {
                "source": src,
                "recheck": run.recheck,
                "run_id": run.id,
                "role": run.role,
                "seed_token": seed,
                "member": member,
            },
        )
        for src, run, seed in joined
    ]


def spider_class(src: Source, settings: dict) -> type:
    """The source's spider (any family) on the shared frontier, with the redis settings."""
    base = source_spider(src)
    custom = {**(base.custom_settings or {}), **settings}
    return type(
        f"Distributed{base.__name__}", (DistributedSpider, base), {"custom_settings": custom}
    )


# --------------------------------------------------------------------------------------------
# the spider side


@dataclass
class WorkerRunReport(RunReport):
    """The crawl log line of one worker: which worker, which run."""

    worker: str = ""
    run_id: str = ""

    def to_dict(self) -> dict:
        return {**super().to_dict(), "worker": self.worker, "run": self.run_id}


class DistributedSpider(NoticeSpider):
    """A spider of any family on a shared frontier (mixed in before the family's class). Only
    the seeding worker yields start requests; list pages go through the dupefilter (once per
    run, cleared between runs), so a list page requeued from a dead worker does not walk the
    rest of the column a second time."""

    run_id: str = ""
    role: str = "join"
    seed_token: str | None = None
    member: Member | None = None
    frontier: Frontier | None = None  # set by RedisScheduler.open
    release = None  # RedisScheduler.release, set by RedisScheduler.open

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)  # run_id, role, seed_token, member arrive as kwargs
        self.run = WorkerRunReport(
            self.src.name, worker=self.member.id if self.member else "", run_id=self.run_id
        )
        self._tail = ManifestTail(self.store.manifest)

    async def start(self):
        try:
            if self.role == "seed":
                async for request in super().start():
                    yield request
        finally:
            # Every start request is queued now (or seeding failed): release the run's marker.
            if self.seed_token and self.release is not None:
                self.release(self.seed_token)

    def list_request(self, url: str, page_no: int, column: str, **meta):
        # List pages before notices (NoticeSpider does the reverse): the column is a chain of
        # pages, and only pages already walked put notices in the queue for other workers.
        return (
            super()
            .list_request(url, page_no, column, **meta)
            .replace(dont_filter=False, priority=LIST_PRIORITY)
        )

    def refresh_known(self) -> int:
        """Take in manifest records other workers appended since the last look."""
        added = 0
        try:
            new = self._tail.read()
        except OSError as exc:  # only costs a possible duplicate fetch; the next look retries
            log.warning("%s: could not read the manifest: %s", self.store.manifest, exc)
            return 0
        for rec in new:
            if rec.get("origin") != "crawl" or not rec.get("url"):
                continue
            have = self.state.versions.get(url_key(rec["url"]), [])
            if any(
                r.get("doc_id") == rec.get("doc_id") and r.get("version") == rec.get("version")
                for r in have
            ):
                continue
            self.state.add_record(rec)
            added += 1
        return added

    def stored_already(self, request) -> bool:
        """A notice request whose record is already on disk (a requeued duplicate)."""
        if request.meta.get("kind") != "detail":
            return False
        self.refresh_known()  # also keeps `latest` (the previous version) current for --recheck
        if request.meta.get("recheck"):
            return False
        entry = request.meta.get("entry") or {}
        return self.state.is_known(url_key(entry.get("url") or request.url))

    def _closed(self, spider, reason):
        if self.frontier is not None:
            try:
                # The run's verdict per column: "walked to its end" only if no worker failed.
                self._walk.update(self.frontier.walk())
            except Exception as exc:
                log.warning("%s: could not read the run's walk report: %s", self.src.name, exc)
        super()._closed(spider, reason)


# --------------------------------------------------------------------------------------------
# the scheduler side


class RedisScheduler(Scheduler):
    """scrapy-redis's Scheduler with atomic push/pop, in-flight tracking and dead-worker requeue."""

    @classmethod
    def from_crawler(cls, crawler):
        sched = super().from_crawler(crawler)
        sched.crawler = crawler
        sched.prefix = crawler.settings.get("REDIS_KEY_PREFIX") or "policytrack"
        sched.poll = crawler.settings.getfloat("REDIS_POLL_INTERVAL", 0.2)
        sched.prefetch = max(1, crawler.settings.getint("REDIS_PREFETCH", 2))
        sched.outage_limit = crawler.settings.getfloat("REDIS_OUTAGE_LIMIT", 60.0)
        sched._down_since = None
        return sched

    # -- lifecycle -------------------------------------------------------------------------
    def open(self, spider):
        with warnings.catch_warnings():  # scrapy-redis says "Resuming crawl" with Spider.log()
            warnings.simplefilter("ignore", ScrapyDeprecationWarning)
            super().open(spider)  # scrapy-redis: self.queue, self.df
        if not isinstance(spider, DistributedSpider) or spider.member is None:
            raise ConfigError("RedisScheduler runs DistributedSpider (policytrack crawl --redis)")
        self.member, self.run_id = spider.member, spider.run_id
        self.frontier = spider.frontier = Frontier(self.server, self.prefix, spider.src.name)
        if self.queue.key != self.frontier.keys.queue:
            raise ConfigError(f"SCHEDULER_QUEUE_KEY must be {self.frontier.keys.queue!r}")
        self._tokens: dict = {}  # request → in-flight token
        self._ready: deque[tuple[str, bytes]] = deque()  # popped, not yet handed to the engine
        self._pushes: list[tuple[str, float, bytes]] = []  # to queue with the next round trip
        self._done: list[str] = []  # finished tokens, sent after the pushes
        spider.release = self.release
        self._walk_sent: dict[str, str] = {}
        self._last_reap = 0.0
        self._hook_engine()
        self.member.attach()
        self.crawler.signals.connect(self._idle, signal=signals.spider_idle)
        self._loop = LoopingCall(self._tick)
        self._loop.start(self.poll, now=False)

    def _hook_engine(self) -> None:
        # Scrapy removes a request from its engine slot only after the callback, the requests it
        # yielded and its items' pipelines are all done: the moment its token may go.
        slot = getattr(self.crawler.engine, "_slot", None)
        if slot is None or not callable(getattr(slot, "remove_request", None)):
            raise ConfigError("--redis: this Scrapy version has no engine slot to hook into")
        original = slot.remove_request

        def remove_request(request):
            try:
                self._finished(request)
            finally:
                original(request)

        slot.remove_request = remove_request

    def close(self, reason):
        if getattr(self, "_loop", None) is not None and self._loop.running:
            self._loop.stop()
        if getattr(self, "frontier", None) is not None:
            try:
                self._sync()
                # Popped but never started, or (after a hard stop) unfinished: hand them over.
                self.frontier.requeue([t for t, _ in self._ready] + list(self._tokens.values()))
                self._ready.clear()
                self._tokens.clear()
            except RedisError as exc:
                log.warning("%s: could not hand requests back (%s); they return to the queue "
                            "when this worker's heartbeat expires", self.spider.src.name, exc)  # fmt: skip
        if getattr(self, "member", None) is not None:
            self.member.detach()
        super().close(reason)  # SCHEDULER_PERSIST: leaves the shared frontier alone

    # -- queue -----------------------------------------------------------------------------
    # Round trips to Redis are batched: on a busy machine each one waits for the Redis process
    # to be scheduled. New requests and finished tokens are buffered and sent, pushes first,
    # with the next pop, when the request that yielded them is done, or within
    # REDIS_POLL_INTERVAL; requests are popped REDIS_PREFETCH at a time. Nothing is lost by
    # buffering: a request's token leaves the in-flight hash only in the same atomic script as
    # (or after) the requests it yielded.
    def enqueue_request(self, request) -> bool:
        fp = "" if request.dont_filter else self.df.request_fingerprint(request)
        self._pushes.append((fp, -request.priority, self.queue._encode_request(request)))
        return True  # duplicates are dropped in Redis (counted in scheduler/redis/duplicate)

    def next_request(self):
        while True:
            if not self._ready:
                try:
                    self._sync(pop=self.prefetch)
                except RedisError as exc:
                    self._outage(exc)
                    return None
                if not self._ready:
                    return None
            token, data = self._ready.popleft()
            try:
                request = self.queue._decode_request(data)
            except Exception as exc:  # not ours, or from an incompatible version
                log.error("%s: dropped an unreadable request from redis (%s)",
                          self.spider.src.name, exc)  # fmt: skip
                self._done.append(token)
                continue
            if self.spider.stored_already(request):
                self._done.append(token)
                self.stats.inc_value("scheduler/redis/already_stored")
                continue
            self._tokens[request] = token
            self.stats.inc_value("scheduler/dequeued/redis")
            return request

    def release(self, token: str) -> None:
        """Finish a token once everything queued before it is sent (the seeding marker)."""
        self._done.append(token)

    def _sync(self, pop: int = 0) -> None:
        # Walk reports first: a worker killed after its tokens are done must have sent them.
        walk = {k: v for k, v in self.spider._walk.items() if self._walk_sent.get(k) != v}
        if walk:
            self.frontier.note_walk(walk)
            self._walk_sent.update(walk)
        pushes, done = list(self._pushes), list(self._done)
        tokens = [self.member.token() for _ in range(pop)]
        if not (pushes or done or tokens):
            return
        queued, popped = self.frontier.sync(self.run_id, pushes, done, tokens)
        self._up()
        del self._pushes[: len(pushes)], self._done[: len(done)]
        self._ready.extend(popped)
        if pushes:
            self.stats.inc_value("scheduler/enqueued/redis", queued)
            if len(pushes) > queued:
                self.stats.inc_value("scheduler/redis/duplicate", len(pushes) - queued)

    def has_pending_requests(self) -> bool:
        if self._ready:
            return True
        if self._down_since is not None:
            return False  # lets the engine go idle, where _idle decides to wait or give up
        try:
            return bool(self._pushes) or self.frontier.pending(self.run_id) > 0
        except RedisError as exc:
            self._outage(exc)
            return False  # lets the engine go idle, where _idle decides to wait or give up

    def __len__(self) -> int:
        return len(self._ready) + len(self._pushes) + self.frontier.pending(self.run_id)

    # -- in flight -------------------------------------------------------------------------
    def _finished(self, request) -> None:
        token = self._tokens.pop(request, None)
        if token is None:  # attachments, robots.txt (fetched inside our requests)
            return
        self._done.append(token)
        if self._pushes:  # a list page's notices: other workers may be waiting for them
            try:
                self._sync()
            except RedisError as exc:
                self._outage(exc)

    def _tick(self) -> None:
        self.member.pulse()
        try:
            self._sync()
            if self._down_since is not None or time.monotonic() - self._last_reap >= 1.0:
                self._reap()
                self._up()
        except RedisError as exc:  # the next tick tries again
            self._outage(exc)
        # An idle engine only looks at its scheduler every 5 s; the shared queue fills meanwhile.
        slot = getattr(self.crawler.engine, "_slot", None)
        if slot is not None and slot.closing is None:
            slot.nextcall.schedule()

    def _reap(self) -> None:
        self._last_reap = time.monotonic()
        n = self.frontier.reap()
        if n:
            log.info("%s: requeued %d requests of a worker that stopped beating",
                     self.spider.src.name, n)  # fmt: skip
            self.stats.inc_value("scheduler/redis/requeued", n)

    def _idle(self, spider) -> None:
        try:
            self._sync()
            self._reap()
            status = self.frontier.status(self.run_id)
            self._up()
        except RedisError as exc:
            self._outage(exc)
            down = time.monotonic() - self._down_since
            if down < self.outage_limit:
                raise DontCloseSpider from None
            # Nothing is lost: what this worker held returns to the queue when its heartbeat
            # expires, and a later `crawl --redis` resumes the run.
            self.spider.note(safe_url(self.crawler.settings.get("REDIS_URL", "")),
                             f"redis unreachable for {down:.0f} s ({exc}); worker stopped")  # fmt: skip
            return
        if status in ("work", "wait"):
            raise DontCloseSpider  # others still hold requests that may yield more
        if status == "done":
            log.info("%s: run %s finished", self.spider.src.name, self.run_id)

    def _outage(self, exc: Exception) -> None:
        if self._down_since is None:
            self._down_since = time.monotonic()
            log.warning("%s: redis unreachable (%s); retrying", self.spider.src.name, exc)

    def _up(self) -> None:
        if self._down_since is not None:
            self._down_since = None
            log.warning("%s: redis reachable again", self.spider.src.name)
