"""IDF-weighted lexical scoring: BM25 between units, TF-IDF vectors of their paragraphs.

Terms are jieba words or character bigrams (no dictionary: the dependency-free fallback). jieba
words come from `rjieba` (jieba-rs: the same dictionary and algorithm, measured identical cuts
on every GWR paragraph and ~50× faster) when it is installed, else from `jieba` itself.

The IDF of a term is computed over every paragraph of the series (a paragraph is the unit of
theme in these documents), BM25's: ln(1 + (N − df + 0.5) / (df + 0.5)). Common policy verbs
(推进, 加强, 发展) get almost no weight, the words that carry a topic get most.

A unit pair is scored in both directions: the BM25 score of unit a as the query against unit
b, divided by a's score against itself (the share of a's weighted terms found in b), and the
same from b. Each direction is standardised against the query's unrelated pairs
(background.py) and the two are averaged. docs/alignment.md has the measurements.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from policytrack.pipeline.analysis.background import dense_stats, sampled_stats, standardise
from policytrack.pipeline.analysis.candidates import (
    l2_rows,
    pruning_weights,
    random_partners,
    row_dots,
    top_pairs,
)
from policytrack.pipeline.analysis.similarity import Encoder, Pairs, SimConfig
from policytrack.pipeline.text.vocab import match_form

log = logging.getLogger(__name__)

_MIN_SPREAD = 0.01  # scores here are shares (0–1): a spread below 1 % is no spread


def paragraphs(body: str) -> list[str]:
    """The paragraphs of a unit's text that have something to match (segments of the vote)."""
    return [p for p in (body or "").split("\n") if match_form(p)]


def _word_cutter():
    """rjieba's cut when installed (same cuts as jieba, much faster), else jieba's; None when
    neither can be imported."""
    try:
        import rjieba

        return rjieba.cut
    except ImportError:
        pass
    try:
        import jieba
    except ImportError:
        return None
    jieba.setLogLevel(logging.WARNING)
    return jieba.lcut


@dataclass
class LexPrepared:
    """One side of a comparison: term counts of each unit, of its heading and of its paragraphs."""

    tf: sp.csr_matrix  # units × terms (body)
    head: sp.csr_matrix  # units × terms (heading)
    seg: sp.csr_matrix  # paragraphs × terms
    seg_owner: np.ndarray  # int32 unit of each paragraph, ascending
    seg_len: np.ndarray  # float32 characters of each paragraph's matching form
    # Weighted forms of the matrices above (LexIndex.weighted), made once: a year's side is
    # compared with the year before and with the year after.
    cache: dict = field(default_factory=dict, repr=False, compare=False)
    # A subset's whole and the rows it took of each matrix ({"tf": …, "head": …, "seg": …})
    whole: tuple[LexPrepared, dict[str, np.ndarray]] | None = field(default=None, repr=False)

    def __len__(self) -> int:
        return self.tf.shape[0]

    def cached(self, key: tuple, make: Callable[[], Any]) -> Any:
        """cache[key] (key: matrix name, weighting, width), made once: by make(), or for a
        subset as the rows of its whole's (every weighting is row by row, so the rows of the
        weighted whole are the weighted rows; a transpose is not)."""
        out = self.cache.get(key)
        if out is None:
            whole = self.whole
            if whole is not None and key in whole[0].cache and not key[1].endswith(".T"):
                out = take_rows(whole[0].cache[key], whole[1][key[0]])
            else:
                out = make()
            self.cache[key] = out
        return out

    def subset(self, idx: list[int]) -> LexPrepared:
        idx = np.asarray(idx, dtype=np.int64)
        keep = np.isin(self.seg_owner, idx)
        remap = np.full(len(self) + 1, -1, dtype=np.int32)
        remap[idx] = np.arange(len(idx), dtype=np.int32)
        rows = {"tf": idx, "head": idx, "seg": np.nonzero(keep)[0]}
        return LexPrepared(
            tf=take_rows(self.tf, idx),
            head=take_rows(self.head, idx),
            seg=take_rows(self.seg, rows["seg"]),
            seg_owner=remap[self.seg_owner[keep]],
            seg_len=self.seg_len[keep],
            whole=(self, rows),
        )


def take_rows(x, rows: np.ndarray):
    """x[rows] for a CSR matrix (each row's entries in their order) or an array: scipy's
    fancy indexing spends most of its time checking the indices."""
    if not sp.issparse(x):
        return x[rows]
    starts = x.indptr[rows]
    lens = x.indptr[rows + 1] - starts
    indptr = np.r_[0, np.cumsum(lens)]
    take = np.repeat(starts - indptr[:-1], lens) + np.arange(indptr[-1])
    return sp.csr_matrix((x.data[take], x.indices[take], indptr), shape=(len(rows), x.shape[1]))


@dataclass
class TextCache:
    """Matching forms of bodies and words of paragraph forms, shared by the indexes of a corpus's
    series: a paragraph repeated in several series is cut once."""

    forms: dict[str, list[str]] = field(default_factory=dict)  # body → its paragraphs' forms
    words: dict[str, list[str]] = field(default_factory=dict)  # paragraph form → jieba words
    matched: dict[str, str] = field(default_factory=dict)  # text → match_form(text)

    def form(self, text: str) -> str:
        """match_form(text), made once per text (bodies are checked for emptiness, then keyed)."""
        out = self.matched.get(text)
        if out is None:
            out = self.matched[text] = match_form(text)
        return out


class LexIndex:
    """The vocabulary and paragraph IDF of one series; prepares each year's units against it."""

    def __init__(
        self,
        bodies: Iterable[str],
        tokens: str = "jieba",
        k1: float = 1.2,
        b=0.75,
        texts: TextCache | None = None,
    ):
        if tokens not in ("jieba", "bigram"):
            tokens = "bigram"  # single characters (an Indel scorer's tokens) vote as bigrams
        cut = _word_cutter() if tokens == "jieba" else None
        if tokens == "jieba" and cut is None:
            log.warning("jieba is not installed: scoring with character bigrams instead")
            tokens = "bigram"
        self.tokens, self._cut, self.k1, self.b = tokens, cut, k1, b
        self.terms: dict[str, int] = {}
        self._bigrams = Encoder("bigram")
        self._ids: dict[str, np.ndarray] = {}  # paragraph matching form → term ids
        self._texts = texts or TextCache()
        self._idf: dict[int, np.ndarray] = {}  # width → idf (df is fixed once built)
        forms = [self.forms(body) for body in bodies]
        flat = [f for fs in forms for f in fs]
        self._encode(flat)
        # Document frequency over paragraphs: each paragraph counts a term once.
        paras = _counts([self._ids[f] for f in flat], self.width)
        self.df = np.bincount(paras.indices, minlength=self.width).astype(np.float64)
        self.n_paragraphs = len(flat)
        lengths = [sum(len(self._ids[f]) for f in fs) for fs in forms]
        self.avgdl = float(np.mean(lengths)) if lengths and np.mean(lengths) > 0 else 1.0

    def forms(self, body: str) -> list[str]:
        """Matching forms of a body's paragraphs (cached)."""
        cache = self._texts.forms
        out = cache.get(body)
        if out is None:  # = match_form of each of paragraphs(body), each form made once
            out = cache[body] = [f for f in map(match_form, (body or "").split("\n")) if f]
        return out

    @property
    def width(self) -> int:
        return max(len(self.terms), len(self._bigrams.keys), 1)

    def _encode(self, forms: list[str]) -> None:
        """Term ids of every new paragraph form (cached: a paragraph repeated across years is
        cut once)."""
        new = list(dict.fromkeys(f for f in forms if f not in self._ids))
        if not new:
            return
        if self.tokens == "bigram":
            ids, off = self._bigrams.bigram_ids(new)
            for k, f in enumerate(new):
                self._ids[f] = ids[off[k] : off[k + 1]]
            return
        cut, cache = self._cut, self._texts.words
        words = [cache.get(f) or cache.setdefault(f, cut(f)) for f in new]  # forms are not empty
        # (matching forms have no spaces: every word counts)
        flat = [w for ws in words for w in ws]
        # Ids in bulk: factorize the words (hashing in C), then one dict look-up per distinct word.
        codes, uniques = pd.factorize(np.asarray(flat, dtype=object)) if flat else ([], [])
        terms = self.terms
        table = np.fromiter(
            (terms.setdefault(w, len(terms)) for w in uniques), dtype=np.int64, count=len(uniques)
        )
        ids = table[np.asarray(codes, dtype=np.int64)] if flat else np.empty(0, np.int64)
        off = np.r_[0, np.cumsum([len(ws) for ws in words])]
        for k, f in enumerate(new):
            self._ids[f] = ids[off[k] : off[k + 1]]

    def idf(self, width: int) -> np.ndarray:
        out = self._idf.get(width)
        if out is None:
            out = self._idf[width] = self._make_idf(width)
        return out

    def _make_idf(self, width: int) -> np.ndarray:
        df = np.zeros(width)
        df[: min(width, len(self.df))] = self.df[:width]
        n = self.n_paragraphs
        return np.log1p((n - df + 0.5) / (df + 0.5)).astype(np.float32)

    def prepare(self, headings: list[str], bodies: list[str]) -> LexPrepared:
        forms = [self.forms(b) for b in bodies]
        head_forms = [self._texts.form(h) for h in headings]
        self._encode([f for fs in forms for f in fs] + head_forms)
        width = self.width
        seg_forms = [f for fs in forms for f in fs]
        owner = np.repeat(np.arange(len(bodies), dtype=np.int32), [len(fs) for fs in forms])
        seg = _counts([self._ids[f] for f in seg_forms], width)
        # A unit's terms are the sum of its paragraphs' terms.
        pick = sp.csr_matrix(
            (np.ones(len(owner), np.float32), (owner, np.arange(len(owner)))),
            shape=(len(bodies), len(owner)),
        )
        return LexPrepared(
            tf=(pick @ seg).tocsr(),
            head=_counts([self._ids[f] for f in head_forms], width),
            seg=seg,
            seg_owner=owner,
            seg_len=np.fromiter((len(f) for f in seg_forms), np.float32, len(seg_forms)),
        )

    # ------------------------------------------------------------------ weights

    def weighted(self, lex: LexPrepared, name: str, kind: str) -> sp.csr_matrix:
        """`kind` ("query", "doc" or "tfidf") of lex's matrix `name` ("tf", "head", "seg"); with
        kind + ".T" its transpose in CSR (what a product with the transpose converts it to).
        Cached on lex: the width only grows while years are prepared, before any scoring."""
        if kind.endswith(".T"):
            return lex.cached(
                (name, kind, self.width), lambda: self.weighted(lex, name, kind[:-2]).T.tocsr()
            )
        return lex.cached((name, kind, self.width), lambda: getattr(self, kind)(getattr(lex, name)))

    def self_scores(self, lex: LexPrepared, name: str) -> np.ndarray:
        """BM25 of each row of lex's matrix `name` against itself (at least 1e-9): the
        denominator of a share."""

        def make() -> np.ndarray:
            q, d = self.weighted(lex, name, "query"), self.weighted(lex, name, "doc")
            return np.maximum(np.asarray(q.multiply(d).sum(axis=1)).ravel(), 1e-9)

        return lex.cached((name, "self", self.width), make)

    def query(self, tf: sp.csr_matrix) -> sp.csr_matrix:
        """BM25 query weights: idf · saturated term frequency."""
        x = sp.csr_matrix(_pad(tf, self.width), copy=True)
        cols = x.indices
        x.data = (x.data * (self.k1 + 1) / (x.data + self.k1) * self.idf(self.width)[cols]).astype(
            np.float32
        )
        return x

    def doc(self, tf: sp.csr_matrix) -> sp.csr_matrix:
        """BM25 document weights: saturated term frequency, normalised by length."""
        x = sp.csr_matrix(_pad(tf, self.width), copy=True)
        dl = np.asarray(x.sum(axis=1)).ravel()
        rows = np.repeat(np.arange(x.shape[0]), np.diff(x.indptr))
        norm = self.k1 * (1 - self.b + self.b * dl[rows] / self.avgdl)
        x.data = (x.data * (self.k1 + 1) / (x.data + norm)).astype(np.float32)
        return x

    def tfidf(self, tf: sp.csr_matrix) -> sp.csr_matrix:
        """Unit-length TF-IDF rows (sublinear term frequency): cosines are dot products."""
        x = sp.csr_matrix(_pad(tf, self.width), copy=True)
        x.data = ((1 + np.log(x.data)) * self.idf(self.width)[x.indices]).astype(np.float32)
        return l2_rows(x)


def _counts(ids: list[np.ndarray], width: int) -> sp.csr_matrix:
    lens = np.fromiter((len(x) for x in ids), dtype=np.int64, count=len(ids))
    cols = np.concatenate(ids) if ids else np.empty(0, np.int64)
    x = sp.csr_matrix(
        (np.ones(len(cols), np.float32), cols, np.r_[0, np.cumsum(lens)]),
        shape=(len(ids), width),
    )
    x.sum_duplicates()
    return x


def _pad(x: sp.csr_matrix, width: int) -> sp.csr_matrix:
    x = sp.csr_matrix(x)
    if x.shape[1] == width:
        return x
    return sp.csr_matrix((x.data, x.indices, x.indptr), shape=(x.shape[0], width))


# ---------------------------------------------------------------------------- unit scores


def score_units(
    left: LexPrepared,
    right: LexPrepared,
    index: LexIndex,
    cfg: SimConfig,
    extra: tuple[np.ndarray, np.ndarray] | None = None,
    candidates: tuple[np.ndarray, np.ndarray] | None = None,
) -> Pairs:
    """BM25 of every pair (or of the pruned `candidates` plus `extra` pairs), both directions,
    each standardised against the query's unrelated pairs, averaged."""
    n, m = len(left), len(right)
    if n == 0 or m == 0:
        return Pairs.empty(n, m)
    dense = n * m <= cfg.dense_limit
    if dense:
        a, b = (x.ravel().astype(np.int32) for x in np.indices((n, m)))
    else:
        a, b = candidates if candidates is not None else candidate_units(left, right, index, cfg)
        if extra is not None and len(extra[0]):
            key = np.unique(
                np.r_[a.astype(np.int64) * m + b, extra[0].astype(np.int64) * m + extra[1]]
            )
            a, b = (key // m).astype(np.int32), (key % m).astype(np.int32)
    score, raw = _bm25_both(left, right, "tf", a, b, index, cfg, dense)
    w = cfg.heading_weight
    if w > 0:
        has_a = np.asarray(left.head.sum(axis=1)).ravel() > 0
        has_b = np.asarray(right.head.sum(axis=1)).ravel() > 0
        both = has_a[a] & has_b[b]
        if both.any():
            h_score, h_raw = _bm25_both(left, right, "head", a, b, index, cfg, dense)
            score = np.where(both, w * h_score + (1 - w) * score, score)
            raw = np.where(both, w * h_raw + (1 - w) * raw, raw)
    return Pairs.build(a, b, score, raw, n, m, pruned=not dense)


def _bm25_both(
    left: LexPrepared, right: LexPrepared, name: str, a, b, index: LexIndex, cfg: SimConfig, dense
):
    """(standardised score, raw 0–100) of pairs a[k]–b[k] of the two sides' matrices `name`:
    BM25 shares both ways, averaged."""
    qa, qb = index.weighted(left, name, "query"), index.weighted(right, name, "query")
    self_a, self_b = index.self_scores(left, name), index.self_scores(right, name)
    n, m = len(left), len(right)
    if dense:
        ab = (qa @ index.weighted(right, name, "doc.T")).toarray() / self_a[:, None]
        ba = (qb @ index.weighted(left, name, "doc.T")).toarray() / self_b[:, None]
        z = (_row_z(ab) + _row_z(ba).T) / 2
        raw = 50 * (ab + ba.T)
        return z[a, b], np.minimum(raw[a, b], 100)
    da, db = index.weighted(left, name, "doc"), index.weighted(right, name, "doc")
    rng = np.random.default_rng(0)  # fixed: the same input always gives the same links
    va = row_dots(qa, db, a, b) / self_a[a]
    vb = row_dots(qb, da, b, a) / self_b[b]
    sa, sb = random_partners(n, m, cfg.background_sample, rng)
    stats_a = sampled_stats(row_dots(qa, db, sa, sb) / self_a[sa], sa, n, 0.1)
    sb2, sa2 = random_partners(m, n, cfg.background_sample, rng)
    stats_b = sampled_stats(row_dots(qb, da, sb2, sa2) / self_b[sb2], sb2, m, 0.1)
    z = (standardise(va, a, stats_a, _MIN_SPREAD) + standardise(vb, b, stats_b, _MIN_SPREAD)) / 2
    return z, np.minimum(50 * (va + vb), 100)


def _row_z(mat: np.ndarray) -> np.ndarray:
    level, spread = dense_stats(mat.astype(np.float32), 1, 0.1)
    return ((mat - level[:, None]) / np.maximum(spread, _MIN_SPREAD)[:, None]).astype(np.float32)


def candidate_units(left: LexPrepared, right: LexPrepared, index: LexIndex, cfg: SimConfig):
    """Top-k partners per row and column under a TF-IDF cosine of units, common terms dropped."""
    xa, xb = _pad(left.tf, index.width), _pad(right.tf, index.width)
    weights = sp.diags(pruning_weights(xa, xb, cfg.max_df))
    return top_pairs(
        l2_rows(xa @ weights), l2_rows(xb @ weights), cfg.top_k, cfg.block_rows, cfg.min_cosine
    )
