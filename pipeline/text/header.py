"""Header fields and where each came from: title, subtitle, dates, document number, red header,
signature, speaker line, salutation and addressees; the issuer sentence of a speech-type report.

The reader classifies the lines before the body (and a signature after it, found by edges.py);
the parser then decides each field from the sources found, in the documented order of trust.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from policytrack.pipeline.text import vocab
from policytrack.pipeline.text.markers import cn_number, match_marker
from policytrack.pipeline.text.normalize import normalize
from policytrack.pipeline.text.title import (
    INNER_TITLE,
    TERMINAL,
    cn_year,
    is_prose,
    is_title_like,
    unspace,
    venue_of,
    year_from_title,
)


def meta_line(line: str) -> tuple[str | None, str | None] | None:
    """(published_at, department) when `line` is a page meta line, else None."""
    if len(line) > 120:
        return None
    m = vocab.DATETIME.search(line)
    dept = vocab.DEPARTMENT.search(line)
    if not (m or dept):  # most lines: nothing below can make them meta
        return None
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
    """A signing date alone on its line (2019年3月12日, 二〇一八年九月三日) as YYYY-MM-DD."""
    m = vocab.SIGN_DATE.match(line)
    if m:
        return vocab.iso_date(*m.groups())
    m = vocab.SIGN_DATE_CN.match(line)
    if m:
        return vocab.iso_date(cn_year(m.group(1)), cn_number(m.group(2)), cn_number(m.group(3)))
    return None


def date_line(line: str) -> str | None:
    """The date line under a report's title, （2017年1月15日）, as YYYY-MM-DD."""
    m = vocab.DATE_LINE.match(line.replace(" ", ""))
    return vocab.iso_date(*m.groups()) if m else None


SUBTITLE = re.compile(r"^(?:——|--|－－|—|－)+\s*(.+)$")
SALUTATION = re.compile(
    r"^(各位代表|同志们|代表们|各位委员|女士们、先生们|同志们、朋友们)\s*[：:！!，,]?$"
)
_ROLE = (
    r"(?:省长|市长|区长|县长|州长|旗长|乡长|镇长|主席|主任|书记|总理|部长|厅长|局长|会长|理事长|"
    r"委员长|秘书长)"
)
# 区长 周明远 / 南淮省省长 陈立新 (role, a gap, the name) or a letter-spaced name 习 近 平.
SPEAKER = re.compile(
    rf"^(?P<role>\S{{0,14}}?{_ROLE})\s*(?P<name>[\u4e00-\u9fff](?: ?[\u4e00-\u9fff]){{1,3}})$"
)
SPACED_NAME = re.compile(r"^[\u4e00-\u9fff](?: [\u4e00-\u9fff]){1,3}$")
ROLE_LINE = re.compile(rf"^\S{{0,14}}{_ROLE}$")  # 国务院总理 (the name on the next line)
NAME = re.compile(r"^[\u4e00-\u9fff]{2,4}$")
# A subtitle without its dashes: 1957年6月26日在第一届全国人民代表大会第四次会议上
DATED_VENUE = re.compile(rf"^({vocab.YEAR}\s*年.{{0,40}}在.+上.*)$")
# 我代表区人民政府，向大会报告 / 我受十二届中央委员会委托，向大会作报告
I_REPRESENT = re.compile(
    r"我(?:代表|受)\s*([^，,。、；;！!：:“”]{2,24}?)\s*(?:委托)?\s*[，,]?\s*(?:向|作)"
)
_PLACE = re.compile(r"^(.{2,10}?[省市区县州旗])(?=第|人民代表大会|代表大会)")
_RED_SUFFIX = re.compile(r"\s*(?:\|\s*)?文\s*件$")


@dataclass
class Header:
    """What the lines before the body say, with the indices of the lines each field used."""

    title: str = ""
    title_source: str = ""
    page_title: str = ""
    subtitle: str = ""
    subtitle_date: str | None = None
    date_line: str | None = None
    venue: str = ""
    speaker: str = ""
    speaker_role: str = ""
    salutation: str = ""
    doc_number: str = ""
    published_at: str | None = None
    department: str = ""
    addressees: str = ""
    red_header: list[str] = field(default_factory=list)
    signers: list[str] = field(default_factory=list)
    signed_on: str | None = None
    body_issuer: str = ""  # the organisation of a 我代表… sentence, completed with its place
    used: set[int] = field(default_factory=set)
    title_end: int = 0  # the preamble starts here
    anchor: int | None = None  # the subtitle or date line of a speech-type report
    addressees_at: int | None = None
    salutation_at: int | None = None
    signed_at: int | None = None


def _is_prose(line: str) -> bool:
    return len(line) > 60 or line[-1] in TERMINAL


def _titleish(line: str) -> bool:
    t = unspace(line)
    return 0 < len(t) <= 40 and t[-1] not in TERMINAL + "：:，," and match_marker(t) is None


def split_signers(orig: str) -> list[str]:
    """Issuers signing side by side on one line, apart by a wide gap (or one space in a PDF)."""
    parts = [normalize(p) for p in re.split(r"[ \t\u3000\xa0]+", orig.strip()) if p.strip()]
    if len(parts) > 1 and all(len(p) >= 4 for p in parts):
        return parts
    return [normalize(unspace(orig))]


def read_header(norm: list[str], orig: list[str], gaps: list[bool]) -> Header:
    """Classify the header lines (normalised, as found, blank-line-before flags)."""
    h = Header()
    prose = False
    for i, p in enumerate(norm):
        if _read_line(h, i, p, orig, prose):
            h.used.add(i)
        elif _is_prose(p):
            prose = True
    _read_red_header(h, norm)
    _read_title(h, norm, gaps)
    if h.subtitle and (v := venue_of(h.subtitle)):
        h.venue = v[1]
    h.body_issuer = _body_issuer(h, norm)
    return h


def _read_line(h: Header, i: int, p: str, orig: list[str], prose: bool) -> bool:
    """Record what line `i` is; True when it is used up by a header field."""
    meta = meta_line(p)
    if meta and (meta[0] or meta[1]) and h.published_at is None and not sign_date(p):
        h.published_at, dept = meta
        h.department = dept or h.department
        return True
    if not h.doc_number and vocab.DOC_NUMBER.match(p.replace(" ", "")):
        h.doc_number = p.replace(" ", "")
        return True
    if (d := sign_date(p)) and h.signed_on is None:
        h.signed_on, h.signed_at = d, i
        s = i
        while s > 0 and i - s < 3 and s - 1 not in h.used and is_signer(orig[s - 1]):
            s -= 1
        h.signers = [n for k in range(s, i) for n in split_signers(orig[k])]
        h.used.update(range(s, i))
        return True
    if not prose:
        m = SUBTITLE.match(p) or (DATED_VENUE.match(p) if venue_of(p) else None)
        if m and not h.subtitle:
            h.subtitle = m.group(1).strip()
            h.anchor = i if h.anchor is None else h.anchor
            if dm := vocab.DATE.search(h.subtitle):
                h.subtitle_date = vocab.iso_date(*dm.groups())
            return True
        if (d := date_line(p)) and h.date_line is None:
            h.date_line = d
            h.anchor = i if h.anchor is None else h.anchor
            return True
        if SALUTATION.match(p):
            h.salutation = h.salutation or p.rstrip("：:！!，,")
            h.salutation_at = i if h.salutation_at is None else h.salutation_at
            return True
        if i and not h.speaker and ROLE_LINE.match(p):
            h.speaker_role = p
            return True
        name = unspace(p)
        if i and not h.speaker and (h.speaker_role or h.anchor is not None) and NAME.match(name):
            h.speaker = name
            return True
        if i and not h.speaker and (m := SPEAKER.match(p)):
            h.speaker_role, h.speaker = m.group("role"), m.group("name").replace(" ", "")
            return True
        if i and not h.speaker and SPACED_NAME.match(p):
            h.speaker = unspace(p)
            return True
        if not h.addressees and p[-1] in "：:" and len(p) < 200:
            h.addressees, h.addressees_at = p[:-1].strip(), i
            return True
    return False


_SIGNER_MAX = 40


def is_signer(text: str) -> bool:
    """An issuer line of a signature block: short, no sentence punctuation, not numbered."""
    text = text.strip()
    return (
        0 < len(text) <= _SIGNER_MAX
        and not re.search(r"[。，,：:；;！？、（）()《》“”]", text)
        and match_marker(text) is None
        and sign_date(text) is None
    )


def _read_red_header(h: Header, norm: list[str]) -> None:
    """Issuers stacked above 文件 before the document number (a joint notice has several)."""
    k = next((i for i, p in enumerate(norm) if vocab.DOC_NUMBER.match(p.replace(" ", ""))), None)
    if k is None or not any(_RED_SUFFIX.search(p) for p in norm[:k]):
        return
    for i in range(k):
        if i in h.used:
            continue
        name = unspace(_RED_SUFFIX.sub("", norm[i]).strip())
        h.used.add(i)
        if name and name not in h.red_header:
            h.red_header.append(name)


def _read_title(h: Header, norm: list[str], gaps: list[bool]) -> None:
    title_at = _speech_title(h, norm, gaps)
    page_at = None
    if title_at is None:
        title_at, page_at = _notice_title(h, norm)
    # The preamble starts after the title line, else after the signature, else the page title.
    for at in (title_at, h.signed_at, page_at):
        if at is not None:
            h.title_end = at + 1
            break


def _speech_title(h: Header, norm: list[str], gaps: list[bool]) -> int | None:
    """A speech-type report: the lines right above the subtitle or date line are its title."""
    if h.anchor is None:
        return None
    start = h.anchor
    while (
        start > 0
        and h.anchor - start < 3
        and start - 1 not in h.used
        and _titleish(norm[start - 1])
    ):
        start -= 1
    if start == h.anchor:
        return None
    parts = [unspace(norm[k]) for k in range(start, h.anchor)]
    title = parts[0]
    for k, part in zip(range(start + 1, h.anchor), parts[1:], strict=True):
        title += (" " if gaps[k] else "") + part
    h.title, h.title_source = title, "title"
    h.used.update(range(start, h.anchor))
    return max(i for i in h.used if i < len(norm))


def _notice_title(h: Header, norm: list[str]) -> tuple[int | None, int | None]:
    """A notice: the first title-like line is the page's title (关于印发《X》的通知); the document's
    own title is the last title-like line with a year, or X (the seed repeats it under the cover
    letter), or else the page's title itself."""
    page_at = None
    before = [at for at in (h.addressees_at, h.salutation_at) if at is not None]
    for i, p in enumerate(norm):
        if i in h.used:
            continue
        t = unspace(p)
        if is_prose(t):
            break  # the body has begun: a title-like line below it is a heading (…基本总结)
        if is_title_like(t) and all(i < at for at in before):
            h.page_title, page_at = t, i
            h.used.add(i)
            break
    inner = INNER_TITLE.search(h.page_title)
    for i in range(len(norm) - 1, -1, -1):
        t = unspace(norm[i])
        if i in h.used:
            continue
        if (inner and t == inner.group(1)) or (is_title_like(t) and year_from_title(t)):
            h.title, h.title_source = t, "title"
            h.used.add(i)
            return i, page_at
    if inner:
        h.title, h.title_source = inner.group(1), "title"
    elif h.page_title:
        h.title, h.title_source = h.page_title, "title"
    return None, page_at


def _body_issuer(h: Header, norm: list[str]) -> str:
    """我代表区人民政府 → 区人民政府, completed with the place the subtitle or speaker names."""
    lines = [p for i, p in enumerate(norm) if i not in h.used and i >= h.title_end][:5]
    m = next((m for p in lines if (m := I_REPRESENT.search(p))), None)
    if not m:
        return ""
    org = m.group(1).strip().removesuffix("的")
    if org[0] in "省市区县州旗" and len(org) > 1:
        place = ""
        if pm := _PLACE.match(h.venue or ""):
            place = pm.group(1)
        elif h.speaker_role and (rm := re.match(r"^(.{2,10}?[省市区县州])", h.speaker_role)):
            place = rm.group(1)
        if place.endswith(org[0]):
            org = place + org[1:]
    return org
