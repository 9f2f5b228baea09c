"""`policytrack evaluate`: precision, recall and F1 of the links against hand-made gold files,
per year pair and overall, the new/dropped units and a confusion of relations; `--folds K`
chooses the thresholds on some pairs and scores the others (held-out figures)."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import typer

from policytrack.pipeline.cli import options
from policytrack.pipeline.store.tables import read_table


def evaluate_cmd(
    gold: Path = typer.Option(
        ...,
        "--gold",
        help="Gold file, or a folder of them (JSON; format in docs/alignment.md).",
    ),
    data: Path = options.DATA,
    folds: int = typer.Option(
        0,
        "--folds",
        help="Held-out figures: deal the pairs into K folds, choose the thresholds on the other "
        "folds and score each fold with them (aligns now; 0 = use the stored links).",
    ),
    realign: bool = typer.Option(
        False, "--realign", help="Align now with the default thresholds, not the stored links."
    ),
    csv: bool = typer.Option(False, "--csv", help="Write the per-pair scores as CSV to stdout."),
):
    """Precision, recall and F1 of the links against gold files, per year pair and overall."""
    import pandas as pd

    from policytrack.pipeline.analysis import tuning
    from policytrack.pipeline.analysis.align import AlignConfig
    from policytrack.pipeline.analysis.evaluate import (
        confusion,
        gold_series,
        load_golds,
        predicted,
        resolve,
        score_resolved,
    )

    golds = load_golds(gold)
    items, documents = read_table(data, "items"), read_table(data, "documents")
    alignments = read_table(data, "alignments", required=False)
    needs_sentences = any(g.level == "sentence" for g in golds)
    sentences = read_table(data, "sentences", required=False) if needs_sentences else None
    cfg = AlignConfig()
    frames = []
    for g in golds:
        series, docs = gold_series(g, documents)
        chosen = []
        if folds:
            prep = tuning.prepare(g, items, documents, sentences, cfg, tune=True)
            result = tuning.cross_validate(prep, cfg, folds)
            resolved, table, pred = prep.resolved, result.table, result.predicted
            chosen = result.chosen
            how = f"held out: {folds} folds, thresholds chosen on the other folds' pairs"
        else:
            resolved = resolve(g, items, docs)
            pred = predicted(alignments, g, series) if alignments is not None else {}
            how = "stored links"
            if realign or not pred:
                prep = tuning.prepare(g, items, documents, sentences, cfg)
                pred = tuning.predict(prep, cfg)
                how = (
                    "aligned now with the defaults"
                    if realign
                    else f"no stored {g.level} links: aligned now with the defaults"
                )
            table = score_resolved(resolved, pred)
        if csv:
            frames.append(table.assign(gold=g.path, source=g.source, series=series, level=g.level))
            continue
        typer.echo(f"{g.path}: source {g.source}, series {series}, level {g.level}; {how}")
        for labels, c, f1 in chosen:
            typer.echo(f"  {', '.join(labels)}: {_thresholds(c)} (F1 {f1:.3f} on the other folds)")
        _print_table(table)
        typer.echo(_note())
        _print_confusion(confusion(resolved, pred))
        typer.echo("")
    if csv:
        pd.concat(frames, ignore_index=True).to_csv(sys.stdout, index=False)


def _thresholds(c) -> str:
    if c.rule == "votes":
        return (
            f"link_share {c.link_share:g}, vote_z {c.vote_z:g}, vote_gap {c.vote_gap:g}, "
            f"vote_floor {c.sim.vote_floor:g}"
        )
    return f"threshold {c.threshold:g}, relative {c.relative:g}"


def _print_table(table) -> None:
    typer.echo(
        f"{'pair':<12}{'gold':>6}{'pred':>6}{'ok':>5}{'P':>8}{'R':>8}{'F1':>8}"
        f"   {'n/d gold':>8}{'pred':>6}{'ok':>5}{'F1':>8}"
    )
    for r in table.itertuples():
        side = "–" if math.isnan(r.side_f1) else f"{r.side_f1:.3f}"
        typer.echo(
            f"{r.pair:<12}{r.gold:>6}{r.predicted:>6}{r.correct:>5}"
            f"{r.precision:>8.3f}{r.recall:>8.3f}{r.f1:>8.3f}"
            f"   {r.side_gold:>8}{r.side_pred:>6}{r.side_correct:>5}{side:>8}"
        )


def _note() -> str:
    from policytrack.pipeline.analysis.evaluate import NEW_DROPPED_NOTE

    return NEW_DROPPED_NOTE


def _print_confusion(conf) -> None:
    typer.echo(
        "relations (links in scope: rows gold, columns predicted; rows new/dropped: the gold's "
        "one-sided units by what the aligner made of them)"
    )
    typer.echo(f"{'':<12}" + "".join(f"{c:>11}" for c in conf.columns))
    for name, row in conf.iterrows():
        typer.echo(f"{name:<12}" + "".join(f"{int(v):>11}" for v in row))


def register(app: typer.Typer) -> None:
    app.command("evaluate")(evaluate_cmd)
