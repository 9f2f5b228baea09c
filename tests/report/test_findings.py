"""The findings (analysis/findings.py): the one function behind the report's written summary and
the nightly run summary. Expected values are read off the hand-made tables of
tests/support/tiny.py (testorg: 2017, 2018, 2019, 2021; terms by year in TERMS / VARIANTS)."""

from __future__ import annotations

import pandas as pd
import pytest

from policytrack.pipeline.analysis.findings import findings, notice_lines
from policytrack.pipeline.report import index, load
from policytrack.pipeline.report.scope import choose_scope
from tests.support.tiny import write_tiny_dataset


@pytest.fixture(scope="module")
def tables(tmp_path_factory):
    data = write_tiny_dataset(tmp_path_factory.mktemp("tiny"))
    return load.load_tables(
        data, need=("documents", "items", "term_timeline", "alignments", "threads")
    )


def terms_table(tables) -> pd.DataFrame:
    """A per-document terms table written from TERMS (testorg documents are t<year>)."""
    tl = tables["term_timeline"]
    rows = tl[tl["present"]]
    return pd.DataFrame(
        {
            "source": rows["source"],
            "series": rows["series"],
            "doc_id": "t" + rows["year"].astype(str),
            "term": rows["term"],
            "count": rows["count"],
        }
    )


def test_window_findings(tables):
    f = findings(
        tables["documents"],
        terms_table(tables),
        tables["term_timeline"],
        tables["alignments"],
        tables["items"],
        source="testorg",
        latest=True,
    )
    assert [(d.year, d.compared_to) for d in f.documents] == [
        (2017, None), (2018, 2017), (2019, 2018), (2021, 2019),
    ]  # fmt: skip
    by_year = {d.year: d for d in f.documents}
    # 2018 against 2017: 三大攻坚战 (3 mentions) and 服务发展年 (2) are new; 科普中国 is gone.
    assert by_year[2018].new_terms == ["三大攻坚战", "服务发展年"]
    assert by_year[2018].fading_terms == ["科普中国"]
    # 2019: 科普中国 back (last seen 2017); 打好三大攻坚战 folds onto 三大攻坚战 (not new).
    assert by_year[2019].new_terms == [] and by_year[2019].returned_terms == [("科普中国", 2017)]
    # 2021 against 2019 (2020 missing): 一芯两带三区 new; 学会服务 and 服务发展年 gone.
    assert by_year[2021].new_terms == ["一芯两带三区"]
    assert by_year[2021].fading_terms == ["学会服务", "服务发展年"]
    # Window lines: longest-present first (三大攻坚战 3 years, 服务发展年 2, 一芯两带三区 1).
    assert f.new_terms() == [("三大攻坚战", 2018), ("服务发展年", 2018), ("一芯两带三区", 2021)]
    # 科普中国 faded in 2018 but came back: not fading. 学会服务 present 3 years, 服务发展年 2.
    assert f.fading_terms() == [("学会服务", 2019), ("服务发展年", 2019)]
    assert f.returned_terms() == [("科普中国", 2019, 2017)]
    assert f.gaps == {("testorg", "测试协会工作要点"): [2020]}
    # LINKS: the one reappeared item (2018 2.5 → 2021 2.4, 办好学术年会); changed links sorted
    # by similarity (the tiny table has none: kept in table order).
    [back] = f.returned_items
    assert (back.year_from, back.year_to, back.heading_to) == (2018, 2021, "办好学术年会")
    assert {c.relation for c in f.changed_items} <= {"revised", "split", "merged"}


def test_run_summary_and_window_agree(tables):
    """The run's facts for its new document are the window's facts for that document."""
    args = (tables["documents"], terms_table(tables), tables["term_timeline"])
    window = findings(*args, source="testorg", latest=True)
    run = findings(*args, known={"t2017", "t2018", "t2019", "s2020", "s2021"})
    [new] = run.documents
    last = window.documents[-1]
    assert (new.doc_id, new.new_terms, new.fading_terms, new.returned_terms) == (
        last.doc_id, last.new_terms, last.fading_terms, last.returned_terms,
    )  # fmt: skip
    assert notice_lines(new) == [
        "new priorities: 一芯两带三区",
        "fading since 2019: 学会服务、服务发展年",
    ]
    assert notice_lines(window.documents[2]) == [
        "new priorities: —",
        "fading since 2018: —",
        "returning: 科普中国 (last 2017)",
    ]
    assert notice_lines(window.documents[0]) == ["first of its series"]


def test_without_a_terms_table_the_timeline_speaks(tables):
    f = findings(tables["documents"], None, tables["term_timeline"], source="testorg")
    assert f.returned_terms() == [("科普中国", 2019, 2017)]
    assert f.new_terms()[0] == ("三大攻坚战", 2018)


def test_summary_html_is_escaped_and_complete(tables):
    scope = choose_scope(tables["documents"], lang="en")
    found = findings(
        tables["documents"], terms_table(tables), tables["term_timeline"],
        tables["alignments"], tables["items"], source=scope.source, series=scope.series,
        years=scope.years, latest=True,
    )  # fmt: skip
    page = index.summary_html(found, scope)
    assert "<li><b>Returning</b>: 科普中国 (2019, last seen 2017)</li>" in page
    assert "<li><b>Missing years</b>: 2020</li>" in page
    assert (
        "<li><b>Fading (not back by 2021)</b>: 学会服务 (last 2019), 服务发展年 (last 2019)" in page
    )
    # the heading with a <script> tag (item 2.3 of 2021) never reaches the page as a tag
    assert "<script" not in page
