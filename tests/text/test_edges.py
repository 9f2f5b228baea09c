"""Page furniture (edges.is_furniture): each group of rules, and the prefilter of the Latin ones."""

from __future__ import annotations

import re
import sys

from policytrack.pipeline.text.edges import _CHROME_LATIN, _LATIN_FIRST, Line, is_furniture, starter


def test_furniture_rules():
    for line in (
        "当前位置：首页 > 通知公告",  # opens the line
        "电话：0871-1234567",
        "【打印本页】【关闭窗口】",
        "上一篇：关于开展科普周的通知",
        "学习强国",
        "网站首页 > 新闻",  # anywhere in it
        "2019 © 云南省科协",
        "滇公网安备 53010202000001号",
        "Copyright 2019 云南省科协",  # the Latin rules, case-folded
        "ALL RIGHTS RESERVED",
        "滇icp备05001234号",
        "首页 | 机构 | 新闻",  # navigation
    ):
        assert is_furniture(line), line
    for line in (
        "一、加强党的建设。",
        "联系人电话：见附件",  # 电话 not at the start
        "打印本页内容",  # a print bar is nothing but its buttons
        "学习强国平台上线",
        "推进ICT产业发展",
        "I copy right",
    ):
        assert not is_furniture(line), line


def test_latin_prefilter_holds_every_character_the_rules_can_start_with():
    # Every _CHROME_LATIN match starts with a case-folded a, c or i.
    assert {p[0].lower() for p in _CHROME_LATIN.pattern.removeprefix("(?i)").split("|")} == set(
        "aci"
    )
    first = re.compile("(?i)[aci]")
    starts = [chr(c) for c in range(sys.maxunicode + 1) if first.match(chr(c))]
    assert starts == sorted("aAcCiI\u0130\u0131")
    assert all(_LATIN_FIRST.match(ch) for ch in starts)


def test_starter_names_the_first_rule_that_matches():
    kinds = {
        "本作品是中華人民共和國的政府文件": "licence",
        "注：中文维基文库收录": "licence",  # not an editor's note: the licence rule comes first
        "注：": "editor",
        "相关链接": "related",
        "名词解释：": "glossary",
        "附件2：实施方案": "annex",
        "（来源：新华社）": "editor",
        "责任编辑：张三": "editor",
        "↑": "editor",
        "附件里的说明很长。": None,
        "一、总体要求": None,
    }
    assert {t: starter(Line(t, norm=t)) for t in kinds} == kinds
