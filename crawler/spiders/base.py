"""NoticeSpider: what every platform family shares, whatever its pages look like.

The walk (home page → notices column → list pages → detail pages + attachments), the incremental
state (crawlstate.json + the manifest), retries across crawls, attachments, the run report and
the crawl log, politeness (crawler/settings.py, per-source `settings`) and storing through the
item pipeline (crawler/pipelines.py → crawler/store.py) live here. A family says only how its
pages are read (crawler/spiders/generic.py is the HTML list/detail family):

    read_list(response) -> pages.ListPage        entries, next link, page count (or InputError;
                                                 a pages.LayoutMiss names the missing marker)
    async read_detail(response, body, ctype)     -> pages.DetailPage (or InputError / LayoutMiss)
    read_inline(response, entry)                 -> pages.DetailPage of a list entry that carries
                                                 its own text (Entry.content: a JSON API item)
    next_list_url(response, page, page_no)       the next list page (default: page.next_url)
    numbered_pages                               pages addressed by number: an empty page or a
                                                 404 past the last one ends the column quietly
    list_selector                                what a list page must hold (named when it
                                                 holds nothing)
    list_request(url, page_no, column, **meta)   a list page request (extra meta travels along)
    next_list_request(response, page, url, …)    when the next page is not a plain GET
    column_requests()                            the first request of each column (default: the
                                                 list URLs, and home-page navigation by link text)
    check_source(src)                            classmethod: the family's keys are valid

Every request the spider makes (home, list, detail, attachment, an iframe's document) is built by
`request()`, and `refusal()` / `on_site()` is the one check every request and every redirect hop
passes (crawler/middlewares.py SiteGuardMiddleware applies it in the downloader, so dont_filter
requests and redirects are checked too): http(s) only, a host of the source, and an IP-literal
host (loopback, private, link-local…) only as the source's own address and port.

Request generation only uses URLs and small JSON-able meta (no callbacks closing over state), so a
shared scheduler (scrapy-redis) can hand requests to several workers; attachments are fetched inside
the detail callback so one worker assembles one notice.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy import signals

from policytrack.crawler import pages
from policytrack.crawler.items import NoticeItem
from policytrack.crawler.middlewares import refusal
from policytrack.crawler.runreport import Problem, RunReport
from policytrack.crawler.sources import Source, select
from policytrack.crawler.spiders.downloads import EXT_OF, fetch_attachments
from policytrack.crawler.spiders.failures import FailureHandling
from policytrack.crawler.state import CrawlState, url_key
from policytrack.pipeline.core.errors import ConfigError, InputError
from policytrack.pipeline.store.rawstore import RawStore, append_record, now_iso
from policytrack.pipeline.text.extract import sniff_type
from policytrack.pipeline.text.parse import year_from_title
from policytrack.pipeline.text.vocab import plausible_year, year_range

log = logging.getLogger("policytrack.crawler")


def _truthy(value) -> bool:
    return value is True or str(value).lower() in ("1", "true", "yes", "on")


class NoticeSpider(FailureHandling, scrapy.Spider):
    """The shared machinery. Not a spider on its own (no name, not registered): a family
    subclasses it and is registered with crawler.spiders.registry.register."""

    # Keys a family reads from a source's `options` table: name → (type, default).
    options_spec: dict[str, tuple[type, object]] = {}
    # A family whose list entries carry the notice text (no detail page to fetch).
    inline = False

    def __init__(
        self,
        source: str | Source = "hbkx",
        data: str | Path = "data",
        sources: str | None = None,
        base_url: str | None = None,
        recheck=False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if not isinstance(source, Source):
            source = select([source], sources)[0].rebased(base_url)
        self.src: Source = source
        self.recheck = _truthy(recheck)
        self.store = RawStore(Path(data), source.name)
        self.state = CrawlState.load(self.store)
        self.allowed_domains = list(source.allowed_domains)
        self._hosts = {d.lower() for d in source.allowed_domains}
        self._netlocs = {urlsplit(u).netloc.lower() for u in source.start_urls + source.list_urls}
        self._refusals: dict[tuple[str, str], str | None] = {}
        self.run = RunReport(source.name)
        self._list_urls: set[str] = set()
        self._walk: dict[str, str] = {}  # column → end | stopped | failed
        # Inline families re-read every list page when entries wait for a retry or --recheck.
        self._full_walk = self.inline and bool(self.recheck or self.state.pending)

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider._closed, signal=signals.spider_closed)
        crawler.signals.connect(spider._response, signal=signals.response_received)
        crawler.signals.connect(spider._error, signal=signals.spider_error)
        return spider

    def _error(self, failure, response, spider):
        """A callback raised (a bug, or a page no reader expected): a failure, never silent."""
        exc = failure.value
        self.note(response.url, f"internal error: {type(exc).__name__}: {exc}".splitlines()[0])

    def _response(self, response, request, spider):
        code = str(response.status)
        self.run.statuses[code] = self.run.statuses.get(code, 0) + 1

    # -- what a family defines ---------------------------------------------------------------
    def read_list(self, response) -> pages.ListPage:
        raise NotImplementedError(f"{type(self).__name__}: read_list")

    async def read_detail(self, response, body: bytes, content_type: str) -> pages.DetailPage:
        raise NotImplementedError(f"{type(self).__name__}: read_detail")

    def read_inline(self, response, entry: pages.Entry) -> pages.DetailPage:
        raise NotImplementedError(f"{type(self).__name__}: read_inline")

    def next_list_url(self, response, page: pages.ListPage, page_no: int) -> str | None:
        return page.next_url

    @property
    def numbered_pages(self) -> bool:
        return False

    @property
    def list_selector(self) -> str:
        return ""

    @classmethod
    def check_source(cls, src: Source) -> None:
        """ConfigError naming the source when its `options` do not fit this family."""
        at = f"source {src.name}: options"
        unknown = set(src.options) - set(cls.options_spec)
        if unknown:
            known = ", ".join(sorted(cls.options_spec)) or "none"
            raise ConfigError(f"{at}: unknown keys {sorted(unknown)} (known: {known})")
        for key, (kind, _) in cls.options_spec.items():
            value = src.options.get(key)
            if value is not None and (not isinstance(value, kind) or isinstance(value, bool)):
                raise ConfigError(f"{at}.{key}: expected {kind.__name__}")

    def option(self, key: str):
        return self.src.options.get(key, self.options_spec[key][1])

    # -- helpers ---------------------------------------------------------------------------
    @property
    def origin(self) -> str:
        u = urlsplit((self.src.start_urls or self.src.list_urls)[0])
        return f"{u.scheme}://{u.netloc}"

    def url_for(self, key: str) -> str:
        return urljoin(self.origin, key)

    def refusal(self, url: str) -> str | None:
        """Why `url` must not be fetched (None: it may): the one check of every request and
        redirect hop (middlewares.refusal: http(s), a host of the source, an IP-literal host
        only as the source's own address and port). Answers depend on scheme and host only:
        kept per (scheme, netloc)."""
        u = urlsplit(url)
        key = (u.scheme, u.netloc)
        if key not in self._refusals:
            self._refusals[key] = refusal(url, self._hosts, self._netlocs)
        return self._refusals[key]

    def on_site(self, url: str) -> bool:
        return self.refusal(url) is None

    @property
    def stopping(self) -> bool:
        """True once the crawl is shutting down (SIGTERM, SIGINT, a close_spider)."""
        crawler = getattr(self, "crawler", None)
        return crawler is not None and not crawler.crawling

    def note(self, url: str, reason: str, fatal: bool = True) -> None:
        self.run.problems.append(Problem(url, reason, fatal))
        (log.warning if fatal else log.info)("%s: %s", url, reason)

    def fail(self, key: str, entry: dict, reason: str, permanent: bool) -> None:
        url = entry.get("url") or self.url_for(key)
        if self.state.is_known(key):
            # A --recheck of a stored notice: the stored versions stand; the failure is reported.
            self.note(url, reason)
            return
        if key in self.state.gone and permanent:
            # Given up on by an earlier crawl and retried by --recheck: already reported then.
            self.state.give_up(key, url, reason)
            self.note(url, f"still failing: {reason}", fatal=False)
            return
        if permanent:
            self.state.give_up(key, url, reason)
        elif not self.state.retry_later(key, entry, reason, self.src.pending_attempts):
            reason += f" (gave up after {self.src.pending_attempts} crawls)"
        else:
            reason += "; retried next crawl"
        self.note(url, reason)

    def request(self, url: str, **kwargs) -> scrapy.Request:
        """Every request the spider makes (home, list, detail, attachment, iframe) is built
        here; SiteGuardMiddleware checks each one, and each redirect hop, with `refusal`."""
        cls = kwargs.pop("request_class", scrapy.Request)
        return cls(url, **kwargs)

    def _detail_request(
        self, url: str, entry: dict, *, recheck: dict | None = None
    ) -> scrapy.Request:
        headers = {}
        meta = {"kind": "detail", "entry": entry}
        if recheck is not None:
            meta["handle_httpstatus_list"] = [304]
            meta["recheck"] = True
            if recheck.get("etag"):
                headers["If-None-Match"] = recheck["etag"]
            if recheck.get("last_modified"):
                headers["If-Modified-Since"] = recheck["last_modified"]
        return self.request(
            url,
            callback=self.parse_detail,
            errback=self.detail_failed,
            meta=meta,
            headers=headers,
            dont_filter=bool(recheck is not None),
            priority=10,  # finish notices before walking further list pages
        )

    def list_request(
        self, url: str, page_no: int, column: str, form: dict | None = None, **meta
    ) -> scrapy.Request:
        """A list page: GET, or POST of `form` (a JCMS data proxy); `meta` travels along."""
        self._list_urls.add(url)
        post = {"request_class": scrapy.FormRequest, "formdata": form} if form else {}
        return self.request(
            url,
            callback=self.parse_list,
            errback=self.list_failed,
            meta={"kind": "list", "page_no": page_no, "column": column, **meta},
            dont_filter=True,  # list pages are always re-fetched, also with a persistent dupefilter
            **post,
        )

    # -- start -----------------------------------------------------------------------------
    async def start(self):
        for request in self.start_requests():
            yield request

    def start_requests(self):
        if not self.inline:  # an inline family's notices are re-read from its list pages
            for key, entry in list(self.state.pending.items()):
                yield self._detail_request(self.url_for(key), {**entry, "url": self.url_for(key)})
        if self.recheck and not self.inline:
            for key, recs in self.state.versions.items():
                last = recs[-1]
                entry = {
                    "url": self.url_for(key),
                    "title": last.get("list_title") or last.get("title"),
                }
                yield self._detail_request(entry["url"], entry, recheck=last)
            for key in list(self.state.gone):
                yield self._detail_request(
                    self.url_for(key), {"url": self.url_for(key)}, recheck={}
                )
        yield from self.column_requests()

    def column_requests(self):
        for url in self.src.list_urls:
            yield self.list_request(url, 1, url_key(url))
        if self.src.column:
            for url in self.src.start_urls:
                yield self.request(
                    url,
                    callback=self.parse_home,
                    errback=self.list_failed,
                    meta={"kind": "home", "hops": list(self.src.column), "column": self._column},
                    dont_filter=True,
                )

    @property
    def _column(self) -> str:
        return "column:" + ">".join(self.src.column)

    # -- navigation ------------------------------------------------------------------------
    def unreadable(self, column: str, url: str, exc: InputError) -> None:
        """A home, column or list page that could not be read: the walk failed; a missing
        marker (pages.LayoutMiss) is named in the run report."""
        self._walk[column] = "failed"
        if isinstance(exc, pages.LayoutMiss):
            self.run.missed(exc.kind, exc.where, exc.selector)
        self.note(url, exc.reason)

    def parse_home(self, response):
        hops = response.meta["hops"]
        column = response.meta["column"]
        try:
            root, _ = pages.page_root(response)
        except InputError as exc:
            self.unreadable(column, response.url, exc)
            return
        # The deepest hop visible here wins: a drop-down menu often shows 通知公告 on the home page.
        for depth in range(len(hops) - 1, -1, -1):
            url = pages.find_link(root, hops[depth], response.url)
            if url and self.on_site(url):
                break
        else:
            self._walk[column] = "failed"
            self.run.missed("column", response.url, " > ".join(hops))
            self.note(response.url, f"column link {hops[0]!r} not found on the page")
            return
        if depth == len(hops) - 1:
            yield self.list_request(url, 1, column)
        else:
            yield self.request(
                url,
                callback=self.parse_home,
                errback=self.list_failed,
                meta={"kind": "home", "hops": hops[depth + 1 :], "column": column},
                dont_filter=True,
            )

    async def parse_list(self, response):
        for out in self.walk_list(response):
            if isinstance(out, pages.Entry):  # a notice whose text came with the list
                async for item in self.inline_notice(response, out):
                    yield item
            else:
                yield out

    def walk_list(self, response):
        """The list page's requests (notices, the next page), and the entries of an inline
        family that are to be stored (pages.Entry, with their `url` made local)."""
        meta = response.meta
        page_no, column = meta["page_no"], meta["column"]
        self.run.list_pages += 1
        try:
            page = self.read_list(response)
        except InputError as exc:
            self.unreadable(column, response.url, exc)
            return
        if not page.entries:
            if self.numbered_pages and page_no > 1:
                self._walk.setdefault(column, "end")
                return
            self.run.missed("list", response.url, self.list_selector)
            self.note(response.url, f"list page has no items (selector {self.list_selector})")
        self.run.list_entries += len(page.entries)
        settled = bool(page.entries)
        for e in page.entries:
            url = self.src.local_url(e.url)
            key = url_key(url)
            if not self.state.was_seen(key):
                settled = False
            entry = {"url": url, "title": e.title, "date": e.date}
            wanted = self.src.title_matches(e.title) or self.src.title_maybe(e.title)
            if not wanted:
                self.state.seen.add(key)
                continue
            self.run.matched += 1
            if e.content is not None:  # nothing to fetch: its url is only its identity
                if self._inline_wanted(key):
                    yield pages.Entry(url, e.title, e.date, e.content, e.extra)
                continue
            if not self.on_site(url):
                if not self.state.was_seen(key):
                    self.note(url, f"off-site link skipped ({e.title})", fatal=False)
                self.state.seen.add(key)
                continue
            if self.state.is_known(key) or key in self.state.gone or key in self.state.pending:
                continue
            yield self._detail_request(url, entry)

        next_url = self.next_list_url(response, page, page_no)
        if next_url:
            next_url = self.src.local_url(next_url)
        if not next_url or next_url in self._list_urls or not self.on_site(next_url):
            self._walk.setdefault(column, "end")
        elif page_no >= self.src.max_pages:
            # Not walked to its end: the next crawl must not stop early on what it has seen.
            self._walk[column] = "failed"
            self.note(
                response.url,
                f"stopped at max_pages={self.src.max_pages}; the column was not walked to its end",
                fatal=False,
            )
        elif (
            settled
            and not self._full_walk
            and self.state.walked_before(column, self.src.walk_fingerprint())
        ):
            # Everything from here on was seen by an earlier crawl that reached the end.
            log.info("%s: page %d holds only known notices; stopping", response.url, page_no)
            self._walk.setdefault(column, "stopped")
        else:
            yield self.next_list_request(response, page, next_url, page_no + 1, column)

    def next_list_request(self, response, page, url: str, page_no: int, column: str):
        return self.list_request(url, page_no, column)

    def _inline_wanted(self, key: str) -> bool:
        if self.state.is_known(key):
            return self.recheck  # --recheck: compared with the stored version
        return key not in self.state.gone or self.recheck

    # -- notices ---------------------------------------------------------------------------
    async def parse_detail(self, response):
        entry = response.meta["entry"]
        key = url_key(entry["url"])
        if response.status == 304:
            self.run.unchanged += 1
            return
        if not self.on_site(response.url):  # SiteGuardMiddleware taken out by a user setting
            self.fail(key, entry, f"redirected off-site to {response.url}; not stored", True)
            return
        body = response.body
        ctype = response.headers.get("Content-Type", b"").decode("latin-1")
        recheck = response.meta.get("recheck", False)
        latest = self.state.latest(key)
        if recheck and latest and latest.get("sha256") == hashlib.sha256(body).hexdigest():
            self.run.unchanged += 1
            return
        kind = sniff_type(body, urlsplit(response.url).path, ctype) if body.strip() else "text/html"
        detail = None
        if kind == "text/html":
            try:
                detail = await self.read_detail(response, body, ctype)
            except InputError as exc:
                if isinstance(exc, pages.LayoutMiss):
                    self.run.missed(exc.kind, exc.where, exc.selector)
                transient = isinstance(exc, pages.TransientError)
                self.fail(key, entry, exc.reason, permanent=not transient)
                return
        async for item in self.notice(response, entry, key, detail, body, kind, latest):
            yield item

    async def inline_notice(self, response, entry: pages.Entry):
        key = url_key(entry.url)
        info = {"url": entry.url, "title": entry.title, "date": entry.date}
        try:
            detail = self.read_inline(response, entry)
        except InputError as exc:
            if isinstance(exc, pages.LayoutMiss):
                self.run.missed(exc.kind, exc.where, exc.selector)
            self.fail(key, info, exc.reason, permanent=True)
            return
        latest = self.state.latest(key)
        if latest and latest.get("sha256") == hashlib.sha256(detail.stored).hexdigest():
            self.run.unchanged += 1
            return
        async for item in self.notice(
            response, info, key, detail, detail.stored, "text/html", latest
        ):
            yield item

    async def notice(self, response, entry, key, detail, body, kind, latest):
        """The notice (NoticeItem) of a read detail page, its attachments fetched."""
        list_title = entry.get("title") or ""
        candidates = [t for t in (detail.title if detail else "", list_title) if t]
        title = next((t for t in candidates if self.src.title_matches(t)), None)
        if title is None:
            self.state.seen.add(key)  # a truncated list title that turned out not to match
            self.state.resolve(key)
            return
        year = year_from_title(title) or next(filter(None, map(year_from_title, candidates)), None)
        if year is not None and not plausible_year(year):  # 《…2099年工作要点》: not a year
            self.note(entry["url"], f"year {year} in the title is out of range "
                      f"({year_range()}); stored under undated/")  # fmt: skip
            year = None
        elif year is None:
            self.note(entry["url"], "title has no year; stored under undated/")
        links = detail.attachments if detail else []
        if detail is not None and detail.over:
            self.note(
                entry["url"],
                f"{detail.over} more attachment links not fetched "
                f"(max_attachments={self.src.max_attachments})",
            )
        attachments, errors, transient = await fetch_attachments(self, links, latest)
        if transient:
            if transient.get("stopped"):
                self.state.defer(key, entry, transient["reason"])
                self.note(entry["url"], f"not stored: {transient['reason']}", fatal=False)
                return
            self.fail(
                key,
                entry,
                f"attachment {transient['name']}: {transient['reason']}",
                permanent=False,
            )
            return
        stored = detail is not None and detail.stored is not None
        final_url = (detail.stored_url if stored else None) or response.url
        yield NoticeItem(
            source=self.src.name,
            key=key,
            url=entry["url"],
            final_url=entry["url"] if self.inline else final_url,
            title=title,
            year=year,
            series=self.src.series_of(title),
            body=detail.stored if stored else body,
            content_type=kind,
            ext=EXT_OF.get(kind, "bin"),
            encoding=detail.encoding if detail else None,
            list_title=list_title,
            list_date=entry.get("date"),
            published_at=(detail.published_at if detail else None) or entry.get("date"),
            department=detail.department if detail else None,
            issuer=self.src.issuer,
            http_status=200 if self.inline else response.status,
            etag=None if stored else _header(response, "ETag"),
            last_modified=None if stored else _header(response, "Last-Modified"),
            fetched_at=now_iso(),
            attachments=attachments,
            attachment_errors=errors,
        )

    # -- close -----------------------------------------------------------------------------
    def _closed(self, spider, reason):
        walked = {}
        for column, status in self._walk.items():
            if status == "end":
                walked[column] = True
            elif status == "failed":
                walked[column] = False
        try:
            self.state.save(self.store, walked, self.src.walk_fingerprint())
        except OSError as exc:
            self.note(str(self.store.root), f"could not save crawl state: {exc}")
        self.run.finished_at = now_iso()
        self.run.close_reason = reason
        if reason != "finished":
            self.note(self.src.name, f"crawl ended early ({reason})")
        try:
            append_record(self.store.root / "crawllog.jsonl", self.run.to_dict())
        except OSError as exc:
            log.warning("%s: could not write the crawl log: %s", self.store.root, exc)


def _header(response, name: str) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None
