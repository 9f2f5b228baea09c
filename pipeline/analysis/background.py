"""Where a score stands among unrelated pairs: a robust level and spread per row.

Every scorer expresses a raw similarity against the unrelated pairs of the same two documents:

    z = (raw − level) / spread
    level  = median of the row, leaving out its best score (usually the true partner)
    spread = max(1.4826·MAD, (90th percentile − median) / 1.2816)

The percentile term matters for zero-inflated rows (short texts mostly share nothing: MAD 0).
Rows with fewer than MIN_PARTNERS other scores take the figures of all rows together.
docs/alignment.md has the measurements.
"""

from __future__ import annotations

import numpy as np

MIN_PARTNERS = 4  # fewer partners than this make a median meaningless: use the global one
Q90 = 1.2816  # the 90th percentile of a standard normal


def top_mask(values: np.ndarray, group: np.ndarray) -> np.ndarray:
    """True at the single highest value of each group."""
    order = np.lexsort((values, group))
    g = group[order]
    last = np.r_[g[1:] != g[:-1], True]
    mask = np.zeros(len(values), dtype=bool)
    mask[order[last]] = True
    return mask


def group_quantile(
    values: np.ndarray, group: np.ndarray, size: int, fallback, q: float = 0.5
) -> np.ndarray:
    """Median (or the q-quantile) of each group; `fallback` for groups too small."""
    counts = np.bincount(group, minlength=size)
    out = np.full(size, fallback, dtype=np.float32)
    ok = counts >= MIN_PARTNERS
    if not ok.any():  # every group too small (small documents): no sort needed
        return out
    order = np.lexsort((values, group))
    v = values[order]
    starts = np.r_[0, np.cumsum(counts)[:-1]]
    if q == 0.5:
        lo = starts[ok] + (counts[ok] - 1) // 2
        hi = starts[ok] + counts[ok] // 2
        out[ok] = (v[lo] + v[hi]) / 2
    else:
        out[ok] = v[starts[ok] + (q * (counts[ok] - 1)).astype(np.int64)]
    return out


def sampled_stats(
    values: np.ndarray, group: np.ndarray, size: int, fallback_spread: float
) -> tuple[np.ndarray, np.ndarray]:
    """Level and spread per group from scattered scores (a sample of each row's partners).

    Each group's best score is left out; groups with fewer than MIN_PARTNERS other scores use
    the global figures, and with too few scores overall the spread is `fallback_spread`.
    """
    if len(values) == 0:
        return np.zeros(size, np.float32), np.full(size, fallback_spread, np.float32)
    rest = ~top_mask(values, group)
    v, g = values[rest], group[rest]
    if len(v) >= MIN_PARTNERS:
        g_med = np.float32(np.median(v))
        g_spread = max(
            np.float32(1.4826 * np.median(np.abs(v - g_med))),
            np.float32((np.quantile(v, 0.9) - g_med) / Q90),
        )
        g_spread = np.float32(g_spread if g_spread > 0 else fallback_spread)
    else:
        g_med = np.float32(np.median(v)) if len(v) else np.float32(0)
        g_spread = np.float32(fallback_spread)
    level = group_quantile(v, g, size, g_med)
    mad = 1.4826 * group_quantile(np.abs(v - level[g]), g, size, g_spread / 1.4826)
    q90 = group_quantile(v, g, size, g_med + g_spread * Q90, q=0.9)
    return level, np.maximum(mad, (q90 - level) / Q90).astype(np.float32)


def dense_stats(
    mat: np.ndarray, axis: int = 1, fallback_spread: float = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    """`sampled_stats` for a full matrix, along rows (axis 1) or columns (axis 0), each row
    ordered once instead of grouped and sorted per statistic.

    Leaving out a row's maximum does not move its lower order statistics, so the median of the
    other m − 1 scores is read off the whole row in order; for the spread the largest deviation
    is left out the same way.
    """
    if mat.shape[axis] - 1 < MIN_PARTNERS:
        rows, cols = np.indices(mat.shape)
        group = (rows if axis == 1 else cols).ravel()
        return sampled_stats(mat.ravel(), group, mat.shape[1 - axis], fallback_spread)
    k = mat.shape[axis] - 1  # values left after dropping the top one
    lo, hi, q = (k - 1) // 2, k // 2, int(0.9 * (k - 1))
    part = _order_stats(mat, sorted({lo, hi, q}), axis)
    med = (np.take(part, lo, axis=axis) + np.take(part, hi, axis=axis)) / 2
    q90 = np.take(part, q, axis=axis)
    dev = np.abs(mat - np.expand_dims(med, axis))
    part = _order_stats(dev, [lo, hi], axis)
    mad = (np.take(part, lo, axis=axis) + np.take(part, hi, axis=axis)) / 2
    spread = np.maximum(1.4826 * mad, (q90 - med) / Q90)
    return med.astype(np.float32), spread.astype(np.float32)


def _order_stats(mat: np.ndarray, kth: list[int], axis: int) -> np.ndarray:
    """`mat` with the values it would hold sorted along `axis` at the positions `kth`. A full
    sort (SIMD in numpy 2) beats a partition on several kth many times over at these sizes;
    the partition stays for a matrix with a sign bit set, where -0.0 and 0.0 (equal for both)
    might land in another order and change the sign of a zero."""
    if np.signbit(mat).any():
        return np.partition(mat, kth, axis=axis)
    return np.sort(mat, axis=axis)


def standardise(
    values: np.ndarray, group: np.ndarray, stats: tuple[np.ndarray, np.ndarray], min_spread: float
) -> np.ndarray:
    """(raw − level) / spread with the statistics of each value's group (row)."""
    level, spread = stats
    return ((values - level[group]) / np.maximum(spread[group], min_spread)).astype(np.float32)
