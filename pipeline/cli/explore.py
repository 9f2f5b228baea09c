"""`policytrack kwic`, `policytrack diffusion` and `policytrack explore`: contexts, diffusion
across series, and the self-contained explorer page."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from policytrack.pipeline.cli import options


def kwic_cmd(
    term: str = typer.Argument(..., help="The term (its variants are included and marked)."),
    source: str | None = typer.Option(None, "--source", help="Only this source."),
    years: str | None = options.YEARS,
    width: int = typer.Option(30, "--width", "-w", help="Characters either side of the term."),
    variants: bool = typer.Option(
        True, "--variants/--no-variants", help="Include the term's variant group."
    ),
    csv: bool = typer.Option(False, "--csv", help="Write CSV (one row per mention) to stdout."),
    data: Path = options.DATA,
):
    """Every mention of TERM with its year, series, item path and heading, WIDTH characters
    either side, aligned on the term; mentions through a variant are marked (*)."""
    from policytrack.pipeline.analysis.kwic import group_of, kwic, per_year
    from policytrack.pipeline.core.safe import terminal_text
    from policytrack.pipeline.store.tables import read_table

    window = options.parse_years(years)
    documents = read_table(data, "documents")
    items = read_table(data, "items", ["source", "series", "year", "doc_id", "level", "path", "parent_path", "ordinal", "heading", "text"], source=source)  # fmt: skip
    forms: list[str] = []
    if variants:
        timeline = read_table(data, "term_timeline", ["term", "variants"], source=source, required=False)  # fmt: skip
        forms = group_of(timeline.drop_duplicates("term") if timeline is not None else None, term)
    rows = kwic(documents, items, term, variants=forms, source=source, years=window, width=width)
    if csv:
        rows.to_csv(sys.stdout, index=False)
        return
    if rows.empty:
        typer.echo(f"{term}: no mentions")
        return
    for r in rows.itertuples(index=False):
        left = terminal_text(r.left.replace("\n", " ")).rjust(width, "\u3000")
        right = terminal_text(r.right.replace("\n", " "))
        mark = "*" if r.variant else " "
        where = terminal_text(f"{r.year} {r.series} {r.path} {r.heading[:20]}")
        typer.echo(f"{left} 【{terminal_text(r.match)}】{right}{mark}  | {where}")
    counts = per_year(rows)
    summary = ", ".join(f"{r.year}: {r.mentions}" for r in counts.itertuples(index=False))
    typer.echo(f"\n{len(rows)} mentions of {term} ({summary}); * = through a variant")


def diffusion_cmd(
    source: str | None = typer.Option(
        None, "--from", metavar="SERIES", help="Series (or source) the terms come from."
    ),
    target: str | None = typer.Option(
        None, "--to", metavar="SERIES", help="Series (or source) they reach."
    ),
    watch: list[str] | None = options.WATCH,
    show_all: bool = typer.Option(False, "--all", help="Flagged noise terms too."),
    csv: bool = typer.Option(False, "--csv", help="Write CSV to stdout."),
    data: Path = options.DATA,
):
    """For every term present in two or more series: its first year in each, the lag behind
    the series where it came first, and whether it persisted after arriving. With --from and
    --to, one row per term in both (lag = to − from). --watch counts these terms only (counted
    now in the stored text when the lexicon lacks them)."""
    from policytrack.pipeline.analysis import diffusion as dif
    from policytrack.pipeline.analysis.lexicon_count import watch_timeline
    from policytrack.pipeline.core.errors import InputError
    from policytrack.pipeline.store.tables import read_table
    from policytrack.pipeline.text.watch import parse_watch

    if (source is None) != (target is None):
        raise InputError("--from/--to", "give both, or neither")
    documents = read_table(data, "documents")
    timeline = read_table(data, "term_timeline", ["source", "series", "term", "year", "present", "flag"])  # fmt: skip
    wanted = parse_watch(watch, where="--watch")
    if wanted:
        items = read_table(data, "items")
        timeline = watch_timeline(documents, items, timeline, wanted)
    groups = dif.series_groups(documents, [source, target] if source else None)
    table = dif.diffusion(timeline, groups, terms=wanted or None, noise=show_all)
    if source:
        table = dif.pair_table(table, source, target)
    out = table.copy()
    out["absent_after"] = [" ".join(map(str, v)) for v in out["absent_after"]]
    if csv:
        out.to_csv(sys.stdout, index=False)
        return
    console = options.console()
    from rich.table import Table

    shown = Table(show_edge=False, title=f"diffusion: {len(out)} rows")
    for col in out.columns:
        shown.add_column(col, overflow="fold")
    for row in out.itertuples(index=False):
        shown.add_row(*[str(v) for v in row])
    console.print(shown)
    for g in groups:
        console.print(g.describe())
        console.print("  years: " + " ".join(map(str, g.years)))


def explore_cmd(
    out: Path = typer.Option(Path("explorer.html"), "--out", "-o", help="The HTML file to write."),
    per_year: int = typer.Option(
        3, "--contexts", metavar="N", help="Contexts shown per year before 'more'."
    ),
    data: Path = options.DATA,
):
    """Write the explorer: one self-contained HTML page (data embedded, no network) with a
    search over the lexicon, each term's timeline per series, its contexts by year, its
    diffusion row, and each item's thread with the redline between consecutive versions."""
    from policytrack.pipeline.report.explorer import write_explorer

    size = write_explorer(data, out, shown=per_year)
    typer.echo(f"wrote {out} ({size / 1e6:.1f} MB)")


def register(app: typer.Typer) -> None:
    app.command("kwic")(kwic_cmd)
    app.command("diffusion")(diffusion_cmd)
    app.command("explore")(explore_cmd)
