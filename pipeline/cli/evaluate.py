"""`policytrack evaluate`: precision, recall and F1 of the stored links against a gold file."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from policytrack.pipeline.cli import options
from policytrack.pipeline.store.tables import read_table


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
    app.command("evaluate")(evaluate_cmd)
