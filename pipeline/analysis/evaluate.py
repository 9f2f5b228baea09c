"""Score alignment links against hand-made gold files: precision, recall, F1 per year pair, the
one-sided units (new/dropped) and a confusion of relations.

Gold format (docs/alignment.md):

    {"source": "gwr", "series": "…", "level": "item",
     "pairs": [{"from": "2018", "to": "2019", "section_from": 3, "section_to": 3,
                "links": [{"from": 4, "to": 7}], "new": [1], "dropped": [9]}]}

Numbers are item numbers (the N of `N、` / `（N）`) within section_from / section_to; without
sections they must identify one item in the document (items numbered continuously). A string
is taken as an item path ("3.4"). Only predicted links whose both ends lie in the compared
sections are scored. A folder of gold files is read as one gold per (source, series, level):
the same pair given twice must agree (sample/gold/intent.json repeats the per-pair files).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from policytrack.pipeline.analysis.corpus import select_documents
from policytrack.pipeline.analysis.linking import relations
from policytrack.pipeline.core.errors import InputError
from policytrack.pipeline.store.schema import LINK_RELATIONS

Ref = int | str

# Relation classes of the confusion: the shape of a link's group in the link graph.
CLASSES = ("1:1", "split", "merged", "regrouped")
_CLASS_OF = {"unchanged": "1:1", "revised": "1:1", "reappeared": "1:1"}

NEW_DROPPED_NOTE = (
    "new/dropped F1: the units the gold leaves without a partner (new in the later year, "
    "dropped from the earlier one) scored against those the aligner leaves without one; "
    "'–' when neither has any."
)


@dataclass
class GoldPair:
    year_from: int
    year_to: int
    links: set[tuple[Ref, Ref]]
    new: set[Ref] = field(default_factory=set)
    dropped: set[Ref] = field(default_factory=set)
    section_from: int | None = None
    section_to: int | None = None

    @property
    def label(self) -> str:
        return f"{self.year_from}→{self.year_to}"


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
    if Path(path).is_dir():
        raise InputError(where, "is a folder: use load_golds")
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


def load_golds(path: str | Path) -> list[Gold]:
    """A gold file, or every *.json of a folder merged per (source, series, level)."""
    path = Path(path)
    if not path.is_dir():
        return [load_gold(path)]
    files = sorted(path.glob("*.json"))
    if not files:
        raise InputError(str(path), "no *.json gold files in the folder")
    merged: dict[tuple, Gold] = {}
    for f in files:
        g = load_gold(f)
        key = (g.source, g.series, g.level)
        if key not in merged:
            merged[key] = Gold(g.source, g.level, [], g.series, str(path))
        into = merged[key]
        have = {(p.year_from, p.year_to): p for p in into.pairs}
        for p in g.pairs:
            old = have.get((p.year_from, p.year_to))
            if old is None:
                into.pairs.append(p)
                have[(p.year_from, p.year_to)] = p
            elif old != p:
                raise InputError(str(f), f"pair {p.label} differs from the one in another file")
    for g in merged.values():
        g.pairs.sort(key=lambda p: (p.year_from, p.year_to))
    return list(merged.values())


# ---------------------------------------------------------------------------- resolving


@dataclass
class Resolved:
    """A gold pair in paths: the scope of each side and the gold links, new and dropped."""

    pair: GoldPair
    scope_a: set[str]
    scope_b: set[str]
    links: set[tuple[str, str]]
    new: set[str]
    dropped: set[str]


def gold_series(gold: Gold, documents: pd.DataFrame) -> tuple[str, pd.DataFrame]:
    """The series the gold speaks of (its `series`, or the source's only one) and its chosen
    documents."""
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
            f"source {gold.source!r} has several series ({', '.join(series)}); name one with 'series'",
        )
    return series[0], docs


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


def resolve(gold: Gold, items: pd.DataFrame, docs: pd.DataFrame) -> list[Resolved]:
    doc_of = dict(zip(docs["year"], docs["doc_id"], strict=True))
    out = []
    for p in gold.pairs:
        where = f"{gold.path}: {p.label}"
        for y in (p.year_from, p.year_to):
            if y not in doc_of:
                raise InputError(where, f"no document for year {y}")
        ref_a = _scope(items, doc_of[p.year_from], gold.level, p.section_from, where)
        ref_b = _scope(items, doc_of[p.year_to], gold.level, p.section_to, where)
        links = set()
        for a, b in p.links:
            if a not in ref_a or b not in ref_b:
                raise InputError(where, f"link {a}→{b} names an item not in the compared sections")
            links.add((ref_a[a], ref_b[b]))
        for side, refs, known in (("new", p.new, ref_b), ("dropped", p.dropped, ref_a)):
            missing = [x for x in refs if x not in known]
            if missing:
                raise InputError(
                    where, f"{side} names item(s) not in the compared sections: {missing}"
                )
        out.append(
            Resolved(
                p,
                set(ref_a.values()),
                set(ref_b.values()),
                links,
                {ref_b[x] for x in p.new},
                {ref_a[x] for x in p.dropped},
            )
        )
    return out


# ---------------------------------------------------------------------------- scoring


def evaluate(
    gold: Gold, alignments: pd.DataFrame, items: pd.DataFrame, documents: pd.DataFrame
) -> pd.DataFrame:
    """One row per gold pair plus an `overall` row (micro-averaged over links)."""
    series, docs = gold_series(gold, documents)
    return score_resolved(resolve(gold, items, docs), predicted(alignments, gold, series))


def predicted(alignments: pd.DataFrame, gold: Gold, series: str) -> dict:
    """(year_from, year_to) → {(path_from, path_to): relation} of the stored links."""
    al = alignments[
        (alignments["source"] == gold.source)
        & (alignments["series"] == series)
        & (alignments["level"] == gold.level)
        & alignments["relation"].isin(LINK_RELATIONS)
    ]
    out: dict[tuple[int, int], dict[tuple[str, str], str]] = {}
    for yf, yt, a, b, rel in zip(
        al["year_from"], al["year_to"], al["path_from"], al["path_to"], al["relation"], strict=True
    ):
        out.setdefault((int(yf), int(yt)), {})[(a, b)] = rel
    return out


def score_resolved(resolved: list[Resolved], pred_links: dict) -> pd.DataFrame:
    rows = []
    for r in resolved:
        got = pred_links.get((r.pair.year_from, r.pair.year_to), {})
        pred = {(a, b) for a, b in got if a in r.scope_a and b in r.scope_b}
        linked_a = {a for a, _ in pred}
        linked_b = {b for _, b in pred}
        pred_side = {("dropped", x) for x in r.scope_a - linked_a}
        pred_side |= {("new", x) for x in r.scope_b - linked_b}
        gold_side = {("dropped", x) for x in r.dropped} | {("new", x) for x in r.new}
        rows.append(_row(r.pair.label, r.links, pred, gold_side, pred_side))
    keys = ("gold", "predicted", "correct", "side_gold", "side_pred", "side_correct")
    overall = {k: sum(r[k] for r in rows) for k in keys}
    rows.append(
        {
            "pair": "overall",
            **overall,
            **_prf(overall["correct"], overall["predicted"], overall["gold"]),
            "side_f1": _side_f1(
                overall["side_correct"], overall["side_pred"], overall["side_gold"]
            ),
        }
    )
    cols = ["pair", "gold", "predicted", "correct", "precision", "recall", "f1"]
    return pd.DataFrame(rows, columns=[*cols, "side_gold", "side_pred", "side_correct", "side_f1"])


def _prf(tp: int, pred: int, gold: int) -> dict[str, float]:
    p = tp / pred if pred else (1.0 if not gold else 0.0)
    r = tp / gold if gold else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4)}


def _side_f1(tp: int, pred: int, gold: int) -> float:
    """F1 of the one-sided units; NaN when neither side has any (nothing to score)."""
    if not pred and not gold:
        return float("nan")
    return _prf(tp, pred, gold)["f1"]


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
        "side_f1": _side_f1(side_tp, len(pred_side), len(gold_side)),
    }


# ---------------------------------------------------------------------------- relations


def confusion(resolved: list[Resolved], pred_links: dict) -> pd.DataFrame:
    """Links in scope by gold relation (rows) and predicted relation (columns), plus the
    one-sided units: rows `new`/`dropped` count the gold's one-sided units by what the aligner
    made of them (`none` = also one-sided, else the relation it linked them with)."""
    cols = [*CLASSES, "none"]
    rows = [*CLASSES, "none", "new", "dropped"]
    out = pd.DataFrame(0, index=rows, columns=cols)
    for r in resolved:
        got = pred_links.get((r.pair.year_from, r.pair.year_to), {})
        pred = {
            k: _CLASS_OF.get(v, v)
            for k, v in got.items()
            if k[0] in r.scope_a and k[1] in r.scope_b
        }
        gold = gold_classes(r.links)
        for key in set(gold) | set(pred):
            out.loc[gold.get(key, "none"), pred.get(key, "none")] += 1
        for side, units, pos in (("new", r.new, 1), ("dropped", r.dropped, 0)):
            for u in units:
                hit = [c for k, c in pred.items() if k[pos] == u]
                out.loc[side, hit[0] if hit else "none"] += 1
    return out


def gold_classes(links: set[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """The relation class of every gold link, from the shape of its group (as the aligner
    derives relations)."""
    if not links:
        return {}
    ordered = sorted(links)
    olds = sorted({a for a, _ in ordered})
    news = sorted({b for _, b in ordered})
    ia = np.array([olds.index(a) for a, _ in ordered])
    ib = np.array([news.index(b) for _, b in ordered])
    rel = relations(ia, ib, len(olds), len(news), ["a"] * len(olds), ["b"] * len(news))
    return {k: _CLASS_OF.get(v, v) for k, v in zip(ordered, rel, strict=True)}
