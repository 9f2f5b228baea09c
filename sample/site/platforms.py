"""The sample site's provincial issuers, one per platform family (样例数据, fictional provinces):
the demo crawls them beside the hbkx-shaped 示例市科协, and the crawl tests exercise every family
end to end over real HTTP.

Each issuer publishes the same story: 工作要点 of 2023 and 2024, 科普工作要点 of 2023 and 2024
(the 2024 one with a .pdf), and five notices a title filter must skip (a request to 报送 work
points, a call to 征集 opinions on them, a contest, a list of bases, a 工作总结), nine in all,
newest first, five per list page, so the 2023 工作要点 sits on page 2.

    jpaas   东陵省科协  /xw/tzgg/ZH/index.html + the bulidstatic JSON unit API
    jcms    西江省科协  /col/col100/index.html (embedded <record>s) + POST dataproxy.jsp XML
    iframe  南岭省科协  /portal/notice/more.action, bodies in iframe#contentHtmlIframe
    jsonapi 北原省科协  /web/news/pagenews/129/{offset}/5/skx (the text in the JSON)

Their sources are sample/site/sources.toml (http://127.0.0.1:8000 stands for the server).
Pages are rendered by sample/site/platform_pages.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from policytrack.sample.site.attachments import build_pdf
from policytrack.sample.site.content import hexid

SOURCES_FILE = Path(__file__).with_name("sources.toml")
TEMPLATE_URL = "http://127.0.0.1:8000"
PER_PAGE = 5


@dataclass
class PlatformNotice:
    n: int  # number within the issuer (ids, file names)
    title: str
    published_at: str  # YYYY-MM-DD HH:MM
    department: str
    paragraphs: list[str]
    series: str | None = None  # the series key a crawl must record (None: must be skipped)
    year: int | None = None
    attachment: tuple[str, bytes] | None = None  # (file name, .pdf bytes)

    @property
    def hexid(self) -> str:
        return hexid("platform", self.title)


@dataclass
class Issuer:
    source: str  # the source name in sample/site/sources.toml
    family: str
    name: str  # 东陵省科学技术协会
    short: str  # 东陵省科协
    province: str  # 东陵省
    notices: list[PlatformNotice] = field(default_factory=list)

    def listed(self) -> list[PlatformNotice]:
        return sorted(self.notices, key=lambda n: n.published_at, reverse=True)

    def pages(self) -> list[list[PlatformNotice]]:
        listed = self.listed()
        return [listed[i : i + PER_PAGE] for i in range(0, len(listed), PER_PAGE)]

    def wanted(self) -> set[tuple[str, int]]:
        """(series, year) of every notice a crawl must collect."""
        return {(n.series, n.year) for n in self.notices if n.series}


# --------------------------------------------------------------------------------------------
# texts: a cover letter and numbered items (1., 2., … across 一、二、 sections, as real notices)

_WORK = [
    ("加强思想政治引领", [
        "健全科技工作者思想政治工作体系，开展科学家精神宣传。",
        "推进科协系统党的建设，提升基层党组织组织力。",
    ]),
    ("服务科技创新", [
        "办好学术年会，支持省级学会举办高水平学术交流活动。",
        "深化“科创中国”建设，组织科技服务团对接企业需求。",
        "推进学会服务企业创新，培育一批创新服务平台。",
    ]),
    ("提升全民科学素质", [
        "组织全国科普日和科技活动周活动。",
        "推动基层科普组织建设，扩大科普志愿者队伍。",
    ]),
]  # fmt: skip
_POPULAR = [
    ("完善科普工作体系", [
        "推动落实科普法规制度，健全科普工作协调机制。",
        "加强基层科普组织建设，完善科普服务网络。",
    ]),
    ("丰富科普资源供给", [
        "实施科普精品创作计划，推出一批优秀科普作品。",
        "推进科普信息化建设，完善数字科普资源共享平台。",
        "推动科普场馆免费开放，提升科普设施服务水平。",
    ]),
]  # fmt: skip
# What changes in 2024: one item reworded, one added to the last section.
_CHANGED = {
    "推进学会服务企业创新，培育一批创新服务平台。": "推进学会服务企业创新，建设一批产学研协同创新平台。",
    "推进科普信息化建设，完善数字科普资源共享平台。": "推进科普数字化建设，完善数字科普资源共享平台。",
}
_ADDED = {
    "work": "实施“科学家精神进校园”行动，组织院士专家走进中小学。",
    "popular": "举办“科普讲解大赛”和科学实验展演，培养科普人才。",
}
_NUMERALS = "一二三四五六七八九十"


def body(issuer: Issuer, doc: str, year: int, kind: str, signed: str) -> list[str]:
    """Cover letter, the document's title, an introduction and the numbered items."""
    sections = _WORK if kind == "work" else _POPULAR
    paras = [
        f"各市科协，省级学会（协会、研究会），{issuer.short}机关各部门、各直属单位：",
        f"现将《{doc}》印发给你们，请结合实际认真贯彻落实。（样例文本）",
        issuer.name,
        signed,
        doc,
        f"{year}年，{issuer.short}围绕中心、服务大局，推动科协事业高质量发展。（样例导语）",
    ]
    n = 0
    for s, (heading, items) in enumerate(sections):
        paras.append(f"{_NUMERALS[s]}、{heading}")
        items = [(_CHANGED.get(i, i) if year >= 2024 else i) for i in items]
        if year >= 2024 and s == len(sections) - 1:
            items = [*items, _ADDED[kind]]
        for item in items:
            n += 1
            paras.append(f"{n}.{item}")
    return paras


def _notice(issuer: Issuer, n: int, title: str, when: str, dept: str, paras: list[str], **kw):
    issuer.notices.append(PlatformNotice(n, title, when, dept, paras, **kw))


def make_issuer(source: str, family: str, province: str) -> Issuer:
    short, name = f"{province}科协", f"{province}科学技术协会"
    issuer = Issuer(source, family, name, short, province)
    office, popular = f"{short}办公室", f"{short}科普部"
    for year, when in ((2024, "2024-02-20 16:03"), (2023, "2023-02-22 10:30")):
        doc = f"{short}{year}年工作要点"
        _notice(
            issuer, year - 2000, f"{short}关于印发《{doc}》的通知", when, office,
            body(issuer, doc, year, "work", f"{year}年2月18日"),
            series=f"{short}工作要点", year=year,
        )  # fmt: skip
    for year, when in ((2024, "2024-03-12 09:41"), (2023, "2023-03-10 15:20")):
        doc = f"{year}年{province}科普工作要点"
        paras = body(issuer, doc, year, "popular", f"{year}年3月8日")
        attachment = None
        if year == 2024:
            name = f"{doc}.pdf"
            attachment = (name, build_pdf([doc, *paras[5:]]))
            paras = [*paras, f"附件：{name}"]
        _notice(
            issuer, year - 1990, f"{short}关于印发《{doc}》的通知", when, popular, paras,
            series=f"{province}科普工作要点", year=year, attachment=attachment,
        )  # fmt: skip
    skipped = [
        (41, f"关于举办2024年{province}科普讲解大赛的通知", "2024-04-10 11:00", popular),
        (42, f"关于公布2023年度{province}科普教育基地名单的通知", "2024-01-25 14:00", popular),
        (43, "关于征集2024年工作要点重点任务意见建议的通知", "2024-01-10 09:00", office),
        (44, f"{short}2023年工作总结", "2024-01-08 16:00", office),
        (45, "关于报送2023年工作总结和2024年工作要点的通知", "2023-12-05 10:00", office),
    ]
    for n, title, when, dept in skipped:
        paras = [
            "各市科协，各有关单位：",
            f"{title.removeprefix('关于').removesuffix('的通知')}有关事项通知如下。（样例文本）",
            "请各单位高度重视，按时报送有关材料。",
            issuer.name,
            f"{when[:4]}年{int(when[5:7])}月{int(when[8:10])}日",
        ]
        _notice(issuer, n, title, when, dept, paras)
    return issuer


def sample_issuers() -> list[Issuer]:
    """The four platform issuers of the sample site (the demo's and the tests')."""
    return [
        make_issuer("demo_jpaas", "jpaas", "东陵省"),
        make_issuer("demo_jcms", "jcms", "西江省"),
        make_issuer("demo_iframe", "iframe", "南岭省"),
        make_issuer("demo_jsonapi", "jsonapi", "北原省"),
    ]


def platform_sources(base_url: str) -> str:
    """sample/site/sources.toml with the running server's address."""
    text = SOURCES_FILE.read_text(encoding="utf-8")
    return text.replace(TEMPLATE_URL, base_url.rstrip("/"))
