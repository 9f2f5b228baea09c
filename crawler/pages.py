"""Page parsing for the HTML list/detail family: bytes in, typed records out (no I/O, no Scrapy).

Its records (ListPage, Entry, DetailPage, AttachmentLink) are what every family's read_list and
read_detail return (crawler/spiders/base.py).

Dates and departments are read with the project's vocabulary (pipeline/text/vocab.py). Pages are
decoded with pipeline.text.extract.decode_text, not Scrapy's guess, so an undeclared GBK page
(no charset header, no <meta>) is read correctly.
"""

from __future__ import annotations

import posixpath
import re
import unicodedata
from dataclasses import dataclass, field
from urllib.parse import unquote, urljoin, urlsplit

from parsel import Selector, SelectorList

from policytrack.crawler.sources import DetailProfile, ListProfile
from policytrack.pipeline.core.errors import InputError
from policytrack.pipeline.text.extract import decode_text
from policytrack.pipeline.text.vocab import DATE, DATETIME, DEPARTMENT, iso_date

_WS = re.compile(r"\s+")
_SKIP_HREF = re.compile(r"^\s*(javascript:|mailto:|tel:|#|$)", re.I)
_ATT_PREFIX = re.compile(r"^\s*附件\s*\d*\s*[:：.、]?\s*")
_TITLE_SEP = re.compile(r"\s*(?:[-_|｜－—]{1,2})\s*")


class LayoutMiss(InputError):
    """A page lacks the structure its profile expects (`selector` matched nothing): besides
    failing the page, the spider names the miss in the run report (selector_misses), so a site
    redesign shows in the run summary."""

    def __init__(self, where: str, reason: str, kind: str, selector: str):
        super().__init__(where, reason)
        self.kind = kind  # list | detail | column
        self.selector = selector


def charset_of(content_type: str | None) -> str | None:
    m = re.search(r"charset\s*=\s*[\"']?([A-Za-z0-9_.:-]+)", content_type or "", re.I)
    return m.group(1) if m else None


def clean(text: str | None) -> str:
    return _WS.sub(" ", unicodedata.normalize("NFC", text or "")).strip()


def decode(data: bytes, content_type: str | None, where: str) -> tuple[Selector, str]:
    if not data or not data.strip():
        raise InputError(where, "empty response body")
    try:
        text, encoding = decode_text(data, charset_of(content_type))
    except InputError as exc:
        raise InputError(where, exc.reason) from exc
    return Selector(text=text), encoding


def select(root: Selector | SelectorList, selectors: tuple[str, ...]) -> SelectorList:
    """The matches of the first selector (CSS, or XPath when it starts with / ( or ./) that matches."""
    for s in selectors:
        found = root.xpath(s) if s.startswith(("/", "(", "./")) else root.css(s)
        if found:
            return found
    return SelectorList([])


def text_of(sel) -> str:
    if isinstance(sel.root, str):
        return clean(sel.root)
    return clean(" ".join(sel.xpath(".//text()").getall()))


def href_of(sel) -> str | None:
    if isinstance(sel.root, str):  # an @href attribute or text() result
        return sel.root.strip()
    href = sel.attrib.get("href")
    if href is None:
        href = sel.xpath("(.//a/@href)[1]").get()
    return href.strip() if href else None


def absolute(base: str, href: str | None) -> str | None:
    if not href or _SKIP_HREF.match(href):
        return None
    url = urljoin(base, href.strip())
    u = urlsplit(url)
    if u.scheme not in ("http", "https") or not u.hostname:
        return None
    return u._replace(fragment="").geturl()


def parse_date(text: str | None) -> str | None:
    m = DATETIME.search(text or "")
    if not m:
        return None
    y, mo, d, hh, mm = m.groups()
    date = iso_date(y, mo, d)
    return f"{date} {int(hh):02d}:{mm}" if hh else date


# --------------------------------------------------------------------------------------------
# list pages


@dataclass(frozen=True)
class Entry:
    url: str
    title: str
    date: str | None = None


@dataclass
class ListPage:
    url: str
    entries: list[Entry]
    next_url: str | None
    page_count: int | None
    encoding: str


def parse_list(
    profile: ListProfile, url: str, data: bytes, content_type: str | None = None
) -> ListPage:
    root, encoding = decode(data, content_type, url)
    base = root.xpath("//base/@href").get() or url
    entries: list[Entry] = []
    seen: set[str] = set()
    for item in select(root, profile.item):
        links = select(item, profile.link)
        if not links:
            continue
        link = links[0]
        href = absolute(urljoin(url, base), href_of(link))
        if not href or href in seen:
            continue
        title = ""
        if not isinstance(link.root, str):
            title = clean(link.attrib.get(profile.title_attr, ""))
            title = title or text_of(link)
        if not title:
            continue
        dates = select(item, profile.date)
        date = parse_date(text_of(dates[0])) if dates else parse_date(text_of(item))
        seen.add(href)
        entries.append(Entry(href, title, date))
    next_url = None
    for cand in select(root, profile.next) if profile.next else []:
        nxt = absolute(urljoin(url, base), href_of(cand))
        if nxt and nxt != url:
            next_url = nxt
            break
    page_count = None
    if profile.page_count:
        m = re.search(profile.page_count, root.get())
        page_count = int(m.group(1)) if m else None
    return ListPage(url, entries, next_url, page_count, encoding)


def template_url(list_url: str, template: str, page_no: int) -> str:
    """URL of page `page_no` (1-based) from a template like 'index_{index}.html' or '?page={page}'."""
    return urljoin(list_url, template.format(page=page_no, index=page_no - 1))


def find_link(root: Selector, text: str, base: str) -> str | None:
    """URL of the first link whose text (or title) is `text`; then one that contains it."""
    want = clean(text)
    anchors = root.xpath("//a[@href]")
    for exact in (True, False):
        for a in anchors:
            label = text_of(a) or clean(a.attrib.get("title", ""))
            if (label == want) if exact else (want in label):
                url = absolute(base, a.attrib.get("href"))
                if url:
                    return url
    return None


# --------------------------------------------------------------------------------------------
# detail pages


@dataclass(frozen=True)
class AttachmentLink:
    url: str
    name: str  # sanitised: a bare file name, never a path
    ext: str


@dataclass
class DetailPage:
    url: str
    title: str
    published_at: str | None
    department: str | None
    encoding: str
    body_chars: int
    attachments: list[AttachmentLink] = field(default_factory=list)


def _ext(name: str) -> str:
    return posixpath.splitext(name.lower())[1].lstrip(".")


def safe_name(name: str, ext: str = "") -> str:
    """A file name from scraped text: last path component, no control chars, no leading dots."""
    name = unquote(name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C")
    name = _ATT_PREFIX.sub("", clean(name)).lstrip(". ")
    if len(name) > 120:
        stem, dot, suffix = name.rpartition(".")
        name = (stem[:100] + dot + suffix[:10]) if dot else name[:120]
    if not name or name in (".", ".."):
        name = "attachment"
    if ext and _ext(name) != ext:
        name = f"{name}.{ext}"
    return name


def attachment_links(
    root: Selector, selectors: tuple[str, ...], base: str, types: tuple[str, ...]
) -> list[AttachmentLink]:
    """Links of every selector (a page may list attachments in the body and in a 附件 block),
    deduplicated by URL, in page order per selector."""
    out: list[AttachmentLink] = []
    seen: set[str] = set()
    found = [a for s in selectors for a in select(root, (s,))]
    for a in found:
        href = a.attrib.get("href") if not isinstance(a.root, str) else a.root
        url = absolute(base, href)
        if not url or url in seen:
            continue
        label = text_of(a) if not isinstance(a.root, str) else ""
        path_name = unquote(urlsplit(url).path).rsplit("/", 1)[-1]
        query_name = unquote(urlsplit(url).query).rsplit("=", 1)[-1].rsplit("/", 1)[-1]
        ext = next((e for e in map(_ext, (path_name, label, query_name)) if e in types), "")
        if not ext:
            continue
        seen.add(url)
        raw_name = label if _ext(label) == ext else (path_name if _ext(path_name) == ext else label)
        out.append(AttachmentLink(url, safe_name(raw_name or path_name, ext), ext))
    return out


def page_title(root: Selector, selectors: tuple[str, ...]) -> str:
    for s in selectors:
        for el in select(root, (s,)):
            t = text_of(el)
            if t:
                if s.strip() == "title":  # <title> often appends the site name
                    parts = [p for p in _TITLE_SEP.split(t) if p]
                    t = max(parts, key=len) if parts else t
                return t
    return ""


def meta_line(root: Selector, selectors: tuple[str, ...]) -> str:
    found = select(root, selectors) if selectors else SelectorList([])
    for el in found:
        t = text_of(el)
        if DATE.search(t):
            return t
    # No configured meta block: the first short text node holding a date and a 来源.
    for t in root.xpath("//body//text()").getall():
        t = clean(t)
        if len(t) < 120 and DATE.search(t) and DEPARTMENT.search(t):
            return t
    return ""


def parse_detail(
    profile: DetailProfile,
    url: str,
    data: bytes,
    content_type: str | None = None,
    types: tuple[str, ...] = ("docx", "pdf", "doc"),
) -> DetailPage:
    root, encoding = decode(data, content_type, url)
    base = urljoin(url, root.xpath("//base/@href").get() or url)
    bodies = select(root, profile.body)
    if not bodies:
        wanted = " | ".join(profile.body)
        raise LayoutMiss(url, f"no notice body on the page (selector {wanted})", "detail", wanted)
    body = bodies[0]
    links = attachment_links(
        root if profile.attachments else body, profile.attachments or ("a",), base, types
    )
    body_chars = len(text_of(body))
    if not body_chars and not links:
        raise InputError(url, "the notice body is empty and has no attachments")
    meta = meta_line(root, profile.meta)
    dept = DEPARTMENT.search(meta)
    return DetailPage(
        url=url,
        title=page_title(root, profile.title),
        published_at=parse_date(meta),
        department=dept.group(1) if dept else None,
        encoding=encoding,
        body_chars=body_chars,
        attachments=links,
    )
