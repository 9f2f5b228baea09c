"""Series keys derived from the parsed document, without --series (issue 13, item 5)."""

from __future__ import annotations

import shutil

import pytest

from policytrack.pipeline.jobs.build import build
from policytrack.pipeline.jobs.ingest import ingest
from policytrack.pipeline.store.tables import read_table
from policytrack.pipeline.text.parse import parse_file
from policytrack.pipeline.text.series import series_key
from tests.text.test_documents import FIXTURES

DISTRICT = (FIXTURES / "district_gov_report_2016.txt").read_text("utf-8")
# Eight yearly reports of the district: the session and date change every year, and so does the
# title — the generic one, a two-line slogan, or none at all (body-only copies are common).
SESSIONS = {
    2016: ("2月19日", "第十七届人民代表大会第五次会议", None),
    2017: ("1月6日", "第十八届人民代表大会第一次会议", "凝心聚力 开拓创新\n为建设幸福新望湖而奋斗"),
    2018: ("1月12日", "第十八届人民代表大会第二次会议", None),
    2019: ("1月10日", "第十八届人民代表大会第三次会议", "砥砺奋进谱新篇"),
    2020: ("1月8日", "第十八届人民代表大会第四次会议", None),
    2021: ("1月15日", "第十八届人民代表大会第五次会议", "奋力开启现代化建设新征程"),
    2022: ("1月7日", "第十九届人民代表大会第一次会议", None),
    2023: ("1月11日", "第十九届人民代表大会第二次会议", None),
}


def district_report(year: int) -> str:
    day, session, title = SESSIONS[year]
    text = DISTRICT.replace("2016年2月19日", f"{year}年{day}").replace(
        "第十七届人民代表大会第五次会议", session
    )
    if title:
        text = text.replace("政 府 工 作 报 告", title)
    return text


@pytest.fixture(scope="module")
def district_build(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("district")
    for year in SESSIONS:
        (tmp / f"report-{year - 2015}.txt").write_text(district_report(year), "utf-8")
    data = tmp / "data"
    result = ingest([tmp / f"report-{k}.txt" for k in range(1, 9)], "wanghu", data)
    build(data)
    return result, read_table(data, "documents")


def test_eight_yearly_reports_form_one_series(district_build):
    result, docs = district_build
    assert len(result.added) == 8
    assert set(docs.series) == {"在望湖区人民代表大会会议上的报告"}
    assert sorted(docs.year) == list(SESSIONS)
    assert set(docs.year_source) == {"subtitle"}
    assert set(docs.issuer) == {"望湖区人民政府"}
    # The manifest's default series is the same key (ingest parses each file).
    assert {r["series"] for r in result.added} == {"在望湖区人民代表大会会议上的报告"}


@pytest.mark.parametrize(
    ("fixture", "key"),
    [
        ("2017渔业渔政工作要点.txt", "渔业渔政工作要点"),
        (
            "notice_year_in_docno.txt",
            "南淮省科协办公室关于开展全省科技工作者状况调查站点年度考核工作的通知",
        ),
        ("plan_2018_work_plan.txt", "望湖区科学技术协会工作计划"),
        ("saved_page_work_points_2020.html", "南淮省科协工作要点"),
        ("provincial_gov_report_2017.txt", "在南淮省人民代表大会会议上的报告"),
    ],
)
def test_fixture_keys(fixture, key):
    assert parse_file(FIXTURES / fixture).series == key


def test_stem_rules():
    # Year (also in Chinese numerals), ordinals and the 关于印发《…》的通知 wrapper go.
    assert series_key(title="关于印发《省科协2019年工作要点》的通知", genre="work_points") == (
        "省科协工作要点"
    )
    assert series_key(title="二〇一九年全省科普工作要点", genre="work_points") == "全省科普工作要点"
    assert series_key(title="关于举办第三届全省青少年科技创新大赛的通知", genre="notice") == (
        "关于举办全省青少年科技创新大赛的通知"
    )
    # A generic title takes its issuer; a title without a genre noun takes the genre's.
    assert series_key(title="2019年工作要点", genre="work_points", issuer="南淮省科协") == (
        "南淮省科协工作要点"
    )
    assert series_key(title="砥砺奋进谱新篇", genre="report") == "砥砺奋进谱新篇报告"
    # A report naming who reports keeps its title, even when the document's own is generic.
    assert (
        series_key(
            title="政府工作报告",
            genre="report",
            venue="第十四届全国人民代表大会第二次会议",
            page_title="2024年中华人民共和国国务院政府工作报告",
        )
        == "中华人民共和国国务院政府工作报告"
    )


@pytest.mark.slow
def test_series_option_overrides(tmp_path):
    data = tmp_path / "data"
    src = shutil.copy(FIXTURES / "plan_2018_work_plan.txt", tmp_path / "plan.txt")
    result = ingest([src], "s", data, series="科协计划")
    assert result.added[0]["series_override"] is True
    build(data)
    docs = read_table(data, "documents")
    assert docs.series.tolist() == ["科协计划"]


@pytest.mark.slow
def test_ingest_reads_the_year_from_the_file_name(tmp_path):
    data = tmp_path / "data"
    src = shutil.copy(FIXTURES / "2017渔业渔政工作要点.txt", tmp_path / "2017渔业渔政工作要点.txt")
    result = ingest([src], "s", data)
    assert (result.added[0]["year"], result.added[0]["series"]) == (2017, "渔业渔政工作要点")
    build(data)
    docs = read_table(data, "documents")
    row = docs.iloc[0]
    assert (row.year, row.year_source, row.title, row.title_source) == (
        2017, "file_name", "2017渔业渔政工作要点", "file_name",
    )  # fmt: skip
