"""Paragraph markers: the families, and the first-character test that skips the regexes."""

from __future__ import annotations

import re
import sys

from policytrack.pipeline.text.markers import _MARKER_FIRST, MARKERS, match_marker


def test_each_family():
    found = {p: match_marker(p) for p in ("一、总体要求", "（二）加强", "3、推进", "4. 做好", "(5)开展",
                                          "⑥ 落实", "十", "１、全角", "1.5倍", "二〇一九年", "")}  # fmt: skip
    assert {p: (m.family, m.no, m.text, m.rest) if m else None for p, m in found.items()} == {
        "一、总体要求": ("cn", 1, "一、", "总体要求"),
        "（二）加强": ("cn_paren", 2, "（二）", "加强"),
        "3、推进": ("num", 3, "3、", "推进"),
        "4. 做好": ("num_dot", 4, "4.", "做好"),
        "(5)开展": ("num_paren", 5, "(5)", "开展"),
        "⑥ 落实": ("circled", 6, "⑥", "落实"),
        "十": ("cn", 10, "十", ""),
        "１、全角": ("num", 1, "１、", "全角"),  # \d is any decimal digit
        "1.5倍": None,
        "二〇一九年": None,
        "": None,
    }


def test_every_marker_opens_with_a_listed_character_or_a_decimal_digit():
    opens = ("^([一二三四五六七八九十百]", "^[（(]", "^(\\d", "^([①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳]")
    assert all(rx.pattern.startswith(opens) for _, rx in MARKERS)
    assert set("一二三四五六七八九十百（(①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳") == _MARKER_FIRST
    digit = re.compile(r"\d")
    assert all(bool(digit.match(chr(c))) == chr(c).isdecimal() for c in range(sys.maxunicode + 1))
