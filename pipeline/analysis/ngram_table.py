"""Counting hash tables of 64-bit n-gram keys: discovery pass 1's n-gram counts and pass 2's
neighbour pairs (lexicon_ngrams).

Every n-gram occurrence of the corpus goes through `CountTable.add` (about ten per character),
so the loops are compiled with Numba: one probe per occurrence in an open-addressing table,
where NumPy had to sort each document's keys and merge them into sorted tables (about 3× the
time).

A slot is one row of uint64: the key, its count (0: an empty slot) and, in a CountTable, its
document frequency in the high 32 bits beside, in the low 32, the mark of the last document that
counted it (a document counts once towards the frequency however often it repeats the n-gram).
Linear probing from the key's mixed high bits, mapped onto any table size (multiply-shift), so a
table grows by half when a document could fill it past `MAX_LOAD` and `compact` can size it to
its keys: memory ≈ 24 (CountTable) or 16 (SumTable) bytes / `MAX_LOAD` per key. Counts are integer
sums, so a table built from parts (`absorb`) holds the same counts as one built from every
document in turn, and `entries` (sorted by key) does not depend on the order of insertion.
"""

from __future__ import annotations

import copy

import numpy as np
from numba import njit

# An n-gram's key: key = key * KEY_BASE + code over its characters, from 0 (lexicon_ngrams rolls
# it in NumPy, candidate_scan in compiled code).
KEY_BASE = np.uint64(0x9E3779B97F4A7C15)  # odd: invertible mod 2^64
MIX = np.uint64(0xD6E8FEB86659FD93)  # odd: spreads the keys over the high bits
_LOW = np.uint64(0xFFFFFFFF)
_HIGH = np.uint64(32)
MIN_SLOTS = 256
MAX_LOAD = 0.75  # linear probing: ~2.5 probes to find a key at this load


@njit(cache=True, nogil=True)
def slot(tab: np.ndarray, key: np.uint64) -> int:
    """The slot of `key` in a table of rows (key, value, …) whose value 0 marks an empty slot:
    where it is, or the empty slot where it would go (term_scan's transitions use it too)."""
    n = np.uint64(tab.shape[0])  # < 2^32 slots
    # (uint64 mixed with int64 is float64 in Numba: every step stays unsigned, then int64)
    s = np.int64((((key * MIX) >> _HIGH) * n) >> _HIGH)
    while tab[s, 1] != 0 and tab[s, 0] != key:
        s += 1
        if s == tab.shape[0]:
            s = 0
    return s


@njit(cache=True, nogil=True)
def _add_doc(tab, keys, valid, mark) -> int:
    """Count the valid `keys` of one document (mark: its number, not 0); returns the new keys."""
    new = 0
    one = np.uint64(1)
    for i in range(keys.shape[0]):
        if not valid[i]:
            continue
        k = keys[i]
        s = slot(tab, k)
        if tab[s, 1] == 0:
            tab[s, 0] = k
            tab[s, 1] = one
            tab[s, 2] = (one << _HIGH) | mark
            new += 1
            continue
        tab[s, 1] += one
        m = tab[s, 2]
        if (m & _LOW) != mark:
            tab[s, 2] = (((m >> _HIGH) + one) << _HIGH) | mark
    return new


@njit(cache=True, nogil=True)
def _add_rows(tab, rows) -> int:
    """Add another CountTable's occupied rows (key, count, frequency | mark); returns the new
    keys."""
    new = 0
    for i in range(rows.shape[0]):
        if rows[i, 1] == 0:
            continue  # a count of 0 would leave a slot that reads as empty
        k = rows[i, 0]
        s = slot(tab, k)
        if tab[s, 1] == 0:
            tab[s, 0] = k
            new += 1
        tab[s, 1] += rows[i, 1]
        # Their frequency only: the mark stays, the other table's documents are others.
        tab[s, 2] += (rows[i, 2] >> _HIGH) << _HIGH
    return new


@njit(cache=True, nogil=True)
def _add_each(tab, keys) -> int:
    """Count each of `keys` once (a table without document frequencies); returns the new keys."""
    new = 0
    one = np.uint64(1)
    for i in range(keys.shape[0]):
        s = slot(tab, keys[i])
        if tab[s, 1] == 0:
            tab[s, 0] = keys[i]
            new += 1
        tab[s, 1] += one
    return new


@njit(cache=True, nogil=True)
def _add_sums(tab, keys, counts) -> int:
    new = 0
    for i in range(keys.shape[0]):
        if counts[i] == 0:
            continue  # a count of 0 would leave a slot that reads as empty
        s = slot(tab, keys[i])
        if tab[s, 1] == 0:
            tab[s, 0] = keys[i]
            new += 1
        tab[s, 1] += counts[i]
    return new


@njit(cache=True, nogil=True)
def _lookup(tab, keys, out) -> None:
    for i in range(keys.shape[0]):
        out[i] = tab[slot(tab, keys[i]), 1]


@njit(cache=True, nogil=True)
def _rehash(old, tab) -> None:
    for r in range(old.shape[0]):
        if old[r, 1] != 0:
            s = slot(tab, old[r, 0])
            for c in range(old.shape[1]):
                tab[s, c] = old[r, c]


def _slots_for(keys: int) -> int:
    return max(MIN_SLOTS, int(keys / MAX_LOAD) + 1)


class _Hashed:
    """The storage: rows of `_COLUMNS` uint64."""

    _COLUMNS = 2

    def __init__(self, expect: int = 0):
        self._tab = self._empty(_slots_for(expect))
        self.size = 0  # keys held

    def _empty(self, slots: int) -> np.ndarray:
        return np.zeros((slots, self._COLUMNS), dtype=np.uint64)

    def _resize(self, slots: int) -> None:
        old, self._tab = self._tab, self._empty(slots)
        _rehash(old, self._tab)

    def _reserve(self, more: int) -> None:
        need = _slots_for(self.size + more)
        if need > len(self._tab):
            self._resize(max(need, len(self._tab) * 3 // 2))

    def compact(self) -> None:
        """Shrink to the keys held (after the last `add`: lookups only)."""
        if _slots_for(self.size) < len(self._tab):
            self._resize(_slots_for(self.size))

    def copy(self):
        """The same counts in a table of its own."""
        out = copy.copy(self)
        out._tab = self._tab.copy()
        return out

    def _rows(self, keep=None, ordered: bool = True) -> np.ndarray:
        """The occupied rows (those `keep(rows)` marks), sorted by key; `ordered=False`: in slot
        order, which depends on the order of insertion (for sums, where order does not matter
        and a sort would cost more than the rest)."""
        rows = self._tab[self._tab[:, 1] != 0]
        if keep is not None:
            rows = rows[keep(rows)]
        return rows[np.argsort(rows[:, 0], kind="stable")] if ordered else rows

    @property
    def nbytes(self) -> int:
        return self._tab.nbytes


class SumTable(_Hashed):
    """How many times each 64-bit key was added."""

    def add(self, keys: np.ndarray) -> None:
        self._reserve(len(keys))
        self.size += _add_each(self._tab, keys)

    def absorb(self, keys: np.ndarray, counts: np.ndarray) -> None:
        """Add (key, count) rows: another table's entries."""
        self._reserve(len(keys))
        self.size += _add_sums(self._tab, keys, counts.astype(np.uint64))

    def entries(self, ordered: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """(keys, counts), sorted by key (`ordered=False`: in no order, enough for `absorb`)."""
        rows = self._rows(ordered=ordered)
        return rows[:, 0].copy(), rows[:, 1].astype(np.int64)


class CountTable(_Hashed):
    """Total count and document frequency of each 64-bit key.

    Pickled (a pool or Dask worker's part) as the table itself: unpickling is a copy, where
    sorted entries cost a sort and every key inserted again. A table still counting keeps room
    for a whole document's keys (32 slots a key for single characters), so a part is compacted
    before it travels (about 1.33 slots a key)."""

    _COLUMNS = 3

    def add(self, keys: np.ndarray, valid: np.ndarray, mark: int) -> None:
        """Count one document's `keys` where `valid` (`mark`: a number no other document added
        here has, not 0)."""
        self._reserve(len(keys))
        self.size += _add_doc(self._tab, keys, valid, np.uint64(mark))

    def absorb(self, other: CountTable) -> None:
        """Add another table's counts (documents that are not this table's)."""
        rows = other._rows(ordered=False)
        self._reserve(len(rows))
        self.size += _add_rows(self._tab, rows)

    def select(self, where) -> tuple[np.ndarray, np.ndarray]:
        """(keys, total counts) of the rows where `where(counts, frequencies)` is true, in no
        order (`entries` sorts them)."""
        rows = self._rows(lambda r: where(r[:, 1], r[:, 2] >> _HIGH), ordered=False)
        return rows[:, 0].copy(), rows[:, 1].astype(np.int64)

    def lookup(self, keys: np.ndarray) -> np.ndarray:
        """Total counts of `keys` (0 where unknown)."""
        out = np.zeros(len(keys), dtype=np.uint64)
        _lookup(self._tab, np.ascontiguousarray(keys, dtype=np.uint64), out)
        return out.astype(np.int64)

    def entries(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(keys, total counts, document frequencies), sorted by key."""
        rows = self._rows()
        return (
            rows[:, 0].copy(),
            rows[:, 1].astype(np.int64),
            (rows[:, 2] >> _HIGH).astype(np.int64),
        )
