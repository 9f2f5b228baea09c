"""The redline: which characters changed between two versions of a unit.

One definition for every view (terminal diff, HTML diff page, report notebooks, explorer), so they
all mark the same characters. rapidfuzz's Indel opcodes (insertions and deletions only, like a
reader's redline) run in C, which matters for 4,000-character report items.
"""

from __future__ import annotations

import html

from rapidfuzz.distance import Indel

Segments = list[tuple[str, str]]  # (equal | delete | insert, text)


def mark(a: str, b: str) -> tuple[Segments, Segments]:
    """Deletions marked on the old side, insertions on the new side."""
    seg_a: Segments = []
    seg_b: Segments = []
    for op in Indel.opcodes(a, b):
        if op.tag == "equal":
            seg_a.append(("equal", a[op.src_start : op.src_end]))
            seg_b.append(("equal", b[op.dest_start : op.dest_end]))
        if op.tag in ("delete", "replace") and op.src_end > op.src_start:
            seg_a.append(("delete", a[op.src_start : op.src_end]))
        if op.tag in ("insert", "replace") and op.dest_end > op.dest_start:
            seg_b.append(("insert", b[op.dest_start : op.dest_end]))
    return _merge(seg_a), _merge(seg_b)


def _merge(segs: Segments) -> Segments:
    out: Segments = []
    for kind, text in segs:
        if out and out[-1][0] == kind:
            out[-1] = (kind, out[-1][1] + text)
        elif text:
            out.append((kind, text))
    return out


def plain(segments: Segments) -> str:
    """Text with wdiff-style marks: [-deleted-] and {+inserted+}."""
    return "".join(
        f"[-{text}-]" if kind == "delete" else f"{{+{text}+}}" if kind == "insert" else text
        for kind, text in segments
    )


def to_html(segments: Segments) -> str:
    """<del>/<ins> marks; every piece of document text escaped."""
    out = []
    for kind, text in segments:
        t = html.escape(text).replace("\n", "<br>")
        out.append(
            f"<del>{t}</del>" if kind == "delete" else f"<ins>{t}</ins>" if kind == "insert" else t
        )
    return "".join(out)
