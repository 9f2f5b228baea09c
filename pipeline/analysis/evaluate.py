"""Score alignment links against a hand-made gold file: precision, recall, F1 per year pair.

Gold format (docs/alignment.md):

    {"source": "gwr", "series": "…", "level": "item",
     "pairs": [{"from": "2018", "to": "2019", "section_from": 3, "section_to": 3,
                "links": [{"from": 4, "to": 7}], "new": [1], "dropped": [9]}]}

Numbers are item numbers (the N of `N、` / `（N）`) within section_from / section_to; without
sections they must identify one item in the document (items numbered continuously). A string
is taken as an item path ("3.4"). Only predicted links whose both ends lie in the compared
sections are scored.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from policytrack.pipeline.analysis.corpus import select_documents
from policytrack.pipeline.core.errors import InputError
from policytrack.pipeline.store.schema import LINK_RELATIONS

Ref = int | str


@dataclass
class GoldPair:
    year_from: int
    year_to: int
    links: set[tuple[Ref, Ref]]
    new: set[Ref] = field(default_factory=set)
    dropped: set[Ref] = field(default_factory=set)
    section_from: int | None = None
    section_to: int | None = None


@dataclass
class Gold:
    source: str
    level: str
    pairs: list[GoldPair]
    series: str | None = None
    path: str = ""


def _ref(value, where: str) -> Ref:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise InputError(where, f"item reference must be a number or a path string, not {value!r}")
    return value


def load_gold(path: str | Path) -> Gold:
    """Read and validate a gold file; InputError names the file and the problem."""
    where = str(path)
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(where, "file not found") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise InputError(where, f"not valid JSON ({err})") from None
    if not isinstance(raw, dict):
        raise InputError(where, "top level must be a JSON object")
    for key in ("source", "pairs"):
        if key not in raw:
            raise InputError(where, f"missing key {key!r}")
    if not isinstance(raw["pairs"], list) or not raw["pairs"]:
        raise InputError(where, "'pairs' must be a non-empty list")
    pairs = []
    for k, p in enumerate(raw["pairs"]):
        at = f"{where}: pairs[{k}]"
        try:
            year_from, year_to = int(p["from"]), int(p["to"])
        except (KeyError, TypeError, ValueError):
            raise InputError(at, "'from' and 'to' must be years") from None
        links = set()
        for lk in p.get("links", []):
            if not isinstance(lk, dict) or "from" not in lk or "to" not in lk:
                raise InputError(at, f"a link must be {{'from': n, 'to': m}}, not {lk!r}")
            links.add((_ref(lk["from"], at), _ref(lk["to"], at)))
        pairs.append(
            GoldPair(
                year_from=year_from,
                year_to=year_to,
                links=links,
                new={_ref(x, at) for x in p.get("new", [])},
                dropped={_ref(x, at) for x in p.get("dropped", [])},
                section_from=p.get("section_from"),
                section_to=p.get("section_to"),
            )
        )
    return Gold(
        source=str(raw["source"]),
        level=str(raw.get("level", "item")),
        pairs=pairs,
        series=raw.get("series"),
        path=where,
    )


def _scope(
    items: pd.DataFrame, doc_id: str, level: str, section: int | None, where: str
) -> dict[Ref, str]:
    """Reference → path for the items of one document in the compared section."""
    rows = items[(items["doc_id"] == doc_id) & (items["level"] == level)]
    if section is not None:
        rows = rows[rows["section_no"] == int(section)]
    refs: dict[Ref, str] = {}
    for path, no in zip(rows["path"], rows["item_no"], strict=True):
        refs[str(path)] = str(path)
        if pd.notna(no):
            if int(no) in refs and section is None:
                raise InputError(
                    where,
                    f"item number {int(no)} is not unique in document {doc_id}; "
                    "give section_from/section_to or use paths",
                )
            refs[int(no)] = str(path)
    return refs


def evaluate(
    gold: Gold,
    alignments: pd.DataFrame,
    items: pd.DataFrame,
    documents: pd.DataFrame,
) -> pd.DataFrame:
    """One row per gold pair plus an `overall` row (micro-averaged over links)."""
    docs = select_documents(documents[documents["source"] == gold.source], quiet=True)
    if gold.series is not None:
        docs = docs[docs["series"] == gold.series]
    series = sorted(set(docs["series"]))
    if not series:
        raise InputError(
            gold.path,
            f"no documents for source {gold.source!r}"
            + (f" series {gold.series!r}" if gold.series else ""),
        )
    if len(series) > 1:
        raise InputError(
            gold.path,
            f"source {gold.source!r} has several series "
            f"({', '.join(series)}); name one with 'series'",
        )
    doc_of = dict(zip(docs["year"], docs["doc_id"], strict=True))
    al = alignments[
        (alignments["source"] == gold.source)
        & (alignments["series"] == series[0])
        & (alignments["level"] == gold.level)
        & alignments["relation"].isin(LINK_RELATIONS)
    ]
    rows = []
    for p in gold.pairs:
        label = f"{p.year_from}→{p.year_to}"
        where = f"{gold.path}: {label}"
        for y in (p.year_from, p.year_to):
            if y not in doc_of:
                raise InputError(where, f"no document for year {y}")
        ref_a = _scope(items, doc_of[p.year_from], gold.level, p.section_from, where)
        ref_b = _scope(items, doc_of[p.year_to], gold.level, p.section_to, where)
        scope_a, scope_b = set(ref_a.values()), set(ref_b.values())
        gold_links = set()
        for a, b in p.links:
            if a not in ref_a or b not in ref_b:
                raise InputError(where, f"link {a}→{b} names an item not in the compared sections")
            gold_links.add((ref_a[a], ref_b[b]))
        for side, refs, known in (("new", p.new, ref_b), ("dropped", p.dropped, ref_a)):
            missing = [x for x in refs if x not in known]
            if missing:
                raise InputError(
                    where, f"{side} names item(s) not in the compared sections: {missing}"
                )
        sub = al[(al["year_from"] == p.year_from) & (al["year_to"] == p.year_to)]
        pred = {
            (a, b)
            for a, b in zip(sub["path_from"], sub["path_to"], strict=True)
            if a in scope_a and b in scope_b
        }
        linked_a = {a for a, _ in pred}
        linked_b = {b for _, b in pred}
        pred_side = {("dropped", x) for x in scope_a - linked_a}
        pred_side |= {("new", x) for x in scope_b - linked_b}
        gold_side = {("dropped", ref_a[x]) for x in p.dropped}
        gold_side |= {("new", ref_b[x]) for x in p.new}
        rows.append(_row(label, gold_links, pred, gold_side, pred_side))
    overall = {
        k: sum(r[k] for r in rows)
        for k in ("gold", "predicted", "correct", "side_gold", "side_pred", "side_correct")
    }
    rows.append(
        {
            "pair": "overall",
            **overall,
            **_prf(overall["correct"], overall["predicted"], overall["gold"]),
            "side_f1": _prf(overall["side_correct"], overall["side_pred"], overall["side_gold"])[
                "f1"
            ],
        }
    )
    cols = [
        "pair",
        "gold",
        "predicted",
        "correct",
        "precision",
        "recall",
        "f1",
        "side_gold",
        "side_pred",
        "side_correct",
        "side_f1",
    ]
    return pd.DataFrame(rows, columns=cols)


def _prf(tp: int, pred: int, gold: int) -> dict[str, float]:
    p = tp / pred if pred else (1.0 if not gold else 0.0)
    r = tp / gold if gold else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4)}


def _row(label, gold_links, pred, gold_side, pred_side) -> dict:
    tp = len(gold_links & pred)
    side_tp = len(gold_side & pred_side)
    return {
        "pair": label,
        "gold": len(gold_links),
        "predicted": len(pred),
        "correct": tp,
        **_prf(tp, len(pred), len(gold_links)),
        "side_gold": len(gold_side),
        "side_pred": len(pred_side),
        "side_correct": side_tp,
        "side_f1": _prf(side_tp, len(pred_side), len(gold_side))["f1"],
    }
