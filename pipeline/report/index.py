"""The report's front page, index.html: the scope, links to each notebook (HTML and .ipynb), every
figure with its registered title, PNG and SVG. Every value shown is escaped."""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from pathlib import Path

from policytrack.pipeline.report import registry
from policytrack.pipeline.report.labels import labels
from policytrack.pipeline.report.scope import Scope

NOTEBOOK_TITLES = {
    "zh": {"01": "文件概览", "02": "重点提法时间线", "03": "条目流向"},
    "en": {"01": "Corpus overview", "02": "Priority timelines", "03": "Item flows"},
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
) -> str:
    """The report's front page. Every value shown is escaped (source names, series, watch terms)."""
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
    parts.append(f"</ul><h2>{'图表' if zh else 'Figures'}</h2><div class='grid'>")
    for fig in figures:
        fig = Path(fig)
        png, svg = fig.as_posix(), fig.with_suffix(".svg").as_posix()
        caption = titles.get(fig.stem, fig.stem)
        parts.append(
            f"<figure><a href='{esc(png, quote=True)}'><img src='{esc(png, quote=True)}' "
            f"alt='{esc(caption, quote=True)}'></a><figcaption>{esc(caption)} · "
            f"<a href='{esc(png, quote=True)}'>PNG</a> · <a href='{esc(svg, quote=True)}'>SVG</a>"
            "</figcaption></figure>"
        )
    parts.append(f"</div><p class='note'>{esc(scope.footnote)}</p></body></html>")
    return "\n".join(parts)


_INDEX_CSS = (
    "body{font-family:sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;color:#222}"
    ".sample{background:#b00020;color:#fff;padding:.5em 1em;display:inline-block}"
    ".facts th{text-align:left;padding-right:1em}"
    ".grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(360px,1fr));gap:1em}"
    "figure{margin:0}figure img{width:100%;border:1px solid #ddd}.note{color:#666;font-size:.9em}"
)
