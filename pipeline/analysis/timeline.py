"""Term timelines: for every term and series, per year: present, count, paths, status, emergence.

Status per year, computed from that year and earlier ones only:
  new         first year the term is seen
  persisting  seen this year and in the previous document
  returned    seen this year, not in the previous document, but seen before
  absent      not seen this year
  fading      the last year seen, once a later document lacks the term (the only status a
              later year can set: it replaces new/persisting/returned of the year before)

Emergence is an online Kleinberg burst weight (two-state automaton, Poisson counts per
character of the document): the weight of the burst the term is in at that year, 0 outside a
burst. Rates and states use years up to that year only, so adding a year never changes it.

Variants: a term and the terms that contain it (三大攻坚战 / 打好三大攻坚战 / 三大攻坚战三年行动)
or differ only slightly from it (rapidfuzz ratio) are grouped under one canonical form.
"""

from __future__ import annotations

import logging
import math
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import pandas as pd
from rapidfuzz import fuzz

from policytrack.pipeline.analysis.corpus import select_documents
from policytrack.pipeline.analysis.similarity import match_form
from policytrack.pipeline.store import schema

log = logging.getLogger(__name__)

STATUSES = schema.STATUSES
TIMELINE_COLUMNS = schema.TERM_TIMELINE.names


@dataclass(frozen=True)
class TimelineConfig:
    """Variant grouping and burst parameters (docs/alignment.md)."""

    min_root: int = 3  # a contained term must be at least this long to be a variant root
    min_share: float = 0.3  # and at least this share of the longer term's length
    near: float = 88.0  # rapidfuzz ratio for near-identical spellings (不忘初心、牢记使命 / …)
    burst_ratio: float = 2.0  # Kleinberg s: a burst is a rate this many times the baseline
    burst_gamma: float = 1.0  # Kleinberg γ: cost of entering a burst, γ·ln(1 + years so far)


# ---------------------------------------------------------------------------- variants


def group_variants(
    terms: list[str],
    freq: dict[str, int] | None = None,
    watch: list[str] | tuple[str, ...] = (),
    cfg: TimelineConfig | None = None,
) -> dict[str, str]:
    """term → canonical form. Groups are stars around a root, so they never chain.

    Roots are taken shortest first (watched terms before all others); a later term joins the
    most frequent root it contains (or nearly equals), otherwise it becomes a root itself.
    """
    cfg = cfg or TimelineConfig()
    freq = freq or {}
    watched = [w for w in dict.fromkeys(watch) if w]
    others = sorted(
        {t for t in terms if t and t not in watched},
        key=lambda t: (len(match_form(t) or t), -freq.get(t, 0), len(t), t),
    )
    canonical: dict[str, str] = {}
    roots: list[str] = []
    by_gram: dict[str, list[int]] = defaultdict(list)  # bigram → root indices (candidate lookup)
    for term in [*watched, *others]:
        key = match_form(term) or term
        grams = {key[i : i + 2] for i in range(max(len(key) - 1, 1))}
        cands = {r for g in grams for r in by_gram.get(g, ())}
        best = None
        for r in cands:
            root = roots[r]
            rkey = match_form(root) or root
            contained = (
                len(rkey) >= cfg.min_root and rkey in key and len(rkey) >= cfg.min_share * len(key)
            )
            close = min(len(rkey), len(key)) >= 4 and fuzz.ratio(rkey, key) >= cfg.near
            if (contained or close) and (
                best is None
                or (freq.get(root, 0), len(root), root) > (freq.get(best, 0), len(best), best)
            ):
                best = root
        if best is None:
            canonical[term] = term
            roots.append(term)
            for g in grams:
                by_gram[g].append(len(roots) - 1)
        else:
            canonical[term] = best
    return canonical


# ---------------------------------------------------------------------------- status, emergence


def statuses(present: np.ndarray) -> np.ndarray:
    """Status per (term, year) from a boolean terms × years matrix (years ascending)."""
    n, t = present.shape
    out = np.full((n, t), "absent", dtype=object)
    seen = np.zeros(n, dtype=bool)
    prev = np.zeros(n, dtype=bool)
    for k in range(t):
        p = present[:, k]
        out[p & ~seen, k] = "new"
        out[p & prev, k] = "persisting"
        out[p & seen & ~prev, k] = "returned"
        if k:
            out[prev & ~p, k - 1] = "fading"
        seen |= p
        prev = p
    return out


def emergence(
    counts: np.ndarray, sizes: np.ndarray, cfg: TimelineConfig | None = None
) -> np.ndarray:
    """Online Kleinberg burst weight per (term, year); uses years ≤ t only for year t.

    Each year is a batch of `sizes[t]` characters with `counts[:, t]` mentions (Poisson). The
    baseline rate is the term's rate over all years so far; the burst state has `burst_ratio`
    times that rate. The forward Viterbi pass gives the best state at t given years ≤ t; the
    emergence is the summed log-likelihood gain of the burst run ending at t (0 if not in one).
    """
    cfg = cfg or TimelineConfig()
    n, t = counts.shape
    out = np.zeros((n, t), dtype=np.float64)
    if n == 0 or t == 0:
        return out
    s = cfg.burst_ratio
    log_s = math.log(s)
    sizes = np.maximum(np.asarray(sizes, dtype=np.float64), 1.0)
    cum_r = np.zeros(n)
    cum_d = 0.0
    d0 = np.zeros(n)  # best cost ending in the base state
    d1 = np.full(n, np.inf)  # best cost ending in the burst state
    run = np.zeros(n)  # burst weight accumulated along the best path ending in the burst state
    for k in range(t):
        r = counts[:, k].astype(np.float64)
        cum_r += r
        cum_d += sizes[k]
        rate = cum_r / cum_d
        gain = r * log_s - (s - 1.0) * rate * sizes[k]  # log P(burst) − log P(base)
        tau = cfg.burst_gamma * math.log(k + 2)
        stay = d1 <= d0 + tau
        new_d0 = np.minimum(d0, d1)
        new_d1 = np.where(stay, d1, d0 + tau) - gain
        run = np.where(stay, run + gain, gain)
        d0, d1 = new_d0, new_d1
        burst = d1 < d0
        out[:, k] = np.where(burst, np.maximum(run, 0.0), 0.0)
    return np.round(out, 4)


# ---------------------------------------------------------------------------- timeline


def _doc_sizes(docs: pd.DataFrame, terms: pd.DataFrame) -> dict[str, float]:
    """Characters per document (the Kleinberg batch size); term mentions if n_chars is absent."""
    sizes: dict[str, float] = {}
    if "n_chars" in docs:
        sizes = {
            d: float(c)
            for d, c in zip(docs["doc_id"], docs["n_chars"], strict=True)
            if pd.notna(c) and c > 0
        }
    if not terms.empty:
        mentions = terms.groupby("doc_id")["count"].sum()
        for d in docs["doc_id"]:
            if d not in sizes:
                sizes[d] = float(mentions.get(d, 0)) or 1.0
    return sizes


def term_timeline(
    terms: pd.DataFrame,
    documents: pd.DataFrame,
    *,
    watch: list[str] | tuple[str, ...] = (),
    config: TimelineConfig | None = None,
) -> pd.DataFrame:
    """One row per (source, series, term, year) over every document year of the series."""
    cfg = config or TimelineConfig()
    watch = [w.strip() for w in watch if w and w.strip()]
    docs = select_documents(documents, quiet=True)
    if docs.empty:
        return pd.DataFrame(columns=TIMELINE_COLUMNS)
    terms = terms if terms is not None else pd.DataFrame()
    if not terms.empty:
        known = set(docs["doc_id"])
        other = ~terms["doc_id"].isin(known)
        if other.any():
            log.info(
                "term rows of %d document(s) not chosen for their year are ignored",
                terms.loc[other, "doc_id"].nunique(),
            )
        terms = terms[~other]
    sizes = _doc_sizes(docs, terms)
    frames = []
    for source, sdocs in docs.groupby("source", sort=True):
        sterms = terms[terms["source"] == source] if not terms.empty else terms
        agg = _aggregate(sterms)
        freq = agg.groupby("term")["year"].nunique().to_dict() if not agg.empty else {}
        canon = group_variants(sorted(set(freq) | set(watch)), freq, watch, cfg)
        members: dict[str, list[str]] = defaultdict(list)
        for term, c in canon.items():
            members[c].append(term)
        for c in members:
            members[c].sort(key=lambda t: (t != c, -freq.get(t, 0), len(t), t))
        for series, gdocs in sdocs.groupby("series", sort=True):
            frames.append(
                _series_timeline(source, series, gdocs, agg, canon, members, watch, sizes, cfg)
            )
    frames = [f for f in frames if not f.empty]
    if not frames:
        return pd.DataFrame(columns=TIMELINE_COLUMNS)
    out = pd.concat(frames, ignore_index=True)
    for col in ("year", "count", "first_year"):
        out[col] = out[col].astype("int64")
    out["present"] = out["present"].astype(bool)
    out["watched"] = out["watched"].astype(bool)
    return out[TIMELINE_COLUMNS]


def _aggregate(terms: pd.DataFrame) -> pd.DataFrame:
    """One row per (series, year, term): count = max over kinds (a watched count includes the
    quoted mentions), paths = union in first-seen order, kinds joined."""
    cols = ["series", "year", "term", "count", "paths", "kinds"]
    if terms is None or terms.empty:
        return pd.DataFrame(columns=cols)
    rows = {}
    for series, year, term, kind, count, paths in zip(
        terms["series"],
        terms["year"],
        terms["term"],
        terms["kind"],
        terms["count"],
        terms["paths"],
        strict=True,
    ):
        key = (series, int(year), term)
        row = rows.get(key)
        plist = [str(p) for p in (paths if paths is not None else [])]
        if row is None:
            rows[key] = [series, int(year), term, int(count), list(dict.fromkeys(plist)), {kind}]
        else:
            row[3] = max(row[3], int(count))
            row[4] = list(dict.fromkeys([*row[4], *plist]))
            row[5].add(kind)
    out = pd.DataFrame(list(rows.values()), columns=cols)
    out["kinds"] = out["kinds"].map(lambda k: ",".join(sorted(k)))
    return out


def _series_timeline(source, series, gdocs, agg, canon, members, watch, sizes, cfg) -> pd.DataFrame:
    years = sorted(gdocs["year"].astype(int).tolist())
    doc_of = dict(zip(gdocs["year"].astype(int), gdocs["doc_id"], strict=True))
    sub = agg[agg["series"] == series] if not agg.empty else agg
    term_list = sorted(set(sub["term"]) | set(watch)) if not sub.empty else sorted(set(watch))
    if not term_list:
        return pd.DataFrame(columns=TIMELINE_COLUMNS)
    index = {t: i for i, t in enumerate(term_list)}
    col = {y: k for k, y in enumerate(years)}
    counts = np.zeros((len(term_list), len(years)), dtype=np.int64)
    paths = {}
    kinds: dict[str, set[str]] = defaultdict(set)
    for term, year, count, plist, kind in zip(
        sub["term"], sub["year"], sub["count"], sub["paths"], sub["kinds"], strict=True
    ):
        if year in col:
            counts[index[term], col[year]] = count
            paths[(term, year)] = plist
            kinds[term].update(kind.split(","))
    present = counts > 0
    status = statuses(present)
    emer = emergence(counts, np.array([sizes.get(doc_of[y], 1.0) for y in years]), cfg)
    first = np.where(present.any(axis=1), present.argmax(axis=1), -1)
    rows = []
    watched = set(watch)
    for term, i in index.items():
        c = canon.get(term, term)
        for y, k in col.items():
            rows.append(
                {
                    "source": source,
                    "series": series,
                    "term": term,
                    "canonical": c,
                    "variants": members.get(c, [term]),
                    "year": y,
                    "present": bool(present[i, k]),
                    "count": int(counts[i, k]),
                    "status": status[i, k],
                    "paths": paths.get((term, y), []),
                    "emergence": float(emer[i, k]),
                    "first_year": years[first[i]] if first[i] >= 0 else 0,
                    "kinds": ",".join(
                        sorted(kinds.get(term, set()) | ({"watch"} if term in watched else set()))
                    ),
                    "watched": term in watched,
                }
            )
    return pd.DataFrame(rows, columns=TIMELINE_COLUMNS)


def group_timeline(
    timeline: pd.DataFrame, documents: pd.DataFrame, config: TimelineConfig | None = None
) -> pd.DataFrame:
    """The timeline per canonical form: a group is present when any variant is; counts summed
    without counting a mention twice, paths merged; status and emergence recomputed."""
    cfg = config or TimelineConfig()
    if timeline.empty:
        return timeline.copy()
    docs = select_documents(documents, quiet=True)
    sizes = _doc_sizes(docs, pd.DataFrame())
    frames = []
    for (source, series), g in timeline.groupby(["source", "series"], sort=True):
        years = sorted(g["year"].unique().tolist())
        doc_of = dict(
            zip(
                docs.loc[(docs["source"] == source) & (docs["series"] == series), "year"],
                docs.loc[(docs["source"] == source) & (docs["series"] == series), "doc_id"],
                strict=True,
            )
        )
        # A mention of a longer variant (打好三大攻坚战) is already counted by a shorter one it
        # contains when that one is counted bare (三大攻坚战): sum only the others.
        bare = {t for t, w in zip(g["term"], g["watched"], strict=True) if len(t) >= 3 or w}
        members = g.groupby("canonical")["term"].agg(set).to_dict()
        g = g.assign(
            own=[
                0 if any(u != t and u in bare and u in t for u in members[c]) else n
                for t, c, n in zip(g["term"], g["canonical"], g["count"], strict=True)
            ]
        )
        agg = (
            g.groupby(["canonical", "year"], sort=True)
            .agg(
                count=("own", "sum"),
                present=("present", "any"),
                paths=("paths", lambda s: list(dict.fromkeys(p for lst in s for p in lst))),
                kinds=(
                    "kinds",
                    lambda s: ",".join(sorted({k for x in s for k in x.split(",") if k})),
                ),
                watched=("watched", "any"),
                variants=("variants", "first"),
            )
            .reset_index()
        )
        canon = sorted(agg["canonical"].unique())
        idx = {c: i for i, c in enumerate(canon)}
        col = {y: k for k, y in enumerate(years)}
        counts = np.zeros((len(canon), len(years)), dtype=np.int64)
        present = np.zeros((len(canon), len(years)), dtype=bool)
        for c, y, n, p in zip(
            agg["canonical"], agg["year"], agg["count"], agg["present"], strict=True
        ):
            counts[idx[c], col[y]] = n
            present[idx[c], col[y]] = p
        status = statuses(present)
        emer = emergence(counts, np.array([sizes.get(doc_of.get(y), 1.0) for y in years]), cfg)
        first = np.where(present.any(axis=1), present.argmax(axis=1), -1)
        agg["term"] = agg["canonical"]
        agg["source"] = source
        agg["series"] = series
        agg["status"] = [
            status[idx[c], col[y]] for c, y in zip(agg["canonical"], agg["year"], strict=True)
        ]
        agg["emergence"] = [
            float(emer[idx[c], col[y]]) for c, y in zip(agg["canonical"], agg["year"], strict=True)
        ]
        agg["first_year"] = [
            years[first[idx[c]]] if first[idx[c]] >= 0 else 0 for c in agg["canonical"]
        ]
        frames.append(agg[TIMELINE_COLUMNS])
    return pd.concat(frames, ignore_index=True)


# ---------------------------------------------------------------------------- counting


def count_terms(items: pd.DataFrame, documents: pd.DataFrame, terms: list[str]) -> pd.DataFrame:
    """Count terms in parsed text with the extractor's rule (docs/terms.md), as `watch` rows.

    Used when a user asks about a term the build did not watch. Units: the preamble, each
    section's title line, each item's own text (its first line when it has nested units).
    A term of three or more characters counts every occurrence; a shorter one only quoted.
    """
    from policytrack.pipeline.text.normalize import normalize

    cols = ["source", "series", "year", "doc_id", "term", "kind", "count", "paths"]
    wanted = [t for t in dict.fromkeys(normalize(t) for t in terms) if t]
    docs = select_documents(documents, quiet=True)
    if not wanted or docs.empty:
        return pd.DataFrame(columns=cols)
    items = items.sort_values(["doc_id", "ordinal"], kind="stable") if "ordinal" in items else items
    has_children = set(zip(items["doc_id"], items["parent_path"], strict=True))
    units: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for doc_id, pre in zip(
        docs["doc_id"], docs.get("preamble", pd.Series([""] * len(docs))), strict=True
    ):
        if isinstance(pre, str) and pre:
            units[doc_id].append(("preamble", pre))
    for doc_id, path, level, text in zip(
        items["doc_id"], items["path"], items["level"], items["text"], strict=True
    ):
        text = text if isinstance(text, str) else ""
        own = (
            text.split("\n", 1)[0] if level == "section" or (doc_id, path) in has_children else text
        )
        units[doc_id].append((str(path), own))
    rows = []
    for d in docs.itertuples():
        for term in wanted:
            # These are watched terms: counted bare whatever their length (docs/terms.md).
            hits = []
            for path, text in units.get(d.doc_id, []):
                hits.extend([path] * text.count(term))
            if hits:
                rows.append(
                    [
                        d.source,
                        d.series,
                        int(d.year),
                        d.doc_id,
                        term,
                        "watch",
                        len(hits),
                        list(dict.fromkeys(hits)),
                    ]
                )
    return pd.DataFrame(rows, columns=cols)
