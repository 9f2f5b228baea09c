"""A local mirror of a site shaped like www.hbkx.org.cn, served over real HTTP on 127.0.0.1.

Used by the crawler tests, the benchmark and the demo. The work-point notices come from
sample/notices.toml (+ the text files it names); filler notices (meetings, news, 工作总结) are
generated. Attachments (.docx via python-docx, .pdf via PyMuPDF's built-in CJK font) are built in
memory when the site is built, so no binary lives in the repository.

    site = MirrorSite.test_site()             # or .demo_site(), .bench_site(2000)
    with site.serve() as base_url:            # http://127.0.0.1:<free port>
        ...                                   # site.requests: every request the server saw

    python -m crawler.mirror --profile demo --port 0     # prints the base URL, serves until killed
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import html
import io
import json
import random
import signal
import sys
import threading
import time
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

REPO = Path(__file__).resolve().parents[2]
SAMPLE_DIR = REPO / "sample"
SITE_NAME = "示例市科学技术协会"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
OFFSITE = "@@OFFSITE@@"  # replaced at serve time by http://localhost:<port> (another host name)
CONTROL = "/__mirror__/"  # test-control endpoints; disallowed in robots.txt


def hexid(*parts) -> str:
    return hashlib.md5("|".join(map(str, parts)).encode()).hexdigest()


COLUMNS = {  # column id → name; 通知公告 sits under 新闻中心
    hexid("xwzx"): "新闻中心",
    hexid("kxyw"): "科协要闻",
    hexid("tzgg"): "通知公告",
    hexid("xhxs"): "学会学术",
    hexid("kxpj"): "科学普及",
}
XWZX, KXYW, TZGG = hexid("xwzx"), hexid("kxyw"), hexid("tzgg")


# --------------------------------------------------------------------------------------------
# what the site publishes


@dataclass
class Attachment:
    name: str  # link text
    href: str  # as written in the page: relative, absolute, or an off-site placeholder
    body: bytes | None = None  # None: not served here (off-site, or a dead link)
    content_type: str = "application/octet-stream"
    disposition: str | None = None  # Content-Disposition file name (may be hostile)
    stream_size: int = 0  # stream this many bytes instead of `body` (a huge file)
    moved_to: str | None = None  # `href` answers 302 → here (may be off-site), which serves `body`


@dataclass
class Notice:
    newsid: str
    title: str
    published_at: str  # YYYY-MM-DD HH:MM
    department: str
    paragraphs: list[str]
    genre: str = "notice"  # work_points | report | notice
    encoding: str = "utf-8"  # "gbk": GBK bytes, no charset anywhere
    attachments: list[Attachment] = field(default_factory=list)
    link: str | None = None  # list link when not /news/info?newsid=<newsid>
    list_title: str | None = None  # what the list shows (default: truncated title + title attr)
    title_attr: bool = True
    status: int = 200
    body_override: bytes | None = None  # garbage / empty pages
    fail_first: int = 0  # answer 500 this many times first
    delay: float = 0.0  # the page answers after this many seconds
    redirect_from: str | None = None  # old newsid that 302-redirects here
    sample: str | None = None  # sample file it came from
    republished: list[str] | None = None  # paragraphs of the corrected re-post
    republished_at: str | None = None
    expect: str = "skip"  # for tests: collect | skip | fail | note

    @property
    def url(self) -> str:
        return f"/news/info?newsid={self.newsid}"


@dataclass
class RequestLog:
    method: str
    path: str  # path?query
    host: str
    status: int
    user_agent: str
    conditional: bool
    at: float


# --------------------------------------------------------------------------------------------
# documents


def build_docx(paragraphs: list[str], table: list[list[str]] | None = None) -> bytes:
    import docx

    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    if table:
        t = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, cell in enumerate(row):
                t.cell(r, c).text = cell
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def build_pdf(paragraphs: list[str]) -> bytes:
    """An A4 PDF with CJK text (PyMuPDF's built-in china-s font), wrapped like a typeset notice."""
    import pymupdf

    size, margin, per_line = 12, 72, 36
    doc = pymupdf.open()
    page, y = doc.new_page(), margin
    for para in paragraphs:
        lines = [para[i : i + per_line] for i in range(0, len(para), per_line)] or [""]
        for line in lines:
            if y > 842 - margin:
                page, y = doc.new_page(), margin
            if line:
                page.insert_text((margin, y), line, fontname="china-s", fontsize=size)
            y += size * 1.6
        y += size * 0.6
    data = doc.tobytes()
    doc.close()
    return data


def _html_escape(text: str) -> str:
    return html.escape(text, quote=True)


# --------------------------------------------------------------------------------------------
# sample notices and filler


def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in text.replace("\r\n", "\n").split("\n") if p.strip()]


def load_sample(sample_dir: Path = SAMPLE_DIR) -> list[Notice]:
    """The notices listed in sample/notices.toml, as the site publishes them."""
    index = sample_dir / "notices.toml"
    with open(index, "rb") as fh:
        spec = tomllib.load(fh)
    out = []
    for n in spec.get("notice", []):
        paras = _paragraphs((sample_dir / n["file"]).read_text(encoding="utf-8"))
        notice = Notice(
            newsid=hexid("sample", n["file"]),
            title=n["page_title"],
            published_at=n["published_at"],
            department=n.get("department", "市科协办公室"),
            paragraphs=paras,
            genre=n.get("genre", "notice"),
            encoding=n.get("encoding", "utf-8"),
            sample=n["file"],
            expect="collect" if n.get("genre") == "work_points" else "skip",
        )
        if n.get("republished"):
            notice.republished = _paragraphs(
                (sample_dir / n["republished"]).read_text(encoding="utf-8")
            )
            notice.republished_at = n.get("republished_at")
        delivery = n.get("delivery", "html")
        if delivery in ("docx", "pdf"):
            name = n.get("attachment_name") or f"{n['title']}.{delivery}"
            body = build_docx(paras) if delivery == "docx" else build_pdf(paras)
            ctype = DOCX_TYPE if delivery == "docx" else "application/pdf"
            notice.attachments.append(
                Attachment(
                    name, f"/upload/files/{hexid(n['file'], delivery)}.{delivery}", body, ctype
                )
            )
            notice.paragraphs = [
                "各区（县）科协，各市级学会（协会、研究会），机关各部门、各直属单位：",
                f"现将《{n['title']}》印发给你们，请结合实际认真贯彻落实。详见附件。",
                SITE_NAME,
                n.get("issued_on", n["published_at"][:10]),
            ]
        out.append(notice)
    return out


_DISTRICTS = ["东湖区", "西山区", "南江区", "北塘区", "青峰县", "白河县", "临川区", "桃源县"]
_FILLER = [
    ("notice", "关于召开{y}年全市科协系统工作会议的通知"),
    ("notice", "关于举办第{n}届示例市青少年科技创新大赛的通知"),
    ("notice", "关于开展{y}年“全国科技工作者日”系列活动的通知"),
    ("notice", "关于公布{y}年度示例市优秀科技社团名单的通知"),
    ("news", "市科协党组召开{y}年理论学习中心组（扩大）学习会"),
    ("report", "市科协机关{y}年工作总结"),
    ("notice", "关于报送{y}年工作总结和{y1}年工作要点的通知"),
    ("notice", "关于征集{y}年度科普项目的通知"),
    ("news", "市科协赴{d}调研基层科协工作"),
    ("notice", "关于举办{y}年全国科普日示例市主场活动的通知"),
    ("notice", "关于做好{y}年度学会年检工作的通知"),
    ("news", "{d}科协召开第{n}次代表大会"),
]
_SENTENCES = [
    "会议传达学习了中国科协和省科协有关会议精神。",
    "各单位要高度重视，精心组织，确保各项工作落到实处。",
    "请各区（县）科协于规定时间前将有关材料报送市科协办公室。",
    "活动期间将组织院士专家报告会、科技成果展示和科普讲座。",
    "与会人员围绕深化科协改革、服务科技工作者等议题进行了交流。",
    "联系人：市科协办公室，电话：0000-00000000。",
    "大赛设科技创新成果竞赛、科技辅导员创新成果竞赛等项目。",
    "调研组实地察看了基层科协组织建设和科普阵地运行情况。",
]


def filler_notices(n: int, seed: int = 7, years: range = range(2017, 2025)) -> list[Notice]:
    """Notices that are not work points: meetings, news, a 工作总结, a request to submit one."""
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        genre, template = _FILLER[i % len(_FILLER)]
        y = years[(i * 5 + i // len(_FILLER)) % len(years)]
        title = template.format(y=y, y1=y + 1, n=10 + i, d=rnd.choice(_DISTRICTS))
        when = f"{y}-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d} {rnd.randint(8, 17):02d}:{rnd.randint(0, 59):02d}"
        paras = [title] + [" ".join(rnd.sample(_SENTENCES, 3)) for _ in range(rnd.randint(2, 5))]
        out.append(
            Notice(
                hexid("filler", seed, i),
                title,
                when,
                rnd.choice(["市科协办公室", "市科协学会部", "市科协科普部"]),
                paras,
                genre,
            )
        )
    return out


def bad_input_notices() -> list[Notice]:
    """The awkward cases a crawler meets in the wild (see docs/crawler.md, tests/test_crawl.py)."""
    items = "一、总体要求\n1、加强党的建设。落实全面从严治党主体责任。\n2、加强作风建设。持续改进工作作风。"
    return [
        Notice(
            hexid("bad", "404"), "关于印发《市科协机关2017年党建工作要点》的通知", "2017-03-02 10:00",
            "市科协机关党委", [], "work_points", status=404, expect="fail",
        ),
        Notice(
            hexid("bad", "garbage"), "关于印发《市科协学会部2021年工作要点》的通知", "2021-03-05 09:00",
            "市科协学会部", [], "work_points", expect="fail",
            body_override=bytes(random.Random(1).randrange(256) for _ in range(3000)) + b"<<<>>><div",
        ),
        Notice(
            hexid("bad", "empty"), "关于印发《市科协组织人事部2021年工作要点》的通知", "2021-03-06 09:00",
            "市科协组织人事部", [], "work_points", body_override=b"", expect="fail",
        ),
        Notice(
            hexid("bad", "noyear"), "关于印发《市科协党组工作要点》的通知", "2021-02-20 15:00",
            "市科协党组", ["市科协党组工作要点", *items.split("\n")], "work_points", expect="collect",
        ),
        Notice(
            hexid("bad", "offsite"), "关于印发《兄弟市科协2023年工作要点》的通知", "2023-03-03 09:00",
            "兄弟市科协", ["（转载）"], "work_points", expect="note",
            link=f"{OFFSITE}/news/info?newsid={hexid('bad', 'offsite')}",
        ),
        Notice(
            hexid("bad", "robots"), "关于印发《市科协办公室2023年内部工作要点》的通知", "2023-02-01 09:00",
            "市科协办公室", ["内部"], "work_points", expect="note",
            link=f"/admin/info?newsid={hexid('bad', 'robots')}",
        ),
    ]  # fmt: skip


def _decorate_test_site(notices: list[Notice]) -> None:
    """Attach the per-notice edge cases of the test site to the sample notices."""
    by_year = {(n.sample or ""): n for n in notices}
    get = lambda stem: next((n for k, n in by_year.items() if k.endswith(stem)), None)  # noqa: E731
    if a2023 := get("a-2023.txt"):
        a2023.fail_first = 2  # 500, 500, then the page
    if a2024 := get("a-2024.txt"):
        a2024.redirect_from = hexid("old", a2024.newsid)  # the list links an old URL that redirects
        a2024.attachments.append(
            Attachment("2024年重点任务分工表.docx", f"/upload/files/{hexid('corrupt')}.docx",
                       b"PK\x03\x04" + b"\x00corrupt" * 64, DOCX_TYPE)
        )  # fmt: skip
        a2024.attachments.append(  # an old address that redirects to a file no longer there
            Attachment("2024年工作要点解读.pdf", f"/upload/old/{hexid('moved-gone')}.pdf",
                       moved_to=f"/upload/files/{hexid('moved-gone')}.pdf")
        )  # fmt: skip
    if a2020 := get("a-2020.txt"):
        [pdf] = a2020.attachments  # the page links an old address that redirects to the file
        pdf.moved_to, pdf.href = pdf.href, f"/upload/old/{hexid('moved', a2020.newsid)}.pdf"
    if a2022 := get("a-2022.txt"):
        a2022.attachments.append(
            Attachment("2022年工作要点（旧链接）.docx", f"/upload/old/{hexid('moved-off')}.docx",
                       build_docx(["不应下载"]), DOCX_TYPE,
                       moved_to=f"{OFFSITE}/upload/files/{hexid('moved-off')}.docx")
        )  # fmt: skip
        a2022.attachments.append(
            Attachment("2022年工作要点图解.pdf", f"/upload/files/{hexid('huge')}.pdf",
                       None, "application/pdf", stream_size=20 * 1024 * 1024)
        )  # fmt: skip
        a2022.attachments.append(
            Attachment("兄弟单位参考材料.docx", f"{OFFSITE}/upload/offsite.docx")
        )
    if b2023 := get("b-2023.txt"):
        table = [["序号", "重点任务", "牵头部门"], ["1", "全国科普日主场活动", "科普部"]]
        b2023.attachments.append(
            Attachment("../../x.docx", "../../x.docx",
                       build_docx(["重点任务分工"], table), DOCX_TYPE, disposition="../../../x.docx")
        )  # fmt: skip
    if b2024 := get("b-2024.txt"):
        b2024.title_attr = False  # the list shows only a truncated title: must open the page


# --------------------------------------------------------------------------------------------
# the site


@dataclass
class Resource:
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    last_modified: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    fail_first: int = 0
    redirect_to: str | None = None
    stream_size: int = 0
    delay: float = 0.0  # seconds before answering (a slow page)


def _key(path: str, query: str = "") -> tuple[str, frozenset]:
    return path, frozenset(parse_qsl(query, keep_blank_values=True))


def _route_key(url: str) -> tuple[str, frozenset]:
    u = urlsplit(url)
    return _key(u.path or "/", u.query)


def _http_date(published_at: str) -> str:
    t = time.mktime(time.strptime(published_at[:16], "%Y-%m-%d %H:%M"))
    return formatdate(t, usegmt=True)


class MirrorSite:
    """An hbkx-shaped site: home, 新闻中心 > 通知公告 list pages, detail pages, attachments."""

    def __init__(
        self,
        notices: list[Notice],
        *,
        per_page: int = 15,
        empty_last_page: bool = False,
        dropdown: bool = True,
        robots: str = f"User-agent: *\nDisallow: /admin/\nDisallow: {CONTROL}\n",
    ):
        self.notices = list(notices)
        self.per_page = per_page
        self.empty_last_page = empty_last_page
        self.dropdown = dropdown
        self.robots = robots
        self.requests: list[RequestLog] = []
        self.max_in_flight = 0
        self._in_flight = 0
        self._served: dict[tuple, int] = {}
        self._lock = threading.Lock()
        self._routes: dict[tuple, Resource] = {}
        self.base_url: str | None = None
        self._server: ThreadingHTTPServer | None = None
        self._rebuild()

    # -- profiles ----------------------------------------------------------------------------
    @classmethod
    def test_site(cls, sample_dir: Path = SAMPLE_DIR, fillers: int = 36, **kw) -> MirrorSite:
        """Sample notices + filler + every awkward case the crawler must survive."""
        notices = load_sample(sample_dir)
        _decorate_test_site(notices)
        notices += filler_notices(fillers) + bad_input_notices()
        kw.setdefault("empty_last_page", True)
        return cls(notices, **kw)

    @classmethod
    def demo_site(cls, sample_dir: Path = SAMPLE_DIR, fillers: int = 36, **kw) -> MirrorSite:
        return cls(load_sample(sample_dir) + filler_notices(fillers), **kw)

    @classmethod
    def bench_site(cls, n: int = 2000, per_page: int = 20, seed: int = 11) -> MirrorSite:
        """n work-point notices of n/10 departments over 10 years (every one is fetched)."""
        rnd = random.Random(seed)
        sample = _paragraphs((SAMPLE_DIR / "notices" / "a-2019.txt").read_text(encoding="utf-8"))
        notices = []
        for i in range(n):
            dept, year = f"示例市第{i // 10 + 1}学会", 2015 + i % 10
            title = f"关于印发《{dept}{year}年工作要点》的通知"
            paras = [p.replace("2019", str(year)) for p in rnd.sample(sample, min(len(sample), 20))]
            when = f"{year}-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d} 09:{i % 60:02d}"
            notices.append(
                Notice(hexid("bench", i), title, when, dept, paras, "work_points", expect="collect")
            )
        return cls(notices, per_page=per_page)

    # -- changes between crawls ----------------------------------------------------------------
    def republish(self, sample_file: str) -> Notice:
        """Post the corrected version of a sample notice at the same URL."""
        notice = next(n for n in self.notices if n.sample and n.sample.endswith(sample_file))
        if not notice.republished:
            raise ValueError(f"{sample_file}: no republished version in notices.toml")
        notice.paragraphs = notice.republished
        notice.published_at = notice.republished_at or notice.published_at
        self._rebuild()
        return notice

    def add(self, notice: Notice) -> None:
        self.notices.append(notice)
        self._rebuild()

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

    def _rebuild(self) -> None:
        routes: dict[tuple, Resource] = {}

        def page(
            url: str, text: str | bytes, ctype: str = "text/html; charset=utf-8", **kw
        ) -> None:
            body = text.encode("utf-8") if isinstance(text, str) else text
            routes[_route_key(url)] = Resource(body, ctype, **kw)

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
                routes[_route_key(f"/news/info?newsid={n.redirect_from}")] = Resource(
                    status=302, redirect_to=url
                )
            for a in n.attachments:
                if a.href.startswith(OFFSITE):
                    continue
                if a.moved_to:
                    old = urlsplit(_resolve(url, a.href))
                    routes[_key(old.path, old.query)] = Resource(status=302, redirect_to=a.moved_to)
                if a.body is None and not a.stream_size:
                    continue
                # An off-site target is served here too (the same server under another host
                # name), so a crawler that followed it would show up in the request log.
                target = urlsplit(_resolve(url, (a.moved_to or a.href).replace(OFFSITE, "")))
                headers = {}
                if a.disposition:
                    headers["Content-Disposition"] = f'attachment; filename="{a.disposition}"'
                routes[_key(target.path, target.query)] = Resource(
                    a.body or b"",
                    a.content_type,
                    headers=headers,
                    stream_size=a.stream_size,
                    last_modified=lm,
                )
        self._routes = routes

    # -- serving -------------------------------------------------------------------------------
    @contextlib.contextmanager
    def serve(self, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
        base = self.start(host, port)
        try:
            yield base
        finally:
            self.stop()

    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        site = self

        class Handler(_Handler):
            mirror = site

        self._server = _Server((host, port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.base_url = f"http://{host}:{self.port}"
        threading.Thread(
            target=self._server.serve_forever, args=(0.1,), name="mirror", daemon=True
        ).start()
        return self.base_url

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def requests_since(self, n: int = 0) -> list[RequestLog]:
        with self._lock:
            return list(self.requests[n:])

    def _respond(self, h: BaseHTTPRequestHandler) -> None:
        u = urlsplit(h.path)
        if u.path.startswith(CONTROL):
            since = int(dict(parse_qsl(u.query)).get("since", 0))
            body = json.dumps(
                {
                    "requests": [r.__dict__ for r in self.requests_since(since)],
                    "max_in_flight": self.max_in_flight,
                }
            ).encode()
            return _send(h, 200, body, "application/json")
        conditional = bool(h.headers.get("If-None-Match") or h.headers.get("If-Modified-Since"))
        entry = RequestLog(h.command, h.path, h.headers.get("Host", ""), 0,
                           h.headers.get("User-Agent", ""), conditional, time.time())  # fmt: skip
        key = _key(u.path or "/", u.query)
        with self._lock:
            self.requests.append(entry)  # on arrival: a crawler killed mid-request still shows
            self._served[key] = self._served.get(key, 0) + 1
            served = self._served[key]
        entry.status = self._answer(h, self._routes.get(key), served)

    def _answer(self, h: BaseHTTPRequestHandler, res: Resource | None, served: int) -> int:
        if res is None:
            _send(h, 404, "<html><body><h1>404 页面不存在</h1></body></html>".encode())
            return 404
        if res.delay:
            time.sleep(res.delay)
        if served <= res.fail_first:
            _send(h, 500, b"<html><body>Internal Server Error</body></html>")
            return 500
        if res.redirect_to:
            where = res.redirect_to.replace(OFFSITE, f"http://localhost:{self.port}")
            _send(h, 302, b"", headers={"Location": where})
            return 302
        if res.stream_size:
            _stream(h, res)
            return 200
        body = res.body.replace(OFFSITE.encode(), f"http://localhost:{self.port}".encode())
        etag = '"' + hashlib.sha1(body).hexdigest()[:20] + '"'
        headers = {"ETag": etag, **res.headers}
        if res.last_modified:
            headers["Last-Modified"] = res.last_modified
        if res.status == 200 and h.headers.get("If-None-Match") == etag:
            _send(h, 304, b"", headers=headers)
            return 304
        _send(h, res.status, body, res.content_type, headers)
        return res.status


def _resolve(page_url: str, href: str) -> str:
    from urllib.parse import urljoin

    return urljoin("http://mirror" + page_url, href)


def _send(
    h, status: int, body: bytes, ctype: str = "text/html; charset=utf-8", headers=None
) -> None:
    h.send_response(status)
    if status != 304:
        h.send_header("Content-Type", ctype)
        h.send_header("Content-Length", str(len(body)))
    for k, v in (headers or {}).items():
        h.send_header(k, v)
    h.end_headers()
    if h.command != "HEAD" and status != 304:
        h.wfile.write(body)


def _stream(h, res: Resource) -> None:
    """Chunked transfer with no Content-Length: only DOWNLOAD_MAXSIZE can stop it."""
    h.send_response(200)
    h.send_header("Content-Type", res.content_type)
    h.send_header("Transfer-Encoding", "chunked")
    h.end_headers()
    chunk = b"%PDF-1.4\n" + b"0" * (64 * 1024 - 9)
    sent = 0
    try:
        while sent < res.stream_size:
            h.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            sent += len(chunk)
        h.wfile.write(b"0\r\n\r\n")
    except (BrokenPipeError, ConnectionResetError):
        h.close_connection = True  # the client hung up: exactly what DOWNLOAD_MAXSIZE should do


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # Clients hanging up (DOWNLOAD_MAXSIZE cutting a stream) are expected; stay quiet.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes: with Nagle on, keep-alive clients stall ~40 ms.
    disable_nagle_algorithm = True
    mirror: MirrorSite

    def do_GET(self):  # noqa: N802
        site = self.mirror
        counted = not self.path.startswith(CONTROL)
        if counted:
            with site._lock:
                site._in_flight += 1
                site.max_in_flight = max(site.max_in_flight, site._in_flight)
        try:
            site._respond(self)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        finally:
            if counted:
                with site._lock:
                    site._in_flight -= 1

    do_HEAD = do_GET

    def log_message(self, format, *args):  # quiet: the request log is kept in memory
        return


def fetch_log(base_url: str, since: int = 0) -> dict:
    """The request log of a mirror running in another process."""
    from urllib.request import urlopen

    with urlopen(f"{base_url}{CONTROL}requests?since={since}", timeout=10) as resp:
        return json.loads(resp.read())


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="Serve a local hbkx-shaped mirror site.")
    ap.add_argument("--profile", choices=["test", "demo", "bench"], default="demo")
    ap.add_argument("--sample", type=Path, default=SAMPLE_DIR, help="folder with notices.toml")
    ap.add_argument("--notices", type=int, default=2000, help="bench profile: number of notices")
    ap.add_argument("--per-page", type=int, default=None)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    args = ap.parse_args(argv)
    if args.profile == "bench":
        site = MirrorSite.bench_site(args.notices, per_page=args.per_page or 20)
    elif args.profile == "test":
        site = MirrorSite.test_site(args.sample)
    else:
        site = MirrorSite.demo_site(args.sample)
    if args.per_page and args.profile != "bench":
        site.per_page = args.per_page
        site._rebuild()
    base = site.start(args.host, args.port)
    print(base, flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    site.stop()


if __name__ == "__main__":
    main(sys.argv[1:])
