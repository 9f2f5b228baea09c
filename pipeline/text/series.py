"""The series a document belongs to, derived from the parsed Document (no hand-holding).

Rule (docs/data.md, "Series"):

1. A speech-type report belongs to the meeting it is delivered to, year after year: its key is the
   venue, "在<venue>上的报告", with ordinals (第十九次, 第十七届, 第五次) removed — from the
   subtitle (——在…会议上), from a title of that shape (在中国共产党第十一次全国代表大会上的政治报告),
   or from a corpus row's congress tag ("(十七大)"). Slogan titles change every year; the venue
   does not.
   A report whose title (or page title) names who reports keeps that title instead:
   北京共产主义组织的报告, 中华人民共和国国务院政府工作报告.
2. Anything else: the title stem — the title with its year (2019年, 2019年度, 二〇一九年), ordinals,
   letter-spacing, a 关于印发《…》的通知 wrapper and a (摘要) suffix removed.
3. A generic stem (政府工作报告, 工作要点 …) is prefixed with the issuer, so two issuers' yearly
   reports do not merge; a stem without a genre noun gets the genre's noun.

`ingest --series` (a manifest record with `series_override`) still overrides the key.
"""

from __future__ import annotations

import re

from policytrack.pipeline.text import vocab
from policytrack.pipeline.text.normalize import normalize
from policytrack.pipeline.text.normalize import series_key as title_series_key
from policytrack.pipeline.text.title import SUFFIX, names_issuer, venue_of

_ORDINAL = re.compile(r"第?[一二三四五六七八九十百零〇\d]+[届次]")
_CN_YEAR = re.compile(rf"[{vocab.CN_YEAR_DIGITS}]{{4}}\s*年度?")
GENERIC = {"政府工作报告", "工作报告", "报告", "工作要点", "要点", "工作计划", "计划", "工作总结",
           "总结", "工作安排", "工作方案", "通知"}  # fmt: skip
NOUN = {"work_points": "工作要点", "report": "报告", "plan": "计划", "notice": "通知"}
_NOUNS = re.compile(r"(要点|报告|计划|通知|意见|方案|安排|总结|决定|决议|纲要|规划|办法)$")


def without_ordinals(text: str) -> str:
    return _ORDINAL.sub("", text)


def title_stem(title: str) -> str:
    t = _CN_YEAR.sub("", normalize(title))
    t = title_series_key(SUFFIX.sub("", t))
    return "" if t == "untitled" else without_ordinals(t)


def venue_key(venue: str) -> str:
    return f"在{without_ordinals(venue.replace(' ', ''))}上的报告"


def series_key(
    *, title: str, genre: str, issuer: str = "", venue: str = "", page_title: str = ""
) -> str:
    """The default series key of a document (see the module docstring for the rule)."""
    if genre == "report":
        in_title = venue_of(title)
        if in_title:
            return venue_key(in_title[1])
        # A title naming who reports (the document's, or the page's when the document's own is
        # generic: 政府工作报告 under 2024年中华人民共和国国务院政府工作报告) beats the venue.
        named = next((t for t in (title, page_title) if t and names_issuer(t)), None)
        if named:
            return title_stem(named)
        if venue:
            return venue_key(venue)
    stem = title_stem(title)
    who = without_ordinals(issuer.split("、")[0]) if issuer else ""
    if (not stem or stem in GENERIC) and who:
        stem = who + (stem or NOUN.get(genre, ""))
    if stem and not _NOUNS.search(stem):
        stem += NOUN.get(genre, "")
    return stem or "untitled"
