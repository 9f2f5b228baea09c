"""The lexicon stage's array helpers, on values worked out by hand: the word runs pass 1 and 2
hash (encode), a document's rows by ordinal (document units), the quote spans of a document's
joined units, the compound rule of _drop_dependent and the per-term evidence."""

from __future__ import annotations

import numpy as np
import pandas as pd


def test_encode_joins_the_word_runs_by_one_separator():
    from policytrack.pipeline.analysis.lexicon_ngrams import encode

    # Runs ab中1 and x; punctuation, spaces and newlines end a run, however many there are.
    assert encode("，ab中1。\n x！").tolist() == [97, 98, 0x4E2D, 49, 0, 120]
    assert encode("a\x00b").tolist() == [97, 0, 98]  # a NUL ends a run as punctuation does
    assert encode("Z").tolist() == [90]
    assert encode("").tolist() == [] and encode("。，").tolist() == []
    assert encode("x").dtype == np.uint64


def test_rows_by_document_in_ordinal_then_table_order():
    from policytrack.pipeline.analysis.lexicon_count import _rows_by_document

    items = pd.DataFrame({"doc_id": ["b", "a", "b", "a", "b", None], "ordinal": [2, 1, 1, 1, 0, 0]})
    rows = _rows_by_document(items)
    # b: rows 0 (ordinal 2), 2 (1), 4 (0); a: rows 1 and 3 tie on ordinal 1 (table order).
    assert {d: at.tolist() for d, at in rows.items()} == {"b": [4, 2, 0], "a": [1, 3]}
    assert _rows_by_document(items.iloc[0:0]) == {}


def test_unit_spans_of_the_joined_units_are_each_units_own():
    from policytrack.pipeline.analysis.lexicon_count import _unit_spans

    texts = ["说“新质”和《规划》", "“甲乙”"]  # unit 1 starts at 11 (10 characters and a newline)
    (s0, e0, p0), (s1, e1, p1) = _unit_spans("\n".join(texts), np.array([0, 11]))
    # Mode 0 (quotes and 《》): 新质 at 2–4 and 规划 at 7–9 in unit 0, 甲乙 at 1–3 in unit 1.
    assert (s0.tolist(), e0.tolist(), p0.tolist()) == ([2, 7, 1], [4, 9, 3], [0, 2, 3])
    # Mode 1 (quotes only).
    assert (s1.tolist(), e1.tolist(), p1.tolist()) == ([2, 1], [4, 3], [0, 1, 2])


def test_a_compound_is_a_core_plus_a_boundary_word():
    from policytrack.pipeline.analysis.lexicon import _compound

    cores = {"脱贫攻坚"}
    assert _compound("脱贫攻坚成果", cores)  # 成果: a [right] word
    assert _compound("脱贫攻坚任务", cores)
    assert _compound("深入脱贫攻坚", cores)  # 深入: a [left] word
    assert not _compound("脱贫攻坚成", cores)  # 成 is no boundary word
    assert not _compound("乡村振兴成果", cores)  # 乡村振兴 is no core
    assert not _compound("成果", {"成果"})  # a word alone is not a compound


def test_evidence_per_term():
    from policytrack.pipeline.analysis.lexicon_count import _evidence_grouped, term_evidence

    c = pd.DataFrame(
        {
            "source": ["s", "s", "s", "s"],
            "series": ["A", "A", "B", "B"],
            "year": [2020, 2021, 2019, 2019],
            "doc_id": ["d1", "d2", "d3", "d3"],
            "term": ["X", "X", "X", "Y"],
            "count": [2, 1, 3, 1],
            "quoted": [1, 0, 0, 1],
        }
    )
    series_docs = {("s", "A"): 4, ("s", "B"): 1}
    ev, pairs = term_evidence(c, series_docs)
    # X: 3 documents, 6 mentions, 1 quoted; 2 of A's 4 documents (0.5), 1 of B's 1 (1.0);
    # first in 2019 (series B). Y: one document of B.
    assert ev.to_dict("list") == {
        "term": ["X", "Y"],
        "documents": [3, 1],
        "count": [6, 1],
        "quoted": [1, 1],
        "share": [1.0, 1.0],
        "first_year": [2019, 2019],
        "first_source": ["s", "s"],
        "first_series": ["B", "B"],
    }
    # (term, year) pairs in (year, source, series) order.
    assert list(zip(pairs["term"], pairs["year"], strict=True)) == [
        ("X", 2019), ("Y", 2019), ("X", 2020), ("X", 2021),
    ]  # fmt: skip
    want, want_pairs = _evidence_grouped(c, series_docs)
    pd.testing.assert_frame_equal(ev, want)
    pd.testing.assert_frame_equal(pairs, want_pairs)


def test_evidence_over_many_series_is_the_grouped_evidence():
    """Sources of many series (a crawl whose titles all differ: a series per document) — only
    the (term, series) groups that occur are held (a review found a terms × series array); the
    values stay the groupbys'."""
    from policytrack.pipeline.analysis.lexicon_count import _evidence_grouped, term_evidence

    rng = np.random.default_rng(8)
    for _ in range(30):
        n = int(rng.integers(1, 400))
        c = pd.DataFrame(
            {
                "source": [f"s{x}" for x in rng.integers(0, 3, n)],
                "series": [f"r{x}" for x in rng.integers(0, 200, n)],
                "year": rng.integers(2000, 2010, n),
                "doc_id": [f"d{x}" for x in rng.integers(0, 300, n)],
                "term": [f"t{x}" for x in rng.integers(0, 40, n)],
                "count": rng.integers(1, 5, n),
                "quoted": rng.integers(0, 3, n),
            }
        ).astype({k: "str" for k in ("source", "series", "doc_id", "term")})
        series_docs = {
            (f"s{a}", f"r{b}"): int(rng.integers(1, 9)) for a in range(3) for b in range(200)
        }
        ev, pairs = term_evidence(c, series_docs)
        want, want_pairs = _evidence_grouped(c, series_docs)
        pd.testing.assert_frame_equal(ev, want)
        pd.testing.assert_frame_equal(pairs, want_pairs)
