"""The real Government Work Report corpus: ingest, build, and the task sections 2013–2025."""

from __future__ import annotations

import pytest

from policytrack.pipeline.jobs.build import build
from policytrack.pipeline.jobs.ingest import ingest
from policytrack.pipeline.store import layout
from policytrack.pipeline.store.tables import read_table

pytestmark = pytest.mark.xdist_group("gwr")

# year → (section no, section title, n items, first item heading, last item heading)
TASKS = {
    2013: (3, "对今年政府工作的建议", 4, "加快转变经济发展方式，促进经济持续健康发展", "以更大的政治勇气和智慧，深入推进改革开放"),
    2014: (3, "2014年重点工作", 9, "推动重要领域改革取得新突破", "努力建设生态文明的美好家园"),
    2016: (3, "2016年重点工作", 8, "稳定和完善宏观经济政策，保持经济运行在合理区间", "加强政府自身建设，提高施政能力和服务水平"),
    2017: (3, "2017年重点工作任务", 9, "用改革的办法深入推进“三去一降一补”", "全面加强政府自身建设"),
    2018: (3, "对2018年政府工作的建议", 9, "深入推进供给侧结构性改革", "提高保障和改善民生水平"),
    2019: (3, "2019年政府工作任务", 10, "继续创新和完善宏观调控，确保经济运行在合理区间", "加快发展社会事业，更好保障和改善民生"),
    2021: (3, "2021年重点工作", 8, "保持宏观政策连续性稳定性可持续性，促进经济运行在合理区间", "切实增进民生福祉，不断提高社会建设水平"),
    2022: (3, "2022年政府工作任务", 9, "着力稳定宏观经济大盘，保持经济运行在合理区间", "切实保障和改善民生，加强和创新社会治理"),
    2023: (2, "对今年政府工作的建议", 8, "着力扩大国内需求", "保障基本民生和发展社会事业"),
    2024: (3, "2024年政府工作任务", 10, "大力推进现代化产业体系建设，加快发展新质生产力", "切实保障和改善民生，加强和创新社会治理"),
    2025: (3, "2025年政府工作任务", 10, "大力提振消费、提高投资效益，全方位扩大国内需求", "加大保障和改善民生力度，提升社会治理效能"),
}  # fmt: skip
HEADINGS_2025 = [
    "大力提振消费、提高投资效益，全方位扩大国内需求",
    "因地制宜发展新质生产力，加快建设现代化产业体系",
    "深入实施科教兴国战略，提升国家创新体系整体效能",
    "推动标志性改革举措加快落地，更好发挥经济体制改革牵引作用",
    "扩大高水平对外开放，积极稳外贸稳外资",
    "有效防范化解重点领域风险，牢牢守住不发生系统性风险底线",
    "着力抓好“三农”工作，深入推进乡村全面振兴",
    "推进新型城镇化和区域协调发展，进一步优化发展空间格局",
    "协同推进降碳减污扩绿增长，加快经济社会发展全面绿色转型",
    "加大保障和改善民生力度，提升社会治理效能",
]
ALL_YEARS = sorted(
    [1954, 1955, 1956, 1957, 1958, 1959, 1960, 1964, 1975] + list(range(1978, 1989))
    + [1992, 1993, 1994, 1995] + list(range(1997, 2020)) + list(range(2021, 2026))
)  # fmt: skip


@pytest.fixture(scope="module")
def gwr_build(gwr_path, tmp_path_factory):
    data = tmp_path_factory.mktemp("gwr") / "data"
    result = ingest([gwr_path], "gwr", data)
    built = build(data)
    items = read_table(data, "items")
    return result, built, items, data


@pytest.mark.slow
def test_ingest_skips_resolutions_with_reasons(gwr_build):
    result, _, _, _ = gwr_build
    assert len(result.added) == 52
    assert len(result.skipped) == 20  # NPC resolutions: no year in field or title
    assert all("关于政府工作报告的决议" in reason for _, reason in result.skipped)
    assert result.skipped[0][0].endswith("government_work_reports.jsonl:2")


def test_every_report_parsed(gwr_build):
    _, built, _, data = gwr_build
    assert built.failures == []
    assert sorted(built.documents.year) == ALL_YEARS
    assert set(built.documents.series) == {"中华人民共和国国务院政府工作报告"}
    report = layout.current(data / "processed").report
    assert report["documents"] == 52 and report["failures"] == []


@pytest.mark.parametrize("year", sorted(TASKS))
def test_task_section_items_with_ordinals(gwr_build, year):
    _, _, items, _ = gwr_build
    sec_no, title, n, first, last = TASKS[year]
    doc = items[items.year == year]
    section = doc[(doc.level == "section") & (doc.section_no == sec_no)]
    assert section.heading.tolist() == [title]
    sub = doc[(doc.level == "item") & (doc.parent_path == str(sec_no))]
    assert sub.item_no.tolist() == list(range(1, n + 1))
    assert sub.path.tolist() == [f"{sec_no}.{k}" for k in range(1, n + 1)]
    assert sub.marker.iloc[0] == "（一）"
    assert (sub.heading.iloc[0], sub.heading.iloc[-1]) == (first, last)


def test_2025_task_headings(gwr_build):
    _, _, items, _ = gwr_build
    sub = items[(items.year == 2025) & (items.level == "item") & (items.parent_path == "3")]
    assert sub.heading.tolist() == HEADINGS_2025
    # Each (一) carries its unnumbered paragraphs as children.
    paras = items[(items.year == 2025) & (items.parent_path == "3.1")]
    assert set(paras.level) == {"paragraph"} and paras.path.iloc[0] == "3.1.p1"


def test_2015_tasks_are_top_level_sections(gwr_build):
    _, _, items, _ = gwr_build
    secs = items[(items.year == 2015) & (items.level == "section")]
    assert secs.heading.tolist() == [
        "2014年工作回顾", "2015年工作总体部署", "把改革开放扎实推向纵深",
        "协调推动经济稳定增长和结构优化", "持续推进民生改善和社会建设", "切实加强政府自身建设",
    ]  # fmt: skip


def test_traditional_1954_is_simplified(gwr_build):
    _, _, items, _ = gwr_build
    text = "".join(items[items.year == 1954].text)
    assert "全国人民代表大会" in text and "全國人民代表大會" not in text
    original = "".join(items[items.year == 1954].original)
    assert "全國人民代表大會" in original  # the original is kept beside the normal form
    # Wiki-link fragments are rejoined into their paragraph.
    assert "在听了刘少奇同志关于宪法草案的报告并进行了三天的讨论以后" in text


def test_licence_footer_removed(gwr_build):
    _, _, items, _ = gwr_build
    assert not items.text.str.contains("维基文库|Public domain|本作品是").any()


def test_terms_table(gwr_build):
    _, _, _, data = gwr_build
    terms = read_table(data, "terms")
    t18 = terms[(terms.year == 2018) & (terms.term == "三大攻坚战")]
    assert t18.kind.tolist() == ["formula"]
    assert sorted(terms[terms.term == "三大攻坚战"].year.unique().tolist()) == [2018, 2019, 2021]
    assert "一带一路" in set(terms[terms.year == 2019].term)
