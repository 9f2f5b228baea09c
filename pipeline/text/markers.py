"""Paragraph-initial markers: the numbering families a document's outline is built from.

Six families are recognised: 一、  （一）  1、  1.  （1）  ①  (plus a bare 一 on its own line, as in
older reports). Which of them nest in which is decided by the outline builder (outline.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

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


# Every marker opens with one of these or a decimal digit (\d is str.isdecimal): most
# paragraphs are told apart by their first character, without trying seven regexes.
_MARKER_FIRST = frozenset(_CN + "（(" + _CIRCLED)


def match_marker(para: str) -> Marker | None:
    if not para or not (para[0] in _MARKER_FIRST or para[0].isdecimal()):
        return None
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


def cn_numeral(n: int) -> str:
    """1..99 in Chinese numerals: 7 → 七, 17 → 十七, 20 → 二十."""
    digits = "零一二三四五六七八九"
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else digits[tens] + "十")
    return head + (digits[ones] if ones or not tens else "")
