"""The sample site: a local site shaped like www.hbkx.org.cn (home, 新闻中心 > 通知公告 list
pages, detail pages, attachments), served over real HTTP on 127.0.0.1.

Used by the crawler tests, the benchmarks and the demo. What it publishes comes from
sample/site/content.py and the profiles of sample/site/profiles.py; sample/site/server.py serves
it and logs every request.

    site = MirrorSite.test_site()             # or .demo_site(), .bench_site(2000)
    with site.serve() as base_url:            # http://127.0.0.1:<free port>
        ...                                   # site.requests: every request the server saw

The demo site also serves one provincial issuer per platform family (sample/site/platforms.py,
rendered by platform_pages.py) beside the hbkx-shaped pages, under their own paths.

    python -m policytrack.sample.site --profile demo --port 0   # prints the base URL, serves
"""

from __future__ import annotations

import html
import time
from email.utils import formatdate
from pathlib import Path
from urllib.parse import urljoin

from policytrack.sample.site import platform_pages, profiles
from policytrack.sample.site.content import (
    COLUMNS,
    KXYW,
    OFFSITE,
    SAMPLE_DIR,
    SITE_NAME,
    TZGG,
    XWZX,
    Notice,
    hexid,
)
from policytrack.sample.site.platforms import Issuer, sample_issuers
from policytrack.sample.site.server import CONTROL, Resource, SiteServer, route_key


def _html_escape(text: str) -> str:
    return html.escape(text, quote=True)


def _http_date(published_at: str) -> str:
    t = time.mktime(time.strptime(published_at[:16], "%Y-%m-%d %H:%M"))
    return formatdate(t, usegmt=True)


class MirrorSite(SiteServer):
    """An hbkx-shaped site: home, 新闻中心 > 通知公告 list pages, detail pages, attachments."""

    def __init__(
        self,
        notices: list[Notice],
        *,
        per_page: int = 15,
        empty_last_page: bool = False,
        dropdown: bool = True,
        robots: str = f"User-agent: *\nDisallow: /admin/\nDisallow: {CONTROL}\n",
        platforms: list[Issuer] | None = None,
    ):
        super().__init__()
        self.notices = list(notices)
        self.platforms = list(platforms or [])
        self.per_page = per_page
        self.empty_last_page = empty_last_page
        self.dropdown = dropdown
        self.robots = robots
        self.rebuild()

    # -- profiles ----------------------------------------------------------------------------
    @classmethod
    def test_site(cls, sample_dir: Path = SAMPLE_DIR, fillers: int = 36, **kw) -> MirrorSite:
        """Sample notices + filler + every awkward case the crawler must survive."""
        kw.setdefault("empty_last_page", True)
        return cls(profiles.edge_case_notices(sample_dir, fillers), **kw)

    @classmethod
    def demo_site(cls, sample_dir: Path = SAMPLE_DIR, fillers: int = 36, **kw) -> MirrorSite:
        """The sample notices and filler, and the platform issuers (one per family)."""
        kw.setdefault("platforms", sample_issuers())
        return cls(profiles.demo_notices(sample_dir, fillers), **kw)

    @classmethod
    def bench_site(cls, n: int = 2000, per_page: int = 20, seed: int = 11) -> MirrorSite:
        """n work-point notices of n/10 departments over 10 years (every one is fetched)."""
        return cls(profiles.bench_notices(n, seed), per_page=per_page)

    # -- changes between crawls ----------------------------------------------------------------
    def republish(self, sample_file: str) -> Notice:
        """Post the corrected version of a sample notice at the same URL."""
        notice = next(n for n in self.notices if n.sample and n.sample.endswith(sample_file))
        if not notice.republished:
            raise ValueError(f"{sample_file}: no republished version in notices.toml")
        notice.paragraphs = notice.republished
        notice.published_at = notice.republished_at or notice.published_at
        self.rebuild()
        return notice

    def add(self, notice: Notice) -> None:
        self.notices.append(notice)
        self.rebuild()

    # -- rendering -----------------------------------------------------------------------------
    def listed(self) -> list[Notice]:
        return sorted(self.notices, key=lambda n: n.published_at, reverse=True)

    def list_url(self, column: str, page: int | None = None) -> str:
        return f"/news/list?columnid={column}" + (f"&page={page}" if page else "")

    def _chrome(self, title: str, content: str, charset: bool = True) -> str:
        meta = '<meta charset="utf-8">' if charset else ""
        sub = (
            f'<div class="subnav"><a href="{self.list_url(KXYW)}">科协要闻</a>'
            f'<a href="{self.list_url(TZGG)}">通知公告</a></div>'
            if self.dropdown
            else ""
        )
        return f"""<!DOCTYPE html>
<html><head>{meta}<title>{_html_escape(title)}_{SITE_NAME}</title></head>
<body>
<div class="top"><a href="#">学习强国</a> | <a href="#">中国科协</a></div>
<div class="nav"><ul>
<li><a href="/">首页</a></li>
<li><a href="{self.list_url(XWZX)}">新闻中心</a>{sub}</li>
<li><a href="{self.list_url(hexid("xhxs"))}">学会学术</a></li>
<li><a href="{self.list_url(hexid("kxpj"))}">科学普及</a></li>
</ul></div>
{content}
<div class="footer">
<p><a href="/">首页</a> | <a href="#">科协微信</a> | <a href="#">科协一家</a> | <a href="#">科普中国</a></p>
<p>copyright 2001-2024 Example Association for Science and Technology All Rights Reserved</p>
<p>{SITE_NAME} 版权所有 地址：示例市科技路1号 样例数据，仅供演示</p>
</div>
</body></html>
"""

    def _position(self, *crumbs: tuple[str, str]) -> str:
        links = " &gt; ".join(f'<a href="{u}">{_html_escape(t)}</a>' for t, u in crumbs)
        return f'<div class="position">所在位置: <a href="/">首页</a> &gt; {links}</div>'

    def _list_item(self, n: Notice) -> str:
        shown = n.list_title or (n.title if len(n.title) <= 24 else n.title[:24] + "...")
        attr = f' title="{_html_escape(n.title)}"' if n.title_attr else ""
        href = n.link or (f"/news/info?newsid={n.redirect_from}" if n.redirect_from else n.url)
        return (
            f'<li><a href="{_html_escape(href)}"{attr} target="_blank">{_html_escape(shown)}</a>'
            f"<span>{n.published_at[:10]}</span></li>"
        )

    def _list_page(self, column: str, items: list[Notice], page: int, pages: int) -> str:
        lis = "\n".join(self._list_item(n) for n in items)
        nxt = _html_escape(self.list_url(column, page + 1)) if page < pages else "javascript:;"
        pager = (
            f'<div class="page"><a href="{self.list_url(column, 1)}">首页</a>'
            + (f'<a href="{self.list_url(column, page - 1)}">上一页</a>' if page > 1 else "")
            + f"<span>{page}/{pages}</span>"
            + f'<a href="{nxt}">下一页</a><a href="{self.list_url(column, pages)}">尾页</a></div>'
        )
        side = (
            f'<div class="left"><a href="{self.list_url(KXYW)}">科协要闻</a>'
            f'<a href="{self.list_url(TZGG)}">通知公告</a></div>'
        )
        name = COLUMNS[column]
        content = (
            self._position(("新闻中心", self.list_url(XWZX)), (name, self.list_url(column)))
            + f'\n{side}\n<div class="right"><h2>{name}</h2>\n<ul class="min600">\n{lis}\n</ul>\n{pager}</div>'
        )
        return self._chrome(name, content)

    def _detail(self, n: Notice) -> bytes:
        paras = "\n".join(f"<p>{_html_escape(p)}</p>" for p in n.paragraphs)
        atts = "\n".join(
            f'<p>附件：<a href="{_html_escape(a.href)}">{_html_escape(a.name)}</a></p>'
            for a in n.attachments
        )
        content = (
            self._position(("新闻中心", self.list_url(XWZX)), ("通知公告", self.list_url(TZGG)))
            + f"""
<div class="detailed_W">
<div class="detailed_W_p1"><h3>{_html_escape(n.title)}</h3>
<p>{n.published_at}|文章来源:{_html_escape(n.department)}</p></div>
<div class="detailed_W_p2 txt">
{paras}
{atts}
</div>
</div>"""
        )
        gbk = n.encoding.lower() in ("gbk", "gb2312", "gb18030")
        page = self._chrome(n.title, content, charset=not gbk)
        return page.encode("gb18030" if gbk else n.encoding)

    def rebuild(self) -> None:
        routes: dict[tuple, Resource] = {}

        def page(
            url: str, text: str | bytes, ctype: str = "text/html; charset=utf-8", **kw
        ) -> None:
            body = text.encode("utf-8") if isinstance(text, str) else text
            routes[route_key(url)] = Resource(body, ctype, **kw)

        page("/robots.txt", self.robots, "text/plain; charset=utf-8")
        listed = self.listed()
        latest = "\n".join(self._list_item(n) for n in listed[:6])
        page(
            "/",
            self._chrome(
                "首页", f'<div class="index_news"><h2>通知公告</h2><ul>{latest}</ul></div>'
            ),
        )
        # 新闻中心 and 科协要闻: a few news items, with 通知公告 in the side bar.
        news = [n for n in listed if n.genre == "news"][: self.per_page]
        for col in (XWZX, KXYW):
            page(self.list_url(col), self._list_page(col, news, 1, 1))
        # 通知公告, paginated (+ an empty page after the last one on the test site).
        n_pages = max(1, -(-len(listed) // self.per_page))
        total = n_pages + (1 if self.empty_last_page else 0)
        for p in range(1, total + 1):
            items = listed[(p - 1) * self.per_page : p * self.per_page]
            text = self._list_page(TZGG, items, p, total)
            page(self.list_url(TZGG, p), text)
            if p == 1:
                page(self.list_url(TZGG), text)
        for n in listed:
            if n.link and n.link.startswith(OFFSITE):
                continue
            url = n.link or n.url
            lm = _http_date(n.published_at)
            if n.status != 200:
                page(url, self._chrome("404", "<h1>页面不存在</h1>"), status=n.status)
                continue
            if n.body_override is not None:
                page(url, n.body_override, "text/html", last_modified=lm)
            else:
                gbk = n.encoding.lower() in ("gbk", "gb2312", "gb18030")
                ctype = "text/html" if gbk else f"text/html; charset={n.encoding}"
                page(
                    url,
                    self._detail(n),
                    ctype,
                    last_modified=lm,
                    fail_first=n.fail_first,
                    delay=n.delay,
                )
            if n.redirect_from:
                routes[route_key(f"/news/info?newsid={n.redirect_from}")] = Resource(
                    status=302, redirect_to=url
                )
            for a in n.attachments:
                if a.href.startswith(OFFSITE):
                    continue
                if a.moved_to:
                    old = _resolve(url, a.href)
                    routes[route_key(old)] = Resource(status=302, redirect_to=a.moved_to)
                if a.body is None and not a.stream_size:
                    continue
                # An off-site target is served here too (the same server under another host
                # name), so a crawler that followed it would show up in the request log.
                target = _resolve(url, (a.moved_to or a.href).replace(OFFSITE, ""))
                headers = {}
                if a.disposition:
                    headers["Content-Disposition"] = f'attachment; filename="{a.disposition}"'
                routes[route_key(target)] = Resource(
                    a.body or b"",
                    a.content_type,
                    headers=headers,
                    stream_size=a.stream_size,
                    last_modified=lm,
                )
        for issuer in self.platforms:
            routes.update(platform_pages.routes(issuer))
        self.routes = routes


def _resolve(page_url: str, href: str) -> str:
    return urljoin("http://mirror" + page_url, href)
