"""Reading and writing processed tables: the one way, with the schema's columns and types.

`read_table` names the file and the reason on any failure (missing, damaged, wrong columns) in one
line; `write_table` conforms a frame to its schema and writes it atomically.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from policytrack.pipeline.core.errors import InputError
from policytrack.pipeline.store import atomic
from policytrack.pipeline.store.schema import conform, empty, table

if TYPE_CHECKING:
    import pandas as pd


def table_path(data_dir: str | Path, name: str) -> Path:
    table(name)  # unknown names fail here, not as a confusing missing file
    return Path(data_dir) / "processed" / f"{name}.parquet"


def read_table(
    data_dir: str | Path,
    name: str,
    columns: Sequence[str] | None = None,
    *,
    required: bool = True,
) -> pd.DataFrame | None:
    """`DATA/processed/<name>.parquet`: only `columns` when given (each must be there), else
    every column the file has.

    A missing file raises InputError naming it and the command that makes it (or returns None
    when not `required`); an empty table written without columns reads as a typed empty frame.
    """
    import pandas as pd

    path = table_path(data_dir, name)
    if not path.is_file():
        if not required:
            return None
        raise InputError(path, f"missing; run `policytrack build --data {data_dir}` first")
    try:
        df = pd.read_parquet(path)
    except Exception as err:  # pyarrow raises several types for a damaged file
        raise InputError(path, f"unreadable parquet ({type(err).__name__}: {err})") from None
    if df.empty and not len(df.columns):
        df = empty(name)
    if columns is None:
        return df
    wanted = list(columns)
    missing = [c for c in wanted if c not in df.columns]
    if missing:
        raise InputError(path, f"missing columns {', '.join(missing)} (rebuild with this version)")
    return df[wanted]


def write_table(df: pd.DataFrame, path: str | Path, name: str) -> int:
    """Conform `df` to table `name` and write it atomically; returns the row count."""
    out = conform(df, name)
    atomic.write_parquet(out, path)
    return len(out)
