"""Every platform family end to end over real HTTP on 127.0.0.1: the sample site's fictional
provinces (sample/site/platforms.py) crawled by their sources (sample/site/sources.toml), each a
`policytrack crawl` child process. First crawl → the exact notices, years, series and requests;
an immediate re-crawl → at most 3 requests, nothing new; a redesigned site → the run summary
names the source and the missing piece.

Expected notices come from the issuers' spec (titles, years, series keys written there), expected
requests from the site's URL scheme (sample/site/platform_pages.py), never from a crawl.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

import pytest

from policytrack.pipeline.text.extract import extract
from policytrack.sample.site import platform_pages as pp
from policytrack.sample.site.mirror import MirrorSite
from policytrack.sample.site.platforms import Issuer, platform_sources, sample_issuers
from tests.support.procs import run_crawl

pytestmark = [pytest.mark.xdist_group("crawl_families"), pytest.mark.slow]  # end to end

ISSUERS = {i.family: i for i in sample_issuers()}


def notice_pages(issuer: Issuer) -> list[str]:
    """Every path a first crawl must request besides robots.txt (wanted notices only)."""
    wanted = [n for n in issuer.notices if n.series]
    attached = [n for n in wanted if n.attachment]
    family = issuer.family
    if family == "jpaas":
        month = lambda n: f"{n.published_at[:4]}{int(n.published_at[5:7])}"  # noqa: E731
        return [pp.JPAAS_COLUMN, pp.jpaas_unit_url(1), pp.jpaas_unit_url(2)] + [
            pp.jpaas_url(n) for n in wanted
        ] + [
            f"/cms_files/filemanager/1/attach/{month(n)}/{n.hexid}.pdf?fileName="
            + quote(n.attachment[0])
            for n in attached
        ]  # fmt: skip
    if family == "jcms":
        return [
            pp.JCMS_COLUMN, f"{pp.JCMS_PROXY}?startrecord=6&endrecord=10&perpage=5",
            *[pp.jcms_url(n) for n in wanted],
            *[f"/module/download/downfile.jsp?classid=0&showname={quote(n.attachment[0])}"
              f"&filename={n.hexid}.pdf" for n in attached],
        ]  # fmt: skip
    if family == "iframe":
        stamp = lambda n: n.published_at[:10].replace("-", "")  # noqa: E731
        return [
            pp.IFRAME_LIST, f"{pp.IFRAME_LIST}?pageNo=2",
            *[pp.iframe_url(n) for n in wanted], *[pp.frame_url(n) for n in wanted],
            *[f"/portal/upload/file/{stamp(n)}/{8000 + n.n}.pdf" for n in attached],
        ]  # fmt: skip
    return [
        pp.jsonapi_url(0), pp.jsonapi_url(5),
        *[f"/upload/file/{n.published_at[:4]}/{9000 + n.n}.pdf" for n in attached],
    ]  # fmt: skip


RECRAWL = {  # an unchanged source: the first list page (and for jpaas the column page before it)
    "jpaas": [pp.JPAAS_COLUMN, pp.jpaas_unit_url(1)],
    "jcms": [pp.JCMS_COLUMN],
    "iframe": [pp.IFRAME_LIST],
    "jsonapi": [pp.jsonapi_url(0)],
}


def manifest(data: Path, source: str) -> list[dict]:
    path = data / "raw" / source / "manifest.jsonl"
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]


def crawllog(data: Path, source: str) -> list[dict]:
    path = data / "raw" / source / "crawllog.jsonl"
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]


class Crawl:
    def __init__(self, site: MirrorSite, sources: Path, data: Path, name: str):
        n = len(site.requests)
        self.run = run_crawl(data, None, name, "--sources", str(sources))
        self.requests = site.requests_since(n)
        self.paths = [r.path for r in self.requests if r.path != "/robots.txt"]


@pytest.fixture(scope="module")
def site():
    mirror = MirrorSite([], platforms=sample_issuers())
    with mirror.serve():
        yield mirror


@pytest.fixture(scope="module")
def sources(site, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("families") / "sources.toml"
    path.write_text(platform_sources(site.base_url), encoding="utf-8")
    return path


@pytest.fixture(scope="module", params=sorted(ISSUERS))
def crawled(request, site, sources, tmp_path_factory):
    """(issuer, data dir, first crawl, second crawl, manifest after the first)."""
    issuer = ISSUERS[request.param]
    data = tmp_path_factory.mktemp(issuer.family) / "data"
    first = Crawl(site, sources, data, issuer.source)
    after_first = (data / "raw" / issuer.source / "manifest.jsonl").read_bytes()
    second = Crawl(site, sources, data, issuer.source)
    return issuer, data, first, second, after_first


def test_first_crawl_collects_exactly_both_series(crawled):
    issuer, data, first, _, _ = crawled
    assert first.run.returncode == 0, first.run.stderr
    records = manifest(data, issuer.source)
    assert sorted((r["series"], r["year"]) for r in records) == sorted(issuer.wanted())
    assert len(records) == 4
    # Two series, kept apart by their keys: 工作要点 and 科普工作要点.
    assert {r["series"] for r in records} == {
        f"{issuer.short}工作要点",
        f"{issuer.province}科普工作要点",
    }
    by_title = {n.title: n for n in issuer.notices}
    for rec in records:
        notice = by_title[rec["title"]]
        assert rec["year"] == notice.year and rec["issuer"] == issuer.name
        # The JSON API gives only the date; the other platforms' pages give date and time.
        when = notice.published_at[:10] if issuer.family == "jsonapi" else notice.published_at
        assert rec["published_at"] == when
        assert rec["version"] == 1 and rec["content_type"] == "text/html"
        page = extract((data / "raw" / issuer.source / rec["path"]).read_bytes(), rec["path"]).text
        items = [p for p in notice.paragraphs if p[:2] in ("1.", "2.", "3.")]
        assert items and all(item in page for item in items)
        if issuer.family == "iframe":  # the stored page is the framed document
            assert rec["url"].endswith(pp.iframe_url(notice))
            assert rec["final_url"].endswith(pp.frame_url(notice))
        names = [a["name"] for a in rec["attachments"]]
        assert names == ([notice.attachment[0]] if notice.attachment else [])
        assert rec["attachment_errors"] == []


def test_first_crawl_requests_exactly_the_wanted_pages(crawled):
    issuer, _, first, _, _ = crawled
    assert sorted(first.paths) == sorted(notice_pages(issuer))
    assert first.paths.count(notice_pages(issuer)[0]) == 1
    if issuer.family == "jcms":  # the data proxy is POSTed the column's form
        [post] = [r for r in first.requests if r.method == "POST"]
        assert "columnid=100" in post.body and "unitid=4001" in post.body


def test_unchanged_source_costs_at_most_three_requests(crawled):
    issuer, data, _, second, after_first = crawled
    assert second.run.returncode == 0, second.run.stderr
    assert second.paths == RECRAWL[issuer.family]
    assert len(second.paths) <= 3
    assert (data / "raw" / issuer.source / "manifest.jsonl").read_bytes() == after_first
    assert crawllog(data, issuer.source)[-1]["new_records"] == 0


# -- layout changes -----------------------------------------------------------------------------

LAYOUT = {
    "jpaas": (
        "list", 'script[parseType="bulidstatic"], script[parseType="buildstatic"]',
        "{base}/xw/tzgg/ZH/index.html: no bulidstatic unit script on the column page "
        '(script[parseType="bulidstatic"], script[parseType="buildstatic"])',
    ),
    "jcms": (
        "list", "<record> blocks",
        "{base}/col/col100/index.html: no <record> blocks (jpage datastore) on the page",
    ),
    "jsonapi": (
        "list", "data",
        "{base}/web/news/pagenews/129/0/5/skx: the list API answer has no 'data' array",
    ),
}  # fmt: skip


@pytest.mark.parametrize("family", sorted(ISSUERS))
def test_a_redesigned_site_names_the_source_and_the_missing_piece(family, tmp_path):
    issuer = ISSUERS[family]
    mirror = MirrorSite([], platforms=[issuer])
    pp.break_layout(issuer, mirror.routes)
    data = tmp_path / "data"
    sources = tmp_path / "sources.toml"
    with mirror.serve() as base:
        sources.write_text(platform_sources(base), encoding="utf-8")
        run = run_crawl(data, None, issuer.source, "--sources", str(sources))
    assert run.returncode == 1
    log = crawllog(data, issuer.source)[-1]
    assert log["new_records"] == 0
    if family == "iframe":  # each wanted notice's framed document is empty
        wanted = [n for n in issuer.notices if n.series]
        expected = sorted(
            f"{base}{pp.iframe_url(n)}: the body iframe is empty (iframe#contentHtmlIframe)"
            for n in issuer.notices
            if n.series
        )
        assert sorted(run.failures) == expected
        misses = {(m["kind"], m["selector"]) for m in log["selector_misses"]}
        assert misses == {("detail", "iframe#contentHtmlIframe (empty)")}
        assert len(log["selector_misses"]) == len(wanted)
        line = f"  layout: {issuer.source}: iframe#contentHtmlIframe (empty) not found (detail) on"
        assert line in run.stderr
        return
    kind, piece, failure = LAYOUT[family]
    assert run.failures == [failure.format(base=base)]
    [miss] = log["selector_misses"]
    assert (miss["kind"], miss["selector"]) == (kind, piece)
    assert f"  layout: {issuer.source}: {piece} not found ({kind}) on {base}/" in run.stderr
    state = json.loads((data / "raw" / issuer.source / "crawlstate.json").read_text())
    assert set(state["walked"].values()) == {False}  # the next crawl walks the column again
