"""`policytrack diff`: two years of a series side by side, changed characters marked."""

from __future__ import annotations

from pathlib import Path

import typer

from policytrack.pipeline.cli import options


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

    from policytrack.pipeline.analysis import diff as d
    from policytrack.pipeline.cli.grid import Grid
    from policytrack.pipeline.core.safe import terminal_text
    from policytrack.pipeline.store import atomic
    from policytrack.pipeline.store.tables import read_arrow

    options.check_level(level)
    # Only this source's partitions and the columns diff uses are read, as pyarrow tables:
    # showing stored links needs no pandas (store/tables.py).
    items = read_arrow(data, "items", d.ITEM_COLUMNS, source=source)
    documents = read_arrow(
        data, "documents", d.DOCUMENT_COLUMNS, optional=d.DOCUMENT_OPTIONAL, source=source
    )
    if documents.num_rows == 0:  # an unknown source: the error lists the sources there are
        documents = read_arrow(data, "documents", ["source", "series", "year"])
    alignments = read_arrow(
        data,
        "alignments",
        d.ALIGNMENT_COLUMNS,
        optional=d.ALIGNMENT_OPTIONAL,
        required=False,
        source=source,
    )
    sentences = (
        read_arrow(data, "sentences", d.SENTENCE_COLUMNS, required=False, source=source)
        if level == "sentence"
        else None
    )
    series, rows, live = d.diff_rows(
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
        a = d.rich_text(r.segments_a)
        b = d.rich_text(r.segments_b)
        if r.path_a:
            a = d.rich_text([("equal", f"{r.path_a}  ")] + r.segments_a)
        if r.path_b:
            b = d.rich_text([("equal", f"{r.path_b}  ")] + r.segments_b)
        table.add_row(Text(r.relation), Text(d.score_text(r)), a, b)
    console.print(Grid(table))  # the same characters, without rich's per-cell pass
    if html is not None:
        atomic.write_text(html, d.to_html(source, series, year_a, year_b, level, rows))
        console.print(Text(f"wrote {html}"))


def register(app: typer.Typer) -> None:
    app.command("diff")(diff_cmd)
