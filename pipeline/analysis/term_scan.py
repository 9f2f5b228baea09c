"""The counting automaton (lexicon_count.Matcher): an Aho–Corasick automaton over the lexicon's
entries whose walk and tally are compiled with Numba.

Every entry is counted in every unit of every document, and a corpus yields a few hundred
thousand mentions per source; taking each mention through Python (the automaton's iterator, then
the rules of lexicon_count) cost more than finding it. Here a document's units are joined by a
code past Unicode's last (no text or entry holds it, so no mention crosses units) and walked
once; the rules of lexicon_count's module docstring are then applied to the mentions in compiled
code, and Python sees one tally per entry and document.

The trie is built in Python (a few ten thousand nodes); its transitions are a hash table of
(node << 21 | character) → child (rows probed by ngram_table.slot), with failure links and, per
node, the entry it spells and the next node on its failure chain that spells one (`out`).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

import numpy as np
from numba import njit

from policytrack.pipeline.analysis.ngram_table import slot

_CHAR_BITS = np.uint64(21)  # a code point fits in 21 bits


@njit(cache=True, nogil=True)
def _child(moves, node, c) -> int:
    """The child of `node` by character `c`, or -1."""
    return np.int64(moves[slot(moves, (np.uint64(node) << _CHAR_BITS) | c), 1]) - 1


@njit(cache=True, nogil=True)
def _fill(moves, edges, children) -> None:
    for i in range(edges.shape[0]):
        s = slot(moves, edges[i])
        moves[s, 0] = edges[i]
        moves[s, 1] = children[i] + np.uint64(1)


@njit(cache=True, nogil=True)
def _walk(codes, moves, fail, word, out, ends, idx) -> int:
    """Every (end position, entry) mention in `codes`, in order of end (at one end: longest
    first); -1 when `ends` has no room for them all."""
    state = 0
    m = 0
    for pos in range(codes.shape[0]):
        c = codes[pos]
        while True:
            nxt = _child(moves, state, c)
            if nxt >= 0:
                state = nxt
                break
            if state == 0:
                break
            state = fail[state]
        t = state if word[state] >= 0 else out[state]
        while t > 0:
            if m == ends.shape[0]:
                return -1
            ends[m] = pos
            idx[m] = word[t]
            m += 1
            t = out[t]
    return m


@njit(cache=True, nogil=True)
def _inside(ss, se, lo, hi, start, end) -> bool:
    """Is [start, end) inside one of the spans ss[lo:hi], se[lo:hi] (sorted by (start, end))?
    As lexicon_count: only the last three spans that start at or before `start` are asked."""
    k, top = lo, hi  # k: the first span starting after `start` (a binary search)
    while k < top:
        mid = (k + top) // 2
        if ss[mid] <= start:
            k = mid + 1
        else:
            top = mid
    for j in range(max(lo, k - 3), k):  # noqa: SIM110 (a loop: Numba has no any(generator))
        if ss[j] <= start and end <= se[j]:
            return True
    return False


@njit(cache=True, nogil=True)
def _tally(
    ends, idx, unit, unit_start, lengths, longest, modes,
    s0, e0, p0, s1, e1, p1,
    last_end, last_unit, path_unit, count, own, quoted,
    touched, pairs_entry, pairs_unit,
):  # fmt: skip
    """Apply lexicon_count's rules to one document's mentions (grouped by unit, in walk order):
    per unit, an entry's mention overlapping its previous one is skipped, a quoted-only entry's
    bare mention too; the rest, sorted by (start, longest first), count, count as `own` when not
    inside an earlier longer mention, and as quoted when inside a quote (or 《》). Returns (entries
    touched, in order of their first counted mention; (entry, unit) pairs, in order)."""
    n = ends.shape[0]
    n_touched = 0
    n_pairs = 0
    acc_key = np.empty(n, dtype=np.int64)
    acc_at = np.empty(n, dtype=np.int64)
    acc_in = np.empty(n, dtype=np.bool_)
    a = 0
    while a < n:
        u = unit[a]
        b = a
        while b < n and unit[b] == u:
            b += 1
        base = unit_start[u]
        k = 0
        for m in range(a, b):
            i = idx[m]
            end = ends[m] - base
            start = end - lengths[i] + 1
            if last_unit[i] == u and last_end[i] >= start:
                continue  # overlaps this entry's previous mention
            if modes[i] == 0:
                inside = _inside(s0, e0, p0[u], p0[u + 1], start, end + 1)
            else:
                inside = _inside(s1, e1, p1[u], p1[u + 1], start, end + 1)
                if not inside:
                    continue
            last_unit[i] = u
            last_end[i] = end
            acc_key[k] = start * (longest + 1) + (longest - lengths[i])  # start, longest first
            acc_at[k] = m
            acc_in[k] = inside
            k += 1
        order = np.argsort(acc_key[:k], kind="mergesort")
        reach = -1
        for r in range(k):
            q = order[r]
            m = acc_at[q]
            i = idx[m]
            end = ends[m] - base
            if count[i] == 0:
                touched[n_touched] = i
                n_touched += 1
            count[i] += 1
            if acc_in[q]:
                quoted[i] += 1
            if end > reach:
                own[i] += 1
            reach = max(reach, end)
            if path_unit[i] != u:
                path_unit[i] = u
                pairs_entry[n_pairs] = i
                pairs_unit[n_pairs] = u
                n_pairs += 1
        a = b
    return n_touched, n_pairs


class Automaton:
    """The lexicon's entries as a compiled Aho–Corasick automaton (entry i: `terms[i]`; an
    empty term is never matched; a term given twice matches as its last index)."""

    def __init__(self, terms: Sequence[str], modes: Sequence[int]):
        children: list[dict[int, int]] = [{}]
        word = [-1]
        for i, t in enumerate(terms):
            if not t:
                continue
            node = 0
            for ch in t:
                nxt = children[node].get(ord(ch))
                if nxt is None:
                    nxt = len(children)
                    children[node][ord(ch)] = nxt
                    children.append({})
                    word.append(-1)
                node = nxt
            word[node] = i
        size = len(children)
        fail = [0] * size
        out = [0] * size  # the next node on the failure chain that spells an entry (0: none)
        queue = deque(children[0].values())
        while queue:
            u = queue.popleft()
            for c, v in children[u].items():
                f = fail[u]
                while f and c not in children[f]:
                    f = fail[f]
                g = children[f].get(c, 0) if u else 0
                fail[v] = g if g != v else 0
                out[v] = fail[v] if word[fail[v]] >= 0 else out[fail[v]]
                queue.append(v)
        edges = [(u << 21) | c for u in range(size) for c in children[u]]
        kids = [v for u in range(size) for v in children[u].values()]
        # Rows (node << 21 | character, child + 1), at most half full: ngram_table's layout.
        self._moves = np.zeros((max(16, 2 * len(edges) + 1), 2), dtype=np.uint64)
        _fill(self._moves, np.array(edges, dtype=np.uint64), np.array(kids, dtype=np.uint64))
        self._fail = np.array(fail, dtype=np.int64)
        self._word = np.array(word, dtype=np.int64)
        self._out = np.array(out, dtype=np.int64)
        self.lengths = np.array([len(t) for t in terms], dtype=np.int64)
        self.longest = int(self.lengths.max()) if len(terms) else 0
        self.modes = np.array(modes, dtype=np.int64)

    def walk(self, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(end positions, entries) of every mention in `codes` (uint32 code points)."""
        room = len(codes) // 4 + 64
        while True:
            ends = np.empty(room, dtype=np.int64)
            idx = np.empty(room, dtype=np.int64)
            m = _walk(codes, self._moves, self._fail, self._word, self._out, ends, idx)
            if m >= 0:
                return ends[:m], idx[:m]
            room *= 4

    def tally(self, ends, idx, unit, unit_start, spans0, spans1):
        """Counts of one document's mentions (`unit`: each mention's unit; spansK: (starts, ends,
        per-unit offsets) of the quote spans of mode K). Returns (entries in order of their first
        counted mention, their count, own and quoted, and the (entry, unit) pairs in order)."""
        n, size = len(ends), len(self.lengths)
        touched = np.empty(n, dtype=np.int64)
        pairs_entry = np.empty(n, dtype=np.int64)
        pairs_unit = np.empty(n, dtype=np.int64)
        # Per-entry working state of this call only (one Matcher may count in several threads).
        last_end = np.zeros(size, dtype=np.int64)
        last_unit, path_unit = np.full(size, -1, dtype=np.int64), np.full(size, -1, dtype=np.int64)
        count, own, quoted = (np.zeros(size, dtype=np.int64) for _ in range(3))
        t, p = _tally(ends, idx, unit, unit_start, self.lengths, self.longest, self.modes,
                      *spans0, *spans1, last_end, last_unit, path_unit, count, own, quoted,
                      touched, pairs_entry, pairs_unit)  # fmt: skip
        touched = touched[:t]
        return (
            touched,
            (count[touched], own[touched], quoted[touched]),
            pairs_entry[:p],
            pairs_unit[:p],
        )
