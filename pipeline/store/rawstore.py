"""The raw store: files kept untouched under data/raw/<source>/<year>/, one manifest.jsonl per source.

Rules that keep raw data safe:
- append-only: a file is named by its content hash and never rewritten; a record is only appended;
- a file is on disk (fsynced) before its manifest record is appended, so a record never points to
  a missing file, and a crash leaves at worst an unreferenced file that the next run reuses;
- the manifest is appended under an exclusive lock so concurrent writers (crawler workers) do not
  interleave lines; a torn last line from a crash is skipped when reading and fenced off on append.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from policytrack.pipeline.core.errors import InputError
from policytrack.pipeline.store import atomic

log = logging.getLogger(__name__)

SOURCE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
# Extensions we keep; anything else is stored as .bin so scraped names never choose a suffix.
SAFE_EXTS = {".html", ".htm", ".txt", ".json", ".docx", ".doc", ".pdf", ".xml", ".wps"}


def check_source(name: str) -> str:
    if not SOURCE_RE.match(name or ""):
        raise InputError(
            f"source {name!r}", "a source name is letters, digits, '_', '-', '.' (max 64)"
        )
    return name


def check_data_dir(path: Path) -> Path:
    """`--data DIR` must be a folder (or not exist yet): one line otherwise, never a traceback."""
    path = Path(path)
    for p in (path, path / "raw", path / "processed"):
        if p.exists() and not p.is_dir():
            raise InputError(p, "not a directory (--data takes the data folder)")
    return path


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def safe_ext(name_or_ext: str) -> str:
    ext = os.path.splitext(name_or_ext)[1].lower() if "." in name_or_ext else ""
    if not ext and name_or_ext.startswith("."):
        ext = name_or_ext.lower()
    return ext if ext in SAFE_EXTS else ".bin"


@dataclass
class RawStore:
    """One source's folder under data/raw."""

    data_dir: Path
    source: str

    def __post_init__(self):
        check_source(self.source)
        self.data_dir = Path(self.data_dir)

    @property
    def root(self) -> Path:
        return self.data_dir / "raw" / self.source

    @property
    def manifest(self) -> Path:
        return self.root / "manifest.jsonl"

    # -- files -----------------------------------------------------------------------------
    def store(self, data: bytes, year: int | None, ext: str) -> tuple[str, str]:
        """Store bytes content-addressed; return (relative path, sha256). Never overwrites."""
        sha = sha256_bytes(data)
        sub = str(int(year)) if year else "undated"
        rel = f"{sub}/{sha[:16]}{safe_ext(ext)}"
        path = self.root / rel
        if not path.exists():
            atomic.write_bytes(path, data)
        return rel, sha

    def path(self, rel: str) -> Path:
        """Resolve a manifest-relative path, refusing anything that escapes the source folder."""
        p = (self.root / rel).resolve()
        if not p.is_relative_to(self.root.resolve()):
            raise InputError(rel, "path escapes the raw store")
        return p

    # -- manifest --------------------------------------------------------------------------
    def records(self) -> list[dict]:
        return list(iter_manifest(self.manifest))

    def append(self, record: dict) -> None:
        append_record(self.manifest, record)


def iter_manifest(path: Path) -> Iterator[dict]:
    """Read a manifest, skipping (and logging) lines that are not complete JSON objects."""
    if not path.exists():
        return
    with open(path, "rb") as fh:
        for n, line in enumerate(fh, 1):
            line = line.strip()
            if not line:
                continue
            try:
                rec = json.loads(line)
            except ValueError:
                log.warning("%s:%d: skipped a torn or invalid manifest line", path, n)
                continue
            if isinstance(rec, dict):
                yield rec


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """An exclusive advisory lock on `<path>.lock` (works across processes on one host)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(str(path) + ".lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def append_record(manifest: Path, record: dict, unless=None) -> bool:
    """Append one record under the manifest lock; False (nothing written) when `unless()`,
    called inside the lock, says another writer already recorded the same thing."""
    line = json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n"
    with locked(manifest):
        if unless is not None and unless():
            return False
        _append_line(manifest, line)
    return True


def _append_line(manifest: Path, line: str) -> None:
    with open(manifest, "ab+") as fh:
        # A crash mid-write can leave a torn last line; start ours on a fresh line.
        fh.seek(0, os.SEEK_END)
        if fh.tell() > 0:
            fh.seek(-1, os.SEEK_END)
            if fh.read(1) != b"\n":
                fh.write(b"\n")
        fh.write(line.encode("utf-8"))
        fh.flush()
        os.fsync(fh.fileno())


def sources(data_dir: Path) -> list[str]:
    raw = Path(data_dir) / "raw"
    if not raw.is_dir():
        return []
    return sorted(p.name for p in raw.iterdir() if (p / "manifest.jsonl").exists())
