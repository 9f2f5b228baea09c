"""Priority terms in a document: quoted slogans, book titles, numbered formulas, watched terms.

Counting rule (docs/terms.md): a term's `count` is the number of its mentions in the body
(preamble and sections; the notice header and cover letter are not priorities). A term of three or
more characters is counted wherever it occurs, quoted or not; a one- or two-character term
(“稳”, “七五”) only where it is quoted, since as a bare substring it matches unrelated words.
Book titles are counted only inside 《》.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import re
from collections.abc import Iterable
from importlib import resources

from policytrack.pipeline.text.model import Document, TermHit
from policytrack.pipeline.text.normalize import normalize

# Paired quotes: “…” 「…」 『…』 and straight "…" (mirror sites and Word exports use them).
_QUOTES = [
    re.compile(r"“([^“”\n]{1,30})”"),
    re.compile(r"「([^「」\n]{1,30})」"),
    re.compile(r"『([^『』\n]{1,30})』"),
    re.compile(r'"([^"\n]{1,30})"'),
]
_BOOK = re.compile(r"《([^《》\n]{1,80})》")
# A quotation with sentence punctuation is reported speech, not a slogan.
_NOT_SLOGAN = re.compile(r"[。！？!?；;，,：:]")
_HAS_WORD = re.compile(r"[\u4e00-\u9fff0-9A-Za-z]")
_NUMERAL = "一二三四五六七八九十两百千万双"  # 双: 双碳, 双减, 双循环, 双一流
_FORMULA_START = re.compile(rf"^(?:[{_NUMERAL}]+|\d+)[\u4e00-\u9fff+＋]")
_FORMULA_ANY = re.compile(rf"[{_NUMERAL}\d]")
MIN_FREE_LEN = 3  # terms shorter than this are only counted when quoted

KIND_RANK = {"book": 0, "formula": 1, "quote": 2, "watch": 3}


@functools.cache
def builtin_formulas() -> tuple[str, ...]:
    """Well-known numbered formulas, recognised even when not quoted (pipeline/data/formulas.txt)."""
    text = (
        resources.files("policytrack.pipeline")
        .joinpath("data/formulas.txt")
        .read_text(encoding="utf-8")
    )
    return tuple(
        ln.strip() for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")
    )


@functools.cache
def _formula_scan() -> tuple[re.Pattern, tuple[str, ...]]:
    """The built-in formulas as one regex, longest first, and those its matches may hide: a
    formula inside another, or starting inside another's end (一带一路 hides 路X)."""
    formulas = builtin_formulas()
    rx = re.compile("|".join(map(re.escape, sorted(formulas, key=len, reverse=True))) or "(?!)")
    hidden = tuple(
        f
        for f in formulas
        if any(g != f and (f in g or any(f.startswith(g[i:]) for i in range(1, len(g))))
               for g in formulas)
    )  # fmt: skip
    return rx, hidden


def builtin_formulas_in(text: str) -> set[str]:
    """The built-in formulas that occur in `text`: one scan instead of one per formula. The
    scan reports every formula at the occurrences no other match covers; the others are
    looked up one by one."""
    rx, hidden = _formula_scan()
    return set(rx.findall(text)) | {f for f in hidden if f in text}


def is_formula(term: str) -> bool:
    """Numbered formulas: 四个意识, 三大攻坚战, 3+1, 一芯两带三区, 三去一降一补, 十四五."""
    if len(term) > 12:
        return False
    if _FORMULA_START.match(term) or re.fullmatch(r"\d+\s*[+＋]\s*\d+", term):
        return True
    return len(_FORMULA_ANY.findall(term)) >= 2


def marked_spans(text: str) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """(start, end) of the inside of every quote pair, and of every 《》 title, in `text`."""
    quoted = [m.span(1) for rx in _QUOTES for m in rx.finditer(text)]
    titled = [m.span(1) for m in _BOOK.finditer(text)]
    return quoted, titled


def quoted_candidates(units: Iterable[tuple[str, str]]) -> dict[str, tuple[str, list[str]]]:
    """term → (kind, paths of its quoted or titled occurrences) for the quotes, book titles and
    numbered formulas written in `units` ((path, text) pairs); the strongest kind wins.

    The patterns are run over the units' joined text (no mark spans a newline, so the matches
    are the units' own) and the mentions noted unit by unit, titles before quotes in pattern
    order: the order, and so the dicts, of one run per unit and pattern (5 per unit before).
    """
    units = list(units)
    full, starts = joined(units)
    found: list[tuple[int, int, int, str, str]] = []  # (unit, pattern, start, term, kind)
    for m in _BOOK.finditer(full):
        term = m.group(1).strip()
        if _HAS_WORD.search(term):
            found.append((bisect.bisect_right(starts, m.start()) - 1, 0, m.start(), term, "book"))
    for r, rx in enumerate(_QUOTES, 1):
        for m in rx.finditer(full):
            term = m.group(1).strip()
            if not term or _NOT_SLOGAN.search(term.replace("、", "")) or not _HAS_WORD.search(term):
                continue
            kind = "formula" if is_formula(term) else "quote"
            found.append((bisect.bisect_right(starts, m.start()) - 1, r, m.start(), term, kind))
    found.sort(key=lambda f: f[:3])

    kinds: dict[str, str] = {}
    titled: dict[str, list[str]] = {}
    quoted: dict[str, list[str]] = {}
    for unit, _, _, term, kind in found:
        if term not in kinds or KIND_RANK[kind] < KIND_RANK[kinds[term]]:
            kinds[term] = kind
        (titled if kind == "book" else quoted).setdefault(term, []).append(units[unit][0])
    # A book title keeps its titled mentions only (the book kind wins).
    return {t: (k, titled[t] if k == "book" else quoted[t]) for t, k in kinds.items()}


def joined(units: list[tuple[str, str]]) -> tuple[str, list[int]]:
    """The units' texts joined by newlines, and where each starts in it."""
    starts = list(itertools.accumulate((len(t) + 1 for _, t in units[:-1]), initial=0))
    return "\n".join(t for _, t in units), starts


def mention_paths(
    term: str, units: list[tuple[str, str]], full: str, starts: list[int]
) -> list[str]:
    """The path of each mention of `term` (non-overlapping, as str.count counts them) in
    `units`; `full` is their texts joined by newlines, units[k] starting at full[starts[k]].

    One scan of `full` instead of a count per unit (most terms occur in few of hundreds of
    units). A term without a newline cannot span two units, so its mentions in `full` are the
    units' own, in the same left-to-right order.
    """
    if "\n" in term:
        return [path for path, text in units for _ in range(text.count(term))]
    paths, at = [], full.find(term)
    while at >= 0:
        paths.append(units[bisect.bisect_right(starts, at) - 1][0])
        at = full.find(term, at + len(term))
    return paths


def extract_terms(doc: Document, watch: Iterable[str] = ()) -> list[TermHit]:
    units = doc.own_texts()
    watched = {t for t in (normalize(w) for w in watch) if t}
    found = quoted_candidates(units)
    kinds = {t: k for t, (k, _) in found.items()}
    books = {t: p for t, (k, p) in found.items() if k == "book"}
    quoted = {t: p for t, (k, p) in found.items() if k != "book"}

    full, starts = joined(units)
    present = builtin_formulas_in(full)
    for term in builtin_formulas():
        if term not in kinds and term in present:
            kinds[term] = "formula"
    for term in watched:
        if term not in kinds and term in full:
            kinds[term] = "watch"

    hits = []
    for term, kind in kinds.items():
        if kind == "book":
            paths = books[term]
        elif len(term) < MIN_FREE_LEN and term not in watched:
            paths = quoted.get(term, [])
        else:
            paths = mention_paths(term, units, full, starts)
        if paths:
            hits.append(TermHit(term, kind, len(paths), list(dict.fromkeys(paths))))
    order = {p: i for i, (p, _) in enumerate(units)}
    hits.sort(key=lambda h: (order.get(h.paths[0], 0), h.term))
    return hits
