"""Text normalisation kept beside the original: traditional → simplified, full-width → half-width
digits and letters, whitespace; and the series key of a title."""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable
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
# Runs of characters _FW_TABLE changes: most lines have none, and str.translate looks every
# character of a line up in the table (~20 ns each), so only the runs are translated. Written
# [..][..]* rather than [..]+: a leading character class lets the engine skip ahead to it.
_FW_CLASS = "[" + "".join(re.escape(chr(c)) for c in sorted(_FW_TABLE)) + "]"
_FW_RUN = re.compile(f"{_FW_CLASS}{_FW_CLASS}*")

_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
_SPACES = re.compile(r"[ \t\r\f\v]+")


@functools.cache
def _ts_tables() -> tuple[frozenset[str], Callable[[str], str]]:
    """Traditional-only characters (for detection) and the phrase-aware t2s converter."""
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
    return frozenset(trad - simp), _T2S(opencc.OpenCC("t2s")).convert


class _T2S:
    """opencc's t2s conversion, same output, without its pure-Python parse tree (a dozen dict
    lookups per character: the parse stage's largest cost on traditional documents).

    opencc splits the text at separators and in each piece replaces, greedily by length and
    then position, the longest phrase (TSPhrases) found, then converts the characters left
    between phrases one by one (TSCharacters; first value of a multi-valued entry). No key holds
    a separator character (checked here), so the whole text is matched at once: the phrase
    matches are found with one scan for their first characters, chosen in the same order, and
    the rest goes through str.translate. Any other dictionary layout: opencc's own convert.
    """

    def __init__(self, converter) -> None:
        converter.convert("")  # loads the dictionaries
        self.convert: Callable[[str], str] = converter.convert
        chain = converter._dict_chain_data
        if len(chain) != 1 or len(chain[0]) != 2:
            return
        (_, _, phrases), (c_max, c_min, chars) = chain[0]
        separators = converter.split_chars_re
        if (c_max, c_min) != (1, 1) or any(separators.search(k) for k in [*phrases, *chars]):
            return
        self.phrases = {k: v.split(" ")[0] for k, v in phrases.items()}
        self.starts: dict[str, list[str]] = {}
        for k in self.phrases:
            self.starts.setdefault(k[0], []).append(k)
        self.start_rx = re.compile("[" + "".join(map(re.escape, sorted(self.starts))) + "]")
        self.table = str.maketrans({k: v.split(" ")[0] for k, v in chars.items()})
        self.convert = self._convert

    def _convert(self, text: str) -> str:
        found = [
            (-len(k), m.start(), k)
            for m in self.start_rx.finditer(text)
            for k in self.starts[m.group()]
            if text.startswith(k, m.start())
        ]
        if not found:
            return text.translate(self.table)
        taken: list[tuple[int, int, str]] = []  # longest first, then leftmost; no overlaps
        used = bytearray(len(text))  # 1 where a taken phrase lies (not a scan of all taken)
        for neg, at, key in sorted(found):
            if used.find(1, at, at - neg) < 0:
                used[at : at - neg] = b"\x01" * -neg
                taken.append((at, at - neg, key))
        out, pos = [], 0
        for a, b, key in sorted(taken):
            out += [text[pos:a].translate(self.table), self.phrases[key]]
            pos = b
        out.append(text[pos:].translate(self.table))
        return "".join(out)


def is_traditional(text: str, threshold: float = 0.02, min_hits: int = 5) -> bool:
    """True when enough characters are traditional-only to call the text traditional Chinese.

    A short text (a title) needs a lower `min_hits` and a higher `threshold`."""
    text = text[:20000]
    hits = len(_traditional_only().findall(text))
    if hits < min_hits:  # most texts: no need to count their CJK characters (3x the cost)
        return False
    cjk = sum(map(len, _CJK_RUN.findall(text)))  # runs, not one string per character
    return bool(cjk) and hits / cjk >= threshold


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
    _, convert = _ts_tables()
    return convert(text)


def fold_width(text: str) -> str:
    return _FW_RUN.sub(_fold_run, text)


def _fold_run(m: re.Match) -> str:
    return m.group().translate(_FW_TABLE)


def clean_spaces(text: str) -> str:
    """Drop runs of 2+ spaces between CJK characters (layout padding), collapse the rest.

    A single space between CJK words is kept: official titles use it (关于深化改革 培育…的意见).
    """
    if "  " not in text and text.isprintable():  # no run to drop or collapse (\t\r\f\v are not)
        return text.strip()
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
        text = _ts_tables()[1](text)
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
