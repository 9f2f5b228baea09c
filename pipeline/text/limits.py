"""What reading one document may cost: the file's size (checked with stat before reading), regular
files only, and a decompression budget for the compressed formats (.docx is a zip; PDF streams are
deflated). A notice is kilobytes; anything past these bounds is refused with a one-line reason
before it can take gigabytes of memory or block forever.
"""

from __future__ import annotations

import errno
import io
import os
import stat
import zipfile
import zlib
from pathlib import Path

from policytrack.pipeline.core.errors import InputError

MAX_BYTES = 50 * 1024 * 1024  # a file this big is not a notice
MAX_UNPACKED = 200 * 1024 * 1024  # what a .docx or a PDF's streams may unpack to
MAX_RATIO = 100  # zipped XML compresses ~10:1; a decompression bomb 1000:1
MAX_PARTS = 5000
_MB = 1024 * 1024

_KINDS = [(stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"),
          (stat.S_ISDIR, "a directory")]  # fmt: skip


def too_large(size: int, limit: int = MAX_BYTES) -> str:
    return f"file too large ({size // _MB} MB > {limit // _MB} MB)"


def file_kind(st) -> str | None:
    """Why a file is refused by its type (None: a regular file)."""
    if stat.S_ISLNK(st.st_mode):
        return "a symbolic link (not followed: pass the file it points to)"
    if not stat.S_ISREG(st.st_mode):
        kind = next((name for test, name in _KINDS if test(st.st_mode)), "not a file")
        return f"not a regular file ({kind}); only regular files are read"
    return None


def read_file(path: str | Path, limit: int = MAX_BYTES, *, follow_links: bool = True) -> bytes:
    """A document file's bytes, read only when it is a regular file of at most `limit` bytes.

    The checks are made on the opened file itself (no swap between check and read). Opening
    does not block on a FIFO (O_NONBLOCK), which is then refused as what it is; a link is
    followed (a link to /dev/zero is refused as the character device it is) unless
    `follow_links` is False (ingest: a link in a batch could point anywhere).
    """
    where = str(path)
    flags = os.O_RDONLY | os.O_NONBLOCK | (0 if follow_links else os.O_NOFOLLOW)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ELOOP and not follow_links:
            raise InputError(where, file_kind(os.lstat(path)) or "a symbolic link") from None
        raise InputError(where, exc.strerror or exc.__class__.__name__) from None
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fh.fileno())
        why = file_kind(st)
        if why:
            raise InputError(where, why)
        if st.st_size > limit:
            raise InputError(where, too_large(st.st_size, limit))
        try:
            data = fh.read(limit + 1)
        except OSError as exc:
            raise InputError(where, exc.strerror or exc.__class__.__name__) from exc
    if len(data) > limit:  # it grew while we read it
        raise InputError(where, too_large(len(data), limit))
    return data


def check_zip(data: bytes, where: str, what: str = ".docx") -> None:
    """Refuse a zip whose parts would unpack past the budget (sizes from its directory; Python's
    zipfile never inflates a part beyond its recorded size)."""
    try:
        infos = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise InputError(where, f"truncated or corrupt {what} ({exc.__class__.__name__})") from exc
    if len(infos) > MAX_PARTS:
        raise InputError(where, f"refused: the {what} has {len(infos)} parts (limit {MAX_PARTS})")
    total = sum(i.file_size for i in infos)
    if total > MAX_UNPACKED:
        raise InputError(
            where,
            f"refused: the {what} would unpack to {total // _MB} MB from {len(data) // _MB or 1} "
            f"MB (limit {MAX_UNPACKED // _MB} MB): a decompression bomb",
        )
    for i in infos:
        ratio = i.file_size / max(i.compress_size, 1)
        if ratio > MAX_RATIO and i.file_size > 10 * _MB:
            raise InputError(
                where,
                f"refused: {i.filename} in the {what} is compressed {ratio:.0f}:1 "
                f"(limit {MAX_RATIO}:1): a decompression bomb",
            )


def check_pdf(data: bytes, where: str) -> None:
    """Refuse an encrypted PDF (no text without its password) and one whose deflated streams
    would unpack past the budget (inflated in bounded chunks, never all at once)."""
    import pymupdf

    try:
        pdf = pymupdf.open(stream=data, filetype="pdf")
    except Exception as exc:  # pymupdf raises its own types on broken files
        raise InputError(where, f"PDF could not be opened ({exc.__class__.__name__})") from exc
    with pdf:
        if pdf.needs_pass:
            raise InputError(
                where, "encrypted PDF: it needs a password, so its text cannot be read"
            )
        total = 0
        for xref in range(1, pdf.xref_length()):
            if not pdf.xref_is_stream(xref):
                continue
            raw = pdf.xref_stream_raw(xref) or b""
            deflated = "FlateDecode" in pdf.xref_get_key(xref, "Filter")[1]
            total += _inflated_size(raw, MAX_UNPACKED - total + 1) if deflated else len(raw)
            if total > MAX_UNPACKED:
                raise InputError(
                    where,
                    f"refused: the PDF's streams would unpack to more than {MAX_UNPACKED // _MB} "
                    f"MB from {len(data) // _MB or 1} MB: a decompression bomb",
                )


def _inflated_size(raw: bytes, budget: int) -> int:
    """Bytes `raw` inflates to, counting at most `budget` (output is discarded chunk by chunk)."""
    d = zlib.decompressobj()
    size = 0
    try:
        for start in range(0, len(raw), 16384):
            piece = raw[start : start + 16384]
            while piece:
                size += len(d.decompress(piece, 4 * _MB))
                if size >= budget:
                    return size
                piece = d.unconsumed_tail
    except zlib.error:
        return size + len(raw)  # broken stream: the extractors will say so
    return size
