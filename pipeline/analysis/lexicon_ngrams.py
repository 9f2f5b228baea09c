"""Character n-gram statistics for unquoted phrase discovery (docs/terms.md, "Phrases").

Two passes over the corpus, one document at a time; memory is bounded by the candidate tables,
never by the corpus text:

1. `NgramCounter.add` hashes every n-gram of length 1 … `max_len` of a document's word runs
   (CJK characters, ASCII digits and letters; punctuation ends a run) to a 64-bit polynomial key
   and counts, per length, its total count and document frequency in a hash table
   (ngram_table.CountTable, compiled with Numba).
2. `CandidateStats.add` re-hashes the n-grams of length `min_len … max_len` that passed the
   recurrence filter and keeps, per candidate: its string, its mentions and its home series
   (the series that mentions it most: documents there, documents before its first mention),
   folded series by series, and counts of its distinct left and right neighbour characters (for
   branching entropy). Memory: a few arrays per candidate plus the distinct (candidate,
   neighbour) pairs. Cohesion (PMI) is worked out once after pass 2, from the candidates'
   strings and the pass-1 tables (`CandidateStats.cohesion`).

Keys are hashes, so two different strings could share a key (about 1 in 10^12 at GWR scale);
every phrase that survives is recounted from its string by the counting step, so a collision can
at worst add a candidate, never a wrong count.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from policytrack.pipeline.analysis import candidate_scan, warm
from policytrack.pipeline.analysis.ngram_table import KEY_BASE, MIX, CountTable, SumTable

# Word characters (CJK, ASCII digits and letters), as code point ranges; anything else ends a run.
_WORD = ((0x4E00, 0x9FFF), (0x30, 0x39), (0x41, 0x5A), (0x61, 0x7A))
_MASK = (1 << 64) - 1
BOUNDARY = 0  # the separator code between runs


def encode(text: str) -> np.ndarray:
    """Code points of the text's word runs joined by 0 (a separator no n-gram may cross)."""
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    word = np.zeros(len(codes), dtype=bool)
    for lo, hi in _WORD:
        word |= (codes >= lo) & (codes <= hi)
    # A run's characters and the character after it, as the separator (0) …
    keep = word.copy()
    keep[1:] |= word[:-1]
    out = np.where(word, codes, BOUNDARY)[keep].astype(np.uint64)
    # … except after the last run.
    return out[:-1] if len(out) and out[-1] == BOUNDARY else out


def key_of(s: str) -> int:
    """The 64-bit key of a string (the same polynomial hash the tables use)."""
    k = 0
    b = int(KEY_BASE)
    for ch in s:
        k = (k * b + ord(ch)) & _MASK
    return k


def _window_keys(codes: np.ndarray, max_n: int):
    """(n, keys) for n = 1 … max_n (while n ≤ len(codes)): keys[i] is the key of codes[i:i+n]."""
    key = np.zeros(len(codes), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for n in range(1, max_n + 1):
            m = len(codes) - n + 1
            if m <= 0:
                return
            key = key[:m] * KEY_BASE + codes[n - 1 : n - 1 + m]
            yield n, key


def _windows(codes: np.ndarray, max_n: int):
    """(n, keys, valid) for n = 1 … max_n: keys[i] is the key of codes[i:i+n], valid where
    the window crosses no run boundary."""
    if len(codes) == 0:
        return
    csep = np.concatenate([[0], np.cumsum(codes == BOUNDARY)])
    for n, key in _window_keys(codes, max_n):
        m = len(key)
        yield n, key, (csep[n : n + m] - csep[:m]) == 0


class NgramCounter:
    """Pass 1: total count and document frequency of every n-gram, by length."""

    def __init__(self, max_len: int):
        warm.ready()
        self.max_n = max_len  # pass 2 and cohesion look up lengths 1 … max_len, no longer
        self.tables = {n: CountTable() for n in range(1, self.max_n + 1)}
        self.total = 0  # characters seen (the PMI denominator)
        self.docs = 0

    def add(self, text: str) -> None:
        codes = encode(text)
        self.total += int((codes != BOUNDARY).sum())
        self.docs += 1
        for n, keys, valid in _windows(codes, self.max_n):
            self.tables[n].add(keys, valid, mark=self.docs)

    def absorb(self, other: NgramCounter) -> None:
        """Add another counter's counts (another source's documents): integer sums, so the
        result is the same whatever way the corpus was split. `other` is left as it was."""
        if self.docs == 0 and self.max_n == other.max_n:
            # (the first part of a pool or Dask build: a copy of its tables, not a key at a time)
            self.tables = {n: t.copy() for n, t in other.tables.items()}
        else:
            for n, t in other.tables.items():
                self.tables[n].absorb(t)
        self.total += other.total
        self.docs += other.docs

    def recurrent(
        self, n: int, min_count: int, min_docs: int, min_one_doc: int, cap: int = 0
    ) -> np.ndarray:
        """Keys of length n seen `min_count` times and in `min_docs` documents (or, within one
        document, `min_one_doc` times); the `cap` most frequent of them when `cap` > 0 (copied
        text makes every n-gram of the copied passages recurrent: the cap bounds pass 2). In no
        particular order."""
        keys, freq = self.tables[n].select(
            lambda f, d: (f >= min_count) & ((d >= min_docs) | (f >= min_one_doc))
        )
        if cap and len(keys) > cap:
            keys = _most_frequent(keys, freq, cap)
        return keys

    def compact(self) -> None:
        """Size the tables to their keys, after the last document: pass 2 only looks up."""
        for t in self.tables.values():
            t.compact()

    @property
    def nbytes(self) -> int:
        return sum(t.nbytes for t in self.tables.values())


def _most_frequent(keys: np.ndarray, freq: np.ndarray, cap: int) -> np.ndarray:
    """The `cap` keys of highest `freq`, ties to the smaller key: the first `cap` in (-freq, key)
    order without sorting every key (millions at 100×), only those tied at the threshold."""
    threshold = np.partition(freq, len(freq) - cap)[len(freq) - cap]  # the cap-th highest
    above = keys[freq > threshold]
    tied = np.sort(keys[freq == threshold])
    return np.concatenate([above, tied[: cap - len(above)]])


@dataclass
class StatsPart:
    """One source's pass-2 statistics (`CandidateStats.part`), to `absorb` into the corpus'."""

    docs: int
    mentions: np.ndarray
    numeric: np.ndarray
    home: dict[str, np.ndarray]  # first_doc numbered within the part
    named: np.ndarray  # candidates the part saw …
    strings: list[str | None]  # … and their strings
    neighbours: tuple  # ((keys, counts) left, (keys, counts) right), in no order


class CandidateStats:
    """Pass 2: strings, per-document counts, neighbours and cohesion of the candidate keys."""

    def __init__(
        self,
        counter: NgramCounter | None,
        candidates: dict[int, np.ndarray],
        clean_left: Iterable[str] = (),
        clean_right: Iterable[str] = (),
    ):
        """`counter`: pass 1's, for `cohesion` (None in a part made elsewhere: the corpus'
        statistics compute it). `clean_left`/`clean_right`: words that mark a clean boundary
        when they stand just before/after a mention; such a neighbour counts as a distinct
        context, like punctuation."""
        warm.ready()  # (a worker's counter comes unpickled: this is its first compiled object)
        self.counter = counter
        self._clean = _clean_index(clean_left, clean_right)
        self.lengths = sorted(n for n, k in candidates.items() if len(k))
        self._clean_longest = max(self._clean, default=0)
        self.keys = {n: np.sort(candidates[n]) for n in self.lengths}
        self.offset = {}
        total = 0
        for n in self.lengths:
            self.offset[n] = total
            total += len(self.keys[n])
        self.size = total
        self.length = np.zeros(total, dtype=np.int64)
        for n in self.lengths:
            self.length[self.offset[n] : self.offset[n] + len(self.keys[n])] = n
        # Candidate j: key self.keys[n][j - offset[n]], length n; one table over all of them.
        every = [self.keys[n] for n in self.lengths]
        self._table = candidate_scan.index(
            np.concatenate(every) if every else np.zeros(0, dtype=np.uint64), self.length
        )
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
        self.numeric = np.zeros(total, dtype=np.int64)  # mentions followed by a digit
        # What every mention updates, side by side (one cache line per mention, not four):
        # mentions over the whole corpus, the series' mentions and documents, the last document.
        self._hot = np.zeros((total, 4), dtype=np.int64)
        self._hot[:, 3] = -1
        self.mentions = self._hot[:, 0]
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
        self._neighbours = [SumTable(), SumTable()]  # (idx << 21 | code) → count, left and right
        self.docs = 0

    def _fresh_series(self) -> dict:
        self._hot[:, 1:3] = 0
        return {
            "mentions": self._hot[:, 1],
            "df": self._hot[:, 2],
            "before": np.full(self.size, -1, dtype=np.int64),
            "first_doc": np.full(self.size, -1, dtype=np.int64),
            "n": 0,
        }

    def _fold(self) -> None:
        """Make the finished series the home of candidates it mentions most (ties: first seen)."""
        cur, home = self._cur, self.home
        better = cur["mentions"] > home["mentions"]
        for key in ("mentions", "df", "before", "first_doc"):
            np.copyto(home[key], cur[key], where=better)  # (one pass, not a gather and a scatter)
        np.copyto(home["size"], cur["n"], where=better)
        self._cur = self._fresh_series()

    def finish(self) -> None:
        """Call once after the last document (folds the last series, merges neighbours)."""
        self._fold()

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
            neighbours=tuple(p.entries(ordered=False) for p in self._neighbours),
        )

    def absorb(self, part: StatsPart) -> None:
        """Add the statistics of documents that come after these (the next source's): the same
        result as adding those documents here, one by one. Sums add; a candidate's home moves to
        the part's only where the part mentions it more (ties: the earlier series, as `_fold`);
        its string comes from its first sighting."""
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
        # Where a clean-boundary word ends (left) or starts (right), once per document (a
        # boundary word longer than any candidate still marks its edge):
        clean_end, clean_start = self._clean_marks(codes)
        room = len(codes) * len(self.lengths)  # at most one mention per position and length
        left, right = np.empty(room, dtype=np.uint64), np.empty(room, dtype=np.uint64)
        first_j, first_pos = np.empty(room, dtype=np.int64), np.empty(room, dtype=np.int64)
        occ, firsts = candidate_scan.scan(
            codes, *self._table, self.lengths[0], self.lengths[-1], clean_end, clean_start,
            doc_no, rank, self._hot, self.numeric, cur["before"], cur["first_doc"], self._named,
            left, right, first_j, first_pos,
        )  # fmt: skip
        if occ:
            self._neighbours[0].add(left[:occ])
            self._neighbours[1].add(right[:occ])
        if not firsts:
            return doc_no
        # Candidates seen for the first time: their strings, all decoded at once (each string's
        # characters one after the other), then cut.
        first_j, first_pos = first_j[:firsts], first_pos[:firsts]
        lengths = self.length[first_j]
        ends = np.cumsum(lengths)
        at = np.arange(ends[-1]) + np.repeat(first_pos - (ends - lengths), lengths)
        joined = _decode(codes[at])
        strings = self.strings
        for j, a, b in zip(first_j.tolist(), (ends - lengths).tolist(), ends.tolist(), strict=True):
            strings[j] = joined[a:b]
        return doc_no

    def _clean_marks(self, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(end, start): end[p] when a clean-left word ends just before position p, start[p] when
        a clean-right word starts at p (p = 0 … len(codes)). The words of both sides are looked
        up together, one lookup per length."""
        end, start = np.zeros(len(codes) + 1, dtype=bool), np.zeros(len(codes) + 1, dtype=bool)
        for a, keys in _window_keys(codes, self._clean_longest):
            if a not in self._clean:
                continue
            words, sides = self._clean[a]
            hit, i = words.find(keys)
            side = sides[i]
            end[hit[(side & LEFT) > 0] + a] = True
            start[hit[(side & RIGHT) > 0]] = True
        return end, start

    def cohesion(self) -> np.ndarray:
        """Per candidate, min over split points w = ab of log(f(w)·T / (f(a)·f(b))) with pass-1
        counts (inf for a candidate pass 2 never saw). From the strings, once, after pass 2:
        a part made elsewhere would otherwise work it out for every candidate it sees first,
        every candidate in every part."""
        out = np.full(self.size, np.inf)
        tables = self.counter.tables
        for n in self.lengths:
            idx = np.arange(self.offset[n], self.offset[n] + len(self.keys[n]))
            idx = idx[self._named[idx]]
            if not len(idx):
                continue
            text = "".join(self.strings[j] for j in idx.tolist())
            codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
            codes = codes.reshape(len(idx), n)
            with np.errstate(over="ignore"):
                prefix = [np.zeros(len(idx), dtype=np.uint64)]  # prefix[k]: key of w[:k]
                for k in range(n):
                    prefix.append(prefix[-1] * KEY_BASE + codes[:, k])
                fw = tables[n].lookup(prefix[n]).astype(np.float64)
                best = np.full(len(idx), np.inf)
                for k in range(1, n):
                    suffix = np.zeros(len(idx), dtype=np.uint64)  # key of w[k:]
                    for i in range(k, n):
                        suffix = suffix * KEY_BASE + codes[:, i]
                    fa = tables[k].lookup(prefix[k]).astype(np.float64)
                    fb = tables[n - k].lookup(suffix).astype(np.float64)
                    with np.errstate(divide="ignore"):
                        v = np.log(np.maximum(fw, 1) * self.counter.total / np.maximum(fa * fb, 1))
                    best = np.minimum(best, v)
            out[idx] = best
        return out

    def entropies(self) -> tuple[np.ndarray, np.ndarray]:
        """Left and right branching entropy (nats) per candidate; a run boundary counts as a
        distinct neighbour each time (punctuation is the clearest word boundary)."""
        return (
            _entropy(self._neighbours[0], self.size),
            _entropy(self._neighbours[1], self.size),
        )


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
        return ((keys * MIX) >> self._shift).astype(np.intp)

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


LEFT, RIGHT = 1, 2  # the sides of a clean-boundary word (bits)


def _clean_index(
    left: Iterable[str], right: Iterable[str]
) -> dict[int, tuple[_KeyIndex, np.ndarray]]:
    """Per length, the keys of the clean-boundary words of both sides in one index, and per key
    its sides (LEFT | RIGHT bits)."""
    by: dict[int, dict[int, int]] = {}
    for side, words in ((LEFT, left), (RIGHT, right)):
        for w in words:
            if w:
                keys = by.setdefault(len(w), {})
                keys[key_of(w)] = keys.get(key_of(w), 0) | side
    return {
        n: (_KeyIndex(np.array(sorted(k), dtype=np.uint64)), np.array([k[x] for x in sorted(k)]))
        for n, k in by.items()
    }


def _entropy(pairs: SumTable, size: int) -> np.ndarray:
    out = np.zeros(size)
    u, c = pairs.entries()  # in key order: the float sums below add up in a fixed order
    if not len(u):
        return out
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
