"""Run the corpus-wide lexicon stage on a data dir built by today's build (until the build runs
it itself): rewrite processed/{terms,term_timeline,lexicon}.parquet from the stage's output."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from policytrack.pipeline.analysis.lexicon import (
    LexiconResult,
    SourceFrames,
    lexicon_stage,
    source_timeline,
)
from policytrack.pipeline.store.tables import write_table


def source_frames(data_dir: Path) -> list[SourceFrames]:
    processed = Path(data_dir) / "processed"
    docs = pd.read_parquet(processed / "documents.parquet")
    items = pd.read_parquet(processed / "items.parquet")
    return [
        SourceFrames(s, docs[docs["source"] == s], items[items["source"] == s])
        for s in sorted(docs["source"].unique())
    ]


def apply_lexicon(data_dir: Path, watch=(), config=None) -> LexiconResult:
    """The stage over every source of `data_dir`, its tables written where readers look."""
    processed = Path(data_dir) / "processed"
    frames = source_frames(data_dir)
    result = lexicon_stage(frames, watch, config)
    terms = pd.concat([result.terms[f.source] for f in frames], ignore_index=True)
    timeline = pd.concat(
        [source_timeline(result, f.source, f.documents, watch) for f in frames],
        ignore_index=True,
    )
    write_table(terms, processed / "terms.parquet", "terms")
    write_table(timeline, processed / "term_timeline.parquet", "term_timeline")
    write_table(result.lexicon, processed / "lexicon.parquet", "lexicon")
    return result
