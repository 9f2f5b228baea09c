"""What the sample site publishes: the sample notices (sample/notices.toml + the text files it
names), generated filler (meetings, news, 工作总结) and the awkward cases a crawler meets in the
wild (bad_input_notices). Pure data: sample/site/mirror.py renders it, server.py serves it.
"""

from __future__ import annotations

import hashlib
import random
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from policytrack.sample.site.attachments import DOCX_TYPE, build_docx, build_pdf

REPO = Path(__file__).resolve().parents[2]
SAMPLE_DIR = REPO / "sample"
SITE_NAME = "示例市科学技术协会"
OFFSITE = "@@OFFSITE@@"  # replaced at serve time by http://localhost:<port> (another host name)


def hexid(*parts) -> str:
    return hashlib.md5("|".join(map(str, parts)).encode()).hexdigest()


COLUMNS = {  # column id → name; 通知公告 sits under 新闻中心
    hexid("xwzx"): "新闻中心",
    hexid("kxyw"): "科协要闻",
    hexid("tzgg"): "通知公告",
    hexid("xhxs"): "学会学术",
    hexid("kxpj"): "科学普及",
}
XWZX, KXYW, TZGG = hexid("xwzx"), hexid("kxyw"), hexid("tzgg")


# --------------------------------------------------------------------------------------------
# what the site publishes


@dataclass
class Attachment:
    name: str  # link text
    href: str  # as written in the page: relative, absolute, or an off-site placeholder
    body: bytes | None = None  # None: not served here (off-site, or a dead link)
    content_type: str = "application/octet-stream"
    disposition: str | None = None  # Content-Disposition file name (may be hostile)
    stream_size: int = 0  # stream this many bytes instead of `body` (a huge file)
    moved_to: str | None = None  # `href` answers 302 → here (may be off-site), which serves `body`


@dataclass
class Notice:
    newsid: str
    title: str
    published_at: str  # YYYY-MM-DD HH:MM
    department: str
    paragraphs: list[str]
    genre: str = "notice"  # work_points | report | notice
    encoding: str = "utf-8"  # "gbk": GBK bytes, no charset anywhere
    attachments: list[Attachment] = field(default_factory=list)
    link: str | None = None  # list link when not /news/info?newsid=<newsid>
    list_title: str | None = None  # what the list shows (default: truncated title + title attr)
    title_attr: bool = True
    status: int = 200
    body_override: bytes | None = None  # garbage / empty pages
    fail_first: int = 0  # answer 500 this many times first
    delay: float = 0.0  # the page answers after this many seconds
    redirect_from: str | None = None  # old newsid that 302-redirects here
    sample: str | None = None  # sample file it came from
    republished: list[str] | None = None  # paragraphs of the corrected re-post
    republished_at: str | None = None
    expect: str = "skip"  # for tests: collect | skip | fail | note

    @property
    def url(self) -> str:
        return f"/news/info?newsid={self.newsid}"


# --------------------------------------------------------------------------------------------
# sample notices and filler


def paragraphs(text: str) -> list[str]:
    return [p.strip() for p in text.replace("\r\n", "\n").split("\n") if p.strip()]


def load_sample(sample_dir: Path = SAMPLE_DIR) -> list[Notice]:
    """The notices listed in sample/notices.toml, as the site publishes them."""
    index = sample_dir / "notices.toml"
    with open(index, "rb") as fh:
        spec = tomllib.load(fh)
    out = []
    for n in spec.get("notice", []):
        paras = paragraphs((sample_dir / n["file"]).read_text(encoding="utf-8"))
        notice = Notice(
            newsid=hexid("sample", n["file"]),
            title=n["page_title"],
            published_at=n["published_at"],
            department=n.get("department", "市科协办公室"),
            paragraphs=paras,
            genre=n.get("genre", "notice"),
            encoding=n.get("encoding", "utf-8"),
            sample=n["file"],
            expect="collect" if n.get("genre") == "work_points" else "skip",
        )
        if n.get("republished"):
            notice.republished = paragraphs(
                (sample_dir / n["republished"]).read_text(encoding="utf-8")
            )
            notice.republished_at = n.get("republished_at")
        delivery = n.get("delivery", "html")
        if delivery in ("docx", "pdf"):
            name = n.get("attachment_name") or f"{n['title']}.{delivery}"
            body = build_docx(paras) if delivery == "docx" else build_pdf(paras)
            ctype = DOCX_TYPE if delivery == "docx" else "application/pdf"
            notice.attachments.append(
                Attachment(
                    name, f"/upload/files/{hexid(n['file'], delivery)}.{delivery}", body, ctype
                )
            )
            notice.paragraphs = [
                "各区（县）科协，各市级学会（协会、研究会），机关各部门、各直属单位：",
                f"现将《{n['title']}》印发给你们，请结合实际认真贯彻落实。详见附件。",
                SITE_NAME,
                n.get("issued_on", n["published_at"][:10]),
            ]
        out.append(notice)
    return out


_DISTRICTS = ["东湖区", "西山区", "南江区", "北塘区", "青峰县", "白河县", "临川区", "桃源县"]
_FILLER = [
    ("notice", "关于召开{y}年全市科协系统工作会议的通知"),
    ("notice", "关于举办第{n}届示例市青少年科技创新大赛的通知"),
    ("notice", "关于开展{y}年“全国科技工作者日”系列活动的通知"),
    ("notice", "关于公布{y}年度示例市优秀科技社团名单的通知"),
    ("news", "市科协党组召开{y}年理论学习中心组（扩大）学习会"),
    ("report", "市科协机关{y}年工作总结"),
    ("notice", "关于报送{y}年工作总结和{y1}年工作要点的通知"),
    ("notice", "关于征集{y}年度科普项目的通知"),
    ("news", "市科协赴{d}调研基层科协工作"),
    ("notice", "关于举办{y}年全国科普日示例市主场活动的通知"),
    ("notice", "关于做好{y}年度学会年检工作的通知"),
    ("news", "{d}科协召开第{n}次代表大会"),
]
_SENTENCES = [
    "会议传达学习了中国科协和省科协有关会议精神。",
    "各单位要高度重视，精心组织，确保各项工作落到实处。",
    "请各区（县）科协于规定时间前将有关材料报送市科协办公室。",
    "活动期间将组织院士专家报告会、科技成果展示和科普讲座。",
    "与会人员围绕深化科协改革、服务科技工作者等议题进行了交流。",
    "联系人：市科协办公室，电话：0000-00000000。",
    "大赛设科技创新成果竞赛、科技辅导员创新成果竞赛等项目。",
    "调研组实地察看了基层科协组织建设和科普阵地运行情况。",
]


def filler_notices(n: int, seed: int = 7, years: range = range(2017, 2025)) -> list[Notice]:
    """Notices that are not work points: meetings, news, a 工作总结, a request to submit one."""
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        genre, template = _FILLER[i % len(_FILLER)]
        y = years[(i * 5 + i // len(_FILLER)) % len(years)]
        title = template.format(y=y, y1=y + 1, n=10 + i, d=rnd.choice(_DISTRICTS))
        when = f"{y}-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d} {rnd.randint(8, 17):02d}:{rnd.randint(0, 59):02d}"
        paras = [title] + [" ".join(rnd.sample(_SENTENCES, 3)) for _ in range(rnd.randint(2, 5))]
        out.append(
            Notice(
                hexid("filler", seed, i),
                title,
                when,
                rnd.choice(["市科协办公室", "市科协学会部", "市科协科普部"]),
                paras,
                genre,
            )
        )
    return out


def bad_input_notices() -> list[Notice]:
    """The awkward cases a crawler meets in the wild (see docs/crawler.md, tests/test_crawl.py)."""
    items = "一、总体要求\n1、加强党的建设。落实全面从严治党主体责任。\n2、加强作风建设。持续改进工作作风。"
    return [
        Notice(
            hexid("bad", "404"), "关于印发《市科协机关2017年党建工作要点》的通知", "2017-03-02 10:00",
            "市科协机关党委", [], "work_points", status=404, expect="fail",
        ),
        Notice(
            hexid("bad", "garbage"), "关于印发《市科协学会部2021年工作要点》的通知", "2021-03-05 09:00",
            "市科协学会部", [], "work_points", expect="fail",
            body_override=bytes(random.Random(1).randrange(256) for _ in range(3000)) + b"<<<>>><div",
        ),
        Notice(
            hexid("bad", "empty"), "关于印发《市科协组织人事部2021年工作要点》的通知", "2021-03-06 09:00",
            "市科协组织人事部", [], "work_points", body_override=b"", expect="fail",
        ),
        Notice(
            hexid("bad", "noyear"), "关于印发《市科协党组工作要点》的通知", "2021-02-20 15:00",
            "市科协党组", ["市科协党组工作要点", *items.split("\n")], "work_points", expect="collect",
        ),
        Notice(
            hexid("bad", "offsite"), "关于印发《兄弟市科协2023年工作要点》的通知", "2023-03-03 09:00",
            "兄弟市科协", ["（转载）"], "work_points", expect="note",
            link=f"{OFFSITE}/news/info?newsid={hexid('bad', 'offsite')}",
        ),
        Notice(
            hexid("bad", "robots"), "关于印发《市科协办公室2023年内部工作要点》的通知", "2023-02-01 09:00",
            "市科协办公室", ["内部"], "work_points", expect="note",
            link=f"/admin/info?newsid={hexid('bad', 'robots')}",
        ),
    ]  # fmt: skip
