"""Candidate pairs for large inputs: the top k partners of every row and every column under a
sparse cosine, computed in row blocks so no n × m matrix is ever built.

Terms found in more than `max_df` of the units (发展, 推进 …) are dropped first so the sparse
product stays sparse; memory is bounded by block_rows × (columns sharing a term), not n × m.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def l2_rows(x: sp.spmatrix) -> sp.csr_matrix:
    """Rows scaled to unit length (empty rows stay empty)."""
    x = sp.csr_matrix(x)
    sq = x.data * x.data
    if (
        x.dtype != np.float32
        or not sq.all()
        or not np.isfinite(sq).all()  # (an inf row scales by 0: the product drops, 0 * inf not)
        or not x.has_canonical_format
    ):
        return _l2_rows_sparse(x)
    # What _l2_rows_sparse computes, bit for bit, without its sparse products: the squares
    # summed per row by the same reduceat as csr .sum(axis=1), and the rows of the product
    # diag @ x come out of scipy's csr_matmat in reverse column order (later dot products sum
    # in that order, so it is kept).
    indptr = x.indptr
    norms = np.zeros(x.shape[0], np.float32)
    rows = np.flatnonzero(np.diff(indptr))
    if len(rows):
        norms[rows] = np.add.reduceat(sq, indptr[rows])
    norms = np.sqrt(norms)
    norms[norms == 0] = 1.0
    inv = (1.0 / norms).astype(np.float32)
    owner = np.repeat(np.arange(x.shape[0]), np.diff(indptr))
    rev = (indptr[:-1] + indptr[1:] - 1)[owner] - np.arange(len(owner))
    data = inv[owner] * x.data
    out = sp.csr_matrix((data[rev], x.indices[rev], indptr.copy()), shape=x.shape)
    return out if data.all() else _l2_rows_sparse(x)  # csr_matmat drops products of 0


def _l2_rows_sparse(x: sp.csr_matrix) -> sp.csr_matrix:
    norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return (sp.diags((1.0 / norms).astype(np.float32)) @ x).tocsr()


def pruning_weights(xa: sp.csr_matrix, xb: sp.csr_matrix, max_df: float) -> np.ndarray:
    """IDF of each column over both sides, 0 for columns present in more than `max_df` of the
    rows (at least 20 rows): the weights of the pruning index."""
    pa, pb = sp.csr_matrix(xa, copy=True), sp.csr_matrix(xb, copy=True)
    pa.data[:] = 1
    pb.data[:] = 1
    df = np.asarray(pa.sum(axis=0)).ravel() + np.asarray(pb.sum(axis=0)).ravel()
    total = xa.shape[0] + xb.shape[0]
    cap = max(max_df * total, 20.0)
    return np.where(df <= cap, np.log((1.0 + total) / (1.0 + df)) + 1.0, 0.0).astype(np.float32)


def top_pairs(
    xa: sp.csr_matrix, xb: sp.csr_matrix, k: int, block_rows: int, min_cosine: float
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (row of xa, row of xb) among the k best dot products of each row and each column.

    xa and xb hold L2-normalised rows, so the products are cosines; pairs below `min_cosine`
    are never kept.
    """
    xbt = xb.T.tocsr()
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    # Per column, the best k rows seen so far across blocks.
    col_best_r = np.full((xb.shape[0], k), -1, dtype=np.int32)
    col_best_s = np.full((xb.shape[0], k), -1.0, dtype=np.float32)
    for start in range(0, xa.shape[0], block_rows):
        block = (xa[start : start + block_rows] @ xbt).tocoo()
        keep = block.data >= min_cosine
        r, c, s = (
            block.row[keep].astype(np.int32),
            block.col[keep].astype(np.int32),
            block.data[keep],
        )
        if not len(s):
            continue
        r_sel = top_k_mask(r, s, k)
        rows.append(r[r_sel] + start)
        cols.append(c[r_sel])
        c_sel = top_k_mask(c, s, k)
        cr, cc, cs = r[c_sel] + start, c[c_sel], s[c_sel]
        _merge_col_best(col_best_r, col_best_s, cr, cc, cs, k)
    ok = col_best_r >= 0
    cols_idx = np.nonzero(ok)
    rows.append(col_best_r[cols_idx])
    cols.append(cols_idx[0].astype(np.int32))
    pairs = np.unique(
        np.concatenate(rows).astype(np.int64) * xb.shape[0] + np.concatenate(cols).astype(np.int64)
    )
    return (pairs // xb.shape[0]).astype(np.int32), (pairs % xb.shape[0]).astype(np.int32)


def top_k_mask(group: np.ndarray, score: np.ndarray, k: int) -> np.ndarray:
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


def random_partners(
    n: int, m: int, per_row: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """A sample of partners for every row: all m columns when m ≤ 4·per_row (drawing with
    replacement from a few would count the true partner several times), else `per_row` random
    ones."""
    if m <= 4 * per_row:
        return np.repeat(np.arange(n), m).astype(np.int32), np.tile(np.arange(m), n).astype(
            np.int32
        )
    return np.repeat(np.arange(n), per_row).astype(np.int32), rng.integers(
        0, m, n * per_row
    ).astype(np.int32)


def row_dots(xa: sp.csr_matrix, xb: sp.csr_matrix, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """xa[a[k]] · xb[b[k]] for every k, in chunks (no n × m product)."""
    out = np.empty(len(a), dtype=np.float32)
    step = 65_536
    for s in range(0, len(a), step):
        prod = xa[a[s : s + step]].multiply(xb[b[s : s + step]])
        out[s : s + step] = np.asarray(prod.sum(axis=1)).ravel()
    return out
