"""The processed tables a notebook reads (`load_tables`, through store/tables.py), each checked
for the columns the charts cannot do without before anything is drawn."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from policytrack.pipeline.core.errors import InputError
from policytrack.pipeline.store.tables import read_table, table_path

# Columns the charts cannot do without, per table (their types and meaning: store/schema.py).
# Every other column is kept: the views use some when present (series, level, paths, canonical,
# recorded_at), so tables from older builds still chart.
REQUIRED: dict[str, tuple[str, ...]] = {
    "documents": ("doc_id", "source", "series", "year", "title"),
    "items": ("source", "series", "year", "level", "path", "section_no", "heading", "text"),
    "term_timeline": ("source", "term", "year", "present", "count", "status", "emergence"),
    "alignments": ("source", "year_from", "path_from", "year_to", "path_to", "relation", "score"),
    "threads": ("source", "thread_id", "first_year", "last_year", "years", "label"),
}


@dataclass
class Tables:
    data_dir: Path
    frames: dict[str, pd.DataFrame] = field(default_factory=dict)

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.frames[name]


def load_tables(data_dir: str | Path, need: Iterable[str] = ("documents",)) -> Tables:
    """Read each table in `need` (store.tables.read_table: a missing or damaged file is one line
    naming it), checking the columns the charts require."""
    data_dir = Path(data_dir)
    tables = Tables(data_dir=data_dir)
    for name in need:
        df = read_table(data_dir, name)
        missing = [c for c in REQUIRED[name] if c not in df.columns]
        if missing:
            raise InputError(table_path(data_dir, name), f"missing columns {', '.join(missing)}")
        tables.frames[name] = df
    return tables
