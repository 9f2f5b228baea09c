"""The build's last step: the sources' cache files become a new generation, switched in at once
(store/layout.py), unless the current generation already holds exactly them."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from policytrack.pipeline.core.errors import InputError
from policytrack.pipeline.jobs.corpus import lexicon_partition
from policytrack.pipeline.jobs.sourcecache import SourceCache
from policytrack.pipeline.store import atomic, layout, schema
from policytrack.pipeline.store.schema import ANALYSIS_TABLES, CSV_COPIES, PARSE_TABLES
from policytrack.pipeline.store.tables import read_file

if TYPE_CHECKING:
    import pandas as pd

log = logging.getLogger(__name__)
ALL_TABLES = (*PARSE_TABLES, *ANALYSIS_TABLES)
CORPUS_TABLES = ("lexicon",)  # one corpus-wide partition each (jobs/corpus.py)


def commit_build(
    data_dir: Path, every: list[str], report: dict, notes: list[str]
) -> tuple[layout.Generation, bool]:
    """(current generation, whether this call committed it). Reads each source's state.json
    and stats the current partitions; reads no table unless it commits (the CSV copies)."""
    processed = data_dir / "processed"
    files: dict[str, dict[str, tuple[Path, str, int]]] = {
        t: {} for t in (*ALL_TABLES, *CORPUS_TABLES)
    }
    if every and (lexicon := lexicon_partition(data_dir)):
        files["lexicon"][layout.CORPUS_PARTITION] = lexicon
    for s in every:
        cache = SourceCache(data_dir, s)
        state = cache.load_state([])
        if state.get("parse_id"):
            for table, spec in cache.partitions(state, ALL_TABLES).items():
                files[table][s] = spec
    try:
        gen = layout.current(processed, required=False)
    except InputError as err:
        notes.append(f"{err}")
        gen = None
    if gen is not None and not _differs(gen, files, notes):
        return gen, False

    def csv_copies(gen_dir: Path) -> None:
        for name in CSV_COPIES:
            frames = (flat(read_file(files[name][s][0], name)) for s in sorted(files[name]))
            atomic.write_csv_chunks(frames, gen_dir / f"{name}.csv", flat(schema.empty(name)))

    return layout.commit(processed, files, report, extras=csv_copies), True


def _differs(gen: layout.Generation, files: dict, notes: list[str]) -> bool:
    for table, by_source in files.items():
        parts = gen.partitions(table) or {}
        if parts.keys() != by_source.keys():
            return True
        for source, (_, key, rows) in by_source.items():
            part = parts[source]
            if (part.key, part.rows) != (key, rows):
                return True
            why = layout.damaged(part.file, part.bytes)
            if why:
                notes.append(f"{part.file}: damaged ({why}); committing the tables again")
                log.warning("%s", notes[-1])
                return True
    return False


def flat(df: pd.DataFrame) -> pd.DataFrame:
    """List cells (years, paths) as "a;b;c" so spreadsheets show them as text."""

    def is_list(v) -> bool:
        return hasattr(v, "__len__") and not isinstance(v, str | bytes | dict)

    out = df.copy()
    for col in out.columns:
        if out[col].map(is_list).any():
            out[col] = [";".join(map(str, v)) if is_list(v) else v for v in out[col]]
    return out
