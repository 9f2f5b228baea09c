"""The spider registry and the family base class: a spider that needs code is a subclass
registered by decorator, and a family only says how its list and detail pages are read. Also no
import cycle in the crawler, not even through a lazy import."""

from __future__ import annotations

import ast
import dataclasses
import json
import subprocess
from pathlib import Path

import pytest
from scrapy.http import Request, TextResponse

from policytrack.crawler import pages
from policytrack.crawler.sources import load_sources
from policytrack.crawler.spiders import registry
from policytrack.crawler.spiders.base import NoticeSpider
from policytrack.crawler.spiders.generic import GenericSpider
from policytrack.pipeline.core.errors import ConfigError
from tests.support.procs import policytrack

CRAWLER = Path(__file__).resolve().parents[2] / "crawler"


@pytest.fixture
def scratch_registry(monkeypatch):
    """Spiders registered by a test stay in that test."""
    registry.names()  # the built-in spiders first
    monkeypatch.setattr(registry, "_SPIDERS", dict(registry._SPIDERS))


@pytest.fixture(scope="module")
def hbkx():
    return load_sources()["hbkx"]


FAMILIES = ["generic", "iframe", "jcms", "jpaas", "jsonapi"]


def test_generic_is_registered_under_its_scrapy_name():
    assert registry.lookup("generic") is GenericSpider
    assert GenericSpider.name == "generic"
    assert registry.names() == FAMILIES  # every platform family, found without a list


def test_unknown_spider_names_the_source_and_the_known_ones(hbkx):
    src = dataclasses.replace(hbkx, spider="drupal")
    with pytest.raises(ConfigError) as err:
        registry.spider_class(src)
    assert str(err.value) == (
        "source hbkx: unknown spider 'drupal' (known: generic, iframe, jcms, jpaas, jsonapi)"
    )


def test_a_family_checks_its_options(hbkx):
    with pytest.raises(ConfigError) as err:
        registry.spider_class(dataclasses.replace(hbkx, spider="jpaas", options={"unti": "x"}))
    assert str(err.value) == "source hbkx: options: unknown keys ['unti'] (known: unit)"
    with pytest.raises(ConfigError) as err:
        registry.spider_class(dataclasses.replace(hbkx, spider="iframe", options={"frame": 3}))
    assert str(err.value) == "source hbkx: options.frame: expected str"
    with pytest.raises(ConfigError) as err:
        registry.spider_class(dataclasses.replace(hbkx, options={"frame": "iframe"}))
    assert str(err.value) == "source hbkx: options: unknown keys ['frame'] (known: none)"


def test_a_registered_subclass_crawls_its_sources(scratch_registry, hbkx):
    @registry.register("jsonlist")
    class JsonListSpider(NoticeSpider):
        pass

    assert registry.lookup("jsonlist") is JsonListSpider
    assert JsonListSpider.name == "jsonlist"
    assert registry.names() == sorted([*FAMILIES, "jsonlist"])
    src = dataclasses.replace(hbkx, spider="jsonlist", settings={"DOWNLOAD_DELAY": 3})
    cls = registry.spider_class(src)
    assert issubclass(cls, JsonListSpider) and cls is not JsonListSpider
    assert cls.custom_settings == {"DOWNLOAD_DELAY": 3}
    assert cls.name == "jsonlist"


def test_one_name_one_class(scratch_registry):
    class Other(NoticeSpider):
        pass

    with pytest.raises(ValueError, match="'generic' is registered twice"):
        registry.register("generic")(Other)
    with pytest.raises(ValueError, match="expected an identifier"):
        registry.register("no such")


@pytest.mark.slow
def test_cli_says_which_spider_is_unknown(tmp_path):
    sources = tmp_path / "sources.toml"
    sources.write_text(
        "[sources.x]\nspider = 'drupal'\nlist_urls = ['http://127.0.0.1:9/list']\n"
        "[sources.x.list]\nitem = 'li'\n[sources.x.detail]\nbody = 'div'\n",
        encoding="utf-8",
    )
    proc = subprocess.run(
        [*policytrack(), "crawl", "x", "--sources", str(sources), "--data", str(tmp_path / "d")],
        capture_output=True, text=True, cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        "error: source x: unknown spider 'drupal' (known: generic, iframe, jcms, jpaas, jsonapi)"
    )


# -- a family only reads pages -------------------------------------------------------------------


class JsonList(NoticeSpider):
    """A minimal JSON list family: {"data": [{title, url, date}], "pages": N}."""

    name = "jsonlist_example"

    def read_list(self, response) -> pages.ListPage:
        doc = json.loads(response.text)
        entries = [
            pages.Entry(response.urljoin(d["url"]), d["title"], d["date"]) for d in doc["data"]
        ]
        return pages.ListPage(response.url, entries, None, doc["pages"], "utf-8")

    @property
    def numbered_pages(self) -> bool:
        return True

    def next_list_url(self, response, page, page_no):
        return f"http://127.0.0.1:9/api/list/{page_no + 1}" if page_no < page.page_count else None


def list_response(url: str, page_no: int, data: list[dict], n_pages: int) -> TextResponse:
    request = Request(url, meta={"kind": "list", "page_no": page_no, "column": "api"})
    body = json.dumps({"data": data, "pages": n_pages}, ensure_ascii=False).encode()
    return TextResponse(url, body=body, encoding="utf-8", request=request)


def test_a_json_list_family_walks_with_the_shared_machinery(tmp_path, hbkx):
    src = dataclasses.replace(
        hbkx, list_urls=("http://127.0.0.1:9/api/list/1",), start_urls=(), column=(),
        allowed_domains=("127.0.0.1",),
    )  # fmt: skip
    spider = JsonList(source=src, data=tmp_path / "data")
    data = [
        {"title": "关于印发《示例市科协2024年工作要点》的通知", "url": "/art/1.html", "date": "2024-03-01"},
        {"title": "关于召开2024年全市科协系统工作会议的通知", "url": "/art/2.html", "date": "2024-02-01"},
    ]  # fmt: skip
    out = list(spider.walk_list(list_response("http://127.0.0.1:9/api/list/1", 1, data, 2)))
    assert [(r.meta["kind"], r.url) for r in out] == [
        ("detail", "http://127.0.0.1:9/art/1.html"),
        ("list", "http://127.0.0.1:9/api/list/2"),
    ]
    assert out[0].meta["entry"] == {
        "url": "http://127.0.0.1:9/art/1.html",
        "title": "关于印发《示例市科协2024年工作要点》的通知",
        "date": "2024-03-01",
    }
    assert spider.run.list_entries == 2 and spider.run.matched == 1
    assert "/art/2.html" in spider.state.seen
    # An empty numbered page past the end closes the column quietly.
    assert list(spider.walk_list(list_response("http://127.0.0.1:9/api/list/2", 2, [], 2))) == []
    assert spider._walk == {"api": "end"} and spider.run.problems == []


def test_a_family_without_readers_says_what_is_missing(tmp_path, hbkx):
    spider = NoticeSpider(source=hbkx, data=tmp_path / "data", name="bare")
    with pytest.raises(NotImplementedError, match="NoticeSpider: read_list"):
        spider.read_list(None)


# -- import rules --------------------------------------------------------------------------------


def crawler_imports() -> dict[str, set[str]]:
    """module → policytrack modules it imports (module level and inside functions)."""
    out = {}
    for path in CRAWLER.rglob("*.py"):
        rel = path.relative_to(CRAWLER).with_suffix("")
        parts = ["policytrack", "crawler", *rel.parts]
        if parts[-1] == "__init__":
            parts.pop()
        names = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                names.add(node.module)
                names.update(f"{node.module}.{a.name}" for a in node.names)
            elif isinstance(node, ast.Import):
                names.update(a.name for a in node.names)
        out[".".join(parts)] = {n for n in names if n.startswith("policytrack.")}
    return out


def test_no_import_cycle_in_the_crawler_even_through_lazy_imports():
    """Stricter than tests/test_architecture.py (which skips imports inside functions): the
    runner ↔ distributed cycle was one of those. The layer rules are checked there."""
    imports = crawler_imports()
    graph = {m: {n for n in names if n in imports and n != m} for m, names in imports.items()}
    cycles, state = [], {}

    def visit(m, path):
        state[m] = "open"
        for n in sorted(graph[m]):
            if state.get(n) == "open":
                cycles.append(path[path.index(n) :] + [n])
            elif n not in state:
                visit(n, [*path, n])
        state[m] = "done"

    for m in sorted(graph):
        if m not in state:
            visit(m, [m])
    assert cycles == []
