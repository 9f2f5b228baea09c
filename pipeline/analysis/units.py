"""The units alignment and `diff` work on (items, sections, paragraphs or sentences with their
bodies), built from the items table. Kept apart from align.py so that reading stored links
(`policytrack diff`) needs neither the scoring and assignment stack (scipy) nor pandas:
`unit_texts` builds the same units' (year, path, body) from plain columns."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
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
    import pandas as pd

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
    # Plain lists: iterating a pandas string column yields element by element (slow for Arrow).
    texts = (
        _bodies(
            zip(
                *(items[c].tolist() for c in ("doc_id", "path", "parent_path", "text")), strict=True
            ),
            zip(*(units[c].tolist() for c in ("doc_id", "path", "text")), strict=True),
        )
        if level in ("item", "section")
        else None
    )
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


def unit_texts(
    items: Mapping[str, Sequence],
    level: str = "item",
    sentences: Mapping[str, Sequence] | None = None,
) -> list[tuple[int, str, str]]:
    """(year, path, body) of build_units' units, in its order, from plain columns (lists with
    None for a missing value): no pandas. `items` needs doc_id, year, level, path, parent_path,
    ordinal and text; `sentences` (level `sentence`) doc_id, year, path, sent_no and text."""
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}, not {level!r}")
    if level == "sentence":
        if not sentences or not sentences["doc_id"]:
            return []
        s = sentences
        return [
            (int(y), f"{p}.s{int(n)}", "" if t is None else str(t))
            for y, p, n, t in zip(s["year"], s["path"], s["sent_no"], s["text"], strict=True)
        ]
    if not items or not items["doc_id"]:
        return []
    n = len(items["doc_id"])
    order = range(n)
    if "ordinal" in items:
        key = list(zip(items["doc_id"], items["ordinal"], strict=True))
        order = sorted(order, key=key.__getitem__)  # stable, like sort_values(kind="stable")
    doc, path, text = items["doc_id"], items["path"], items["text"]
    units = [i for i in order if items["level"][i] == level]
    if level in ("item", "section"):
        parent = items["parent_path"]
        bodies = _bodies(
            ((doc[i], path[i], parent[i], text[i]) for i in order),
            ((doc[i], path[i], text[i]) for i in units),
        )
    else:
        bodies = ["" if text[i] is None else str(text[i]) for i in units]
    year = items["year"]
    return [(int(year[i]), str(path[i]), b) for i, b in zip(units, bodies, strict=True)]


def _section_headings(items: pd.DataFrame | None, units: pd.DataFrame) -> list[str]:
    """Heading of the top-level section each unit sits in ("" when unknown)."""
    if items is None or items.empty or units.empty:
        return [""] * len(units)
    secs = items[items["level"] == "section"]
    heading = dict(
        zip(
            zip(secs["doc_id"].tolist(), secs["path"].astype(str).tolist(), strict=True),
            secs["heading"].fillna("").tolist(),
            strict=True,
        )
    )
    return [
        heading.get((d, p.split(".", 1)[0]), "")
        for d, p in zip(units["doc_id"].tolist(), units["path"].tolist(), strict=True)
    ]


def _bodies(
    items: Iterable[tuple[str, str, str, str | None]], units: Iterable[tuple[str, str, str | None]]
) -> list[str]:
    """Own text + nested text per unit, nesting found by walking `parent_path` upwards.
    `items`: (doc_id, path, parent_path, text) of every item in document order; `units`:
    (doc_id, path, text) of the units."""
    units = list(units)
    unit_keys = {(d, p) for d, p, _ in units}
    items = list(items)
    parent = {(d, p): up for d, p, up, _ in items}
    extra: dict[tuple[str, str], list[str]] = {}
    for doc_id, path, _, text in items:
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
    for doc_id, path, text in units:
        own = text if isinstance(text, str) else ""
        parts = [own] + [t for t in extra.get((doc_id, path), []) if t not in own]
        bodies.append("\n".join(p for p in parts if p))
    return bodies
