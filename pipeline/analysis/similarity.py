"""Pairwise similarity of text units for alignment: the configuration of every scorer and the
rapidfuzz (Indel) scorers.

The default scorer, BM25 over jieba words with IDF over the series' paragraphs, lives in
`lexical.py`; this module keeps the character/bigram/word Indel scorers it replaced, selectable
for comparison (`SimConfig(scorer="sort", tokens="bigram")`, the old default, is `LEGACY`).

For the Indel scorers texts are reduced to a matching form (punctuation, spaces and plan years
removed), tokenised into characters, character bigrams or jieba words, and every token is
mapped to one code point so rapidfuzz's bit-parallel Indel scorers work on token strings.
Scores are 0–100. Small pairs of years are scored all-against-all with `process.cdist`; large
ones first prune candidates with a sparse character-bigram TF-IDF index (candidates.py) and
then score only those pairs with `process.cpdist`. docs/alignment.md has the measurements.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from rapidfuzz import fuzz, process

from policytrack.pipeline.analysis.background import (
    MIN_PARTNERS,
    dense_stats,
    sampled_stats,
)
from policytrack.pipeline.analysis.candidates import (
    l2_rows,
    pruning_weights,
    random_partners,
    top_pairs,
)
from policytrack.pipeline.text.vocab import match_form

TOKENIZERS = ("jieba", "bigram", "char")
SCORERS = ("bm25", "sort", "ratio", "set")
MAX_HEADING_WEIGHT = 0.2  # headings are a minor signal for BM25 (docs/alignment.md)


@dataclass(frozen=True)
class SimConfig:
    """How two units are compared. Defaults are the measured best (docs/alignment.md)."""

    # bm25 (IDF-weighted, lexical.py) | sort (order-free multiset) | ratio (ordered) |
    # set (token_set_ratio): the last three are rapidfuzz Indel scorers
    scorer: str = "bm25"
    # jieba (words) | bigram (character bigrams: bm25's dependency-free fallback) | char
    tokens: str = "jieba"
    # Share of the heading score where both units have one (at most 0.2 for bm25). Measured best
    # at 0: the heading is the item's first clause, already part of the body.
    heading_weight: float = 0.0
    k1: float = 1.2  # BM25 term-frequency saturation
    # The smallest spread of a paragraph's cosines with the other document's paragraphs: below
    # it a chance overlap of a few words in a small document would look significant.
    vote_floor: float = 0.025
    b: float = 0.75  # BM25 length normalisation
    dense_limit: int = 250_000  # pairs scored all-against-all; above this, prune first
    top_k: int = 10  # candidates kept per unit when pruning
    block_rows: int = 4096  # rows per sparse block when pruning (bounds memory)
    min_cosine: float = 0.05  # candidates below this TF-IDF cosine are never scored
    max_df: float = 0.05  # bigrams in more than this share of units are ignored for pruning
    background: bool = True  # standardise scores by the unrelated-pair level of each row/column
    background_sample: int = 16  # random partners per unit for that level when pruning
    workers: int = -1

    def __post_init__(self):
        if self.tokens not in TOKENIZERS:
            raise ValueError(f"tokens must be one of {TOKENIZERS}, not {self.tokens!r}")
        if self.scorer not in SCORERS:
            raise ValueError(f"scorer must be one of {SCORERS}, not {self.scorer!r}")
        if not 0.0 <= self.heading_weight <= 1.0:
            raise ValueError("heading_weight must be within [0, 1]")
        if self.scorer == "bm25" and self.tokens == "char":
            raise ValueError("bm25 needs tokens 'jieba' or 'bigram'")
        if self.scorer == "bm25" and self.heading_weight > MAX_HEADING_WEIGHT:
            raise ValueError(f"bm25: heading_weight must be at most {MAX_HEADING_WEIGHT}")

    @property
    def indel(self) -> bool:
        """True for the rapidfuzz Indel scorers (sort, ratio, set)."""
        return self.scorer != "bm25"


# The scorer of ALIGN_VERSION 3, kept for comparison (bench/align_bench.py prints the ratio).
LEGACY = SimConfig(scorer="sort", tokens="bigram")


class Encoder:
    """Tokenise matching forms and map each distinct token to one code point.

    One encoder is shared by the years of a series so equal tokens get equal code points.
    Bigrams (the default) are encoded vectorised: code point pairs → int keys → ids.
    """

    # Above the BMP so mapped tokens can never be confused with real characters in one string.
    _BASE = 0x10000
    _CAPACITY = 0x110000 - 0x10000  # ids beyond this wrap (hash collisions, only for huge inputs)

    def __init__(self, tokens: str):
        self.tokens = tokens
        self.vocab: dict[str, str] = {}  # char / jieba tokens
        self.keys: dict[int, int] = {}  # bigram key → id

    def _code(self, tok: str) -> str:
        code = self.vocab.get(tok)
        if code is None:
            code = chr(self._BASE + len(self.vocab) % self._CAPACITY)
            self.vocab[tok] = code
        return code

    def split(self, form: str) -> list[str]:
        if self.tokens == "char":
            return list(form)
        if self.tokens == "bigram":
            if len(form) < 2:
                return [form] if form else []
            return [form[i : i + 2] for i in range(len(form) - 1)]
        return [t for t in _jieba().lcut(form) if t.strip()]

    def encode(self, form: str) -> str:
        if self.tokens == "char":
            return form
        return "".join(self._code(t) for t in self.split(form))

    def bigram_ids(self, forms: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """All bigram ids of all forms, flat, and the offsets of each form (CSR layout).

        A one-character form is its own single token.
        """
        lens = np.fromiter((len(f) for f in forms), dtype=np.int64, count=len(forms))
        cp = np.frombuffer("".join(forms).encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
        starts = np.r_[0, np.cumsum(lens)[:-1]].astype(np.int64)
        counts = np.where(lens >= 2, lens - 1, lens)  # bigrams per form (1 for a single char)
        offsets = np.r_[0, np.cumsum(counts)].astype(np.int64)
        # Position of each token's first character in `cp`.
        first = np.repeat(starts, counts) + (
            np.arange(offsets[-1]) - np.repeat(offsets[:-1], counts)
        )
        second = np.where(np.repeat(lens >= 2, counts), cp[np.minimum(first + 1, len(cp) - 1)], 0)
        keys = (cp[first] << 21) | second if len(first) else np.empty(0, dtype=np.int64)
        uniq, inv = np.unique(keys, return_inverse=True)
        table = self.keys
        ids = np.fromiter(
            (table.setdefault(k, len(table)) for k in uniq.tolist()),
            dtype=np.int64,
            count=len(uniq),
        )
        return ids[inv.ravel()] % self._CAPACITY, offsets

    def bigram_strings(self, ids: np.ndarray, offsets: np.ndarray, sort: bool) -> list[str]:
        codes = (ids + self._BASE).astype(np.uint32)
        out = []
        for a, b in zip(offsets[:-1].tolist(), offsets[1:].tolist(), strict=True):
            seg = np.sort(codes[a:b]) if sort else codes[a:b]
            out.append(seg.tobytes().decode("utf-32-le"))
        return out


def _jieba():
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    return jieba


@dataclass
class Prepared:
    """Encoded heading and body strings for one side of a comparison."""

    heading: list[str]
    body: list[str]
    body_len: np.ndarray  # token count of each body (for containment scores)
    grams: tuple[np.ndarray, np.ndarray]  # bigram ids of each body, CSR (for the pruning index)

    def __len__(self) -> int:
        return len(self.body)

    def subset(self, idx: list[int]) -> Prepared:
        ids, off = self.grams
        parts = [ids[off[i] : off[i + 1]] for i in idx]
        new_off = np.r_[0, np.cumsum([len(x) for x in parts])].astype(np.int64)
        return Prepared(
            heading=[self.heading[i] for i in idx],
            body=[self.body[i] for i in idx],
            body_len=self.body_len[idx] if len(idx) else self.body_len[:0],
            grams=(np.concatenate(parts) if parts else ids[:0], new_off),
        )


def prepare(
    headings: list[str], bodies: list[str], encoder: Encoder, scorer: str = "sort"
) -> Prepared:
    forms = [match_form(b) for b in bodies]
    head_forms = [match_form(h) for h in headings]
    grams = encoder.bigram_ids(forms)
    if encoder.tokens == "bigram" and scorer != "set":
        # Sorting the token code points turns Indel similarity into multiset overlap
        # (Dice coefficient): order-free, and still bit-parallel.
        sort = scorer == "sort"
        body = encoder.bigram_strings(*grams, sort=sort)
        heading = encoder.bigram_strings(*encoder.bigram_ids(head_forms), sort=sort)
        lens = np.diff(grams[1]).astype(np.int32)
        return Prepared(heading=heading, body=body, body_len=lens, grams=grams)
    if encoder.tokens == "bigram":
        body = encoder.bigram_strings(*grams, sort=False)
        heading = encoder.bigram_strings(*encoder.bigram_ids(head_forms), sort=False)
    else:
        body = [encoder.encode(f) for f in forms]
        heading = [encoder.encode(f) for f in head_forms]
    lens = np.fromiter((len(s) for s in body), dtype=np.int32, count=len(body))
    if scorer == "sort":
        body = ["".join(sorted(s)) for s in body]
        heading = ["".join(sorted(s)) for s in heading]
    elif scorer == "set":
        # token_set_ratio splits on whitespace.
        body = [" ".join(s) for s in body]
        heading = [" ".join(s) for s in heading]
    return Prepared(heading=heading, body=body, body_len=lens, grams=grams)


def _scorer(name: str):
    return fuzz.token_set_ratio if name == "set" else fuzz.ratio


@dataclass
class Pairs:
    """Scored candidate pairs between side A (rows) and side B (columns), any scorer.

    `score` is standardised against unrelated pairs (background.py): 0 is "as alike as
    unrelated units of these two documents", 4 is four spreads above that. Raw scores depend
    heavily on length and genre (a 60-character 工作要点 item vs a 2,000-character report
    task); standardised ones do not, so one threshold serves both (docs/alignment.md).
    """

    a: np.ndarray  # int32 row indices
    b: np.ndarray  # int32 column indices
    score: np.ndarray  # float32 standardised score
    raw: np.ndarray  # float32 raw similarity 0–100, for reading
    best_a: np.ndarray  # best standardised score of each row over all its pairs
    best_b: np.ndarray
    pruned: bool  # True when candidates came from the n-gram index

    def __len__(self) -> int:
        return len(self.a)

    @staticmethod
    def empty(n: int, m: int) -> Pairs:
        e, f = np.empty(0, dtype=np.int32), np.empty(0, dtype=np.float32)
        return Pairs(e, e, f, f, np.zeros(n, np.float32), np.zeros(m, np.float32), False)

    @staticmethod
    def build(a, b, score, raw, n: int, m: int, pruned: bool) -> Pairs:
        best_a = np.full(n, -np.inf, dtype=np.float32)
        best_b = np.full(m, -np.inf, dtype=np.float32)
        np.maximum.at(best_a, a, score)
        np.maximum.at(best_b, b, score)
        best_a[np.isinf(best_a)] = 0
        best_b[np.isinf(best_b)] = 0
        return Pairs(a, b, score.astype(np.float32), raw.astype(np.float32), best_a, best_b, pruned)


def score_pairs(left: Prepared, right: Prepared, cfg: SimConfig) -> Pairs:
    """Indel scores of all pairs (or pruned candidates), standardised by the row and column
    statistics of the pair of documents (averaged)."""
    n, m = len(left), len(right)
    if n == 0 or m == 0:
        return Pairs.empty(n, m)
    scorer = _scorer(cfg.scorer)
    has_head_a = np.fromiter((bool(h) for h in left.heading), dtype=bool, count=n)
    has_head_b = np.fromiter((bool(h) for h in right.heading), dtype=bool, count=m)
    use_heading = cfg.heading_weight > 0 and has_head_a.any() and has_head_b.any()
    dense = n * m <= cfg.dense_limit
    if dense:
        ai, bi = (x.ravel().astype(np.int32) for x in np.indices((n, m)))
        body = process.cdist(
            left.body, right.body, scorer=scorer, dtype=np.float32, workers=cfg.workers
        ).ravel()
        head = (
            process.cdist(
                left.heading, right.heading, scorer=scorer, dtype=np.float32, workers=cfg.workers
            ).ravel()
            if use_heading
            else None
        )
        sample = (ai, bi, body, head)
    else:
        ai, bi = candidates(left, right, cfg)
        body = _cpdist([left.body[i] for i in ai], [right.body[j] for j in bi], scorer, cfg.workers)
        head = (
            _cpdist(
                [left.heading[i] for i in ai], [right.heading[j] for j in bi], scorer, cfg.workers
            )
            if use_heading
            else None
        )
        sample = _background_sample(left, right, cfg, scorer, use_heading)
    sa, sb, sbody, shead = sample
    bg = cfg.background

    def stats(values):
        if not bg:
            z = np.zeros(n, np.float32), np.zeros(m, np.float32)
            return z, (np.full(n, 10, np.float32), np.full(m, 10, np.float32))
        if dense and min(n, m) > MIN_PARTNERS:
            mat = values.reshape(n, m)
            rows, cols = dense_stats(mat, 1), dense_stats(mat, 0)
        else:
            rows, cols = sampled_stats(values, sa, n, 10.0), sampled_stats(values, sb, m, 10.0)
        return (rows[0], cols[0]), (rows[1], cols[1])

    score = _standardised(body, ai, bi, stats(sbody), 1.0)
    raw = body
    if use_heading:
        head_z = _standardised(head, ai, bi, stats(shead), 1.0)
        both = has_head_a[ai] & has_head_b[bi]
        w = np.float32(cfg.heading_weight)
        score = np.where(both, w * head_z + (1 - w) * score, score)
        raw = np.where(both, w * head + (1 - w) * body, body)
    return Pairs.build(ai, bi, score, raw, n, m, pruned=not dense)


def _standardised(values, a, b, stats, min_spread: float) -> np.ndarray:
    """(raw − unrelated level) / unrelated spread, row and column statistics averaged."""
    (row_med, col_med), (row_sp, col_sp) = stats
    level = (row_med[a] + col_med[b]) / 2
    spread = np.maximum((row_sp[a] + col_sp[b]) / 2, min_spread)
    return ((values - level) / spread).astype(np.float32)


def _background_sample(left: Prepared, right: Prepared, cfg: SimConfig, scorer, use_heading):
    """Random partners for every row and column, scored, to estimate backgrounds when pruning."""
    n, m = len(left), len(right)
    rng = np.random.default_rng(0)  # fixed: the same input always gives the same links
    rows_a, rows_b = random_partners(n, m, cfg.background_sample, rng)
    cols_b, cols_a = random_partners(m, n, cfg.background_sample, rng)
    pairs = np.unique(np.r_[rows_a, cols_a].astype(np.int64) * m + np.r_[rows_b, cols_b])
    sa, sb = (pairs // m).astype(np.int32), (pairs % m).astype(np.int32)
    body = _cpdist([left.body[i] for i in sa], [right.body[j] for j in sb], scorer, cfg.workers)
    head = (
        _cpdist([left.heading[i] for i in sa], [right.heading[j] for j in sb], scorer, cfg.workers)
        if use_heading
        else None
    )
    return sa, sb, body, head


def _cpdist(a: list[str], b: list[str], scorer, workers: int) -> np.ndarray:
    if not a:
        return np.empty(0, dtype=np.float32)
    return process.cpdist(a, b, scorer=scorer, dtype=np.float32, workers=workers)


def _bigram_matrix(grams: tuple[np.ndarray, np.ndarray], width: int) -> sp.csr_matrix:
    """Binary unit × bigram matrix from CSR-laid-out bigram ids."""
    ids, off = grams
    m = sp.csr_matrix(
        (np.ones(len(ids), dtype=np.float32), ids.astype(np.int32), off),
        shape=(len(off) - 1, width),
    )
    m.sum_duplicates()
    m.data[:] = 1.0
    return m


def candidates(left: Prepared, right: Prepared, cfg: SimConfig) -> tuple[np.ndarray, np.ndarray]:
    """Candidate pairs from a sparse bigram TF-IDF cosine: top-k per row and per column
    (candidates.py)."""
    width = int(max(left.grams[0].max(initial=0), right.grams[0].max(initial=0))) + 1
    xa = _bigram_matrix(left.grams, width)
    xb = _bigram_matrix(right.grams, width)
    idf = sp.diags(pruning_weights(xa, xb, cfg.max_df))
    return top_pairs(
        l2_rows(xa @ idf), l2_rows(xb @ idf), cfg.top_k, cfg.block_rows, cfg.min_cosine
    )
