"""Chart data (exact values from the hand-made tables in test_charts_data), figure export, fonts
and HTML escaping. No kernel here: these run in a few seconds."""

from __future__ import annotations

import io
import re
import warnings
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from PIL import Image

from policytrack.pipeline.core.errors import ConfigError, InputError
from policytrack.pipeline.report import (
    export,
    fonts,
    html,
    labels,
    load,
    plots_corpus,
    plots_diffusion,
    plots_flows,
    plots_terms,
    registry,
    views,
)
from policytrack.pipeline.report.scope import ChartError, choose_scope, resolve_watch
from policytrack.pipeline.store import schema
from policytrack.pipeline.store.tables import write_tables
from policytrack.pipeline.text.watch import default_watch
from tests.support.tiny import SCRIPT, SERIES, SOURCE, write_tiny_dataset

TODAY = date(2025, 3, 5)


@pytest.fixture(scope="module")
def tables(tmp_path_factory):
    data = write_tiny_dataset(tmp_path_factory.mktemp("tiny"))
    return load.load_tables(
        data, need=("documents", "items", "term_timeline", "alignments", "threads")
    )


@pytest.fixture(scope="module")
def scope(tables):
    return choose_scope(tables["documents"], lang="zh", today=TODAY)


@pytest.fixture(scope="module")
def view(tables, scope):
    return views.term_view(tables["term_timeline"], scope, tables["documents"])


def svg_texts(path) -> list[str]:
    """Strings drawn in a matplotlib SVG (text is drawn as paths, each preceded by a comment)."""
    return re.findall(r"<!-- (.*?) -->", path.read_text(encoding="utf-8"))


# ---------------------------------------------------------------- scope, footnote, loading


def test_scope_defaults_to_source_with_most_documents(scope):
    assert scope.source == SOURCE
    assert scope.series == SERIES
    assert scope.years == (2017, 2021)
    assert scope.doc_years == (2017, 2018, 2019, 2021)
    assert scope.is_sample is False
    assert (
        scope.footnote
        == "来源：testorg；2017–2021年，4份文件；数据截至 2024-05-06；生成于 2025-03-05"
    )


def test_scope_for_sample_source_is_marked(tables):
    sample = choose_scope(tables["documents"], source="sample", lang="en", today=TODAY)
    assert sample.is_sample
    assert sample.footnote == (
        "SAMPLE DATA (fictional) · Source: sample; 2020–2021, 2 documents; data as of 2024-01-01; generated 2025-03-05"
    )


def test_scope_errors_name_what_is_available(tables):
    with pytest.raises(
        ChartError, match=r"source 'nope' not in the data; available: sample, testorg"
    ):
        choose_scope(tables["documents"], source="nope")
    with pytest.raises(
        ChartError, match="series 'x' not in source 'testorg'; available: 测试协会工作要点"
    ):
        choose_scope(tables["documents"], series="x")
    with pytest.raises(ChartError, match="no documents in 1990–1995"):
        choose_scope(tables["documents"], years=[1990, 1995])
    with pytest.raises(ConfigError, match="lang must be one of zh, en"):
        choose_scope(tables["documents"], lang="fr")


def test_scope_year_window_and_latest_version(tables):
    docs = tables["documents"]
    # A re-issued 2019 notice recorded later replaces the first posting.
    reissued = docs[docs.doc_id == "t2019"].assign(
        doc_id="t2019b", recorded_at="2019-06-01T00:00:00Z"
    )
    scope = choose_scope(pd.concat([docs, reissued]), years=[2018, 2019])
    assert scope.years == (2018, 2019)
    assert scope.doc_years == (2018, 2019)
    assert scope.doc_ids == ("t2018", "t2019b")


def test_load_tables_names_missing_file_and_columns(tmp_path):
    write_tiny_dataset(tmp_path, with_alignment=False)
    with pytest.raises(InputError, match=r"alignments: missing; run `policytrack build"):
        load.load_tables(tmp_path, need=("alignments",))
    tables = {
        "threads": pd.DataFrame({"source": ["x"]}),
        "documents": pd.DataFrame({"source": ["x"]}),
    }
    gen = write_tables(tmp_path, tables, strict=False)
    with pytest.raises(InputError, match=r"threads: missing columns thread_id, first_year"):
        load.load_tables(tmp_path, need=("threads",))
    part = gen / "documents" / "x.parquet"  # damaged in place, its size unchanged
    part.write_bytes(b"x" * part.stat().st_size)
    with pytest.raises(InputError, match=r"documents/x\.parquet: unreadable parquet"):
        load.load_tables(tmp_path, need=("documents",))


def test_required_columns_are_schema_columns():
    """The report names the columns it needs; their types and meaning are store/schema.py's."""
    for name, columns in load.REQUIRED.items():
        assert set(columns) <= set(schema.table(name).names), name


def test_report_watch_terms_given_in_any_form_else_the_default():
    assert (
        resolve_watch(None) == resolve_watch([]) == default_watch() == ["服务发展年", "三大攻坚战"]
    )
    assert resolve_watch("三大攻坚战、一芯两带三区") == ["三大攻坚战", "一芯两带三区"]
    assert resolve_watch('["四个意识", "三大攻坚战"]') == ["四个意识", "三大攻坚战"]
    assert resolve_watch(["科普中国,学会服务"]) == ["科普中国", "学会服务"]


# ---------------------------------------------------------------- corpus overview


def test_documents_per_year_fills_missing_years(tables):
    counts = views.documents_per_year(tables["documents"])
    assert list(counts.index) == [2017, 2018, 2019, 2020, 2021]
    assert counts["testorg"].tolist() == [1, 1, 1, 0, 1]
    assert counts["sample"].tolist() == [0, 0, 0, 1, 1]
    assert views.documents_per_year(tables["documents"], [2020, 2021])["sample"].tolist() == [1, 1]


def test_year_gaps(tables):
    gaps = views.year_gaps(tables["documents"]).set_index("source")
    assert gaps.loc["testorg", "missing"] == [2020]
    assert gaps.loc["testorg", "n_years"] == 4
    assert gaps.loc["sample", "missing"] == []


def test_items_per_section(tables, scope):
    counts = views.items_per_section(tables["items"], scope)
    assert counts.to_dict(orient="index") == {
        2017: {1: 2, 2: 1},
        2018: {1: 2, 2: 3},
        2019: {1: 2, 2: 2},
        2021: {1: 1, 2: 3},
    }


# ---------------------------------------------------------------- priority timelines


def test_term_view_folds_variants_into_canonical(view):
    # 打好三大攻坚战 contains its root: its 2019 mention is already one of 三大攻坚战's 2.
    row = view[(view.label == "三大攻坚战") & (view.year == 2019)].iloc[0]
    assert (row["count"], row["status"], bool(row["present"])) == (2, "persisting", True)
    assert "打好三大攻坚战" not in set(view.label)


def test_heatmap_rows_order_and_statuses(view):
    matrix = views.heatmap_matrix(view, top_n=30)
    # Every term said in the window (none is flagged noise), ordered by first year then label.
    assert list(matrix.index) == [
        "四个意识", "学会服务", "科普中国", "三大攻坚战", "服务发展年", "一芯两带三区",
    ]  # fmt: skip
    assert list(matrix.columns) == [2017, 2018, 2019, 2021]
    # fading: the first document without the term after one with it (docs/terms.md)
    assert matrix.loc["科普中国"].tolist() == ["new", "fading", "returned", "persisting"]
    assert matrix.loc["服务发展年"].tolist() == ["absent", "new", "persisting", "fading"]
    assert matrix.loc["学会服务"].tolist() == ["new", "persisting", "persisting", "fading"]
    # top_n keeps the most important terms; a watched term is added back.
    small = views.heatmap_matrix(view, top_n=1, watch=["一芯两带三区"])
    assert list(small.index) == ["四个意识", "一芯两带三区"]


def test_watch_lanes_first_and_last_year(view):
    lanes = {
        lane.term: lane
        for lane in views.watch_lanes(view, ["服务发展年", "三大攻坚战", "没有这个"])
    }
    assert (lanes["三大攻坚战"].first, lanes["三大攻坚战"].last) == (2018, 2021)
    assert lanes["三大攻坚战"].years == (2018, 2019, 2021)
    assert lanes["三大攻坚战"].counts == (3, 2, 1) and lanes["三大攻坚战"].stops == ()
    assert lanes["服务发展年"].statuses == ("new", "persisting")
    assert lanes["服务发展年"].stops == (2021,)  # the first document without it
    assert lanes["没有这个"].years == () and lanes["没有这个"].first is None


def test_top_terms_and_trend_per_10k_characters(tables, view, scope):
    # importance = share of documents × mean mentions per 10k characters over the 4 documents
    # (n_chars 1000/2000/1500/500): 四个意识 1 × (10+10+6.667+20)/4 = 11.67; 三大攻坚战
    # 0.75 × (0+15+13.333+20)/4 = 9.06; 科普中国 0.75 × (10+0+13.333+20)/4 = 8.13; 学会服务 5.31.
    assert views.top_terms(view, 3) == ["四个意识", "三大攻坚战", "科普中国"]
    assert views.top_terms(view, 3, watch=["三大攻坚战"]) == ["四个意识", "科普中国", "学会服务"]
    trend = views.term_trend(
        view, tables["documents"], scope, ["三大攻坚战", "没有这个", "三大攻坚战", "四个意识"]
    )
    # Terms never said are left out, duplicates once.
    assert trend["term"].unique().tolist() == ["三大攻坚战", "四个意识"]
    got = trend.set_index(["term", "year"])[["count", "n_chars", "per_10k"]]
    assert got.loc["三大攻坚战"].values.tolist() == [
        [0, 1000, 0.0],
        [3, 2000, 15.0],  # 3 / 2000 × 10,000
        [2, 1500, 13.333],
        [1, 500, 20.0],
    ]
    assert got.loc["四个意识"]["per_10k"].tolist() == [10.0, 10.0, 6.667, 20.0]
    # A document without a character count gives no rate, not zero.
    no_chars = tables["documents"].drop(columns=["n_chars"])
    assert views.term_trend(view, no_chars, scope, ["四个意识"])["per_10k"].isna().all()


def test_lanes_and_flows_as_tables(tables, view, scope):
    lanes = views.lanes_table(views.watch_lanes(view, ["服务发展年", "没有这个"]))
    assert lanes.astype(object).where(lanes.notna(), None).values.tolist() == [
        ["服务发展年", 2018, "new", 2],
        ["服务发展年", 2019, "persisting", 1],
        ["服务发展年", 2021, "fading", 0],
        ["没有这个", None, "absent", 0],
    ]
    flows = views.flows_table(views.flows(views.scoped_alignments(tables["alignments"], scope)))
    assert list(flows.columns) == ["year_from", "year_to", "relation", "n_from", "n_to"]
    assert flows.iloc[0].tolist() == [2017, 2018, "unchanged", 1, 1]
    assert len(flows) == 13


def test_rising_and_falling(view, scope):
    """Trend at 2021 (emergence: share of the last 3 documents 2018/2019/2021 mentioning the
    term − share of its documents before them): 三大攻坚战 1 − 0 = 1; 一芯两带三区 1/3 − 0;
    服务发展年 2/3 − 0 but not said in 2021 (not rising); 学会服务 and 科普中国 2/3 − 1."""
    rising, falling = views.rising_falling(view, scope.doc_years, window=3)
    assert rising[["label", "trend", "first_year"]].values.tolist() == [
        ["三大攻坚战", 1.0, 2018],
        ["一芯两带三区", 0.3333, 2021],
    ]
    # ties by salience: 科普中国 10.83 per 10k on average, 学会服务 7.08
    assert falling[["label", "trend", "last_year"]].values.tolist() == [
        ["科普中国", -0.3333, 2021],
        ["学会服务", -0.3333, 2019],
    ]
    # Only terms said in the last window+1 documents: with window 0, 学会服务 (last 2019) is out.
    assert views.rising_falling(view, scope.doc_years, window=0)[1]["label"].tolist() == [
        "科普中国"
    ]


# ---------------------------------------------------------------- item flows


def test_relation_counts_per_year(tables, scope):
    links = views.scoped_alignments(tables["alignments"], scope)
    counts = views.relation_counts(links)
    rels = ["unchanged", "revised", "split", "merged", "regrouped", "reappeared", "new", "dropped"]
    assert list(counts.columns) == ["compared", "from_year", *rels]
    assert counts.loc[2018].tolist() == ["2017→2018", 2017, 1, 1, 2, 0, 0, 0, 1, 0]
    # the 2018 item dropped with an empty year_to counts toward 2018 → 2019
    assert counts.loc[2019].tolist() == ["2018→2019", 2018, 1, 1, 0, 2, 0, 0, 1, 1]
    # 2020 is missing: 2019 → 2021; the reappeared link looks back to 2018 but arrives in 2021
    assert counts.loc[2021].tolist() == ["2019→2021", 2019, 1, 2, 0, 0, 0, 1, 0, 1]
    assert list(counts.index) == [2018, 2019, 2021]


def test_flows_count_distinct_items_on_each_side(tables, scope):
    flows = views.flows(views.scoped_alignments(tables["alignments"], scope))
    got = {(f.year_from, f.year_to, f.relation): (f.n_from, f.n_to) for f in flows}
    assert got[(2017, 2018, "split")] == (1, 2)
    assert got[(2018, 2019, "merged")] == (2, 1)
    assert got[(2018, 2019, "dropped")] == (1, 0)
    assert got[(2019, 2021, "reappeared")] == (0, 1)  # looked back to 2018, shown arriving in 2021
    assert len(flows) == 13


def test_longest_threads_and_walk_back(tables, scope):
    threads = views.scoped_threads(tables["threads"], scope)
    top = views.longest_threads(threads)
    assert top["thread_id"].tolist() == ["t1", "t3", "t2", "t4", "t5"]
    assert top.loc[0, "n_years"] == 4
    versions = views.thread_versions(
        views.pick_thread(threads), tables["items"], tables["alignments"], scope
    )
    assert [(v.year, v.path, v.relation) for v in versions] == [
        (2017, "1.1", ""),
        (2018, "1.1", "unchanged"),
        (2019, "1.1", "revised"),
        (2021, "1.1", "revised"),
    ]
    # The split/merge thread walks back along the best-scoring link.
    t3 = views.thread_versions(
        views.pick_thread(threads, "t3"), tables["items"], tables["alignments"], scope
    )
    assert [(v.year, v.path) for v in t3] == [
        (2017, "2.3"),
        (2018, "2.3"),
        (2019, "2.3"),
        (2021, "2.2"),
    ]


def test_thread_versions_use_paths_column_when_present(tables, scope):
    threads = views.scoped_threads(tables["threads"], scope)
    t4 = views.pick_thread(threads, "t4").copy()
    t4["paths"] = ["2.5", "2.4"]
    versions = views.thread_versions(t4, tables["items"], tables["alignments"], scope)
    assert [(v.year, v.path, v.relation, v.score) for v in versions] == [
        (2018, "2.5", "", None),
        (2021, "2.4", "reappeared", 0.9),
    ]
    with pytest.raises(ChartError, match="thread 'zz' not found"):
        views.pick_thread(threads, "zz")


# ---------------------------------------------------------------- HTML escaping


def test_redline_marks_changes_and_escapes_text():
    left, right = html.redline_pair("加强政治建设", "加强<b>政治</b>建设")
    assert left == "加强政治建设"
    assert right == "加强<ins>&lt;b&gt;</ins>政治<ins>&lt;/b&gt;</ins>建设"
    old = views.Version(2019, "2.4", "h", f"防范{SCRIPT}风险。")
    new = views.Version(2021, "2.3", "h", f"防范化解{SCRIPT}风险。", "revised", 0.82, 91.4)
    page = html.redline_html([old, new], "zh")
    assert "<script>" not in page
    assert "防范<ins>化解</ins>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;风险。" in page
    # the 0–100 similarity first, the standardised score beside it, each named
    assert "修改<br>相似度 91 · 标准分 0.82" in page
    assert "Revised<br>Similarity 91 · std. score 0.82" in html.redline_html([old, new], "en")
    no_similarity = views.Version(2021, "2.3", "h", "x", "revised", 0.82)
    assert "修改<br>标准分 0.82" in html.redline_html([old, no_similarity], "zh")


def test_html_table_escapes_headers_and_cells():
    table = html.html_table(pd.DataFrame({"<th>": [SCRIPT], "years": [[2018, 2021]]}))
    assert "<script>" not in table and "<th>&lt;th&gt;</th>" in table
    assert "<td>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</td><td>2018, 2021</td>" in table


# ---------------------------------------------------------------- fonts and figures


@pytest.mark.slow
def test_chinese_figure_renders_without_missing_glyphs(tables, scope, view, tmp_path):
    """Every glyph of a Chinese chart is in the configured font: a missing-glyph warning fails."""
    fonts.setup()
    lanes = views.watch_lanes(view, ["服务发展年", "三大攻坚战"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = plots_terms.plot_watch_lanes(lanes, scope.doc_years, scope.footnote, "zh")
        png, svg, _csv = export.export(fig, "lanes", tmp_path)
    texts = svg_texts(svg)
    assert "服务发展年" in texts and "三大攻坚战" in texts
    assert {"2018", "2019", "2021"} <= set(texts)  # first/last labels (and ticks)
    assert scope.footnote in texts


def test_missing_glyph_warning_is_caught_by_that_check(tmp_path):
    """The check above can fail: without the CJK font, matplotlib warns about missing glyphs."""
    import matplotlib
    from matplotlib.figure import Figure

    with matplotlib.rc_context({"font.family": ["sans-serif"], "font.sans-serif": ["DejaVu Sans"]}):
        fig = Figure()
        fig.suptitle("三大攻坚战")
        with pytest.warns(UserWarning, match="missing from font"):
            fig.savefig(tmp_path / "x.png")


def test_font_set_up_names_the_package_when_no_font(monkeypatch):
    monkeypatch.delenv(fonts.ENV_VAR, raising=False)
    with pytest.raises(fonts.FontError, match="no CJK font found.*fonts-wqy-microhei"):
        fonts.find_font(("/nonexistent/a.ttc",))
    monkeypatch.setenv(fonts.ENV_VAR, "/nonexistent/b.ttf")
    with pytest.raises(
        fonts.FontError, match=r"POLICYTRACK_CJK_FONT=/nonexistent/b.ttf: no such font file"
    ):
        fonts.find_font()


def test_font_without_chinese_glyphs_is_refused():
    import matplotlib

    dejavu = matplotlib.get_data_path() + "/fonts/ttf/DejaVuSans.ttf"
    with pytest.raises(fonts.FontError, match="font lacks Chinese glyphs.*fonts-wqy-microhei"):
        fonts.register(__import__("pathlib").Path(dejavu))


@pytest.mark.slow
def test_export_writes_16x9_png_at_150_dpi_and_svg(tables, scope, view, tmp_path):
    fig = plots_terms.plot_heatmap(views.heatmap_matrix(view), scope.footnote, "en")
    png, svg, csv = export.export(fig, "heatmap", tmp_path)
    with Image.open(png) as img:
        assert img.size == (1920, 1080)
        assert round(img.info["dpi"][0]) == 150
    texts = svg_texts(svg)
    assert "Priority terms by year and status" in texts
    assert {
        "四个意识",
        "学会服务",
        "科普中国",
        "三大攻坚战",
        "服务发展年",
        "Year",
        "Term",
        "New",
        "Fading",
    } <= set(texts)
    assert {"2017", "2018", "2019", "2021"} <= set(texts) and "2020" not in texts
    with pytest.raises(ValueError, match="figure name must match"):
        export.export(fig, "../evil", tmp_path)


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.slow
def test_every_plot_draws_title_axis_labels_legend_and_footnote(tables, view, lang):
    """Every registered figure (all twelve): its registered title, both axis labels, a legend, the
    footnote; drawn with warnings as errors, so any glyph missing from the font in any label
    fails."""
    fonts.setup()
    scope = choose_scope(tables["documents"], lang=lang, today=TODAY)
    docs = tables["documents"]
    links = views.scoped_alignments(tables["alignments"], scope)
    top = views.longest_threads(views.scoped_threads(tables["threads"], scope))
    note = scope.footnote
    years = scope.doc_years
    diffusion = plots_diffusion.diffusion_view(tables["term_timeline"], docs)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        figs = [
            plots_corpus.plot_documents_per_year(views.documents_per_year(docs), note, lang),
            plots_corpus.plot_coverage(views.year_gaps(docs), note, lang),
            plots_corpus.plot_items_per_section(
                views.items_per_section(tables["items"], scope), note, lang
            ),
            plots_terms.plot_heatmap(views.heatmap_matrix(view), note, lang),
            plots_terms.plot_watch_lanes(
                views.watch_lanes(view, ["三大攻坚战", "没有"]), years, note, lang
            ),
            plots_terms.plot_term_trend(
                views.term_trend(view, docs, scope, ["三大攻坚战", "四个意识"]),
                years,
                ["三大攻坚战"],
                note,
                lang,
            ),
            plots_terms.plot_rising_fading(
                *views.rising_falling(view, years), years, 3, note, lang
            ),
            plots_flows.plot_alluvial(views.flows(links), note, lang),
            plots_flows.plot_relation_bars(views.relation_counts(links), note, lang),
            plots_flows.plot_threads(top, years, note, lang),
            plots_diffusion.plot_ladder(*diffusion, note, lang),
            plots_diffusion.plot_lags(*diffusion, note, lang),
        ]
        drawn = [registry.chart_of(fig) for fig in figs]
        assert [c.name for c in drawn] == [c.name for c in registry.charts()]
        for fig, chart in zip(figs, drawn, strict=True):
            assert fig.get_suptitle().split("\n")[0] == chart.title(lang)  # line 2: a subtitle
            assert note in [t.get_text() for t in fig.texts]
            for ax in fig.axes:
                assert ax.get_xlabel() and ax.get_ylabel()
                assert ax.get_legend() is not None and ax.get_legend().get_texts()
            w, h = fig.get_size_inches()
            assert round(w / h, 3) == round(16 / 9, 3)
            fig.savefig(io.BytesIO(), format="png")  # rasterises every string: glyph warnings here


def test_scoped_threads_cut_years_and_paths_together(tables):
    threads = tables["threads"].assign(
        paths=[
            ["1.1", "1.1", "1.1", "1.1"],
            ["1.2"] * 3,
            ["2.3", "2.3", "2.3", "2.2"],
            ["2.5", "2.4"],
            ["2.4", "2.3"],
        ]
    )
    scope = choose_scope(tables["documents"], years=[2019, 2021])
    cut = views.scoped_threads(threads, scope).set_index("thread_id")
    assert cut.loc["t3", "years"] == [2019, 2021] and cut.loc["t3", "paths"] == ["2.3", "2.2"]
    assert cut.loc["t4", "years"] == [2021] and cut.loc["t4", "paths"] == ["2.4"]
    assert cut.loc["t2", "n_years"] == 1


@pytest.mark.filterwarnings("error")
def test_a_source_without_alignments_or_terms_still_charts(tables):
    """A one-series source with no links, threads or terms (a first crawl): every chart says
    "no data" instead of failing the report."""
    scope = choose_scope(tables["documents"], source="sample", lang="zh", today=TODAY)
    view = views.term_view(tables["term_timeline"], scope, tables["documents"])
    assert view.empty
    links = views.scoped_alignments(tables["alignments"], scope)
    threads = views.scoped_threads(tables["threads"], scope)
    assert links.empty and threads.empty
    assert views.pick_thread(threads) is None
    versions = views.thread_versions(None, tables["items"], tables["alignments"], scope)
    assert versions == [] and html.redline_html(versions, "zh") == "<p>无数据</p>"
    figs = [
        plots_terms.plot_heatmap(views.heatmap_matrix(view), scope.footnote, "zh"),
        plots_terms.plot_watch_lanes(
            views.watch_lanes(view, ["三大攻坚战"]), scope.doc_years, scope.footnote
        ),
        plots_terms.plot_rising_fading(
            *views.rising_falling(view, scope.doc_years), scope.doc_years, 3, scope.footnote
        ),
        plots_flows.plot_alluvial(views.flows(links), scope.footnote),
        plots_flows.plot_relation_bars(views.relation_counts(links), scope.footnote),
        plots_flows.plot_threads(views.longest_threads(threads), scope.doc_years, scope.footnote),
    ]
    for fig in figs:
        texts = [t.get_text() for ax in fig.axes for t in ax.texts]
        assert "无数据" in texts or "未出现" in texts, fig.get_suptitle()


# ---------------------------------------------------------------- the chart registry


def test_registered_charts_are_the_figures_docs_report_md_lists():
    """The registry (file names, notebook order) against the figure table of docs/report.md."""
    docs = (Path(__file__).resolve().parents[2] / "docs" / "report.md").read_text(encoding="utf-8")
    documented = re.findall(r"^\| `(\d\d_\w+)` \| (\d\d) \|", docs, flags=re.M)
    assert documented, "docs/report.md: figure table not found"
    assert [(c.name, c.notebook) for c in registry.charts()] == documented
    assert [c.name for c in registry.charts("02_priority_timelines.ipynb")] == [
        name for name, nb in documented if nb == "02"
    ]
    assert registry.get("02_term_heatmap").title("en") == "Priority terms by year and status"
    assert registry.get("02_term_heatmap").title("zh") == "重点提法逐年状态"


def test_chart_registration_names_the_figure_and_refuses_clashes(monkeypatch, tmp_path):
    from matplotlib.figure import Figure

    monkeypatch.setattr(registry, "_CHARTS", dict(registry._CHARTS))

    def plot_extra(note, lang="zh"):
        fig = Figure(figsize=(4, 2.25))
        fig.suptitle(plot_extra.chart.title(lang))
        return fig

    plot_extra = registry.chart("09_extra", zh="额外", en="Extra")(plot_extra)
    assert [c.name for c in registry.charts("09")] == ["09_extra"]
    assert registry.charts()[-1].name == "09_extra"  # notebook order: after 01–04
    fig = plot_extra("note", "en")
    assert registry.chart_of(fig) is plot_extra.chart and fig.get_suptitle() == "Extra"
    export.show(fig, tmp_path)  # outside Jupyter: only exports, under the registered name
    assert sorted(p.name for p in tmp_path.iterdir()) == ["09_extra.png", "09_extra.svg"]
    with pytest.raises(ValueError, match="drawn by no registered chart: pass name="):
        export.show(Figure(), tmp_path)
    with pytest.raises(ValueError, match="chart name must match"):
        registry.chart("extra", zh="x", en="x")
    with pytest.raises(ValueError, match="chart name must match"):
        registry.chart("04_../evil", zh="x", en="x")
    with pytest.raises(ValueError, match="'02_term_heatmap' is already drawn by .*plot_heatmap"):
        registry.chart("02_term_heatmap", zh="x", en="x")(lambda: None)
    with pytest.raises(ConfigError, match="lang must be one of zh, en, not 'fr'"):
        plot_extra.chart.title("fr")


def test_check_lang_is_one_line_naming_the_option():
    assert labels.check_lang("en") == "en"
    with pytest.raises(ConfigError) as err:
        labels.check_lang("EN", "--lang")
    assert str(err.value) == "--lang must be one of zh, en, not 'EN'"


def test_every_relation_and_status_has_a_label_and_a_colour():
    """A relation the aligner adds to the schema (e.g. `regrouped`) gets a name and a colour."""
    for relation in schema.RELATIONS:
        assert relation in labels.RELATION_COLORS, relation
        for lang in ("zh", "en"):
            assert f"rel_{relation}" in labels.LABELS[lang], (relation, lang)
    assert labels.labels("zh")["rel_regrouped"] == "重组"
    for status in labels.STATUSES:
        assert status in labels.STATUS_COLORS and status in labels.LABELS["en"]


def test_kept_tables_are_read_once_per_build_and_given_as_copies(tmp_path, monkeypatch):
    """The report's kernels keep the tables they read (load.keep_tables): the next notebook gets
    a copy of the same build's table, and a new build is read again."""
    data = write_tiny_dataset(tmp_path)
    reads = []
    real = load.read_table
    monkeypatch.setattr(load, "read_table", lambda d, n: reads.append(n) or real(d, n))
    load.keep_tables()
    try:
        first = load.load_tables(data, need=("documents",))["documents"]
        first.loc[:, "title"] = "changed by a notebook"
        again = load.load_tables(data, need=("documents",))["documents"]
        assert reads == ["documents"]
        assert again.equals(real(data, "documents"))
        write_tables(data, {"documents": again.head(1)}, strict=False)  # a new build commits
        newer = load.load_tables(data, need=("documents",))["documents"]
        assert reads == ["documents", "documents"]
        assert len(newer) == 1
    finally:
        load.keep_tables(False)
    load.load_tables(data, need=("documents",))
    assert reads == ["documents"] * 3  # not kept: read every time
