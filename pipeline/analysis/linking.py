"""Links between the units of two documents: a many-to-many link graph, relations derived from
its shape, and each unit's primary link for threads.

1. **Score** every pair of units (BM25 both ways, lexical.py; or an Indel scorer) and, for the
   default `votes` rule, let every paragraph vote for the unit of the other year holding its
   best match (segments.py).
2. **Link** every pair where either unit's voting share reaches `link_share` (the `score` rule
   instead links pairs scoring at least `threshold`, a secondary link only within `relative`
   of one of its units' best score). A unit with no link has no successor (or predecessor):
   nothing forces it onto a free partner.
3. **Relations** come from the connected components of the link graph: one unit on each side
   is `unchanged` (same matching form) or `revised`; 1:n is `split`, n:1 `merged`, n:m
   `regrouped` (every link of the component has its relation).
4. **Primary links:** a maximum-weight one-to-one assignment over the links (weight: the
   shares, then the score) picks each unit's primary link; threads follow primary links.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import min_weight_full_bipartite_matching

from policytrack.pipeline.analysis.lexical import (
    LexIndex,
    LexPrepared,
    candidate_units,
    score_units,
)
from policytrack.pipeline.analysis.segments import Votes, paragraph_votes
from policytrack.pipeline.analysis.similarity import Pairs, Prepared, SimConfig, score_pairs

RULES = ("votes", "score")


@dataclass(frozen=True)
class AlignConfig:
    """Thresholds of the link rule. Defaults measured in docs/alignment.md."""

    sim: SimConfig = field(default_factory=SimConfig)
    rule: str = "votes"  # votes (paragraph shares) | score (unit scores)
    # votes: link when this share of either unit's text votes for the other (about a third)
    link_share: float = 0.325
    # A paragraph votes when its best match stands this many spreads above its unrelated ones
    vote_z: float = 4.0
    # … and this many spreads above its best match in any other unit
    vote_gap: float = 0.5
    # vote_z holds for paragraphs compared with up to this many paragraphs of the other year;
    # beyond, it grows with sqrt(ln count) (generated data, 1,000 items: docs/alignment.md)
    reference_segments: int = 200
    threshold: float = 2.5  # score: minimum standardised score of a link
    relative: float = 0.6  # score: a secondary link scores within this fraction of the best
    # `threshold` holds for documents of up to this many units; beyond, it grows with
    # sqrt(ln units): among many units some unrelated pair always stands out by chance.
    reference_units: int = 10
    lookback: int = 2  # earlier documents (beyond the previous one) searched for reappearances
    # Units under sections whose heading matches this are left out: a report's review of last
    # year (2018年工作回顾, 1991年国内工作的回顾) restates last year's tasks and would be mistaken
    # for their continuation. Narrow on purpose: 世纪之交的回顾和展望 (a congress outlook) stays.
    exclude_sections: str = r"工作的?回顾|回顾$"

    def __post_init__(self):
        if self.rule not in RULES:
            raise ValueError(f"rule must be one of {RULES}, not {self.rule!r}")


@dataclass
class Side:
    """One document's units, prepared for every channel."""

    lex: LexPrepared
    keys: list[str]  # matching forms: equal forms make a link `unchanged`
    fuzz: Prepared | None = None  # Indel scorers only
    emb: np.ndarray | None = None  # paragraph embeddings (semantic channel) or None

    def __len__(self) -> int:
        return len(self.lex)

    def subset(self, idx: list[int]) -> Side:
        emb = None
        if self.emb is not None:
            emb = self.emb[np.isin(self.lex.seg_owner, idx)]
        return Side(
            lex=self.lex.subset(idx),
            keys=[self.keys[i] for i in idx],
            fuzz=self.fuzz.subset(idx) if self.fuzz is not None else None,
            emb=emb,
        )


@dataclass
class Scored:
    """Everything measured between two documents; linking only applies thresholds to it."""

    pairs: Pairs
    votes: Votes | None
    n: int
    m: int


@dataclass
class PairResult:
    links: list[tuple[int, int, str, float, bool, float]]  # (i, j, relation, score, primary, raw)
    best_a: np.ndarray  # best score of each left unit against any right unit
    best_b: np.ndarray


def score(left: Side, right: Side, index: LexIndex, cfg: AlignConfig) -> Scored:
    n, m = len(left), len(right)
    votes = cand = None
    if not cfg.sim.indel and n and m and n * m > cfg.sim.dense_limit:
        cand = candidate_units(left.lex, right.lex, index, cfg.sim)
    if cfg.rule == "votes" and n and m:
        emb = (left.emb, right.emb) if left.emb is not None and right.emb is not None else None
        votes = paragraph_votes(left.lex, right.lex, index, cfg.sim, emb, cand)
    if cfg.sim.indel:
        pairs = score_pairs(left.fuzz, right.fuzz, cfg.sim)
    else:
        extra = (
            votes.shares(cfg.vote_z, cfg.vote_gap, cfg.reference_segments)[:2]
            if votes is not None
            else None
        )
        pairs = score_units(left.lex, right.lex, index, cfg.sim, extra, cand)
    return Scored(pairs, votes, n, m)


def link(s: Scored, keys_a: list[str], keys_b: list[str], cfg: AlignConfig) -> PairResult:
    """Links of one pair of documents (indices into the two sides)."""
    p = s.pairs
    if s.n == 0 or s.m == 0:
        return PairResult([], p.best_a, p.best_b)
    scale = float(np.sqrt(np.log(max(s.n, s.m, cfg.reference_units)) / np.log(cfg.reference_units)))
    if s.votes is not None:
        i, j, s_ab, s_ba = s.votes.shares(cfg.vote_z, cfg.vote_gap, cfg.reference_segments)
        ok = np.maximum(s_ab, s_ba) >= cfg.link_share
        i, j, weight = i[ok], j[ok], (s_ab + s_ba)[ok]
    else:
        ok = p.score >= cfg.threshold * scale
        ok &= (p.score >= cfg.relative * p.best_a[p.a]) | (p.score >= cfg.relative * p.best_b[p.b])
        i, j, weight = p.a[ok], p.b[ok], np.zeros(int(ok.sum()), np.float32)
    z, raw = _lookup(p, i, j, s.m)
    # Shares decide the primary link; the score breaks ties (and is all the score rule has).
    w = weight.astype(np.float64) * 1000 + np.maximum(z, 0) + 1e-3
    label = components(i, j, s.n, s.m) if len(i) else None  # one graph for both uses
    ra, rb = assign(i, j, w, s.n, s.m, label)
    primary = set(zip(ra.tolist(), rb.tolist(), strict=True))
    rels = relations(i, j, s.n, s.m, keys_a, keys_b, label)
    links = [
        (x, y, rel, sc, (x, y) in primary, r)
        for x, y, rel, sc, r in zip(
            i.tolist(), j.tolist(), rels, z.tolist(), raw.tolist(), strict=True
        )
    ]
    return PairResult(links, p.best_a, p.best_b)


def _lookup(p: Pairs, i: np.ndarray, j: np.ndarray, m: int) -> tuple[np.ndarray, np.ndarray]:
    """Score and raw similarity of pairs (i, j); 0 for pairs that were not scored."""
    keys = p.a.astype(np.int64) * m + p.b
    order = np.argsort(keys, kind="stable")
    want = i.astype(np.int64) * m + j
    pos = np.minimum(np.searchsorted(keys, want, sorter=order), max(len(keys) - 1, 0))
    if not len(keys):
        return np.zeros(len(i)), np.zeros(len(i))
    hit = keys[order[pos]] == want
    z = np.where(hit, p.score[order[pos]], 0.0)
    raw = np.where(hit, p.raw[order[pos]], 0.0)
    return z.astype(np.float64), raw.astype(np.float64)


def match(
    left: Side, right: Side, index: LexIndex, cfg: AlignConfig, *, primary_only: bool = False
) -> PairResult:
    """Score and link two documents; `primary_only` keeps the one-to-one links only."""
    res = link(score(left, right, index, cfg), left.keys, right.keys, cfg)
    if primary_only:
        res.links = [lk for lk in res.links if lk[4]]
    return res


def components(a: np.ndarray, b: np.ndarray, n: int, m: int) -> np.ndarray:
    """Connected component of every node of the bipartite graph with edges a[k]–b[k] (left
    nodes 0..n-1, right nodes n..n+m-1), named by one of its nodes (a node without edges is
    its own). Union-find over the edges: a few dozen links per pair of documents, where
    scipy's connected_components costs more in checks than in work."""
    parent = list(range(n + m))

    def root(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]  # path halving
            x = parent[x]
        return x

    for x, y in zip(a.tolist(), (b.astype(np.int64) + n).tolist(), strict=True):
        rx, ry = root(x), root(y)
        if rx != ry:
            parent[max(rx, ry)] = min(rx, ry)
    return np.array([root(x) for x in range(n + m)], dtype=np.int64)


def relations(
    i: np.ndarray,
    j: np.ndarray,
    n: int,
    m: int,
    keys_a: list[str],
    keys_b: list[str],
    label: np.ndarray | None = None,
) -> list[str]:
    """The relation of every link, from the connected component of the link graph it is in
    (`label`: components(i, j, n, m) when already known)."""
    if len(i) == 0:
        return []
    if label is None:
        label = components(i, j, n, m)
    comp = label[i].astype(np.int64)
    n_comp = int(label.max()) + 1
    olds = np.bincount(np.unique(comp * (n + 1) + i) // (n + 1), minlength=n_comp)
    news = np.bincount(np.unique(comp * (m + 1) + j) // (m + 1), minlength=n_comp)
    out = []
    for x, y, c in zip(i.tolist(), j.tolist(), comp.tolist(), strict=True):
        many_old, many_new = olds[c] > 1, news[c] > 1
        if many_old and many_new:
            out.append("regrouped")
        elif many_new:
            out.append("split")
        elif many_old:
            out.append("merged")
        else:
            out.append("unchanged" if keys_a[x] == keys_b[y] else "revised")
    return out


# ---------------------------------------------------------------------------- assignment


def assign(
    a: np.ndarray, b: np.ndarray, w: np.ndarray, n: int, m: int, label: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Maximum-weight one-to-one matching on a sparse bipartite graph (edges a[k]–b[k], w[k]).

    The graph is split into connected components; one-edge components are taken directly,
    small ones go to linear_sum_assignment on a dense block, large ones to the sparse LAPJVsp
    solver with one dummy column per row (so a full matching always exists). No n × m matrix.
    `label`: components(a, b, n, m) when already known.
    """
    if len(a) == 0:
        e = np.empty(0, dtype=np.int32)
        return e, e
    if label is None:
        label = components(a, b, n, m)
    comp = label[a]
    counts = np.bincount(comp)
    single = counts[comp] == 1
    out_a = [a[single]]
    out_b = [b[single]]
    multi = np.nonzero(~single)[0]
    if len(multi):
        order = multi[np.argsort(comp[multi], kind="stable")]
        comps = comp[order]
        bounds = np.r_[0, np.nonzero(np.diff(comps))[0] + 1, len(order)]
        for s, e in zip(bounds[:-1], bounds[1:], strict=True):
            idx = order[s:e]
            ra, rb = _assign_component(a[idx], b[idx], w[idx])
            out_a.append(ra)
            out_b.append(rb)
    ra, rb = np.concatenate(out_a), np.concatenate(out_b)
    order = np.argsort(ra, kind="stable")
    return ra[order].astype(np.int32), rb[order].astype(np.int32)


def _assign_component(a, b, w) -> tuple[np.ndarray, np.ndarray]:
    ua, ia = np.unique(a, return_inverse=True)
    ub, ib = np.unique(b, return_inverse=True)
    if len(ua) * len(ub) <= 4_000_000:
        dense = np.zeros((len(ua), len(ub)), dtype=np.float64)
        dense[ia, ib] = w
        r, c = linear_sum_assignment(dense, maximize=True)
        ok = dense[r, c] > 0
        return ua[r[ok]], ub[c[ok]]
    nr, nc = len(ua), len(ub)
    rows = np.r_[ia, np.arange(nr)]
    cols = np.r_[ib, nc + np.arange(nr)]
    data = np.r_[np.asarray(w, dtype=np.float64), np.full(nr, 1e-6)]
    g = coo_matrix((data, (rows, cols)), shape=(nr, nc + nr)).tocsr()
    r, c = min_weight_full_bipartite_matching(g, maximize=True)
    ok = c < nc
    return ua[r[ok]], ub[c[ok]]
