"""Titles: the year in a title, letter-spacing, issuer and speaker named in a title, the venue of
a speech-type report, the genre a title names, and what a file name can tell."""

from __future__ import annotations

import re
from pathlib import PurePath

from policytrack.pipeline.text import vocab
from policytrack.pipeline.text.markers import CN_DIGITS, cn_number
from policytrack.pipeline.text.normalize import fold_width

TITLE_WORDS = re.compile(r"(要点|报告|计划|安排|意见|方案|通知|纲要|规划|总结)$")
INNER_TITLE = re.compile(r"(?:印发|转发|下发|发布)\s*[《“](.+?)[》”]")
TERMINAL = "。！？；!?;"
SUFFIX = re.compile(r"\s*[（(](?:摘要|草案|全文|修订稿|征求意见稿|节选|定稿)[）)]$")
_CJK = r"\u4e00-\u9fff"
_SPACED = re.compile(rf"[{_CJK}](?:[ \u3000]+[{_CJK}])+")
_COMMAS = re.compile(r"[，,]")


def cn_year(s: str) -> int:
    return int("".join(str(CN_DIGITS[c]) for c in s))


def year_from_title(title: str) -> int | None:
    """The plan year: the first 4-digit year followed by 年 (or a range dash) in the title."""
    t = fold_width(title)
    m = vocab.TITLE_YEAR.search(t)
    if m:
        return int(m.group(1))
    m = vocab.TITLE_YEAR_CN.search(t)
    if m:
        return cn_year(m.group(1))
    return None


def is_title_like(line: str) -> bool:
    """Short, no closing punctuation, ends with a genre word, and at most one comma: titles
    have one at most (高举…旗帜，为…而奋斗); a line with more is a sentence that happens to end
    with one (…，请各位代表审议，并请全国政协委员提出意见)."""
    return (
        len(line) <= 60
        and line[-1] not in TERMINAL + "：:，,"
        and bool(TITLE_WORDS.search(line))
        and len(_COMMAS.findall(line)) <= 1
    )


def is_prose(line: str) -> bool:
    """A sentence of the body: it closes with sentence punctuation and has a comma or some
    length (a short exclamation such as a site's greeting is not the body yet)."""
    line = line.rstrip()
    return bool(line) and line[-1] in TERMINAL and (len(line) > 30 or bool(_COMMAS.search(line)))


def unspace(line: str) -> str:
    """Undo letter-spacing: 政 府 工 作 报 告 → 政府工作报告, 习　近　平 → 习近平."""
    line = line.strip()
    return re.sub(r"[ \u3000]+", "", line) if _SPACED.fullmatch(line) else line


def congress_of(text: str) -> int | None:
    """The Party congress a title names: 第十七次全国代表大会 or Wikisource's "(十七大)"."""
    m = vocab.CONGRESS_NAME.search(text) or vocab.CONGRESS_TAG.search(text)
    return cn_number(m.group(1)) if m else None


def strip_tag(title: str) -> str:
    """A corpus row's title without Wikisource's disambiguator: 论联合政府 (七大) → 论联合政府."""
    return vocab.CONGRESS_TAG.sub("", title).strip()


# --------------------------------------------------------------------------------------------
# issuer, speaker and venue named in a title

_ORG_END = r"(?:党|组织|委员会|政府|协会|学会|科协|院|厅|局|部|委|办公室|办|中心|会|社|联合会)"
_REPORT_OF = re.compile(rf"^(.{{2,24}}?{_ORG_END})(?:的)?(?:政府工作|工作|政治)?报告$")
_BEFORE_ABOUT = re.compile(r"^(.{2,30}?)关于")
_BEFORE_YEAR = re.compile(rf"^(.{{2,30}}?)(?:{vocab.YEAR})\s*年")
# A speech-type report: "[speaker]在<venue>上的[…]报告", or a dated subtitle "<date>在<venue>上".
VENUE = re.compile(
    rf"^(?:(?P<speaker>[{_CJK}]{{2,4}}))?在(?P<venue>.+?)上(?:的(?P<noun>.{{0,8}}报告))?$"
)


def venue_of(text: str) -> tuple[str, str, str] | None:
    """(speaker, venue, report noun) of "陈独秀在…大会上的报告" / "2016年2月19日在…会议上"."""
    t = vocab.DATE.sub("", text.replace(" ", ""), count=1).lstrip("，,")
    m = VENUE.match(t)
    if not m or not re.search(r"([会會][议議]|大[会會]|代表[会會])$", m.group("venue")):
        return None
    return m.group("speaker") or "", m.group("venue"), m.group("noun") or ""


def title_issuer(title: str) -> str:
    """The issuer a title names: 南淮省科协办公室关于…, 南淮省科协2020年工作要点, 北京共产主义组织的报告."""
    t = title.replace(" ", "")
    for rx in (_BEFORE_ABOUT, _BEFORE_YEAR):
        m = rx.match(t)
        if m and not re.search(r"[《“”》，,]", m.group(1)):
            return m.group(1)
    m = _REPORT_OF.match(SUFFIX.sub("", vocab.YEAR_IN_NAME.sub("", t)))
    if m and m.group(1) not in ("政府", "人民政府"):
        return m.group(1)
    return ""


def names_issuer(title: str) -> bool:
    """A report title that names who reports: 北京共产主义组织的报告, …国务院政府工作报告."""
    t = SUFFIX.sub("", title.replace(" ", ""))
    return t.endswith("报告") and venue_of(t) is None and bool(title_issuer(t))


# --------------------------------------------------------------------------------------------
# genre

_GENRES = [
    ("work_points", re.compile(r"要点")),
    ("plan", re.compile(r"计划$")),
    ("report", re.compile(r"报告$")),
    (
        "notice",
        re.compile(r"(通知|意见|决定|决议|办法|方案|通报|函|公告|规定|细则|纲要|规划|总结|安排)$"),
    ),
]


def genre_of(*texts: str, default: str = "notice") -> str:
    """The genre the first text naming one names (title, then subtitle …); else `default`."""
    for text in texts:
        t = SUFFIX.sub("", (text or "").strip())
        for genre, rx in _GENRES:
            if rx.search(t):
                return genre
    return default


# --------------------------------------------------------------------------------------------
# file names

_NAME_YEAR = re.compile(rf"(?<!\d)({vocab.YEAR})(?!\d)")


def file_stem(name: str | None) -> str:
    """The user-visible stem of a file name ("" for a corpus row: data.jsonl#L3.json)."""
    if not name or "#" in name:
        return ""
    return PurePath(name).stem.strip()


def year_from_name(name: str | None) -> int | None:
    m = _NAME_YEAR.search(file_stem(name))
    return int(m.group(1)) if m else None
