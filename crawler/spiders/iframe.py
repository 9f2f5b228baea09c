"""Detail pages whose body is another document shown in an iframe: 湖南省科协 www.hnast.org.cn
(`/portal/…/*.action` pages, `iframe#contentHtmlIframe`).

Lists are server-rendered (the generic list reader). A detail page gives the title, the date and
the department; its body is the document at the iframe's `src`, fetched in the same callback
(through `request()`, so the site guard checks it and its redirects). That document is what is
stored as the notice's page (`final_url` says where it came from), and links in it resolve
against its own URL.

A source declares the list selectors and `detail.title` / `detail.meta`; `options.frame` is the
iframe's selector (default `iframe#contentHtmlIframe`) and `detail.body` the body inside the
framed document (default `body`). Layout alarm: a detail page without the iframe, or a framed
document without text or attachment links, fails the notice and is named in the run report.
"""

from __future__ import annotations

from policytrack.crawler import pages
from policytrack.crawler.middlewares import Blocked
from policytrack.crawler.spiders.downloads import describe, download, transient_status
from policytrack.crawler.spiders.generic import GenericSpider
from policytrack.crawler.spiders.registry import register
from policytrack.pipeline.core.errors import InputError

FRAME = "iframe#contentHtmlIframe"


def frame_src(root, selector: str, url: str) -> str:
    found = pages.select(root, (selector,))
    src = found[0].attrib.get("src") if found else None
    target = pages.absolute(url, src)
    if not target:
        raise pages.LayoutMiss(url, f"no body iframe on the page ({selector})", "detail", selector)
    return target


def framed_body(
    profile, frame_url: str, data: bytes, ctype: str, types, limit, selector: str
) -> tuple[pages.DetailPage, str]:
    """Body, attachments and encoding of the framed document (links resolve against it)."""
    empty = pages.LayoutMiss(
        frame_url, f"the body iframe is empty ({selector})", "detail", f"{selector} (empty)"
    )
    if not data.strip():
        raise empty
    root, encoding = pages.decode(data, ctype, frame_url)
    try:
        body = pages.notice_body(root, profile, frame_url)
    except pages.LayoutMiss:
        raise empty from None
    links, over = pages.attachment_links(body, ("a",), frame_url, types, limit)
    chars = len(body.xpath("normalize-space(string(.))").get() or "")
    if not chars and not links:
        raise empty
    page = pages.DetailPage(frame_url, "", None, None, encoding, chars, links, over, body)
    return page, encoding


@register("iframe")
class IframeSpider(GenericSpider):
    options_spec = {"frame": (str, FRAME)}

    async def read_detail(self, response, body: bytes, content_type: str) -> pages.DetailPage:
        root, _ = pages.page_root(response)
        head = pages.heading(root, self.src.detail)
        src = self.src.local_url(frame_src(root, self.option("frame"), response.url))
        try:
            framed = await download(self, self.request(src, meta={"kind": "frame"}))
        except Blocked as exc:
            raise InputError(response.url, f"body iframe {exc.describe()}") from None
        except Exception as exc:  # timeouts, dropped connections: each has its own type
            reason, permanent = describe(exc)
            error = InputError if permanent else pages.TransientError
            raise error(response.url, f"body iframe {src}: {reason}") from None
        if framed.status != 200:
            error = pages.TransientError if transient_status(framed.status) else InputError
            raise error(response.url, f"body iframe {src}: HTTP {framed.status}")
        ctype = framed.headers.get("Content-Type", b"").decode("latin-1")
        page, encoding = framed_body(
            self.src.detail, framed.url, framed.body, ctype, self.src.attachment_types,
            self.src.max_attachments, self.option("frame"),
        )  # fmt: skip
        page.url = response.url
        page.title, page.published_at, page.department = (
            head.title, head.published_at, head.department,
        )  # fmt: skip
        page.stored, page.stored_url = framed.body, framed.url
        return page
