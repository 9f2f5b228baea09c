"""Hanweb JCMS sites: 浙江省科协 www.zast.org.cn, 北京, 山东, the old 中国科协 and 黑龙江 sites.

A column page `/col/col{N}/index.html` embeds the first group of rows as `<record>` CDATA blocks
of a `<datastore>` inside `<script type="text/xml">` (an HTML parser sees them only as script
text), and a jpage script names the data proxy and its parameters (`proxyUrl`, `perPage`,
`totalRecord`, `ajaxParam`). Later rows come from

    POST {proxyUrl}?startrecord=a&endrecord=b&perpage=p     form: ajaxParam (col, appid, webid,
                                                            columnid, unitid, …)

answering XML `<datastore><totalrecord>…<recordset><record><![CDATA[row]]></record>…`. Each
request asks for as many rows as the column page embedded (its group). Detail pages are
server-rendered (`#zoom`, metas ArticleTitle / PubDate or Maketime / ContentSource).

A source declares `list_urls` (the column pages); `[families.jcms]` gives the row selectors
(`list.item` is a `div.jcms-record` wrapped around each record), the detail selectors and the
proxy defaults. Without `ajaxParam` the form is read from the datastore's `<nextgroup>` link.
Layout alarm: a column page or a proxy answer without `<record>` blocks fails the column and is
named in the run report.
"""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

from parsel import Selector

from policytrack.crawler import pages
from policytrack.crawler.spiders.generic import GenericSpider
from policytrack.crawler.spiders.registry import register

_RECORD = re.compile(r"<record>\s*<!\[CDATA\[(.*?)\]\]>\s*</record>", re.S)
_DATASTORE = re.compile(r"<datastore>", re.I)
_NEXTGROUP = re.compile(r"<nextgroup>\s*<!\[CDATA\[(.*?)\]\]>", re.S)
_TOTAL_XML = re.compile(r"<totalrecord>\s*(\d+)\s*</totalrecord>")
_PARAM = r"{}\s*:\s*['\"]?([^'\",}}\s]+)"
_AJAX = re.compile(r"ajaxParam\s*:\s*\{([^}]*)\}")
_PAIR = re.compile(r"(\w+)\s*:\s*['\"]([^'\"]*)['\"]")
RECORDS = "<record> blocks"


def records(text: str, where: str) -> list[str]:
    """The row HTML of every <record> of a datastore; LayoutMiss when there is no datastore."""
    rows = _RECORD.findall(text)
    if not rows and not _DATASTORE.search(text):
        raise pages.LayoutMiss(
            where, f"no {RECORDS} (jpage datastore) on the page", "list", RECORDS
        )
    return [r.strip() for r in rows]


def rows_root(rows: list[str]) -> Selector:
    """One document holding every row, each in a div.jcms-record (table rows stay rows)."""
    parts = []
    for row in rows:
        if re.match(r"(?is)\s*<tr[\s>]", row):
            row = f"<table>{row}</table>"
        parts.append(f'<div class="jcms-record">{row}</div>')
    return Selector(text="<html><body>" + "".join(parts) + "</body></html>")


def proxy_params(text: str, base: str, page_size: int | None) -> dict:
    """What the column page says about its data proxy: url, form, group size, total."""

    def number(name: str) -> int | None:
        m = re.search(_PARAM.format(name), text)
        return int(m.group(1)) if m and m.group(1).isdigit() else None

    proxy = re.search(r"proxyUrl\s*:\s*['\"]([^'\"]+)['\"]", text)
    form: dict[str, str] = {}
    ajax = _AJAX.search(text)
    if ajax:
        form = dict(_PAIR.findall(ajax.group(1)))
    nextgroup = _NEXTGROUP.search(text)
    href = None
    if nextgroup:
        m = re.search(r"href=['\"]([^'\"]+)['\"]", nextgroup.group(1))
        href = html.unescape(m.group(1)) if m else None
    if not form and href:
        form = {k: v for k, v in parse_qsl(urlsplit(href).query) if k != "page"}
    url = proxy.group(1) if proxy else (urlsplit(href).path if href else "")
    return {
        "proxy": urljoin(base, url or "/module/web/jpage/dataproxy.jsp"),
        "form": form,
        "per_page": number("perPage") or page_size or 15,
        "total": number("totalRecord"),
    }


def range_url(proxy: str, start: int, size: int, per_page: int) -> str:
    query = urlencode({"startrecord": start, "endrecord": start + size - 1, "perpage": per_page})
    return f"{proxy}?{query}"


@register("jcms")
class JcmsSpider(GenericSpider):
    @property
    def numbered_pages(self) -> bool:
        return True

    @property
    def list_selector(self) -> str:
        return RECORDS

    def read_list(self, response) -> pages.ListPage:
        first = response.meta.get("jcms") is None  # the column page itself
        text = pages.page_text(response)
        rows = records(text, response.url)
        base = response.meta.get("base") or response.url
        page = pages.parse_list(self.src.list, base, root=(rows_root(rows), "utf-8"))
        page.url = response.url
        if first:
            unit = proxy_params(text, response.url, self.src.list.page_size)
            unit["group"] = max(len(rows), 1)
            unit["start"] = 1
        else:
            unit = dict(response.meta["jcms"])
            m = _TOTAL_XML.search(text)
            unit["total"] = int(m.group(1)) if m else unit.get("total")
            unit["start"] = int(dict(parse_qsl(urlsplit(response.url).query))["startrecord"])
        unit["rows"] = len(rows)
        page.extra = unit
        return page

    def next_list_url(self, response, page, page_no):
        unit = page.extra
        done = unit["start"] + unit["rows"] - 1
        if unit["rows"] < unit["group"] or (unit.get("total") and done >= unit["total"]):
            return None
        if not unit["form"]:
            return None  # nothing says how to ask for more: the embedded rows are all there is
        return range_url(unit["proxy"], done + 1, unit["group"], unit["per_page"])

    def next_list_request(self, response, page, url, page_no, column):
        unit = {k: page.extra[k] for k in ("proxy", "form", "per_page", "total", "group")}
        # meta "jcms", not "proxy": Scrapy reads that meta key as an HTTP proxy.
        base = response.meta.get("base") or response.url
        return self.list_request(url, page_no, column, form=unit["form"], jcms=unit, base=base)
