"""The processed layout: per-source partitions, switched together as one generation.

    processed/
      CURRENT                      the commit marker: {"generation": "g000007", "previous": …}
      g000007/                     one build's tables, complete before CURRENT names it
        build_report.json          what the build did + every partition's rows, bytes and key
        <table>/<source>.parquet   one file per source (hard links to the per-source cache)
        alignments.csv …           spreadsheet copies
      current -> g000007           convenience link for people and DuckDB (CURRENT decides)
      sources/<source>/            the per-source cache the build works in (state.json + tables)

A build writes its new generation beside the old one and then replaces CURRENT (write to a temp
file, fsync, rename): readers see the old set of tables or the new one, never a mix. A reader
resolves CURRENT, checks that the generation has its report and that each partition it opens has
the size the report recorded, and refuses anything else in one line. Old generations are removed
after a commit (the previous one is kept for readers still reading it).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from policytrack.pipeline.core.errors import InputError
from policytrack.pipeline.store import atomic

CURRENT = "CURRENT"
REPORT = "build_report.json"
LINK = "current"
GEN_RE = re.compile(r"^g(\d{6,})$")
PARQUET_MAGIC = b"PAR1"

# A corpus-wide table (the lexicon) is one partition of this name: a leading underscore is not a
# valid source name (store/rawstore.SOURCE_RE), so it is never a source's partition.
CORPUS_PARTITION = "_corpus"


def rebuild_hint(processed: Path) -> str:
    return f"run `policytrack build --data {processed.parent}`"


@dataclass(frozen=True)
class Partition:
    """One source's file of one table in a generation."""

    file: Path
    rows: int
    bytes: int
    key: str  # the per-source state fingerprint the file was made from

    def check(self, generation: str, processed: Path) -> None:
        """Raise InputError unless the file is the one the generation committed (by size)."""
        try:
            size = self.file.stat().st_size
        except FileNotFoundError:
            detail = "file missing"
        else:
            if size == self.bytes:
                return
            detail = f"{size} bytes, committed {self.bytes}"
        raise InputError(
            self.file,
            f"not the file build {generation} committed ({detail}): mixed or unfinished "
            f"tables; {rebuild_hint(processed)}",
        )


@dataclass
class Generation:
    processed: Path
    name: str
    report: dict

    @property
    def path(self) -> Path:
        return self.processed / self.name

    def tables(self) -> list[str]:
        return list(self.report.get("partitions", {}))

    def partitions(self, table: str) -> dict[str, Partition] | None:
        """source → partition for `table`, or None when the generation has no such table."""
        parts = self.report.get("partitions", {}).get(table)
        if parts is None:
            return None
        return {
            source: Partition(self.path / p["file"], int(p["rows"]), int(p["bytes"]), p["key"])
            for source, p in parts.items()
        }


def generation_number(name: str) -> int:
    m = GEN_RE.match(name)
    return int(m.group(1)) if m else -1


def read_marker(processed: Path) -> dict | None:
    """CURRENT's content, None when absent; InputError when it is damaged."""
    path = processed / CURRENT
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as err:
        raise InputError(
            path, f"unreadable commit marker ({type(err).__name__}); {rebuild_hint(processed)}"
        ) from None
    if not isinstance(data, dict) or not GEN_RE.match(str(data.get("generation", ""))):
        raise InputError(path, f"unreadable commit marker; {rebuild_hint(processed)}")
    return data


def current(processed: str | Path, *, required: bool = True) -> Generation | None:
    """The committed generation (InputError naming what is wrong when there is none)."""
    processed = Path(processed)
    if processed.exists() and not processed.is_dir():
        raise InputError(processed, "not a directory")
    marker = read_marker(processed)
    if marker is None:
        if not required:
            return None
        leftovers = processed.is_dir() and any(
            GEN_RE.match(p.name) or p.suffix == ".parquet" for p in processed.iterdir()
        )
        if leftovers:
            raise InputError(
                processed,
                "no finished build (tables of an unfinished build or an older version); "
                + rebuild_hint(processed),
            )
        raise InputError(processed, f"no tables yet; {rebuild_hint(processed)} first")
    name = marker["generation"]
    report_path = processed / name / REPORT
    try:
        report = json.loads(report_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise InputError(
            processed / name,
            f"unfinished build ({REPORT} {type(err).__name__}); {rebuild_hint(processed)}",
        ) from None
    if report.get("generation") != name:
        raise InputError(
            report_path,
            f"belongs to build {report.get('generation')!r}, not {name}: mixed tables; "
            + rebuild_hint(processed),
        )
    return Generation(processed, name, report)


def damaged(path: Path, size: int | None = None) -> str | None:
    """Why a parquet file is unusable, by cheap checks (size, magic bytes); None when it looks
    whole. Reads 8 bytes, never the table."""
    try:
        st = path.stat()
        if size is not None and st.st_size != size:
            return f"{st.st_size} bytes, expected {size}"
        if st.st_size < 12:
            return f"{st.st_size} bytes: not a parquet file"
        with open(path, "rb") as fh:
            head = fh.read(4)
            fh.seek(-4, os.SEEK_END)
            tail = fh.read(4)
    except FileNotFoundError:
        return "missing"
    except OSError as err:
        return err.strerror or str(err)
    if head != PARQUET_MAGIC or tail != PARQUET_MAGIC:
        return "not a parquet file (no PAR1 marks)"
    return None


def _place(src: Path, dst: Path) -> None:
    """A hard link (no copy, no second disk use); a copy where the file system refuses links."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(src, dst)
    except OSError:
        with atomic.atomic_path(dst, suffix=dst.suffix) as tmp:
            shutil.copyfile(src, tmp)


def next_name(processed: Path) -> str:
    marker = None
    with contextlib.suppress(InputError):
        marker = read_marker(processed)
    numbers = [generation_number(p.name) for p in processed.iterdir()] if processed.is_dir() else []
    if marker:
        numbers.append(generation_number(marker["generation"]))
    return f"g{max([0, *numbers]) + 1:06d}"


def commit(
    processed: Path,
    files: dict[str, dict[str, tuple[Path, str, int]]],
    report: dict,
    extras=None,
) -> Generation:
    """Make a new generation of `files` ({table: {source: (file, key, rows)}}) and switch
    CURRENT to it. `extras(gen_dir)` may add files (the CSV copies) before the commit. Call
    under the build lock."""
    processed.mkdir(parents=True, exist_ok=True)
    previous = None
    with contextlib.suppress(InputError):
        previous = read_marker(processed)
    name = next_name(processed)
    gen_dir = processed / name
    shutil.rmtree(gen_dir, ignore_errors=True)
    partitions: dict[str, dict[str, dict]] = {}
    for table, by_source in files.items():
        partitions[table] = {}
        for source in sorted(by_source):
            src, key, rows = by_source[source]
            rel = f"{table}/{source}.parquet"
            _place(src, gen_dir / rel)
            size = (gen_dir / rel).stat().st_size
            partitions[table][source] = {"file": rel, "rows": rows, "bytes": size, "key": key}
    if extras is not None:
        extras(gen_dir)
    for folder in [gen_dir, *(gen_dir / t for t in files)]:
        atomic.fsync_dir(folder)
    full = {"generation": name, **report, "partitions": partitions}
    full["tables"] = {t: sum(p["rows"] for p in parts.values()) for t, parts in partitions.items()}
    atomic.write_text(gen_dir / REPORT, json.dumps(full, ensure_ascii=False, indent=1))
    marker = {"generation": name, "previous": previous and previous["generation"]}
    atomic.write_text(processed / CURRENT, json.dumps(marker) + "\n")  # the commit
    _point_link(processed, name)
    collect(processed)
    return Generation(processed, name, full)


def _point_link(processed: Path, name: str) -> None:
    """processed/current → the generation (best effort: CURRENT is what readers trust)."""
    with contextlib.suppress(OSError):
        tmp = processed / f".{LINK}{atomic.TMP_MARK}{os.getpid()}"
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        os.symlink(name, tmp)
        os.replace(tmp, processed / LINK)


LEGACY = re.compile(r"^[a-z_]+\.(parquet|csv)$|^build_report\.json$")


def collect(processed: Path) -> list[str]:
    """Remove generations that are neither current nor previous (unfinished builds, old ones)
    and the combined tables of the older flat layout. Call under the build lock."""
    try:
        marker = read_marker(processed)
    except InputError:
        marker = None
    if marker is None:
        return []  # nothing committed yet: leave everything for a build to sort out
    keep = {marker["generation"], marker.get("previous")}
    removed = []
    for p in processed.iterdir():
        if GEN_RE.match(p.name) and p.name not in keep and p.is_dir():
            shutil.rmtree(p, ignore_errors=True)
            removed.append(p.name)
        elif LEGACY.match(p.name) and p.is_file():
            p.unlink(missing_ok=True)
            removed.append(p.name)
    return removed
