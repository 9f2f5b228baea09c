"""Copy local documents into the raw store with one manifest record each (idempotent by content)."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

from policytrack.pipeline.core.errors import InputError
from policytrack.pipeline.store import manifest
from policytrack.pipeline.store.rawstore import RawStore, sha256_bytes
from policytrack.pipeline.text.extract import TYPES, extract, sniff_type
from policytrack.pipeline.text.normalize import series_key
from policytrack.pipeline.text.parse import YearMissing, parse_extracted

log = logging.getLogger(__name__)

SUPPORTED = {".txt", ".html", ".htm", ".docx", ".pdf", ".doc", ".jsonl", ".json"}


@dataclass
class IngestResult:
    added: list[dict] = field(default_factory=list)
    duplicates: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (where, reason)


def _files(paths: list[Path]) -> list[Path]:
    out = []
    for p in paths:
        if p.is_dir():
            out += sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in SUPPORTED)
        else:
            out.append(p)
    return out


def _jsonl_rows(path: Path) -> list[tuple[str, bytes, dict | None, str | None]]:
    """(where, raw line bytes, row, error) for each non-empty line of a .jsonl file."""
    rows = []
    with open(path, "rb") as fh:
        for n, line in enumerate(fh, 1):
            raw = line.rstrip(b"\r\n")
            if not raw.strip():
                continue
            where = f"{path}:{n}"
            try:
                row = json.loads(raw)
            except ValueError as exc:
                rows.append((where, raw, None, f"invalid JSON ({exc.__class__.__name__})"))
                continue
            if not isinstance(row, dict) or not isinstance(row.get("content"), str):
                rows.append((where, raw, None, "needs an object with a 'content' string"))
                continue
            rows.append((where, raw, row, None))
    return rows


def ingest(
    paths: list[str | Path],
    source: str,
    data_dir: str | Path,
    year: int | None = None,
    series: str | None = None,
) -> IngestResult:
    """Store each file (or .jsonl row) once. `year` overrides the title's year; `series`
    overrides the series key derived from the title (to align differently named titles)."""
    store = RawStore(Path(data_dir), source)
    known = {r.get("sha256") for r in store.records()}
    result = IngestResult()

    def add(data: bytes, where: str, name: str, ctype: str, doc, title: str, y: int | None, enc):
        if sha256_bytes(data) in known:  # checked first: no second copy under another year
            result.duplicates += 1
            return
        stored = store.store(data, y, Path(name).suffix or ".bin")
        # The default series comes from the parsed document (build recomputes it); a --series
        # given here overrides it for good.
        default = doc.series if doc else (series_key(title) if title else "untitled")
        record = manifest.record(
            source=source,
            origin="ingest",
            stored=stored,
            content_type=ctype,
            encoding=enc,
            title=title,
            year=y,
            series=series or default,
            original_name=name,
        )
        if year is not None:
            record["year_override"] = True
        if series:
            record["series_override"] = True
        store.append(record)
        known.add(stored[1])
        result.added.append(record)

    for path in _files([Path(p) for p in paths]):
        if not path.exists():
            result.skipped.append((str(path), "no such file"))
            continue
        if path.suffix.lower() not in SUPPORTED:
            result.skipped.append((str(path), f"unsupported file type {path.suffix or '(none)'}"))
            continue
        if path.suffix.lower() == ".jsonl":
            for where, raw, row, err in _jsonl_rows(path):
                if err:
                    result.skipped.append((where, err))
                    continue
                title = str(row.get("title") or "")
                name = f"{path.name}#L{where.rsplit(':', 1)[1]}.json"
                try:  # the year may be in the title, a date line, a congress named …
                    doc = parse_extracted(
                        extract(raw, name, "application/json"), where=where, year=year
                    )
                except YearMissing:
                    result.skipped.append(
                        (where, f"no year (field empty, none in title {title!r} or its text)")
                    )
                    continue
                except InputError as err:
                    result.skipped.append((where, err.reason))
                    continue
                add(raw, where, name, "application/json", doc, title, doc.year, "utf-8")
            continue
        data = path.read_bytes()
        if not data.strip():
            result.skipped.append((str(path), "empty file"))
            continue
        title, y, enc, doc = "", year, None, None
        try:
            ex = extract(data, str(path))
            enc = ex.encoding
            doc = parse_extracted(ex, where=str(path), year=year, name=path.name)
            title, y = doc.title, doc.year
        except InputError as err:
            # Keep the file anyway (raw data is never thrown away); build will report it.
            log.warning("%s (stored; build will report it)", err)
        ctype = sniff_type(data, path.name)
        add(data, str(path), path.name, TYPES.get(path.suffix.lower(), ctype), doc, title, y, enc)
    return result


def _int(v) -> int | None:
    try:
        return int(v) if v not in (None, "") else None
    except (TypeError, ValueError):
        return None
