"""JSON API lists that carry each notice's text: 吉林省科协 (historical), e.g.

    GET /web/news/pagenews/{column}/{offset}/{size}/skx   →   {"data": [{"id": 10544,
        "title": "…", "timeymd": "2019-03-13", "content": "<p>…</p>"}, …]}

No detail page is fetched: an item's `content` is its body, its public URL (built from the id by
`options.url`) is only its identity, and the stored page is the content in a minimal page with the
title and date (pages.fragment_page). Attachments linked in the content are fetched as usual.

A source declares `list_urls` (page 1), `list.page_template` with {offset} (or {page}) and
`list.page_size`, and `options.url`. In this family `list.item` names the JSON array of items and
`detail.body` the field holding the HTML (`[families.jsonapi]`: "data", "content"); the other
fields are `options.id`, `options.title`, `options.date`. --recheck re-reads every list page and
compares each item with its stored version. Layout alarm: an answer that is not JSON or has no
such array fails the column and is named in the run report.
"""

from __future__ import annotations

import json

from parsel import Selector

from policytrack.crawler import pages
from policytrack.crawler.spiders.base import NoticeSpider
from policytrack.crawler.spiders.registry import register
from policytrack.pipeline.core.errors import ConfigError, InputError


def items_of(data: bytes, key: str, where: str) -> list:
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise pages.LayoutMiss(
            where, f"the list API did not answer JSON ({key})", "list", key
        ) from None
    for part in key.split("."):
        doc = doc.get(part) if isinstance(doc, dict) else None
    if not isinstance(doc, list):
        raise pages.LayoutMiss(where, f"the list API answer has no {key!r} array", "list", key)
    return doc


@register("jsonapi")
class JsonApiSpider(NoticeSpider):
    inline = True
    options_spec = {
        "url": (str, ""),  # the public URL of an item: a template with {id}
        "id": (str, "id"),
        "title": (str, "title"),
        "date": (str, "date"),
    }

    @classmethod
    def check_source(cls, src) -> None:
        super().check_source(src)
        if "{id}" not in str(src.options.get("url", "")):
            raise ConfigError(f"source {src.name}: options.url: a URL template with {{id}}")

    @property
    def numbered_pages(self) -> bool:
        return True

    @property
    def list_selector(self) -> str:
        return self.src.list.item[0]

    def read_list(self, response) -> pages.ListPage:
        entries = []
        fields = {k: self.option(k) for k in ("id", "title", "date")}
        body = self.src.detail.body[0]
        for item in items_of(response.body, self.src.list.item[0], response.url):
            if not isinstance(item, dict) or item.get(fields["id"]) in (None, ""):
                continue
            title = pages.clean(str(item.get(fields["title"]) or ""))
            url = pages.absolute(response.url, self.option("url").format(id=item[fields["id"]]))
            content = item.get(body)
            if not title or not url:
                continue
            date = pages.parse_date(str(item.get(fields["date"]) or ""))
            text = content if isinstance(content, str) else ""
            entries.append(pages.Entry(url, title, date, text, {"list_url": response.url}))
        return pages.ListPage(response.url, entries, None, None, "utf-8")

    def next_list_url(self, response, page, page_no):
        size = self.src.list.page_size
        if not self.src.list.page_template or not page.entries:
            return None
        if size and len(page.entries) < size:
            return None  # a short page is the last one
        return pages.template_url(response.url, self.src.list.page_template, page_no + 1, size)

    def read_inline(self, response, entry: pages.Entry) -> pages.DetailPage:
        root = Selector(text=f"<html><body>{entry.content or ''}</body></html>")
        body = root.css("body")[0]
        links, over = pages.attachment_links(
            body, ("a",), response.url, self.src.attachment_types, self.src.max_attachments
        )
        chars = len(body.xpath("normalize-space(string(.))").get() or "")
        if not chars and not links:
            raise InputError(entry.url, "the notice body is empty and has no attachments")
        return pages.DetailPage(
            url=entry.url,
            title=entry.title,
            published_at=entry.date,
            department=None,
            encoding="utf-8",
            body_chars=chars,
            attachments=links,
            over=over,
            body=body,
            stored=pages.fragment_page(entry.title, entry.date, entry.content or ""),
        )
