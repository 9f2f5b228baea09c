"""Every HTML fragment the notebooks show: tables (gaps, documents, watch lanes, terms, relation
counts, threads) and the side-by-side redline of a thread. Document text is untrusted: every header
and cell, every piece of a redline goes through `html.escape`."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

import numpy as np
import pandas as pd

from policytrack.pipeline.analysis import redline
from policytrack.pipeline.report.labels import headers, labels
from policytrack.pipeline.report.scope import Scope
from policytrack.pipeline.report.views import Lane, Version, documents_table


def scope_note(scope: Scope) -> str:
    """What the page leaves out: the source's other series, each with the command that shows it
    (empty when the source has one series)."""
    if not scope.other_series:
        return ""
    lab = labels(scope.lang)
    others = lab["list_sep"].join(
        lab["series_years"].format(series=name, n=n) for name, n in scope.other_series
    )
    command = f"policytrack report --source {scope.source} --series {scope.other_series[0][0]}"
    text = lab["other_series"].format(source=scope.source, series=scope.series, others=others)
    return f"<p class='pt-note'>{escape(text)} <code>{escape(command)}</code></p>"


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
                "stops": list(lane.stops),
            }
            for lane in lanes
        ],
        columns=["label", "first_year", "last_year", "years", "statuses", "total", "stops"],
    )
    return html_table(rows, headers(lang))


def terms_html(rising: pd.DataFrame, falling: pd.DataFrame, lang: str) -> str:
    """The rising terms, then the falling ones: one table each."""
    return html_table(rising, headers(lang)) + html_table(falling, headers(lang))


def relation_counts_html(counts: pd.DataFrame, lang: str) -> str:
    """Link counts per year and relation, the year as the first column."""
    return html_table(counts.reset_index(), headers(lang))


def threads_html(top: pd.DataFrame, lang: str) -> str:
    return html_table(top, headers(lang))


def html_table(df: pd.DataFrame, headers: dict[str, str] | None = None) -> str:
    """A plain HTML table; every header and cell is escaped (document text is untrusted)."""
    headers = headers or {}
    head = "".join(f"<th>{escape(str(headers.get(c, c)))}</th>" for c in df.columns)
    body = []
    for row in df.itertuples(index=False):
        cells = "".join(f"<td>{escape(_cell(v))}</td>" for v in row)
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
    """Character redline (analysis.redline, the one the terminal diff uses): (old with <del>
    marks, new with <ins> marks), each piece escaped."""
    marked_old, marked_new = redline.mark(old, new)
    return redline.to_html(marked_old), redline.to_html(marked_new)


def score_text(version: Version, lab: dict[str, str]) -> str:
    """`相似度 87 · 标准分 4.90`: the texts' similarity (0–100) first, the aligner's standardised
    score (how far the pair stands above unrelated pairs) beside it; either may be missing."""
    parts = []
    if version.similarity is not None:
        parts.append(f"{lab['similarity']} {version.similarity:.0f}")
    if version.score is not None:
        parts.append(f"{lab['std_score']} {version.score:.2f}")
    return escape(" · ".join(parts))


def redline_html(versions: Sequence[Version], lang: str = "zh") -> str:
    """Side-by-side redline of consecutive versions of one thread (escaped HTML)."""
    lab = labels(lang)
    if len(versions) < 2:
        return f"<p>{escape(lab['no_data'])}</p>"
    rows = []
    for old, new in zip(versions, versions[1:], strict=False):
        left, right = redline_pair(old.text, new.text)
        meta = f"{escape(lab.get(f'rel_{new.relation}', new.relation))}<br>{score_text(new, lab)}"
        rows.append(
            f"<tr><th colspan='3'>{old.year} ({escape(old.path)}) → {new.year} "
            f"({escape(new.path)})</th></tr>"
            f"<tr><td>{left}</td><td class='pt-meta'>{meta}</td><td>{right}</td></tr>"
        )
    head = (
        f"<tr><th>{lab['year']} A</th><th class='pt-meta'>{lab['relation']} / {lab['similarity']}</th>"
        f"<th>{lab['year']} B</th></tr>"
    )
    return f"{REDLINE_CSS}<table class='pt-redline'>{head}{''.join(rows)}</table>"
