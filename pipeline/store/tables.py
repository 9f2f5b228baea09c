"""Reading and writing processed tables: the one way, with the schema's columns and types.

Tables live as one parquet file per source in the committed generation (store/layout.py).
`read_table` opens only the partitions (`source=`) and columns (`columns=`) asked for and pushes
row filters (`series=`, `filters=`) into the parquet scan, so a query about one source costs that
source, not the corpus. Every failure (no build, unfinished or mixed tables, a damaged file,
missing columns) is one line naming the file and the reason.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from policytrack.pipeline.core.errors import InputError
from policytrack.pipeline.store import atomic, layout
from policytrack.pipeline.store.rawstore import check_data_dir
from policytrack.pipeline.store.schema import arrow_schema, conform, empty, table

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa


def processed_dir(data_dir: str | Path) -> Path:
    return Path(data_dir) / "processed"


def table_path(data_dir: str | Path, name: str) -> Path:
    """The folder of table `name` in the current generation (where it would be without one)."""
    table(name)  # unknown names fail here, not as a confusing missing file
    processed = processed_dir(data_dir)
    try:
        gen = layout.current(processed, required=False)
    except InputError:
        gen = None
    return (gen.path if gen else processed) / name


def _sources(source: str | Sequence[str] | None) -> set[str] | None:
    if source is None:
        return None
    return {source} if isinstance(source, str) else set(source)


def _expression(series: str | Sequence[str] | None, filters):
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    expr = None
    if filters is not None:
        expr = filters if isinstance(filters, pc.Expression) else pq.filters_to_expression(filters)
    if series is not None:
        wanted = [series] if isinstance(series, str) else list(series)
        cond = pc.field("series").isin(wanted)
        expr = cond if expr is None else expr & cond
    return expr


def _partitions(data_dir, name, source, required):
    """(generation, [partition, …]) in source order, each checked against the commit."""
    processed = processed_dir(check_data_dir(Path(data_dir)))
    table(name)
    gen = layout.current(processed, required=required)
    if gen is None:
        return None, None
    parts = gen.partitions(name)
    if parts is None:
        if not required:
            return gen, None
        raise InputError(gen.path / name, f"missing; {layout.rebuild_hint(processed)} first")
    wanted = _sources(source)
    chosen = [parts[s] for s in sorted(parts) if wanted is None or s in wanted]
    for p in chosen:
        p.check(gen.name, processed)
    return gen, chosen


def _restore(df: pd.DataFrame, name: str) -> pd.DataFrame:
    """Nullable text columns as object with None (as the writers conform them)."""
    t = table(name)
    for col in df.columns:
        if col in t.names and t.column(col).dtype == "str?":
            df[col] = df[col].astype(object).where(df[col].notna(), None)
    return df


def _scan(gen, parts, name, columns, expr, dictionary=()) -> pd.DataFrame:
    import pyarrow.dataset as ds

    files = [str(p.file) for p in parts]
    where = parts[0].file if len(parts) == 1 else gen.path / name
    fmt = ds.ParquetFileFormat(dictionary_columns=list(dictionary)) if dictionary else "parquet"
    try:
        dataset = ds.dataset(files, format=fmt)
        have = dataset.schema.names
        if columns is not None:
            missing = [c for c in columns if c not in have]
            if missing:
                raise InputError(
                    where, f"missing columns {', '.join(missing)} (rebuild with this version)"
                )
        # A filtered scan keeps few rows: reading ahead only holds more decoded batches.
        ahead = {"batch_readahead": 1, "fragment_readahead": 1} if expr is not None else {}
        frame = dataset.to_table(columns=list(columns) if columns else None, filter=expr, **ahead)
        return _restore(frame.to_pandas(), name)
    except (InputError, FileNotFoundError):
        raise
    except Exception as err:  # pyarrow raises several types for a damaged file
        text = (str(err).strip().splitlines() or [""])[0]
        raise InputError(where, f"unreadable parquet ({type(err).__name__}: {text})") from None


def read_table(
    data_dir: str | Path,
    name: str,
    columns: Sequence[str] | None = None,
    *,
    source: str | Sequence[str] | None = None,
    series: str | Sequence[str] | None = None,
    filters=None,
    required: bool = True,
    dictionary: Sequence[str] = (),
) -> pd.DataFrame | None:
    """Table `name` of the current build as one frame.

    - `columns`: only these (each must exist), else every column;
    - `source`: a source name or names: only their partitions are opened;
    - `series`: a series key or keys; `filters`: a pyarrow expression or DNF tuples
      (`[("year", ">=", 2018)]`), applied while scanning;
    - `dictionary`: text columns to read as pandas categoricals (keys repeated on many rows,
      such as a timeline's terms: decoded once, grouped by code).

    No build yet, or no such table, raises InputError naming it and the command that makes it
    (or returns None when not `required`).
    """

    def scan(gen, parts):
        if not parts:
            frame = empty(name)
            return frame[list(columns)] if columns is not None else frame
        return _scan(gen, parts, name, columns, _expression(series, filters), dictionary)

    return _read_current(data_dir, name, source, required, scan)


def _read_current(data_dir, name, source, required, read):
    """read(generation, partitions) on the current generation's partitions of `name`; None when
    the table is absent and not `required`."""
    for attempt in (1, 2):
        gen, parts = _partitions(data_dir, name, source, required)
        if parts is None:
            return None
        try:
            return read(gen, parts)
        except FileNotFoundError:
            # A newer build committed and removed this generation while we read: once more.
            if attempt == 2:
                raise InputError(
                    gen.path / name, "removed while reading (a build is committing); try again"
                ) from None
    raise AssertionError("unreachable")


def read_arrow(
    data_dir: str | Path,
    name: str,
    columns: Sequence[str] | None = None,
    *,
    optional: Sequence[str] = (),
    source: str | Sequence[str] | None = None,
    series: str | Sequence[str] | None = None,
    required: bool = True,
) -> pa.Table | None:
    """read_table's rows as a pyarrow Table, for commands that must start fast: each partition
    file is read with pyarrow.parquet's file reader alone (pyarrow.dataset imports pandas, and
    to_pandas is not called). `optional`: more columns, read when the files have them. `series`:
    row groups whose statistics hold only other series are skipped, then the rows of other
    series dropped. The same partitions, checks and one-line errors as read_table.
    """
    wanted = _sources(series)
    return _read_current(
        data_dir,
        name,
        source,
        required,
        lambda gen, parts: _read_files(gen, parts, name, columns, optional, wanted),
    )


def _read_files(gen, parts, name, columns, optional, series) -> pa.Table:
    import pyarrow as pa
    import pyarrow.parquet as pq

    if not parts:
        schema = arrow_schema(name)
        names = [*(columns or schema.names), *(c for c in optional if c in schema.names)]
        return schema.empty_table().select(list(dict.fromkeys(names)))
    where = parts[0].file if len(parts) == 1 else gen.path / name
    pieces = []
    try:
        for part in parts:
            with pq.ParquetFile(part.file) as pf:
                have = pf.schema_arrow.names
                wanted = list(columns) if columns is not None else list(have)
                missing = [c for c in wanted if c not in have]
                if missing:
                    raise InputError(
                        where, f"missing columns {', '.join(missing)} (rebuild with this version)"
                    )
                wanted += [c for c in optional if c in have and c not in wanted]
                read = wanted + ["series"] if series and "series" not in wanted else wanted
                groups = _row_groups(pf, series)
                tbl = pf.read_row_groups(groups, columns=read) if groups else None
                if tbl is None:
                    tbl = pf.schema_arrow.empty_table().select(read)
            if series:
                tbl = select_rows(tbl, "series", series).select(wanted)
            pieces.append(tbl)
        return (
            pieces[0] if len(pieces) == 1 else pa.concat_tables(pieces, promote_options="default")
        )
    except (InputError, FileNotFoundError):
        raise
    except Exception as err:  # pyarrow raises several types for a damaged file
        text = (str(err).strip().splitlines() or [""])[0]
        raise InputError(where, f"unreadable parquet ({type(err).__name__}: {text})") from None


def _row_groups(pf, series: set[str] | None) -> list[int]:
    """Row groups of an open ParquetFile that may hold rows of `series` (all when None)."""
    meta = pf.metadata
    groups = list(range(meta.num_row_groups))
    if not series or "series" not in pf.schema_arrow.names:
        return groups
    at = pf.schema_arrow.names.index("series")
    keep = []
    for g in groups:
        stats = meta.row_group(g).column(at).statistics
        only = stats.min if stats is not None and stats.has_min_max else None
        if only is None or only != stats.max or only in series:
            keep.append(g)
    return keep


def select_rows(tbl: pa.Table, column: str, values) -> pa.Table:
    """The rows of `tbl` whose `column` is in `values`, in order, without pyarrow.compute (a
    slice per run of kept rows: rows of one document or series lie together)."""
    import pyarrow as pa

    keep = [v in values for v in tbl.column(column).to_pylist()]
    runs, start = [], None
    for i, k in enumerate([*keep, False]):
        if k and start is None:
            start = i
        elif not k and start is not None:
            runs.append(tbl.slice(start, i - start))
            start = None
    if len(runs) == 1:
        return runs[0]
    return pa.concat_tables(runs) if runs else tbl.slice(0, 0)


def iter_table(
    data_dir: str | Path, name: str, columns: Sequence[str] | None = None, **where
) -> Iterator[tuple[str, pd.DataFrame]]:
    """(source, frame) one source at a time: memory bounded by the largest source. `where`:
    read_table's `source`, `series` and `filters`."""
    gen, parts = _partitions(data_dir, name, where.get("source"), True)
    expr = _expression(where.get("series"), where.get("filters"))
    processed = processed_dir(data_dir)
    for src, part in sorted(gen.partitions(name).items()):
        if part in parts:
            part.check(gen.name, processed)
            yield src, _scan(gen, [part], name, columns, expr)


def read_file(
    path: str | Path, name: str, columns: Sequence[str] | None = None, *, arrow_lists: bool = False
) -> pd.DataFrame:
    """One parquet file of table `name` (a per-source cache file), typed like read_table's;
    `arrow_lists`: list columns as pandas ArrowDtype (arrow arrays, not an array per cell: for
    a reader that hands them back to arrow)."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        frame = pq.read_table(path, columns=list(columns) if columns else None)
    except FileNotFoundError:
        raise
    except Exception as err:
        text = (str(err).strip().splitlines() or [""])[0]
        raise InputError(path, f"unreadable parquet ({type(err).__name__}: {text})") from None
    lists = (lambda t: pd.ArrowDtype(t) if pa.types.is_list(t) else None) if arrow_lists else None
    return _restore(frame.to_pandas(types_mapper=lists), name)


def write_table(df: pd.DataFrame, path: str | Path, name: str) -> int:
    """Conform `df` to table `name` and write it atomically with the schema's arrow types (so
    every partition of a table has one physical schema); returns the row count."""
    out = conform(df, name)
    write_arrow(to_arrow(out, name), path)
    return len(out)


def write_frames(frames: Iterable[pd.DataFrame | pa.Table], path: str | Path, name: str) -> int:
    """write_table for a table made in parts (one series at a time): each part is conformed and
    written as it comes (its series' row groups), so only one part is in memory; atomic like
    write_table; returns the row count. A part may be an arrow table already of the table's
    arrow schema (made without a frame): it is written as it is."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = 0
    schema = arrow_schema(name)
    with (
        atomic.atomic_path(path, suffix=".parquet") as tmp,
        pq.ParquetWriter(tmp, schema) as writer,
    ):
        for part in frames:
            if isinstance(part, pa.Table):
                if not part.schema.equals(schema):
                    raise ValueError(f"{name}: a part's arrow schema is not the table's")
                tbl = part
            else:
                tbl = to_arrow(conform(part, name), name)
            _write_groups(writer, tbl)
            rows += tbl.num_rows
    return rows


def to_arrow(df: pd.DataFrame, name: str) -> pa.Table:
    import pyarrow as pa

    if df.empty:  # pandas types an empty list column float64, which arrow refuses to convert
        return arrow_schema(name).empty_table()
    return pa.Table.from_pandas(df, schema=arrow_schema(name), preserve_index=False)


# Series are partitioned inside each source's file: one row group per run of rows of one series
# (row order is kept; a build writes a series' documents together), so a scan with `series=`
# skips the other series' row groups by their statistics instead of decoding them. Beyond this
# many runs (series interleaved) the file is one row group, as without series.
MAX_SERIES_GROUPS = 64


def series_runs(tbl: pa.Table) -> list[tuple[int, int]]:
    """(offset, length) of each run of equal `series` values; [] when there is no such column,
    a single run, or more than MAX_SERIES_GROUPS runs."""
    import pyarrow.compute as pc

    if "series" not in tbl.column_names or tbl.num_rows < 2:
        return []
    col = tbl.column("series")
    changed = pc.fill_null(pc.not_equal(col.slice(1), col.slice(0, tbl.num_rows - 1)), True)
    starts = [0, *(int(i) + 1 for i in pc.indices_nonzero(changed).to_pylist())]
    if len(starts) == 1 or len(starts) > MAX_SERIES_GROUPS:
        return []
    ends = [*starts[1:], tbl.num_rows]
    return [(a, b - a) for a, b in zip(starts, ends, strict=True)]


def write_arrow(tbl: pa.Table, path: str | Path) -> None:
    import pyarrow.parquet as pq

    with (
        atomic.atomic_path(path, suffix=".parquet") as tmp,
        pq.ParquetWriter(tmp, tbl.schema) as writer,
    ):
        _write_groups(writer, tbl)


def _write_groups(writer, tbl: pa.Table) -> None:
    """`tbl` as one row group per run of a series (series_runs), else as one row group."""
    for offset, length in series_runs(tbl) or [(0, tbl.num_rows)]:
        writer.write_table(tbl.slice(offset, length))


def write_tables(
    data_dir: str | Path, frames: dict[str, pd.DataFrame], *, strict: bool = True
) -> Path:
    """Commit `frames` ({table: frame}) as the current generation, one partition per source.

    For tools and tests that make tables without a build. `strict=False` writes frames as they
    are (missing or extra columns kept), to test readers against tables of other versions.
    Returns the generation folder.
    """
    from policytrack.pipeline.store.lock import BuildLock

    processed = processed_dir(data_dir)
    staging = processed / f".staging{atomic.TMP_MARK}write"
    files: dict[str, dict[str, tuple[Path, str, int]]] = {}
    with BuildLock(processed, "write_tables"):
        shutil.rmtree(staging, ignore_errors=True)
        try:
            for name, df in frames.items():
                files[name] = {}
                # A corpus-wide table (no source column: the lexicon) is one partition.
                parts = (
                    df.groupby("source", sort=True)
                    if "source" in df
                    else [(layout.CORPUS_PARTITION, df)]
                )
                for src, part in parts if len(df) else []:
                    path = staging / name / f"{src}.parquet"
                    part = part.reset_index(drop=True)
                    if strict:
                        rows = write_table(part, path, name)
                    else:
                        with atomic.atomic_path(path, suffix=".parquet") as tmp:
                            part.to_parquet(tmp, index=False)
                        rows = len(part)
                    key = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
                    files[name][str(src)] = (path, key, rows)
            sources = sorted(
                {s for by_source in files.values() for s in by_source} - {layout.CORPUS_PARTITION}
            )
            gen = layout.commit(processed, files, {"sources": sources})
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return gen.path
