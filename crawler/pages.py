"""Page parsing for the HTML list/detail family: bytes in, typed records out (no I/O, no Scrapy).

Its records (ListPage, Entry, DetailPage, AttachmentLink) are what every family's read_list and
read_detail return (crawler/spiders/base.py).

Dates and departments are read with the project's vocabulary (pipeline/text/vocab.py). Pages are
decoded with pipeline.text.extract.decode_text, not Scrapy's guess, so an undeclared GBK page
(no charset header, no <meta>) is read correctly; when the server declared a multi-byte charset
that decoded cleanly, the response's own selector is reused (`page_root`). Control characters
(\x0b from Word, \x08) are dropped from every text read, so they never lose a notice.
"""

from __future__ import annotations

import copy
import html
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
# C0/C1 control characters other than whitespace (Word's \x0b, backspaces, NUL).
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")
# Bidirectional overrides and isolates: in a title they make it read differently from what it
# is (in the summary, the report, a spreadsheet). Dropped from the short fields clean() reads.
_BIDI = re.compile(r"[\u202a-\u202e\u2066-\u2069]")
_SINGLE_BYTE = {"iso-8859-1", "latin-1", "latin1", "windows-1252", "cp1252", "ascii", "us-ascii"}
_SKIP_HREF = re.compile(r"^\s*(javascript:|mailto:|tel:|#|$)", re.I)
_ATT_PREFIX = re.compile(r"^\s*附件\s*\d*\s*[:：.、]?\s*")
_TITLE_SEP = re.compile(r"\s*(?:[-_|｜－—]{1,2})\s*")


class LayoutMiss(InputError):
    """A page lacks the structure its profile expects (`selector` matched nothing): besides
    failing the page, the spider names the miss in the run report (selector_misses), so a site
    redesign shows in the run summary. Each family raises it for its own markers (no bulidstatic
    script, no <record> blocks, an empty iframe)."""

    def __init__(self, where: str, reason: str, kind: str, selector: str):
        super().__init__(where, reason)
        self.kind = kind  # list | detail | column
        self.selector = selector


def charset_of(content_type: str | None) -> str | None:
    m = re.search(r"charset\s*=\s*[\"']?([A-Za-z0-9_.:-]+)", content_type or "", re.I)
    return m.group(1) if m else None


def clean(text: str | None) -> str:
    text = _BIDI.sub("", _CONTROL.sub("", text or ""))
    return _WS.sub(" ", unicodedata.normalize("NFC", text)).strip()


def decode(data: bytes, content_type: str | None, where: str) -> tuple[Selector, str]:
    if not data or not data.strip():
        raise InputError(where, "empty response body")
    try:
        text, encoding = decode_text(data, charset_of(content_type))
    except InputError as exc:
        raise InputError(where, exc.reason) from exc
    return Selector(text=_CONTROL.sub("", text)), encoding


def _ctype(response) -> str:
    return response.headers.get("Content-Type", b"").decode("latin-1")


def scrapy_text(response) -> str | None:
    """Scrapy's text of the response when it can be trusted: the server declared a multi-byte
    charset and the text decoded without a replacement character; else None."""
    declared = (charset_of(_ctype(response)) or "").lower()
    if not declared or declared in _SINGLE_BYTE or not hasattr(response, "text"):
        return None
    try:
        text = response.text
    except (LookupError, UnicodeError):
        return None
    return text if "\ufffd" not in text else None


def page_text(response) -> str:
    """The page as text: Scrapy's (scrapy_text), else pipeline.text.extract.decode_text's."""
    text = scrapy_text(response)
    if text is not None:
        return text
    try:
        return decode_text(response.body, charset_of(_ctype(response)))[0]
    except InputError as exc:
        raise InputError(response.url, exc.reason) from exc


def page_root(response, where: str | None = None) -> tuple[Selector, str]:
    """The page's selector and encoding: Scrapy's own, already parsed and cached on the
    response, when its text can be trusted (scrapy_text) and holds no control character;
    otherwise decoded here (`decode`)."""
    text = scrapy_text(response)
    if text and text.strip() and not _CONTROL.search(text) and hasattr(response, "selector"):
        return response.selector, response.encoding
    return decode(response.body, _ctype(response), where or response.url)


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
    content: str | None = None  # the notice's HTML when the list carries it (a JSON API)
    extra: dict | None = field(default=None, compare=False)  # what else the family read


@dataclass
class ListPage:
    url: str
    entries: list[Entry]
    next_url: str | None
    page_count: int | None
    encoding: str
    extra: dict = field(default_factory=dict)  # what a family keeps for its next page


class TransientError(InputError):
    """A page that could not be read this time (a frame answered 5xx): retried next crawl."""


def parse_list(
    profile: ListProfile,
    url: str,
    data: bytes | None = None,
    content_type: str | None = None,
    *,
    root: tuple[Selector, str] | None = None,
) -> ListPage:
    """A server-rendered list page: `data` (decoded here) or a parsed `root` (selector,
    encoding); also a fragment of rows (a JSON API's HTML, a JCMS <record>)."""
    root, encoding = root if root is not None else decode(data or b"", content_type, url)
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


def template_url(list_url: str, template: str, page_no: int, size: int | None = None) -> str:
    """URL of page `page_no` (1-based) from a template like 'index_{index}.html', '?page={page}'
    or '…/{offset}/20/…' ({offset} = (page - 1) × size)."""
    offset = (page_no - 1) * (size or 0)
    return urljoin(list_url, template.format(page=page_no, index=page_no - 1, offset=offset))


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
    over: int = 0  # attachment links beyond the source's max_attachments (not fetched)
    # The body element (for body_text), and the page bytes to store when they are not the
    # response's (the document of an iframe, the content of a JSON API item).
    body: Selector | None = field(default=None, repr=False, compare=False)
    stored: bytes | None = field(default=None, repr=False, compare=False)
    stored_url: str | None = None  # where `stored` came from

    @property
    def body_text(self) -> str:
        return block_text(self.body) if self.body is not None else ""


def _ext(name: str) -> str:
    return posixpath.splitext(name.lower())[1].lstrip(".")


def _href_ext(href: str) -> str:
    """The attachment type a raw href names in its path or its last query value, if any."""
    path, _, query = href.partition("#")[0].partition("?")
    ext = _ext(unquote(path).rsplit("/", 1)[-1])
    return ext or _ext(unquote(query).rsplit("=", 1)[-1].rsplit("/", 1)[-1])


def safe_name(name: str, ext: str = "") -> str:
    """A file name from scraped text: last path component, no control chars, no leading dots.
    A leading 附件1： is dropped, unless nothing but the extension would be left (附件1.docx)."""
    name = unquote(name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C")
    name = clean(name)
    rest = _ATT_PREFIX.sub("", name)
    if _ext(rest) == _ext(name) and posixpath.splitext(rest)[0].strip(". "):
        name = rest
    name = name.lstrip(". ")
    if len(name) > 120:
        stem, dot, suffix = name.rpartition(".")
        name = (stem[:100] + dot + suffix[:10]) if dot else name[:120]
    if not name or name in (".", ".."):
        name = "attachment"
    if ext and _ext(name) != ext:
        name = f"{name}.{ext}"
    return name


def attachment_links(
    root: Selector,
    selectors: tuple[str, ...],
    base: str,
    types: tuple[str, ...],
    limit: int | None = None,
) -> tuple[list[AttachmentLink], int]:
    """Links of every selector (a page may list attachments in the body and in a 附件 block),
    deduplicated by URL, in page order per selector: the first `limit`, and how many more."""
    out: list[AttachmentLink] = []
    seen: set[str] = set()
    over = 0
    beyond: set[str] = set()  # hrefs counted past the limit
    found = [a for s in selectors for a in select(root, (s,))]
    for a in found:
        href = a.attrib.get("href") if not isinstance(a.root, str) else a.root
        if limit is not None and len(out) >= limit:
            # Past the cap, only count, cheaply (a hostile page may carry 100k links): no URL
            # resolution, no link text; links whose path or query names an attachment type.
            if href and href not in beyond and _href_ext(href) in types:
                beyond.add(href)
                over += 1
            continue
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
        beyond.add(href)
        raw_name = label if _ext(label) == ext else (path_name if _ext(path_name) == ext else label)
        if _ext(raw_name) != ext and _ext(query_name) == ext:
            raw_name = query_name  # downfile.jsp?…&showname=…docx, …pdf?fileName=…pdf
        out.append(AttachmentLink(url, safe_name(raw_name or path_name, ext), ext))
    return out, over


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


def first_text(root: Selector, selectors: tuple[str, ...]) -> str:
    """Text of the first element (or attribute) of the first selector that matches."""
    found = select(root, selectors) if selectors else SelectorList([])
    return next((t for t in map(text_of, found) if t), "")


@dataclass
class Heading:
    """What a detail page says about its notice, besides the body."""

    title: str
    published_at: str | None
    department: str | None


def heading(root: Selector, profile: DetailProfile) -> Heading:
    meta = meta_line(root, profile.meta) if not (profile.date and profile.department) else ""
    published = parse_date(first_text(root, profile.date)) if profile.date else None
    if profile.department:
        text = first_text(root, profile.department)
        labelled = DEPARTMENT.search(text)  # "来源：省科协" or the bare name (a <meta> content)
        department = (labelled.group(1) if labelled else text) or None
    else:
        dept = DEPARTMENT.search(meta)
        department = dept.group(1) if dept else None
    return Heading(page_title(root, profile.title), published or parse_date(meta), department)


def notice_body(root: Selector, profile: DetailProfile, url: str) -> Selector:
    bodies = select(root, profile.body)
    if not bodies:
        wanted = " | ".join(profile.body)
        raise LayoutMiss(url, f"no notice body on the page (selector {wanted})", "detail", wanted)
    return bodies[0]


def parse_detail(
    profile: DetailProfile,
    url: str,
    data: bytes | None = None,
    content_type: str | None = None,
    types: tuple[str, ...] = ("docx", "pdf", "doc"),
    *,
    root: tuple[Selector, str] | None = None,
    limit: int | None = None,
) -> DetailPage:
    """A server-rendered detail page: `data` (decoded here) or an already parsed `root`
    (selector, encoding)."""
    sel, encoding = root if root is not None else decode(data or b"", content_type, url)
    base = urljoin(url, sel.xpath("//base/@href").get() or url)
    body = notice_body(sel, profile, url)
    links, over = attachment_links(
        sel if profile.attachments else body, profile.attachments or ("a",), base, types, limit
    )
    body_chars = len(body.xpath("normalize-space(string(.))").get() or "")
    if not body_chars and not links:
        raise InputError(url, "the notice body is empty and has no attachments")
    head = heading(sel, profile)
    return DetailPage(
        url=url,
        title=head.title,
        published_at=head.published_at,
        department=head.department,
        encoding=encoding,
        body_chars=body_chars,
        attachments=links,
        over=over,
        body=body,
    )


# --------------------------------------------------------------------------------------------
# text of a body, HTML fragments

_BLOCK = {
    "p", "div", "br", "li", "tr", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6", "table",
    "section", "article", "ul", "ol", "dd", "dt", "dl", "blockquote", "pre", "center", "hr",
}  # fmt: skip
_STRIP = " \t\r\n\f\v\u3000\u00a0"


def block_text(sel: Selector) -> str:
    """The visible text of an element: one line per block element (<p>, <div>, …), inline
    markup flattened, each line stripped (ASCII spaces, U+3000, U+00A0), empty lines dropped.
    Scripts, styles and comments contribute nothing."""
    root = sel.root
    if isinstance(root, str):
        return clean(root)
    el = copy.deepcopy(root)
    for bad in el.xpath(".//script | .//style | .//noscript | .//template"):
        bad.drop_tree()
    for node in el.iter():
        if not isinstance(node.tag, str) or node.tag.lower() not in _BLOCK:
            continue
        node.tail = "\n" + (node.tail or "")
        if node.tag.lower() not in ("br", "hr"):
            node.text = "\n" + (node.text or "")
    text = _CONTROL.sub("", unicodedata.normalize("NFC", el.text_content()))
    lines = (line.strip(_STRIP) for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def fragment_page(title: str, date: str | None, content: str) -> bytes:
    """A page for a notice that has none (a JSON API item): its title, its date and the
    item's HTML `content` unchanged, as UTF-8."""
    head = html.escape(title)
    when = f'<p class="date">{html.escape(date)}</p>\n' if date else ""
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8">'
        f"<title>{head}</title></head>\n<body>\n<h1>{head}</h1>\n{when}"
        f'<div id="content">\n{content}\n</div>\n</body></html>\n'
    ).encode()
