"""What a notebook shows: one source and series, a year window, a label language (`Scope`,
`choose_scope`), the footnote every figure carries, and the row filters for a scope or window."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import pandas as pd

from policytrack.pipeline.analysis.corpus import latest_versions
from policytrack.pipeline.core.errors import PolicytrackError, year_ranges
from policytrack.pipeline.report.labels import check_lang, labels
from policytrack.pipeline.text.watch import default_watch, parse_watch

SAMPLE_SOURCES = frozenset({"sample", "demo"})  # fictional data shipped for the demo


class ChartError(PolicytrackError):
    """A chart cannot be made from the data given (unknown source, nothing in the year range)."""


def resolve_watch(watch: str | Sequence[str] | None) -> list[str]:
    """The watch terms a report shows: those given (in any form text.watch.parse_watch accepts:
    a list, a JSON list, a comma/、-separated string), else the default list."""
    return parse_watch(watch) or default_watch()


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
    # The source's other series, not shown: (series, years with a document), most years first.
    other_series: tuple[tuple[str, int], ...] = ()


def choose_scope(
    documents: pd.DataFrame,
    source: str | None = None,
    series: str | None = None,
    years: Sequence[int] | None = None,
    lang: str = "zh",
    today: date | None = None,
) -> Scope:
    """Resolve defaults: the source with most documents, its series with most years, all years."""
    check_lang(lang)
    if documents.empty:
        raise ChartError("documents.parquet has no rows: nothing to chart")
    sources = documents["source"].value_counts()
    source = _pick(sources, source, f"source {source!r} not in the data")
    docs = documents[documents["source"] == source]
    per_series = docs.groupby("series")["year"].nunique()
    series = _pick(per_series, series, f"series {series!r} not in source {source!r}")
    others = tuple(
        (str(name), int(per_series[name]))
        for name in sorted(per_series.index, key=lambda k: (-per_series[k], k))
        if name != series
    )
    docs = docs[docs["series"] == series]
    window = year_window(docs["year"], years)
    docs = docs[docs["year"].between(*window)]
    if docs.empty:
        have = ", ".join(
            year_ranges(sorted({int(y) for y in documents_years(documents, source, series)}))
        )
        raise ChartError(
            f"source {source!r} has no documents in {window[0]}–{window[1]}; years available: {have}"
        )
    return Scope(
        source=source,
        series=series,
        years=window,
        lang=lang,
        doc_years=tuple(sorted(int(y) for y in docs["year"].unique())),
        doc_ids=tuple(latest_versions(docs)["doc_id"]),
        is_sample=source in SAMPLE_SOURCES,
        footnote=footnote(docs, lang, today=today),
        other_series=others,
    )


def documents_years(documents: pd.DataFrame, source: str, series: str) -> list[int]:
    rows = documents[(documents["source"] == source) & (documents["series"] == series)]
    return [int(y) for y in rows["year"]]


def _pick(counts: pd.Series, wanted: str | None, unknown: str) -> str:
    """`wanted` when counted (else ChartError: `unknown` and what is available); None: the one
    with the largest count, the name breaking ties so the choice is stable."""
    if wanted is None:
        return sorted(counts.index, key=lambda k: (-counts[k], k))[0]
    if wanted not in counts.index:
        raise ChartError(f"{unknown}; available: {', '.join(sorted(counts.index))}")
    return wanted


def year_window(all_years: pd.Series, years: Sequence[int] | None) -> tuple[int, int]:
    """The inclusive (first, last) window: `years` when given (checked), else the span of
    `all_years`."""
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
    return df[df["year"].between(*year_window(df["year"], years))]


def in_scope(df: pd.DataFrame, scope: Scope, year_col: str = "year") -> pd.DataFrame:
    """Rows of the scope's source, series and years; rows of superseded document versions are
    dropped when the table has a doc_id."""
    out = df[df["source"] == scope.source]
    if "series" in out.columns:
        out = out[out["series"] == scope.series]
    if "doc_id" in out.columns:
        out = out[out["doc_id"].isin(scope.doc_ids)]
    return out[out[year_col].between(*scope.years)]
