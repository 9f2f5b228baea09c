"""Write outputs so a reader never sees a half-written file: temp file in the same folder, fsync, rename."""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

from policytrack.pipeline.core.safe import csv_frame

# Temp files are named ".<target>.tmp-XXXX<suffix>" so a sweep can find what a killed writer left.
TMP_MARK = ".tmp-"
_umask = os.umask(0)
os.umask(_umask)
_FILE_MODE = 0o666 & ~_umask


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike, suffix: str = "") -> Iterator[Path]:
    """Yield a temp path beside `target`; on success it replaces `target` atomically.

    On any exception the temp file is removed and `target` is left as it was.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        prefix=f".{target.name}{TMP_MARK}", suffix=suffix or ".tmp", dir=target.parent
    )
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        try:
            yield tmp_path
            with open(tmp_path, "rb") as fh:
                os.fsync(fh.fileno())
            os.chmod(tmp_path, _FILE_MODE)  # mkstemp creates 0600; outputs are for sharing
            os.replace(tmp_path, target)
        except OSError as exc:
            # Library errors (pyarrow's "Error writing bytes … [errno 28] …") rarely name the
            # file or give the errno: we do.
            code = exc.errno
            if code is None and (m := re.search(r"\[errno (\d+)\]", str(exc))):
                code = int(m.group(1))
            reason = os.strerror(code) if code else exc.strerror or str(exc)
            raise OSError(code, reason, str(target)) from exc
        fsync_dir(target.parent)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp_path.unlink()
        raise


def sweep(folder: str | os.PathLike, min_age: float = 0.0) -> list[Path]:
    """Remove temp files that a killed writer left behind (only call while holding the lock
    that writers of `folder` take, or with a `min_age` no live writer can reach)."""
    import time

    removed = []
    now = time.time()
    for p in Path(folder).rglob(f".*{TMP_MARK}*"):
        with contextlib.suppress(OSError):
            if p.is_file() and now - p.stat().st_mtime >= min_age:
                p.unlink()
                removed.append(p)
    return removed


def write_bytes(target: str | os.PathLike, data: bytes) -> None:
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)


def write_text(target: str | os.PathLike, text: str) -> None:
    write_bytes(target, text.encode("utf-8"))


def write_csv(df, target: str | os.PathLike) -> None:
    with atomic_path(target, suffix=".csv") as tmp:
        # BOM so spreadsheet apps read Chinese
        csv_frame(df).to_csv(tmp, index=False, encoding="utf-8-sig")


def write_csv_chunks(frames, target: str | os.PathLike, header) -> None:
    """Frames one after another into one CSV (one header, from `header`'s columns): memory is
    one frame's."""
    with atomic_path(target, suffix=".csv") as tmp:
        csv_frame(header.iloc[:0]).to_csv(tmp, index=False, encoding="utf-8-sig")
        for df in frames:
            csv_frame(df).to_csv(tmp, index=False, header=False, mode="a", encoding="utf-8")


def fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
