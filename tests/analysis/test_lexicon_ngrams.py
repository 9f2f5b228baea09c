"""The n-gram tables' merge (lexicon_ngrams.merge_sorted): exact sums, order kept."""

from __future__ import annotations


def test_merge_sorted_sums_shared_keys_and_inserts_new_ones_in_order():
    import numpy as np

    from policytrack.pipeline.analysis.lexicon_ngrams import merge_sorted

    keys = np.array([2, 5, 9], dtype=np.uint64)
    counts = np.array([1, 1, 4], dtype=np.int64)
    new = np.array([1, 5, 7, 12], dtype=np.uint64)
    got_keys, (got,) = merge_sorted(keys, (counts,), new, (np.array([3, 2, 1, 6], dtype=np.int64),))
    assert got_keys.tolist() == [1, 2, 5, 7, 9, 12]
    assert got.tolist() == [3, 1, 3, 1, 4, 6]
    rng = np.random.default_rng(7)
    for _ in range(100):  # against a dict, tables and additions of any overlap
        a = np.unique(rng.integers(0, 40, size=rng.integers(0, 25)).astype(np.uint64))
        b = np.unique(rng.integers(0, 50, size=rng.integers(0, 25)).astype(np.uint64))
        ca, cb = rng.integers(1, 9, size=len(a)), rng.integers(1, 9, size=len(b))
        want: dict[int, int] = {}
        for k, c in [
            *zip(a.tolist(), ca.tolist(), strict=True),
            *zip(b.tolist(), cb.tolist(), strict=True),
        ]:
            want[k] = want.get(k, 0) + c
        k2, (c2,) = merge_sorted(a, (ca.astype(np.int64),), b, (cb.astype(np.int64),))
        assert dict(zip(k2.tolist(), c2.tolist(), strict=True)) == want
        assert k2.tolist() == sorted(want)


def test_a_clean_boundary_word_longer_than_the_candidate_marks_its_edge():
    """乡村 after 党中央 (a clean-left word, three characters) has a clean left edge each time:
    two boundary contexts, entropy log 2; without the word its left neighbour is 央 twice:
    entropy 0. Right of it, 振 twice: 0 either way."""
    import numpy as np

    from policytrack.pipeline.analysis.lexicon_ngrams import CandidateStats, NgramCounter, key_of

    def entropies(clean_left):
        counter = NgramCounter(2)
        for _ in range(2):
            counter.add("党中央乡村振兴")
        counter.flush()
        stats = CandidateStats(
            counter, {2: np.array([key_of("乡村")], dtype=np.uint64)}, clean_left=clean_left
        )
        for _ in range(2):
            stats.add("党中央乡村振兴", "s")
        stats.finish()
        left, right = stats.entropies()
        return round(float(left[0]), 4), round(float(right[0]), 4)

    assert entropies(["党中央"]) == (round(float(np.log(2)), 4), 0.0)
    assert entropies([]) == (0.0, 0.0)
