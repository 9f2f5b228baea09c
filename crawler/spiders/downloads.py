"""Downloads every family shares: failure reasons, and a notice's attachments.

Attachments are fetched inside the notice's detail callback (one worker assembles one notice)
through the spider's own engine, so politeness, retries and the off-site rules are the spider's.
A family's read_detail only lists the links (pages.AttachmentLink); at most the source's
`max_attachments` of them (pages.attachment_links), and none once the crawl is stopping, so a
page with 100k links neither makes 100k requests nor holds up a SIGTERM.
"""

from __future__ import annotations

from scrapy.exceptions import IgnoreRequest
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.threads import deferToThread

from policytrack.crawler import pages
from policytrack.crawler.items import FetchedFile
from policytrack.crawler.middlewares import Blocked
from policytrack.crawler.state import url_key
from policytrack.crawler.validate import check_attachment
from policytrack.pipeline.text.extract import DOCX_TYPE

CONTENT_TYPES = {
    "html": "text/html",
    "docx": DOCX_TYPE,
    "pdf": "application/pdf",
    "doc": "application/msword",
}
EXT_OF = {v: k for k, v in CONTENT_TYPES.items()}


def transient_status(status: int) -> bool:
    return status >= 500 or status in (408, 429)


def describe(exc: BaseException) -> tuple[str, bool]:
    """(reason, permanent) for a download exception."""
    name = exc.__class__.__name__
    if isinstance(exc, IgnoreRequest):
        return (str(exc) or "request ignored"), True
    if "Cancel" in name:  # DOWNLOAD_MAXSIZE (Scrapy cancels the transfer) or a shutdown
        return f"download cut off ({exc or 'larger than DOWNLOAD_MAXSIZE'})".replace(
            "\n", " "
        ), True
    if "Timeout" in name:
        return f"timed out ({name})", False
    return f"{name}: {exc}".strip().rstrip(":").replace("\n", " "), False


async def download(spider, request):
    """Fetch `request` through the spider's engine, from inside a callback."""
    engine = spider.crawler.engine
    if hasattr(engine, "download_async"):  # Scrapy ≥ 2.14
        return await engine.download_async(request)
    return await maybe_deferred_to_future(engine.download(request))


async def fetch_attachments(
    spider, links: list[pages.AttachmentLink], latest: dict | None
) -> tuple[list[FetchedFile], list[dict], dict | None]:
    """(files, errors, transient) of a notice's links; `latest` is its previous record.
    `transient` is the first attachment that failed in a way worth retrying next crawl (the
    notice is then not stored this time); `errors` are the unusable ones, each noted."""
    attachments, errors = [], []
    # A new version re-links the same files: don't download again what was refused before.
    refused = {
        e["url"]: e
        for e in (latest or {}).get("attachment_errors", [])
        if not e.get("path") and "off-site" not in e.get("reason", "")
    }
    for link in links:
        if spider.stopping:  # SIGTERM / SIGINT: the notice is fetched again next crawl
            return (
                attachments,
                errors,
                {
                    "name": link.name,
                    "reason": "the crawl stopped before its attachments were fetched",
                    "stopped": True,
                },
            )
        url = spider.src.local_url(link.url)
        if url_key(url) in {url_key(u) for u in refused}:
            prior = next(e for u, e in refused.items() if url_key(u) == url_key(url))
            errors.append(
                {"name": link.name, "url": url, "ext": link.ext, "reason": prior["reason"]}
            )
            spider.note(
                url,
                f"attachment {link.name}: not fetched again ({prior['reason']})",
                fatal=False,
            )
            continue
        got = await fetch_attachment(spider, link)
        if isinstance(got, FetchedFile):
            attachments.append(got)
            continue
        if got.pop("transient", False):
            return attachments, errors, got
        errors.append(got)
        spider.note(
            got["url"],
            f"attachment {got['name']}: {got['reason']}",
            fatal=got.pop("fatal", True),
        )
    return attachments, errors, None


async def fetch_attachment(spider, link: pages.AttachmentLink) -> FetchedFile | dict:
    """The file, or {name, url, ext, reason} plus `transient` / `fatal` / the unusable `body`."""
    url = spider.src.local_url(link.url)
    out = {"name": link.name, "url": url, "ext": link.ext}
    if not spider.on_site(url):
        return {**out, "reason": "off-site link, not fetched", "fatal": False}
    # Redirects are followed (RedirectMiddleware); each hop passes SiteGuardMiddleware, so a
    # redirect off the source's hosts raises Blocked. Other statuses come back as responses:
    # engine downloads skip the HttpError spider middleware.
    request = spider.request(url, meta={"kind": "attachment"})
    try:
        response = await download(spider, request)
    except Exception as exc:  # each download failure mode has its own exception type
        if isinstance(exc, Blocked):
            return {**out, "reason": f"redirected off-site ({exc}), not fetched", "fatal": False}
        reason, permanent = describe(exc)
        if "Cancel" in exc.__class__.__name__:
            cap = spider.crawler.settings.getint("DOWNLOAD_MAXSIZE")
            reason = f"larger than DOWNLOAD_MAXSIZE ({cap // (1024 * 1024)} MB); download cut off"
        return {**out, "reason": reason, "transient": not permanent}
    if not spider.on_site(response.url):  # SiteGuardMiddleware disabled by a user setting
        reason = f"redirected off-site ({response.url}), not fetched"
        return {**out, "reason": reason, "fatal": False}
    if response.status != 200:
        reason = f"HTTP {response.status}"
        return {**out, "reason": reason, "transient": transient_status(response.status)}
    body = response.body
    # Full text extraction of a big PDF takes seconds: off the reactor, so downloads and the
    # distributed heartbeat (Member.pulse) keep going meanwhile.
    problem = await maybe_deferred_to_future(deferToThread(check_attachment, body, link.ext, url))
    if problem:
        return {**out, "reason": problem, "body": body}
    return FetchedFile(
        link.name, url, CONTENT_TYPES.get(link.ext, "application/octet-stream"), body, link.ext
    )
