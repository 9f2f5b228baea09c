"""Analysis commands: `diff` (two years side by side), `terms` (term × year matrix), `evaluate`
(links against a gold file). They read DIR/processed/ tables written by `policytrack build`."""

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


def diff_cmd(
    source: str = typer.Argument(..., help="Source name."),
    year_a: int = typer.Argument(..., help="Earlier year."),
    year_b: int = typer.Argument(..., help="Later year."),
    series: str | None = typer.Option(None, "--series", help="Series (when a source has several)."),
    level: str = options.LEVEL,
    html: Path | None = typer.Option(
        None, "--html", help="Also write a redline page to this file."
    ),
    changed_only: bool = typer.Option(False, "--changed-only", help="Hide unchanged pairs."),
    data: Path = options.DATA,
):
    """Print the units of two years side by side: relation, score, changed characters marked."""
    from rich.table import Table

    from policytrack.pipeline.analysis.diff import diff_rows, rich_text, to_html
    from policytrack.pipeline.store import atomic

    items = read_table(data, "items")
    documents = read_table(data, "documents")
    alignments = read_table(data, "alignments", required=False)
    sentences = read_table(data, "sentences", required=False) if level == "sentence" else None
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
        console.print(f"(no stored links {year_a} → {year_b}; aligned these two years directly)")
    counts: dict[str, int] = {}
    for r in rows:
        counts[r.relation] = counts.get(r.relation, 0) + 1
    table = Table(
        title=f"{source} / {series}: {year_a} → {year_b} ({level})",
        caption=", ".join(f"{k} {v}" for k, v in sorted(counts.items())),
        show_lines=True,
    )
    table.add_column("relation")
    table.add_column("score", justify="right")
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
        table.add_row(r.relation, "" if r.score is None else f"{r.score:.1f}", a, b)
    console.print(table)
    if html is not None:
        atomic.write_text(html, to_html(source, series, year_a, year_b, level, rows))
        console.print(f"wrote {html}")


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
        terms = read_table(data, "terms")
        items = read_table(data, "items")
        return terms[terms["source"] == source], items[items["source"] == source]

    timeline = select_terms(
        read_table(data, "documents"),
        read_table(data, "term_timeline"),
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


def evaluate_cmd(
    gold: Path = typer.Option(..., "--gold", help="Gold file (JSON; format in docs/alignment.md)."),
    data: Path = options.DATA,
    csv: bool = typer.Option(False, "--csv", help="Write the scores as CSV to stdout."),
):
    """Precision, recall and F1 of the stored links against a gold file, per year pair and overall."""
    from policytrack.pipeline.analysis.evaluate import evaluate, load_gold

    g = load_gold(gold)
    table = evaluate(
        g, read_table(data, "alignments"), read_table(data, "items"), read_table(data, "documents")
    )
    if csv:
        table.to_csv(sys.stdout, index=False)
        return
    typer.echo(f"{gold}: source {g.source}, level {g.level}")
    typer.echo(
        f"{'pair':<12}{'gold':>6}{'pred':>6}{'ok':>5}{'P':>8}{'R':>8}{'F1':>8}{'new/dropped F1':>16}"
    )
    for r in table.itertuples():
        typer.echo(
            f"{r.pair:<12}{r.gold:>6}{r.predicted:>6}{r.correct:>5}"
            f"{r.precision:>8.3f}{r.recall:>8.3f}{r.f1:>8.3f}{r.side_f1:>16.3f}"
        )


def register(app: typer.Typer) -> None:
    app.command("diff")(diff_cmd)
    app.command("terms")(terms_cmd)
    app.command("evaluate")(evaluate_cmd)
