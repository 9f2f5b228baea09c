"""Pairwise similarity of text units for alignment.

Texts are reduced to a matching form (punctuation, spaces and plan years removed), tokenised
into characters, character bigrams or jieba words, and every token is mapped to one code point
so rapidfuzz's bit-parallel Indel scorers work on token strings. Scores are 0–100.

Small pairs of years are scored all-against-all with `process.cdist`; large ones first prune
candidates with a sparse character-bigram TF-IDF index (top-k per row and per column, in row
blocks) and then score only those pairs with `process.cpdist`. docs/alignment.md has the
measurements behind the defaults.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from rapidfuzz import fuzz, process

from policytrack.pipeline.text import vocab

TOKENIZERS = ("char", "bigram", "jieba")
SCORERS = ("ratio", "sort", "set")

# Plan years change every year in recurring items ("办好2019年科技活动周"); they are masked so a
# year-only change is not an edit. Other numbers (targets, amounts) stay: they are real changes.
_NON_WORD = re.compile(r"[\W_]+")


def match_form(text: str) -> str:
    """Lower-cased text with plan years, punctuation and spaces removed."""
    if not text:
        return ""
    return _NON_WORD.sub("", vocab.YEAR_MASK.sub("", text.lower()))


@dataclass(frozen=True)
class SimConfig:
    """How two units are compared. Defaults are the measured best (docs/alignment.md)."""

    tokens: str = "bigram"  # char | bigram | jieba
    scorer: str = "sort"  # ratio (ordered) | sort (order-free multiset) | set (token_set_ratio)
    # Share of the heading score where both units have one. Measured best at 0: the heading is
    # the item's first clause, already part of the body (docs/alignment.md).
    heading_weight: float = 0.0
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
    """Scored candidate pairs between side A (rows) and side B (columns).

    `score` and `cont` are standardised against unrelated pairs: (raw − median of the row and
    column) / robust spread (1.4826·MAD) of the row and column, so 0 is "as alike as unrelated
    units of these two documents" and 4 is four spreads above that. Raw scores depend heavily on
    length and genre (a 60-character 工作要点 item vs a 2,000-character report task); standardised
    ones do not, so one threshold serves both (docs/alignment.md). With `background` off, the
    level is 0 and the spread 10 points (score = raw / 10).
    """

    a: np.ndarray  # int32 row indices
    b: np.ndarray  # int32 column indices
    score: np.ndarray  # float32 combined standardised score
    raw: np.ndarray  # float32 combined raw similarity 0–100
    cont: np.ndarray  # float32 standardised containment (share of the smaller unit in the larger)
    best_a: np.ndarray  # best standardised score of each row over all its pairs
    best_b: np.ndarray
    pruned: bool  # True when candidates came from the n-gram index

    def __len__(self) -> int:
        return len(self.a)


_MIN_PARTNERS = 4  # fewer partners than this make a median meaningless: use the global one
_Q90 = 1.2816  # the 90th percentile of a standard normal


def score_pairs(left: Prepared, right: Prepared, cfg: SimConfig, floor: float = -np.inf) -> Pairs:
    """Scores of all pairs (or pruned candidates) whose standardised score is at least `floor`."""
    n, m = len(left), len(right)
    if n == 0 or m == 0:
        e, f = np.empty(0, dtype=np.int32), np.empty(0, dtype=np.float32)
        return Pairs(e, e, f, f, f, np.zeros(n, np.float32), np.zeros(m, np.float32), False)
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
    cont = _containment(body, left.body_len[ai], right.body_len[bi], cfg.scorer)
    sa, sb, sbody, shead = sample
    scont = _containment(sbody, left.body_len[sa], right.body_len[sb], cfg.scorer)
    bg = cfg.background

    def stats(values, fallback):
        if dense and bg and min(n, m) > _MIN_PARTNERS:
            return _dense_stats(values.reshape(n, m), fallback)
        return _medians(values, sa, sb, n, m, bg, fallback)

    body_z = _standardised(body, ai, bi, stats(sbody, 10.0), 1.0)
    cont_z = _standardised(cont, ai, bi, stats(scont, 0.1), 0.01)
    raw = body
    score = body_z
    if use_heading:
        head_z = _standardised(head, ai, bi, stats(shead, 10.0), 1.0)
        both = has_head_a[ai] & has_head_b[bi]
        w = np.float32(cfg.heading_weight)
        score = np.where(both, w * head_z + (1 - w) * body_z, body_z).astype(np.float32)
        raw = np.where(both, w * head + (1 - w) * body, body).astype(np.float32)
    best_a = np.full(n, -np.inf, dtype=np.float32)
    best_b = np.full(m, -np.inf, dtype=np.float32)
    np.maximum.at(best_a, ai, score)
    np.maximum.at(best_b, bi, score)
    best_a[np.isinf(best_a)] = 0
    best_b[np.isinf(best_b)] = 0
    keep = score >= floor
    return Pairs(
        ai[keep], bi[keep], score[keep], raw[keep], cont_z[keep], best_a, best_b, pruned=not dense
    )


def _containment(body: np.ndarray, la: np.ndarray, lb: np.ndarray, scorer: str) -> np.ndarray:
    """How much of the shorter body is found in the longer one (0–1), from the Indel ratio.

    ratio = 2·LCS / (|a| + |b|), so LCS / min(|a|, |b|) follows without another pass. With the
    `sort` scorer LCS is the multiset overlap of tokens, so this is the overlap coefficient.
    """
    if scorer == "set":
        return (body / 100.0).astype(np.float32)
    la = la.astype(np.float32)
    lb = lb.astype(np.float32)
    lcs = body / 100.0 * (la + lb) / 2.0
    return np.minimum(1.0, lcs / np.maximum(np.minimum(la, lb), 1.0)).astype(np.float32)


def _medians(values, a, b, n, m, on: bool, fallback_spread: float):
    """Level (median) and robust spread (1.4826·MAD) of scores between unrelated units, per row
    and per column. Each row's and column's best score is left out (it is usually the true
    partner); rows with fewer than _MIN_PARTNERS other scores use the global figures, and with
    too few scores overall the spread is `fallback_spread`."""
    if not on or len(values) == 0:
        z = np.zeros(n, np.float32), np.zeros(m, np.float32)
        return z, (np.full(n, fallback_spread, np.float32), np.full(m, fallback_spread, np.float32))
    rest = ~(_top_mask(values, a) | _top_mask(values, b))
    v = values[rest]
    if len(v) >= _MIN_PARTNERS:
        g_med = np.float32(np.median(v))
        g_spread = np.float32(1.4826 * np.median(np.abs(v - g_med)))
    else:
        g_med = np.float32(np.median(v)) if len(v) else np.float32(0)
        g_spread = np.float32(fallback_spread)
    ra_, rb_ = ~_top_mask(values, a), ~_top_mask(values, b)
    row_med = _group_median(values[ra_], a[ra_], n, g_med)
    col_med = _group_median(values[rb_], b[rb_], m, g_med)
    dev_r = np.abs(values[ra_] - row_med[a[ra_]])
    dev_c = np.abs(values[rb_] - col_med[b[rb_]])
    row_spread = 1.4826 * _group_median(dev_r, a[ra_], n, g_spread / 1.4826)
    col_spread = 1.4826 * _group_median(dev_c, b[rb_], m, g_spread / 1.4826)
    # Zero-inflated rows (short sentences mostly share nothing: MAD 0) take their spread from
    # the upper tail instead: (90th percentile − median) / 1.2816, the normal equivalent.
    row_q = _group_median(values[ra_], a[ra_], n, g_med + g_spread * _Q90, q=0.9)
    col_q = _group_median(values[rb_], b[rb_], m, g_med + g_spread * _Q90, q=0.9)
    row_spread = np.maximum(row_spread, (row_q - row_med) / _Q90)
    col_spread = np.maximum(col_spread, (col_q - col_med) / _Q90)
    return (row_med, col_med), (row_spread, col_spread)


def _dense_stats(mat: np.ndarray, fallback_spread: float):
    """_medians for a full n × m matrix with linear-time partitions instead of sorts.

    Leaving out a row's maximum does not move its lower order statistics, so the median of
    the other m − 1 scores is read off one partition of the whole row; for the spread the
    largest deviation is left out the same way.
    """

    def along(x: np.ndarray, axis: int) -> tuple[np.ndarray, np.ndarray]:
        k = x.shape[axis] - 1  # values left after dropping the top one
        lo, hi, q = (k - 1) // 2, k // 2, int(0.9 * (k - 1))
        part = np.partition(x, sorted({lo, hi, q}), axis=axis)
        med = (np.take(part, lo, axis=axis) + np.take(part, hi, axis=axis)) / 2
        q90 = np.take(part, q, axis=axis)
        dev = np.abs(x - np.expand_dims(med, axis))
        part = np.partition(dev, [lo, hi], axis=axis)
        mad = (np.take(part, lo, axis=axis) + np.take(part, hi, axis=axis)) / 2
        spread = np.maximum(1.4826 * mad, (q90 - med) / _Q90)
        return med.astype(np.float32), spread.astype(np.float32)

    row_med, row_sp = along(mat, 1)
    col_med, col_sp = along(mat, 0)
    return (row_med, col_med), (row_sp, col_sp)


def _top_mask(values: np.ndarray, group: np.ndarray) -> np.ndarray:
    """True at the single highest value of each group."""
    order = np.lexsort((values, group))
    g = group[order]
    last = np.r_[g[1:] != g[:-1], True]
    mask = np.zeros(len(values), dtype=bool)
    mask[order[last]] = True
    return mask


def _group_median(
    values: np.ndarray, group: np.ndarray, size: int, fallback, q: float = 0.5
) -> np.ndarray:
    """Median (or the q-quantile) of each group; `fallback` for groups too small."""
    order = np.lexsort((values, group))
    g, v = group[order], values[order]
    counts = np.bincount(g, minlength=size)
    starts = np.r_[0, np.cumsum(counts)[:-1]]
    out = np.full(size, fallback, dtype=np.float32)
    ok = counts >= _MIN_PARTNERS
    if q == 0.5:
        lo = starts[ok] + (counts[ok] - 1) // 2
        hi = starts[ok] + counts[ok] // 2
        out[ok] = (v[lo] + v[hi]) / 2
    else:
        out[ok] = v[starts[ok] + (q * (counts[ok] - 1)).astype(np.int64)]
    return out


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
    r = cfg.background_sample

    def partners(own: int, other: int) -> tuple[np.ndarray, np.ndarray]:
        # A small other side is taken whole: drawing with replacement from a few units would
        # count the true partner several times and inflate the background.
        if other <= 4 * r:
            return np.repeat(np.arange(own), other), np.tile(np.arange(other), own)
        return np.repeat(np.arange(own), r), rng.integers(0, other, own * r)

    rows_a, rows_b = partners(n, m)
    cols_b, cols_a = partners(m, n)
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
    """Candidate pairs from a sparse bigram TF-IDF cosine: top-k per row and per column.

    Bigrams found in more than `max_df` of the units (发展, 推进 …) are dropped so the sparse
    product stays sparse; the product is computed in row blocks so memory is bounded by
    block_rows × (columns sharing a bigram), not n × m.
    """
    width = int(max(left.grams[0].max(initial=0), right.grams[0].max(initial=0))) + 1
    xa = _bigram_matrix(left.grams, width)
    xb = _bigram_matrix(right.grams, width)
    df = np.asarray(xa.sum(axis=0)).ravel() + np.asarray(xb.sum(axis=0)).ravel()
    total = xa.shape[0] + xb.shape[0]
    cap = max(cfg.max_df * total, 20.0)
    idf = np.where(df <= cap, np.log((1.0 + total) / (1.0 + df)) + 1.0, 0.0).astype(np.float32)
    xa = _l2(xa @ sp.diags(idf))
    xb = _l2(xb @ sp.diags(idf))
    xbt = xb.T.tocsr()
    k = cfg.top_k
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    # Per column, the best k rows seen so far across blocks.
    col_best_r = np.full((xb.shape[0], k), -1, dtype=np.int32)
    col_best_s = np.full((xb.shape[0], k), -1.0, dtype=np.float32)
    for start in range(0, xa.shape[0], cfg.block_rows):
        block = (xa[start : start + cfg.block_rows] @ xbt).tocoo()
        keep = block.data >= cfg.min_cosine
        r, c, s = (
            block.row[keep].astype(np.int32),
            block.col[keep].astype(np.int32),
            block.data[keep],
        )
        if not len(s):
            continue
        r_sel = _top_k_mask(r, s, k)
        rows.append(r[r_sel] + start)
        cols.append(c[r_sel])
        c_sel = _top_k_mask(c, s, k)
        cr, cc, cs = r[c_sel] + start, c[c_sel], s[c_sel]
        _merge_col_best(col_best_r, col_best_s, cr, cc, cs, k)
    ok = col_best_r >= 0
    cols_idx = np.nonzero(ok)
    rows.append(col_best_r[cols_idx])
    cols.append(cols_idx[0].astype(np.int32))
    if not rows:
        e = np.empty(0, dtype=np.int32)
        return e, e
    pairs = np.unique(
        np.concatenate(rows).astype(np.int64) * xb.shape[0] + np.concatenate(cols).astype(np.int64)
    )
    return (pairs // xb.shape[0]).astype(np.int32), (pairs % xb.shape[0]).astype(np.int32)


def _l2(x: sp.csr_matrix) -> sp.csr_matrix:
    x = x.tocsr()
    norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return (sp.diags(1.0 / norms).astype(np.float32) @ x).tocsr()


def _top_k_mask(group: np.ndarray, score: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k best scores within each group (vectorised, no Python loop)."""
    order = np.lexsort((-score, group))
    g = group[order]
    starts = np.r_[0, np.nonzero(np.diff(g))[0] + 1]
    run_start = np.repeat(starts, np.diff(np.r_[starts, len(g)]))
    rank = np.arange(len(g)) - run_start
    return order[rank < k]


def _merge_col_best(best_r, best_s, r, c, s, k) -> None:
    """Fold this block's per-column top-k into the running per-column top-k."""
    cols = np.unique(c)
    # Gather current bests for touched columns and the new ones, keep the top k.
    cur_c = np.repeat(cols, k)
    cur_r = best_r[cols].ravel()
    cur_s = best_s[cols].ravel()
    all_c = np.concatenate([cur_c, c])
    all_r = np.concatenate([cur_r, r])
    all_s = np.concatenate([cur_s, s])
    order = np.lexsort((-all_s, all_c))
    all_c, all_r, all_s = all_c[order], all_r[order], all_s[order]
    starts = np.r_[0, np.nonzero(np.diff(all_c))[0] + 1]
    run_start = np.repeat(starts, np.diff(np.r_[starts, len(all_c)]))
    rank = np.arange(len(all_c)) - run_start
    sel = rank < k
    best_r[all_c[sel], rank[sel]] = all_r[sel]
    best_s[all_c[sel], rank[sel]] = all_s[sel]
