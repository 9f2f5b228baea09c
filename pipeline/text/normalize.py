"""Text normalisation kept beside the original: traditional → simplified, full-width → half-width
digits and letters, whitespace; and the series key of a title."""

from __future__ import annotations

import functools
import re
import unicodedata
from pathlib import Path

from policytrack.pipeline.text import vocab

# Full-width digits and Latin letters (and the full-width space) → ASCII. Chinese punctuation stays:
# quotes and 《》 carry meaning for term extraction.
_FW = {c: c - 0xFEE0 for c in range(0xFF10, 0xFF1A)}
_FW.update({c: c - 0xFEE0 for c in range(0xFF21, 0xFF3B)})
_FW.update({c: c - 0xFEE0 for c in range(0xFF41, 0xFF5B)})
_FW.update({0xFF0B: ord("+"), 0xFF0E: ord("."), 0x3000: ord(" "), 0xFF05: ord("%")})
# Invisible characters that break matching (zero-width space/joiners, BOM, soft hyphen).
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_FW_TABLE = {**_FW, **_INVISIBLE, 0xA0: ord(" ")}
# Any character _FW_TABLE changes: most lines have none, and a scan is cheaper than translate.
_FW_ANY = re.compile("[" + "".join(re.escape(chr(c)) for c in sorted(_FW_TABLE)) + "]")

_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
_SPACES = re.compile(r"[ \t\r\f\v]+")


@functools.cache
def _ts_tables() -> tuple[frozenset[str], object]:
    """Traditional-only characters (for detection) and opencc's phrase-aware converter."""
    import opencc

    dict_dir = Path(opencc.__file__).parent / "dictionary"
    trad, simp = set(), set()
    for line in (dict_dir / "TSCharacters.txt").read_text(encoding="utf-8").splitlines():
        key, _, values = line.partition("\t")
        targets = values.split()
        if len(key) == 1 and targets and targets[0] != key:
            trad.add(key)
            simp.update(targets)
    # A character that is also a simplified form (著, 乾, 後 ...) proves nothing about the script.
    return frozenset(trad - simp), opencc.OpenCC("t2s")


def is_traditional(text: str, threshold: float = 0.02, min_hits: int = 5) -> bool:
    """True when enough characters are traditional-only to call the text traditional Chinese.

    A short text (a title) needs a lower `min_hits` and a higher `threshold`."""
    text = text[:20000]
    cjk = sum(map(len, _CJK_RUN.findall(text)))  # runs, not one string per character
    if not cjk:
        return False
    hits = len(_traditional_only().findall(text))
    return hits >= min_hits and hits / cjk >= threshold


@functools.cache
def _traditional_only() -> re.Pattern:
    """The traditional-only characters of the CJK block as one character class (a C scan
    instead of a set lookup per character)."""
    trad_only, _ = _ts_tables()
    chars = sorted(c for c in trad_only if _CJK_RUN.fullmatch(c))
    return re.compile("[" + "".join(map(re.escape, chars)) + "]" if chars else "(?!)")


def to_simplified(text: str) -> str:
    """Convert to simplified only when the text is detected as traditional.

    Converting simplified text character by character would corrupt it (著作 → 着作), and the
    converter is slow, so the cheap detector guards it.
    """
    if not is_traditional(text):
        return text
    _, converter = _ts_tables()
    return converter.convert(text)


def fold_width(text: str) -> str:
    return text.translate(_FW_TABLE) if _FW_ANY.search(text) else text


def clean_spaces(text: str) -> str:
    """Drop runs of 2+ spaces between CJK characters (layout padding), collapse the rest.

    A single space between CJK words is kept: official titles use it (关于深化改革 培育…的意见).
    """
    text = re.sub(
        r"(?<=[\u3000-\u9fff\uff00-\uffef])[ \t]{2,}(?=[\u3000-\u9fff\uff00-\uffef])", "", text
    )
    return _SPACES.sub(" ", text).strip()


def normalize(text: str, *, simplified: bool | None = None) -> str:
    """The normal form used for matching: NFC, simplified, half-width digits/letters, tidy spaces.

    `simplified`: pass the result of is_traditional() for the whole document to avoid per-line
    detection (a short line carries too little evidence).
    """
    text = unicodedata.normalize("NFC", text)
    text = fold_width(text)
    if simplified is None:
        text = to_simplified(text)
    elif simplified:
        text = _ts_tables()[1].convert(text)
    return clean_spaces(text)


# "关于印发《…》的通知", also with the issuer in front: "中国科协关于印发《…》的通知".
_WRAP_RE = re.compile(r"^.{0,30}?关于(?:印发|转发|下发)?[《“](.+?)[》”]的通知$")
_SUFFIX_RE = re.compile(r"[（(](?:摘要|草案|全文|修订稿|征求意见稿|节选)[）)]$")


def series_key(title: str) -> str:
    """The series a notice belongs to: its title without the year, normalised.

    省科协2019年工作要点 → 省科协工作要点; 关于印发《全省科普2020年工作要点》的通知 → 全省科普工作要点.
    """
    t = normalize(title)
    m = _WRAP_RE.match(t)
    if m:
        t = m.group(1)
    t = _SUFFIX_RE.sub("", t)
    t = vocab.YEAR_IN_NAME.sub("", t)
    t = re.sub(r"[\s《》“”\"]", "", t)
    return t or "untitled"
