"""The edges of the body: page chrome, the trailing matter kept out of the outline, the signature.

Trailing matter is recognised by the line that opens it: an annex list (附件：…), a glossary
(名词解释), an editor's or source note (责任编辑：…, （来源：…）, 注：, footnote ↑), a list of
related articles (相关文章), a licence block (Wikisource's public-domain template) and page chrome.
Everything cut here is kept as the document's `trailer` text (not lost), with its kinds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from policytrack.pipeline.text.header import is_signer, meta_line, sign_date
from policytrack.pipeline.text.markers import match_marker

# Page furniture, in three groups each searched as one regex (one scan per line instead of one
# per rule): what opens a line, what may stand anywhere in it, and the Latin rules (case-folded).
_CHROME_START = re.compile(
    r"(?:所在位置|当前位置|您的位置|你的位置|您现在的位置|现在位置|位置)\s*[:：]"
    r"|(?:地址|联系地址|邮编|邮政编码|联系电话|电话|传真|电子邮箱|联系我们|主办单位|承办单位|"
    r"联合主办|主办|承办|协办|技术支持|网站维护|维护单位|访问量|浏览次数|点击数|阅读次数)\s*[:：]"
    r"|[【\[]?\s*(?:打印本页|打印|关闭窗口|关闭|返回顶部|分享到|收藏|字号)\s*[】\]]?"
    r"(?:\s*[【\[]?\s*(?:打印本页|打印|关闭窗口|关闭|返回顶部|大|中|小)\s*[】\]]?)*$"
    r"|(?:分享到|分享)\s*[:：]"
    r"|上一篇|下一篇|相关链接|友情链接|相关阅读|扫一扫"
    r"|学习强国$"
)
_CHROME_ANYWHERE = re.compile(r"首页\s*[>»＞›→]|版权所有|©|公网安备|网站标识码")
_CHROME_LATIN = re.compile(r"(?i)copyright|all rights reserved|ICP\s*备|ICP\s*证")
# Every _CHROME_LATIN match starts with a, c or i; these are all the characters the regex engine
# folds to them (test_edges checks every code point). A scan for them is ~6x cheaper than the
# case-folded search, and most lines hold none.
_LATIN_FIRST = re.compile("[aAcCiI\u0130\u0131]")
_NAV_TOKEN_MAX = 12
_CJK = re.compile(r"[\u4e00-\u9fff]")


def is_nav_line(line: str) -> bool:
    """A row of short links separated by | (site navigation, banners, footer menus)."""
    if "|" not in line and "｜" not in line:
        return False
    if re.search(r"\d{4}[-/年]\d{1,2}|来源|[。，！？；]", line):
        return False
    tokens = [t.strip() for t in re.split(r"[|｜]", line)]
    tokens = [t for t in tokens if t]
    return len(tokens) >= 2 and all(len(t) <= _NAV_TOKEN_MAX for t in tokens)


def is_furniture(line: str) -> bool:
    """Site furniture: navigation, breadcrumbs, share and print bars, the copyright footer."""
    return bool(
        is_nav_line(line)
        or _CHROME_START.match(line)
        or _CHROME_ANYWHERE.search(line)
        or (_LATIN_FIRST.search(line) and _CHROME_LATIN.search(line))
    )


def is_chrome(line: str) -> bool:
    """Furniture, or a line with no Chinese at all (false, Public domain, page numbers, URLs);
    dates and meta lines are read before this test."""
    return is_furniture(line) or not _CJK.search(line)


@dataclass(eq=False)
class Line:
    """One non-empty paragraph: as found, normalised, and what the edge readers made of it."""

    orig: str
    norm: str = ""
    chrome: bool = False  # not text: furniture or a text-free line
    furniture: bool = False
    gap: bool = False  # a blank line came before it


def read_lines(paragraphs: list[str], chrome: bool = True) -> list[Line]:
    """Non-empty paragraphs with their chrome flags (normalisation is the parser's).

    Attachments (.docx/.pdf, `chrome=False`) have no site furniture, and their table rows
    ("a | b") must not be mistaken for navigation, so for them only text-free lines (page numbers)
    are chrome.
    """
    out: list[Line] = []
    gap = False
    for p in paragraphs:
        p = p.strip()
        if not p:
            gap = True
            continue
        line = Line(p, gap=gap)
        gap = False
        if not chrome:
            line.chrome = not _CJK.search(p)
        elif meta_line(p) is None:
            line.furniture = is_furniture(p)
            line.chrome = line.furniture or not _CJK.search(p)
        out.append(line)
    return out


def clean_paragraphs(paragraphs: list[str], chrome: bool = True) -> list[str]:
    """The text paragraphs: stripped, chrome and empties dropped (meta lines survive)."""
    return [line.orig for line in read_lines(paragraphs, chrome) if not line.chrome]


# --------------------------------------------------------------------------------------------
# trailing matter

# The licence template Wikisource appends to the corpus texts (in either script).
LICENCE = re.compile(
    r"^(本作品是中[华華]人民共和[国國]的|本作品[来來]自|本作品在|[这這]部作品在|注：中文[维維]基文[库庫])"
)
_STARTS = [
    ("licence", LICENCE),
    ("related", re.compile(r"^(相关文章|相关阅读|相关链接|延伸阅读|相关新闻|相关稿件|相关报道)\s*[:：]?$")),
    ("glossary", re.compile(r"^(附[:：]\s*)?名词(解释|注释|说明)\s*[:：]?$")),
    ("annex", re.compile(r"^(相关)?附件\s*\d*\s*([:：].*)?$")),
    (
        "editor",
        re.compile(
            r"^[（(]?\s*(来源|稿源|信息来源|文章来源|资料来源)\s*[:：][^。]{0,40}$"
            r"|^(责任编辑|编辑|责编|校对|审核|审校|编审)\s*[:：]|^(注|注释|附注)\s*[:：]?$|^↑$"
        ),
    ),
]  # fmt: skip
# The rules above as one regex (the first that matches names the kind, as in a loop over them).
_STARTER = re.compile("|".join(f"(?P<{kind}>{rx.pattern})" for kind, rx in _STARTS))
# Once one of these opens, nothing after it is body text; the others may be followed by body
# text (an annex list inside a section), so they count only when the numbering does not go on.
_FINAL = {"licence", "related"}


def starter(line: Line) -> str | None:
    """The kind of trailing matter `line` opens, if any."""
    text = line.orig if line.chrome else line.norm
    m = _STARTER.match(text)
    return m.lastgroup if m else None


def find_trailer(lines: list[Line], begin: int) -> int:
    """Index of the line that opens the trailing matter (len(lines) when there is none).

    `begin` is the first line of the body. A weak opener (annex, glossary, editor) is not taken
    when the body's top-level numbering goes on after it.
    """
    top_family, top_no = None, 0
    for i in range(begin, len(lines)):
        line = lines[i]
        kind = starter(line)
        if kind and (kind in _FINAL or not _numbering_goes_on(lines, i, top_family, top_no)):
            return i
        if line.chrome:
            continue
        mk = match_marker(line.norm)
        if mk and top_family is None and mk.no == 1:
            top_family = mk.family
        if mk and mk.family == top_family and mk.no == top_no + 1:
            top_no = mk.no
    return len(lines)


def _numbering_goes_on(lines: list[Line], i: int, family: str | None, no: int) -> bool:
    for line in lines[i + 1 :]:
        if starter(line) in _FINAL:
            return False
        mk = None if line.chrome else match_marker(line.norm)
        if mk and mk.family == family and mk.no == no + 1:
            return True
    return False


def trailer_of(lines: list[Line], start: int) -> tuple[str, list[str]]:
    """(text, kinds): furniture anywhere before `start`, then everything from `start` on."""
    kept, kinds = [], []
    current = None
    for i, line in enumerate(lines):
        if i < start:
            if line.furniture:
                kept.append(line.orig)
                kinds.append("chrome")
            continue
        if current == "licence":  # the template's own notes and Public domain/false lines
            kind = current
        elif line.furniture:
            kind = "chrome"
        else:
            kind = current = starter(line) or current
        kept.append(line.orig)
        if kind:
            kinds.append(kind)
    return "\n".join(kept), list(dict.fromkeys(kinds))


# --------------------------------------------------------------------------------------------
# a signature after the body


def end_signature(norm: list[str], lead: int = 3) -> tuple[int, int] | None:
    """(first signer line, date line) of a signature closing `norm`, if one does.

    The date must be among the last `lead` lines (a 此件公开发布 note may follow it), with at most
    three signer lines right before it.
    """
    for d in range(len(norm) - 1, max(len(norm) - 1 - lead, -1), -1):
        if sign_date(norm[d]):
            s = d
            while s > 0 and d - s < 3 and is_signer(norm[s - 1]):
                s -= 1
            return s, d
    return None
