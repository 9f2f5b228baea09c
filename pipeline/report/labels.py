"""Words and colours of the report: chart labels (zh/en), table headers, status and relation
colour maps, and the one check of a label language (`check_lang`)."""

from __future__ import annotations

from policytrack.pipeline.core.errors import ConfigError
from policytrack.pipeline.store.schema import RELATIONS

STATUSES = ("new", "persisting", "fading", "returned")  # legend order; absent is the background

STATUS_COLORS = {
    "absent": "#eeeeee",
    "new": "#2a9d8f",
    "persisting": "#6c8ebf",
    "fading": "#e76f51",
    "returned": "#e9c46a",
}
RELATION_COLORS = {
    "unchanged": "#b9c6d8",
    "revised": "#3a6ea5",
    "split": "#9b5de5",
    "merged": "#f15bb5",
    "regrouped": "#7b2cbf",
    "reappeared": "#e9c46a",
    "new": "#2a9d8f",
    "dropped": "#e76f51",
}


LABELS: dict[str, dict[str, str]] = {
    "zh": {
        "rising_title": "上升：近{n}年最高突现度",
        "fading_title": "淡出：{y0}年以来最后出现",
        "year": "年份",
        "documents": "文件数",
        "items": "条目数",
        "section": "第{n}部分",
        "term": "提法",
        "series": "系列",
        "emergence": "突现度",
        "years_present": "出现年数",
        "links": "链接数",
        "thread": "条目（最新标题）",
        "source": "来源",
        "data_as_of": "数据截至",
        "generated": "生成于",
        "sample": "样例数据（虚构）",
        "missing_year": "缺失年份",
        "not_found": "未出现",
        "last": "最后",
        "gap_note": "虚线：中间有缺失年份",
        "absent": "未出现",
        "new": "新出现",
        "persisting": "延续",
        "fading": "淡出",
        "returned": "回归",
        "rel_unchanged": "未变",
        "rel_revised": "修改",
        "rel_split": "拆分",
        "rel_merged": "合并",
        "rel_regrouped": "重组",
        "rel_reappeared": "重现",
        "rel_new": "新增",
        "rel_dropped": "删除",
        "present": "出现",
        "first_year": "首年",
        "last_year": "末年",
        "n_years": "年数",
        "missing": "缺失年份",
        "title": "标题",
        "n_sections": "部分数",
        "n_items": "条目数",
        "relation": "关系",
        "score": "相似度",
        "path": "编号",
        "no_data": "无数据",
        "count": "次数",
        "n_years_short": "{n}年",
        "year_to": "年份（与上一份文件相比）",
        "from_year": "比较年份",
        "peak_year": "峰值年份",
        "total": "总次数",
        "thread_id": "编号",
        "first_seen": "首年",
        "last_seen": "末年",
        "years": "年份",
        "label": "提法/标题",
        "statuses": "状态",
    },
    "en": {
        "rising_title": "Rising: peak emergence, last {n} years",
        "fading_title": "Fading: last seen since {y0}",
        "year": "Year",
        "documents": "Documents",
        "items": "Items",
        "section": "Section {n}",
        "term": "Term",
        "series": "Series",
        "emergence": "Emergence",
        "years_present": "Years present",
        "links": "Links",
        "thread": "Thread (latest heading)",
        "source": "Source",
        "data_as_of": "data as of",
        "generated": "generated",
        "sample": "SAMPLE DATA (fictional)",
        "missing_year": "missing year",
        "not_found": "not found",
        "last": "last",
        "gap_note": "dashed line: years missing in between",
        "absent": "Absent",
        "new": "New",
        "persisting": "Persisting",
        "fading": "Fading",
        "returned": "Returned",
        "rel_unchanged": "Unchanged",
        "rel_revised": "Revised",
        "rel_split": "Split",
        "rel_merged": "Merged",
        "rel_regrouped": "Regrouped",
        "rel_reappeared": "Reappeared",
        "rel_new": "New",
        "rel_dropped": "Dropped",
        "present": "Present",
        "first_year": "First year",
        "last_year": "Last year",
        "n_years": "Years",
        "missing": "Missing years",
        "title": "Title",
        "n_sections": "Sections",
        "n_items": "Items",
        "relation": "Relation",
        "score": "Score",
        "path": "Path",
        "no_data": "no data",
        "count": "Count",
        "n_years_short": "{n} yrs",
        "year_to": "Year (compared with the previous document)",
        "from_year": "Compared with",
        "peak_year": "Peak year",
        "total": "Total",
        "thread_id": "Thread",
        "first_seen": "First",
        "last_seen": "Last",
        "years": "Years",
        "label": "Term / heading",
        "statuses": "Statuses",
    },
}


def check_lang(lang: str, option: str = "lang") -> str:
    """`lang` when it is a label language; otherwise a one-line ConfigError naming `option`
    (the CLI passes "--lang")."""
    if lang not in LABELS:
        raise ConfigError(f"{option} must be one of {', '.join(LABELS)}, not {lang!r}")
    return lang


def labels(lang: str) -> dict[str, str]:
    return LABELS[check_lang(lang)]


def headers(lang: str) -> dict[str, str]:
    """Column → header label for html tables (relation columns get their relation names)."""
    lab = labels(lang)
    out = {k: v for k, v in lab.items() if not k.startswith("rel_")}
    out.update({r: lab[f"rel_{r}"] for r in RELATIONS})
    return out
