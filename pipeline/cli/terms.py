"""`policytrack terms`: the term × year matrix with statuses, most important terms first."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from policytrack.pipeline.cli import options

# Status → one cell of the terms matrix.
_MARK = {"new": "new", "persisting": "●", "returned": "returned", "fading": "fading", "absent": "·"}
# Many years: one character per cell so the matrix stays readable.
_SHORT = {"new": "N", "persisting": "●", "returned": "R", "fading": "F", "absent": "·"}
_LEGEND = "N new · ● persisting · R returned · F fading (first year without it) · · absent"
_FLAG = {"emphasis": "†", "one_off": "‡"}
# What the timeline needs of a document: the latest version per year and its length (every
# column with --watch: a watch term the build did not count is counted in its text).
DOC_COLUMNS = ["doc_id", "source", "series", "year", "recorded_at", "n_chars"]
_KEYS = ("source", "series", "term", "canonical", "status", "kinds", "flag")


def terms_cmd(
    source: str = typer.Argument(..., help="Source name."),
    watch: list[str] | None = options.WATCH,
    series: str | None = typer.Option(None, "--series", help="Only this series."),
    years: str | None = options.YEARS,
    variants: bool = typer.Option(
        True, "--variants/--no-variants", help="Group variants under their canonical form."
    ),
    limit: int = typer.Option(
        40, "--limit", "-n", help="Rows of the table (most important first; watch terms always)."
    ),
    show_all: bool = typer.Option(
        False, "--all", help="Every term, flagged noise (emphasis † and one-off ‡ quotes) included."
    ),
    csv: bool = typer.Option(False, "--csv", help="Write CSV (long format) to stdout."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write the CSV to this file."),
    data: Path = options.DATA,
):
    """Print the term × year matrix with statuses, ranked by importance over the window
    (share of documents mentioning the term × mentions per 10,000 characters)."""
    from policytrack.pipeline.analysis.termquery import (
        ranked,
        select_terms,
        status_matrix,
    )
    from policytrack.pipeline.store.tables import read_table
    from policytrack.pipeline.text.watch import parse_watch

    wanted = parse_watch(watch, where="--watch")
    window = options.parse_years(years)
    from policytrack.pipeline.store.schema import TERM_TIMELINE

    # The source's documents, the columns the timeline needs (all sources only to name them
    # in the error for an unknown source).
    doc_cols = None if wanted else DOC_COLUMNS
    documents = read_table(data, "documents", doc_cols, source=source)
    if documents.empty:
        documents = read_table(data, "documents", doc_cols)
    # The table needs no paths (a list column, the slowest to read); the CSV has them all.
    # Keys repeated on every year's row are read as categoricals: decoded and grouped once.
    cols = [c for c in TERM_TIMELINE.names if c != "paths" or csv or output]
    rows = read_table(data, "term_timeline", cols, source=source, dictionary=_KEYS)
    if "paths" not in rows:
        rows["paths"] = [[]] * len(rows)
    timeline = select_terms(
        documents,
        rows,
        source,
        wanted=wanted,
        series=series,
        variants=variants,
        years=window,
        items=lambda: read_table(data, "items", source=source),
        limit=0 if show_all else limit,
        noise=show_all,
    )
    if csv or output:
        _write_csv(timeline, csv, output)
        return
    from rich.table import Table
    from rich.text import Text

    from policytrack.pipeline.core.safe import terminal_text

    # Scraped text (terms, series names) goes to rich as Text, never as markup (`[/x]` would be
    # a MarkupError), and without escape sequences.
    def plain(text: object) -> Text:
        return Text(terminal_text(text))

    console = options.console()
    if timeline.empty:
        console.print(plain(f"{source}: no terms"))
        return

    from policytrack.pipeline.analysis.lexicon_rank import term_importance

    for series_name, g in timeline.groupby("series", sort=True):
        imp = term_importance(g)
        order = ranked(imp, watch=wanted, noise=show_all)
        total = max(len(order), timeline.attrs.get("totals", {}).get(series_name, 0))
        if not show_all and limit > 0:
            order = order[: max(limit, len([t for t in order if t in set(wanted)]))]
        years_ = sorted(g["year"].unique())
        short = len(years_) > 10
        shown = f"{len(order)} of {total} terms" if len(order) < total else f"{total} terms"
        table = Table(
            title=plain(
                f"{source} / {series_name} ({years_[0]}–{years_[-1]}; {shown}"
                + ("; --all for every term)" if len(order) < total else ")")
            ),
            show_edge=False,
            caption=(_LEGEND if short else "") + " · † emphasis quote · ‡ one-off",
        )
        table.add_column("term", overflow="fold", max_width=40)
        matrix = status_matrix(g, order).reindex(columns=years_)
        if short:
            # One column of fixed-width cells: cheap to render, still one slot per year.
            table.add_column(" ".join(f"{y % 100:02d}" for y in years_), no_wrap=True)
            cells = [
                " ".join(f"{_SHORT.get(c, ' ') if isinstance(c, str) else ' ':^2}" for c in row)
                for row in matrix.itertuples(index=False)
            ]
        else:
            for y in years_:
                table.add_column(str(y), justify="center", no_wrap=True)
            cells = [
                [_MARK.get(c, "") if isinstance(c, str) else "" for c in row]
                for row in matrix.itertuples(index=False)
            ]
        table.add_column("importance", justify="right")
        table.add_column("trend", justify="right")
        info = g.drop_duplicates("term").set_index("term")
        imp = imp.set_index("term")
        for term, row in zip(order, cells, strict=True):
            label = term + _FLAG.get(info.at[term, "flag"], "")
            vs = info.at[term, "variants"] if variants else []
            if variants and len(vs) > 1:
                others = [v for v in vs if v != term]
                more = " …" if len(others) > 3 else ""
                label += f" (+{len(others)}: {'、'.join(others[:3])}{more})"
            row = [row] if short else row
            table.add_row(
                plain(label),
                *row,
                f"{imp.at[term, 'importance']:.2f}",
                f"{imp.at[term, 'trend']:+.2f}",
            )
        console.print(table)


def _write_csv(timeline, to_stdout: bool, output: Path | None) -> None:
    """The long rows as CSV (lists joined with ;): no rich, no matrix."""
    from policytrack.pipeline.store import atomic

    out = timeline.copy()
    for col in ("paths", "variants"):
        out[col] = [";".join(map(str, v)) for v in out[col]]
    if output:
        atomic.write_csv(out, output)
        typer.echo(f"wrote {output} ({len(out)} rows)")
    if to_stdout:
        out.to_csv(sys.stdout, index=False)


def register(app: typer.Typer) -> None:
    app.command("terms")(terms_cmd)
