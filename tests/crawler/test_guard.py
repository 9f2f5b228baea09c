"""The one check every request and redirect hop passes (crawler/middlewares.refusal, called by
NoticeSpider.refusal / on_site and SiteGuardMiddleware), case by case."""

from __future__ import annotations

import pytest
from scrapy.http import Request

from policytrack.crawler.middlewares import Blocked, SiteGuardMiddleware, refusal
from policytrack.crawler.sources import load_sources
from policytrack.crawler.spiders.generic import GenericSpider

HOSTS = {"www.hbkx.org.cn", "hbkx.org.cn", "127.0.0.1"}
NETLOCS = {"www.hbkx.org.cn", "127.0.0.1:8000"}


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://www.hbkx.org.cn/news/info?newsid=1", None),
        ("http://hbkx.org.cn/a", None),
        ("https://cdn.hbkx.org.cn/x.pdf", None),  # a subdomain of an allowed host
        ("http://127.0.0.1:8000/news/list", None),  # the mirror itself
        ("https://evilhbkx.org.cn/", "Filtered offsite request to 'evilhbkx.org.cn'"),
        ("http://localhost:8000/", "Filtered offsite request to 'localhost'"),
        ("http://127.0.0.2:8000/", "Filtered offsite request to '127.0.0.2' (a loopback address)"),
        (
            "http://127.0.0.1:6379/",
            "Filtered offsite request to '127.0.0.1:6379' (not the source's port) "
            "(a loopback address)",
        ),
        (
            "http://169.254.169.254/latest/meta-data/",
            "Filtered offsite request to '169.254.169.254' (a link-local address)",
        ),
        ("http://[fe80::1]/", "Filtered offsite request to 'fe80::1' (a link-local address)"),
        ("http://10.0.0.5/", "Filtered offsite request to '10.0.0.5' (a private address)"),
        ("http://user@127.0.0.1:8000/", None),
        ("file:///etc/passwd", "scheme 'file' is not http(s)"),
        ("ftp://www.hbkx.org.cn/x", "scheme 'ftp' is not http(s)"),
        ("http:///nohost", "no host in the URL"),
    ],
)
def test_refusal(url, reason):
    assert refusal(url, HOSTS, NETLOCS) == reason


def test_the_guard_applies_the_spiders_check_to_every_request(tmp_path):
    src = load_sources()["hbkx"].rebased("http://127.0.0.1:8000")
    spider = GenericSpider(source=src, data=tmp_path / "data")
    guard = SiteGuardMiddleware(crawler=None)
    assert guard.process_request(Request("http://127.0.0.1:8000/robots.txt"), spider) is None
    hop = Request("http://127.0.0.2:8000/x", dont_filter=True,
                  meta={"redirect_urls": ["http://127.0.0.1:8000/news/list?page=2"]})  # fmt: skip
    with pytest.raises(Blocked) as blocked:
        guard.process_request(hop, spider)
    assert blocked.value.describe() == (
        "redirected off-site to http://127.0.0.2:8000/x "
        "(Filtered offsite request to '127.0.0.2' (a loopback address)); not followed"
    )
    assert spider.run.blocked == 1
    assert spider.on_site("http://127.0.0.1:8000/a") and not spider.on_site(
        "http://127.0.0.2:8000/"
    )
