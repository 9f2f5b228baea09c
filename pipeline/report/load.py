"""The processed tables a notebook reads (`load_tables`), each checked for the columns the charts
use before anything is drawn."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from policytrack.pipeline.core.errors import InputError

# Columns the charts read, per table. Other columns are allowed and ignored.
SCHEMAS: dict[str, tuple[str, ...]] = {
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
    """Read `<data_dir>/processed/<name>.parquet` for each table in `need`, checking columns."""
    data_dir = Path(data_dir)
    tables = Tables(data_dir=data_dir)
    for name in need:
        path = data_dir / "processed" / f"{name}.parquet"
        if not path.is_file():
            raise InputError(path, f"missing; run `policytrack build --data {data_dir}` first")
        try:
            df = pd.read_parquet(path)
        except Exception as err:  # pyarrow raises several types for a damaged file
            raise InputError(path, f"unreadable parquet ({type(err).__name__}: {err})") from err
        missing = [c for c in SCHEMAS[name] if c not in df.columns]
        if missing:
            raise InputError(path, f"missing columns {', '.join(missing)}")
        tables.frames[name] = df
    return tables
