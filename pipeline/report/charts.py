"""Chart data and briefing figures for the report notebooks.

Three layers, so notebooks stay thin and the numbers are testable without drawing:
- load: `load_tables` reads data/processed/*.parquet and checks the columns the charts use;
- compute: pure functions from DataFrames to small DataFrames / records (what a chart shows);
- draw: `plot_*` return a matplotlib Figure (16:9, title, axis labels, legend, source/date
  footnote); `show` writes it as PNG (150 dpi) and SVG and displays it in the notebook.
Document text that ends up in HTML goes through `html.escape` here (`html_table`, `redline_html`).
"""

from __future__ import annotations

import base64
import difflib
import html
import io
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
from policytrack.pipeline.core.errors import InputError, PolicytrackError
from policytrack.pipeline.report import fonts
from policytrack.pipeline.store import atomic

# ---------------------------------------------------------------- configuration

FIGSIZE = (12.8, 7.2)  # inches: 16:9, 1920×1080 px at EXPORT_DPI
EXPORT_DPI = 150
DISPLAY_DPI = 100  # the copy embedded in notebooks / HTML stays light
SAMPLE_SOURCES = frozenset({"sample", "demo"})  # fictional data shipped for the demo
DEFAULT_WATCH = ("服务发展年", "三大攻坚战")  # used when pipeline/data/watchlist.txt is absent
STATUSES = ("new", "persisting", "fading", "returned")
RELATIONS = ("unchanged", "revised", "split", "merged", "reappeared", "new", "dropped")
CONTINUING = ("unchanged", "revised", "split", "merged")

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
    "reappeared": "#e9c46a",
    "new": "#2a9d8f",
    "dropped": "#e76f51",
}

LABELS: dict[str, dict[str, str]] = {
    "zh": {
        "docs_per_year": "各来源每年文件数",
        "coverage": "年份覆盖与缺口",
        "items_per_section": "每年各部分条目数",
        "heatmap": "重点提法逐年状态",
        "watch": "关注提法时间线（标注首末年份）",
        "rising_fading": "上升与淡出的提法",
        "rising_title": "上升：近{n}年最高突现度",
        "fading_title": "淡出：{y0}年以来最后出现",
        "flows": "相邻年份条目流向",
        "flow_bars": "每年条目变化",
        "threads": "延续最久的条目",
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
        "docs_per_year": "Documents per source and year",
        "coverage": "Year coverage and gaps",
        "items_per_section": "Items per section and year",
        "heatmap": "Priority terms by year and status",
        "watch": "Watch-list timeline (first and last year labelled)",
        "rising_fading": "Rising and fading terms",
        "rising_title": "Rising: peak emergence, last {n} years",
        "fading_title": "Fading: last seen since {y0}",
        "flows": "Item flows between consecutive years",
        "flow_bars": "Item changes per year",
        "threads": "Longest-lived threads",
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

# Columns the charts read, per table. Other columns are allowed and ignored.
SCHEMAS: dict[str, tuple[str, ...]] = {
    "documents": ("doc_id", "source", "series", "year", "title"),
    "items": ("source", "series", "year", "level", "path", "section_no", "heading", "text"),
    "term_timeline": ("source", "term", "year", "present", "count", "status", "emergence"),
    "alignments": ("source", "year_from", "path_from", "year_to", "path_to", "relation", "score"),
    "threads": ("source", "thread_id", "first_year", "last_year", "years", "label"),
}


class ChartError(PolicytrackError):
    """A chart cannot be made from the data given (unknown source, nothing in the year range)."""


def default_watch() -> list[str]:
    """The build's default watch list (pipeline/data/watchlist.txt: one term a line, # comments)."""
    try:
        text = (
            resources.files("policytrack.pipeline")
            .joinpath("data/watchlist.txt")
            .read_text(encoding="utf-8")
        )
    except (FileNotFoundError, ModuleNotFoundError):
        return list(DEFAULT_WATCH)
    terms = [
        ln.strip() for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")
    ]
    return terms or list(DEFAULT_WATCH)


def labels(lang: str) -> dict[str, str]:
    if lang not in LABELS:
        raise ChartError(f"lang must be one of {', '.join(LABELS)}, not {lang!r}")
    return LABELS[lang]


# ---------------------------------------------------------------- load


@dataclass
class Tables:
    data_dir: Path
    frames: dict[str, pd.DataFrame] = field(default_factory=dict)

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.frames[name]


def load_tables(data_dir: str | Path, need: Iterable[str] = ("documents",)) -> Tables:
    """Read `<data_dir>/processed/<name>.parquet` for each table in `need`, checking columns."""
    data_dir = Path(data_dir)
    tables = Tables(data_dir=data_dir)
    for name in need:
        path = data_dir / "processed" / f"{name}.parquet"
        if not path.is_file():
            raise InputError(path, f"missing; run `policytrack build --data {data_dir}` first")
        try:
            df = pd.read_parquet(path)
        except Exception as err:  # pyarrow raises several types for a damaged file
            raise InputError(path, f"unreadable parquet ({type(err).__name__}: {err})") from err
        missing = [c for c in SCHEMAS[name] if c not in df.columns]
        if missing:
            raise InputError(path, f"missing columns {', '.join(missing)}")
        tables.frames[name] = df
    return tables


# ---------------------------------------------------------------- scope and footnote


@dataclass(frozen=True)
class Scope:
    """What a notebook shows: one source and series, a year window, a label language."""

    source: str
    series: str
    years: tuple[int, int]  # inclusive window
    lang: str
    doc_years: tuple[int, ...]  # years with a document in the window
    doc_ids: tuple[str, ...]  # the version charted for each year: the latest recorded one
    is_sample: bool
    footnote: str


def choose_scope(
    documents: pd.DataFrame,
    source: str | None = None,
    series: str | None = None,
    years: Sequence[int] | None = None,
    lang: str = "zh",
    today: date | None = None,
) -> Scope:
    """Resolve defaults: the source with most documents, its series with most years, all years."""
    labels(lang)
    if documents.empty:
        raise ChartError("documents.parquet has no rows: nothing to chart")
    sources = documents["source"].value_counts()
    if source is None:
        # Most documents first, name as tie-break so the choice is stable.
        source = sorted(sources.index, key=lambda s: (-sources[s], s))[0]
    elif source not in sources.index:
        raise ChartError(
            f"source {source!r} not in the data; available: {', '.join(sorted(sources.index))}"
        )
    docs = documents[documents["source"] == source]
    per_series = docs.groupby("series")["year"].nunique()
    if series is None:
        series = sorted(per_series.index, key=lambda s: (-per_series[s], s))[0]
    elif series not in per_series.index:
        raise ChartError(
            f"series {series!r} not in source {source!r}; available: {', '.join(sorted(per_series.index))}"
        )
    docs = docs[docs["series"] == series]
    window = _window(docs["year"], years)
    docs = docs[docs["year"].between(*window)]
    if docs.empty:
        raise ChartError(f"source {source!r} has no documents in {window[0]}–{window[1]}")
    return Scope(
        source=source,
        series=series,
        years=window,
        lang=lang,
        doc_years=tuple(sorted(int(y) for y in docs["year"].unique())),
        doc_ids=tuple(latest_versions(docs)["doc_id"]),
        is_sample=source in SAMPLE_SOURCES,
        footnote=footnote(docs, lang, today=today),
    )


def latest_versions(documents: pd.DataFrame) -> pd.DataFrame:
    """One document per source, series and year: the latest recorded version (a re-issued notice
    replaces the first posting, as in alignment)."""
    keys = [c for c in ("recorded_at", "doc_id") if c in documents.columns]  # ties: as alignment
    docs = documents.sort_values(keys, na_position="first", kind="stable") if keys else documents
    return docs.drop_duplicates(["source", "series", "year"], keep="last").sort_values(
        ["source", "series", "year"]
    )


def _window(all_years: pd.Series, years: Sequence[int] | None) -> tuple[int, int]:
    lo, hi = int(all_years.min()), int(all_years.max())
    if years is None:
        return lo, hi
    if len(years) != 2 or years[0] > years[1]:
        raise ChartError(f"years must be [first, last], got {list(years)!r}")
    return int(years[0]), int(years[1])


def footnote(documents: pd.DataFrame, lang: str, today: date | None = None) -> str:
    """`来源：gwr（…）1954–2025年，N份文件；数据截至 …；生成于 …`, marked when sample data is shown."""
    lab = labels(lang)
    today = today or date.today()
    sources = sorted(documents["source"].unique())
    years = documents["year"]
    if lang == "zh":
        parts = [
            f"{lab['source']}：{'、'.join(sources)}；{years.min()}–{years.max()}年，{len(documents)}份文件"
        ]
    else:
        parts = [
            f"{lab['source']}: {', '.join(sources)}; {years.min()}–{years.max()}, {len(documents)} documents"
        ]
    if "recorded_at" in documents.columns and documents["recorded_at"].notna().any():
        parts.append(f"{lab['data_as_of']} {str(documents['recorded_at'].dropna().max())[:10]}")
    parts.append(f"{lab['generated']} {today.isoformat()}")
    text = ("；" if lang == "zh" else "; ").join(parts)
    if SAMPLE_SOURCES.intersection(sources):
        text = f"{lab['sample']} · {text}"
    return text


def in_years(df: pd.DataFrame, years: Sequence[int] | None) -> pd.DataFrame:
    """Rows whose `year` is in the [first, last] window (all rows when years is None)."""
    if years is None or df.empty:
        return df
    return df[df["year"].between(*_window(df["year"], years))]


def _in_scope(df: pd.DataFrame, scope: Scope, year_col: str = "year") -> pd.DataFrame:
    """Rows of the scope's source, series and years; rows of superseded document versions are
    dropped when the table has a doc_id."""
    out = df[df["source"] == scope.source]
    if "series" in out.columns:
        out = out[out["series"] == scope.series]
    if "doc_id" in out.columns:
        out = out[out["doc_id"].isin(scope.doc_ids)]
    return out[out[year_col].between(*scope.years)]


# ---------------------------------------------------------------- compute: corpus overview


def documents_per_year(documents: pd.DataFrame, years: Sequence[int] | None = None) -> pd.DataFrame:
    """year × source document counts (rows: every year from first to last, zeros included)."""
    docs = in_years(documents, years)
    if docs.empty:
        raise ChartError(f"no documents in {list(years or [])}")
    counts = docs.groupby(["year", "source"]).size().unstack("source", fill_value=0)
    full = range(int(docs["year"].min()), int(docs["year"].max()) + 1)
    return counts.reindex(full, fill_value=0).rename_axis("year").astype(int)


def year_gaps(documents: pd.DataFrame) -> pd.DataFrame:
    """Per source and series: first and last year, years present, and the years missing between."""
    rows = []
    for (source, series), grp in documents.groupby(["source", "series"], sort=True):
        present = sorted(int(y) for y in grp["year"].unique())
        missing = sorted(set(range(present[0], present[-1] + 1)) - set(present))
        rows.append(
            {
                "source": source,
                "series": series,
                "first_year": present[0],
                "last_year": present[-1],
                "n_years": len(present),
                "years": present,
                "missing": missing,
            }
        )
    return pd.DataFrame(
        rows, columns=["source", "series", "first_year", "last_year", "n_years", "years", "missing"]
    )


def items_per_section(items: pd.DataFrame, scope: Scope, level: str = "item") -> pd.DataFrame:
    """year × section_no counts of items at `level` (years: every document year of the scope)."""
    rows = _in_scope(items, scope)
    rows = rows[rows["level"] == level]
    counts = rows.groupby(["year", "section_no"]).size().unstack("section_no", fill_value=0)
    counts = counts.reindex(list(scope.doc_years), fill_value=0).rename_axis("year")
    counts.columns = [int(c) for c in counts.columns]
    return counts.astype(int)


def documents_table(documents: pd.DataFrame, scope: Scope) -> pd.DataFrame:
    docs = _in_scope(documents, scope).sort_values("year")
    cols = [c for c in ("year", "title", "n_sections", "n_items") if c in docs.columns]
    return docs[cols].reset_index(drop=True)


# ---------------------------------------------------------------- compute: priority timelines


def term_view(timeline: pd.DataFrame, scope: Scope) -> pd.DataFrame:
    """One row per (label, year) in scope: variants folded into their canonical form.

    Columns: label, year, present, count, status, emergence. When several variants share a
    canonical form, the canonical row's status wins (the variants only add counts).
    """
    tl = _in_scope(timeline, scope).copy()
    if "canonical" in tl.columns:
        tl["label"] = tl["canonical"].where(
            tl["canonical"].notna() & (tl["canonical"] != ""), tl["term"]
        )
    else:
        tl["label"] = tl["term"]
    tl["present"] = tl["present"].fillna(False).astype(bool)
    tl["is_canonical"] = tl["term"] == tl["label"]
    tl = tl.sort_values(
        ["label", "year", "is_canonical", "present"], ascending=[True, True, False, False]
    )
    grouped = tl.groupby(["label", "year"], sort=True)
    view = grouped.agg(
        present=("present", "any"),
        count=("count", "sum"),
        emergence=("emergence", "max"),
    )
    # Status: first present row in the sort order above (canonical form first).
    present_rows = tl[tl["present"]].drop_duplicates(["label", "year"])
    status = present_rows.set_index(["label", "year"])["status"]
    view["status"] = status.reindex(view.index)
    view.loc[~view["present"], "status"] = "absent"
    view["status"] = view["status"].fillna("persisting")
    view["count"] = view["count"].fillna(0).astype(int)
    return view.reset_index()


def heatmap_matrix(view: pd.DataFrame, top_n: int = 30, watch: Sequence[str] = ()) -> pd.DataFrame:
    """label × year matrix of statuses ('absent' where a document lacks the term).

    Rows: the `top_n` terms present in the most years (then most mentions) among those seen in at
    least two years, plus any watched term that is present; ordered by first year, then label.
    """
    present = view[view["present"]]
    stats = present.groupby("label").agg(
        n_years=("year", "nunique"), total=("count", "sum"), first=("year", "min")
    )
    ranked = stats[stats["n_years"] >= 2].sort_values(["n_years", "total"], ascending=False)
    chosen = list(ranked.index[:top_n])
    chosen += [w for w in watch if w in stats.index and w not in chosen]
    if not chosen:
        return pd.DataFrame()
    order = sorted(chosen, key=lambda t: (stats.loc[t, "first"], t))
    matrix = view[view["label"].isin(order)].pivot(index="label", columns="year", values="status")
    return matrix.reindex(index=order).fillna("absent")


@dataclass(frozen=True)
class Lane:
    """One watched term across the years: where it is present and with which status."""

    term: str
    years: tuple[int, ...]
    statuses: tuple[str, ...]
    counts: tuple[int, ...]

    @property
    def first(self) -> int | None:
        return self.years[0] if self.years else None

    @property
    def last(self) -> int | None:
        return self.years[-1] if self.years else None


def watch_lanes(view: pd.DataFrame, watch: Sequence[str]) -> list[Lane]:
    lanes = []
    for term in watch:
        rows = view[(view["label"] == term) & view["present"]].sort_values("year")
        lanes.append(
            Lane(
                term=term,
                years=tuple(int(y) for y in rows["year"]),
                statuses=tuple(rows["status"]),
                counts=tuple(int(c) for c in rows["count"]),
            )
        )
    return lanes


def rising_terms(
    view: pd.DataFrame, doc_years: Sequence[int], window: int = 3, n: int = 10
) -> pd.DataFrame:
    """Terms with the highest emergence score in the last `window` document years, among those
    present in the latest document (a term that has since faded is not rising)."""
    recent = set(doc_years[-window:])
    current = set(view.loc[(view["year"] == doc_years[-1]) & view["present"], "label"])
    rows = view[view["year"].isin(recent) & view["present"] & view["emergence"].notna()]
    rows = rows[(rows["emergence"] > 0) & rows["label"].isin(current)]
    best = rows.sort_values(["emergence", "year"], ascending=False).drop_duplicates("label")
    out = best.head(n)[["label", "year", "emergence", "count"]]
    return out.rename(columns={"year": "peak_year"}).reset_index(drop=True)


def fading_terms(
    view: pd.DataFrame, doc_years: Sequence[int], window: int = 3, n: int = 10
) -> pd.DataFrame:
    """Terms whose last appearance, marked fading (a later document lacks them), falls in the last
    `window`+1 document years; ranked by how many years they had been present. A term that
    faded and then came back is not listed."""
    since = doc_years[-(window + 1) :][0] if doc_years else 0
    present = (
        view[view["present"]]
        .groupby("label")
        .agg(n_years=("year", "nunique"), total=("count", "sum"), last_year=("year", "max"))
    )
    fading = view[(view["status"] == "fading") & (view["year"] >= since)]
    fading = fading[
        fading["year"].to_numpy() == present.loc[fading["label"], "last_year"].to_numpy()
    ]
    out = present.loc[fading["label"].unique()]
    out = out.sort_values(["n_years", "total", "last_year"], ascending=[False, False, False]).head(
        n
    )
    return out.rename_axis("label").reset_index()[["label", "last_year", "n_years", "total"]]


# ---------------------------------------------------------------- compute: item flows


def scoped_alignments(alignments: pd.DataFrame, scope: Scope, level: str = "item") -> pd.DataFrame:
    """Links of the scope at `level`, each placed in the consecutive year pair it belongs to
    (`pair_from` → `pair_to`).

    Consecutive pairs are those the alignment compared (years without items at this level are
    bridged, 1955 → 1958); a `reappeared` link, which looks further back, counts toward the pair
    ending at its year_to; a dropped item without a year_to toward the pair starting at its year.
    """
    al = alignments[alignments["source"] == scope.source]
    if "series" in al.columns:
        al = al[al["series"] == scope.series]
    if "level" in al.columns:
        al = al[al["level"] == level]
    al = al.copy()
    frm = al["year_from"].astype("Float64")
    to = al["year_to"].astype("Float64")
    direct = (al["relation"] != "reappeared") & frm.notna() & to.notna()
    prev_of = {int(t): int(f) for f, t in zip(frm[direct], to[direct], strict=True)}
    years = list(scope.doc_years)
    prev_of = {**dict(zip(years[1:], years, strict=False)), **prev_of}
    next_of = {f: t for t, f in sorted(prev_of.items(), reverse=True)}
    pair_from, pair_to = [], []
    for rel, f, t in zip(al["relation"], frm, to, strict=True):
        f = int(f) if pd.notna(f) else None
        t = int(t) if pd.notna(t) else None
        if t is None and f is not None:  # dropped, no year recorded for the absence
            t = next_of.get(f)
        if f is None or rel == "reappeared":
            f = prev_of.get(t) if t is not None else None
        pair_from.append(f)
        pair_to.append(t)
    al["pair_from"] = pd.array(pair_from, dtype="Int64")
    al["pair_to"] = pd.array(pair_to, dtype="Int64")
    al = al[al["pair_from"].notna() & al["pair_to"].notna()]
    al = al[al["pair_from"].between(*scope.years) & al["pair_to"].between(*scope.years)]
    return al.astype({"pair_from": int, "pair_to": int})


def relation_counts(links: pd.DataFrame) -> pd.DataFrame:
    """Link counts per consecutive pair: index year (pair_to), column from_year (pair_from), then
    one column per relation in RELATIONS order."""
    counts = links.groupby(["pair_to", "relation"]).size().unstack("relation", fill_value=0)
    counts = counts.reindex(columns=list(RELATIONS), fill_value=0).astype(int)
    starts = links.groupby("pair_to")["pair_from"].min()
    counts.insert(0, "from_year", starts.reindex(counts.index).astype(int))
    return counts.rename_axis("year")


@dataclass(frozen=True)
class Flow:
    """One band of the alluvial: `relation` items leaving year_from (n_from distinct items) and
    arriving in year_to (n_to distinct items)."""

    year_from: int
    year_to: int
    relation: str
    n_from: int
    n_to: int


def flows(links: pd.DataFrame) -> list[Flow]:
    out = []
    for (yf, yt, rel), grp in links.groupby(["pair_from", "pair_to", "relation"], sort=True):
        n_from = 0 if rel in ("new", "reappeared") else grp["path_from"].dropna().nunique()
        n_to = 0 if rel == "dropped" else grp["path_to"].dropna().nunique()
        out.append(Flow(int(yf), int(yt), str(rel), int(n_from), int(n_to)))
    order = {r: i for i, r in enumerate(RELATIONS)}
    return sorted(out, key=lambda f: (f.year_from, order.get(f.relation, 99)))


def scoped_threads(threads: pd.DataFrame, scope: Scope, level: str = "item") -> pd.DataFrame:
    """Threads of the scope at `level`, their years (and paths, when present) cut to the window."""
    th = threads[threads["source"] == scope.source]
    if "series" in th.columns:
        th = th[th["series"] == scope.series]
    if "level" in th.columns:
        th = th[th["level"] == level]
    th = th.copy()
    lo, hi = scope.years
    keep = th["years"].map(lambda ys: [lo <= int(y) <= hi for y in ys])
    if "paths" in th.columns:
        th["paths"] = [
            [str(p) for p, k in zip(ps, ks, strict=False) if k]
            if ps is not None and len(ps) == len(ks)
            else None
            for ps, ks in zip(th["paths"], keep, strict=True)
        ]
    th["years"] = [
        [int(y) for y, k in zip(ys, ks, strict=True) if k]
        for ys, ks in zip(th["years"], keep, strict=True)
    ]
    th = th[th["years"].map(len) > 0]
    th["n_years"] = th["years"].map(lambda ys: len(set(ys)))
    return th


def longest_threads(threads: pd.DataFrame, n: int = 12) -> pd.DataFrame:
    """Threads present in the most years (then the most recent, then id): thread_id, label, years."""
    th = threads.assign(last_seen=threads["years"].map(max), first_seen=threads["years"].map(min))
    th = th.sort_values(["n_years", "last_seen", "thread_id"], ascending=[False, False, True])
    return th.head(n)[
        ["thread_id", "label", "first_seen", "last_seen", "n_years", "years"]
    ].reset_index(drop=True)


@dataclass(frozen=True)
class Version:
    """One year's text of a thread, with the link that led to it from the previous version."""

    year: int
    path: str
    heading: str
    text: str
    relation: str = ""
    score: float | None = None


def thread_versions(
    thread: pd.Series | None,
    items: pd.DataFrame,
    alignments: pd.DataFrame,
    scope: Scope,
    level: str = "item",
) -> list[Version]:
    """The item text of each year of a thread, oldest first.

    Uses the thread's `paths` column when the table has one; otherwise walks the alignment links
    back from the latest item whose heading is the thread's label, taking the best-scoring link.
    """
    if thread is None:
        return []
    its = items[(items["source"] == scope.source) & (items["level"] == level)]
    if "series" in its.columns:
        its = its[its["series"] == scope.series]
    by_key = {(int(r.year), str(r.path)): r for r in its.itertuples(index=False)}
    years = [int(y) for y in thread["years"]]
    if (
        "paths" in thread.index
        and thread["paths"] is not None
        and len(thread["paths"]) == len(years)
    ):
        chain = list(zip(years, [str(p) for p in thread["paths"]], strict=True))
    else:
        chain = _walk_back(thread, its, alignments, scope, level)
    links = alignments[(alignments["source"] == scope.source) & alignments["path_from"].notna()]
    if "level" in links.columns:
        links = links[links["level"] == level]
    pair_link = {
        (int(r.year_from), str(r.path_from), int(r.year_to), str(r.path_to)): r
        for r in links.itertuples(index=False)
        if pd.notna(r.year_to) and pd.notna(r.path_to)
    }
    out = []
    for i, (year, path) in enumerate(chain):
        row = by_key.get((year, path))
        if row is None:
            continue
        link = pair_link.get((*chain[i - 1], year, path)) if i else None
        out.append(
            Version(
                year=year,
                path=path,
                heading=str(row.heading),
                text=str(row.text),
                relation=str(link.relation) if link is not None else "",
                score=float(link.score) if link is not None and pd.notna(link.score) else None,
            )
        )
    return [v for v in out if scope.years[0] <= v.year <= scope.years[1]]


def _walk_back(
    thread: pd.Series, items: pd.DataFrame, alignments: pd.DataFrame, scope: Scope, level: str
):
    last = int(thread["last_year"])
    label = str(thread["label"])
    cands = items[(items["year"] == last) & (items["heading"] == label)]
    if cands.empty:
        cands = items[(items["year"] == last) & items["text"].str.startswith(label, na=False)]
    if cands.empty:
        return []
    links = alignments[(alignments["source"] == scope.source) & alignments["path_from"].notna()]
    if "level" in links.columns:
        links = links[links["level"] == level]
    links = links[links["relation"].isin((*CONTINUING, "reappeared"))]
    best_in: dict[tuple[int, str], tuple[int, str]] = {}
    for r in links.sort_values("score").itertuples(index=False):
        best_in[(int(r.year_to), str(r.path_to))] = (int(r.year_from), str(r.path_from))
    node = (last, str(cands.iloc[0]["path"]))
    chain = [node]
    allowed = {int(y) for y in thread["years"]}
    while node in best_in and best_in[node][0] in allowed and len(chain) <= len(allowed):
        node = best_in[node]
        chain.append(node)
    return chain[::-1]


def pick_thread(threads: pd.DataFrame, thread_id: str | None = None) -> pd.Series | None:
    """The thread to redline: `thread_id`, or the longest-lived one (None when there is none)."""
    if thread_id is None and threads.empty:
        return None
    if thread_id is None:
        thread_id = longest_threads(threads, n=1)["thread_id"].iloc[0]
    match = threads[threads["thread_id"].astype(str) == str(thread_id)]
    if match.empty:
        raise ChartError(f"thread {thread_id!r} not found in scope")
    return match.iloc[0]


# ---------------------------------------------------------------- HTML (escaped)


def headers(lang: str) -> dict[str, str]:
    """Column → header label for html_table (relation columns get their relation names)."""
    lab = labels(lang)
    out = {k: v for k, v in lab.items() if not k.startswith("rel_")}
    out.update({r: lab[f"rel_{r}"] for r in RELATIONS})
    return out


def gaps_html(gaps: pd.DataFrame, lang: str) -> str:
    cols = ["source", "series", "first_year", "last_year", "n_years", "missing"]
    return html_table(gaps[cols], headers(lang))


def documents_html(documents: pd.DataFrame, scope: Scope) -> str:
    return html_table(documents_table(documents, scope), headers(scope.lang))


def lanes_html(lanes: Sequence[Lane], lang: str) -> str:
    lab = labels(lang)
    rows = pd.DataFrame(
        [
            {
                "label": lane.term,
                "first_year": lane.first if lane.first is not None else lab["not_found"],
                "last_year": lane.last if lane.last is not None else "",
                "years": list(lane.years),
                "statuses": [lab.get(s, s) for s in lane.statuses],
                "total": sum(lane.counts),
            }
            for lane in lanes
        ],
        columns=["label", "first_year", "last_year", "years", "statuses", "total"],
    )
    return html_table(rows, headers(lang))


def html_table(df: pd.DataFrame, headers: dict[str, str] | None = None) -> str:
    """A plain HTML table; every header and cell is escaped (document text is untrusted)."""
    headers = headers or {}
    head = "".join(f"<th>{html.escape(str(headers.get(c, c)))}</th>" for c in df.columns)
    body = []
    for row in df.itertuples(index=False):
        cells = "".join(f"<td>{html.escape(_cell(v))}</td>" for v in row)
        body.append(f"<tr>{cells}</tr>")
    return f'<table class="pt-table"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'


def _cell(value) -> str:
    if isinstance(value, list | tuple | np.ndarray):
        return ", ".join(str(v) for v in value)
    if isinstance(value, float):
        return f"{value:.2f}"
    return "" if value is None else str(value)


# Selectors are repeated so they outrank the notebook theme's own table rules.
REDLINE_CSS = (
    "<style>.pt-redline.pt-redline.pt-redline{border-collapse:collapse;width:100%;font-size:14px}"
    ".pt-redline.pt-redline.pt-redline td,.pt-redline.pt-redline.pt-redline th{border:1px solid #ccc;padding:6px;"
    "vertical-align:top;width:45%;text-align:left}"
    ".pt-redline.pt-redline.pt-redline .pt-meta{width:10%;white-space:nowrap;text-align:center}"
    ".pt-redline del{background:#fbd5cf;color:#8c1c13}"
    ".pt-redline ins{background:#d3f0d8;color:#14532d;text-decoration:none}</style>"
)


def redline_pair(old: str, new: str) -> tuple[str, str]:
    """Character diff: (old with <del> marks, new with <ins> marks), each piece escaped."""
    left, right = [], []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for op, a0, a1, b0, b1 in matcher.get_opcodes():
        a, b = html.escape(old[a0:a1]), html.escape(new[b0:b1])
        if op == "equal":
            left.append(a)
            right.append(b)
            continue
        if a:
            left.append(f"<del>{a}</del>")
        if b:
            right.append(f"<ins>{b}</ins>")
    return "".join(left), "".join(right)


def redline_html(versions: Sequence[Version], lang: str = "zh") -> str:
    """Side-by-side redline of consecutive versions of one thread (escaped HTML)."""
    lab = labels(lang)
    if len(versions) < 2:
        return f"<p>{html.escape(lab['no_data'])}</p>"
    rows = []
    for old, new in zip(versions, versions[1:], strict=False):
        left, right = redline_pair(old.text, new.text)
        score = f"{new.score:.2f}" if new.score is not None else ""
        meta = f"{html.escape(lab.get(f'rel_{new.relation}', new.relation))}<br>{score}"
        rows.append(
            f"<tr><th colspan='3'>{old.year} ({html.escape(old.path)}) → {new.year} "
            f"({html.escape(new.path)})</th></tr>"
            f"<tr><td>{left}</td><td class='pt-meta'>{meta}</td><td>{right}</td></tr>"
        )
    head = (
        f"<tr><th>{lab['year']} A</th><th class='pt-meta'>{lab['relation']} / {lab['score']}</th>"
        f"<th>{lab['year']} B</th></tr>"
    )
    return f"{REDLINE_CSS}<table class='pt-redline'>{head}{''.join(rows)}</table>"


# ---------------------------------------------------------------- draw: common


def new_figure(nrows: int = 1, ncols: int = 1, **kw):
    """A 16:9 figure with constrained layout, room kept at the bottom for the footnote."""
    from matplotlib.figure import Figure

    fonts.setup()
    fig = Figure(figsize=FIGSIZE, dpi=DISPLAY_DPI)
    fig.set_layout_engine("constrained", rect=(0, 0.035, 1, 0.965))
    axes = fig.subplots(nrows, ncols, **kw)
    return fig, axes


def decorate(fig, title: str, note: str, subtitle: str | None = None) -> None:
    fig.suptitle(title if not subtitle else f"{title}\n{subtitle}", fontsize=18)
    color = (
        "#b00020"
        if note.startswith((LABELS["zh"]["sample"], LABELS["en"]["sample"]))
        else "#555555"
    )
    fig.text(0.005, 0.005, note, fontsize=9, color=color, ha="left", va="bottom")


def _legend(ax, handles, title: str | None = None, **kw):
    return ax.legend(
        handles=handles,
        title=title,
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        frameon=False,
        **kw,
    )


def _patches(keys: Iterable[str], colors: dict[str, str], lab: dict[str, str], prefix: str = ""):
    from matplotlib.patches import Patch

    return [
        Patch(facecolor=colors[k], edgecolor="#999999", label=lab.get(prefix + k, k)) for k in keys
    ]


def shorten(text: str, n: int = 18) -> str:
    text = re.sub(r"\s+", " ", str(text)).strip()
    return text if len(text) <= n else text[: n - 1] + "…"


def _year_ticks(
    ax, years: Sequence[int], positions: Sequence[float] | None = None, max_labels: int = 26
):
    positions = list(range(len(years))) if positions is None else list(positions)
    step = max(1, int(np.ceil(len(years) / max_labels)))
    idx = list(range(0, len(years), step))
    if idx and idx[-1] != len(years) - 1:
        idx.append(len(years) - 1)  # the latest year is always labelled
    ax.set_xticks([positions[i] for i in idx])
    ax.set_xticklabels([str(years[i]) for i in idx], rotation=90 if len(idx) > 14 else 0)


def _zoom(doc_years: Sequence[int], firsts: Sequence[int], context: int = 6) -> tuple[int, int]:
    """x range for timelines: from `context` years before the earliest first year shown (never
    before the first document) to the last document."""
    lo, hi = min(doc_years), max(doc_years)
    if len(firsts):
        lo = max(lo, int(min(firsts)) - context)
    return lo, hi


def _shade_missing(ax, doc_years: Sequence[int], lab: dict[str, str]) -> list:
    """Grey bands over years without a document (inside the span); returns a legend handle."""
    from matplotlib.patches import Patch

    missing = (
        sorted(set(range(min(doc_years), max(doc_years) + 1)) - set(doc_years)) if doc_years else []
    )
    for y in missing:
        ax.axvspan(y - 0.5, y + 0.5, color="#f3f3f3", zorder=0, lw=0)
    return [Patch(facecolor="#f3f3f3", label=lab["missing_year"])] if missing else []


def _empty(ax, lab):
    ax.tick_params(labelbottom=False, labelleft=False, length=0)  # no meaningless 0–1 scale
    ax.text(
        0.5,
        0.5,
        lab["no_data"],
        ha="center",
        va="center",
        transform=ax.transAxes,
        fontsize=16,
        color="#888",
    )


# ---------------------------------------------------------------- draw: corpus overview


def plot_documents_per_year(counts: pd.DataFrame, note: str, lang: str = "zh"):
    lab = labels(lang)
    fig, ax = new_figure()
    years = list(counts.index)
    bottom = np.zeros(len(years))
    cmap = _palette(len(counts.columns))
    for i, source in enumerate(counts.columns):
        ax.bar(
            range(len(years)),
            counts[source],
            bottom=bottom,
            color=cmap[i],
            label=str(source),
            width=0.8,
        )
        bottom += counts[source].to_numpy()
    missing = [i for i, total in enumerate(bottom) if total == 0]
    for i in missing:
        ax.axvspan(i - 0.5, i + 0.5, color="#f3f3f3", zorder=0)
    _year_ticks(ax, years)
    ax.set_xlabel(lab["year"])
    ax.set_ylabel(lab["documents"])
    ax.yaxis.get_major_locator().set_params(integer=True)
    from matplotlib.patches import Patch

    handles = ax.get_legend_handles_labels()[0]
    if missing:
        handles.append(Patch(facecolor="#f3f3f3", label=lab["missing_year"]))
    _legend(ax, handles, title=lab["source"])
    decorate(fig, lab["docs_per_year"], note)
    return fig


def plot_coverage(gaps: pd.DataFrame, note: str, lang: str = "zh"):
    """One row per source/series: a dot per year with a document, a cross per missing year."""
    lab = labels(lang)
    fig, ax = new_figure()
    if gaps.empty:
        _empty(ax, lab)
    for i, row in enumerate(gaps.itertuples(index=False)):
        ax.hlines(i, row.first_year, row.last_year, color="#cccccc", lw=2, zorder=1)
        ax.scatter(
            row.years,
            [i] * len(row.years),
            s=36,
            color="#3a6ea5",
            zorder=2,
            label=lab["present"] if i == 0 else None,
        )
        if row.missing:
            ax.scatter(
                row.missing,
                [i] * len(row.missing),
                s=40,
                marker="x",
                color="#e76f51",
                zorder=3,
                label=lab["missing_year"]
                if i == 0 or not any(len(m) for m in gaps["missing"][:i])
                else None,
            )
    ax.set_yticks(range(len(gaps)))
    ax.set_yticklabels([shorten(f"{r.source} · {r.series}", 28) for r in gaps.itertuples()])
    ax.set_ylim(-0.8, len(gaps) - 0.2)
    ax.invert_yaxis()
    ax.set_xlabel(lab["year"])
    ax.set_ylabel(lab["series"])
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.grid(axis="x", color="#eeeeee")
    handles, names = ax.get_legend_handles_labels()
    uniq = dict(zip(names, handles, strict=False))
    _legend(ax, list(uniq.values()))
    decorate(fig, lab["coverage"], note)
    return fig


def plot_items_per_section(counts: pd.DataFrame, note: str, lang: str = "zh"):
    lab = labels(lang)
    fig, ax = new_figure()
    years = list(counts.index)
    if counts.empty or counts.to_numpy().sum() == 0:
        _empty(ax, lab)
    bottom = np.zeros(len(years))
    colors = _palette(len(counts.columns))
    for i, sec in enumerate(counts.columns):
        ax.bar(
            range(len(years)),
            counts[sec],
            bottom=bottom,
            color=colors[i],
            label=lab["section"].format(n=sec),
            width=0.8,
        )
        bottom += counts[sec].to_numpy()
    _year_ticks(ax, years)
    ax.set_xlabel(lab["year"])
    ax.set_ylabel(lab["items"])
    ax.yaxis.get_major_locator().set_params(integer=True)
    _legend(ax, ax.get_legend_handles_labels()[0], ncols=1 if len(counts.columns) <= 14 else 2)
    decorate(fig, lab["items_per_section"], note)
    return fig


def _palette(n: int) -> list:
    import matplotlib

    cmap = matplotlib.colormaps["tab20" if n > 10 else "tab10"]
    return [cmap(i % cmap.N) for i in range(max(n, 1))]


# ---------------------------------------------------------------- draw: priority timelines


def plot_heatmap(matrix: pd.DataFrame, note: str, lang: str = "zh"):
    """term × year grid coloured by status; dashed lines where years are missing in between."""
    from matplotlib.colors import ListedColormap

    lab = labels(lang)
    fig, ax = new_figure()
    keys = ("absent", *STATUSES)
    if matrix.empty:
        _empty(ax, lab)
    else:
        codes = matrix.replace({k: i for i, k in enumerate(keys)}).astype(int).to_numpy()
        cmap = ListedColormap([STATUS_COLORS[k] for k in keys])
        ax.imshow(
            codes,
            aspect="auto",
            cmap=cmap,
            vmin=-0.5,
            vmax=len(keys) - 0.5,
            interpolation="nearest",
        )
        years = [int(y) for y in matrix.columns]
        _year_ticks(ax, years, max_labels=36)
        ax.set_yticks(range(len(matrix.index)))
        ax.set_yticklabels(
            [shorten(t, 16) for t in matrix.index], fontsize=10 if len(matrix) <= 30 else 8
        )
        ax.set_xticks(np.arange(-0.5, len(years)), minor=True)
        ax.set_yticks(np.arange(-0.5, len(matrix.index)), minor=True)
        ax.grid(which="minor", color="white", linewidth=0.8)
        ax.tick_params(which="minor", length=0)
        for i in range(1, len(years)):
            if years[i] - years[i - 1] > 1:
                ax.axvline(i - 0.5, color="#333333", linestyle="--", linewidth=1)
    ax.set_xlabel(lab["year"])
    ax.set_ylabel(lab["term"])
    from matplotlib.lines import Line2D

    handles = _patches(keys, STATUS_COLORS, lab)
    handles.append(Line2D([], [], color="#333333", linestyle="--", label=lab["gap_note"]))
    _legend(ax, handles)
    decorate(fig, lab["heatmap"], note)
    return fig


def plot_watch_lanes(lanes: Sequence[Lane], doc_years: Sequence[int], note: str, lang: str = "zh"):
    """Swimlanes: one per watched term, markers coloured by status, first and last year labelled."""
    lab = labels(lang)
    fig, ax = new_figure()
    # Zoom to where the watched terms live (plus context) so a 70-year corpus does not squash them.
    lo, hi = _zoom(doc_years, [lane.first for lane in lanes if lane.years])
    pad = max(1.0, (hi - lo) * 0.04)
    for i, lane in enumerate(lanes):
        ax.axhline(i, color="#f0f0f0", lw=14, zorder=0)
        if not lane.years:
            ax.text(
                (lo + hi) / 2,
                i,
                lab["not_found"],
                ha="center",
                va="center",
                color="#888888",
                fontsize=12,
            )
            continue
        ax.hlines(i, lane.first, lane.last, color="#555555", lw=2.5, zorder=1)
        absent = [y for y in doc_years if lane.first < y < lane.last and y not in lane.years]
        ax.scatter(
            absent, [i] * len(absent), s=70, facecolor="white", edgecolor="#999999", zorder=2
        )
        colors = [STATUS_COLORS.get(s, STATUS_COLORS["persisting"]) for s in lane.statuses]
        ax.scatter(
            lane.years, [i] * len(lane.years), s=140, c=colors, edgecolor="#333333", zorder=3
        )
        ax.annotate(
            str(lane.first),
            (lane.first, i),
            xytext=(-10, 0),
            textcoords="offset points",
            ha="right",
            va="center",
            fontsize=12,
        )
        if lane.last != lane.first:
            ax.annotate(
                str(lane.last),
                (lane.last, i),
                xytext=(10, 0),
                textcoords="offset points",
                ha="left",
                va="center",
                fontsize=12,
            )
    ax.set_yticks(range(len(lanes)))
    ax.set_yticklabels([shorten(lane.term, 16) for lane in lanes], fontsize=13)
    ax.set_ylim(max(len(lanes), 1) - 0.5, -0.5)
    ax.set_xlim(lo - pad, hi + pad)
    gap_handles = _shade_missing(ax, [y for y in doc_years if y >= lo], lab)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_xlabel(lab["year"])
    ax.set_ylabel(lab["term"])
    from matplotlib.lines import Line2D

    handles = [
        Line2D(
            [],
            [],
            marker="o",
            ls="",
            markersize=11,
            markerfacecolor=STATUS_COLORS[s],
            markeredgecolor="#333333",
            label=lab[s],
        )
        for s in STATUSES
    ]
    handles.append(
        Line2D(
            [],
            [],
            marker="o",
            ls="",
            markersize=9,
            markerfacecolor="white",
            markeredgecolor="#999999",
            label=lab["absent"],
        )
    )
    _legend(ax, handles + gap_handles)
    decorate(fig, lab["watch"], note)
    return fig


def plot_rising_fading(
    rising: pd.DataFrame,
    fading: pd.DataFrame,
    doc_years: Sequence[int],
    window: int,
    note: str,
    lang: str = "zh",
):
    lab = labels(lang)
    fig, (left, right) = new_figure(1, 2)
    recent = list(doc_years[-window:])
    left.set_title(lab["rising_title"].format(n=len(recent)), fontsize=13)
    if rising.empty:
        _empty(left, lab)
    else:
        ys = range(len(rising))
        left.barh(ys, rising["emergence"], color=STATUS_COLORS["new"], label=lab["emergence"])
        left.set_yticks(list(ys))
        left.set_yticklabels([shorten(t, 14) for t in rising["label"]])
        left.invert_yaxis()
        for y, (v, yr) in enumerate(zip(rising["emergence"], rising["peak_year"], strict=True)):
            left.annotate(
                str(yr), (v, y), xytext=(4, 0), textcoords="offset points", va="center", fontsize=9
            )
        left.legend(loc="lower right", frameon=False)
    left.set_xlabel(lab["emergence"])
    left.set_ylabel(lab["term"])
    since = doc_years[-(window + 1) :][0] if doc_years else ""
    right.set_title(lab["fading_title"].format(y0=since), fontsize=13)
    if fading.empty:
        _empty(right, lab)
    else:
        ys = range(len(fading))
        right.barh(ys, fading["n_years"], color=STATUS_COLORS["fading"], label=lab["years_present"])
        right.set_yticks(list(ys))
        right.set_yticklabels([shorten(t, 14) for t in fading["label"]])
        right.invert_yaxis()
        for y, (v, yr) in enumerate(zip(fading["n_years"], fading["last_year"], strict=True)):
            right.annotate(
                f"{lab['last']} {yr}",
                (v, y),
                xytext=(4, 0),
                textcoords="offset points",
                va="center",
                fontsize=9,
            )
        right.legend(loc="lower right", frameon=False)
    right.set_xlabel(lab["years_present"])
    right.set_ylabel(lab["term"])
    decorate(fig, lab["rising_fading"], note)
    return fig


# ---------------------------------------------------------------- draw: item flows


def plot_alluvial(flow_list: Sequence[Flow], note: str, lang: str = "zh", max_pairs: int = 8):
    """Alluvial of items between consecutive years: bands by relation, dropped items fade out to the
    right, new and reappeared ones fade in from the left. Shows the last `max_pairs` pairs."""
    lab = labels(lang)
    fig, ax = new_figure()
    pairs = sorted({(f.year_from, f.year_to) for f in flow_list})[-max_pairs:]
    if not pairs:
        _empty(ax, lab)
        decorate(fig, lab["flows"], note)
        return fig
    years = sorted({y for p in pairs for y in p})
    xpos = {y: i for i, y in enumerate(years)}
    node_w, gap = 0.08, 0.0
    heights: dict[int, float] = {y: 0.0 for y in years}
    by_pair = {p: [f for f in flow_list if (f.year_from, f.year_to) == p] for p in pairs}
    for (yf, yt), fl in by_pair.items():
        heights[yf] = max(heights[yf], sum(f.n_from for f in fl))
        heights[yt] = max(heights[yt], sum(f.n_to for f in fl))
    left_order = (*CONTINUING, "dropped")
    right_order = (*CONTINUING, "reappeared", "new")
    t = np.linspace(0, 1, 60)
    ease = (1 - np.cos(np.pi * t)) / 2
    for (yf, yt), fl in by_pair.items():
        x0, x1 = xpos[yf] + node_w / 2, xpos[yt] - node_w / 2
        lbase = {r: 0.0 for r in RELATIONS}
        acc = 0.0
        for r in left_order:
            lbase[r] = acc
            acc += sum(f.n_from for f in fl if f.relation == r) + gap
        rbase = {r: 0.0 for r in RELATIONS}
        acc = 0.0
        for r in right_order:
            rbase[r] = acc
            acc += sum(f.n_to for f in fl if f.relation == r) + gap
        for f in fl:
            color = RELATION_COLORS.get(f.relation, "#999999")
            if f.relation == "dropped":  # a stub leaving the left node and fading out
                _fading_stub(
                    ax,
                    x0,
                    x0 + (x1 - x0) * 0.25,
                    lbase["dropped"],
                    f.n_from,
                    color,
                    fade_right=True,
                )
            elif f.relation in ("new", "reappeared"):  # a stub fading in to the right node
                _fading_stub(
                    ax,
                    x1 - (x1 - x0) * 0.25,
                    x1,
                    rbase[f.relation],
                    f.n_to,
                    color,
                    fade_right=False,
                )
            else:
                xs = x0 + (x1 - x0) * t
                lo = lbase[f.relation] + (rbase[f.relation] - lbase[f.relation]) * ease
                hi = lo + f.n_from + (f.n_to - f.n_from) * ease
                ax.fill_between(xs, lo, hi, color=color, alpha=0.8, lw=0.5, edgecolor="white")
    for y in years:
        ax.bar(xpos[y], heights[y], width=node_w, bottom=0, color="#333333", zorder=3)
        ax.annotate(
            str(int(heights[y])),
            (xpos[y], heights[y]),
            xytext=(0, 4),
            textcoords="offset points",
            ha="center",
            fontsize=10,
        )
    ax.set_xticks(list(xpos.values()))
    ax.set_xticklabels([str(y) for y in years])
    ax.set_xlim(-0.3, len(years) - 0.7)
    ax.set_ylim(0, max(heights.values()) * 1.08 + 1)
    ax.set_xlabel(lab["year"])
    ax.set_ylabel(lab["items"])
    ax.yaxis.get_major_locator().set_params(integer=True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    present = [r for r in RELATIONS if any(f.relation == r for f in flow_list)]
    _legend(ax, _patches(present, RELATION_COLORS, lab, prefix="rel_"), title=lab["relation"])
    decorate(fig, lab["flows"], note)
    return fig


def _fading_stub(ax, xa: float, xb: float, base: float, height: float, color, fade_right: bool):
    """A horizontal band from xa to xb whose opacity falls towards the open end."""
    steps = 10
    edges = np.linspace(xa, xb, steps + 1)
    for i in range(steps):
        frac = (i + 0.5) / steps
        alpha = 0.85 * (1 - frac if fade_right else frac)
        ax.fill_between(edges[i : i + 2], base, base + height, color=color, alpha=alpha, lw=0)


def plot_relation_bars(counts: pd.DataFrame, note: str, lang: str = "zh"):
    """Stacked bars per year of link counts by relation (the year a change arrives)."""
    lab = labels(lang)
    fig, ax = new_figure()
    if counts.empty:
        _empty(ax, lab)
    years = list(counts.index)
    prev = dict(zip(counts.index, counts["from_year"], strict=True)) if not counts.empty else {}
    bottom = np.zeros(len(years))
    present = [r for r in RELATIONS if r in counts.columns and counts[r].sum() > 0]
    for r in present:
        ax.bar(
            range(len(years)),
            counts[r],
            bottom=bottom,
            color=RELATION_COLORS[r],
            label=lab[f"rel_{r}"],
            width=0.8,
        )
        bottom += counts[r].to_numpy()
    # Years are not consecutive (gaps are bridged), so every bar gets its own label.
    ticks = [f"{prev.get(y, '')}→{y}" if len(years) <= 12 else str(y) for y in years]
    ax.set_xticks(range(len(years)))
    ax.set_xticklabels(
        ticks, rotation=0 if len(years) <= 12 else 90, fontsize=10 if len(years) <= 40 else 7
    )
    ax.set_xlabel(lab["year_to"])
    ax.set_ylabel(lab["links"])
    ax.yaxis.get_major_locator().set_params(integer=True)
    _legend(ax, ax.get_legend_handles_labels()[0], title=lab["relation"])
    decorate(fig, lab["flow_bars"], note)
    return fig


def plot_threads(top: pd.DataFrame, doc_years: Sequence[int], note: str, lang: str = "zh"):
    """Gantt-like lanes for the longest-lived threads: a dot per year present."""
    lab = labels(lang)
    fig, ax = new_figure()
    if top.empty:
        _empty(ax, lab)
    for i, row in enumerate(top.itertuples(index=False)):
        ax.hlines(i, row.first_seen, row.last_seen, color="#bbbbbb", lw=2, zorder=1)
        ax.scatter(
            row.years,
            [i] * len(row.years),
            s=50,
            color="#3a6ea5",
            zorder=2,
            label=lab["present"] if i == 0 else None,
        )
        ax.annotate(
            lab["n_years_short"].format(n=row.n_years),
            (row.last_seen, i),
            xytext=(8, 0),
            textcoords="offset points",
            va="center",
            fontsize=9,
            color="#555555",
        )
    ax.set_yticks(range(len(top)))
    ax.set_yticklabels([shorten(t, 20) for t in top["label"]], fontsize=10)
    ax.set_ylim(max(len(top), 1) - 0.5, -0.5)
    lo, hi = _zoom(doc_years, list(top["first_seen"]))
    ax.set_xlim(lo - 0.8, hi + 1.5)
    gap_handles = _shade_missing(ax, [y for y in doc_years if y >= lo], lab)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_xlabel(lab["year"])
    ax.set_ylabel(lab["thread"])
    ax.grid(axis="x", color="#eeeeee")
    _legend(ax, ax.get_legend_handles_labels()[0] + gap_handles)
    decorate(fig, lab["threads"], note)
    return fig


# ---------------------------------------------------------------- export and display

_NAME = re.compile(r"^[0-9a-z_]{1,64}$")


def export(fig, name: str, figures_dir: str | Path) -> tuple[Path, Path]:
    """Write `<name>.png` (EXPORT_DPI, 16:9, no cropping) and `<name>.svg`, atomically.

    Names come from the notebooks, never from document text; the check keeps it that way.
    """
    if not _NAME.match(name):
        raise ValueError(f"figure name must match {_NAME.pattern}: {name!r}")
    out = Path(figures_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = (out / f"{name}.png", out / f"{name}.svg")
    for path, fmt in zip(paths, ("png", "svg"), strict=True):
        with atomic.atomic_path(path, suffix=f".{fmt}") as tmp:
            fig.savefig(tmp, format=fmt, dpi=EXPORT_DPI, metadata=_metadata(fmt))
            tmp.chmod(0o666 & ~_umask())
    return paths


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _metadata(fmt: str) -> dict:
    # Fixed metadata keeps exports byte-stable across runs (no creation date in the file).
    return {"Software": "policytrack"} if fmt == "png" else {"Date": None, "Creator": "policytrack"}


def show(fig, name: str, figures_dir: str | Path | None = None):
    """Export the figure (when figures_dir is set) and display it in the notebook.

    Displayed as PNG plus an <img> with the figure title as alt text, so the HTML export is
    accessible and embeds the image (base64) instead of linking it.
    """
    if figures_dir:
        export(fig, name, figures_dir)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DISPLAY_DPI)
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    title = fig.get_suptitle() or name
    img = f'<img src="data:image/png;base64,{data}" alt="{html.escape(title, quote=True)}" style="max-width:100%">'
    try:
        from IPython.display import display
    except ImportError:  # outside Jupyter: exporting was the point
        return None
    display({"image/png": data, "text/html": img, "text/plain": title}, raw=True)
    return None


def show_html(markup: str) -> None:
    from IPython.display import HTML, display

    display(HTML(markup))
