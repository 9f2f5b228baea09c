"""The processed tables a notebook reads (`load_tables`, through store/tables.py), each checked
for the columns the charts cannot do without before anything is drawn."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from policytrack.pipeline.core.errors import InputError
from policytrack.pipeline.store import layout
from policytrack.pipeline.store.tables import processed_dir, read_table, table_path

# Columns the charts cannot do without, per table (their types and meaning: store/schema.py).
# Every other column is kept: the views use some when present (series, level, paths, canonical,
# recorded_at), so tables from older builds still chart.
REQUIRED: dict[str, tuple[str, ...]] = {
    "documents": ("doc_id", "source", "series", "year", "title"),
    "items": ("source", "series", "year", "level", "path", "section_no", "heading", "text"),
    "term_timeline": (
        "source",
        "series",
        "term",
        "canonical",
        "variants",
        "year",
        "present",
        "count",
        "status",
        "paths",
        "emergence",
        "first_year",
        "kinds",
        "flag",
        "watched",
    ),  # fmt: skip
    "alignments": ("source", "year_from", "path_from", "year_to", "path_to", "relation", "score"),
    "threads": ("source", "thread_id", "first_year", "last_year", "years", "label"),
}


@dataclass
class Tables:
    data_dir: Path
    frames: dict[str, pd.DataFrame] = field(default_factory=dict)

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.frames[name]


def later(data_dir: str | Path, name: str) -> Callable[[], pd.DataFrame]:
    """A table read only when (and the first time) it is asked for: the items text the report
    needs only for watch terms the build did not count."""
    return functools.cache(lambda: load_tables(data_dir, need=(name,))[name])


def load_tables(data_dir: str | Path, need: Iterable[str] = ("documents",)) -> Tables:
    """Read each table in `need` (store.tables.read_table: a missing or damaged file is one line
    naming it), checking the columns the charts require."""
    data_dir = Path(data_dir)
    tables = Tables(data_dir=data_dir)
    for name in need:
        df = _read(data_dir, name)
        missing = [c for c in REQUIRED[name] if c not in df.columns]
        if missing:
            raise InputError(table_path(data_dir, name), f"missing columns {', '.join(missing)}")
        tables.frames[name] = df
    return tables


# (data dir, table) → (the build's files of it, the frame read): see keep_tables.
_kept: dict[tuple[str, str], tuple[tuple, pd.DataFrame]] | None = None


def keep_tables(on: bool = True) -> None:
    """Keep each table this process reads, to give the next notebook asking for the same table
    of the same build a copy instead of reading it again. The report's kernels turn it on (one
    kernel runs several notebooks: documents in each, items in 01 and 03, the term timeline in
    02 and 04); off by default, so an interactive kernel holds no tables."""
    global _kept
    _kept = {} if on else None


def _read(data_dir: Path, name: str) -> pd.DataFrame:
    if _kept is None:
        return read_table(data_dir, name)
    version = _version(data_dir, name)
    key = (str(data_dir.resolve()), name)
    hit = _kept.get(key)
    if version is None or hit is None or hit[0] != version:
        hit = (version, read_table(data_dir, name))
        if version is not None:
            _kept[key] = hit
    return hit[1].copy()  # a notebook may change its frames: never the kept one


def _version(data_dir: Path, name: str) -> tuple | None:
    """The committed files of table `name` (generation, and each file's fingerprint, size and
    modification time), or None when that cannot be told (read, and keep nothing)."""
    try:
        gen = layout.current(processed_dir(data_dir), required=False)
        parts = gen.partitions(name) if gen is not None else None
        if not parts:
            return None
        files = tuple(
            (source, str(p.file), p.key, p.bytes, p.file.stat().st_mtime_ns)
            for source, p in sorted(parts.items())
        )
    except (InputError, OSError):
        return None
    return (gen.name, files)
