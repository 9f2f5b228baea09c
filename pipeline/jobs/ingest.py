"""Copy local documents into the raw store with one manifest record each (idempotent by content)."""

from __future__ import annotations

import logging
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from policytrack.pipeline.core.errors import InputError
from policytrack.pipeline.store import manifest
from policytrack.pipeline.store.rawstore import RawStore, check_data_dir, sha256_bytes
from policytrack.pipeline.text.extract import TYPES, extract, sniff_type
from policytrack.pipeline.text.jsonrow import parse_json_row
from policytrack.pipeline.text.limits import file_kind, read_file
from policytrack.pipeline.text.normalize import series_key
from policytrack.pipeline.text.parse import YearMissing, parse_extracted
from policytrack.pipeline.text.title import year_from_title
from policytrack.pipeline.text.vocab import check_year

log = logging.getLogger(__name__)

SUPPORTED = {".txt", ".html", ".htm", ".docx", ".pdf", ".doc", ".jsonl", ".json"}


@dataclass
class IngestResult:
    added: list[dict] = field(default_factory=list)
    duplicates: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (where, reason)


def _files(paths: list[Path], skipped: list[tuple[str, str]]) -> list[Path]:
    """Regular files to ingest; links and special files are refused (listed in `skipped`)."""
    out = []
    for p in paths:
        try:
            st = p.lstat()
        except FileNotFoundError:
            skipped.append((str(p), "no such file"))
            continue
        if stat.S_ISDIR(st.st_mode):
            for root, dirs, names in os.walk(p):  # never into linked folders
                dirs.sort()
                for name in sorted(names):
                    f = Path(root) / name
                    if f.suffix.lower() not in SUPPORTED:
                        continue
                    why = file_kind(f.lstat())
                    if why:
                        skipped.append((str(f), why))
                    else:
                        out.append(f)
            continue
        why = file_kind(st)
        if why:
            skipped.append((str(p), why))
        else:
            out.append(p)
    return out


def _jsonl_rows(path: Path) -> list[tuple[str, bytes, dict | None, str | None]]:
    """(where, raw line bytes, row, error) for each non-empty line of a .jsonl file."""
    rows = []
    for n, line in enumerate(read_file(path, follow_links=False).splitlines(), 1):
        raw = line.rstrip(b"\r\n")
        if not raw.strip():
            continue
        where = f"{path}:{n}"
        try:
            row = parse_json_row(raw)
        except ValueError as exc:
            rows.append((where, raw, None, str(exc)))
            continue
        if not isinstance(row, dict) or not isinstance(row.get("content"), str):
            rows.append((where, raw, None, "needs an object with a 'content' string"))
            continue
        if not isinstance(row.get("title") or "", str | int):
            rows.append((where, raw, None, "'title' must be text"))
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
    overrides the series key derived from the title (to align differently named titles).

    A bad record (unreadable, refused, implausible year, bad JSON) is listed in `skipped` with
    its reason; the others are stored. A bad `year` or data folder raises InputError.
    """
    try:
        year = check_year(year, "--year")
    except ValueError as err:
        raise InputError("--year", str(err).removeprefix("--year ")) from None
    data_dir = check_data_dir(Path(data_dir))
    store = RawStore(data_dir, source)
    known = {r.get("sha256") for r in store.records()}
    result = IngestResult()

    def add(data: bytes, where: str, name: str, ctype: str, doc, title: str, y: int | None, enc):
        if sha256_bytes(data) in known:  # checked first: no second copy under another year
            result.duplicates += 1
            return
        # The default series comes from the parsed document (build recomputes it); a --series
        # given here overrides it for good.
        default = doc.series if doc else (series_key(title) if title else "untitled")
        stored = store.store(data, y, Path(name).suffix or ".bin")
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

    for path in _files([Path(p) for p in paths], result.skipped):
        if path.suffix.lower() not in SUPPORTED:
            result.skipped.append((str(path), f"unsupported file type {path.suffix or '(none)'}"))
            continue
        try:
            if path.suffix.lower() == ".jsonl":
                _add_jsonl(path, year, add, result)
                continue
            data = read_file(path, follow_links=False)
        except InputError as err:
            result.skipped.append((err.where, err.reason))
            continue
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
        try:
            y = check_year(y, "year")
        except ValueError as err:
            result.skipped.append((str(path), f"{err} (from {title or 'the text'!r})"))
            continue
        ctype = sniff_type(data, path.name)
        add(data, str(path), path.name, TYPES.get(path.suffix.lower(), ctype), doc, title, y, enc)
    return result


def _add_jsonl(path: Path, year: int | None, add, result: IngestResult) -> None:
    for where, raw, row, err in _jsonl_rows(path):
        if err:
            result.skipped.append((where, err))
            continue
        title = str(row.get("title") or "")
        name = f"{path.name}#L{where.rsplit(':', 1)[1]}.json"
        try:
            y = year or check_year(row.get("year"), "year") or year_from_title(title)
        except ValueError as exc:
            result.skipped.append((where, str(exc)))
            continue
        doc = None
        try:  # the year may also be in the text: a date line, a congress named …
            doc = parse_extracted(extract(raw, name, "application/json"), where=where, year=year)
            y = doc.year
        except InputError as exc:
            if y is None:
                why = f"no year (field empty, none in title {title!r} or its text)"
                result.skipped.append((where, why if isinstance(exc, YearMissing) else exc.reason))
                continue
            # Kept anyway (raw data is never thrown away); build will report it.
            log.warning("%s (stored; build will report it)", exc)
        add(raw, where, name, "application/json", doc, title, y, "utf-8")
