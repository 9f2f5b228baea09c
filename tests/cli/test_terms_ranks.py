"""`policytrack terms` ranks on the build's term_ranks table and reads the timeline only for the
terms it shows (issue 17.4): the same table as ranking the whole timeline, on a real build of
two series whose terms differ, and on a data dir built before term_ranks existed."""

from __future__ import annotations

import shutil

import pytest
from typer.testing import CliRunner

from policytrack.pipeline.analysis.lexicon_rank import term_importance
from policytrack.pipeline.analysis.termquery import top_terms
from policytrack.pipeline.cli.app import app
from policytrack.pipeline.jobs.build import build
from policytrack.pipeline.jobs.ingest import ingest
from policytrack.pipeline.store.layout import current
from policytrack.pipeline.store.tables import processed_dir, read_table
from tests.support.run import SAMPLE_DIR

NOTICES = SAMPLE_DIR / "notices"


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    data = tmp_path_factory.mktemp("ranks") / "data"
    ingest([NOTICES / f"a-{y}.txt" for y in (2018, 2019, 2020)], "mix", data, series="甲")
    ingest([NOTICES / f"b-{y}.txt" for y in (2022, 2023, 2024)], "mix", data, series="乙")
    build(data)
    return data


def terms(data, *args):
    result = CliRunner().invoke(app, ["terms", "mix", "--data", str(data), *args])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.slow
def test_term_ranks_hold_the_timelines_importance_with_canonical_and_variants(data):
    timeline = read_table(data, "term_timeline")
    ranks = read_table(data, "term_ranks")
    assert len(ranks) == len(timeline.drop_duplicates(["series", "term"]))
    imp = term_importance(timeline).set_index(["series", "term"]).sort_index()
    got = ranks.set_index(["series", "term"]).sort_index()
    for col in ("documents", "present_years", "importance", "first_year", "last_year", "trend"):
        assert got[col].tolist() == imp[col].tolist(), col
    # Each series has its three document years; a term's variants list starts with its root.
    assert set(got["documents"]) == {3}
    first = timeline.drop_duplicates(["series", "term"]).set_index(["series", "term"])
    for (series, term), row in got.iterrows():
        assert row["canonical"] == first.at[(series, term), "canonical"]
        assert list(row["variants"]) == list(first.at[(series, term), "variants"])
        assert row["variants"][0] == row["canonical"]


@pytest.mark.slow
def test_ranking_on_term_ranks_chooses_what_ranking_the_timeline_chooses(data):
    documents = read_table(data, "documents")
    timeline = read_table(data, "term_timeline")
    ranks = read_table(data, "term_ranks")
    for limit in (1, 3, 10):
        for variants in (True, False):
            for series in (None, "乙"):
                kw = dict(limit=limit, variants=variants, series=series)
                a = top_terms(documents, ranks, "mix", **kw)
                b = top_terms(documents, timeline, "mix", **kw)
                assert a == b, kw
                assert {s for s, _ in a.rows} == ({"甲", "乙"} if series is None else {"乙"})
    with pytest.raises(ValueError, match="every year"):
        top_terms(documents, ranks, "mix", limit=3, years=[2018, 2019])


OPTIONS = [(), ("-n", "3"), ("--no-variants", "-n", "4"), ("--series", "乙", "-n", "2"),
           ("--years", "2019-2023", "-n", "3"), ("--all",), ("--csv", "-n", "2")]  # fmt: skip


@pytest.mark.slow
def test_the_same_output_as_a_data_dir_without_term_ranks(data, tmp_path):
    """A data dir built before term_ranks: the timeline is ranked and read whole."""
    old = tmp_path / "old"
    shutil.copytree(data, old, symlinks=True)
    gen = current(processed_dir(old)).path
    shutil.rmtree(gen / "term_ranks")
    report = (gen / "build_report.json").read_text("utf-8")
    assert '"term_ranks"' in report
    # The commit lists each table's partitions: drop term_ranks' so the table reads as absent.
    import json

    rep = json.loads(report)
    _drop_table(rep, "term_ranks")
    (gen / "build_report.json").write_text(json.dumps(rep), "utf-8")
    assert read_table(old, "term_ranks", required=False) is None
    for opts in OPTIONS:
        assert terms(old, *opts) == terms(data, *opts), opts


def _drop_table(obj, name):
    if isinstance(obj, dict):
        obj.pop(name, None)
        for v in obj.values():
            _drop_table(v, name)
    elif isinstance(obj, list):
        for v in obj:
            _drop_table(v, name)


@pytest.mark.slow
def test_a_capped_table_shows_the_top_groups_of_each_series(data):
    out = terms(data, "-n", "2", "--no-variants")
    ranks = read_table(data, "term_ranks")
    for series in ("甲", "乙"):
        mine = ranks[
            (ranks["series"] == series) & (ranks["flag"] == "") & (ranks["importance"] > 0)
        ]
        top2 = mine.sort_values(["importance", "term"], ascending=[False, True])["term"][:2]
        block = out.split(f"mix / {series}")[1].split("mix / ")[0]
        shown = [ln.split("│")[0].strip() for ln in block.splitlines() if "│" in ln]
        assert shown == list(top2), series
