"""Paragraphs → Document: header fields, preamble, nested sections and items.

The structure comes from paragraph-initial markers. Six families are recognised:
一、  （一）  1、  1.  （1）  ①  (plus a bare 一 on its own line, as in older reports).
Families nest in the order they first appear; a marker is accepted only when its number continues
its family's sequence (or restarts at 1 under a new parent), so a sentence that happens to begin
with "2." is not mistaken for an item.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from policytrack.pipeline.core.errors import InputError
from policytrack.pipeline.text import vocab
from policytrack.pipeline.text.extract import Extracted, extract
from policytrack.pipeline.text.model import Document, Item, Section
from policytrack.pipeline.text.normalize import fold_width, is_traditional, normalize

CN_DIGITS = {"〇": 0, "○": 0, "零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5,
             "六": 6, "七": 7, "八": 8, "九": 9}  # fmt: skip


def cn_number(s: str) -> int:
    """Chinese numerals up to 999: 一 → 1, 十二 → 12, 二十 → 20, 一百零三 → 103."""
    if s.isdigit():
        return int(s)
    total, current = 0, 0
    for ch in s:
        if ch in CN_DIGITS:
            current = CN_DIGITS[ch]
        elif ch == "十":
            total += (current or 1) * 10
            current = 0
        elif ch == "百":
            total += (current or 1) * 100
            current = 0
        else:
            raise ValueError(s)
    return total + current


# --------------------------------------------------------------------------------------------
# markers

_CN = "一二三四五六七八九十百"
MARKERS: list[tuple[str, re.Pattern]] = [
    ("cn", re.compile(rf"^([{_CN}]+)\s*[、]\s*")),  # 一、
    ("cn_paren", re.compile(rf"^[（(]\s*([{_CN}]+)\s*[）)]\s*[、，,]?\s*")),  # （一）
    ("num", re.compile(r"^(\d{1,3})\s*[、]\s*")),  # 1、
    ("num_dot", re.compile(r"^(\d{1,3})\s*[.．](?![\d.．])\s*")),  # 1.  (not 1.5)
    ("num_paren", re.compile(r"^[（(]\s*(\d{1,3})\s*[）)]\s*")),  # （1）
    ("circled", re.compile(r"^([①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳])\s*")),  # ①
    ("cn_bare", re.compile(rf"^([{_CN}]{{1,3}})$")),  # a bare 一 line (1950s–60s reports)
]
SECTION_FAMILIES = {"cn", "cn_paren", "cn_bare"}
_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"


@dataclass
class Marker:
    family: str
    no: int
    text: str  # the marker as written
    rest: str  # paragraph text after the marker


def match_marker(para: str) -> Marker | None:
    for family, rx in MARKERS:
        m = rx.match(para)
        if not m:
            continue
        raw = m.group(1)
        try:
            no = _CIRCLED.index(raw) + 1 if family == "circled" else cn_number(raw)
        except ValueError:
            continue
        if no == 0:
            continue
        family = "cn" if family == "cn_bare" else family
        return Marker(family, no, para[: m.end()].strip(), para[m.end() :].strip())
    return None


# --------------------------------------------------------------------------------------------
# page chrome

_CHROME = [
    re.compile(r"^(所在位置|当前位置|您的位置|你的位置|您现在的位置|现在位置|位置)\s*[:：]"),
    re.compile(r"首页\s*[>»＞›→]"),
    re.compile(r"(?i)copyright|版权所有|©|all rights reserved"),
    re.compile(r"(?i)ICP\s*备|ICP\s*证|公网安备|网站标识码"),
    re.compile(
        r"^(地址|联系地址|邮编|邮政编码|联系电话|电话|传真|电子邮箱|联系我们|主办单位|承办单位|"
        r"联合主办|主办|承办|协办|技术支持|网站维护|维护单位|访问量|浏览次数|点击数|阅读次数)\s*[:：]"
    ),
    re.compile(
        r"^[【\[]?\s*(打印本页|打印|关闭窗口|关闭|返回顶部|分享到|收藏|字号)\s*[】\]]?"
        r"(\s*[【\[]?\s*(打印本页|打印|关闭窗口|关闭|返回顶部|大|中|小)\s*[】\]]?)*$"
    ),
    re.compile(r"^(上一篇|下一篇|相关链接|友情链接|相关阅读|扫一扫)"),
    re.compile(r"^学习强国$"),
    # Wikisource licence block that closes every Government Work Report in the corpus.
    re.compile(r"^(本作品是中华人民共和国的|本作品在|注：中文维基文库|Public domain$)"),
]
_NAV_TOKEN_MAX = 12


def is_nav_line(line: str) -> bool:
    """A row of short links separated by | (site navigation, banners, footer menus)."""
    if "|" not in line and "｜" not in line:
        return False
    if re.search(r"\d{4}[-/年]\d{1,2}|来源|[。，！？；]", line):
        return False
    tokens = [t.strip() for t in re.split(r"[|｜]", line)]
    tokens = [t for t in tokens if t]
    return len(tokens) >= 2 and all(len(t) <= _NAV_TOKEN_MAX for t in tokens)


def is_chrome(line: str) -> bool:
    if is_nav_line(line):
        return True
    if any(rx.search(line) for rx in _CHROME):
        return True
    # Lines with no Chinese at all (false, Public domain, stray URLs) carry no notice text;
    # dates and meta lines are read before this test.
    return not re.search(r"[\u4e00-\u9fff]", line)


# --------------------------------------------------------------------------------------------
# header fields

_TITLE_WORDS = re.compile(r"(要点|报告|计划|安排|意见|方案|通知|纲要|规划|总结)$")
_INNER_TITLE = re.compile(r"(?:印发|转发|下发|发布)\s*[《“](.+?)[》”]")
_TERMINAL = "。！？；!?;"
_ATTACHMENT_LINE = re.compile(r"^(相关)?附件\s*\d*\s*[:：]")


def _cn_year(s: str) -> int:
    return int("".join(str(CN_DIGITS[c]) for c in s))


def year_from_title(title: str) -> int | None:
    """The plan year: the first 4-digit year followed by 年 (or a range dash) in the title."""
    t = fold_width(title)
    m = vocab.TITLE_YEAR.search(t)
    if m:
        return int(m.group(1))
    m = vocab.TITLE_YEAR_CN.search(t)
    if m:
        return _cn_year(m.group(1))
    return None


def _meta_line(line: str) -> tuple[str | None, str | None] | None:
    """(published_at, department) when `line` is a page meta line, else None."""
    if len(line) > 120:
        return None
    m = vocab.DATETIME.search(line)
    dept = vocab.DEPARTMENT.search(line)
    stripped = vocab.DATETIME.sub("", line).strip(" |｜")
    is_meta = bool(m) and (
        bool(dept)
        or "|" in line
        or "｜" in line
        or re.search(r"(发布|更新)?(时间|日期)\s*[:：]", line)
        or stripped == ""
    )
    if not is_meta and not (dept and len(line) < 60):
        return None
    published = None
    if m and not vocab.SIGN_DATE.match(line):
        y, mo, d, hh, mm = m.groups()
        published = f"{int(y):04d}-{int(mo):02d}-{int(d):02d}"
        if hh:
            published += f" {int(hh):02d}:{mm}"
    elif m is None and not dept:
        return None
    if published is None and not dept:
        return None
    return published, (dept.group(1) if dept else None)


def _sign_date(line: str) -> str | None:
    m = vocab.SIGN_DATE.match(line)
    if m:
        y, mo, d = (int(g) for g in m.groups())
        return f"{y:04d}-{mo:02d}-{d:02d}"
    m = vocab.SIGN_DATE_CN.match(line)
    if m:
        return f"{_cn_year(m.group(1)):04d}-{cn_number(m.group(2)):02d}-{cn_number(m.group(3)):02d}"
    return None


def _is_title_like(line: str) -> bool:
    return (
        len(line) <= 60 and line[-1] not in _TERMINAL + "：:，," and bool(_TITLE_WORDS.search(line))
    )


# --------------------------------------------------------------------------------------------
# text helpers

_HEAD_END = re.compile(r"[。！？!?]")
_SENT = re.compile(r"[^。！？!?；;]+(?:[。！？!?；;]+[”’」』）)]*|$)")


def lead_clause(text: str) -> str:
    """The heading of an item: its text up to the first 。 (or ！？)."""
    m = _HEAD_END.search(text)
    return (text[: m.start()] if m else text).strip()


def split_sentences(text: str) -> list[str]:
    """Sentences ending in 。！？； (closing quotes stay with their sentence)."""
    out = []
    for para in text.split("\n"):
        out += [s.strip() for s in _SENT.findall(para) if s.strip()]
    return out


def genre_of(title: str) -> str:
    if "要点" in title:
        return "work_points"
    if "报告" in title:
        return "report"
    return "notice"


# --------------------------------------------------------------------------------------------
# structure


@dataclass
class _Unit:
    depth: int
    marker: Marker | None
    path: str
    lead: str = ""  # normalised lead paragraph without its marker
    lead_orig: str = ""
    paras: list[tuple[str, str]] = field(default_factory=list)  # (normalised, original)
    children: list[_Unit] = field(default_factory=list)
    serial: int = 0  # identity of this unit, so counters know when the parent changed


class _Builder:
    """Turns a flat paragraph list into nested units, checking each family's numbering."""

    def __init__(self):
        self.root = _Unit(0, None, "")
        self.stack: list[_Unit] = [self.root]
        self.depth_of: dict[str, int] = {}
        self.last_no: dict[str, int] = {}
        self.last_parent: dict[str, int] = {}
        self.serial = 0
        self.implicit_section = False

    def accepts(self, mk: Marker) -> bool:
        fam = mk.family
        if fam not in self.depth_of:
            if mk.no != 1:
                return False
            if not self.depth_of and fam not in SECTION_FAMILIES:
                # Items without 一、 sections: hang them under one implicit section "0".
                self._open_implicit_section()
            return True
        depth = self.depth_of[fam]
        parent = self._parent_for(depth)
        if self.last_parent.get(fam) == parent.serial:
            return mk.no == self.last_no[fam] + 1
        # Under a new parent a list restarts at 1, or continues (工作要点 number items
        # continuously across sections).
        return mk.no == 1 or mk.no == self.last_no[fam] + 1

    def _open_implicit_section(self) -> None:
        self.implicit_section = True
        self.depth_of["_implicit"] = 1
        self._push(_Unit(1, None, "0"))

    def _parent_for(self, depth: int) -> _Unit:
        candidates = [u for u in self.stack if u.depth < depth]
        return candidates[-1]

    def _push(self, unit: _Unit) -> None:
        self.serial += 1
        unit.serial = self.serial
        while self.stack[-1].depth >= unit.depth:
            self.stack.pop()
        self.stack[-1].children.append(unit)
        self.stack.append(unit)

    def add_marker(self, mk: Marker, norm_rest: str, orig: str) -> None:
        fam = mk.family
        if fam not in self.depth_of:
            self.depth_of[fam] = self.stack[-1].depth + 1
        depth = self.depth_of[fam]
        parent = self._parent_for(depth)
        path = f"{parent.path}.{mk.no}" if parent.path else str(mk.no)
        siblings = {c.path for c in parent.children}
        if path in siblings:  # a numbering slip in the source; keep both, distinguishably
            path += "b"
        self._push(_Unit(depth, mk, path, norm_rest, orig))
        self.last_no[fam] = mk.no
        self.last_parent[fam] = parent.serial

    def add_paragraph(self, norm: str, orig: str) -> None:
        unit = self.stack[-1]
        if unit is not self.root and not unit.lead and not unit.paras:
            unit.lead, unit.lead_orig = norm, orig  # a marker alone on its line, text follows
        else:
            unit.paras.append((norm, orig))


def _to_items(unit: _Unit, depth_names: dict[int, str]) -> Item:
    children: list[Item] = []
    for k, (norm, orig) in enumerate(unit.paras, 1):
        path = f"{unit.path}.p{k}"
        children.append(Item(None, lead_clause(norm), norm, path, "paragraph", "", orig))
    children += [_to_items(c, depth_names) for c in unit.children]
    full = "\n".join([unit.lead] + [n for n, _ in unit.paras])
    full_orig = "\n".join([unit.lead_orig] + [o for _, o in unit.paras])
    return Item(
        no=unit.marker.no if unit.marker else None,
        heading=lead_clause(unit.lead),
        text=full.strip(),
        path=unit.path,
        level=depth_names.get(unit.depth, "subitem"),
        marker=unit.marker.text if unit.marker else "",
        original=full_orig.strip(),
        children=children,
    )


# --------------------------------------------------------------------------------------------
# the parser


def clean_paragraphs(paragraphs: list[str], chrome: bool = True) -> list[str]:
    """Strip, drop page chrome, drop empties. Meta lines survive for the header reader.

    Attachments (.docx/.pdf) have no site furniture, and their table rows ("a | b") must not be
    mistaken for navigation, so for them only text-free lines (page numbers) are dropped.
    """
    out = []
    for p in paragraphs:
        p = p.strip()
        if not p:
            continue
        if not chrome:
            if re.search(r"[\u4e00-\u9fff]", p):
                out.append(p)
            continue
        if _meta_line(p) is None and is_chrome(p):
            continue
        out.append(p)
    return out


def parse_paragraphs(
    paragraphs: list[str],
    *,
    where: str = "input",
    title_hint: str | None = None,
    year_hint: int | None = None,
    chrome: bool = True,
) -> Document:
    """Build a Document from paragraphs (already extracted from the file)."""
    paras = clean_paragraphs(paragraphs, chrome)
    if not paras:
        raise InputError(where, "empty document (only page furniture, no notice text)")
    trad = is_traditional("".join(paras))
    norm = [normalize(p, simplified=trad) for p in paras]

    # Where does the body start? At the first marker numbered 1 (一、 or 1、 …).
    first = next((i for i, p in enumerate(norm) if (m := match_marker(p)) and m.no == 1), None)
    header_end = first if first is not None else len(norm)

    doc = Document(title="", year=0)
    used: set[int] = set()
    title_idx = None
    sign_idx = None
    for i in range(header_end):
        p = norm[i]
        meta = _meta_line(p)
        if meta and (meta[0] or meta[1]) and doc.published_at is None and not _sign_date(p):
            doc.published_at, dept = meta
            doc.department = dept or doc.department
            used.add(i)
            continue
        if not doc.doc_number and (m := vocab.DOC_NUMBER.match(p)):
            doc.doc_number = p.replace(" ", "")
            used.add(i)
            continue
        if (d := _sign_date(p)) and sign_idx is None:
            doc.issued_on, sign_idx = d, i
            used.add(i)
            prev = i - 1
            if (
                prev >= 0
                and prev not in used
                and len(norm[prev]) <= 40
                and not re.search(r"[。，：:；,]", norm[prev])
            ):
                doc.issuer = norm[prev]
                used.add(prev)
            continue
        if not doc.page_title and _is_title_like(p) and i not in used and not doc.addressees:
            doc.page_title = p
            used.add(i)
            continue
        if not doc.addressees and p[-1] in "：:" and len(p) < 200 and i not in used:
            doc.addressees = p[:-1].strip()
            used.add(i)
            continue
    # The document's own title line: the last title-like line before the body that is not the
    # page title (the seed repeats 省科协2019年工作要点 under the cover letter).
    inner = _INNER_TITLE.search(doc.page_title or "")
    for i in range(header_end - 1, -1, -1):
        if i in used:
            continue
        p = norm[i]
        if (inner and p == inner.group(1)) or (_is_title_like(p) and year_from_title(p)):
            title_idx = i
            break
    if title_idx is not None:
        doc.title = norm[title_idx]
        used.add(title_idx)
    elif inner:
        doc.title = inner.group(1)
    elif title_hint:
        doc.title = normalize(title_hint)
    else:
        doc.title = doc.page_title

    year = year_from_title(doc.title) or year_from_title(doc.page_title)
    if year is None and title_hint:
        year = year_from_title(title_hint)
    if year is None:
        year = year_hint
    if year is None:
        raise InputError(
            where, f"no recognisable year in the title ({doc.title or 'no title found'!r})"
        )
    doc.year = int(year)
    doc.genre = genre_of(doc.title or doc.page_title or title_hint or "")

    # Preamble: what follows the title line (or the signature) up to the body.
    start = (
        (title_idx + 1) if title_idx is not None else (sign_idx + 1 if sign_idx is not None else 0)
    )
    doc.preamble = "\n".join(norm[i] for i in range(start, header_end) if i not in used)

    if first is None:
        if doc.genre != "report":
            raise InputError(where, "no numbered items found (no 一、 / 1、 / （一） markers)")
        # Long-form reports can be unnumbered prose (the 1954 and 1975 reports): keep each
        # paragraph as a unit so alignment and term paths still work.
        section = Section(0, "", "0")
        body = [i for i in range(start, len(norm)) if i not in used]
        section.items = [
            Item(None, lead_clause(norm[i]), norm[i], f"0.p{k}", "paragraph", "", paras[i])
            for k, i in enumerate(body, 1)
        ]
        doc.preamble = ""
        doc.sections = [section] if section.items else []
        if not doc.sections:
            raise InputError(where, "no text after the header")
        return doc

    builder = _Builder()
    for i in range(header_end, len(norm)):
        if _ATTACHMENT_LINE.match(norm[i]):
            break  # "附件：…" links after the last item belong to the page, not to the item
        mk = match_marker(norm[i])
        if mk and builder.accepts(mk):
            orig_mk = match_marker(fold_width(paras[i]))
            builder.add_marker(mk, mk.rest, orig_mk.rest if orig_mk else paras[i])
        else:
            builder.add_paragraph(norm[i], paras[i])

    depth_names = {1: "section", 2: "item"}
    for top in builder.root.children:
        item = _to_items(top, depth_names)
        sec = Section(
            no=item.no if item.no is not None else 0,
            title=item.heading,
            path=item.path,
            marker=item.marker,
            text=item.text,
            original=item.original,
            items=item.children,
        )
        doc.sections.append(sec)
    if not doc.sections:
        raise InputError(where, "no numbered items found")
    return doc


def parse_extracted(ex: Extracted, *, where: str, year_hint: int | None = None) -> Document:
    return parse_paragraphs(
        ex.paragraphs,
        where=where,
        title_hint=ex.title,
        year_hint=year_hint or ex.year,
        chrome=ex.content_type in ("text/html", "text/plain", "application/json"),
    )


def parse_bytes(
    data: bytes,
    name: str,
    content_type: str | None = None,
    *,
    title_hint: str | None = None,
    year_hint: int | None = None,
    watch: tuple[str, ...] | list[str] = (),
) -> Document:
    """Parse one document's bytes; terms are extracted too. Raises InputError(name, reason)."""
    from policytrack.pipeline.text.terms import extract_terms

    ex = extract(data, name, content_type)
    if title_hint and not ex.title:
        ex.title = title_hint
    doc = parse_extracted(ex, where=name, year_hint=year_hint)
    doc.terms = extract_terms(doc, watch=watch)
    return doc


def parse_file(path: str | Path, *, year_hint: int | None = None, watch=()) -> Document:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(str(path), exc.strerror or exc.__class__.__name__) from exc
    return parse_bytes(data, str(path), year_hint=year_hint, watch=watch)
