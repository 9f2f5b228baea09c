"""The alignment's numpy shortcuts give, bit for bit, what the scipy operations they replace give
(the alignments table's float scores depend on the order sums are taken in)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from policytrack.pipeline.analysis.align import _by_year
from policytrack.pipeline.analysis.background import Q90, dense_stats, group_quantile
from policytrack.pipeline.analysis.candidates import _l2_rows_sparse, l2_rows
from policytrack.pipeline.analysis.lexical import LexIndex, take_rows
from policytrack.pipeline.analysis.linking import components
from policytrack.pipeline.analysis.segments import SideVotes, Votes


def _same(a: sp.csr_matrix, b: sp.csr_matrix) -> None:
    assert a.shape == b.shape
    for f in ("data", "indices", "indptr"):
        x, y = getattr(a, f), getattr(b, f)
        assert x.dtype == y.dtype and x.tobytes() == y.tobytes(), f


def test_l2_rows_by_hand():
    # Row 0: (3, 4) → (0.6, 0.8), stored in reverse column order as scipy's product leaves it;
    # row 1 empty; row 2: a single 2 → 1.
    x = sp.csr_matrix(np.array([[3, 0, 4], [0, 0, 0], [0, 2, 0]], np.float32))
    y = l2_rows(x)
    assert y.indptr.tolist() == [0, 2, 2, 3]
    assert y.indices.tolist() == [2, 0, 1]
    assert y.data.tolist() == [np.float32(0.8), np.float32(0.6), 1.0]


def test_l2_rows_matches_the_sparse_product():
    rng = np.random.default_rng(3)
    for _ in range(20):
        x = sp.random(40, 300, density=0.05, format="csr", dtype=np.float32, random_state=rng)
        x.data = (x.data * 7).astype(np.float32)
        _same(l2_rows(x), _l2_rows_sparse(x))
        unsorted = l2_rows(x)  # reverse order within rows: not canonical, takes the sparse path
        _same(l2_rows(unsorted), _l2_rows_sparse(unsorted))


def test_l2_rows_of_an_infinite_row_is_empty_as_the_sparse_product_makes_it():
    """A row of inf has length inf and scale 0: the sparse product drops it (a review found
    the fast path kept 0 × inf = nan)."""
    x = sp.csr_matrix(np.array([[np.inf, 0.0], [0.0, 0.0]], np.float32))
    y = l2_rows(x)
    assert (y.nnz, y.indptr.tolist()) == (0, [0, 0, 0])
    _same(y, _l2_rows_sparse(x))


def _side(owner, target, z, length, n_units):
    f32 = np.float32
    return SideVotes(
        np.array(owner, np.int32),
        np.array(target, np.int32),
        np.array(z, f32),
        np.full(len(owner), 10, f32),
        np.array(length, f32),
        n_units,
    )


def test_vote_shares_by_hand():
    # Side a: unit 0 has paragraphs of 10, 30 and 60 characters; the first two vote for unit 1
    # of b, the third's match is too weak (z 1 < 4). Unit 1 (20 characters) votes for b's 0.
    a = _side([0, 0, 0, 1], [1, 1, 0, 0], [5, 6, 1, 9], [10, 30, 60, 20], 2)
    # Side b: unit 0 (one paragraph) votes for a's 1; unit 1 has no match at all (-1).
    b = _side([0, 1], [1, -1], [7, 8], [50, 5], 2)
    i, j, s_ab, s_ba = Votes(a, b).shares(4.0, 0.5)
    assert i.tolist() == [0, 1] and j.tolist() == [1, 0]
    assert i.dtype == j.dtype == np.int32
    assert s_ab.tolist() == [np.float32(0.4), 1.0]  # (10 + 30) / 100 of a's unit 0; all of 1
    assert s_ba.tolist() == [0.0, 1.0]  # b's unit 0 in a's unit 1


def test_vote_shares_with_no_vote():
    a = _side([0], [-1], [5], [10], 1)
    i, j, s_ab, s_ba = Votes(a, a).shares(4.0, 0.5)
    assert len(i) == len(j) == len(s_ab) == len(s_ba) == 0


def test_small_groups_take_the_fallback():
    # Three values per group, fewer than MIN_PARTNERS: every group gets the fallback.
    values = np.arange(6, dtype=np.float32)
    got = group_quantile(values, np.array([0, 0, 0, 1, 1, 1]), 3, 7.5)
    assert got.dtype == np.float32 and got.tolist() == [7.5, 7.5, 7.5]
    # Four values in group 1: its median (4 + 5) / 2; group 0 keeps the fallback.
    got = group_quantile(values, np.array([0, 0, 1, 1, 1, 1]), 2, 7.5)
    assert got.tolist() == [7.5, 3.5]


def test_a_subset_takes_the_rows_of_the_weighted_side():
    index = LexIndex(
        ["推进科技创新\n加强环境保护", "发展数字经济", "办好科技活动周\n推进改革"], "bigram"
    )
    heads = ["科技", "", "活动"]
    bodies = ["推进科技创新\n加强环境保护", "发展数字经济", "办好科技活动周\n推进改革"]
    whole = index.prepare(heads, bodies)
    for name in ("tf", "head", "seg"):
        for kind in ("query", "doc", "tfidf"):
            index.weighted(whole, name, kind)
        index.self_scores(whole, name)
    part = whole.subset([0, 2])
    fresh = index.prepare([heads[0], heads[2]], [bodies[0], bodies[2]])
    for name in ("tf", "head", "seg"):
        for kind in ("query", "doc", "tfidf"):
            _same(index.weighted(part, name, kind), index.weighted(fresh, name, kind))
        got, want = index.self_scores(part, name), index.self_scores(fresh, name)
        assert got.tobytes() == want.tobytes()


def _loop_shares(side: SideVotes, min_z: float, min_gap: float) -> dict:
    """The shares as a plain loop over paragraphs (the rule, written out)."""
    total = np.bincount(side.owner, weights=side.length, minlength=side.n_units)
    ok = (side.target >= 0) & (side.z >= min_z) & (side.gap >= min_gap)
    out: dict[tuple[int, int], float] = {}
    for u, t, ln in zip(side.owner[ok], side.target[ok], side.length[ok], strict=True):
        key = (int(u), int(t))
        out[key] = out.get(key, 0.0) + float(ln) / max(float(total[u]), 1.0)
    return out


def test_vote_shares_sum_like_a_loop():
    rng = np.random.default_rng(5)
    for _ in range(30):
        k, n, m = 60, 7, 9
        owner = np.sort(rng.integers(0, n, k))
        a = _side(owner, rng.integers(-1, m, k), rng.normal(4, 2, k), rng.random(k) * 50, n)
        b = _side(np.sort(rng.integers(0, m, k)), rng.integers(-1, n, k), rng.normal(4, 2, k),
                  rng.random(k) * 50, m)  # fmt: skip
        ab, ba = _loop_shares(a, 4.0, 0.5), _loop_shares(b, 4.0, 0.5)
        ba = {(i, j): s for (j, i), s in ba.items()}
        keys = sorted(set(ab) | set(ba))
        i, j, s_ab, s_ba = Votes(a, b).shares(4.0, 0.5)
        assert list(zip(i.tolist(), j.tolist(), strict=True)) == keys
        assert s_ab.tobytes() == np.array([ab.get(x, 0.0) for x in keys], np.float32).tobytes()
        assert s_ba.tobytes() == np.array([ba.get(x, 0.0) for x in keys], np.float32).tobytes()


def test_components_by_hand():
    # Left nodes 0..2, right nodes 3..5: links 0–0, 1–0 join 0, 1 and 3; 2–2 joins 2 and 5;
    # right node 4 has no link and is its own component.
    label = components(np.array([0, 1, 2]), np.array([0, 0, 2]), 3, 3)
    assert label.tolist() == [0, 0, 2, 0, 4, 2]


def _partition_stats(mat: np.ndarray, axis: int):
    """dense_stats' figures read off partitions (the way it read them before sorting)."""
    k = mat.shape[axis] - 1
    lo, hi, q = (k - 1) // 2, k // 2, int(0.9 * (k - 1))
    part = np.partition(mat, sorted({lo, hi, q}), axis=axis)
    med = (np.take(part, lo, axis=axis) + np.take(part, hi, axis=axis)) / 2
    q90 = np.take(part, q, axis=axis)
    part = np.partition(np.abs(mat - np.expand_dims(med, axis)), [lo, hi], axis=axis)
    mad = (np.take(part, lo, axis=axis) + np.take(part, hi, axis=axis)) / 2
    spread = np.maximum(1.4826 * mad, (q90 - med) / Q90)
    return med.astype(np.float32), spread.astype(np.float32)


def test_dense_stats_by_hand():
    # Row (0, 1, 2, 3, 4, 10), sorted, with k = 5 values below the top: the median at position
    # (k − 1) // 2 = k // 2 = 2 is 2; the 90th percentile at int(0.9 · 4) = 3 is 3. Deviations
    # from 2, sorted (0, 1, 1, 2, 2, 8): 1 at position 2. Spread: max(1.4826 · 1, (3 − 2) / Q90).
    level, spread = dense_stats(np.array([[0, 1, 2, 3, 4, 10]], np.float32), 1)
    assert level.tolist() == [2.0]
    assert spread.tolist() == [np.float32(1.4826)]


def test_dense_stats_sorts_as_the_partitions_did():
    rng = np.random.default_rng(7)
    for shape in ((6, 9), (40, 45), (45, 120), (200, 30)):
        mat = rng.random(shape).astype(np.float32)
        mat[mat < 0.3] = 0  # zero-inflated rows, as short texts give
        for axis in (0, 1):
            for got, want in zip(dense_stats(mat, axis), _partition_stats(mat, axis), strict=True):
                assert got.tobytes() == want.tobytes()
        signed = mat - np.float32(0.5)  # negative values: the partition path
        for got, want in zip(dense_stats(signed, 1), _partition_stats(signed, 1), strict=True):
            assert got.tobytes() == want.tobytes()


def test_take_rows_by_hand():
    # Rows kept in the order asked (2, 0, 2), entries in their stored order (row 2: 3 then 1).
    x = sp.csr_matrix(
        (np.array([1, 2, 3, 4], np.float32), np.array([0, 2, 3, 1]), np.array([0, 2, 2, 4])),
        shape=(3, 4),
    )
    got = take_rows(x, np.array([2, 0, 2]))
    assert got.indptr.tolist() == [0, 2, 4, 6]
    assert got.indices.tolist() == [3, 1, 0, 2, 3, 1]
    assert got.data.tolist() == [3, 4, 1, 2, 3, 4]
    _same(got, x[np.array([2, 0, 2])])
    _same(take_rows(x, np.array([], np.int64)), x[np.array([], np.int64)])
    assert take_rows(np.arange(3), np.array([2, 0])).tolist() == [2, 0]


def test_by_year_groups_like_a_groupby():
    units = pd.DataFrame(
        {"year": [2020, 2019, 2020, 2019], "body": ["a", "b", "c", "d"], "path": list("1234")}
    )
    assert _by_year(units, ("body", "path")) == {
        2019: {"body": ["b", "d"], "path": ["2", "4"]},
        2020: {"body": ["a", "c"], "path": ["1", "3"]},
    }
