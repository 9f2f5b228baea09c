"""The generic HTML list/detail family: the source's selectors (sources.toml `list`, `detail`)
read server-rendered list pages and detail pages (crawler/pages.py).

A source declares `list.item` (one list entry) and `detail.body` (the notice body); the rest has
defaults: `list.link`, `list.title_attr`, `list.date`, paging by a next link (`list.next`) or by
number (`list.page_template`, with `list.page_count` or `list.page_size` for {offset}),
`detail.title`, `detail.meta` (or `detail.date` / `detail.department`), `detail.attachments`.
Server-rendered lists of any shape (ul/li, tables, ASP.NET category pages) are this family;
see docs/crawler.md.

Run it through `policytrack crawl SOURCE` or `scrapy crawl generic -a source=hbkx [-a data=DIR]
[-a sources=FILE] [-a base_url=URL] [-a recheck=1]`.
"""

from __future__ import annotations

from policytrack.crawler import pages
from policytrack.crawler.spiders.base import NoticeSpider
from policytrack.crawler.spiders.registry import register


@register("generic")
class GenericSpider(NoticeSpider):
    def read_list(self, response) -> pages.ListPage:
        return pages.parse_list(self.src.list, response.url, root=pages.page_root(response))

    async def read_detail(self, response, body: bytes, content_type: str) -> pages.DetailPage:
        return pages.parse_detail(
            self.src.detail,
            response.url,
            types=self.src.attachment_types,
            root=pages.page_root(response),
            limit=self.src.max_attachments,
        )

    @property
    def numbered_pages(self) -> bool:
        return bool(self.src.list.page_template) and not self.src.list.next

    @property
    def list_selector(self) -> str:
        return " | ".join(self.src.list.item)

    def next_list_url(self, response, page: pages.ListPage, page_no: int) -> str | None:
        more = page.page_count is None or page_no < page.page_count
        if self.numbered_pages and page.entries and more:
            return pages.template_url(
                response.url, self.src.list.page_template, page_no + 1, self.src.list.page_size
            )
        return page.next_url
