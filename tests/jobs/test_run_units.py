"""Pure parts of the run: layout-change flags, the usual publication gap, what changed, exit codes."""

from __future__ import annotations

import json
from datetime import date

import pandas as pd

from policytrack.crawler.runreport import Problem, RunReport
from policytrack.pipeline.analysis.changes import notice_changes
from policytrack.pipeline.jobs import stats
from policytrack.pipeline.jobs.run import (
    BuildStage,
    CrawlStage,
    ReportStage,
    RunResult,
    exit_code,
)


def report(**kw) -> RunReport:
    r = RunReport("hbkx")
    for k, v in kw.items():
        setattr(r, k, v)
    return r


def test_stats_from_a_crawler_report():
    r = report(
        requests={"robots": 1, "home": 1, "list": 2, "detail": 3},
        statuses={"200": 6, "404": 1},
        list_pages=2, list_entries=30, matched=3, unchanged=1,
        records=[{"doc_id": "a"}, {"doc_id": "b"}],
        problems=[Problem("http://x/n1", "HTTP 404"), Problem("http://x/off", "off-site", False)],
    )  # fmt: skip
    s = stats.from_report("2025-03-05T02:00:00Z", r)
    assert (s.source, s.ok, s.requests, s.new_notices, s.unchanged) == ("hbkx", False, 7, 2, 1)
    assert (s.http, s.list_entries, s.notices_found) == ({"200": 6, "404": 1}, 30, 3)
    assert (s.errors, s.failures) == (1, ["http://x/n1: HTTP 404"])


def test_selector_flags_name_the_selector_and_the_page():
    r = report(list_pages=2, list_entries=0)
    r.missed("list", "http://x/list?page=1", "ul.min600 li")
    r.missed("list", "http://x/list?page=2", "ul.min600 li")
    r.missed("detail", "http://x/info?id=1", "div.detailed_W_p2.txt")
    flags = stats.selector_flags(stats.from_report("r", r))
    assert [str(f) for f in flags] == [
        "hbkx: list pages yield no items: list selector `ul.min600 li` matched nothing on "
        "http://x/list?page=1 (and 1 more)",
        "hbkx: detail body selector `div.detailed_W_p2.txt` matched nothing on http://x/info?id=1",
    ]
    assert all(f.fatal for f in flags)
    column = report()
    column.missed("column", "http://x/", "新闻中心 > 通知公告")
    [flag] = stats.selector_flags(stats.from_report("r", column))
    assert flag.message == (
        "column link not found: link text `新闻中心 > 通知公告` matched nothing on http://x/"
    )


def records(published: list[str], fetched: list[str]) -> list[dict]:
    return [
        {"origin": "crawl", "published_at": p, "fetched_at": f}
        for p, f in zip(published, fetched, strict=True)
    ]


def test_usual_gap_is_the_widest_recent_gap():
    days = [date(2019, 3, 18), date(2020, 4, 7), date(2022, 3, 4), date(2022, 3, 18)]
    assert stats.usual_gap(days) == (date(2022, 3, 4) - date(2020, 4, 7)).days == 696
    assert stats.usual_gap(days[:2]) is None  # too few notices to know
    assert stats.usual_gap([date(2024, 1, 1), date(2024, 1, 2), date(2024, 1, 3)]) == 30


def test_silence_longer_than_the_usual_gap_is_flagged():
    recs = records(
        ["2021-03-01 09:00", "2022-03-04 16:05", "2023-03-01 15:30"],
        ["2021-03-02T01:00:00Z", "2022-03-05T01:00:00Z", "2023-03-02T01:00:00Z"],
    )
    gap = (date(2022, 3, 4) - date(2021, 3, 1)).days  # 368
    assert stats.silence_flag("hbkx", recs, date(2024, 3, 4)) is None  # 368 days: not longer
    flag = stats.silence_flag("hbkx", recs, date(2024, 3, 5))
    assert flag.kind == "silent" and flag.fatal is False
    assert flag.message == (
        f"nothing new for 369 days (last found 2023-03-02), longer than its usual publication "
        f"gap of {gap} days"
    )
    ingested = [{**r, "origin": "ingest"} for r in recs]
    assert stats.silence_flag("hbkx", ingested, date(2030, 1, 1)) is None


def frames():
    docs = pd.DataFrame(
        [
            ("d18", "s", "A", 2018, "A2018", "2025-01-01T00:00:00Z"),
            ("d19", "s", "A", 2019, "A2019", "2025-01-01T00:00:00Z"),
            ("d20", "s", "A", 2020, "A2020", "2025-02-01T00:00:00Z"),
            ("d20b", "s", "A", 2020, "A2020", "2025-03-01T00:00:00Z"),  # corrected re-post
        ],
        columns=["doc_id", "source", "series", "year", "title", "recorded_at"],
    )
    terms = pd.DataFrame(
        [
            ("s", "A", "d18", "四个意识", 1), ("s", "A", "d18", "两学一做", 1),
            ("s", "A", "d19", "四个意识", 2), ("s", "A", "d19", "服务发展年", 1),
            ("s", "A", "d19", "打好三大攻坚战", 1),
            ("s", "A", "d20", "四个意识", 1), ("s", "A", "d20", "两学一做", 3),
            ("s", "A", "d20", "科创中国", 2), ("s", "A", "d20", "十三五", 1),
            ("s", "A", "d20b", "四个意识", 1), ("s", "A", "d20b", "两学一做", 3),
            ("s", "A", "d20b", "科创中国", 2), ("s", "A", "d20b", "双碳", 1),
        ],
        columns=["source", "series", "doc_id", "term", "count"],
    )  # fmt: skip
    timeline = pd.DataFrame(
        [("s", "A", "打好三大攻坚战", "三大攻坚战")],
        columns=["source", "series", "term", "canonical"],
    )
    return docs, terms, timeline


def test_changes_against_the_previous_year_of_the_series():
    docs, terms, timeline = frames()
    [c] = notice_changes(docs, terms, timeline, known={"d18", "d19", "d20b"} - {"d20b"})[:1]
    assert (c.doc_id, c.year, c.revised, c.compared_to) == ("d20", 2020, False, 2019)
    # 两学一做 was seen in 2018: returning, not new. Ranked by count, then by term.
    assert c.new_terms == ["科创中国", "十三五"]
    assert c.fading_terms == ["三大攻坚战", "服务发展年"]  # variants folded on the canonical form


def test_a_corrected_version_is_compared_with_the_one_it_replaces():
    docs, terms, timeline = frames()
    [c] = notice_changes(docs, terms, timeline, known={"d18", "d19", "d20"})
    assert (c.doc_id, c.revised, c.compared_to) == ("d20b", True, 2020)
    assert (c.new_terms, c.fading_terms) == (["双碳"], ["十三五"])


def test_first_run_lists_every_document():
    docs, terms, timeline = frames()
    changes = notice_changes(docs, terms, timeline, known=None)
    assert [(c.doc_id, c.compared_to) for c in changes] == [
        ("d18", None), ("d19", 2018), ("d20", 2019), ("d20b", 2019),
    ]  # fmt: skip
    assert changes[1].new_terms == ["三大攻坚战", "服务发展年"]
    assert changes[1].fading_terms == ["两学一做"]


def result(crawl=None, build=None, report_status="built", flags=()) -> RunResult:
    r = RunResult("r", None, "r")
    r.crawl = crawl or CrawlStage()
    r.build = build or BuildStage(documents=3)
    r.report = ReportStage(status=report_status)
    r.flags = list(flags)
    return r


def ok_source(name="a", **kw):
    return stats.SourceStats("r", name, ok=True, list_pages=1, **kw)


def test_exit_codes():
    assert exit_code(result(CrawlStage([ok_source()]))) == 0
    down = stats.SourceStats("r", "b", ok=False, errors=1)
    assert exit_code(result(CrawlStage([ok_source(), down]))) == 1  # one source unreachable
    assert exit_code(result(CrawlStage([down]))) == 1  # unreachable, but old data rebuilt
    assert exit_code(result(CrawlStage([down]), BuildStage(documents=0))) == 2  # nothing at all
    assert exit_code(result(CrawlStage([down]), BuildStage(error="disk full"))) == 2
    assert exit_code(result(CrawlStage([ok_source()]), BuildStage(error="disk full"))) == 1
    failures = BuildStage(documents=3, failures=[("f", "bad")])
    assert exit_code(result(CrawlStage([ok_source()]), failures)) == 1
    assert exit_code(result(CrawlStage([ok_source()]), report_status="failed")) == 1
    silent = stats.Flag("a", "silent", "nothing new", fatal=False)
    assert exit_code(result(CrawlStage([ok_source()]), flags=[silent])) == 0
    assert exit_code(result(CrawlStage(skipped=True))) == 0  # --offline, built


def test_silence_flag_names_what_the_list_selector_found(tmp_path):
    manifest = tmp_path / "raw" / "hbkx" / "manifest.jsonl"
    manifest.parent.mkdir(parents=True)
    recs = records(
        ["2021-03-01 09:00", "2022-03-04 16:05", "2023-03-01 15:30"],
        ["2021-03-02T01:00:00Z", "2022-03-05T01:00:00Z", "2023-03-02T01:00:00Z"],
    )
    manifest.write_text("".join(json.dumps(r) + "\n" for r in recs))
    s = stats.SourceStats("r", "hbkx", ok=True, list_pages=1, list_entries=15, notices_found=0)
    [flag] = stats.source_flags(tmp_path, s, date(2024, 6, 1), list_selector="ul.min600 li")
    assert str(flag) == (
        "hbkx: nothing new for 457 days (last found 2023-03-02), longer than its usual "
        "publication gap of 368 days; this run the list selector `ul.min600 li` found 15 "
        "entries, 0 with a matching title"
    )
