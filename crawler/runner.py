"""Run spiders in-process (one Twisted reactor per process: call crawl() once per process)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from policytrack.crawler.runreport import Problem
from policytrack.crawler.sources import select
from policytrack.crawler.spiders.registry import spider_class
from policytrack.pipeline.core.errors import ConfigError

log = logging.getLogger("policytrack.crawler")


@dataclass
class CrawlResult:
    reports: list  # RunReport per source

    @property
    def failures(self) -> list:
        return [p for r in self.reports for p in r.failures]

    @property
    def ok(self) -> bool:
        return not self.failures


def _quiet_below_warning(record: logging.LogRecord) -> bool:
    return record.levelno >= logging.WARNING


def parse_overrides(pairs: list[str]) -> dict:
    """KEY=VALUE strings (like `scrapy -s`) → a settings dict."""
    out = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip().isupper():
            raise ConfigError(f"--set {pair!r}: expected SETTING_NAME=value")
        out[key.strip()] = value.strip()
    return out


def settings_for(overrides: dict | None = None):
    from scrapy.settings import Settings

    settings = Settings()
    settings.setmodule("policytrack.crawler.settings", priority="project")
    settings.update(overrides or {}, priority="cmdline")
    return settings


def crawl(
    names: list[str],
    data_dir: str | Path,
    *,
    sources_file: str | Path | None = None,
    base_url: str | None = None,
    recheck: bool = False,
    overrides: dict | None = None,
    redis_url: str | None = None,
    join_only: bool = False,
    wait: float = 0.0,
) -> CrawlResult:
    """Crawl `names` in this process. With `redis_url` the sources' frontiers are shared with
    other workers (crawler/redis/distributed.py); `join_only` (policytrack worker) only joins
    runs in progress, waiting up to `wait` seconds for one."""
    from scrapy.crawler import CrawlerProcess

    settings = settings_for(overrides)
    if redis_url:
        from policytrack.crawler.redis.distributed import plan

        jobs = plan(redis_url, list(names), settings, sources_file=sources_file,
                    base_url=base_url, recheck=recheck, join_only=join_only, wait=wait)  # fmt: skip
        if not jobs:
            return CrawlResult([])
    else:
        chosen = [s.rebased(base_url) for s in select(list(names), sources_file)]
        jobs = [(spider_class(src), {"source": src, "recheck": recheck}) for src in chosen]
    # The caller (the CLI) owns logging: no second root handler, and Scrapy's DEBUG chatter off.
    settings.set("LOG_INSTALL_ROOT_HANDLER", False, priority="cmdline")
    for name in ("scrapy.utils.log", "scrapy.crawler"):  # start-up banner and version list
        logging.getLogger(name).addFilter(_quiet_below_warning)
    process = CrawlerProcess(settings)
    level = max(logging.getLogger().getEffectiveLevel(), logging.WARNING)
    for name in ("scrapy", "twisted", "py.warnings"):
        logging.getLogger(name).setLevel(level)
    crawlers, failed = [], []
    for cls, kwargs in jobs:
        crawler = process.create_crawler(cls)
        process.crawl(crawler, data=str(data_dir), **kwargs).addErrback(failed.append)
        crawlers.append(crawler)
    process.start()
    # A Ctrl-C while Scrapy was still importing its components lands in the crawl's Deferred,
    # not here: the crawl never ran, so it must not end as a successful one.
    if any(f.check(KeyboardInterrupt) for f in failed):
        raise KeyboardInterrupt
    reports = [c.spider.run for c in crawlers if getattr(c, "spider", None) is not None]
    if failed or len(reports) != len(crawlers):
        why = f": {failed[0].type.__name__}: {failed[0].getErrorMessage()}" if failed else ""
        raise ConfigError(f"a spider failed to start{why}; see the log above")
    for run in reports:
        if run.close_reason is None:  # stopped (a Ctrl-C) before its spider opened: no crawl
            run.problems.append(Problem(run.source, "crawl stopped before it started"))
    return CrawlResult(reports)
