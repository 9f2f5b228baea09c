"""The real seed notice must come out exactly right."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from policytrack.pipeline.text.parse import parse_file

SECTIONS = [
    (1, "坚持守正创新,进一步强化政治引领", ["1.1", "1.2"]),
    (2, "进一步深化科协改革,强化基层基础", ["2.3", "2.4"]),
    (3, "聚焦“三轮驱动”,打造湖北科协品牌", ["3.5", "3.6", "3.7"]),
    (4, "加强自身建设,建设模范机关", ["4.8", "4.9"]),
]
HEADINGS = {
    1: "切实加强政治建设",
    2: "切实加强服务联系科技工作者",
    3: "加强基层科协组织建设",
    4: "全面开展“3+1”试点",
    5: "加强科学普及工作",
    6: "加强学术引领",
    7: "加强科技智库建设",
    8: "助力打好“三大攻坚战”",
    9: "全面加强党建和党风廉政建设",
}
# term → (kind, count, paths)
TERMS = {
    "四个意识": ("formula", 2, ["preamble", "1.1"]),
    "四个自信": ("formula", 2, ["preamble", "1.1"]),
    "两个维护": ("formula", 2, ["preamble", "1.1"]),
    "服务发展年": ("quote", 1, ["preamble"]),
    "新时代科学精神": ("quote", 1, ["1.1"]),
    "学习强国": ("quote", 1, ["1.1"]),
    "全国科技工作者日": ("quote", 1, ["1.1"]),
    "六个一": ("formula", 1, ["1.2"]),
    "3+1": ("formula", 1, ["2.4"]),
    "三轮驱动": ("formula", 1, ["3"]),
    "五个一科普工程": ("formula", 1, ["3.5"]),
    "科技创新源泉工程": ("quote", 1, ["3.6"]),
    "关于深化改革 培育世界一流科技期刊的意见": ("book", 1, ["3.6"]),
    "一芯两带三区": ("formula", 1, ["3.7"]),
    "三大攻坚战": ("formula", 2, ["4.8"]),
    "不忘初心、牢记使命": ("quote", 1, ["4.9"]),
    "七五": ("formula", 1, ["4.9"]),
    "学习·提能": ("quote", 1, ["4.9"]),
}


@pytest.fixture(scope="module")
def seed(seed_path):
    return parse_file(seed_path)


def test_header_fields(seed):
    assert seed.title == "省科协2019年工作要点"
    assert seed.page_title == "关于印发《省科协2019年工作要点》的通知"
    assert seed.issuer == "湖北省科学技术协会"
    assert seed.year == 2019
    assert seed.doc_number == "鄂科协办〔2019〕22号"
    assert seed.issued_on == "2019-03-12"
    assert seed.published_at == "2019-03-18 14:41"
    assert seed.department == "省科协办公室"
    assert seed.addressees == (
        "各市(州)、直管市、神农架林区科协,各全省学会(协会、研究会),机关各部门、各直属单位"
    )
    assert seed.genre == "work_points"


def test_preamble_is_the_overall_approach(seed):
    assert seed.preamble.startswith("2019年是新中国成立70周年,是全面建成小康社会关键之年。")
    assert seed.preamble.endswith("以优异成绩庆祝伟大祖国七十华诞。")
    assert "\n" not in seed.preamble


def test_sections_and_items(seed):
    assert [(s.no, s.title, [i.path for i in s.items]) for s in seed.sections] == SECTIONS
    items = [i for s in seed.sections for i in s.items]
    assert [i.no for i in items] == list(range(1, 10))
    assert {i.no: i.heading for i in items} == HEADINGS
    assert all(i.level == "item" and not i.children for i in items)
    assert items[-1].path == "4.9"
    assert items[-1].text.startswith("全面加强党建和党风廉政建设。以政治建设为统领")
    assert items[-1].text.endswith("努力开创科协工作新局面。")


def test_chrome_removed(seed):
    everything = "\n".join(
        [seed.preamble] + [s.text for s in seed.sections] + [i.text for i in seed.iter_items()]
    )
    for chrome in (
        "所在位置",
        "首页",
        "科协微信",
        "copyright",
        "版权所有",
        "ICP",
        "技术支持",
        "地址",
    ):
        assert chrome not in everything


def test_terms_exact(seed):
    got = {t.term: (t.kind, t.count, t.paths) for t in seed.terms}
    assert got == TERMS


def test_cli_parse_json(seed_path):
    out = subprocess.run(
        [sys.executable, "-m", "policytrack.pipeline.cli", "parse", str(seed_path), "--json"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    d = json.loads(out.stdout)
    assert (d["title"], d["issuer"], d["year"], d["doc_number"]) == (
        "省科协2019年工作要点", "湖北省科学技术协会", 2019, "鄂科协办〔2019〕22号"
    )  # fmt: skip
    assert (d["issued_on"], d["published_at"], d["department"]) == (
        "2019-03-12", "2019-03-18 14:41", "省科协办公室"
    )  # fmt: skip
    assert [s["no"] for s in d["sections"]] == [1, 2, 3, 4]
    assert d["sections"][3]["items"][1]["path"] == "4.9"
    assert d["sections"][3]["items"][1]["heading"] == "全面加强党建和党风廉政建设"
    assert {t["term"]: t["count"] for t in d["terms"]}["三大攻坚战"] == 2


def test_cli_parse_outline(seed_path):
    out = subprocess.run(
        [sys.executable, "-m", "policytrack.pipeline.cli", "parse", str(seed_path)],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    lines = out.splitlines()
    assert lines[0] == "省科协2019年工作要点  (2019, work_points)"
    assert "     4.9  全面加强党建和党风廉政建设" in lines
