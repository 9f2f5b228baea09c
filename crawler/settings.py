"""Scrapy settings: politeness first. Per-source overrides live in sources.toml (`settings`),
one-off overrides on the command line (`policytrack crawl --set KEY=VALUE`, `scrapy crawl -s`)."""

BOT_NAME = "policytrack"
SPIDER_MODULES = ["policytrack.crawler.spiders"]
NEWSPIDER_MODULE = "policytrack.crawler.spiders"

# Identify ourselves; sources.toml [defaults].user_agent or --set USER_AGENT=... replaces it.
USER_AGENT = "policytrack/0.1 (+research crawler for published annual work-point notices)"

# Politeness.
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 2.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
COOKIES_ENABLED = False
# A callback yields at most a list page's worth of requests; Scrapy starts this many asyncio
# workers per callback output, and the default (100) costs more CPU than the parsing does.
CONCURRENT_ITEMS = 8
TELNETCONSOLE_ENABLED = False

# Limits. A notice page is tens of KB and an attachment a few MB; anything over the cap is cut.
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 16 * 1024 * 1024
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024
REDIRECT_MAX_TIMES = 5

# Retries with exponential backoff on 5xx and timeouts (crawler.middlewares.BackoffRetryMiddleware).
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
RETRY_BACKOFF_BASE = 1.0  # seconds before the first retry; doubles each time
RETRY_BACKOFF_MAX = 30.0

DOWNLOADER_MIDDLEWARES = {
    # One check for every request and redirect hop (NoticeSpider.refusal), dont_filter included;
    # it replaces Scrapy's off-site filter, which dont_filter requests and their redirects skip.
    "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
    "policytrack.crawler.middlewares.SiteGuardMiddleware": 40,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "policytrack.crawler.middlewares.BackoffRetryMiddleware": 550,
    "policytrack.crawler.middlewares.RequestCountMiddleware": 990,
}
ITEM_PIPELINES = {"policytrack.crawler.pipelines.StorePipeline": 300}
EXTENSIONS = {"policytrack.crawler.middlewares.CrawlProgress": 500}

# Our own logger reports failures with URL and reason; Scrapy's INFO chatter is not needed.
LOG_LEVEL = "INFO"
FEED_EXPORT_ENCODING = "utf-8"

# Distributed mode only (`policytrack crawl|worker --redis URL`, docs/distributed.md); without
# --redis these are never read. The scheduler, dupefilter and queue keys are set per source by
# crawler.distributed.crawler_settings.
REDIS_KEY_PREFIX = "policytrack"
REDIS_WORKER_TTL = 10.0  # seconds without a heartbeat before a worker's requests are requeued
REDIS_POLL_INTERVAL = 0.2  # how often an idle worker looks at the shared queue
REDIS_PREFETCH = 2  # requests popped per round trip (held by this worker until done)
REDIS_OUTAGE_LIMIT = 60.0  # an idle worker gives up (exit 1) after Redis was away this long
