"""When the report need not be rebuilt: the last run's record and the report's inputs' hash."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from policytrack.pipeline.core.errors import ConfigError

# notebooks.py is light (no matplotlib): a warm run can afford it.
from policytrack.pipeline.report.notebooks import NOTEBOOK_DIR, NOTEBOOKS

LAST_RUN = "last_run.json"
# Tables the report reads: when none changed and the report is still there, it is not rebuilt.
REPORT_TABLES = ("documents", "items", "terms", "term_timeline", "alignments", "threads")


def read_last_run(logs: Path) -> dict:
    try:
        data = json.loads((logs / LAST_RUN).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def tables_fingerprint(processed: Path, extra: dict) -> str | None:
    """Hash of the report's input tables and parameters; None when a table is missing.

    The tables are named by their committed partitions (source, content key, rows, bytes: see
    store/layout.py), so a warm run hashes a few lines of JSON, not the tables' bytes.
    """
    from policytrack.pipeline.core.errors import InputError
    from policytrack.pipeline.store import layout

    h = hashlib.sha256(json.dumps(extra, sort_keys=True, ensure_ascii=False).encode())
    try:
        gen = layout.current(processed, required=False)
    except InputError:
        return None
    if gen is None:
        return None
    for name in REPORT_TABLES:
        parts = gen.partitions(name)
        if parts is None:
            return None
        spec = [(s, p.key, p.rows, p.bytes) for s, p in sorted(parts.items())]
        h.update(json.dumps([name, spec]).encode())
    return h.hexdigest()[:32]


def resolve_notebooks(names: list[str] | None) -> list[Path] | None:
    """Notebook names or prefixes ("01", "02_priority_timelines") → bundled notebook paths."""
    if not names:
        return None
    available = sorted(NOTEBOOKS)
    out = []
    for name in names:
        hits = [n for n in available if n == name or n.startswith(name)]
        if len(hits) != 1:
            raise ConfigError(f"--notebook {name!r}: expected one of {', '.join(available)}")
        out.append(NOTEBOOK_DIR / hits[0])
    return out
