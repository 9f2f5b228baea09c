"""`policytrack terms`: the term × year matrix with statuses."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from policytrack.pipeline.cli import options
from policytrack.pipeline.store.tables import read_table
from policytrack.pipeline.text.watch import parse_watch

# Status → one cell of the terms matrix.
_MARK = {"new": "new", "persisting": "●", "returned": "returned", "fading": "fading", "absent": "·"}
# Many years: one character per cell so the matrix stays readable.
_SHORT = {"new": "N", "persisting": "●", "returned": "R", "fading": "F", "absent": "·"}
_LEGEND = "N new · ● persisting · R returned · F fading · · absent"


def terms_cmd(
    source: str = typer.Argument(..., help="Source name."),
    watch: list[str] | None = options.WATCH,
    series: str | None = typer.Option(None, "--series", help="Only this series."),
    variants: bool = typer.Option(
        True, "--variants/--no-variants", help="Group variants under their canonical form."
    ),
    top: int = typer.Option(0, "--top", help="Only the N terms with the highest latest emergence."),
    csv: bool = typer.Option(False, "--csv", help="Write CSV (long format) to stdout."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write the CSV to this file."),
    data: Path = options.DATA,
):
    """Print the term × year matrix with statuses (new, ●=persisting, returned, fading, ·=absent)."""
    from policytrack.pipeline.analysis.termquery import select_terms, term_order
    from policytrack.pipeline.store import atomic

    def parsed():
        terms = read_table(data, "terms", source=source)
        items = read_table(data, "items", source=source)
        return terms[terms["source"] == source], items[items["source"] == source]

    timeline = select_terms(
        read_table(data, "documents", source=source),
        read_table(data, "term_timeline", source=source),
        source,
        wanted=parse_watch(watch, where="--watch"),
        series=series,
        variants=variants,
        top=top,
        parsed=parsed,
    )
    if csv or output:
        out = timeline.copy()
        for col in ("paths", "variants"):
            out[col] = out[col].map(lambda v: ";".join(map(str, v)))
        if output:
            atomic.write_csv(out, output)
            typer.echo(f"wrote {output} ({len(out)} rows)")
        if csv:
            out.to_csv(sys.stdout, index=False)
        return
    console = options.console()
    if timeline.empty:
        console.print(f"{source}: no terms")
        return
    from rich.table import Table

    for series_name, g in timeline.groupby("series", sort=True):
        years = sorted(g["year"].unique())
        short = len(years) > 10
        marks = _SHORT if short else _MARK
        table = Table(
            title=f"{source} / {series_name}",
            show_edge=False,
            caption=_LEGEND if short else None,
            padding=(0, 0) if short else (0, 1),
        )
        table.add_column("term", overflow="fold", max_width=40)
        for y in years:
            table.add_column(f"{y % 100:02d}" if short else str(y), justify="center", no_wrap=True)
        table.add_column("emergence", justify="right")
        for term in term_order(g):
            rows = g[g["term"] == term].set_index("year")
            cells = [
                marks.get(rows.at[y, "status"], rows.at[y, "status"]) if y in rows.index else ""
                for y in years
            ]
            label = term
            vs = rows["variants"].iloc[0] if variants else []
            if variants and len(vs) > 1:
                label = f"{term} (+{len(vs) - 1}: {'、'.join(v for v in vs if v != term)})"
            table.add_row(
                label,
                *cells,
                f"{rows.loc[years[-1], 'emergence']:.2f}" if years[-1] in rows.index else "",
            )
        console.print(table)


def register(app: typer.Typer) -> None:
    app.command("terms")(terms_cmd)
