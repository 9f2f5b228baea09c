"""Header fields: title, dates, document number, issuer, addressees; the year of a title."""

from __future__ import annotations

import re

from policytrack.pipeline.text import vocab
from policytrack.pipeline.text.markers import CN_DIGITS, cn_number
from policytrack.pipeline.text.normalize import fold_width

_TITLE_WORDS = re.compile(r"(要点|报告|计划|安排|意见|方案|通知|纲要|规划|总结)$")
INNER_TITLE = re.compile(r"(?:印发|转发|下发|发布)\s*[《“](.+?)[》”]")
_TERMINAL = "。！？；!?;"
ATTACHMENT_LINE = re.compile(r"^(相关)?附件\s*\d*\s*[:：]")


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


def meta_line(line: str) -> tuple[str | None, str | None] | None:
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


def sign_date(line: str) -> str | None:
    m = vocab.SIGN_DATE.match(line)
    if m:
        y, mo, d = (int(g) for g in m.groups())
        return f"{y:04d}-{mo:02d}-{d:02d}"
    m = vocab.SIGN_DATE_CN.match(line)
    if m:
        return f"{_cn_year(m.group(1)):04d}-{cn_number(m.group(2)):02d}-{cn_number(m.group(3)):02d}"
    return None


def is_title_like(line: str) -> bool:
    return (
        len(line) <= 60 and line[-1] not in _TERMINAL + "：:，," and bool(_TITLE_WORDS.search(line))
    )


def genre_of(title: str) -> str:
    if "要点" in title:
        return "work_points"
    if "报告" in title:
        return "report"
    return "notice"
