"""The real Government Work Report corpus: ingest, build, and the task sections 2013–2025."""

from __future__ import annotations

import pytest

from policytrack.pipeline.store import layout
from policytrack.pipeline.store.tables import read_table
from tests.support.gwr import built_gwr

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
# Phrases read in the defence, Hong Kong/Macao, Taiwan and diplomacy passages that follow the last
# numbered task item (or close the report). Found by printing the paragraphs after the last marker
# and reading them; no value comes from the parser. Exceptions, by reading: 1983's diplomacy is a
# numbered item of its own (三（五） 关于外交工作) and 1984's is a numbered list (一、二、三、), so only
# their closing passages are listed; 2004's defence paragraph sits inside task (九) “维护国家安全”
# with nothing between, so it is not listed. Years without such passages (1955, 1956, 1958, 1960,
# 1980–1982, 1985) are covered by the structural check below.
CLOSING_PHRASES = {
    1954: ("中华人民共和国政府屡次宣布：台湾是中国神圣不可侵犯的领土", "如前所说，五年以来，中华人民共和国政府和人民为了维护世界和平"),
    1957: ("特别值得注意的是，甚至在美国侵略者严密控制下的中国领土台湾",),
    1959: ("目前国际形势的总的特点",),
    1964: ("周总理说，当前的国际形势仍然是“东风压倒西风”。", "我们坚持美国的一切武装力量必须撤出台湾和台湾海峡"),
    1975: ("我们一定要解放台湾！",),
    1978: ("三年来，国际形势继续朝着有利于世界人民的方向",),
    1979: ("我国一贯奉行和平外交政策", "我们十分想念在台湾的骨肉同胞"),
    1983: ("国家的统一，全国各族人民的团结，是我们的祖国走向",),
    1984: ("我国将在一九九七年恢复对香港行使主权",),
    1986: ("当前的国际局势依然是动荡而令人不安的", "我国第七个五年计划体现着包括港澳同胞、台湾"),
    1987: ("我们谋求按照“一国两制”的方式实现祖国和平",),
    1988: ("在今后的五年里，要在国家经济稳定发展的基础上，进一步加强国防建设", "在过去五年里，我们坚决执行独立自主的和平外", "中国政府对香港、澳门的方针政策是不会改变的", "尽早实现台湾与大陆的统一"),
    1992: ("继续发展同周边国家睦邻友好关系是我国外交政",),
    1993: ("过去五年，中国政府坚定不移地奉行独立自主的",),
    1994: ("在复杂多变的国际形势下，我国坚定不移地奉行",),
    1995: ("在过去的一年里，我国外交工作取得重要进展",),
    1997: ("过去的一年，我国奉行独立自主的和平外交政策",),
    1998: ("五年来，在国际风云变幻中，我国坚持独立自主",),
    1999: ("面对国际风云变幻，我国坚持奉行独立自主的和",),
    2000: ("1999年，面对复杂多变的国际形势，我国坚持奉行",),
    2001: ("加强国防和军队建设。这是国家安全和现代化建设的", "各位代表！进入新世纪，我们将继续按照“一国两制”", "尽早解决台湾问题，实现祖国完全统一", "面对世界多极化和经济全球化深入发展的国际形势"),
    2002: ("在新的一年，我们要继续奉行独立自主的和平外",),
    2003: ("加强国防和军队建设，是国家安全和现代化建设的可靠保证", "维护香港、澳门的繁荣、稳定和发展，是我们坚定不移的目标", "解决台湾问题的八项主张", "和平与发展仍是当今时代的主题"),
    2004: ("维护香港、澳门长期稳定和繁荣发展，是我们坚定不移的目标", "当前，国际形势继续发生复杂、深刻的变化"),
    2005: ("一年来，我们积极开展全方位外交",),
    2006: ("各位代表！加强国防和军队建设，是社会主义现代化建设的重要战略任务", "各位代表！我们要继续贯彻“一国两制”", "我们将继续和台湾同胞一道", "各位代表！一年来，我们高举和平、发展、合作的旗帜"),
    2007: ("建立巩固的国防，建设强大的人民军队，是社会主义现代化建设的战略任务", "我们将继续坚定不移地贯彻“一国两制”", "一年来，我们统筹国际、国内两个大局"),
    2008: ("加强国防和军队建设，是发展中国特色社会主义的战略任务", "我们坚信，香港、澳门同胞一定能够把香港、澳门管理和建设得更好", "坚持“和平统一、一国两制”的基本方针和新形势下发展两岸关系", "在新的一年，我们要高举和平、发展、合作旗帜"),
    2009: ("过去的一年，国防和军队现代化建设取得重要进展", "加快推进与港澳地区货物贸易的人民币结算试点", "过去的一年，对台工作取得重要进展", "过去的一年，外交工作取得显着成就"),
    2010: ("过去一年，国防和军队现代化建设取得新的成就", "伟大祖国永远是香港、澳门的坚强后盾", "过去的一年，两岸关系在新的历史起点上取得重要进展", "过去的一年，外交工作取得新的重大成绩"),
    2011: ("建立巩固的国防，建设强大的人民军队，是维护国家主权", "我们将坚持新形势下发展两岸关系、促进祖国和平统一的大政方针", "新的一年，我们将继续高举和平、发展、合作的旗帜"),
    2012: ("巩固的国防和强大的军队，是维护国家主权、安全和发展利益的坚强后盾", "香港、澳门与祖国休戚相关、荣辱与共", "过去的一年，两岸关系经受了严峻考验", "新的一年，外交工作要更好地服务于改革开放和社会主义现代化建设大局"),
    2013: ("我们要加快推进国防和军队现代化", "团结广大港澳同胞", "我们要坚持中央对台工作大政方针", "我们要继续高举和平、发展、合作、共赢的旗帜"),
    2014: ("过去一年，国防和军队建设扎实推进", "我们将坚定不移贯彻“一国两制”方针，全面准确落实基本法", "我们将全面贯彻对台工作大政方针", "今年是和平共处五项原则提出六十周年"),
    2015: ("建设巩固的国防和强大的军队", "我们将坚持对台工作大政方针"),
    2016: ("过去一年，国防和军队建设取得显著成效", "我们将全面准确贯彻“一国两制”", "我们要继续坚持对台工作大政方针", "践行中国特色大国外交理念"),
    2017: ("过去一年，国防和军队改革取得重大突破", "我们要深入贯彻对台工作大政方针", "面对世界政治经济格局的深刻变化"),
    2018: ("面对国家安全环境的深刻变化", "我们要继续全面准确贯彻“一国两制”方针", "我们要继续贯彻对台工作大政方针", "中国与世界各国发展紧密相连、命运休戚与共"),
    2019: ("过去一年，国防和军队建设扎实推进，强军事业展现许多新气象新作为", "全力支持香港、澳门特别行政区政府和", "我们要坚持对台工作大政方针。", "当今世界面临百年未有之大变局"),
    2021: ("过去一年，国防和军队建设取得新的重大成就", "完善特别行政区同宪法和基本法实施相关的制度和机制", "高度警惕和坚决遏制“台独”分裂活动", "我们要坚持独立自主的和平外交政策，积极发展全球伙伴关系"),
    2022: ("过去一年，国防和军队建设取得重大进展", "落实中央对特别行政区全面管治权", "我们要坚持对台工作大政方针，贯彻新时代党解决台湾问题的总体方略", "推动建设新型国际关系，推动构建人类命运共同体"),
    2023: ("我们要深入贯彻习近平强军思想", "坚持依法治港治澳，维护宪法和基本法确定的特别行政区宪制", "坚定反“独”促统", "我们要坚定奉行独立自主的和平外交政策", "港澳台工作取得新进展", "中国特色大国外交全面推进"),
    2024: ("过去一年，国防和军队建设取得新的成绩和进步", "我们要继续全面准确、坚定不移贯彻“一国两制”", "坚决反对“台独”分裂和外来干涉", "倡导平等有序的世界多极化和普惠包容的经济全球化"),
    2025: ("过去一年，国防和军队建设取得新的重要进展", "维护宪法和基本法确定的特别行政区宪制秩序", "我们要坚持贯彻新时代党解决台湾问题的总体方略", "我们要坚持独立自主的和平外交政策，坚持走和平发展道路"),
}  # fmt: skip
ALL_YEARS = sorted(
    [1954, 1955, 1956, 1957, 1958, 1959, 1960, 1964, 1975] + list(range(1978, 1989))
    + [1992, 1993, 1994, 1995] + list(range(1997, 2020)) + list(range(2021, 2026))
)  # fmt: skip


@pytest.fixture(scope="module")
def gwr_build(gwr_path, tmp_path_factory):
    result, built, data = built_gwr(gwr_path, tmp_path_factory)
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


@pytest.mark.parametrize("year", ALL_YEARS)
def test_closing_text_is_not_in_task_items(gwr_build, year):
    """Issue 12 item 2: a numbered unit ends where the numbered part ends."""
    _, _, items, _ = gwr_build
    doc = items[items.year == year]
    numbered = doc[doc.level.isin(["item", "subitem"])]
    for phrase in CLOSING_PHRASES.get(year, ()):
        assert doc.text.str.contains(phrase, regex=False).any(), phrase  # read in this report
        assert not numbered.text.str.contains(phrase, regex=False).any(), phrase
    # Every unit's own paragraphs stop before a 各位代表！ / 结束语 (the closing's first paragraph).
    for text in numbered.text:
        later = text.split("\n")[1:]
        assert not [p for p in later if p.startswith(("各位代表！", "各位代表:", "结束语"))]


def test_closing_is_section_text_after_the_last_item(gwr_build):
    _, _, items, _ = gwr_build
    y25 = items[(items.year == 2025) & (items.parent_path == "3")]
    after = y25.iloc[[i for i, p in enumerate(y25.path) if p == "3.10"][0] + 1 :]
    # The self-building passage opens the closing before the 各位代表！ (by reading the report).
    assert after.level.unique().tolist() == ["paragraph"]
    assert after.text.iloc[0].startswith("应对新挑战、完成新任务，对政府工作提出新的更高要求")
    assert after.text.iloc[-1].startswith("各位代表！信心凝聚力量，实干谱写华章")
    y23 = items[(items.year == 2023) & (items.path == "2.8")]
    assert not y23.text.iloc[0].count("进一步加强政府自身建设")


def test_licence_kept_as_trailer(gwr_path):
    from policytrack.pipeline.text.parse import parse_bytes

    with open(gwr_path, "rb") as fh:
        row = fh.readline().rstrip(b"\n")
    doc = parse_bytes(row, "gwr.json", "application/json")
    assert doc.trailer.startswith("本作品是中华人民共和国的")
    assert doc.trailer.endswith("false")
    assert "licence" in doc.trailer_kinds
    body = "\n".join(t for _, t in doc.own_texts())
    assert "公有领域" not in body and "Public domain" not in body
