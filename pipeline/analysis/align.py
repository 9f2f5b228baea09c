"""Align the units (items, sections, paragraphs or sentences) of one series across years.

For each (source, series) the documents are ordered by year (a missing year is bridged) and
year Y's units are linked to those of the previous available year:

1. score candidate pairs (pipeline.similarity), order-free;
2. one-to-one assignment maximising the total score over pairs above `threshold`
   (linear_sum_assignment on each connected component of the sparse pair graph);
3. an unassigned unit that is still largely contained in an assigned one becomes a split
   (new side) or a merge (old side);
4. units of Y still unlinked are matched against units of up to `lookback` earlier documents
   that were never linked forward: `reappeared`.

Relations: unchanged, revised, split, merged, reappeared (links), new, dropped (one-sided).
Threads chain the primary links into lineages. See docs/alignment.md.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components, min_weight_full_bipartite_matching

from policytrack.pipeline.analysis.corpus import select_documents
from policytrack.pipeline.analysis.similarity import (
    Encoder,
    Prepared,
    SimConfig,
    match_form,
    score_pairs,
)
from policytrack.pipeline.analysis.similarity import prepare as prepare_text
from policytrack.pipeline.core.progress import track
from policytrack.pipeline.store import schema
from policytrack.pipeline.store.versions import ALIGN_VERSION  # noqa: F401

log = logging.getLogger(__name__)

# ALIGN_VERSION lives in pipeline/versions.py (bump it when alignment output changes for the
# same input: the build re-aligns cached sources); re-exported here for callers.

LEVELS = ("item", "section", "paragraph", "sentence")
LINK_RELATIONS, RELATIONS = schema.LINK_RELATIONS, schema.RELATIONS

ALIGNMENT_COLUMNS = schema.ALIGNMENTS.names
THREAD_COLUMNS = schema.THREADS.names


@dataclass(frozen=True)
class AlignConfig:
    """Thresholds on standardised scores (spreads above unrelated pairs, pipeline.similarity).
    Defaults measured in docs/alignment.md."""

    sim: SimConfig = field(default_factory=SimConfig)
    threshold: float = 2.5  # minimum combined score for a one-to-one link
    split_containment: float = 4.0  # standardised share of the smaller unit in the larger one
    split_floor: float = 5.0  # and at least this combined score, for a split/merge link
    # Thresholds hold for documents of up to this many units; beyond, they grow with
    # sqrt(ln units): among many units some unrelated pair always stands out by chance.
    reference_units: int = 10
    lookback: int = 2  # earlier documents (beyond the previous one) searched for reappearances
    # Units under sections whose heading matches this are left out: a report's review of last
    # year (工作回顾) restates last year's tasks and would be mistaken for their continuation.
    exclude_sections: str = r"回顾"


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


# ---------------------------------------------------------------------------- assignment


def assign(
    a: np.ndarray, b: np.ndarray, w: np.ndarray, n: int, m: int
) -> tuple[np.ndarray, np.ndarray]:
    """Maximum-weight one-to-one matching on a sparse bipartite graph (edges a[k]–b[k], w[k]).

    The graph is split into connected components; one-edge components are taken directly,
    small ones go to linear_sum_assignment on a dense block, large ones to the sparse LAPJVsp
    solver with one dummy column per row (so a full matching always exists). No n × m matrix.
    """
    if len(a) == 0:
        e = np.empty(0, dtype=np.int32)
        return e, e
    graph = coo_matrix(
        (np.ones(len(a), dtype=np.int8), (a, b.astype(np.int64) + n)), shape=(n + m, n + m)
    )
    _, label = connected_components(graph, directed=False)
    comp = label[a]
    counts = np.bincount(comp)
    single = counts[comp] == 1
    out_a = [a[single]]
    out_b = [b[single]]
    multi = np.nonzero(~single)[0]
    if len(multi):
        order = multi[np.argsort(comp[multi], kind="stable")]
        comps = comp[order]
        bounds = np.r_[0, np.nonzero(np.diff(comps))[0] + 1, len(order)]
        for s, e in zip(bounds[:-1], bounds[1:], strict=True):
            idx = order[s:e]
            ra, rb = _assign_component(a[idx], b[idx], w[idx])
            out_a.append(ra)
            out_b.append(rb)
    ra, rb = np.concatenate(out_a), np.concatenate(out_b)
    order = np.argsort(ra, kind="stable")
    return ra[order].astype(np.int32), rb[order].astype(np.int32)


def _assign_component(a, b, w) -> tuple[np.ndarray, np.ndarray]:
    ua, ia = np.unique(a, return_inverse=True)
    ub, ib = np.unique(b, return_inverse=True)
    if len(ua) * len(ub) <= 4_000_000:
        dense = np.zeros((len(ua), len(ub)), dtype=np.float64)
        dense[ia, ib] = w
        r, c = linear_sum_assignment(dense, maximize=True)
        ok = dense[r, c] > 0
        return ua[r[ok]], ub[c[ok]]
    nr, nc = len(ua), len(ub)
    rows = np.r_[ia, np.arange(nr)]
    cols = np.r_[ib, nc + np.arange(nr)]
    data = np.r_[np.asarray(w, dtype=np.float64), np.full(nr, 1e-6)]
    g = coo_matrix((data, (rows, cols)), shape=(nr, nc + nr)).tocsr()
    r, c = min_weight_full_bipartite_matching(g, maximize=True)
    ok = c < nc
    return ua[r[ok]], ub[c[ok]]


# ---------------------------------------------------------------------------- one pair


@dataclass
class PairResult:
    links: list[tuple[int, int, str, float, bool, float]]  # (i, j, relation, score, primary, raw)
    best_a: np.ndarray  # best score of each left unit against any right unit
    best_b: np.ndarray


def match(
    left: Prepared,
    right: Prepared,
    keys_a: list[str],
    keys_b: list[str],
    cfg: AlignConfig,
    *,
    secondary: bool = True,
) -> PairResult:
    """Links between two sets of units (indices into left/right)."""
    n, m = len(left), len(right)
    best_a = np.zeros(n, dtype=np.float32)
    best_b = np.zeros(m, dtype=np.float32)
    if n == 0 or m == 0:
        return PairResult([], best_a, best_b)
    scale = float(np.sqrt(np.log(max(n, m, cfg.reference_units)) / np.log(cfg.reference_units)))
    threshold = cfg.threshold * scale
    floor = min(threshold, cfg.split_floor * scale) if secondary else threshold
    pairs = score_pairs(left, right, cfg.sim, floor=floor)
    best_a, best_b = pairs.best_a, pairs.best_b
    strong = pairs.score >= threshold
    ra, rb = assign(pairs.a[strong], pairs.b[strong], pairs.score[strong], n, m)
    score_of = {
        (int(i), int(j)): (float(s), float(r))
        for i, j, s, r in zip(pairs.a, pairs.b, pairs.score, pairs.raw, strict=True)
    }
    partner_a = dict(zip(ra.tolist(), rb.tolist(), strict=True))
    partner_b = {j: i for i, j in partner_a.items()}
    splits: dict[int, list[int]] = {}
    merges: dict[int, list[int]] = {}
    if secondary and len(pairs):
        ok = (pairs.cont >= cfg.split_containment * scale) & (
            pairs.score >= cfg.split_floor * scale
        )
        ok &= ~np.isin(pairs.a, ra) | ~np.isin(pairs.b, rb)  # one side must be unassigned
        taken_b: set[int] = set()
        taken_a: set[int] = set()
        # Best first, so each unassigned unit attaches to its best assigned partner.
        for k in np.nonzero(ok)[0][np.argsort(-pairs.score[ok], kind="stable")]:
            i, j = int(pairs.a[k]), int(pairs.b[k])
            if j not in partner_b and i in partner_a and j not in taken_b:
                splits.setdefault(i, []).append(j)
                taken_b.add(j)
            elif i not in partner_a and j in partner_b and i not in taken_a:
                merges.setdefault(j, []).append(i)
                taken_a.add(i)
    links = []
    for i, j in partner_a.items():
        if i in splits:
            rel = "split"
        elif j in merges:
            rel = "merged"
        else:
            rel = "unchanged" if keys_a[i] == keys_b[j] else "revised"
        links.append((i, j, rel, score_of[(i, j)][0], True, score_of[(i, j)][1]))
    for i, js in splits.items():
        links.extend((i, j, "split", score_of[(i, j)][0], False, score_of[(i, j)][1]) for j in js)
    for j, is_ in merges.items():
        links.extend((i, j, "merged", score_of[(i, j)][0], False, score_of[(i, j)][1]) for i in is_)
    return PairResult(links, best_a, best_b)


# ---------------------------------------------------------------------------- one series


def align_series(
    units: pd.DataFrame, cfg: AlignConfig, encoder: Encoder | None = None
) -> list[Link]:
    """Links for the units of one (source, series, level), years ascending."""
    encoder = encoder or Encoder(cfg.sim.tokens)
    years = sorted(units["year"].unique().tolist())
    by_year = {y: g.reset_index(drop=True) for y, g in units.groupby("year", sort=True)}
    prepared = {
        y: prepare_text(g["heading"].tolist(), g["body"].tolist(), encoder, cfg.sim.scorer)
        for y, g in by_year.items()
    }
    keys = {y: [match_form(t) for t in g["body"]] for y, g in by_year.items()}
    paths = {y: g["path"].tolist() for y, g in by_year.items()}
    # Units never linked forward yet, per year: candidates for `reappeared`.
    open_units: dict[int, set[int]] = {}
    links: list[Link] = []
    for k, year in enumerate(years):
        open_units[year] = set(range(len(by_year[year])))
        if k == 0:
            continue
        prev = years[k - 1]
        res = match(prepared[prev], prepared[year], keys[prev], keys[year], cfg)
        linked_to = set()
        for i, j, rel, score, primary, raw in res.links:
            links.append(Link(prev, paths[prev][i], year, paths[year][j], rel, score, primary, raw))
            open_units[prev].discard(i)
            linked_to.add(j)
        for back in years[max(0, k - 1 - cfg.lookback) : k - 1][::-1]:  # nearest first
            todo = [j for j in range(len(by_year[year])) if j not in linked_to]
            cand = sorted(open_units[back])
            if not todo or not cand:
                continue
            sub = match(
                prepared[back].subset(cand),
                prepared[year].subset(todo),
                [keys[back][i] for i in cand],
                [keys[year][j] for j in todo],
                cfg,
                secondary=False,
            )
            for i, j, _rel, score, _primary, raw in sub.links:
                ii, jj = cand[i], todo[j]
                links.append(
                    Link(
                        back, paths[back][ii], year, paths[year][jj], "reappeared", score, True, raw
                    )
                )
                open_units[back].discard(ii)
                linked_to.add(jj)
        linked_from = {lk.path_from for lk in links if lk.year_from == prev and lk.year_to == year}
        for j in range(len(by_year[year])):
            if j not in linked_to:
                links.append(
                    Link(prev, None, year, paths[year][j], "new", float(res.best_b[j]), False)
                )
        for i in range(len(by_year[prev])):
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
    """Chain primary links into lineages; split-offs start a thread with `parent_thread` set."""
    years = sorted(units["year"].unique().tolist())
    last_year = years[-1] if years else None
    incoming: dict[tuple[int, str], Link] = {}
    split_from: dict[tuple[int, str], Link] = {}
    merged_to: dict[tuple[int, str], Link] = {}
    for lk in links:
        if lk.path_from is None or lk.path_to is None:
            continue
        if lk.primary:
            incoming[(lk.year_to, lk.path_to)] = lk
        elif lk.relation == "split":
            split_from[(lk.year_to, lk.path_to)] = lk
        elif lk.relation == "merged":
            merged_to[(lk.year_from, lk.path_from)] = lk
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
) -> pd.DataFrame:
    """The units that take part in alignment: chosen documents only, reviews and empty units
    left out (each logged)."""
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
    empty = units["body"].map(match_form).eq("") & units["heading"].map(match_form).eq("")
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
    units = alignable_units(items, docs, level, sentences, cfg)
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
        links = align_series(su, cfg) if len(present) else []
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
