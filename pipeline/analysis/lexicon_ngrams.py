"""Character n-gram statistics for unquoted phrase discovery (docs/terms.md, "Phrases").

Two passes over the corpus, one document at a time; memory is bounded by the candidate tables,
never by the corpus text:

1. `NgramCounter.add` hashes every n-gram of length 1 … `max_len + 1` of a document's word runs
   (CJK characters, ASCII digits and letters; punctuation ends a run) to a 64-bit polynomial key
   and keeps, per length, sorted arrays of (key, total count, document frequency).
2. `CandidateStats.add` re-hashes the n-grams of length `min_len … max_len` that passed the
   recurrence filter and collects, per candidate: its string, per-document counts, and its left
   and right neighbour characters (for branching entropy). Cohesion (PMI) is looked up in the
   pass-1 tables.

Keys are hashes, so two different strings could share a key (about 1 in 10^12 at GWR scale);
every phrase that survives is recounted from its string by the counting step, so a collision can
at worst add a candidate, never a wrong count.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

_RUN = re.compile(r"[\u4e00-\u9fff0-9A-Za-z]+")
_B = np.uint64(0x9E3779B97F4A7C15)  # odd: invertible mod 2^64
_MASK = (1 << 64) - 1
BOUNDARY = 0  # the separator code between runs


def encode(text: str) -> np.ndarray:
    """Code points of the text's word runs joined by 0 (a separator no n-gram may cross)."""
    runs = _RUN.findall(text)
    if not runs:
        return np.zeros(0, dtype=np.uint64)
    joined = "\x00".join(runs)
    return np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)


def key_of(s: str) -> int:
    """The 64-bit key of a string (the same polynomial hash the tables use)."""
    k = 0
    b = int(_B)
    for ch in s:
        k = (k * b + ord(ch)) & _MASK
    return k


def _windows(codes: np.ndarray, max_n: int):
    """(n, keys, valid) for n = 1 … max_n: keys[i] is the key of codes[i:i+n]."""
    if len(codes) == 0:
        return
    csep = np.concatenate([[0], np.cumsum(codes == BOUNDARY)])
    key = np.zeros(len(codes), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for n in range(1, max_n + 1):
            m = len(codes) - n + 1
            if m <= 0:
                return
            key = key[:m] * _B + codes[n - 1 : n - 1 + m]
            valid = (csep[n : n + m] - csep[:m]) == 0
            yield n, key, valid


@dataclass
class _Table:
    keys: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.uint64))
    freq: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    df: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    def merge(self, keys: np.ndarray, freq: np.ndarray, df: np.ndarray) -> None:
        k = np.concatenate([self.keys, keys])
        u, inv = np.unique(k, return_inverse=True)
        self.freq = np.bincount(inv, weights=np.concatenate([self.freq, freq]), minlength=len(u))
        self.df = np.bincount(inv, weights=np.concatenate([self.df, df]), minlength=len(u))
        self.freq = self.freq.astype(np.int64)
        self.df = self.df.astype(np.int64)
        self.keys = u

    def lookup(self, keys: np.ndarray) -> np.ndarray:
        """Total counts of `keys` (0 where unknown)."""
        if len(self.keys) == 0:
            return np.zeros(len(keys), dtype=np.int64)
        i = np.minimum(np.searchsorted(self.keys, keys), len(self.keys) - 1)
        return np.where(self.keys[i] == keys, self.freq[i], 0)

    @property
    def nbytes(self) -> int:
        return self.keys.nbytes + self.freq.nbytes + self.df.nbytes


class NgramCounter:
    """Pass 1: total count and document frequency of every n-gram, by length."""

    def __init__(self, max_len: int, flush_every: int = 64):
        self.max_n = max_len + 1
        self.tables = {n: _Table() for n in range(1, self.max_n + 1)}
        self.total = 0  # characters seen (the PMI denominator)
        self.docs = 0
        self._pending: dict[int, list[tuple[np.ndarray, np.ndarray]]] = {n: [] for n in self.tables}
        self._flush_every = flush_every

    def add(self, text: str) -> None:
        codes = encode(text)
        self.total += int((codes != BOUNDARY).sum())
        self.docs += 1
        for n, keys, valid in _windows(codes, self.max_n):
            u, c = np.unique(keys[valid], return_counts=True)
            self._pending[n].append((u, c))
        if self.docs % self._flush_every == 0:
            self.flush()

    def flush(self) -> None:
        for n, parts in self._pending.items():
            if parts:
                keys = np.concatenate([p[0] for p in parts])
                freq = np.concatenate([p[1] for p in parts]).astype(np.int64)
                self.tables[n].merge(keys, freq, np.ones(len(keys), dtype=np.int64))
                parts.clear()

    def recurrent(self, n: int, min_count: int, min_docs: int, min_one_doc: int) -> np.ndarray:
        """Keys of length n seen `min_count` times and in `min_docs` documents (or, within one
        document, `min_one_doc` times)."""
        t = self.tables[n]
        ok = (t.freq >= min_count) & ((t.df >= min_docs) | (t.freq >= min_one_doc))
        return t.keys[ok]

    @property
    def nbytes(self) -> int:
        return sum(t.nbytes for t in self.tables.values())


class CandidateStats:
    """Pass 2: strings, per-document counts, neighbours and cohesion of the candidate keys."""

    def __init__(
        self,
        counter: NgramCounter,
        candidates: dict[int, np.ndarray],
        clean_left: Iterable[str] = (),
        clean_right: Iterable[str] = (),
    ):
        """`clean_left`/`clean_right`: words that mark a clean boundary when they stand just
        before/after a mention; such a neighbour counts as a distinct context, like punctuation."""
        self.counter = counter
        self._clean = (_keys_by_len(clean_left), _keys_by_len(clean_right))
        self.lengths = sorted(n for n, k in candidates.items() if len(k))
        self.keys = {n: np.sort(candidates[n]) for n in self.lengths}
        self.offset = {}
        total = 0
        for n in self.lengths:
            self.offset[n] = total
            total += len(self.keys[n])
        self.size = total
        self.strings: list[str | None] = [None] * total
        self.length = np.zeros(total, dtype=np.int64)
        for n in self.lengths:
            self.length[self.offset[n] : self.offset[n] + len(self.keys[n])] = n
        self.pmi = np.full(total, np.inf)
        self.numeric = np.zeros(total, dtype=np.int64)  # mentions followed by a digit
        self._doc_counts: list[tuple[np.ndarray, np.ndarray, int]] = []  # (idx, count, doc no)
        self._left: list[np.ndarray] = []  # (idx << 21 | code) per occurrence
        self._right: list[np.ndarray] = []
        self.docs = 0

    def add(self, text: str) -> int:
        """Collect one document; returns its number (the order of `add` calls)."""
        doc_no = self.docs
        self.docs += 1
        codes = encode(text)
        if len(codes) == 0 or not self.lengths:
            return doc_no
        by_len = {}
        max_n = self.lengths[-1]
        padded = np.concatenate([[BOUNDARY], codes, [BOUNDARY]]).astype(np.uint64)
        found = []
        for n, keys, valid in _windows(codes, max_n):
            by_len[n] = keys.copy()
            if n not in self.keys:
                continue
            cand = self.keys[n]
            pos = np.nonzero(valid)[0]
            k = keys[pos]
            i = np.minimum(np.searchsorted(cand, k), len(cand) - 1)
            hit = cand[i] == k
            pos, i = pos[hit], i[hit] + self.offset[n]
            if len(pos) == 0:
                continue
            u, first, cnt = np.unique(i, return_index=True, return_counts=True)
            self._doc_counts.append((u, cnt, doc_no))
            tag = i.astype(np.uint64) << np.uint64(21)
            left = padded[pos].copy()  # codes[pos - 1]
            right = padded[pos + n + 1].copy()  # codes[pos + n]
            np.add.at(self.numeric, i, (right >= 48) & (right <= 57))
            left[self._affixed(by_len, pos, 0)] = BOUNDARY
            right[self._affixed(by_len, pos + n, 1)] = BOUNDARY
            self._left.append(tag | left)
            self._right.append(tag | right)
            new = np.array([self.strings[j] is None for j in u], dtype=bool)
            if new.any():
                found.append((n, u[new], pos[first][new]))
        for n, idx, pos in found:
            for j, p in zip(idx, pos, strict=True):
                self.strings[j] = _decode(codes[p : p + n])
            self.pmi[idx] = self._cohesion(by_len, pos, n)
        return doc_no

    def _affixed(self, by_len: dict[int, np.ndarray], at: np.ndarray, side: int) -> np.ndarray:
        """Which positions have a clean-boundary word just before (side 0) or from (side 1) `at`."""
        out = np.zeros(len(at), dtype=bool)
        for a, words in self._clean[side].items():
            keys = by_len.get(a)
            if keys is None or not len(words):
                continue
            start = at - a if side == 0 else at
            ok = (start >= 0) & (start < len(keys))
            k = keys[np.clip(start, 0, len(keys) - 1)]
            out |= ok & np.isin(k, words)
        return out

    def _cohesion(self, by_len: dict[int, np.ndarray], pos: np.ndarray, n: int) -> np.ndarray:
        """min over split points of log(f(w)·T / (f(a)·f(b))) with pass-1 counts."""
        tables = self.counter.tables
        fw = tables[n].lookup(by_len[n][pos]).astype(np.float64)
        best = np.full(len(pos), np.inf)
        for k in range(1, n):
            fa = tables[k].lookup(by_len[k][pos]).astype(np.float64)
            fb = tables[n - k].lookup(by_len[n - k][pos + k]).astype(np.float64)
            with np.errstate(divide="ignore"):
                v = np.log(np.maximum(fw, 1) * self.counter.total / np.maximum(fa * fb, 1))
            best = np.minimum(best, v)
        return best

    def doc_counts(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(candidate index, document number, count) of every candidate in every document."""
        if not self._doc_counts:
            z = np.zeros(0, dtype=np.int64)
            return z, z, z
        idx = np.concatenate([d[0] for d in self._doc_counts])
        cnt = np.concatenate([d[1] for d in self._doc_counts])
        doc = np.concatenate([np.full(len(d[0]), d[2]) for d in self._doc_counts])
        return idx, doc, cnt

    def entropies(self) -> tuple[np.ndarray, np.ndarray]:
        """Left and right branching entropy (nats) per candidate; a run boundary counts as a
        distinct neighbour each time (punctuation is the clearest word boundary)."""
        return _entropy(self._left, self.size), _entropy(self._right, self.size)


def _keys_by_len(words: Iterable[str]) -> dict[int, np.ndarray]:
    by: dict[int, list[int]] = {}
    for w in words:
        if w:
            by.setdefault(len(w), []).append(key_of(w))
    return {n: np.array(sorted(k), dtype=np.uint64) for n, k in by.items()}


def _entropy(parts: list[np.ndarray], size: int) -> np.ndarray:
    out = np.zeros(size)
    if not parts:
        return out
    packed = np.concatenate(parts)
    u, c = np.unique(packed, return_counts=True)
    idx = (u >> np.uint64(21)).astype(np.int64)
    code = (u & np.uint64((1 << 21) - 1)).astype(np.int64)
    total = np.bincount(idx, weights=c, minlength=size)
    # Boundary occurrences: each its own context (-p log p with p = 1/N, summed c times).
    nb = np.where(code == BOUNDARY, c, 0)
    c_word = np.where(code == BOUNDARY, 0, c)
    safe = np.maximum(total[idx], 1)
    p = c_word / safe
    with np.errstate(divide="ignore", invalid="ignore"):
        h = np.where(c_word > 0, -p * np.log(np.where(p > 0, p, 1)), 0.0)
        hb = np.where(nb > 0, nb / safe * np.log(safe), 0.0)
    np.add.at(out, idx, h + hb)
    return out


def _decode(codes: np.ndarray) -> str:
    return codes.astype(np.uint32).tobytes().decode("utf-32-le")
