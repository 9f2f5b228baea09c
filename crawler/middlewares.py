"""Downloader middlewares and an extension: the site guard, retry with backoff, request counts,
progress."""

from __future__ import annotations

import ipaddress
import logging
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Request

from policytrack.pipeline.core import progress

log = logging.getLogger("policytrack.crawler")


def refusal(url: str, hosts: set[str], netlocs: set[str]) -> str | None:
    """Why `url` must not be fetched by a source whose hosts are `hosts` (allowed_domains) and
    whose own URLs have the netlocs `netlocs`; None when it may. http and https only; a host name
    must be one of `hosts` or a subdomain of one; a host given as an IP address (loopback,
    private, link-local such as 169.254.169.254 …) must be one of `hosts` and, unless it is a
    global address, on the source's own netloc (address and port: a --base-url mirror)."""
    u = urlsplit(url)
    if u.scheme not in ("http", "https"):
        return f"scheme {u.scheme or 'none'!r} is not http(s)"
    host = (u.hostname or "").lower()
    if not host:
        return "no host in the URL"
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        if any(host == d or host.endswith("." + d) for d in hosts):
            return None
        return f"Filtered offsite request to {host!r}"
    netloc = u.netloc.lower().rsplit("@", 1)[-1]
    if host in hosts and (netloc in netlocs or ip.is_global):
        return None
    kinds = (
        ("link-local", ip.is_link_local), ("loopback", ip.is_loopback), ("private", ip.is_private),
        ("reserved", ip.is_reserved), ("multicast", ip.is_multicast),
        ("unspecified", ip.is_unspecified),
    )  # fmt: skip
    kind = next((name for name, flag in kinds if flag), "")
    what = f" (a {kind} address)" if kind else ""
    if host in hosts:
        return f"Filtered offsite request to {netloc!r} (not the source's port){what}"
    return f"Filtered offsite request to {host!r}{what}"


class Blocked(IgnoreRequest):
    """A request or redirect hop refused by the spider's `refusal` check (off-site host, another
    port or address, a scheme other than http(s)). str() is the refusal, in Scrapy's wording for
    an off-site host ("Filtered offsite request to 'host'")."""

    def __init__(self, url: str, reason: str, redirected_from: str | None = None):
        super().__init__(reason)
        self.url = url
        self.reason = reason
        self.redirected_from = redirected_from

    def describe(self) -> str:
        """The one-line reason of a failure caused by this refusal."""
        if self.redirected_from:
            return f"redirected off-site to {self.url} ({self.reason}); not followed"
        return f"not requested: {self.url} ({self.reason})"


class _OnCrawler:
    """A downloader middleware that reads the crawler's spider."""

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)


class SiteGuardMiddleware(_OnCrawler):
    """Every request the downloader sees (the spider's, robots.txt's, each redirect hop, each
    attachment) passes the spider's `refusal` check first; dont_filter does not exempt it. A
    refused request raises Blocked and is counted in the run report (`blocked`)."""

    def process_request(self, request, spider=None):
        spider = spider or self.crawler.spider
        refusal = getattr(spider, "refusal", None)
        reason = refusal(request.url) if refusal is not None else None
        if reason is None:
            return None
        hops = request.meta.get("redirect_urls") or []
        run = getattr(spider, "run", None)
        if run is not None:
            run.blocked += 1
        log.info("blocked %s: %s", request.url, reason)
        raise Blocked(request.url, reason, hops[0] if hops else None)


async def _sleep(seconds: float) -> None:
    # Imported here: importing twisted.internet.reactor installs a reactor, and this module is
    # imported (for Blocked) before Scrapy installs its asyncio reactor.
    from scrapy.utils.defer import maybe_deferred_to_future
    from twisted.internet import reactor
    from twisted.internet.task import deferLater

    await maybe_deferred_to_future(deferLater(reactor, seconds, lambda: None))


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's retries (5xx, 408/429, timeouts, dropped connections) with exponential backoff:
    the retry waits RETRY_BACKOFF_BASE × 2^(n-1) seconds (capped) so a struggling server gets air."""

    def __init__(self, settings):
        super().__init__(settings)
        self.base = settings.getfloat("RETRY_BACKOFF_BASE", 1.0)
        self.cap = settings.getfloat("RETRY_BACKOFF_MAX", 30.0)

    async def _wait(self, result):
        if isinstance(result, Request) and self.base > 0:
            n = int(result.meta.get("retry_times", 1))
            await _sleep(min(self.cap, self.base * 2 ** (n - 1)))
        return result

    async def process_response(self, request, response, spider=None):
        return await self._wait(super().process_response(request, response))

    async def process_exception(self, request, exception, spider=None):
        return await self._wait(super().process_exception(request, exception))


class RequestCountMiddleware(_OnCrawler):
    """Counts requests actually sent, by kind (robots, home, list, detail, attachment)."""

    def process_request(self, request, spider=None):
        spider = spider or self.crawler.spider
        run = getattr(spider, "run", None)
        if run is not None:
            kind = request.meta.get("kind")
            if not kind:
                kind = "robots" if request.url.split("?")[0].endswith("/robots.txt") else "other"
            run.requests[kind] = run.requests.get(kind, 0) + 1
        return None


class CrawlProgress:
    """A live line of counts on a terminal (silent in CI or when stderr is not a terminal)."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.progress = None
        self.task = None

    @classmethod
    def from_crawler(cls, crawler):
        if not progress.enabled():
            raise NotConfigured
        ext = cls(crawler)
        crawler.signals.connect(ext.opened, signals.spider_opened)
        crawler.signals.connect(ext.update, signals.response_received)
        crawler.signals.connect(ext.closed, signals.spider_closed)
        return ext

    def opened(self, spider):
        from rich.progress import Progress, SpinnerColumn, TextColumn

        self.progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), transient=True)
        self.progress.start()
        self.task = self.progress.add_task(f"crawl {spider.src.name}")

    def update(self, response, request, spider):
        if self.progress is None:
            return
        run = spider.run
        sent = sum(run.requests.values())
        self.progress.update(
            self.task,
            description=f"crawl {spider.src.name}: {sent} requests, {len(run.records)} new notices, "
            f"{len(run.problems)} problems",
        )

    def closed(self, spider):
        if self.progress is not None:
            self.progress.stop()
