"""The per-source cache a build works in: `processed/sources/<source>/`.

    state.json                     what the files hold: parser/alignment keys, doc ids, failures,
                                   and each table's file, size and row count
    <table>.<key>.parquet          one file per table, named by the key of what made it

Files are immutable: new content gets a new name, and state.json, written last, switches to
it. So a build killed anywhere leaves the old state naming old, whole files (plus new files no
state names, removed by the next build), and a file whose size differs from what the state
recorded was damaged from outside: it is rebuilt from raw with a warning, as is an unreadable
state.json.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from policytrack.pipeline.core.errors import InputError
from policytrack.pipeline.store import atomic, layout
from policytrack.pipeline.store.tables import read_file, write_frames, write_table

if TYPE_CHECKING:
    import pandas as pd

LAYOUT_VERSION = 2  # state.json of the flat layout (no "layout" key) is rebuilt


def fingerprint(*parts) -> str:
    return hashlib.sha256(
        json.dumps(parts, ensure_ascii=False, sort_keys=True).encode()
    ).hexdigest()[:16]


class SourceCache:
    def __init__(self, data_dir: str | Path, source: str):
        self.source = source
        self.dir = Path(data_dir) / "processed" / "sources" / source
        self.state_path = self.dir / "state.json"

    def load_state(self, notes: list[str]) -> dict:
        """The state, {} when there is none; a damaged one is noted and treated as none."""
        try:
            text = self.state_path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        except OSError as err:
            notes.append(f"{self.state_path}: unreadable ({err.strerror}); rebuilding from raw")
            return {}
        try:
            state = json.loads(text)
            if not isinstance(state, dict):
                raise ValueError("not an object")
        except ValueError as err:
            notes.append(
                f"{self.state_path}: damaged ({type(err).__name__}); "
                f"rebuilding {self.source} from raw"
            )
            return {}
        if state.get("layout") != LAYOUT_VERSION:
            return {}  # written by an older version: rebuilt, silently (nothing is wrong)
        return state

    def save_state(self, state: dict) -> None:
        atomic.write_text(self.state_path, json.dumps(state, ensure_ascii=False, indent=1))

    def path(self, state: dict, table: str) -> Path | None:
        entry = state.get("files", {}).get(table)
        return self.dir / entry["file"] if entry else None

    def damaged(self, state: dict, tables) -> str | None:
        """'<file>: <why>' for the first file of `tables` that is missing or damaged (size and
        magic bytes against the state; no table is read), else None."""
        for table in tables:
            entry = state.get("files", {}).get(table)
            if entry is None:
                return f"{self.dir}: no {table} table"
            why = layout.damaged(self.dir / entry["file"], entry["bytes"])
            if why:
                return f"{self.dir / entry['file']}: damaged ({why})"
        return None

    def read(self, state: dict, table: str, columns=None, **how) -> pd.DataFrame:
        """The table's cached file (`how`: read_file's options)."""
        return read_file(self.path(state, table), table, columns, **how)

    def write(self, state: dict, table: str, df: pd.DataFrame, key: str) -> None:
        """Write `df` as `<table>.<key>.parquet` and record it in `state` (not saved yet)."""
        path = self.dir / f"{table}.{key}.parquet"
        self._record(state, table, key, path, write_table(df, path, table))

    def write_parts(self, state: dict, table: str, parts: Iterable[pd.DataFrame], key: str) -> None:
        """write() for a table made in parts, each written as it comes (tables.write_frames)."""
        path = self.dir / f"{table}.{key}.parquet"
        self._record(state, table, key, path, write_frames(parts, path, table))

    def _record(self, state: dict, table: str, key: str, path: Path, rows: int) -> None:
        state.setdefault("files", {})[table] = {
            "file": path.name,
            "key": key,
            "rows": rows,
            "bytes": path.stat().st_size,
        }

    def collect(self, state: dict) -> None:
        """Remove table files the state does not name (left by a killed or older build)."""
        named = {e["file"] for e in state.get("files", {}).values()}
        if not self.dir.is_dir():
            return
        for p in self.dir.glob("*.parquet"):
            if p.name not in named:
                with contextlib.suppress(OSError):
                    p.unlink()

    def partitions(self, state: dict, tables) -> dict[str, tuple[Path, str, int]]:
        """{table: (file, key, rows)} for a commit."""
        out = {}
        for table in tables:
            entry = state.get("files", {}).get(table)
            if entry:
                out[table] = (self.dir / entry["file"], entry["key"], entry["rows"])
        return out


def iter_parsed(
    data_dir: str | Path, sources: list[str], table: str, columns=None
) -> Iterator[tuple[str, pd.DataFrame]]:
    """(source, frame) of a parse table for each source, one source in memory at a time: what
    the corpus-wide stage reads (the tables are not committed yet when it runs)."""
    for source in sources:
        cache = SourceCache(data_dir, source)
        notes: list[str] = []
        state = cache.load_state(notes)
        if cache.path(state, table) is None:
            raise InputError(cache.dir, f"no parsed {table} table (parse the source first)")
        yield source, cache.read(state, table, columns)
