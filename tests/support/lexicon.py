"""The lexicon stage's output of a built data dir, as tests read it: the `lexicon` table and the
stage's statistics (processed/corpus/state.json, written by pipeline/jobs/corpus.py)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from policytrack.pipeline.jobs.corpus import load_state
from policytrack.pipeline.store.tables import read_table


@dataclass
class BuiltLexicon:
    lexicon: pd.DataFrame
    stats: dict[str, float]


def built_lexicon(data_dir: Path) -> BuiltLexicon:
    return BuiltLexicon(
        read_table(data_dir, "lexicon"), load_state(Path(data_dir)).get("stats", {})
    )
