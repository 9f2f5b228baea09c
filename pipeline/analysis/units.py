"""The units alignment and `diff` work on (items, sections, paragraphs or sentences with their
bodies), built from the items table. Kept apart from align.py so that reading stored links
(`policytrack diff`) needs pandas only, not the scoring and assignment stack (scipy)."""

from __future__ import annotations

import pandas as pd

LEVELS = ("item", "section", "paragraph", "sentence")


def build_units(
    items: pd.DataFrame,
    level: str = "item",
    sentences: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The units to align at `level`: source, series, year, doc_id, path, heading, body.

    An item's body is its own text plus the text of everything nested under it (paragraphs,
    sub-items) that its own text does not already contain, so an item is compared on all it says.
    """
    cols = ["source", "series", "year", "doc_id", "path", "heading", "body", "section"]
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}, not {level!r}")
    if level == "sentence":
        if sentences is None or sentences.empty:
            return pd.DataFrame(columns=cols)
        s = sentences
        out = pd.DataFrame(
            {
                "source": s["source"],
                "series": s["series"],
                "year": s["year"].astype(int),
                "doc_id": s["doc_id"],
                "path": s["path"].astype(str) + ".s" + s["sent_no"].astype(int).astype(str),
                "heading": "",
                "body": s["text"].fillna("").astype(str),
            }
        )
        out["section"] = _section_headings(items, out)
        return out.reset_index(drop=True)
    if items is None or items.empty:
        return pd.DataFrame(columns=cols)
    items = items.sort_values(["doc_id", "ordinal"], kind="stable") if "ordinal" in items else items
    units = items[items["level"] == level]
    texts = _bodies(items, units) if level in ("item", "section") else None
    out = pd.DataFrame(
        {
            "source": units["source"].values,
            "series": units["series"].values,
            "year": units["year"].astype(int).values,
            "doc_id": units["doc_id"].values,
            "path": units["path"].astype(str).values,
            "heading": units["heading"].fillna("").astype(str).values,
            "body": texts if texts is not None else units["text"].fillna("").astype(str).values,
        }
    )
    out["section"] = _section_headings(items, out)
    return out


def _section_headings(items: pd.DataFrame | None, units: pd.DataFrame) -> list[str]:
    """Heading of the top-level section each unit sits in ("" when unknown)."""
    if items is None or items.empty or units.empty:
        return [""] * len(units)
    secs = items[items["level"] == "section"]
    heading = dict(
        zip(
            zip(secs["doc_id"], secs["path"].astype(str), strict=True),
            secs["heading"].fillna(""),
            strict=True,
        )
    )
    return [
        heading.get((d, p.split(".", 1)[0]), "")
        for d, p in zip(units["doc_id"], units["path"], strict=True)
    ]


def _bodies(items: pd.DataFrame, units: pd.DataFrame) -> list[str]:
    """Own text + nested text per unit, nesting found by walking `parent_path` upwards."""
    unit_keys = set(zip(units["doc_id"], units["path"], strict=True))
    parent = dict(
        zip(zip(items["doc_id"], items["path"], strict=True), items["parent_path"], strict=True)
    )
    extra: dict[tuple[str, str], list[str]] = {}
    for doc_id, path, text in zip(items["doc_id"], items["path"], items["text"], strict=True):
        key = (doc_id, path)
        if key in unit_keys or not isinstance(text, str) or not text:
            continue
        seen = 0
        up = parent.get(key)
        while up and seen < 20:  # depth guard against a cyclic parent_path
            if (doc_id, up) in unit_keys:
                extra.setdefault((doc_id, up), []).append(text)
                break
            up = parent.get((doc_id, up))
            seen += 1
    bodies = []
    for doc_id, path, text in zip(units["doc_id"], units["path"], units["text"], strict=True):
        own = text if isinstance(text, str) else ""
        parts = [own] + [t for t in extra.get((doc_id, path), []) if t not in own]
        bodies.append("\n".join(p for p in parts if p))
    return bodies
