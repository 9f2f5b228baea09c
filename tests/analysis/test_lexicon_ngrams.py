"""The n-gram tables (ngram_table: compiled hash tables) and pass 2's neighbour contexts."""

from __future__ import annotations


def _documents(rng, docs: int, vocab: int):
    import numpy as np

    # Keys from a small vocabulary (many repeats within and across documents), spread over
    # the whole 64-bit range as hashes are (high bits set: the table probes from the high bits).
    words = rng.integers(0, 2**63, size=vocab, dtype=np.uint64) | np.uint64(1 << 63)
    return [words[rng.integers(0, vocab, size=rng.integers(0, 400))] for _ in range(docs)]


def test_count_table_counts_every_key_and_each_document_once_like_a_dict():
    """CountTable (pass 1) against a dict: total counts, document frequencies (a document that
    repeats a key counts once), keys left out by `valid`, growth from the smallest table, parts
    added up (`absorb`) and a pickled copy (how a worker's part travels)."""
    import pickle

    import numpy as np

    from policytrack.pipeline.analysis.ngram_table import CountTable

    rng = np.random.default_rng(11)
    docs = _documents(rng, 60, 3000)
    valid = [rng.random(len(d)) > 0.1 for d in docs]
    freq: dict[int, int] = {}
    df: dict[int, int] = {}
    for d, v in zip(docs, valid, strict=True):
        kept = d[v].tolist()
        for k in kept:
            freq[k] = freq.get(k, 0) + 1
        for k in set(kept):
            df[k] = df.get(k, 0) + 1
    whole, first, second = CountTable(), CountTable(), CountTable()
    for i, (d, v) in enumerate(zip(docs, valid, strict=True), start=1):
        whole.add(d, v, mark=i)
        (first if i <= 30 else second).add(d, v, mark=i)
    added = CountTable()
    added.absorb(first)
    added.absorb(pickle.loads(pickle.dumps(second)))
    want = sorted(freq)
    for table in (whole, added):
        keys, f, d = table.entries()
        assert keys.tolist() == want
        assert f.tolist() == [freq[k] for k in want]
        assert d.tolist() == [df[k] for k in want]
        assert table.size == len(want)
    unknown = np.array([3, 5], dtype=np.uint64)
    probe = np.concatenate([np.array(want[:50], dtype=np.uint64), unknown])
    assert whole.lookup(probe).tolist() == [freq[k] for k in want[:50]] + [0, 0]
    # The parts are left as they were (a part may be reused).
    assert sum(first.entries()[1]) == sum(int(v.sum()) for v in valid[:30])


def test_sum_table_counts_like_a_dict():
    """SumTable (pass 2's neighbour pairs): occurrences per key, and other tables' entries."""
    import numpy as np

    from policytrack.pipeline.analysis.ngram_table import SumTable

    rng = np.random.default_rng(5)
    docs = _documents(rng, 40, 2000)
    want: dict[int, int] = {}
    for d in docs:
        for k in d.tolist():
            want[k] = want.get(k, 0) + 1
    table, part = SumTable(), SumTable()
    for i, d in enumerate(docs):
        (table if i % 2 else part).add(d)
    table.absorb(*part.entries())
    keys, counts = table.entries()
    assert keys.tolist() == sorted(want)
    assert counts.tolist() == [want[k] for k in sorted(want)]


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


def test_most_frequent_keeps_the_cap_highest_counts_ties_to_the_smaller_key():
    """Pass 2's cap: the first `cap` keys in (-count, key) order, worked out by hand — counts
    4, 4, 2, 2, 1 for keys 1, 3, 5, 9, 7; ties at the threshold go to the smaller key."""
    import numpy as np

    from policytrack.pipeline.analysis.lexicon_ngrams import _most_frequent

    keys = np.array([5, 3, 9, 1, 7], dtype=np.uint64)
    freq = np.array([2, 4, 2, 4, 1], dtype=np.int64)
    picked = {cap: sorted(_most_frequent(keys, freq, cap).tolist()) for cap in (1, 2, 3, 4)}
    assert picked == {1: [1], 2: [1, 3], 3: [1, 3, 5], 4: [1, 3, 5, 9]}
    # A tie across the whole table: the smallest keys.
    assert sorted(_most_frequent(keys, np.ones(5, dtype=np.int64), 2).tolist()) == [1, 3]
