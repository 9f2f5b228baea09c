"""The report's front page, index.html: a written summary of the findings for the window (the same
facts as the nightly run summary: analysis/findings.py), the scope and what it leaves out, links
to each notebook (HTML and .ipynb), every figure with its registered title, PNG, SVG and CSV.
Every value shown is escaped."""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from pathlib import Path

from policytrack.pipeline.analysis.findings import Findings, findings
from policytrack.pipeline.core.errors import year_ranges
from policytrack.pipeline.report import registry
from policytrack.pipeline.report.html import scope_note
from policytrack.pipeline.report.labels import labels
from policytrack.pipeline.report.load import Tables
from policytrack.pipeline.report.scope import Scope
from policytrack.pipeline.store.tables import read_table

# Tables the summary reads beside the notebooks' (each optional: a part without its table is left
# out rather than failing the report).
SUMMARY_TABLES = ("terms", "term_timeline", "alignments", "items")
MAX_LISTED = 12  # terms or items named per line of the summary

NOTEBOOK_TITLES = {
    "zh": {"01": "文件概览", "02": "重点提法时间线", "03": "条目流向", "04": "提法扩散"},
    "en": {
        "01": "Corpus overview",
        "02": "Priority timelines",
        "03": "Item flows",
        "04": "Diffusion",
    },
}


def figure_order(figures: Iterable[Path]) -> list[Path]:
    """Registered charts in registry order (notebook, then definition), any others after, by name."""
    order = {c.name: i for i, c in enumerate(registry.charts())}
    return sorted(figures, key=lambda p: (order.get(p.stem, len(order)), p.name))


def index_html(
    scope: Scope,
    watch: Sequence[str],
    stamp: str,
    notebooks: Sequence[str | Path],
    pages: Sequence[str | Path],
    figures: Sequence[str | Path],
    summary: str = "",
) -> str:
    """The report's front page. Every value shown is escaped (source names, series, watch terms);
    `summary` is the findings' HTML (summary_html), already escaped."""
    lang = scope.lang
    lab = labels(lang)
    titles = {c.name: c.title(lang) for c in registry.charts()}
    esc = html.escape
    zh = lang == "zh"
    title = f"policytrack {'报告' if zh else 'report'} {stamp}"
    facts = [
        (lab["source"], scope.source),
        (lab["series"], scope.series),
        (lab["year"], f"{scope.years[0]}–{scope.years[1]}"),
        ("关注提法" if zh else "Watch list", "、".join(watch)),
    ]
    parts = [
        f"<!DOCTYPE html><html lang='{'zh' if zh else 'en'}'><head><meta charset='utf-8'>",
        f"<title>{esc(title)}</title><style>{_INDEX_CSS}</style></head><body>",
        f"<h1>{esc(title)}</h1>",
    ]
    if scope.is_sample:
        parts.append(f"<p class='sample'>{esc(lab['sample'])}</p>")
    parts.append(summary)
    parts.append(scope_note(scope))
    parts.append("<table class='facts'>")
    parts += [f"<tr><th>{esc(k)}</th><td>{esc(str(v))}</td></tr>" for k, v in facts]
    parts.append("</table>")
    parts.append(f"<h2>{'笔记本' if zh else 'Notebooks'}</h2><ul>")
    names = NOTEBOOK_TITLES["zh" if zh else "en"]
    for nb, page in zip(notebooks, pages, strict=True):
        nb_name, page_name = Path(nb).name, Path(page).name
        label = names.get(nb_name[:2], Path(nb_name).stem)
        parts.append(
            f"<li><a href='{esc(page_name, quote=True)}'>{esc(label)}</a> "
            f"(<a href='{esc(nb_name, quote=True)}'>.ipynb</a>)</li>"
        )
    explore = "提法浏览器（单个离线网页）" if zh else "Explorer (one offline page)"
    parts.append(f"<li><a href='explorer.html' id='explorer'>{esc(explore)}</a></li>")
    parts.append(f"</ul><h2>{'图表' if zh else 'Figures'}</h2><div class='grid'>")
    for fig in figures:
        fig = Path(fig)
        png, svg = fig.as_posix(), fig.with_suffix(".svg").as_posix()
        csv = fig.with_suffix(".csv").as_posix()
        caption = titles.get(fig.stem, fig.stem)
        parts.append(
            f"<figure><a href='{esc(png, quote=True)}'><img src='{esc(png, quote=True)}' "
            f"alt='{esc(caption, quote=True)}'></a><figcaption>{esc(caption)} · "
            f"<a href='{esc(png, quote=True)}'>PNG</a> · <a href='{esc(svg, quote=True)}'>SVG</a>"
            f" · <a href='{esc(csv, quote=True)}'>CSV</a></figcaption></figure>"
        )
    parts.append(f"</div><p class='note'>{esc(scope.footnote)}</p></body></html>")
    return "\n".join(parts)


def report_findings(tables: Tables, scope: Scope) -> Findings:
    """The findings of the scope's series in its window (latest version of each year)."""
    frames = {
        name: tables.frames[name]
        if name in tables.frames
        else read_table(tables.data_dir, name, required=False)
        for name in SUMMARY_TABLES
    }
    return findings(
        tables["documents"],
        frames["terms"],
        frames["term_timeline"],
        frames["alignments"],
        frames["items"],
        source=scope.source,
        series=scope.series,
        years=scope.years,
        latest=True,
    )


def summary_html(found: Findings, scope: Scope) -> str:
    """The written summary: new, fading and returning priorities with their years, the items
    that changed most and came back, the documents and the gaps; then a row per document."""
    lab = labels(scope.lang)
    esc = html.escape
    sep = lab["list_sep"]
    docs = [d for d in found.documents]
    lines = []

    def listed(entries: list[str]) -> str:
        more = len(entries) - MAX_LISTED
        text = sep.join(entries[:MAX_LISTED])
        return text + (lab["and_more"].format(n=more) if more > 0 else "")

    new = [lab["term_year"].format(term=t, year=y) for t, y in found.new_terms()]
    lines.append((lab["f_new"], listed(new) or "—"))
    fading = [lab["term_last"].format(term=t, year=y) for t, y in found.fading_terms()]
    last_year = docs[-1].year if docs else scope.years[1]
    lines.append((lab["f_fading"].format(year=last_year), listed(fading) or "—"))
    back = [lab["term_back"].format(term=t, year=y, last=p) for t, y, p in found.returned_terms()]
    lines.append((lab["f_returned"], listed(back) or "—"))
    changed = [_item(c, lab) for c in found.changed_items]
    lines.append((lab["f_changed"], listed(changed) or "—"))
    if found.returned_items:
        lines.append((lab["f_items_back"], listed([_item(c, lab) for c in found.returned_items])))
    if docs:
        latest = docs[-1]
        lines.append(
            (
                lab["f_documents"],
                lab["docs_line"].format(
                    n=len(docs), first=docs[0].year, last=latest.year, title=latest.title
                ),
            )
        )
    gaps = found.gaps.get((scope.source, scope.series), [])
    lines.append((lab["f_gaps"], sep.join(year_ranges(gaps)) or lab["no_gaps"]))
    parts = [f"<section class='findings'><h2>{esc(lab['f_title'])}</h2><ul>"]
    parts += [f"<li><b>{esc(k)}</b>{esc(lab['colon'])}{esc(v)}</li>" for k, v in lines]
    parts.append("</ul>")
    head = ("year", "title", "compared", "f_new", "f_fading_short", "f_returned")
    parts.append(
        "<table class='per-doc'><tr>" + "".join(f"<th>{esc(lab[h])}</th>" for h in head) + "</tr>"
    )
    for d in docs:
        cells = [
            str(d.year),
            d.title,
            f"{d.compared_to}→{d.year}" if d.compared_to is not None else lab["first_doc"],
            listed(d.new_terms),
            listed(d.fading_terms),
            listed([lab["term_last"].format(term=t, year=y) for t, y in d.returned_terms]),
        ]
        parts.append("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in cells) + "</tr>")
    parts.append("</table></section>")
    return "".join(parts)


def _item(c, lab) -> str:
    sim = f"{lab['similarity']} {c.similarity:.0f}" if c.similarity is not None else ""
    rel = lab.get(f"rel_{c.relation}", c.relation)
    heading = (
        c.heading_to if c.heading_from == c.heading_to else f"{c.heading_from} → {c.heading_to}"
    )
    return (
        lab["item_line"]
        .format(pair=f"{c.year_from}→{c.year_to}", heading=heading, relation=rel, sim=sim)
        .replace("，）", "）")
        .replace(", )", ")")
    )


_INDEX_CSS = (
    "body{font-family:sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;color:#222}"
    ".findings li{margin:.3em 0}.per-doc{border-collapse:collapse;font-size:.9em;margin:1em 0}"
    ".per-doc th,.per-doc td{border:1px solid #ddd;padding:3px 6px;text-align:left;"
    "vertical-align:top}.pt-note{background:#fff7e0;padding:.5em 1em}"
    ".sample{background:#b00020;color:#fff;padding:.5em 1em;display:inline-block}"
    ".facts th{text-align:left;padding-right:1em}"
    ".grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(360px,1fr));gap:1em}"
    "figure{margin:0}figure img{width:100%;border:1px solid #ddd}.note{color:#666;font-size:.9em}"
)
