"""Cheap checks that a downloaded attachment is what its name claims (before it is recorded as
usable text): a corrupt or fake file is kept on disk but listed under attachment_errors."""

from __future__ import annotations

from policytrack.pipeline.core.errors import InputError
from policytrack.pipeline.text.extract import extract

_MAGIC = {"pdf": b"%PDF", "docx": b"PK\x03\x04", "doc": b"\xd0\xcf\x11\xe0"}


def check_attachment(data: bytes, ext: str, where: str) -> str | None:
    """None when the file is usable; otherwise the one-line reason."""
    if not data:
        return "empty file"
    magic = _MAGIC.get(ext)
    if magic and not data.startswith(magic):
        head = data[:200].lstrip().lower()
        if head.startswith((b"<!doctype", b"<html")):
            return f"not a .{ext}: the server sent an HTML page"
        return f"not a .{ext} (wrong file signature)"
    if ext in ("docx", "pdf"):
        # Full extraction: catches truncated archives and PDFs whose text cannot be recovered.
        try:
            extracted = extract(data, where, None)
        except InputError as exc:
            return exc.reason
        if not extracted.text.strip():
            return f"no text in the .{ext}"
    return None
