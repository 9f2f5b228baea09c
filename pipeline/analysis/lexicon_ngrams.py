"""Character n-gram statistics for unquoted phrase discovery (docs/terms.md, "Phrases").

Two passes over the corpus, one document at a time; memory is bounded by the candidate tables,
never by the corpus text:

1. `NgramCounter.add` hashes every n-gram of length 1 … `max_len` of a document's word runs
   (CJK characters, ASCII digits and letters; punctuation ends a run) to a 64-bit polynomial key
   and keeps, per length, sorted arrays of (key, total count, document frequency).
2. `CandidateStats.add` re-hashes the n-grams of length `min_len … max_len` that passed the
   recurrence filter and keeps, per candidate: its string, its mentions and its home series
   (the series that mentions it most: documents there, documents before its first mention),
   folded series by series, and counts of its distinct left and right neighbour characters (for
   branching entropy). Cohesion (PMI) is looked up in the pass-1 tables. Memory: a few arrays
   per candidate plus the distinct (candidate, neighbour) pairs.

Keys are hashes, so two different strings could share a key (about 1 in 10^12 at GWR scale);
every phrase that survives is recounted from its string by the counting step, so a collision can
at worst add a candidate, never a wrong count.
"""

from __future__ import annotations

import copy
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
        u, inv = np.unique(keys, return_inverse=True)
        f = np.bincount(inv, weights=freq, minlength=len(u)).astype(np.int64)
        d = np.bincount(inv, weights=df, minlength=len(u)).astype(np.int64)
        self.keys, (self.freq, self.df) = merge_sorted(self.keys, (self.freq, self.df), u, (f, d))

    def absorb(self, other: _Table) -> None:
        """Add a table that is already sorted and unique (another counter's)."""
        self.keys, (self.freq, self.df) = merge_sorted(
            self.keys, (self.freq, self.df), other.keys, (other.freq, other.df)
        )

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

    def __init__(self, max_len: int, flush_every: int = 16):  # pending: ~3 MB per document
        self.max_n = max_len  # pass 2 and cohesion look up lengths 1 … max_len, no longer
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

    def absorb(self, other: NgramCounter) -> None:
        """Add another counter's counts (another source's documents): integer sums, so the
        result is the same whatever way the corpus was split."""
        other.flush()
        self.flush()
        for n, t in other.tables.items():
            self.tables[n].absorb(t)
        self.total += other.total
        self.docs += other.docs

    def recurrent(
        self, n: int, min_count: int, min_docs: int, min_one_doc: int, cap: int = 0
    ) -> np.ndarray:
        """Keys of length n seen `min_count` times and in `min_docs` documents (or, within one
        document, `min_one_doc` times); the `cap` most frequent of them when `cap` > 0 (copied
        text makes every n-gram of the copied passages recurrent: the cap bounds pass 2)."""
        t = self.tables[n]
        ok = np.nonzero((t.freq >= min_count) & ((t.df >= min_docs) | (t.freq >= min_one_doc)))[0]
        if cap and len(ok) > cap:
            ok = ok[np.argsort(-t.freq[ok], kind="stable")[:cap]]
        return t.keys[ok]

    @property
    def nbytes(self) -> int:
        return sum(t.nbytes for t in self.tables.values())


@dataclass
class StatsPart:
    """One source's pass-2 statistics (`CandidateStats.part`), to `absorb` into the corpus'."""

    docs: int
    mentions: np.ndarray
    numeric: np.ndarray
    home: dict[str, np.ndarray]  # first_doc numbered within the part
    named: np.ndarray  # candidates the part saw …
    strings: list[str | None]  # … their strings …
    pmi: np.ndarray  # … and cohesion
    neighbours: tuple  # ((keys, counts) left, (keys, counts) right)


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
        self._clean = tuple(
            {a: _KeyIndex(k) for a, k in _keys_by_len(words).items()}
            for words in (clean_left, clean_right)
        )
        self.lengths = sorted(n for n, k in candidates.items() if len(k))
        # Windows as long as the longest candidate or clean-boundary word: a boundary word
        # longer than a candidate still marks its edge.
        self._longest = max([*self.lengths[-1:], *(max(by) for by in self._clean if by)], default=0)
        self.keys = {n: np.sort(candidates[n]) for n in self.lengths}
        self._index = {n: _KeyIndex(self.keys[n]) for n in self.lengths}
        self.offset = {}
        total = 0
        for n in self.lengths:
            self.offset[n] = total
            total += len(self.keys[n])
        self.size = total
        self.length = np.zeros(total, dtype=np.int64)
        for n in self.lengths:
            self.length[self.offset[n] : self.offset[n] + len(self.keys[n])] = n
        self._reset()

    def fresh(self) -> CandidateStats:
        """Empty statistics over the same candidates (one source's pass 2, to `absorb` later);
        the candidate tables are shared, not copied."""
        out = copy.copy(self)
        out._reset()
        return out

    def _reset(self) -> None:
        total = self.size
        self.strings: list[str | None] = [None] * total
        self._named = np.zeros(total, dtype=bool)  # strings[j] is set
        self.pmi = np.full(total, np.inf)
        self.numeric = np.zeros(total, dtype=np.int64)  # mentions followed by a digit
        self.mentions = np.zeros(total, dtype=np.int64)  # over the whole corpus
        # The home series (most mentions) of each candidate, folded series by series:
        self.home = {
            "mentions": np.zeros(total, dtype=np.int64),
            "df": np.zeros(total, dtype=np.int64),
            "before": np.zeros(total, dtype=np.int64),  # its documents before the first mention
            "size": np.zeros(total, dtype=np.int64),  # documents of the series
            "first_doc": np.full(total, -1, dtype=np.int64),  # number of that first document
        }
        self._series: object = None
        self._cur = self._fresh_series()
        self._neighbours = [_Pairs(), _Pairs()]  # (idx << 21 | code) → count, left and right
        self.docs = 0

    def _fresh_series(self) -> dict:
        return {
            "mentions": np.zeros(self.size, dtype=np.int64),
            "df": np.zeros(self.size, dtype=np.int64),
            "before": np.full(self.size, -1, dtype=np.int64),
            "first_doc": np.full(self.size, -1, dtype=np.int64),
            "n": 0,
        }

    def _fold(self) -> None:
        """Make the finished series the home of candidates it mentions most (ties: first seen)."""
        cur, home = self._cur, self.home
        better = cur["mentions"] > home["mentions"]
        for key in ("mentions", "df", "before", "first_doc"):
            home[key][better] = cur[key][better]
        home["size"][better] = cur["n"]
        self._cur = self._fresh_series()

    def finish(self) -> None:
        """Call once after the last document (folds the last series, merges neighbours)."""
        self._fold()
        for pairs in self._neighbours:
            pairs.flush()

    def part(self) -> StatsPart:
        """What these statistics add to another's (after `finish`): picklable, without the
        candidate and pass-1 tables."""
        named = np.nonzero(self._named)[0]
        return StatsPart(
            docs=self.docs,
            mentions=self.mentions,
            numeric=self.numeric,
            home=self.home,
            named=named,
            strings=[self.strings[j] for j in named],
            pmi=self.pmi[named],
            neighbours=tuple((p.keys, p.counts) for p in self._neighbours),
        )

    def absorb(self, part: StatsPart) -> None:
        """Add the statistics of documents that come after these (the next source's): the same
        result as adding those documents here, one by one. Sums add; a candidate's home moves to
        the part's only where the part mentions it more (ties: the earlier series, as `_fold`);
        its string and cohesion come from its first sighting."""
        self._fold()  # the series of documents added here before, if any
        self._series = None
        self.mentions += part.mentions
        self.numeric += part.numeric
        home, theirs = self.home, part.home
        better = theirs["mentions"] > home["mentions"]
        for key in ("mentions", "df", "before", "size"):
            home[key][better] = theirs[key][better]
        home["first_doc"][better] = theirs["first_doc"][better] + self.docs
        new = ~self._named[part.named]
        for j, text in zip(part.named[new], np.array(part.strings, dtype=object)[new], strict=True):
            self.strings[j] = text
        self.pmi[part.named[new]] = part.pmi[new]
        self._named[part.named] = True
        for pairs, (keys, counts) in zip(self._neighbours, part.neighbours, strict=True):
            pairs.absorb(keys, counts)
        self.docs += part.docs

    def add(self, text: str, series: object = None) -> int:
        """Collect one document of `series` (documents of one series must come together, in
        year order); returns its number (the order of `add` calls)."""
        doc_no = self.docs
        self.docs += 1
        if series != self._series:
            if self._series is not None:
                self._fold()
            self._series = series
        cur = self._cur
        rank = cur["n"]
        cur["n"] += 1
        codes = encode(text)
        if len(codes) == 0 or not self.lengths:
            return doc_no
        windows = list(_windows(codes, self._longest))
        by_len = {n: keys for n, keys, _ in windows}
        # Where a clean-boundary word ends (left) or starts (right), once per document:
        clean_end, clean_start = self._clean_marks(by_len, len(codes))
        padded = np.concatenate([[BOUNDARY], codes, [BOUNDARY]]).astype(np.uint64)
        found = []
        for n, keys, valid in windows:
            if n not in self.keys:
                continue
            pos, local = self._index[n].find(keys, valid)
            if len(pos) == 0:
                continue
            # Counts by candidate with a bincount over the length's candidates, not a sort:
            cnt = np.bincount(local, minlength=len(self.keys[n]))
            u = np.nonzero(cnt)[0]
            cnt = cnt[u]
            u += self.offset[n]
            i = local + self.offset[n]
            self.mentions[u] += cnt
            cur["mentions"][u] += cnt
            cur["df"][u] += 1
            unseen = cur["before"][u] < 0
            cur["before"][u[unseen]] = rank
            cur["first_doc"][u[unseen]] = doc_no
            tag = i.astype(np.uint64) << np.uint64(21)
            left = padded[pos].copy()  # codes[pos - 1]
            right = padded[pos + n + 1].copy()  # codes[pos + n]
            digit = (right >= 48) & (right <= 57)
            if digit.any():
                du, dc = np.unique(i[digit], return_counts=True)
                self.numeric[du] += dc
            left[clean_end[pos]] = BOUNDARY
            right[clean_start[pos + n]] = BOUNDARY
            self._neighbours[0].add(tag | left)
            self._neighbours[1].add(tag | right)
            new = ~self._named[u]
            if new.any():
                at = ~self._named[i]  # occurrences of candidates seen for the first time
                idx, first = np.unique(i[at], return_index=True)
                found.append((n, idx, pos[at][first]))
                self._named[idx] = True
        for n, idx, pos in found:
            joined = _decode(codes[pos[:, None] + np.arange(n)].ravel())  # one decode, n per string
            for j, at in zip(idx.tolist(), range(0, len(joined), n), strict=True):
                self.strings[j] = joined[at : at + n]
            self.pmi[idx] = self._cohesion(by_len, pos, n)
        return doc_no

    def _clean_marks(
        self, by_len: dict[int, np.ndarray], size: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """(end, start): end[p] when a clean-left word ends just before position p, start[p] when
        a clean-right word starts at p (p = 0 … size)."""
        marks = []
        for side, words_by_len in enumerate(self._clean):
            out = np.zeros(size + 1, dtype=bool)
            for a, words in words_by_len.items():
                keys = by_len.get(a)
                if keys is None:
                    continue
                hit, _ = words.find(keys)
                out[hit + (a if side == 0 else 0)] = True
            marks.append(out)
        return marks[0], marks[1]

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

    def entropies(self) -> tuple[np.ndarray, np.ndarray]:
        """Left and right branching entropy (nats) per candidate; a run boundary counts as a
        distinct neighbour each time (punctuation is the clearest word boundary)."""
        return (
            _entropy(self._neighbours[0], self.size),
            _entropy(self._neighbours[1], self.size),
        )


class _Pairs:
    """A running count of packed (candidate, neighbour) keys, merged every few documents so
    memory holds distinct pairs, not occurrences."""

    def __init__(self, every: int = 32):
        self.keys = np.zeros(0, dtype=np.uint64)
        self.counts = np.zeros(0, dtype=np.int64)
        self._pending: list[np.ndarray] = []
        self._every = every

    def add(self, packed: np.ndarray) -> None:
        self._pending.append(packed)
        if len(self._pending) >= self._every:
            self.flush()

    def absorb(self, keys: np.ndarray, counts: np.ndarray) -> None:
        """Add another table of packed keys (sorted, unique) and their counts."""
        self.flush()
        self.keys, (self.counts,) = merge_sorted(self.keys, (self.counts,), keys, (counts,))

    def flush(self) -> None:
        if not self._pending:
            return
        new = np.concatenate(self._pending)
        self._pending.clear()
        u, c = np.unique(new, return_counts=True)
        self.keys, (self.counts,) = merge_sorted(
            self.keys, (self.counts,), u, (c.astype(np.int64),)
        )


def merge_sorted(keys, values, new_keys, new_values):
    """(keys, values) of a sorted-unique key table with `new_keys` (sorted, unique) added: the
    values of a key in both are summed (into `values`, in place), new keys inserted in order. The
    table is copied once (np.insert), never concatenated and sorted again: memory ~2× the table,
    not ~6×."""
    if len(keys) == 0:  # copies: later merges add into the table in place, not into the caller's
        return new_keys.copy(), tuple(v.copy() for v in new_values)
    at = np.searchsorted(keys, new_keys)
    found = at < len(keys)
    found[found] = keys[at[found]] == new_keys[found]
    sums = []
    for v, nv in zip(values, new_values, strict=True):
        v[at[found]] += nv[found]  # in place: the old arrays are the caller's to drop
        sums.append(np.insert(v, at[~found], nv[~found]))
    return np.insert(keys, at[~found], new_keys[~found]), tuple(sums)


_MIX = np.uint64(0xD6E8FEB86659FD93)  # odd: spreads the keys over the high bits


class _KeyIndex:
    """Where a document's windows are in a sorted key table: a slot table (one gather per
    window, ~16 slots per key) instead of a binary search; the few slots two keys share fall
    back to the search."""

    def __init__(self, keys: np.ndarray):
        self.keys = keys
        bits = max(8, int(len(keys)).bit_length() + 4)
        self._shift = np.uint64(64 - bits)
        slot = self._slot(keys)
        self._table = np.full(1 << bits, -1, dtype=np.int32)
        self._table[slot] = np.arange(len(keys), dtype=np.int32)
        self._table[np.bincount(slot, minlength=1 << bits) > 1] = -2  # shared

    def _slot(self, keys: np.ndarray) -> np.ndarray:
        return ((keys * _MIX) >> self._shift).astype(np.intp)

    def find(
        self, keys: np.ndarray, valid: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(positions, indices) of the (valid) `keys` that are in the table, in position order."""
        t = self._table[self._slot(keys)]
        pos = np.nonzero(t != -1 if valid is None else valid & (t != -1))[0]
        i = t[pos].astype(np.int64)
        shared = np.nonzero(i == -2)[0]
        if len(shared):
            k = keys[pos[shared]]
            i[shared] = np.minimum(np.searchsorted(self.keys, k), len(self.keys) - 1)
        hit = self.keys[i] == keys[pos]
        return pos[hit], i[hit]


def _keys_by_len(words: Iterable[str]) -> dict[int, np.ndarray]:
    by: dict[int, list[int]] = {}
    for w in words:
        if w:
            by.setdefault(len(w), []).append(key_of(w))
    return {n: np.array(sorted(k), dtype=np.uint64) for n, k in by.items()}


def _entropy(pairs: _Pairs, size: int) -> np.ndarray:
    out = np.zeros(size)
    pairs.flush()
    if not len(pairs.keys):
        return out
    u, c = pairs.keys, pairs.counts
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
