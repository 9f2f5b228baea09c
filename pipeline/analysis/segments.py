"""Paragraph votes: which units of the other year each unit's paragraphs continue.

Every paragraph of a unit is compared with every paragraph of the other document (a cosine of
TF-IDF vectors over the series' IDF, lexical.py; with extra paragraph vectors, e.g. embeddings,
also their cosine, each standardised and the two averaged). A paragraph *votes* for
the unit holding its best match when that match stands out: at least `vote_z` spreads above
the paragraph's unrelated matches (background.py) and `vote_gap` spreads above its best match
in any other unit. A unit's *share* in a unit of the other year is the part of its text (in
characters) that votes for it; align links a pair when either share reaches `link_share`,
about a third: the rule the hand-made gold files are written by. docs/alignment.md has the
measurements.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from policytrack.pipeline.analysis.background import dense_stats, sampled_stats, standardise
from policytrack.pipeline.analysis.candidates import (
    l2_rows,
    pruning_weights,
    random_partners,
    row_dots,
    top_pairs,
)
from policytrack.pipeline.analysis.lexical import LexIndex, LexPrepared
from policytrack.pipeline.analysis.similarity import SimConfig


@dataclass
class SideVotes:
    """The vote of every paragraph of one side."""

    owner: np.ndarray  # int32 unit of each paragraph
    target: np.ndarray  # int32 unit of the other side holding its best match (-1: none)
    z: np.ndarray  # float32 how far that match stands above the paragraph's unrelated ones
    gap: np.ndarray  # float32 and above its best match in any other unit (spreads)
    length: np.ndarray  # float32 characters
    n_units: int

    @staticmethod
    def empty(owner: np.ndarray, length: np.ndarray, n_units: int) -> SideVotes:
        k = len(owner)
        return SideVotes(
            owner,
            np.full(k, -1, np.int32),
            np.full(k, -np.inf, np.float32),
            np.zeros(k, np.float32),
            length,
            n_units,
        )

    def shares(self, min_z: float, min_gap: float) -> dict[tuple[int, int], float]:
        """(own unit, other unit) → share of the own unit's text voting for the other."""
        total = np.bincount(self.owner, weights=self.length, minlength=self.n_units)
        total = np.maximum(total, 1.0).tolist()
        ok = (self.target >= 0) & (self.z >= min_z) & (self.gap >= min_gap)
        out: dict[tuple[int, int], float] = {}
        # Plain lists: a loop over a few dozen paragraphs beats numpy's per-call overhead.
        for u, t, ln in zip(
            self.owner[ok].tolist(), self.target[ok].tolist(), self.length[ok].tolist(), strict=True
        ):
            out[(u, t)] = out.get((u, t), 0.0) + ln / total[u]
        return out


@dataclass
class Votes:
    a: SideVotes  # paragraphs of the earlier year
    b: SideVotes  # paragraphs of the later year
    # shares() by its arguments: scoring and linking ask for the same ones
    _shares: dict = field(default_factory=dict, repr=False, compare=False)

    def shares(
        self, min_z: float, min_gap: float, reference: int = 0
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Pairs (i, j) with any vote, and the shares of i in j (a → b) and of j in i (b → a).

        With a `reference` count, `min_z` holds for paragraphs compared with up to that many
        paragraphs and grows with sqrt(ln count) beyond: the best of many unrelated matches
        stands out further by chance. The arrays are shared between calls: not to be written.
        """
        out = self._shares.get((min_z, min_gap, reference))
        if out is None:
            out = self._shares[(min_z, min_gap, reference)] = self._compute(
                min_z, min_gap, reference
            )
        return out

    def _compute(self, min_z: float, min_gap: float, reference: int):
        ab = self.a.shares(min_z * _scale(len(self.b.owner), reference), min_gap)
        ba = self.b.shares(min_z * _scale(len(self.a.owner), reference), min_gap)
        ba = {(i, j): s for (j, i), s in ba.items()}
        keys = sorted(ab.keys() | ba.keys())
        i = np.array([k[0] for k in keys], np.int32)
        j = np.array([k[1] for k in keys], np.int32)
        s_ab = np.array([ab.get(k, 0.0) for k in keys], np.float32)
        s_ba = np.array([ba.get(k, 0.0) for k in keys], np.float32)
        return i, j, s_ab, s_ba


def _scale(count: int, reference: int) -> float:
    if reference <= 1 or count <= reference:
        return 1.0
    return float(np.sqrt(np.log(count) / np.log(reference)))


class _Channel:
    """Similarities of paragraph pairs from unit-length row vectors (sparse or dense)."""

    def __init__(self, xa, xb, min_spread: float, xbt=None):
        self.xa, self.xb, self.min_spread = xa, xb, min_spread
        self.xbt = xb.T if xbt is None else xbt  # sparse: cached in CSR (LexIndex.weighted)

    def dense(self) -> np.ndarray:
        prod = self.xa @ self.xbt
        return np.asarray(prod.toarray() if sp.issparse(prod) else prod, dtype=np.float32)

    def pairs(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if sp.issparse(self.xa):
            return row_dots(self.xa, self.xb, a, b)
        return np.einsum("ij,ij->i", self.xa[a], self.xb[b]).astype(np.float32)


def paragraph_votes(
    left: LexPrepared,
    right: LexPrepared,
    index: LexIndex,
    cfg: SimConfig,
    embeddings: tuple[np.ndarray, np.ndarray] | None = None,
    unit_candidates: tuple[np.ndarray, np.ndarray] | None = None,
) -> Votes:
    """The votes of both sides' paragraphs (all pairs, or pruned candidates for large inputs).

    `unit_candidates` (candidate unit pairs already found) are reused when every unit is one
    paragraph, so the pruning index is built once.
    """
    n, m = len(left), len(right)
    xa, xb = index.weighted(left, "seg", "tfidf"), index.weighted(right, "seg", "tfidf")
    sa_n, sb_n = xa.shape[0], xb.shape[0]
    if sa_n == 0 or sb_n == 0:
        return Votes(
            SideVotes.empty(left.seg_owner, left.seg_len, n),
            SideVotes.empty(right.seg_owner, right.seg_len, m),
        )
    dense = sa_n * sb_n <= cfg.dense_limit
    xbt = index.weighted(right, "seg", "tfidf.T") if dense else None
    channels = [_Channel(xa, xb, cfg.vote_floor, xbt)]
    if embeddings is not None:
        channels.append(_Channel(embeddings[0], embeddings[1], 0.001))
    if dense:
        mats = [ch.dense() for ch in channels]
        za = np.mean([_row_z(x, ch.min_spread) for x, ch in zip(mats, channels, strict=True)], 0)
        zb = np.mean([_row_z(x.T, ch.min_spread) for x, ch in zip(mats, channels, strict=True)], 0)
        return Votes(
            _dense_side(za, left, right.seg_owner, m),
            _dense_side(zb, right, left.seg_owner, n),
        )
    # Large inputs: candidates from the TF-IDF index, backgrounds from random partners.
    if unit_candidates is not None and sa_n == n and sb_n == m:
        ca, cb = unit_candidates  # one paragraph per unit: paragraph i is unit i
    else:
        weights = sp.diags(pruning_weights(xa, xb, cfg.max_df))
        ca, cb = top_pairs(
            l2_rows(xa @ weights), l2_rows(xb @ weights), cfg.top_k, cfg.block_rows, cfg.min_cosine
        )
    rng = np.random.default_rng(0)
    ra, rb = random_partners(sa_n, sb_n, cfg.background_sample, rng)
    qb, qa = random_partners(sb_n, sa_n, cfg.background_sample, rng)
    za = np.zeros(len(ca), np.float32)
    zb = np.zeros(len(ca), np.float32)
    for ch in channels:
        vals = ch.pairs(ca, cb)
        za += standardise(vals, ca, sampled_stats(ch.pairs(ra, rb), ra, sa_n, 0.1), ch.min_spread)
        zb += standardise(vals, cb, sampled_stats(ch.pairs(qa, qb), qb, sb_n, 0.1), ch.min_spread)
    za /= len(channels)
    zb /= len(channels)
    return Votes(
        _sparse_side(ca, right.seg_owner[cb], za, left, m),
        _sparse_side(cb, left.seg_owner[ca], zb, right, n),
    )


def _row_z(mat: np.ndarray, min_spread: float) -> np.ndarray:
    level, spread = dense_stats(mat, 1, 0.1)
    return (mat - level[:, None]) / np.maximum(spread, min_spread)[:, None]


def _dense_side(z: np.ndarray, own: LexPrepared, other_owner: np.ndarray, n_other: int):
    """Votes from a full paragraph × paragraph matrix of standardised similarities."""
    units, starts = np.unique(other_owner, return_index=True)
    per_unit = np.maximum.reduceat(z, starts, axis=1)  # paragraphs × units present
    order = np.argsort(-per_unit, axis=1, kind="stable")
    best = per_unit[np.arange(len(z)), order[:, 0]]
    second = (
        per_unit[np.arange(len(z)), order[:, 1]]
        if per_unit.shape[1] > 1
        else np.full_like(best, -np.inf)
    )
    return SideVotes(
        own.seg_owner,
        units[order[:, 0]].astype(np.int32),
        best.astype(np.float32),
        np.minimum(best - second, 1e6).astype(np.float32),
        own.seg_len,
        len(own),
    )


def _sparse_side(seg, unit, z, own: LexPrepared, n_other: int) -> SideVotes:
    """Votes from candidate pairs only: each paragraph's best and second-best unit among its
    candidates."""
    out = SideVotes.empty(own.seg_owner, own.seg_len, len(own))
    if not len(seg):
        return out
    # The best score per (paragraph, unit), then the two best units per paragraph.
    order = np.lexsort((-z, unit, seg))
    seg, unit, z = seg[order], unit[order], z[order]
    first = np.r_[True, (seg[1:] != seg[:-1]) | (unit[1:] != unit[:-1])]
    seg, unit, z = seg[first], unit[first], z[first]
    order = np.lexsort((-z, seg))
    seg, unit, z = seg[order], unit[order], z[order]
    head = np.r_[True, seg[1:] != seg[:-1]]
    idx = np.nonzero(head)[0]
    has_second = np.r_[idx[1:], len(seg)] - idx > 1
    second = np.where(has_second, z[np.minimum(idx + 1, len(z) - 1)], -np.inf)
    out.target[seg[idx]] = unit[idx]
    out.z[seg[idx]] = z[idx]
    out.gap[seg[idx]] = np.minimum(z[idx] - second, 1e6)
    return out
