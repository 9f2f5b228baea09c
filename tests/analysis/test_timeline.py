"""Term timelines: statuses, the no-look-ahead property, emergence, variants, watch terms."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from policytrack.pipeline.analysis.lexicon_count import count_watch
from policytrack.pipeline.analysis.timeline import (
    TIMELINE_COLUMNS,
    emergence,
    group_timeline,
    group_variants,
    statuses,
    term_timeline,
)


def test_statuses_exact():
    present = np.array(
        [
            [1, 1, 1, 1, 1],  # constant
            [0, 1, 1, 0, 0],  # new, persisting, stops (fading in the first year without it)
            [1, 0, 1, 1, 0],  # fades, returns, fades again
            [0, 0, 0, 0, 1],  # new in the latest year
            [0, 0, 0, 0, 0],  # never seen (watched)
            [0, 0, 1, 0, 0],  # seen once: new, then fading — never fading in its only year
        ],
        dtype=bool,
    )
    assert statuses(present).tolist() == [
        ["new", "persisting", "persisting", "persisting", "persisting"],
        ["absent", "new", "persisting", "fading", "absent"],
        ["new", "fading", "returned", "persisting", "fading"],
        ["absent", "absent", "absent", "absent", "new"],
        ["absent", "absent", "absent", "absent", "absent"],
        ["absent", "absent", "new", "fading", "absent"],
    ]


@pytest.mark.parametrize("seed", range(20))
def test_adding_a_year_never_changes_an_earlier_status(seed):
    """No look-ahead: statuses and the trend of years ≤ t are computed from years ≤ t only, so
    adding a later year changes nothing before it (not even to fading)."""
    rng = np.random.default_rng(seed)
    present = rng.random((30, 12)) < 0.4
    for t in range(1, 12):
        np.testing.assert_array_equal(
            statuses(present[:, :t]), statuses(present[:, : t + 1])[:, :t]
        )
        np.testing.assert_array_equal(
            emergence(present[:, :t]), emergence(present[:, : t + 1])[:, :t]
        )


def test_a_term_present_for_ten_years_is_never_rising():
    present = np.array(
        [
            [1] * 10,  # ten years, every year
            [0] * 7 + [1, 1, 1],  # new three years ago
            [0] * 9 + [1],  # new this year
            [1] * 5 + [0] * 5,  # stopped five years ago
            [1, 0, 0, 0, 0, 0, 0, 1, 1, 1],  # back after a long absence
        ],
        dtype=bool,
    )
    e = emergence(present)
    # Rising while new (its first 3 documents), then 0 for good: never rising at ten years.
    assert e[0, :3].tolist() == [1.0, 1.0, 1.0] and (e[0, 3:] == 0).all()
    assert e[1, -1] == 1.0 and e[2, -1] == pytest.approx(1 / 3, abs=1e-4)
    assert e[3, 5] < 0 and e[3, 7] == -1.0 and e[3, -1] < 0  # falling: gone from the window
    assert 0 < e[4, -1] < 1  # returning: rising, but less than a brand-new term
    assert (e[:, :1][~present[:, :1]] == 0).all()


def test_variants_grouped_under_a_root():
    terms = [
        "三大攻坚战",
        "打好三大攻坚战",
        "三大攻坚战三年行动",
        "坚决打好三大攻坚战",
        "双碳",
        "双碳目标",
        "不忘初心、牢记使命",
        "不忘初心牢记使命",
        "改革",
        "深化改革",
        "科创中国",
    ]
    freq = {"三大攻坚战": 3, "打好三大攻坚战": 2, "双碳": 3, "双碳目标": 1, "不忘初心、牢记使命": 2}
    canon = group_variants(terms, freq)
    assert canon["打好三大攻坚战"] == canon["三大攻坚战三年行动"] == "三大攻坚战"
    assert canon["坚决打好三大攻坚战"] == "三大攻坚战"  # joins the root, never chains
    assert canon["不忘初心牢记使命"] == "不忘初心、牢记使命"
    assert canon["深化改革"] == "深化改革"  # 改革 is too short to be a root
    # 双碳 is too short to be a root (two characters), so 双碳目标 stands alone.
    assert canon["双碳目标"] == "双碳目标" and canon["科创中国"] == "科创中国"


def test_watched_term_is_the_canonical_form():
    canon = group_variants(["打好三大攻坚战", "三大攻坚战三年行动"], {}, watch=["三大攻坚战"])
    assert canon == {
        "三大攻坚战": "三大攻坚战",
        "打好三大攻坚战": "三大攻坚战",
        "三大攻坚战三年行动": "三大攻坚战",
    }


def _docs(years, source="s", series="x", extra=()):
    rows = [
        dict(
            doc_id=f"d{y}",
            source=source,
            series=series,
            year=y,
            recorded_at="2024-01-01T00:00:00Z",
            n_chars=1000,
        )
        for y in years
    ]
    return pd.DataFrame([*rows, *extra])


def _terms(rows):
    return pd.DataFrame(
        [
            dict(
                source="s",
                series="x",
                year=y,
                doc_id=d or f"d{y}",
                term=t,
                kind=k,
                count=c,
                paths=p,
            )
            for y, t, k, c, p, d in rows
        ]
    )


def test_term_timeline_rows():
    terms = _terms(
        [
            (2018, "三大攻坚战", "formula", 3, ["preamble", "3.9"], None),
            (2019, "三大攻坚战", "formula", 3, ["4.10", "preamble"], None),
            (2019, "打好三大攻坚战", "quote", 1, ["4.10"], None),
            (2021, "双碳", "quote", 2, ["2.1"], None),
        ]
    )
    tl = term_timeline(terms, _docs([2018, 2019, 2021]), watch=["服务发展年", "三大攻坚战"])
    assert list(tl.columns) == TIMELINE_COLUMNS
    by = tl.set_index(["term", "year"])
    assert by.loc[("三大攻坚战", 2019), "count"] == 3
    assert by.loc[("三大攻坚战", 2019), "per_10k_chars"] == 30.0  # 3 mentions in 1,000 characters
    assert by.loc[("三大攻坚战", 2019), "paths"] == ["4.10", "preamble"]
    assert by.loc[("三大攻坚战", 2019), "kinds"] == "formula,watch"
    assert [by.loc[("三大攻坚战", y), "status"] for y in (2018, 2019, 2021)] == [
        "new",
        "persisting",
        "fading",
    ]
    assert by.loc[("打好三大攻坚战", 2019), "canonical"] == "三大攻坚战"
    assert by.loc[("三大攻坚战", 2018), "variants"] == ["三大攻坚战", "打好三大攻坚战"]
    watched = tl[tl["term"] == "服务发展年"]
    assert len(watched) == 3 and not watched["present"].any()
    assert set(watched["status"]) == {"absent"} and watched["watched"].all()
    assert (watched["first_year"] == 0).all()
    assert by.loc[("双碳", 2021), "status"] == "new" and by.loc[("双碳", 2021), "emergence"] > 0
    assert (tl["present"] == (tl["count"] > 0)).all()  # presence comes from counting
    grouped = group_timeline(tl, _docs([2018, 2019, 2021])).set_index(["term", "year"])
    # 打好三大攻坚战 contains 三大攻坚战, whose count (3) already includes that mention.
    assert grouped.loc[("三大攻坚战", 2019), "count"] == 3
    assert "打好三大攻坚战" not in grouped.index.get_level_values(0)
    assert (grouped["present"] == (grouped["count"] > 0)).all()


def test_a_year_without_a_document_is_a_gap_not_an_absence():
    """The Government Work Reports have no 2020 document: 2019 → 2021 is consecutive."""
    terms = _terms(
        [(2019, "六稳", "formula", 1, ["1"], None), (2021, "六稳", "formula", 2, ["1"], None)]
    )
    tl = term_timeline(terms, _docs([2018, 2019, 2021])).set_index(["term", "year"])
    assert 2020 not in tl.index.get_level_values(1)
    assert tl.loc[("六稳", 2021), "status"] == "persisting"


def test_duplicate_document_latest_wins():
    docs = _docs(
        [2018],
        extra=[
            dict(
                doc_id="old19",
                source="s",
                series="x",
                year=2019,
                recorded_at="2024-01-01",
                n_chars=1000,
            ),
            dict(
                doc_id="new19",
                source="s",
                series="x",
                year=2019,
                recorded_at="2024-03-01",
                n_chars=1000,
            ),
        ],
    )
    terms = _terms(
        [
            (2018, "双碳", "quote", 1, ["1.1"], None),
            (2019, "双碳", "quote", 1, ["1.1"], "old19"),
            (2019, "科创中国", "quote", 2, ["1.2"], "new19"),
        ]
    )
    by = term_timeline(terms, docs).set_index(["term", "year"])
    assert by.loc[("双碳", 2018), "status"] == "new"
    assert by.loc[("双碳", 2019), "status"] == "fading"  # the re-issued 2019 notice dropped it
    assert by.loc[("科创中国", 2019), "status"] == "new"


def test_empty_inputs():
    assert term_timeline(_terms([]), _docs([])).empty
    tl = term_timeline(pd.DataFrame(), _docs([2018, 2019]), watch=["三大攻坚战"])
    assert tl[["term", "year", "present"]].values.tolist() == [
        ["三大攻坚战", 2018, False],
        ["三大攻坚战", 2019, False],
    ]


def test_count_watch_counts_every_mention_of_a_watched_term():
    docs = _docs([2019]).assign(preamble="助力打好“三大攻坚战”，“稳”字当头。")
    items = pd.DataFrame(
        [
            dict(
                doc_id="d2019",
                path="1",
                parent_path="",
                level="section",
                ordinal=0,
                text="一、打好三大攻坚战\n介绍",
            ),
            dict(
                doc_id="d2019",
                path="1.1",
                parent_path="1",
                level="item",
                ordinal=1,
                text="坚决打好三大攻坚战。稳中求进。",
            ),
        ]
    )
    out = count_watch(docs, items, ["三大攻坚战", "稳"]).set_index("term")
    assert out.loc["三大攻坚战", "count"] == 3 and out.loc["三大攻坚战", "quoted"] == 1
    assert out.loc["三大攻坚战", "paths"] == ["preamble", "1", "1.1"]
    # A watched term counts bare whatever its length (an unwatched 稳 would count quoted only).
    assert out.loc["稳", "count"] == 2 and out.loc["稳", "paths"] == ["preamble", "1.1"]


def test_the_build_path_writes_and_ranks_what_the_frames_give():
    """A build writes each series' grid as arrow (SeriesGrid.table) and ranks it from its
    matrices (series_ranks): the same table and ranks as from the rows as a frame."""
    from policytrack.pipeline.analysis.lexicon_rank import series_ranks, term_ranks
    from policytrack.pipeline.analysis.timeline import series_grids
    from policytrack.pipeline.store.schema import conform
    from policytrack.pipeline.store.tables import to_arrow

    terms = _terms(
        [
            (2018, "三大攻坚战", "formula", 3, ["preamble", "3.9"], None),
            (2019, "三大攻坚战", "formula", 3, np.array(["4.10", "preamble"], dtype=object), None),
            (2019, "打好三大攻坚战", "quote", 1, None, None),
            (2021, "双碳", "quote", 2, ["2.1"], None),
        ]
    )
    grids = list(series_grids(terms, _docs([2018, 2019, 2021]), watch=["服务发展年"],
                              flags={"双碳": "one_off"}))  # fmt: skip
    assert [(g.source, g.series, g.terms) for g in grids] == [
        ("s", "x", ["三大攻坚战", "双碳", "打好三大攻坚战", "服务发展年"])
    ]
    frame = grids[0].frame()
    table = grids[0].table()
    assert table.equals(to_arrow(conform(frame, "term_timeline"), "term_timeline"))
    pd.testing.assert_frame_equal(series_ranks(grids[0]), term_ranks(frame), check_exact=True)
    # The build reads the terms' paths as arrow: the same table, the same frame.
    as_read = pa.array(list(terms["paths"]), pa.list_(pa.field("element", pa.string())))
    terms = terms.assign(paths=pd.Series(pd.arrays.ArrowExtensionArray(as_read)))
    (grid,) = series_grids(terms, _docs([2018, 2019, 2021]), watch=["服务发展年"],
                           flags={"双碳": "one_off"})  # fmt: skip
    assert isinstance(grid.path_lists, pa.Array) and grid.table().equals(table)
    pd.testing.assert_frame_equal(grid.frame(), frame)


def test_paths_array_puts_each_cell_at_its_row():
    from policytrack.pipeline.analysis.timeline import _paths_array

    # 2 terms × 2 years: rows (0,0) (0,1) (1,0) (1,1) are 0 1 2 3; row 0's paths are None.
    lists = np.array([None, np.array(["a", "b"], dtype=object), ["c"]], dtype=object)
    want = [[], ["a", "b"], ["c"], []]
    assert _paths_array(np.array([0, 1, 2]), lists, 4).to_pylist() == want
    arrow = pa.array([None, ["a", "b"], ["c"]], pa.list_(pa.field("element", pa.string())))
    assert _paths_array(np.array([0, 1, 2]), arrow, 4).to_pylist() == want
    assert _paths_array(np.zeros(0, dtype=np.int64), np.array([], dtype=object), 3).to_pylist() == [
        [],
        [],
        [],
    ]


def test_rows_of_one_term_and_year_keep_the_larger_count_and_the_first_paths_given():
    terms = _terms(
        [
            (2019, "三大攻坚战", "formula", 2, None, None),
            (2019, "三大攻坚战", "watch", 3, ["1.1"], None),
            (2019, "三大攻坚战", "quote", 1, ["2.2"], None),
            (2018, "双碳", "quote", 1, ["3"], None),
        ]
    )
    by = term_timeline(terms, _docs([2018, 2019])).set_index(["term", "year"])
    assert by.loc[("三大攻坚战", 2019), "count"] == 3
    assert by.loc[("三大攻坚战", 2019), "paths"] == ["1.1"]  # the None before it skipped
    assert by.loc[("三大攻坚战", 2019), "kinds"] == "formula,quote,watch"
    assert by.loc[("三大攻坚战", 2018), "paths"] == [] and by.loc[("双碳", 2019), "paths"] == []


def test_rows_without_a_term_or_a_year_count_nowhere():
    """A terms row with no term, or no year, is no cell (the table requires both; a review
    found a file with only term-less rows made the timeline fail where it had given the watch
    term's rows)."""
    no_term = _terms([(2019, None, "phrase", 1, ["1"], None)])
    tl = term_timeline(no_term, _docs([2018, 2019]), watch=["改革"])
    assert tl[["term", "year", "count"]].values.tolist() == [["改革", 2018, 0], ["改革", 2019, 0]]
    no_year = _terms(
        [(2019, "双碳", "quote", 2, ["1"], None), (2019, "脱贫", "quote", 1, [], None)]
    )
    no_year["year"] = pd.array([2019, None], dtype="Int64")
    tl = term_timeline(no_year, _docs([2018, 2019]))
    assert tl[["term", "year", "count"]].values.tolist() == [["双碳", 2018, 0], ["双碳", 2019, 2]]


def test_kinds_of_each_term_from_the_distinct_pairs():
    from policytrack.pipeline.analysis.timeline import _kinds

    # rows: (a, quote) (b, formula) (a, quote) (a, formula)
    out = _kinds(np.array([0, 1, 0, 0]), ["a", "b"], np.array([0, 1, 0, 1]), ["quote", "formula"])
    assert out == {"a": {"quote", "formula"}, "b": {"formula"}}
    assert _kinds(np.zeros(0, dtype=np.int64), [], np.zeros(0, dtype=np.int64), []) == {}
    # a missing term or kind (code -1) is no pair
    assert _kinds(np.array([0, -1, 0]), ["a"], np.array([-1, 0, 0]), ["quote"]) == {"a": {"quote"}}
