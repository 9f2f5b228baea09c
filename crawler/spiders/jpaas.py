"""Hanweb jpaas ("page build unit") sites: 中国科协 www.cast.org.cn since 2024, many ministries and
city bureaus. The column page holds no list: a unit script carries the list's parameters
(`script[parseType="bulidstatic"]`, also spelt `buildstatic`, attributes `url` and `queryData`),
and the rows come from

    GET {url}?{queryData as parameters}&paramJson={"pageNo":N,"pageSize":M}

answering `{"success": true, "data": {"html": "<li>…</li>…"}}`; paging works only inside
paramJson. Detail pages are server-rendered (body `#zoom`, metas ArticleTitle / PubDate /
ContentSource): the generic detail reader.

A source declares `list_urls` (the column pages); the family (`[families.jpaas]` in
crawler/sources.toml) gives the rest: `list.item` / `link` / `date` for the rows inside
`data.html`, `list.page_size` (M), the detail selectors, and `options.unit` (the unit script's
selector). Layout alarm: a column page without the unit script, or a unit answer without
`data.html`, fails the column and is named in the run report.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

from parsel import Selector

from policytrack.crawler import pages
from policytrack.crawler.spiders.generic import GenericSpider
from policytrack.crawler.spiders.registry import register
from policytrack.crawler.state import url_key
from policytrack.pipeline.core.errors import InputError

UNIT = 'script[parseType="bulidstatic"], script[parseType="buildstatic"]'


def unit_url(column_url: str, root: Selector, selector: str, page_size: int) -> str:
    """The list API URL of page 1, from the column page's unit script."""
    found = pages.select(root, (selector,))
    if not found:
        raise pages.LayoutMiss(
            column_url, f"no bulidstatic unit script on the column page ({selector})", "list",
            selector,
        )  # fmt: skip
    script = found[0]
    api, query = script.attrib.get("url"), script.attrib.get("querydata")
    try:
        params = json.loads((query or "").replace("'", '"'))
        if not api or not isinstance(params, dict):
            raise ValueError
    except ValueError:
        raise pages.LayoutMiss(
            column_url, f"the unit script has no url / queryData ({selector})", "list", selector
        ) from None
    params = {k: str(v) for k, v in params.items() if k != "paramJson"}
    return page_url(urljoin(column_url, api) + "?" + urlencode(params), 1, page_size)


def page_url(url: str, page_no: int, page_size: int) -> str:
    """The same unit URL for another page (paramJson carries the page)."""
    u = urlsplit(url)
    params = [(k, v) for k, v in parse_qsl(u.query, keep_blank_values=True) if k != "paramJson"]
    paging = json.dumps({"pageNo": page_no, "pageSize": page_size}, separators=(",", ":"))
    return u._replace(query=urlencode([*params, ("paramJson", paging)])).geturl()


def unit_rows(data: bytes, where: str) -> str:
    """data.html of a unit answer ("" past the last page); InputError when it is not one."""
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise pages.LayoutMiss(
            where, "the list API did not answer JSON (data.html)", "list", "data.html"
        ) from None
    html = doc.get("data", {}).get("html") if isinstance(doc, dict) else None
    if not isinstance(html, str):
        if isinstance(doc, dict) and doc.get("success") is False:
            raise InputError(where, f"the list API answered success=false ({doc.get('msg')!r})")
        raise pages.LayoutMiss(where, "the list API answer has no data.html", "list", "data.html")
    return html


@register("jpaas")
class JpaasSpider(GenericSpider):
    options_spec = {"unit": (str, UNIT)}

    @property
    def page_size(self) -> int:
        return self.src.list.page_size or 20

    @property
    def numbered_pages(self) -> bool:
        return True

    @property
    def list_selector(self) -> str:
        return f"data.html {' | '.join(self.src.list.item)}"

    def column_requests(self):
        for url in self.src.list_urls:
            yield self.request(
                url,
                callback=self.parse_column,
                errback=self.list_failed,
                meta={"kind": "column", "column": url_key(url)},
                dont_filter=True,
            )

    def parse_column(self, response):
        column = response.meta["column"]
        try:
            root, _ = pages.page_root(response)
            first = unit_url(response.url, root, self.option("unit"), self.page_size)
        except InputError as exc:
            self.unreadable(column, response.url, exc)
            return
        yield self.list_request(first, 1, column, base=response.url)

    def read_list(self, response) -> pages.ListPage:
        html = unit_rows(response.body, response.url)
        base = response.meta.get("base") or response.url
        rows = Selector(text=html) if html.strip() else None
        if rows is None:
            return pages.ListPage(response.url, [], None, None, "utf-8")
        page = pages.parse_list(self.src.list, base, root=(rows, "utf-8"))
        page.url = response.url
        return page

    def next_list_url(self, response, page, page_no):
        if len(page.entries) < self.page_size:
            return None  # a short page is the last one
        return page_url(response.url, page_no + 1, self.page_size)

    def next_list_request(self, response, page, url, page_no, column):
        return self.list_request(url, page_no, column, base=response.meta.get("base"))
