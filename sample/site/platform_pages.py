"""Pages of the platform issuers (sample/site/platforms.py), shaped like the saved pages of
tests/fixtures/crawler/families/: a Hanweb jpaas column with its bulidstatic unit API, a Hanweb
JCMS column with embedded <record>s and a POST data proxy, a portal whose bodies are iframes, and
a JSON news API. `routes(issuer)` → the sample server's routes table (route_key → Resource).

`break_layout(routes, family)` removes what each family's crawler looks for (the unit script, the
<record> blocks, the iframe's text), for the layout-alarm tests.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from urllib.parse import quote, urlencode

from policytrack.sample.site.platforms import PER_PAGE, Issuer, PlatformNotice
from policytrack.sample.site.server import Resource, route_key

HTML = "text/html; charset=utf-8"
PDF = "application/pdf"


def esc(text: str) -> str:
    return html.escape(text, quote=True)


def _page(title: str, body: str, metas: dict[str, str] | None = None) -> bytes:
    meta = "".join(f'<meta name="{k}" content="{esc(v)}">\n' for k, v in (metas or {}).items())
    return (
        f'<!DOCTYPE html>\n<html><head><meta charset="utf-8">\n{meta}<title>{esc(title)}</title>'
        f'</head>\n<body>\n{body}\n<div class="footer">样例数据，仅供演示</div>\n</body></html>\n'
    ).encode()


def _paras(n: PlatformNotice, link: str | None = None) -> str:
    out = []
    for p in n.paragraphs:
        if n.attachment and link and p == f"附件：{n.attachment[0]}":
            p_html = f'附件：<a href="{esc(link)}" target="_blank">{esc(n.attachment[0])}</a>'
        else:
            p_html = esc(p)
        out.append(f'<p style="text-indent:2em">{p_html}</p>')
    return "\n".join(out)


class Routes(dict):
    def add(self, url: str, body: bytes, ctype: str = HTML, **kw) -> None:
        self[route_key(url)] = Resource(body, ctype, **kw)


# -- Hanweb jpaas ------------------------------------------------------------------------------

JPAAS_COLUMN = "/xw/tzgg/ZH/index.html"
JPAAS_API = "/api-gateway/jpaas-publish-server/front/page/build/unit"
JPAAS_UNIT = {
    "parseType": "bulidstatic", "webId": "5a0c3e7b9d1f4a2c8e6b0d2f4a6c8e1b",
    "tplSetId": "7b9d1f3a5c7e4b2d9f1a3c5e7b9d2f4a", "pageType": "column",
    "tagId": "当前栏目list", "editType": "null", "pageId": "2e4a6c8e0b2d4f6a8c0e2b4d6f8a0c2e",
}  # fmt: skip


def jpaas_url(n: PlatformNotice) -> str:
    return f"/xw/tzgg/ZH/art/{n.published_at[:4]}/art_{n.hexid}.html"


def jpaas_unit_url(page_no: int) -> str:
    paging = json.dumps({"pageNo": page_no, "pageSize": PER_PAGE}, separators=(",", ":"))
    return f"{JPAAS_API}?{urlencode({**JPAAS_UNIT, 'paramJson': paging})}"


def jpaas(issuer: Issuer, routes: Routes) -> None:
    query = json.dumps(JPAAS_UNIT, ensure_ascii=False).replace('"', "'")
    script = (
        f'<script id="{JPAAS_UNIT["pageId"]}" src="/cms_files/default/script/AuthorizedRead/'
        f'unitbuild.js" webId="{JPAAS_UNIT["webId"]}" parseType="bulidstatic" '
        f'url="{JPAAS_API}" queryData="{esc(query)}"></script>'
    )
    routes.add(
        JPAAS_COLUMN,
        _page(
            f"通知公告_{issuer.name}", f'<h2>通知公告</h2>\n<div class="list-box">{script}</div>'
        ),
    )
    pages = issuer.pages()
    for no in range(1, len(pages) + 2):
        rows = "".join(
            f'<li><a href="{jpaas_url(n)}" target="_blank" title="{esc(n.title)}">'
            f"{esc(n.title)}</a><span>{n.published_at[:10]}</span></li>"
            for n in (pages[no - 1] if no <= len(pages) else [])
        )
        html_rows = (
            f'<div id="当前栏目list"><ul class="list-news">{rows}</ul></div>' if rows else ""
        )
        answer = json.dumps({"success": True, "data": {"html": html_rows}}, ensure_ascii=False)
        routes.add(jpaas_unit_url(no), answer.encode(), "application/json;charset=UTF-8")
    for n in issuer.notices:
        link = None
        if n.attachment:
            name, data = n.attachment
            month = f"{n.published_at[:4]}{int(n.published_at[5:7])}"  # 20243: not zero-padded
            link = f"/cms_files/filemanager/1/attach/{month}/{n.hexid}.pdf?fileName={quote(name)}"
            routes.add(link, data, PDF)
        metas = {"ArticleTitle": n.title, "PubDate": n.published_at, "ContentSource": n.department}
        page = (
            f'<h1 class="detail-title">{esc(n.title)}</h1>\n'
            f'<div class="detail-info">发布时间：{n.published_at} 来源：{esc(n.department)}</div>\n'
            f'<div id="zoom">\n{_paras(n, link)}\n</div>'
        )
        routes.add(jpaas_url(n), _page(n.title, page, metas))


# -- Hanweb JCMS -------------------------------------------------------------------------------

JCMS_COLUMN = "/col/col100/index.html"
JCMS_PROXY = "/module/web/jpage/dataproxy.jsp"
JCMS_FORM = {
    "col": "1", "appid": "1", "webid": "7", "path": "/", "columnid": "100",
    "sourceContentType": "1", "unitid": "4001", "webname": "", "permissiontype": "0",
}  # fmt: skip


def jcms_url(n: PlatformNotice) -> str:
    y, m, d = (int(x) for x in n.published_at[:10].split("-"))
    return f"/art/{y}/{m}/{d}/art_100_{1000 + n.n}.html"


def _record(n: PlatformNotice) -> str:
    return (
        f'<record><![CDATA[\n<div class="rate-list-text"><a class="text-title" '
        f'href="{jcms_url(n)}" target="_blank" title="{esc(n.title)}"><p>{esc(n.title)}</p></a>'
        f'<span class="text-time">{n.published_at[:10]}</span></div>\n]]></record>'
    )


def jcms(issuer: Issuer, routes: Routes) -> None:
    listed = issuer.listed()
    form = {**JCMS_FORM, "webname": issuer.name}
    first = listed[:PER_PAGE]
    ajax = ",".join(f"{k}:'{v}'" for k, v in form.items())
    nextgroup = f"{JCMS_PROXY}?{urlencode({'page': 1, **{k: v for k, v in form.items()}})}"
    store = (
        f'<div id="{form["unitid"]}"><script type="text/xml"><datastore>\n'
        f'<nextgroup><![CDATA[<a href="{esc(nextgroup)}"></a>]]></nextgroup>\n<recordset>\n'
        + "\n".join(_record(n) for n in first)
        + "\n</recordset>\n</datastore></script></div>\n"
        f'<script language="javascript" src="/module/web/jpage/jpage.js"></script>\n'
        f"<script>$(document).ready(function(){{ $('#{form['unitid']}').jpage({{ dataStore: null, "
        f"totalRecord: {len(listed)}, perPage: {PER_PAGE}, proxyUrl: '{JCMS_PROXY}', "
        f"groupSize: 1, ajaxParam: {{{ajax}}} }}); }});</script>"
    )
    routes.add(
        JCMS_COLUMN, _page(f"{issuer.name} 通知公告", f'<div class="list-main">{store}</div>')
    )
    total_pages = -(-len(listed) // PER_PAGE)
    for start in range(1, len(listed) + 1 + PER_PAGE, PER_PAGE):
        rows = listed[start - 1 : start - 1 + PER_PAGE]
        xml = (
            f"<datastore>\n<totalrecord>{len(listed)}</totalrecord>\n"
            f"<totalpage>{total_pages}</totalpage>\n<recordset>\n"
            + "\n".join(_record(n) for n in rows)
            + "\n</recordset>\n</datastore>\n"
        )
        query = urlencode(
            {"startrecord": start, "endrecord": start + PER_PAGE - 1, "perpage": PER_PAGE}
        )
        routes.add(f"{JCMS_PROXY}?{query}", xml.encode(), "text/xml;charset=utf-8")
    for n in issuer.notices:
        link = None
        if n.attachment:
            name, data = n.attachment
            link = (
                f"/module/download/downfile.jsp?classid=0&showname={quote(name)}"
                f"&filename={n.hexid}.pdf"
            )
            routes.add(link, data, PDF)
        metas = {
            "ArticleTitle": n.title,
            "PubDate": n.published_at,
            "ContentSource": n.department,
        }
        page = (
            f'<div class="mian-title">{esc(n.title)}</div>\n'
            f'<div class="mian-info">发布日期：{n.published_at[:10]} 信息来源：{esc(n.department)}</div>\n'
            f'<div class="mian-text"><div id="zoom"><!--ZJEG_RSS.content.begin-->\n{_paras(n, link)}\n'
            f"<!--ZJEG_RSS.content.end--></div></div>"
        )
        routes.add(jcms_url(n), _page(f"{issuer.name} 通知公告 {n.title}", page, metas))


# -- body in an iframe -------------------------------------------------------------------------

IFRAME_LIST = "/portal/notice/more.action"


def iframe_url(n: PlatformNotice) -> str:
    return f"/portal/article/detail.action?categoryno=5&contentno={8000 + n.n}"


def frame_url(n: PlatformNotice) -> str:
    return f"/portal/html/content/{8000 + n.n}.html"


def iframe(issuer: Issuer, routes: Routes) -> None:
    pages = issuer.pages()
    for no, items in enumerate(pages, 1):
        rows = "\n".join(
            f'<div class="gg-sousuozw-1"><h3><a href="../article/detail.action?categoryno=5&amp;'
            f'contentno={8000 + n.n}" target="_blank" title="{esc(n.title)}">{esc(n.title)}</a>'
            f"</h3><p><span>发布时间：{n.published_at[:10]}</span><span>来源：{issuer.short}"
            f"</span></p></div>"
            for n in items
        )
        nxt = (
            f'<a href="more.action?pageNo={no + 1}">下一页</a>'
            if no < len(pages)
            else "<span>下一页</span>"
        )
        pager = (
            f'<div class="gg-page">共 {len(issuer.notices)} 条记录 {no}/{len(pages)} 页 {nxt}</div>'
        )
        page = _page(f"通知公告-{issuer.name}", f'<div class="gg-sousuozw">{rows}</div>\n{pager}')
        routes.add(f"{IFRAME_LIST}?pageNo={no}", page)
        if no == 1:
            routes.add(IFRAME_LIST, page)
    for n in issuer.notices:
        link = None
        if n.attachment:
            stamp = n.published_at[:10].replace("-", "")
            routes.add(f"/portal/upload/file/{stamp}/{8000 + n.n}.pdf", n.attachment[1], PDF)
            link = f"../../upload/file/{stamp}/{8000 + n.n}.pdf"  # relative to the frame
        routes.add(frame_url(n), _page("", _paras(n, link)))
        page = (
            f'<h2 class="gg-xiangqing-title">{esc(n.title)}</h2>\n'
            f'<table class="gg-xiangqing-info"><tr><td class="gggengxin time-font">发布时间：'
            f'{n.published_at}</td><td class="time-font">来源：{esc(n.department)}</td></tr></table>\n'
            f'<div class="gg-xiangqing-content"><iframe id="contentHtmlIframe" '
            f'src="{frame_url(n)}" width="100%" frameborder="0"></iframe></div>'
        )
        routes.add(iframe_url(n), _page(f"{n.title}-{issuer.name}", page))


# -- JSON news API -----------------------------------------------------------------------------


def jsonapi_url(offset: int) -> str:
    return f"/web/news/pagenews/129/{offset}/{PER_PAGE}/skx"


def jsonapi(issuer: Issuer, routes: Routes) -> None:
    pages = issuer.pages()
    for no in range(len(pages) + 1):
        items = []
        for n in pages[no] if no < len(pages) else []:
            link = None
            if n.attachment:
                link = f"/upload/file/{n.published_at[:4]}/{9000 + n.n}.pdf"
                routes.add(link, n.attachment[1], PDF)
            items.append(
                {"id": 9000 + n.n, "title": n.title, "timeymd": n.published_at[:10],
                 "content": _paras(n, link)}
            )  # fmt: skip
        body = json.dumps({"data": items}, ensure_ascii=False).encode()
        routes.add(jsonapi_url(no * PER_PAGE), body, "application/json;charset=UTF-8")


RENDER: dict[str, Callable[[Issuer, Routes], None]] = {
    "jpaas": jpaas, "jcms": jcms, "iframe": iframe, "jsonapi": jsonapi,
}  # fmt: skip


def routes(issuer: Issuer) -> dict:
    out = Routes()
    RENDER[issuer.family](issuer, out)
    return dict(out)


# -- layout changes ----------------------------------------------------------------------------

BROKEN = {
    "jpaas": "the column page without its bulidstatic unit script",
    "jcms": "the column page without <record> blocks",
    "iframe": "every body iframe showing an empty document",
    "jsonapi": "the news API answering without its data array",
}


def break_layout(issuer: Issuer, table: dict) -> None:
    """Redesign `issuer`'s pages in `table` (a routes dict) so its family's marker is gone."""
    if issuer.family == "jpaas":
        table[route_key(JPAAS_COLUMN)] = Resource(_page("通知公告", "<ul class='list'></ul>"), HTML)
    elif issuer.family == "jcms":
        table[route_key(JCMS_COLUMN)] = Resource(_page("通知公告", "<div id='4001'></div>"), HTML)
    elif issuer.family == "iframe":
        for n in issuer.notices:
            table[route_key(frame_url(n))] = Resource(b"<html><body>\n</body></html>", HTML)
    elif issuer.family == "jsonapi":
        table[route_key(jsonapi_url(0))] = Resource(b'{"rows": []}', "application/json")
