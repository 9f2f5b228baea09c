"""A tiny, hand-checked set of processed tables for the chart and report tests.

Source `testorg` (series 测试协会工作要点) has documents for 2017, 2018, 2019 and 2021 (2020 is a gap);
source `sample` has two fictional documents (2020, 2021) so the sample-data footnote shows. Every
expected number in the chart tests is derived by hand from the tables below (see the comments).
An item heading carries a <script> tag and an item text carries <b> tags to check HTML escaping.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from policytrack.pipeline.store.tables import write_tables

SOURCE = "testorg"
SERIES = "测试协会工作要点"
SCRIPT = '<script>alert("x")</script>'
YEARS = (2017, 2018, 2019, 2021)

# (year, path, section_no, heading, text) for level "item"; sections are "1" 综合工作 and "2" 科普工作.
ITEMS = [
    (2017, "1.1", 1, "加强政治建设", "加强政治建设。坚持党的领导。"),
    (2017, "1.2", 1, "深化学会改革", "深化学会改革。推进学会治理。"),
    (2017, "2.3", 2, "推进科学普及", "推进科学普及和科普基础设施建设。"),
    (2018, "1.1", 1, "加强政治建设", "加强政治建设。坚持党的领导。"),
    (2018, "1.2", 1, "深化学会改革", "深化学会改革。推进学会治理现代化。"),
    (2018, "2.3", 2, "推进科学普及", "推进科学普及。"),
    (2018, "2.4", 2, "建设科普基础设施", "建设科普基础设施。"),
    (2018, "2.5", 2, "办好学术年会", "办好学术年会。"),
    (2019, "1.1", 1, "加强政治建设", "加强<b>政治</b>建设。坚持党的全面领导。"),
    (2019, "1.2", 1, "深化学会改革", "深化学会改革。推进学会治理现代化。"),
    (2019, "2.3", 2, "推进科学普及和基础设施", "推进科学普及和科普基础设施建设。"),
    (2019, "2.4", 2, f"防范{SCRIPT}风险", f"防范{SCRIPT}风险。"),
    (2021, "1.1", 1, "全面加强政治建设", "全面加强政治建设。坚持党的全面领导。"),
    (2021, "2.2", 2, "推进科学普及和基础设施", "推进科学普及和科普基础设施建设。"),
    (2021, "2.3", 2, f"防范化解{SCRIPT}风险", f"防范化解{SCRIPT}风险。"),
    (2021, "2.4", 2, "办好学术年会", "办好学术年会。"),
]

# (year_from, path_from, year_to, path_to, relation, score)
LINKS = [
    (2017, "1.1", 2018, "1.1", "unchanged", 1.0),
    (2017, "1.2", 2018, "1.2", "revised", 0.8),
    (2017, "2.3", 2018, "2.3", "split", 0.7),
    (2017, "2.3", 2018, "2.4", "split", 0.65),
    (2017, None, 2018, "2.5", "new", None),
    (2018, "1.1", 2019, "1.1", "revised", 0.85),
    (2018, "1.2", 2019, "1.2", "unchanged", 0.98),
    (2018, "2.3", 2019, "2.3", "merged", 0.75),
    (2018, "2.4", 2019, "2.3", "merged", 0.7),
    (2018, "2.5", None, None, "dropped", None),  # year_to left empty: counted toward 2018→2019
    (2018, None, 2019, "2.4", "new", None),
    (2019, "1.1", 2021, "1.1", "revised", 0.8),
    (2019, "1.2", 2021, None, "dropped", None),
    (2019, "2.3", 2021, "2.2", "unchanged", 0.95),
    (2019, "2.4", 2021, "2.3", "revised", 0.82),
    (2018, "2.5", 2021, "2.4", "reappeared", 0.9),
]

# (thread_id, years, label): label is the latest heading.
THREADS = [
    ("t1", [2017, 2018, 2019, 2021], "全面加强政治建设"),
    ("t2", [2017, 2018, 2019], "深化学会改革"),
    ("t3", [2017, 2018, 2019, 2021], "推进科学普及和基础设施"),
    ("t4", [2018, 2021], "办好学术年会"),
    ("t5", [2019, 2021], f"防范化解{SCRIPT}风险"),
]

# term → {year: (count, status)}; years not listed are absent (status `fading` in the first
# document without the term after one with it, docs/terms.md). A count includes the mentions inside
# a longer term: 三大攻坚战's 2 in 2019 include the one inside 打好三大攻坚战.
TERMS = {
    "四个意识": {
        2017: (1, "new"),
        2018: (2, "persisting"),
        2019: (1, "persisting"),
        2021: (1, "persisting"),
    },
    "学会服务": {2017: (1, "new"), 2018: (1, "persisting"), 2019: (2, "persisting")},
    "科普中国": {2017: (1, "new"), 2019: (2, "returned"), 2021: (1, "persisting")},
    "三大攻坚战": {2018: (3, "new"), 2019: (2, "persisting"), 2021: (1, "persisting")},
    "服务发展年": {2018: (2, "new"), 2019: (1, "persisting")},
    "一芯两带三区": {2021: (2, "new")},
}
VARIANTS = {"打好三大攻坚战": ("三大攻坚战", {2019: (1, "new")})}
WATCHED = {"服务发展年", "三大攻坚战"}  # the bundled default watch list
EMERGENCE = {
    ("一芯两带三区", 2021): 0.3333,
    ("三大攻坚战", 2018): 1.0,
    ("三大攻坚战", 2019): 1.0,
    ("科普中国", 2019): 0.1667,
}

SAMPLE_SERIES = "样例协会工作要点"
# Characters of each testorg document (the per-10k-characters trend divides by these).
N_CHARS = {2017: 1000, 2018: 2000, 2019: 1500, 2021: 500}


def _documents() -> pd.DataFrame:
    rows = []
    for year in YEARS:
        n_items = sum(1 for it in ITEMS if it[0] == year)
        rows.append(
            {
                "doc_id": f"t{year}",
                "source": SOURCE,
                "series": SERIES,
                "year": year,
                "title": f"测试协会{year}年工作要点",
                "genre": "work_points",
                "preamble": "",
                "n_sections": 2,
                "n_items": n_items,
                "n_chars": N_CHARS[year],
                "recorded_at": f"{year}-03-01T00:00:00Z" if year < 2021 else "2024-05-06T07:08:09Z",
            }
        )
    for year in (2020, 2021):
        rows.append(
            {
                "doc_id": f"s{year}",
                "source": "sample",
                "series": SAMPLE_SERIES,
                "year": year,
                "title": f"样例协会{year}年工作要点",
                "genre": "work_points",
                "preamble": "",
                "n_sections": 1,
                "n_items": 1,
                "n_chars": 100,
                "recorded_at": "2024-01-01T00:00:00Z",
            }
        )
    return pd.DataFrame(rows)


def _items() -> pd.DataFrame:
    rows = []
    for year in YEARS:
        for no, title in ((1, "综合工作"), (2, "科普工作")):
            rows.append(
                (SOURCE, SERIES, year, f"t{year}", "section", str(no), "", no, title, title)
            )
    for year, path, sec, heading, text in ITEMS:
        rows.append((SOURCE, SERIES, year, f"t{year}", "item", path, str(sec), sec, heading, text))
    for year in (2020, 2021):
        rows.append(
            ("sample", SAMPLE_SERIES, year, f"s{year}", "section", "1", "", 1, "工作", "工作")
        )
        rows.append(
            (
                "sample",
                SAMPLE_SERIES,
                year,
                f"s{year}",
                "item",
                "1.1",
                "1",
                1,
                "样例条目",
                "样例条目。",
            )
        )
    cols = [
        "source",
        "series",
        "year",
        "doc_id",
        "level",
        "path",
        "parent_path",
        "section_no",
        "heading",
        "text",
    ]
    df = pd.DataFrame(rows, columns=cols)
    df["ordinal"] = df.groupby("doc_id").cumcount()
    return df


def _alignments() -> pd.DataFrame:
    rows = [(SOURCE, SERIES, "item", *link) for link in LINKS]
    cols = [
        "source",
        "series",
        "level",
        "year_from",
        "path_from",
        "year_to",
        "path_to",
        "relation",
        "score",
    ]
    df = pd.DataFrame(rows, columns=cols)
    df["year_from"] = df["year_from"].astype("Int64")
    df["year_to"] = df["year_to"].astype("Int64")
    return df


def _threads() -> pd.DataFrame:
    rows = [
        (SOURCE, SERIES, "item", tid, years[0], years[-1], years, label)
        for tid, years, label in THREADS
    ]
    cols = ["source", "series", "level", "thread_id", "first_year", "last_year", "years", "label"]
    return pd.DataFrame(rows, columns=cols)


def _term_timeline() -> pd.DataFrame:
    rows = []
    groups = {t: [t, *(v for v, (c, _) in VARIANTS.items() if c == t)] for t in TERMS}

    def add(term, canonical, by_year):
        first = min(by_year)
        for i, year in enumerate(YEARS):
            count, status = by_year.get(year, (0, None))
            if status is None:
                before = YEARS[i - 1] if i else None
                status = "fading" if before in by_year else "absent"
            rows.append(
                {
                    "source": SOURCE,
                    "series": SERIES,
                    "term": term,
                    "canonical": canonical,
                    "variants": groups.get(canonical, [canonical]),
                    "year": year,
                    "present": year in by_year,
                    "count": count,
                    "per_10k_chars": round(count * 10_000 / N_CHARS[year], 3),
                    "status": status,
                    "paths": ["1.1"] if year in by_year else [],
                    "emergence": EMERGENCE.get((canonical, year), 0.0) if year in by_year else 0.0,
                    "first_year": first,
                    "kinds": "quote",
                    "flag": "",
                    "watched": term in WATCHED,
                }
            )

    for term, by_year in TERMS.items():
        add(term, term, by_year)
    for term, (canonical, by_year) in VARIANTS.items():
        add(term, canonical, by_year)
    return pd.DataFrame(rows)


def write_tiny_dataset(data_dir: Path, with_alignment: bool = True) -> Path:
    """Write the tables under data_dir/processed and return data_dir."""
    tables = {"documents": _documents(), "items": _items()}
    if with_alignment:
        tables |= {
            "alignments": _alignments(),
            "threads": _threads(),
            "term_timeline": _term_timeline(),
        }
    write_tables(data_dir, tables, strict=False)
    return Path(data_dir)
