"""`policytrack diff`: two years of a series side by side, changed characters marked."""

from __future__ import annotations

from pathlib import Path

import typer

from policytrack.pipeline.cli import options
from policytrack.pipeline.store.tables import read_table


def diff_cmd(
    source: str = typer.Argument(..., help="Source name.", metavar="SOURCE"),
    year_a: int = typer.Argument(..., help="Earlier year.", metavar="YEAR_A"),
    year_b: int = typer.Argument(..., help="Later year.", metavar="YEAR_B"),
    series: str | None = typer.Option(
        None, "--series", metavar="NAME", help="Series (when a source has several)."
    ),
    level: str = options.LEVEL,
    html: Path | None = typer.Option(
        None, "--html", metavar="FILE", help="Also write a redline page to this file."
    ),
    changed_only: bool = typer.Option(False, "--changed-only", help="Hide unchanged pairs."),
    data: Path = options.DATA,
):
    """Print the units of two years side by side: relation, similarity, changed characters marked.

    Similarity is 0–100 (how alike the two texts are); the score beside it is the aligner's
    standardised score: how far the pair stands above unrelated pairs of the two documents.
    """
    from rich.table import Table
    from rich.text import Text

    from policytrack.pipeline.analysis.diff import diff_rows, rich_text, score_text, to_html
    from policytrack.pipeline.core.safe import terminal_text
    from policytrack.pipeline.store import atomic

    options.check_level(level)
    # Only this source's partitions are read (store/tables.py).
    items = read_table(data, "items", source=source)
    documents = read_table(data, "documents")  # every source's: an unknown one names the others
    alignments = read_table(data, "alignments", required=False, source=source)
    sentences = (
        read_table(data, "sentences", required=False, source=source)
        if level == "sentence"
        else None
    )
    series, rows, live = diff_rows(
        alignments,
        items,
        documents,
        source,
        year_a,
        year_b,
        series=series,
        level=level,
        sentences=sentences,
    )
    console = options.console()
    if live:
        console.print(
            Text(f"(no stored links {year_a} → {year_b}; aligned these two years directly)")
        )
    counts: dict[str, int] = {}
    for r in rows:
        counts[r.relation] = counts.get(r.relation, 0) + 1
    summary = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
    # Text objects, not markup: a series or source name with [/x] in it prints as written.
    table = Table(
        title=Text(terminal_text(f"{source} / {series}: {year_a} → {year_b} ({level})")),
        caption=Text(
            f"{summary}\nsimilarity: 0–100, how alike the two texts are; score: how far the pair "
            "stands above unrelated pairs of the two documents (standardised)"
        ),
        show_lines=True,
    )
    table.add_column("relation")
    table.add_column("similarity · score", justify="right")
    table.add_column(str(year_a), overflow="fold", ratio=1)
    table.add_column(str(year_b), overflow="fold", ratio=1)
    for r in rows:
        if changed_only and r.relation == "unchanged":
            continue
        a = rich_text(r.segments_a)
        b = rich_text(r.segments_b)
        if r.path_a:
            a = rich_text([("equal", f"{r.path_a}  ")] + r.segments_a)
        if r.path_b:
            b = rich_text([("equal", f"{r.path_b}  ")] + r.segments_b)
        table.add_row(Text(r.relation), Text(score_text(r)), a, b)
    console.print(table)
    if html is not None:
        atomic.write_text(html, to_html(source, series, year_a, year_b, level, rows))
        console.print(Text(f"wrote {html}"))


def register(app: typer.Typer) -> None:
    app.command("diff")(diff_cmd)
