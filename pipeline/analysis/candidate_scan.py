"""Discovery pass 2's walk over one document's n-grams, compiled with Numba.

`CandidateStats.add` (lexicon_ngrams) hands each document here: every window of every candidate
length is looked up in one hash table of the candidates, and each mention found updates the
candidate's counts in place and yields its (candidate, neighbour) pairs. Walking the windows in
compiled code costs one probe per window, where NumPy needed a dozen whole-array passes per
length and document.

The candidate table: rows of two uint64, the key and (length << 32) | (index + 1), 0 when empty;
a window matches a row with its key and its length (so it has its own probe, not ngram_table's).
Keys are rolled here as ngram_table defines them (`key = key * KEY_BASE + code`, from 0).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from policytrack.pipeline.analysis.ngram_table import KEY_BASE, MIX

_HIGH = np.uint64(32)
_LOW = np.uint64(0xFFFFFFFF)
_TAG = np.uint64(21)  # a pair is (candidate << 21) | neighbour code
_ZERO, _NINE = np.uint64(48), np.uint64(57)


@njit(cache=True, nogil=True)
def _probe(tab, shift, key, n) -> int:
    """The row index of candidate (key, length n), or -1."""
    mask = np.int64(tab.shape[0] - 1)
    s = np.int64((key * MIX) >> shift)
    while tab[s, 1] != 0:
        if tab[s, 0] == key and (tab[s, 1] >> _HIGH) == n:
            return np.int64(tab[s, 1] & _LOW) - 1
        s = (s + np.int64(1)) & mask
    return -1


@njit(cache=True, nogil=True)
def _fill(tab, shift, keys, lengths, first) -> None:
    mask = np.int64(tab.shape[0] - 1)
    for i in range(keys.shape[0]):
        s = np.int64((keys[i] * MIX) >> shift)
        while tab[s, 1] != 0:
            s = (s + np.int64(1)) & mask
        tab[s, 0] = keys[i]
        tab[s, 1] = (np.uint64(lengths[i]) << _HIGH) | np.uint64(first + i + 1)


def index(keys: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.uint64]:
    """(table, shift) over candidates `keys` of `lengths`: candidate j is row j of both."""
    bits = max(8, int(2 * len(keys)).bit_length())  # load ≤ 0.5
    tab = np.zeros((1 << bits, 2), dtype=np.uint64)
    shift = np.uint64(64 - bits)
    _fill(tab, shift, keys.astype(np.uint64), lengths.astype(np.int64), 0)
    return tab, shift


@njit(cache=True, nogil=True)
def scan(
    codes,
    tab,
    shift,
    min_n,
    max_n,
    clean_end,
    clean_start,
    doc_no,
    rank,
    hot,
    numeric,
    cur_before,
    cur_first,
    named,
    left_out,
    right_out,
    first_j,
    first_pos,
):
    """Count the mentions of candidates (lengths min_n … max_n) in one document's `codes`
    (word runs joined by 0). Per mention, in `hot` (columns: mentions, the series' mentions,
    the series' documents, the last document): the counts and the series' document frequency
    (once per document); the series' first document, mentions followed by
    a digit, and the left and right (candidate, neighbour) pairs (a clean boundary word beside
    it, or the run's edge, is neighbour 0). Candidates not `named` before get their first
    position here. Returns (pairs written, first sightings written)."""
    size = codes.shape[0]
    occ = 0
    firsts = 0
    for p in range(size):
        key = np.uint64(0)
        for n in range(1, max_n + 1):
            end = p + n  # one past the window
            if end > size:
                break
            c = codes[end - 1]
            if c == 0:
                break
            key = key * KEY_BASE + c
            if n < min_n:
                continue
            j = _probe(tab, shift, key, n)
            if j < 0:
                continue
            hot[j, 0] += 1  # mentions
            hot[j, 1] += 1  # the series' mentions
            if hot[j, 3] != doc_no:  # the last document that mentioned it
                hot[j, 3] = doc_no
                hot[j, 2] += 1  # the series' documents
                if cur_before[j] < 0:
                    cur_before[j] = rank
                    cur_first[j] = doc_no
            left = codes[p - 1] if p > 0 else np.uint64(0)
            right = codes[end] if end < size else np.uint64(0)
            if right >= _ZERO and right <= _NINE:
                numeric[j] += 1
            if clean_end[p]:
                left = np.uint64(0)
            if clean_start[end]:
                right = np.uint64(0)
            tag = np.uint64(j) << _TAG
            left_out[occ] = tag | left
            right_out[occ] = tag | right
            occ += 1
            if not named[j]:
                named[j] = True
                first_j[firsts] = j
                first_pos[firsts] = p
                firsts += 1
    return occ, firsts
