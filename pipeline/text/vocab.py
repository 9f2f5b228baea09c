"""The vocabulary of dates, years, document numbers and page meta lines: one definition each.

Used by the parser (header fields), the crawler (list and detail pages), series keys and the
similarity mask. Patterns accept traditional characters where a page may use them (來源, 發布).
"""

from __future__ import annotations

import re

YEAR = r"(?:19|20)\d{2}"  # a four-digit year of the documents' era
CN_YEAR_DIGITS = "〇○零一二三四五六七八九"

# A year followed by 年 or a range dash: the plan year in a title (2019年, 2016—2020).
TITLE_YEAR = re.compile(rf"({YEAR})\s*(?:年|—|-|－|～|~|至)")
# The same written in Chinese numerals: 二〇一九年.
TITLE_YEAR_CN = re.compile(rf"([{CN_YEAR_DIGITS}]{{4}})\s*年")
# What a series key drops from a title: the year and what binds it (2019年度, 2016—).
YEAR_IN_NAME = re.compile(rf"{YEAR}\s*(?:年度|年|—|-|－)?")
# Plan years masked when comparing texts (办好2019年科技活动周 = 办好2020年科技活动周).
YEAR_MASK = re.compile(rf"{YEAR}(?=\s*(?:年|—|-|－|～|~))")
_NON_WORD = re.compile(r"[\W_]+")


def match_form(text: str) -> str:
    """Lower-cased text with plan years, punctuation and spaces removed: the form texts and terms
    are compared in. Plan years change every year in recurring items ("办好2019年科技活动周");
    they are masked so a year-only change is not an edit. Other numbers (targets, amounts) stay:
    they are real changes."""
    if not text:
        return ""
    return _NON_WORD.sub("", YEAR_MASK.sub("", text.lower()))


# 2019-03-18, 2019/3/18, 2019.3.18, 2019年3月18日, with an optional time 14:41(:05).
DATE = re.compile(rf"({YEAR})\s*[-/.年]\s*(\d{{1,2}})\s*[-/.月]\s*(\d{{1,2}})\s*日?")
DATETIME = re.compile(
    rf"({YEAR})\s*[-/.年]\s*(\d{{1,2}})\s*[-/.月]\s*(\d{{1,2}})\s*日?"
    r"(?:\s*(\d{1,2})[:：](\d{2})(?:[:：]\d{2})?)?"
)
# A signing date alone on its line: 2019年3月12日, or 二〇一九年三月十二日.
SIGN_DATE = re.compile(rf"^({YEAR})\s*年\s*(\d{{1,2}})\s*月\s*(\d{{1,2}})\s*日$")
SIGN_DATE_CN = re.compile(
    rf"^([{CN_YEAR_DIGITS}]{{4}})年([一二三四五六七八九十]{{1,2}})月([一二三四五六七八九十]{{1,3}})日$"
)
# The publishing department on a page's meta line: 文章来源: 省科协办公室.
DEPARTMENT = re.compile(
    r"(?:文章[来來]源|信息[来來]源|[来來]源|[发發]布(?:单位|單位)|[发發]布[机機][构構]|[发發]文[机機][关關])"
    r"\s*[:：]\s*([^\s|｜<>]{1,40})"
)
# A document number alone on its line: 鄂科协办〔2019〕22号.
DOC_NUMBER = re.compile(
    rf"^([\u4e00-\u9fffA-Za-z]{{1,16}})\s*[〔［\[【（(]\s*({YEAR})\s*[〕］\]】）)]\s*第?\s*(\d{{1,4}})\s*号$"
)


def iso_date(year: int | str, month: int | str, day: int | str) -> str:
    return f"{int(year):04d}-{int(month):02d}-{int(day):02d}"


# Years a document of this kind can carry: the earliest Party congress report (1921) to next year
# (a work-points notice is published for the coming year). Everything that takes a year from a user,
# a file or a text checks it here, so an absurd year never reaches the store.
FIRST_YEAR = 1900


def plausible_year(year: int, today_year: int | None = None) -> bool:
    import datetime

    last = (today_year or datetime.date.today().year) + 1
    return FIRST_YEAR <= year <= last


# The National Congresses of the Communist Party of China and the year each met (historical fact,
# used when a report names its congress but carries no date: "(十七大)", "第十七次全国代表大会").
CONGRESS_YEARS = {
    1: 1921, 2: 1922, 3: 1923, 4: 1925, 5: 1927, 6: 1928, 7: 1945, 8: 1956, 9: 1969, 10: 1973,
    11: 1977, 12: 1982, 13: 1987, 14: 1992, 15: 1997, 16: 2002, 17: 2007, 18: 2012, 19: 2017,
    20: 2022,
}  # fmt: skip
# "中国共产党第十七次全国代表大会" in a title or subtitle, and Wikisource's "(十七大)" disambiguator.
CONGRESS_NAME = re.compile(r"中国共产党第([一二三四五六七八九十]+)次全国代表大会")
CONGRESS_TAG = re.compile(r"\s*[（(]\s*([一二三四五六七八九十]+)\s*大\s*[）)]\s*$")
# A date alone on its line in parentheses under a report's title: （2017年10月18日）.
DATE_LINE = re.compile(rf"^[（(]\s*({YEAR})\s*年\s*(\d{{1,2}})\s*月\s*(\d{{1,2}})\s*日\s*[）)]$")


def year_range(today_year: int | None = None) -> str:
    """The plausible years as written in messages: 1900–2027."""
    import datetime

    return f"{FIRST_YEAR}–{(today_year or datetime.date.today().year) + 1}"


def check_year(value, what: str) -> int | None:
    """A year as given (int, or digits in a string), within vocab.plausible_year; None for
    none given; ValueError naming `what` otherwise."""
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.strip().lstrip("-").isdigit() and len(value) < 30:
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{what} {str(value)[:24]!s} is not a year")
    if not plausible_year(value):
        shown = str(value) if len(str(value)) <= 24 else str(value)[:21] + "..."
        raise ValueError(f"{what} {shown} is not plausible ({year_range()})")
    return value
