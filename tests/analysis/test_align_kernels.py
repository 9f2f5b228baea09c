"""The alignment's numpy shortcuts give, bit for bit, what the scipy operations they replace give
(the alignments table's float scores depend on the order sums are taken in)."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from policytrack.pipeline.analysis.candidates import _l2_rows_sparse, l2_rows


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
