"""Each platform family against saved pages of its sites (tests/fixtures/crawler/families/, no
server, milliseconds): the exact titles, dates, URLs, body text and attachments a family reads,
and the request it makes for the next page.

Expected values come from each folder's expected.json, written by a researcher from the authored
pages and checked independently with lxml (FACTS.md): none is output of this code.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
from scrapy.http import HtmlResponse, Request, TextResponse

from policytrack.crawler import pages
from policytrack.crawler.sources import load_sources
from policytrack.crawler.spiders import iframe, jcms, jpaas, registry
from policytrack.pipeline.text.normalize import series_key

FAMILIES = Path(__file__).parents[1] / "fixtures" / "crawler" / "families"
SOURCES = load_sources()
JSON = b"application/json;charset=UTF-8"


def expected(folder: str) -> dict:
    return json.loads((FAMILIES / folder / "expected.json").read_text(encoding="utf-8"))


def response(url: str, folder: str, file: str, meta=None, ctype=b"text/html; charset=utf-8"):
    cls = HtmlResponse if ctype.startswith(b"text/html") else TextResponse
    body = (FAMILIES / folder / file).read_bytes()
    headers = {"Content-Type": ctype}
    return cls(url, body=body, headers=headers, request=Request(url, meta=meta or {}))


def spider(name: str, tmp_path: Path, **list_changes):
    src = SOURCES[name]
    if list_changes:
        src = dataclasses.replace(src, list=dataclasses.replace(src.list, **list_changes))
    return registry.lookup(src.spider)(source=src, data=tmp_path / "data")


def entries(page: pages.ListPage) -> list[tuple[str, str | None, str]]:
    return [(e.title, e.date, e.url) for e in page.entries]


def listed(lst: dict) -> list[tuple[str, str | None, str]]:
    return [(i["title"], i["date"], i["absolute"]) for i in lst["items"]]


def read(detail: pages.DetailPage) -> tuple:
    return (
        detail.title,
        detail.published_at,
        detail.body_text,
        [(a.url, a.name) for a in detail.attachments],
    )


def wanted(d: dict) -> tuple:
    return (
        d["title"],
        d.get("datetime", d["date"]),
        d["body"],
        [(a["absolute"], a["name"]) for a in d["attachments"]],
    )


def check_filter(src, lists: list[dict]) -> None:
    """The title filter keeps exactly the wanted entries, and their two series stay apart."""
    for lst in lists:
        for item in lst["items"]:
            title = item.get("full_title", item["title"])
            assert src.title_matches(title) is item["wanted"], title
    series = {
        item["series"]: src.series_of(item.get("full_title", item["title"]))
        for lst in lists
        for item in lst["items"]
        if item["wanted"]
    }
    assert set(series) == {"工作要点", "科普工作要点"}
    assert series["工作要点"] != series["科普工作要点"]
    assert series["科普工作要点"].endswith("科普工作要点")
    assert not series["工作要点"].endswith("科普工作要点")


def generic_detail(src, d: dict, folder: str) -> pages.DetailPage:
    r = response(d["url"], folder, d["file"])
    return pages.parse_detail(
        src.detail, r.url, types=src.attachment_types, root=pages.page_root(r)
    )


# -- Hanweb jpaas: 中国科协 ----------------------------------------------------------------------


def test_jpaas_column_page_names_the_unit_api(tmp_path):
    ex = expected("cast_jpaas")
    s = spider(
        "cast", tmp_path, page_size=ex["column_page"]["unit"]["paging"]["page_size_used_here"]
    )
    col = ex["column_page"]
    r = response(col["url"], "cast_jpaas", col["file"])
    root, _ = pages.page_root(r)
    assert col["items_in_html"] == root.css("a[href*='/xw/tzgg/ZH/art/']").getall() == []
    first = jpaas.unit_url(r.url, root, s.option("unit"), s.page_size)
    assert first == ex["requests"]["api/unit_page1.json"]["full_url"]
    assert dict(parse_qsl(urlsplit(first).query)) == ex["requests"]["api/unit_page1.json"]["query"]


def test_jpaas_unit_pages(tmp_path):
    ex = expected("cast_jpaas")
    s = spider("cast", tmp_path, page_size=5)
    column = ex["column_page"]["url"]
    for lst in ex["lists"]:
        url = lst["request"]["full_url"]
        r = response(url, "cast_jpaas", lst["file"], {"base": column}, JSON)
        page = s.read_list(r)
        assert entries(page) == listed(lst)
        follow = s.next_list_url(r, page, lst["page"])
        if lst["page"] == 1:
            assert follow == ex["requests"]["api/unit_page2.json"]["full_url"]
        else:  # page 2 is short: the last one (page 3 would answer an empty data.html)
            assert follow is None
    check_filter(s.src, ex["lists"])


@pytest.mark.parametrize("n", [0, 1, 2])
def test_jpaas_detail_pages(tmp_path, n):
    ex = expected("cast_jpaas")
    d = ex["details"][n]
    got = generic_detail(SOURCES["cast"], d, "cast_jpaas")
    assert read(got) == wanted(d)
    assert got.department == {0: "中国科协办公厅", 1: "中国科协科普部", 2: "中国科协办公厅"}[n]


def test_jpaas_layout_alarms(tmp_path):
    s = spider("cast", tmp_path)
    bare = pages.decode(b"<html><body><ul class='list'></ul></body></html>", None, "u")[0]
    with pytest.raises(pages.LayoutMiss) as miss:
        jpaas.unit_url("https://www.cast.org.cn/xw/tzgg/ZH/index.html", bare, s.option("unit"), 20)
    assert miss.value.reason == (
        "no bulidstatic unit script on the column page "
        '(script[parseType="bulidstatic"], script[parseType="buildstatic"])'
    )
    with pytest.raises(pages.LayoutMiss) as miss:
        jpaas.unit_rows(b'{"success": true, "data": {}}', "u")
    assert (miss.value.reason, miss.value.selector) == (
        "the list API answer has no data.html",
        "data.html",
    )


# -- Hanweb JCMS: 浙江省科协 ----------------------------------------------------------------------


def test_jcms_column_page_and_data_proxy(tmp_path):
    ex = expected("zast_jcms")
    s = spider("zast", tmp_path)
    column, page1, page2 = ex["lists"]
    r = response(ex["requests"][column["file"]]["url"], "zast_jcms", column["file"])
    first = s.read_list(r)
    assert entries(first) == listed(column)
    unit = column["unit"]
    assert first.extra["form"] == ex["requests"][page1["file"]]["form"]
    assert (first.extra["per_page"], first.extra["total"]) == (unit["perPage"], unit["totalRecord"])
    follow = s.next_list_url(r, first, 1)
    req = page2["request"]
    assert follow == f"{req['url']}?startrecord=6&endrecord=10&perpage=5"
    assert dict(parse_qsl(urlsplit(follow).query)) == req["query"]
    proxied = s.next_list_request(r, first, follow, 2, "c")
    assert proxied.method == "POST"
    assert dict(parse_qsl(proxied.body.decode())) == req["form"]
    # The proxy's XML answers (page 1 repeats the embedded rows).
    for lst in (page1, page2):
        url = f"{lst['request']['url']}?" + "&".join(
            f"{k}={v}" for k, v in lst["request"]["query"].items()
        )
        meta = {
            "jcms": {k: first.extra[k] for k in ("proxy", "form", "per_page", "total", "group")}
        }
        xml = response(url, "zast_jcms", lst["file"], meta, b"text/xml;charset=utf-8")
        page = s.read_list(xml)
        assert entries(page) == listed(lst)
        assert page.extra["total"] == lst["totalrecord"]
    assert s.next_list_url(xml, page, 2) is None  # records 6-8 of 8: the last
    check_filter(s.src, ex["lists"])


@pytest.mark.parametrize("n", [0, 1, 2])
def test_jcms_detail_pages(n):
    d = expected("zast_jcms")["details"][n]
    got = generic_detail(SOURCES["zast"], d, "zast_jcms")
    assert read(got) == wanted(d)


def test_jcms_layout_alarm():
    with pytest.raises(pages.LayoutMiss) as miss:
        jcms.records("<html><body><ul><li>改版后的列表</li></ul></body></html>", "u")
    assert (miss.value.reason, miss.value.selector) == (
        "no <record> blocks (jpage datastore) on the page",
        "<record> blocks",
    )
    assert jcms.records("<datastore><recordset></recordset></datastore>", "u") == []


# -- body in an iframe: 湖南省科协 ----------------------------------------------------------------


def test_iframe_list_pages(tmp_path):
    ex = expected("hnast_iframe")
    s = spider("hnast", tmp_path)
    for lst in ex["lists"]:
        page = s.read_list(response(lst["request"]["url"], "hnast_iframe", lst["file"]))
        assert entries(page) == listed(lst)
        nxt = lst["next"] and f"http://www.hnast.org.cn/portal/notice/{lst['next']}"
        assert page.next_url == nxt
    check_filter(s.src, ex["lists"])


@pytest.mark.parametrize("n", [0, 1, 2])
def test_iframe_detail_pages(tmp_path, n):
    s = spider("hnast", tmp_path)
    d = expected("hnast_iframe")["details"][n]
    r = response(d["url"], "hnast_iframe", d["file"])
    root, _ = pages.page_root(r)
    assert root.css("iframe ~ p, .gg-xiangqing-content p") == []  # no text beside the frame
    src = iframe.frame_src(root, s.option("frame"), r.url)
    assert src == d["iframe"]["src"]
    framed = (FAMILIES / "hnast_iframe" / d["iframe"]["file"]).read_bytes()
    got, _ = iframe.framed_body(
        s.src.detail, src, framed, "text/html", s.src.attachment_types, 20, s.option("frame")
    )
    head = pages.heading(root, s.src.detail)
    got.title, got.published_at = head.title, head.published_at
    assert read(got) == wanted(d)  # attachments resolve against the frame's URL
    assert head.department == "湖南省科协"


def test_iframe_layout_alarms(tmp_path):
    s = spider("hnast", tmp_path)
    root, _ = pages.decode("<html><body><h2>标题</h2></body></html>".encode(), None, "u")
    with pytest.raises(pages.LayoutMiss) as miss:
        iframe.frame_src(root, s.option("frame"), "http://www.hnast.org.cn/x")
    assert miss.value.reason == "no body iframe on the page (iframe#contentHtmlIframe)"
    with pytest.raises(pages.LayoutMiss) as miss:
        iframe.framed_body(
            s.src.detail, "http://www.hnast.org.cn/f.html", b"<html><body> </body></html>",
            "text/html", ("pdf",), 20, s.option("frame"),
        )  # fmt: skip
    assert (miss.value.reason, miss.value.selector) == (
        "the body iframe is empty (iframe#contentHtmlIframe)",
        "iframe#contentHtmlIframe (empty)",
    )


# -- JSON API: 吉林省科协 -------------------------------------------------------------------------


def test_json_api_pages_carry_the_text(tmp_path):
    ex = expected("jlkx_json")
    s = spider("jlkx", tmp_path, page_size=5, page_template="/web/news/pagenews/129/{offset}/5/skx")
    details = {d["url"]: d for d in ex["details"]}
    nexts = [e["request"]["url"] for e in ex["lists"][1:]] + [None]
    read_back = 0
    for lst, nxt in zip(ex["lists"], nexts, strict=True):
        r = response(lst["request"]["url"], "jlkx_json", lst["file"], ctype=JSON)
        page = s.read_list(r)
        assert entries(page) == listed(lst)
        # Page 2 is short (3 of 5): the last; page 3 (offset 10) would be empty.
        follow = s.next_list_url(r, page, lst["page"])
        assert follow == (nxt if lst["page"] == 1 else None)
        for e in page.entries:
            if e.url in details:
                got = s.read_inline(r, e)
                assert read(got) == wanted(details[e.url])
                stored = got.stored.decode("utf-8")
                assert e.content in stored and f"<title>{e.title}</title>" in stored
                read_back += 1
    assert read_back == len(details) == 3
    check_filter(s.src, ex["lists"])


def test_json_api_layout_alarm(tmp_path):
    s = spider("jlkx", tmp_path)
    url = "http://achievements.jlskx.org.cn/web/news/pagenews/129/0/15/skx"
    r = TextResponse(url, body=b'{"rows": []}', request=Request(url))
    with pytest.raises(pages.LayoutMiss) as miss:
        s.read_list(r)
    assert miss.value.reason == "the list API answer has no 'data' array"


# -- generic HTML: 江苏 (table lists), 广东 (ASP.NET) ---------------------------------------------


@pytest.mark.parametrize(("folder", "name"), [("jskx_table", "jskx"), ("gdsta_aspnet", "gdsta")])
def test_generic_profiles_read_table_and_aspnet_lists(tmp_path, folder, name):
    ex = expected(folder)
    s = spider(name, tmp_path)
    for lst in ex["lists"]:
        page = s.read_list(response(lst["request"]["url"], folder, lst["file"]))
        assert entries(page) == listed(lst)
        host = urlsplit(lst["request"]["url"])
        nxt = lst["next"] and f"{host.scheme}://{host.netloc}{lst['next']}"
        assert page.next_url == nxt
    check_filter(s.src, ex["lists"])
    for d in ex["details"]:
        got = generic_detail(s.src, d, folder)
        assert read(got) == wanted(d)
        for url in d.get("not_attachments", []):  # a 相关下载 sidebar is not the notice's
            assert not [a for a in got.attachments if a.url.endswith(url)]


def test_a_cut_list_title_is_opened_and_the_page_title_decides(tmp_path):
    """广东's list shows 《2019年广东省科协科普工作... without a title attribute."""
    ex = expected("gdsta_aspnet")
    [cut] = [i for lst in ex["lists"] for i in lst["items"] if i.get("truncated")]
    src = SOURCES["gdsta"]
    assert not src.title_matches(cut["title"]) and src.title_maybe(cut["title"])
    assert src.title_matches(cut["full_title"])
    assert series_key(src.series_of(cut["full_title"])) == "广东省科协科普工作要点"
