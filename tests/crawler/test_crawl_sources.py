"""Source profiles against saved pages shaped like the live sites, the title filter, the config
file, and a crawl of a static TRS-style tree (template pagination) over real HTTP."""

from __future__ import annotations

import functools
import json
import shutil
import subprocess
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from policytrack.crawler import pages
from policytrack.crawler.sources import load_sources, select
from policytrack.pipeline.core.errors import ConfigError
from policytrack.pipeline.text.extract import extract
from policytrack.sample.site.attachments import build_pdf
from tests.support.procs import policytrack, run_crawl

FIXTURES = Path(__file__).parents[1] / "fixtures" / "crawler"
HBKX = "https://www.hbkx.org.cn"
BUILTIN = ["hbkx", "cast", "zast", "hnast", "jskx", "gdsta", "jlkx"]
TZGG = f"{HBKX}/news/list?columnid=0f9e8d7c6b5a49382716a5b4c3d2e1f0"


@pytest.fixture(scope="module")
def builtin():
    return load_sources()


def fixture(*parts: str) -> bytes:
    return FIXTURES.joinpath(*parts).read_bytes()


# -- hbkx ----------------------------------------------------------------------------------------


def test_hbkx_home_leads_to_the_notices_column(builtin):
    root, _ = pages.decode(fixture("hbkx", "home.html"), "text/html", HBKX + "/")
    assert pages.find_link(root, "通知公告", HBKX + "/") == TZGG
    assert pages.find_link(root, "新闻中心", HBKX + "/") == (
        f"{HBKX}/news/list?columnid=5d3b4a9c0f7e4e2a8b1c6d7e8f901234"
    )
    assert builtin["hbkx"].column == ("新闻中心", "通知公告")


def test_hbkx_list_page(builtin):
    src = builtin["hbkx"]
    page = pages.parse_list(
        src.list, TZGG, fixture("hbkx", "list.html"), "text/html; charset=utf-8"
    )
    got = [(e.url.rsplit("=", 1)[1][:8], e.title, e.date) for e in page.entries]
    assert got == [
        ("aa11bb22", "关于召开全省科协系统工作会议的通知", "2021-03-20"),
        ("bb22cc33", "关于印发《省科协2021年工作要点》的通知", "2021-03-15"),
        ("cc33dd44", "关于印发《全省科普2021年工作要点》的...", "2021-03-10"),
        ("dd44ee55", "省科协2020年工作总结", "2021-01-12"),
        ("ee55ff66", "关于报送2020年工作总结和2021年工作要点的通知", "2020-12-02"),
        ("ff660011", "中共湖北省科协党组2021年工作要点", "2021-02-26"),
    ]
    assert page.entries[2].url == f"{HBKX}/news/info?newsid=cc33dd44ee55ff6600112233445566aa"
    assert page.next_url == TZGG + "&page=2"
    wanted = [e.title for e in page.entries if src.title_matches(e.title)]
    assert wanted == [
        "关于印发《省科协2021年工作要点》的通知",
        "关于印发《全省科普2021年工作要点》的...",
        "中共湖北省科协党组2021年工作要点",
    ]
    assert src.title_maybe(wanted[1])  # cut short: the detail page's title decides
    assert [src.series_of(t) for t in wanted[::2]] == [
        "省科协工作要点",
        "中共湖北省科协党组工作要点",
    ]


def test_hbkx_detail_page(builtin):
    src = builtin["hbkx"]
    url = f"{HBKX}/news/info?newsid=bb22cc33dd44ee55ff66001122334455"
    d = pages.parse_detail(
        src.detail, url, fixture("hbkx", "detail.html"), "text/html", src.attachment_types
    )
    assert (d.title, d.published_at, d.department, d.encoding) == (
        "关于印发《省科协2021年工作要点》的通知", "2021-03-15 09:32", "省科协办公室", "utf-8",
    )  # fmt: skip
    # The .xls link is not an allowed attachment type; javascript: links are ignored.
    assert [(a.name, a.ext) for a in d.attachments] == [("1.样例附件.docx", "docx")]
    assert (
        d.attachments[0].url
        == f"{HBKX}/upload/file/20210315/%E6%A0%B7%E4%BE%8B%E9%99%84%E4%BB%B6.docx"
    )


def test_attachments_in_a_separate_block_beside_a_body_with_links(builtin):
    """A plain link in the body must not hide the 附件 block (div.detailed_W_fj)."""
    src = builtin["hbkx"]
    assert src.detail.attachments == ("div.detailed_W_p2 a", "div.detailed_W_fj a")
    url = f"{HBKX}/news/info?newsid=dd44ee55ff6600112233445566778899"
    d = pages.parse_detail(
        src.detail, url, fixture("hbkx", "detail_fj.html"), "text/html", src.attachment_types
    )
    assert d.title == "关于印发《省科协2022年工作要点》的通知"
    # Every selector's links, deduplicated by URL (the .pdf is linked twice).
    assert [(a.url, a.name, a.ext) for a in d.attachments] == [
        (f"{HBKX}/upload/file/20220315/gzyd2022.pdf", "1.省科协2022年工作要点.pdf", "pdf"),
        (f"{HBKX}/upload/file/20220315/fgb2022.docx", "2.重点任务分工表.docx", "docx"),
    ]


def test_hbkx_detail_in_undeclared_gbk(builtin):
    src = builtin["hbkx"]
    raw = fixture("hbkx", "detail_gbk.html")
    assert b"charset" not in raw
    d = pages.parse_detail(src.detail, f"{HBKX}/news/info?newsid=cc", raw, "text/html")
    assert (d.title, d.published_at, d.department, d.encoding) == (
        "关于印发《全省科普2021年工作要点》的通知", "2021-03-10 16:05", "省科协科普部", "gb18030",
    )  # fmt: skip


def test_traditional_character_mirror_in_big5(builtin):
    src = builtin["hbkx"]
    page = (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=big5"></head><body>'
        '<div class="detailed_W_p1"><h3>關於印發《省科協2019年工作要點》的通知</h3>'
        "<p>2019-03-18 14:41|文章來源:省科協辦公室</p></div>"
        '<div class="detailed_W_p2 txt"><p>一、堅持守正創新</p></div></body></html>'
    ).encode("big5")
    d = pages.parse_detail(src.detail, f"{HBKX}/news/info?newsid=tw", page)
    assert (d.title, d.department, d.encoding) == (
        "關於印發《省科協2019年工作要點》的通知", "省科協辦公室", "big5",
    )  # fmt: skip
    assert src.title_matches(d.title)
    assert src.series_of(d.title) == "省科协工作要点"  # the same series as the simplified site


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty response body"),
        (b"   \n", "empty response body"),
        (b"<html><body><div>hello</div></body></html>", "no notice body on the page"),
        (
            b'<div class="detailed_W_p2 txt"> </div>',
            "the notice body is empty and has no attachments",
        ),
    ],
)
def test_bad_detail_pages_name_url_and_reason(builtin, data, reason):
    url = f"{HBKX}/news/info?newsid=00"
    with pytest.raises(Exception) as err:
        pages.parse_detail(builtin["hbkx"].detail, url, data)
    assert str(err.value).startswith(f"{url}: {reason}")


# -- title filter, names -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "wanted"),
    [
        ("关于印发《省科协2019年工作要点》的通知", True),
        ("省科协2019年工作要点", True),
        ("湖北省科协2020年度工作要点", True),
        ("省科协２０２１年工作要点", True),  # full-width digits
        ("關於印發《省科協2019年工作要點》的通知", True),  # traditional characters
        ("中共湖北省科协党组工作要点", True),  # a 党组's, no year
        ("省科协年度工作要点", True),
        ("省科协2019年工作总结", False),
        ("关于报送2020年工作总结和2021年工作要点的通知", False),
        ("关于对《2021年工作要点（征求意见稿）》征求意见的通知", False),
        ("关于召开2019年全省科协工作会议的通知", False),
        ("工作要点", False),
    ],
)
def test_title_filter(builtin, title, wanted):
    assert builtin["hbkx"].title_matches(title) is wanted


def test_series_keys(builtin):
    src = builtin["hbkx"]
    assert src.series_of("关于印发《省科协2019年工作要点》的通知") == "省科协工作要点"
    assert src.series_of("全省科普2019年工作要点") == "全省科普工作要点"
    assert src.series_of("關於印發《省科協2019年工作要點》的通知") == "省科协工作要点"


@pytest.mark.parametrize(
    ("raw", "ext", "name"),
    [
        ("../../x.docx", "docx", "x.docx"),
        ("..\\..\\windows\\evil.pdf", "pdf", "evil.pdf"),
        ("/etc/passwd", "doc", "passwd.doc"),
        ("附件1：市科协2019年工作要点.docx", "docx", "市科协2019年工作要点.docx"),
        ("附件1.docx", "docx", "附件1.docx"),  # not "docx.docx": nothing but 附件1 names it
        ("附件2.pdf", "pdf", "附件2.pdf"),
        ("a\x00b\x1fc.pdf", "pdf", "abc.pdf"),
        ("..", "docx", "attachment.docx"),
        ("%2e%2e%2f%2e%2e%2fy.pdf", "pdf", "y.pdf"),
    ],
)
def test_attachment_names_never_carry_a_path(raw, ext, name):
    assert pages.safe_name(raw, ext) == name


# -- config ---------------------------------------------------------------------------------------


def test_user_sources_file_adds_a_site_and_overrides_defaults(tmp_path):
    user = tmp_path / "mine.toml"
    user.write_text(
        """
[defaults]
title_exclude = ["报送"]

[sources.demo]
issuer = "示例市科学技术协会"
list_urls = ["http://127.0.0.1:1/news/list?columnid=x"]
series_aliases = { "示例市科协工作要点" = "市科协工作要点" }
settings = { DOWNLOAD_DELAY = 3 }

[sources.demo.list]
item = "ul.min600 li"

[sources.demo.detail]
body = "div.detailed_W_p2.txt"
""",
        encoding="utf-8",
    )
    chosen = select([], user)
    assert [s.name for s in chosen] == ["demo"]  # no names: the user's own sources
    demo = chosen[0]
    assert demo.allowed_domains == ("127.0.0.1",)
    assert demo.series_of("示例市科协2020年工作要点") == "市科协工作要点"
    assert demo.settings == {"DOWNLOAD_DELAY": 3}
    assert demo.title_matches("关于征集2020年工作要点的通知")  # 征集 no longer excluded
    assert list(load_sources(user)) == [*BUILTIN, "demo"]
    assert [s.name for s in select(["hbkx", "demo"], user)] == ["hbkx", "demo"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[sources.x]\nlist_urls=['http://a/']\nfoo=1\n[sources.x.list]\nitem='li'\n[sources.x.detail]\nbody='div'\n",
         "[sources.x]: unknown keys ['foo']"),
        ("[sources.x]\nlist_urls=['http://a/']\n[sources.x.list]\nitem='li'\n[sources.x.detail]\n",
         "[sources.x].detail.body: required"),
        ("[sources.x]\nlist_urls=['http://a/']\ntitle_include=['(']\n[sources.x.list]\nitem='li'\n[sources.x.detail]\nbody='d'\n",
         "[sources.x].title_include: bad regex '('"),
        ("[sources.x]\n[sources.x.list]\nitem='li'\n[sources.x.detail]\nbody='d'\n",
         "[sources.x]: needs start_urls (with column) or list_urls"),
        ("[sources.'../up']\nlist_urls=['http://a/']\n", "[sources.../up]"),
        ("[sources.x\n", "invalid TOML"),
    ],
)  # fmt: skip
def test_config_errors_name_file_and_key(tmp_path, text, message):
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_sources(path)
    assert str(err.value).startswith(str(path))
    assert message in str(err.value)


@pytest.mark.slow
def test_cli_reports_config_errors_in_one_line(tmp_path):
    proc = subprocess.run(
        [*policytrack(), "crawl", "nosuch", "--data", str(tmp_path / "data")],
        capture_output=True, text=True, cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 2
    assert proc.stderr.strip() == f"error: unknown source(s) nosuch; known: {', '.join(BUILTIN)}"
    assert not (tmp_path / "data").exists()


@pytest.mark.slow
def test_list_sources_shows_each_source_with_its_family(tmp_path):
    proc = subprocess.run(
        [*policytrack(), "crawl", "--list-sources"], capture_output=True, text=True, cwd=tmp_path
    )
    assert proc.returncode == 0, proc.stderr
    got = [tuple(x.strip() for x in line.split()[:2]) for line in proc.stdout.splitlines()]
    assert got == [
        ("hbkx", "generic"), ("cast", "jpaas"), ("zast", "jcms"), ("hnast", "iframe"),
        ("jskx", "generic"), ("gdsta", "generic"), ("jlkx", "jsonapi"),
    ]  # fmt: skip
    assert proc.stdout.splitlines()[1] == (
        "cast   jpaas    中国科学技术协会  https://www.cast.org.cn/xw/tzgg/ZH/index.html"
    )
    assert proc.stdout.splitlines()[0].endswith("https://www.hbkx.org.cn/ (新闻中心 > 通知公告)")


def test_base_url_swaps_scheme_and_host(builtin):
    src = builtin["cast"].rebased("http://127.0.0.1:8099")
    assert src.list_urls == ("http://127.0.0.1:8099/xw/tzgg/ZH/index.html",)
    assert src.allowed_domains == ("127.0.0.1",)
    # Absolute links to the real site seen on the mirror point back at the mirror.
    assert (
        src.local_url("https://www.cast.org.cn/a/b.html?x=1")
        == "http://127.0.0.1:8099/a/b.html?x=1"
    )
    assert src.local_url("https://other.example/a") == "https://other.example/a"
    with pytest.raises(ConfigError):
        builtin["cast"].rebased("ftp://x")


# -- template pagination: a static TRS-style tree over real HTTP -------------------------------

# The TRS profile once guessed for 中国科协 (which runs Hanweb jpaas: `cast`); it still shows paging
# by template (index_1.html …) with the page count read from createPageHTML(n, …).
TRS = """
[sources.trs]
issuer = "中国科学技术协会"
list_urls = ["https://www.cast.org.cn/xw/tzgg/index.html"]

[sources.trs.list]
item = ["div.list-box ul li", "ul.list li"]
page_template = "index_{index}.html"
page_count = 'createPageHTML\\((\\d+)\\s*,'

[sources.trs.detail]
title = ["div.article h1", "h1", "title"]
meta = ["div.article div.info", "div.info"]
body = ["div.article div.TRS_Editor", "div.TRS_Editor", "div.article-content"]
attachments = ["div.article a", "div.fujian a"]
"""


@pytest.fixture
def trs_site(tmp_path):
    root = tmp_path / "site"
    shutil.copytree(FIXTURES / "trs", root)
    pdf_text = ["中国科协2023年工作要点", "一、样例章节", "1、样例条目。这里是占位文字。"]
    (root / "xw/tzgg/202302/P020230220385123456789.pdf").write_bytes(build_pdf(pdf_text))
    seen: list[str] = []

    class Handler(SimpleHTTPRequestHandler):
        def log_message(self, *args):
            seen.append(self.path)

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(root)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", seen
    server.shutdown()
    server.server_close()


@pytest.mark.slow
def test_template_pagination_over_a_static_tree(trs_site, tmp_path):
    base, seen = trs_site
    data = tmp_path / "data"
    sources = tmp_path / "trs.toml"
    sources.write_text(TRS, encoding="utf-8")
    run = run_crawl(data, base, "trs", "--sources", str(sources))
    assert run.returncode == 0, run.stderr
    records = [json.loads(x) for x in (data / "raw/trs/manifest.jsonl").read_text().splitlines()]
    got = {(r["series"], r["year"], r["published_at"], r["department"]) for r in records}
    assert got == {
        ("中国科协工作要点", 2024, "2024-03-08 10:30", "中国科协办公厅"),
        ("中国科协工作要点", 2023, "2023-02-20", "中国科协办公厅"),
    }
    [r2023] = [r for r in records if r["year"] == 2023]
    [att] = r2023["attachments"]
    assert att["name"] == "中国科协2023年工作要点.pdf" and att["content_type"] == "application/pdf"
    text = extract((data / "raw/trs" / att["path"]).read_bytes(), att["path"]).text
    assert "1、样例条目" in text
    # page_count from createPageHTML(2, ...) stops the walk after index_1.html.
    assert [p for p in seen if "/tzgg/index" in p] == [
        "/xw/tzgg/index.html",
        "/xw/tzgg/index_1.html",
    ]
    again = run_crawl(data, base, "trs", "--sources", str(sources))
    assert again.returncode == 0
    assert len((data / "raw/trs/manifest.jsonl").read_text().splitlines()) == 2
