"""The edges of the body: page chrome, and the trailing matter kept out of the outline.

Everything cut here is kept as the document's `trailer` text (not lost), with its kinds.
"""

from __future__ import annotations

import re

from policytrack.pipeline.text.header import meta_line

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


def clean_paragraphs(
    paragraphs: list[str], chrome: bool = True, dropped: list[str] | None = None
) -> list[str]:
    """Strip, drop page chrome, drop empties. Meta lines survive for the header reader.

    Attachments (.docx/.pdf) have no site furniture, and their table rows ("a | b") must not be
    mistaken for navigation, so for them only text-free lines (page numbers) are dropped.
    Dropped lines are appended to `dropped` when given.
    """
    out = []
    for p in paragraphs:
        p = p.strip()
        if not p:
            continue
        if not chrome:
            keep = bool(re.search(r"[\u4e00-\u9fff]", p))
        else:
            keep = meta_line(p) is not None or not is_chrome(p)
        if keep:
            out.append(p)
        elif dropped is not None:
            dropped.append(p)
    return out


# The licence template Wikisource appends to the corpus texts (in either script): it and everything
# after it is kept as the document's trailer, never as body text.
LICENCE = re.compile(
    r"^(本作品是中[华華]人民共和[国國]的|本作品[来來]自|本作品在|[这這]部作品在|注：中文[维維]基文[库庫])"
)


def split_licence(paragraphs: list[str]) -> tuple[list[str], list[str]]:
    """(body, licence block): the paragraphs before and from the first licence line."""
    for i, p in enumerate(paragraphs):
        if LICENCE.match(p.strip()):
            return paragraphs[:i], [q.strip() for q in paragraphs[i:] if q.strip()]
    return paragraphs, []
