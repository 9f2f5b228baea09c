"""Hand-made documents for the alignment tests: ten distinct priorities of a science association,
each one item, so expected links are known exactly."""

from __future__ import annotations

import pandas as pd

T = {
    "党建": "加强党的政治建设。坚持以习近平新时代中国特色社会主义思想为指导，落实全面从严治党主体责任，"
    "推进党风廉政建设和反腐败工作，加强机关基层党组织建设。",
    "科普": "广泛开展科学普及。深入推进科普进社区、进农村、进学校、进企业，办好全国科普日主场活动，"
    "推动科技馆免费开放，建设流动科技馆和科普大篷车。",
    "学会": "深化学会治理改革。指导学会完善章程和理事会制度，实施学会能力提升专项，规范学会财务和活动管理，"
    "培育一批示范学会。",
    "智库": "加强科技智库建设。围绕中心工作组织专家开展决策咨询和调查研究，建立智库专家库，"
    "提高咨询报告质量，及时报送建议。",
    "学术": "活跃学术交流。支持学会举办高水平学术年会，打造科技论坛品牌，推动产学研对接，"
    "促进科技成果转化和海外人才引进。",
    "基层": "加强基层组织建设。推进乡镇街道普遍建立科协组织，推动农技协向村社区延伸，"
    "在高校企业园区广泛建立科协组织。",
    "人才": "做好人才举荐和表彰奖励。组织青年科技奖评选，推荐优秀科技工作者，开展全国科技工作者日系列活动，"
    "增强荣誉感。",
    "青少年": "加强青少年科技教育。广泛开展青少年科技创新大赛和科技夏令营，推动中小学科技辅导员队伍建设，"
    "探索线上科技教育。",
    "国际": "加强国际科技交流合作。举办国际学术会议，支持科技工作者参与国际组织，拓展对外民间科技交流渠道，"
    "引进国外智力。",
    "双碳": "服务碳达峰碳中和目标。组织专家开展低碳技术攻关和绿色发展咨询，普及节能降碳知识，"
    "推动绿色低碳生活方式。",
}
# 学会 with some of its wording changed: a revision, not a new priority.
REVISED_学会 = (
    "深化学会治理改革。指导学会完善章程和监事会制度，实施学会能力提升专项行动，规范学会财务管理，"
    "培育一批一流示范学会。"
)
# 科普 and 青少年 as one item (split in a later year, or the result of a merge).
COMBINED = T["科普"] + T["青少年"]


def items_frame(
    docs: dict[int, list[str]], *, source="s", series="x", doc_ids=None
) -> pd.DataFrame:
    """items.parquet-shaped rows: one section per document, one item per text, in order."""
    rows = []
    for year, texts in docs.items():
        doc_id = (doc_ids or {}).get(year, f"d{year}")
        rows.append(
            dict(
                source=source,
                series=series,
                year=year,
                doc_id=doc_id,
                level="section",
                path="1",
                parent_path="",
                section_no=1,
                item_no=1,
                marker="一、",
                ordinal=0,
                heading="重点工作",
                text="重点工作",
                original="重点工作",
            )
        )
        for k, text in enumerate(texts, 1):
            text = T.get(text, text)
            heading = text.split("。", 1)[0]
            rows.append(
                dict(
                    source=source,
                    series=series,
                    year=year,
                    doc_id=doc_id,
                    level="item",
                    path=f"1.{k}",
                    parent_path="1",
                    section_no=1,
                    item_no=k,
                    marker=f"{k}、",
                    ordinal=k,
                    heading=heading,
                    text=text,
                    original=text,
                )
            )
    return pd.DataFrame(rows)


def docs_frame(years, *, source="s", series="x", recorded="2024-01-01T00:00:00Z", doc_ids=None):
    return pd.DataFrame(
        [
            dict(
                doc_id=(doc_ids or {}).get(y, f"d{y}"),
                source=source,
                series=series,
                year=y,
                title=f"{y}年工作要点",
                recorded_at=recorded,
                n_chars=1000,
            )
            for y in years
        ]
    )


def links(alignments: pd.DataFrame) -> set[tuple]:
    """(year_from, path_from, year_to, path_to, relation) of every row, None for missing ends."""
    out = set()
    for r in alignments.itertuples():
        pf = r.path_from if isinstance(r.path_from, str) else None
        pt = r.path_to if isinstance(r.path_to, str) else None
        out.add((r.year_from, pf, r.year_to, pt, r.relation))
    return out
