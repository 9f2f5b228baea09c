"""Compare a data directory with an uninterrupted run's (no tests here).

What must be equal after a fault and a repair: every committed table (read the one way, rows in
a stable order), each source's cache state and the cache files it names, and nothing left over
(temp files, uncommitted generations, cache files no state names).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd

from policytrack.pipeline.jobs.build import build
from policytrack.pipeline.store import layout
from policytrack.pipeline.store.schema import TABLES
from policytrack.pipeline.store.tables import read_table


def tables(data: Path) -> dict[str, pd.DataFrame]:
    """Every table the current build committed (a schema table no build writes yet, such as
    `lexicon` before its job exists, is left out on both sides; assert_same compares the sets)."""
    out = {}
    for name in TABLES:
        df = read_table(data, name, required=False)
        if df is None:
            continue
        keys = [c for c in df.columns if df[c].map(_hashable).all()]
        out[name] = df.sort_values(keys, kind="stable").reset_index(drop=True)
    return out


def _hashable(v) -> bool:
    return isinstance(v, str | int | float | bool) or v is None


def caches(data: Path) -> dict[str, tuple[dict, list[str]]]:
    """source → (state.json, sorted file names in its cache folder)."""
    root = data / "processed" / "sources"
    return {
        d.name: (json.loads((d / "state.json").read_text()), sorted(p.name for p in d.iterdir()))
        for d in sorted(root.iterdir())
    }


def processed_names(data: Path) -> list[str]:
    """Top-level names in processed/ with the generation numbers masked."""
    gen = layout.current(data / "processed")
    names = []
    for p in (data / "processed").iterdir():
        if p.name == gen.name:
            names.append("<current>")
        elif layout.GEN_RE.match(p.name):
            names.append("<older>")
        else:
            names.append(p.name)
    return sorted(names)


def reference(data: Path, where: Path, **build_args) -> Path:
    """The same raw data built once, uninterrupted, in `where`."""
    shutil.copytree(data / "raw", where / "raw")
    build(where, **build_args)
    return where


def assert_same(data: Path, ref: Path) -> None:
    a, b = tables(data), tables(ref)
    assert sorted(a) == sorted(b)
    assert {"documents", "items", "alignments"} <= set(a)
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name], obj=name)
    assert caches(data) == caches(ref)
    leftovers = [
        str(p.relative_to(data)) for p in (data / "processed").rglob(".*") if p.suffix != ".lock"
    ]
    assert leftovers == []
    assert set(processed_names(data)) - {"<older>"} == set(processed_names(ref))
