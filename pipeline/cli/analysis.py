"""Analysis commands: `diff` (two years side by side), `terms` (term × year matrix), `evaluate`
(links against a gold file). They read DIR/processed/ tables written by `policytrack build`."""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from policytrack.pipeline.cli.files import DATA_OPT
from policytrack.pipeline.core.errors import InputError

LEVEL_OPT = typer.Option(
    "item", "--level", help="Alignment level: item|section|paragraph|sentence."
)

# Status → one cell of the terms matrix.
_MARK = {"new": "new", "persisting": "●", "returned": "returned", "fading": "fading", "absent": "·"}
# Many years: one character per cell so the matrix stays readable.
_SHORT = {"new": "N", "persisting": "●", "returned": "R", "fading": "F", "absent": "·"}
_LEGEND = "N new · ● persisting · R returned · F fading · · absent"


def _read(data: Path, name: str, *, required: bool = True):
    import pandas as pd  # lazy: `policytrack --help` should not pay for pandas

    path = data / "processed" / f"{name}.parquet"
    if not path.exists():
        if required:
            raise InputError(path, "not found (run `policytrack build` first)")
        return None
    try:
        return pd.read_parquet(path)
    except Exception as err:  # pyarrow raises several types for damaged files
        raise InputError(path, f"unreadable parquet ({type(err).__name__}: {err})") from None


def _console():
    from rich.console import Console

    # Side-by-side Chinese text needs room; when piped, do not wrap at 80 columns.
    return Console(width=None if sys.stdout.isatty() else 200, highlight=False)


def diff_cmd(
    source: str = typer.Argument(..., help="Source name."),
    year_a: int = typer.Argument(..., help="Earlier year."),
    year_b: int = typer.Argument(..., help="Later year."),
    series: str | None = typer.Option(None, "--series", help="Series (when a source has several)."),
    level: str = LEVEL_OPT,
    html: Path | None = typer.Option(
        None, "--html", help="Also write a redline page to this file."
    ),
    changed_only: bool = typer.Option(False, "--changed-only", help="Hide unchanged pairs."),
    data: Path = DATA_OPT,
):
    """Print the units of two years side by side: relation, score, changed characters marked."""
    from policytrack.pipeline.analysis.diff import diff_rows, rich_text, to_html
    from policytrack.pipeline.store import atomic
    from rich.table import Table

    items = _read(data, "items")
    documents = _read(data, "documents")
    alignments = _read(data, "alignments", required=False)
    sentences = _read(data, "sentences", required=False) if level == "sentence" else None
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
    console = _console()
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
    watch: str | None = typer.Option(
        None,
        "--watch",
        help="Only these terms (comma-separated); counted now if the build did not.",
    ),
    series: str | None = typer.Option(None, "--series", help="Only this series."),
    variants: bool = typer.Option(
        True, "--variants/--no-variants", help="Group variants under their canonical form."
    ),
    top: int = typer.Option(0, "--top", help="Only the N terms with the highest latest emergence."),
    csv: bool = typer.Option(False, "--csv", help="Write CSV (long format) to stdout."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write the CSV to this file."),
    data: Path = DATA_OPT,
):
    """Print the term × year matrix with statuses (new, ●=persisting, returned, fading, ·=absent)."""
    from policytrack.pipeline.analysis.timeline import count_terms, group_timeline, term_timeline
    from policytrack.pipeline.store import atomic

    documents = _read(data, "documents")
    documents = documents[documents["source"] == source]
    if documents.empty:
        raise InputError(source, "no documents for this source (run `policytrack build`)")
    wanted = [t.strip() for t in (watch or "").replace("，", ",").split(",") if t.strip()]
    timeline = _read(data, "term_timeline")
    timeline = timeline[timeline["source"] == source]
    missing = [t for t in wanted if t not in set(timeline["term"])]
    if missing:
        import pandas as pd

        # Terms the build did not watch: count them in the parsed text now, same rule.
        terms = _read(data, "terms")
        terms = terms[terms["source"] == source]
        items = _read(data, "items")
        extra = count_terms(items[items["source"] == source], documents, missing)
        timeline = term_timeline(
            pd.concat([terms, extra], ignore_index=True),
            documents,
            watch=sorted(set(missing) | set(timeline.loc[timeline["watched"], "term"])),
        )
    if series is not None:
        timeline = timeline[timeline["series"] == series]
        if timeline.empty:
            raise InputError(f"{source} / {series}", "no terms for this series")
    if variants:
        timeline = group_timeline(timeline, documents)
    if wanted:
        keep = set(wanted)
        if variants:
            canon = {t: c for t, c in zip(timeline["term"], timeline["canonical"], strict=True)}
            keep |= {canon.get(t, t) for t in wanted}
            for vs in timeline["variants"]:
                if keep & set(vs):
                    keep |= set(vs)
        timeline = timeline[timeline["term"].isin(keep) | timeline["canonical"].isin(keep)]
    if top > 0 and not timeline.empty:
        last = timeline[timeline["year"] == timeline.groupby("series")["year"].transform("max")]
        best = last.sort_values("emergence", ascending=False).head(top)
        timeline = timeline[timeline["term"].isin(set(best["term"]))]
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
    console = _console()
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
        order = g.groupby("term").agg(first=("first_year", "max"), total=("count", "sum"))
        order = order.assign(first=order["first"].replace(0, 9999))
        for term in order.sort_values(["first", "total"], ascending=[True, False]).index:
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
    data: Path = DATA_OPT,
    csv: bool = typer.Option(False, "--csv", help="Write the scores as CSV to stdout."),
):
    """Precision, recall and F1 of the stored links against a gold file, per year pair and overall."""
    from policytrack.pipeline.analysis.evaluate import evaluate, load_gold

    g = load_gold(gold)
    table = evaluate(g, _read(data, "alignments"), _read(data, "items"), _read(data, "documents"))
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
