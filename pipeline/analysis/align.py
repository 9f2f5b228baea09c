"""Align the units (items, sections, paragraphs or sentences) of one series across years.

For each (source, series) the documents are ordered by year (a missing year is bridged) and
year Y's units are linked to those of the previous available year (linking.py):

1. score every pair (BM25 both ways, lexical.py) and let every paragraph vote for the unit of
   the other year holding its best match (segments.py);
2. link every pair where about a third of either unit's text votes for the other: links are
   many-to-many, and a unit with no real successor stays unlinked;
3. relations come from the link graph (1:1 unchanged/revised, 1:n split, n:1 merged, n:m
   regrouped); a maximum-weight assignment picks each unit's primary link;
4. units of Y still unlinked are matched against units of up to `lookback` earlier documents
   that were never linked forward: `reappeared`.

New/dropped rows record units without links. Threads chain the primary links into lineages.
See docs/alignment.md.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from policytrack.pipeline.analysis.corpus import select_documents
from policytrack.pipeline.analysis.lexical import LexIndex, TextCache, paragraphs
from policytrack.pipeline.analysis.linking import (  # noqa: F401  (re-exported)
    AlignConfig,
    PairResult,
    Scored,
    Side,
    assign,
    link,
    match,
    score,
)
from policytrack.pipeline.analysis.similarity import Encoder
from policytrack.pipeline.analysis.similarity import prepare as prepare_text
from policytrack.pipeline.analysis.units import (  # noqa: F401  (re-exported)
    LEVELS,
    build_units,
)
from policytrack.pipeline.core.progress import track
from policytrack.pipeline.store import schema
from policytrack.pipeline.store.versions import ALIGN_VERSION  # noqa: F401

log = logging.getLogger(__name__)

# ALIGN_VERSION lives in pipeline/store/versions.py (bump it when alignment output changes for
# the same input: the build re-aligns cached sources); re-exported here for callers.

LINK_RELATIONS, RELATIONS = schema.LINK_RELATIONS, schema.RELATIONS

ALIGNMENT_COLUMNS = schema.ALIGNMENTS.names
THREAD_COLUMNS = schema.THREADS.names


@dataclass
class Link:
    year_from: int
    path_from: str | None
    year_to: int
    path_to: str | None
    relation: str
    score: float  # standardised score (docs/alignment.md)
    primary: bool
    similarity: float = float("nan")  # raw combined rapidfuzz similarity 0–100


# ---------------------------------------------------------------------------- inputs


# ---------------------------------------------------------------------------- one series


@dataclass
class SeriesScores:
    """Everything measured for one series: sides per year and the scores of consecutive years.
    Linking applies thresholds to it (`link_series`), so thresholds can be tuned without
    scoring again (evaluate --folds)."""

    years: list[int]
    paths: dict[int, list[str]]
    sides: dict[int, Side]
    index: LexIndex
    scored: dict[int, Scored]  # year → scores against the previous year


Vectors = Callable[[list[str]], np.ndarray]


def prepare_series(
    units: pd.DataFrame,
    cfg: AlignConfig,
    vectors: Vectors | None = None,
    texts: TextCache | None = None,
) -> tuple[dict, dict, LexIndex]:
    """(paths per year, sides per year, the series' term index). `vectors`, when given, maps
    paragraphs to unit-length vectors that are averaged into the vote (a semantic channel:
    bench/align_bench.py tune --semantic measures one); `texts` shares cut paragraphs between
    the series of a corpus."""
    by_year = _by_year(units, ("heading", "body", "path"))
    texts = texts or TextCache()
    index = LexIndex(units["body"].tolist(), cfg.sim.tokens, cfg.sim.k1, cfg.sim.b, texts)
    encoder = Encoder(cfg.sim.tokens) if cfg.sim.indel else None
    sides = {}
    for y, g in by_year.items():
        heads, bodies = g["heading"], g["body"]
        side = Side(index.prepare(heads, bodies), [texts.form(t) for t in bodies])
        if encoder is not None:
            side.fuzz = prepare_text(heads, bodies, encoder, cfg.sim.scorer)
        if vectors is not None:
            side.emb = vectors([p for body in bodies for p in paragraphs(body)])
        sides[y] = side
    return {y: g["path"] for y, g in by_year.items()}, sides, index


def _by_year(units: pd.DataFrame, columns: tuple[str, ...]) -> dict[int, dict[str, list]]:
    """Years ascending → the columns' values of that year's units, in their order (what a
    groupby on the year gives, as lists: one conversion of each column instead of one a year)."""
    values = {c: units[c].tolist() for c in columns}
    rows: dict[int, list[int]] = {}
    for k, year in enumerate(units["year"].tolist()):
        rows.setdefault(year, []).append(k)
    return {y: {c: [values[c][k] for k in rows[y]] for c in columns} for y in sorted(rows)}


def score_series(
    units: pd.DataFrame,
    cfg: AlignConfig,
    vectors: Vectors | None = None,
    texts: TextCache | None = None,
) -> SeriesScores:
    years = sorted(units["year"].unique().tolist())
    paths, sides, index = prepare_series(units, cfg, vectors, texts)
    scored = {
        year: score(sides[years[k - 1]], sides[year], index, cfg)
        for k, year in enumerate(years)
        if k
    }
    return SeriesScores(years, paths, sides, index, scored)


def align_series(
    units: pd.DataFrame, cfg: AlignConfig, texts: TextCache | None = None
) -> list[Link]:
    """Links for the units of one (source, series, level), years ascending."""
    return link_series(score_series(units, cfg, texts=texts), cfg)


def link_series(ss: SeriesScores, cfg: AlignConfig) -> list[Link]:
    """Apply cfg's thresholds to a series' scores (reappearances are scored here, on the units
    left open)."""
    years, paths, sides = ss.years, ss.paths, ss.sides
    # Units with no primary link forward yet, per year: candidates for `reappeared`.
    open_units: dict[int, set[int]] = {}
    links: list[Link] = []
    for k, year in enumerate(years):
        open_units[year] = set(range(len(sides[year])))
        if k == 0:
            continue
        prev = years[k - 1]
        res = link(ss.scored[year], sides[prev].keys, sides[year].keys, cfg)
        linked_to = set()
        for i, j, rel, sc, primary, raw in res.links:
            links.append(Link(prev, paths[prev][i], year, paths[year][j], rel, sc, primary, raw))
            if primary:  # a unit whose only links forward are secondary may still come back
                open_units[prev].discard(i)
            linked_to.add(j)
        for back in years[max(0, k - 1 - cfg.lookback) : k - 1][::-1]:  # nearest first
            todo = [j for j in range(len(sides[year])) if j not in linked_to]
            cand = sorted(open_units[back])
            if not todo or not cand:
                continue
            sub = match(
                sides[back].subset(cand), sides[year].subset(todo), ss.index, cfg, primary_only=True
            )
            for i, j, _rel, sc, _primary, raw in sub.links:
                ii, jj = cand[i], todo[j]
                links.append(
                    Link(back, paths[back][ii], year, paths[year][jj], "reappeared", sc, True, raw)
                )
                open_units[back].discard(ii)
                linked_to.add(jj)
        linked_from = {lk.path_from for lk in links if lk.year_from == prev and lk.year_to == year}
        for j in range(len(sides[year])):
            if j not in linked_to:
                links.append(
                    Link(prev, None, year, paths[year][j], "new", float(res.best_b[j]), False)
                )
        for i in range(len(sides[prev])):
            if paths[prev][i] not in linked_from:
                links.append(
                    Link(prev, paths[prev][i], year, None, "dropped", float(res.best_a[i]), False)
                )
    return links


# ---------------------------------------------------------------------------- threads


def thread_key(source: str, series: str, level: str, year: int, path: str) -> str:
    """Stable thread id: a hash of where the lineage starts (unchanged when later years are added)."""
    raw = f"{source}\x1f{series}\x1f{level}\x1f{year}\x1f{path}"
    return "t" + hashlib.sha1(raw.encode("utf-8")).hexdigest()[:11]


def build_threads(
    source: str, series: str, level: str, units: pd.DataFrame, links: list[Link]
) -> tuple[pd.DataFrame, dict[tuple[int, str], str]]:
    """Chain primary links into lineages. A unit whose only links in are secondary (the extra
    part of a split or a regrouping) starts a thread with `parent_thread` set; a unit whose only
    links out are secondary (the extra part of a merge) ends its thread with `merged_into` set.
    The best-scoring secondary link names the parent / the thread joined."""
    years = sorted(units["year"].unique().tolist())
    last_year = years[-1] if years else None
    incoming: dict[tuple[int, str], Link] = {}
    outgoing: set[tuple[int, str]] = set()
    split_from: dict[tuple[int, str], Link] = {}
    merged_to: dict[tuple[int, str], Link] = {}
    for lk in links:
        if lk.path_from is None or lk.path_to is None:
            continue
        if lk.primary:
            incoming[(lk.year_to, lk.path_to)] = lk
            outgoing.add((lk.year_from, lk.path_from))
    for lk in sorted(links, key=lambda x: -x.score):
        if lk.path_from is None or lk.path_to is None or lk.primary:
            continue
        to, fro = (lk.year_to, lk.path_to), (lk.year_from, lk.path_from)
        if to not in incoming:
            split_from.setdefault(to, lk)
        if fro not in outgoing:
            merged_to.setdefault(fro, lk)
    thread_of: dict[tuple[int, str], str] = {}
    rows: dict[str, dict] = {}
    ordered = units.sort_values(["year"], kind="stable")
    for year, path, heading, body in zip(
        ordered["year"], ordered["path"], ordered["heading"], ordered["body"], strict=True
    ):
        key = (int(year), path)
        lk = incoming.get(key)
        tid = thread_of.get((lk.year_from, lk.path_from)) if lk else None
        if tid is None:
            tid = thread_key(source, series, level, int(year), path)
            parent = split_from.get(key)
            rows[tid] = {
                "thread_id": tid,
                "years": [],
                "paths": [],
                "parent_thread": thread_of.get((parent.year_from, parent.path_from))
                if parent
                else None,
                "merged_into": None,
            }
        thread_of[key] = tid
        row = rows[tid]
        row["years"].append(int(year))
        row["paths"].append(path)
        label = heading.strip() if isinstance(heading, str) else ""
        row["label"] = label or (body or "")[:40]
    for key, lk in merged_to.items():
        src, dst = thread_of.get(key), thread_of.get((lk.year_to, lk.path_to))
        if src and dst and src != dst:
            rows[src]["merged_into"] = dst
    out = []
    for row in rows.values():
        out.append(
            {
                "source": source,
                "series": series,
                "level": level,
                "thread_id": row["thread_id"],
                "first_year": row["years"][0],
                "last_year": row["years"][-1],
                "years": row["years"],
                "paths": row["paths"],
                "n_years": len(set(row["years"])),
                "label": row["label"],
                "parent_thread": row["parent_thread"],
                "merged_into": row["merged_into"],
                "active": row["years"][-1] == last_year,
            }
        )
    return pd.DataFrame(out, columns=THREAD_COLUMNS), thread_of


# ---------------------------------------------------------------------------- corpus


def alignable_units(
    items: pd.DataFrame,
    chosen_docs: pd.DataFrame,
    level: str,
    sentences: pd.DataFrame | None,
    cfg: AlignConfig,
    texts: TextCache | None = None,
) -> pd.DataFrame:
    """The units that take part in alignment: chosen documents only, reviews and empty units
    left out (each logged). `texts` keeps the matching forms made (the series reuse them)."""
    units = build_units(items, level, sentences)
    if units.empty:
        return units
    known = set(chosen_docs["doc_id"])
    keep = units["doc_id"].isin(known)
    dropped_docs = sorted(set(units.loc[~keep, "doc_id"]))
    if dropped_docs:
        log.info(
            "ignoring units of %d document(s) not chosen for their year (or not in documents): %s",
            len(dropped_docs),
            ", ".join(map(str, dropped_docs[:10])),
        )
    units = units[keep]
    if cfg.exclude_sections:
        skip = units["section"].str.contains(cfg.exclude_sections, regex=True)
        if skip.any():
            log.info(
                "left out %d %s unit(s) in sections matching %r (reviews of the past year)",
                skip.sum(),
                level,
                cfg.exclude_sections,
            )
            units = units[~skip]
    form = (texts or TextCache()).form
    empty = units["body"].map(form).eq("") & units["heading"].map(form).eq("")
    for (source, series, year), n in (
        units[empty].groupby(["source", "series", "year"]).size().items()
    ):
        log.warning(
            "%s / %s / %d: %d %s unit(s) with empty text skipped", source, series, year, n, level
        )
    units = units[~empty]
    dup = units.duplicated(["doc_id", "path"], keep="first")
    if dup.any():
        log.warning("%d duplicate %s path(s) within a document ignored", dup.sum(), level)
        units = units[~dup]
    return units


def align_corpus(
    items: pd.DataFrame,
    documents: pd.DataFrame,
    *,
    level: str = "item",
    sentences: pd.DataFrame | None = None,
    lookback: int = 2,
    workers: int = -1,
    config: AlignConfig | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Alignments and threads for every (source, series) at one level."""
    cfg = config or AlignConfig()
    cfg = replace(cfg, lookback=lookback, sim=replace(cfg.sim, workers=workers))
    if lookback < 0:
        raise ValueError("lookback must be >= 0")
    docs = select_documents(documents)
    texts = TextCache()
    units = alignable_units(items, docs, level, sentences, cfg, texts)
    all_links: list[pd.DataFrame] = []
    all_threads: list[pd.DataFrame] = []
    groups = list(docs.groupby(["source", "series"], sort=True))
    for (source, series), group_docs in track(groups, f"aligning {level}s", total=len(groups)):
        su = (
            units[(units["source"] == source) & (units["series"] == series)]
            if not units.empty
            else units
        )
        doc_years = sorted(group_docs["year"].tolist())
        present = sorted(su["year"].unique().tolist()) if not su.empty else []
        if bare := [y for y in doc_years if y not in present]:  # one line per series
            shown = ", ".join(map(str, bare[:8])) + (" …" if len(bare) > 8 else "")
            hint = " (--level paragraph aligns their paragraphs)" if level != "paragraph" else ""
            log.warning(
                f"{source} / {series}: {len(bare)} of {len(doc_years)} documents have no {level}"
                f" units ({shown}); those years are bridged{hint}"
            )
        if len(present) < 2:
            log.info(
                "%s / %s: %d year(s) with %s units; nothing to align",
                source,
                series,
                len(present),
                level,
            )
        links = align_series(su, cfg, texts) if len(present) else []
        threads, thread_of = build_threads(source, series, level, su, links)
        frame = pd.DataFrame(
            [
                {
                    "source": source,
                    "series": series,
                    "level": level,
                    "year_from": lk.year_from,
                    "path_from": lk.path_from,
                    "year_to": lk.year_to,
                    "path_to": lk.path_to,
                    "relation": lk.relation,
                    "score": round(lk.score, 2),
                    "similarity": round(lk.similarity, 2),
                    "primary": lk.primary,
                    "thread_id": thread_of.get((lk.year_to, lk.path_to))
                    if lk.path_to is not None
                    else thread_of.get((lk.year_from, lk.path_from)),
                }
                for lk in links
            ],
            columns=ALIGNMENT_COLUMNS,
        )
        all_links.append(frame)
        all_threads.append(threads)
    return _concat(all_links, ALIGNMENT_COLUMNS), _concat(all_threads, THREAD_COLUMNS)


def _concat(frames: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    frames = [f for f in frames if not f.empty]
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)
    for col in ("year_from", "year_to", "first_year", "last_year", "n_years"):
        if col in out:
            out[col] = out[col].astype("int64")
    for col in ("score", "similarity"):
        if col in out:
            out[col] = out[col].astype("float64")
    for col in ("primary", "active"):
        if col in out:
            out[col] = out[col].astype(bool)
    return out
