"""Run the corpus-wide lexicon stage on a data dir built by today's build (until the build runs
it itself): commit a new generation whose terms and term_timeline come from the stage's output
(every other table of the current generation carried over as it is).

The lexicon table itself has no `source` column, so `write_tables` (one partition per source)
cannot hold it; the stage's lexicon is returned in the result instead."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from policytrack.pipeline.analysis.lexicon import (
    LexiconResult,
    SourceFrames,
    lexicon_stage,
    source_timeline,
)
from policytrack.pipeline.store.schema import TABLES
from policytrack.pipeline.store.tables import read_table, write_tables


def source_frames(data_dir: Path) -> list[SourceFrames]:
    docs = read_table(data_dir, "documents")
    items = read_table(data_dir, "items")
    return [
        SourceFrames(s, docs[docs["source"] == s], items[items["source"] == s])
        for s in sorted(docs["source"].unique())
    ]


def apply_lexicon(data_dir: Path, watch=(), config=None) -> LexiconResult:
    """The stage over every source of `data_dir`, its tables committed where readers look."""
    frames = source_frames(data_dir)
    result = lexicon_stage(frames, watch, config)
    terms = pd.concat([result.terms[f.source] for f in frames], ignore_index=True)
    timeline = pd.concat(
        [source_timeline(result, f.source, f.documents, watch) for f in frames],
        ignore_index=True,
    )
    tables = {}
    for name in TABLES:
        if name in ("terms", "term_timeline", "lexicon"):
            continue
        df = read_table(Path(data_dir), name, required=False)
        if df is not None:
            tables[name] = df
    write_tables(Path(data_dir), {**tables, "terms": terms, "term_timeline": timeline})
    return result
