"""Term timelines: for every term and series, per document year: present, count, mentions per
10,000 characters, status, trend (emergence) and the term's flags.

Everything comes from counting (lexicon_count): `present` is `count > 0`, never whether that
year quoted the term. Years are the series' document years: a year without a document (the
Government Work Reports have none for 2020) is a gap, not an absence.

Status per year, from that year and earlier ones only (adding a later year never changes it):
  new         the first document that mentions the term (a term seen once is new, then fading)
  persisting  mentioned, and mentioned in the previous document
  returned    mentioned, not in the previous document, but in an earlier one
  fading      the first document without the term after one with it (it stopped)
  absent      not mentioned, and not fading

Emergence (the trend, -1 … 1): the share of the last `window` documents (up to that year) that
mention the term, minus the share of its earlier documents (from its first mention up to the
window) that did. A term mentioned every year for ten years scores 0, never "rising"; a new term
scores up to 1; a term that stopped scores down to -1.

Variants: a term and the terms that contain it (三大攻坚战 / 打好三大攻坚战) or differ only slightly
(rapidfuzz ratio) are grouped under one canonical form.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from policytrack.pipeline.analysis.corpus import select_documents
from policytrack.pipeline.store import schema
from policytrack.pipeline.text.terms import is_formula
from policytrack.pipeline.text.vocab import match_form

log = logging.getLogger(__name__)

STATUSES = schema.STATUSES
TIMELINE_COLUMNS = schema.TERM_TIMELINE.names
EMERGENCE_AXIS = (
    "emergence: share of the last 3 documents mentioning the term − share of its earlier ones"
)


@dataclass(frozen=True)
class TimelineConfig:
    """Variant grouping and trend parameters (docs/terms.md)."""

    min_root: int = 3  # a contained term must be at least this long to be a variant root
    min_share: float = 0.3  # and at least this share of the longer term's length
    near: float = 88.0  # rapidfuzz ratio for near-identical spellings (不忘初心、牢记使命 / …)
    window: int = 3  # recent documents compared with the term's own history


# ---------------------------------------------------------------------------- variants


def group_variants(
    terms: list[str],
    freq: dict[str, int] | None = None,
    watch: list[str] | tuple[str, ...] = (),
    cfg: TimelineConfig | None = None,
) -> dict[str, str]:
    """term → canonical form. Groups are stars around a root, so they never chain.

    Roots are taken shortest first (watched terms before all others); a later term joins the
    longest (then most frequent) root it contains or nearly equals, otherwise it becomes a root
    itself. A numbered formula joins only a numbered formula.
    """
    from rapidfuzz import fuzz

    cfg = cfg or TimelineConfig()
    freq = freq or {}
    watched = [w for w in dict.fromkeys(watch) if w]
    others = sorted(
        {t for t in terms if t and t not in watched},
        key=lambda t: (len(match_form(t) or t), -freq.get(t, 0), len(t), t),
    )
    canonical: dict[str, str] = {}
    roots: list[str] = []
    rkeys: list[str] = []
    by_gram: dict[str, list[int]] = defaultdict(list)  # bigram → root indices (candidate lookup)
    for term in [*watched, *others]:
        key = match_form(term) or term
        grams = {key[i : i + 2] for i in range(max(len(key) - 1, 1))}
        cands = {r for g in grams for r in by_gram.get(g, ())}
        numbered = is_formula(term)
        best, best_key = None, ""
        for r in cands:
            root, rkey = roots[r], rkeys[r]
            contained = (
                len(rkey) >= cfg.min_root and rkey in key and len(rkey) >= cfg.min_share * len(key)
            )
            close = (
                not contained
                and min(len(rkey), len(key)) >= 4
                and abs(len(rkey) - len(key)) <= 2
                and fuzz.ratio(rkey, key) >= cfg.near
            )
            if numbered and not is_formula(root):
                continue  # the numeral is the coinage: 三大攻坚战 is not a form of 攻坚战
            # The most specific root wins (打好三大攻坚战 → 三大攻坚战, not 攻坚战), then the
            # most frequent.
            if (contained or close) and (
                best is None
                or (len(rkey), freq.get(root, 0), root) > (len(best_key), freq.get(best, 0), best)
            ):
                best, best_key = root, rkey
        if best is None:
            canonical[term] = term
            roots.append(term)
            rkeys.append(key)
            for g in grams:
                by_gram[g].append(len(roots) - 1)
        else:
            canonical[term] = best
    return canonical


# ---------------------------------------------------------------------------- status, trend


def statuses(present: np.ndarray) -> np.ndarray:
    """Status per (term, year) from a boolean terms × years matrix (years ascending)."""
    present = np.asarray(present, dtype=bool)
    n, t = present.shape
    out = np.full((n, t), "absent", dtype=object)
    if t == 0:
        return out
    prev = np.zeros((n, t), dtype=bool)
    prev[:, 1:] = present[:, :-1]
    seen_before = np.zeros((n, t), dtype=bool)
    seen_before[:, 1:] = np.cumsum(present, axis=1)[:, :-1] > 0
    out[present & ~seen_before] = "new"
    out[present & prev] = "persisting"
    out[present & seen_before & ~prev] = "returned"
    out[~present & prev] = "fading"
    return out


def emergence(present: np.ndarray, window: int = 3) -> np.ndarray:
    """Trend per (term, year), -1 … 1, from years ≤ t only (module doc)."""
    present = np.asarray(present, dtype=bool)
    n, t = present.shape
    out = np.zeros((n, t), dtype=np.float64)
    if n == 0 or t == 0:
        return out
    cs = np.concatenate(
        [np.zeros((n, 1)), np.cumsum(present, axis=1)], axis=1
    )  # cs[:, k] = sum < k
    first = np.where(present.any(axis=1), present.argmax(axis=1), t)
    for k in range(t):
        lo = max(0, k - window + 1)
        recent = (cs[:, k + 1] - cs[:, lo]) / (k + 1 - lo)
        hist_len = lo - first  # documents from the first mention up to the window
        hist = np.where(hist_len > 0, cs[:, lo] / np.maximum(hist_len, 1), 0.0)
        out[:, k] = np.where(first <= k, recent - hist, 0.0)
    return np.round(out, 4)


# ---------------------------------------------------------------------------- timeline


def _chars(docs: pd.DataFrame) -> dict[str, float]:
    if "n_chars" not in docs:
        return {}
    return {
        d: float(c)
        for d, c in zip(docs["doc_id"], docs["n_chars"], strict=True)
        if pd.notna(c) and c > 0
    }


def term_timeline(
    terms: pd.DataFrame,
    documents: pd.DataFrame,
    *,
    watch: list[str] | tuple[str, ...] = (),
    config: TimelineConfig | None = None,
    flags: dict[str, str] | None = None,
) -> pd.DataFrame:
    """One row per (source, series, term, year) over every document year of the series, for
    every term counted in the series (terms rows, lexicon_count.TERM_COLUMNS) and every watch
    term. `flags`: term → noise flag from the lexicon (`emphasis`, `one_off`)."""
    frames = list(timeline_parts(terms, documents, watch=watch, config=config, flags=flags))
    if not frames:
        return pd.DataFrame(columns=TIMELINE_COLUMNS)
    return pd.concat(frames, ignore_index=True)[TIMELINE_COLUMNS]


def timeline_parts(
    terms: pd.DataFrame,
    documents: pd.DataFrame,
    *,
    watch: list[str] | tuple[str, ...] = (),
    config: TimelineConfig | None = None,
    flags: dict[str, str] | None = None,
) -> Iterator[pd.DataFrame]:
    """term_timeline's rows one (source, series) at a time, in its order (empty parts left
    out): a build writes each as it comes, holding one series' rows, not the source's."""
    cfg = config or TimelineConfig()
    watch = [w.strip() for w in watch if w and w.strip()]
    docs = select_documents(documents, quiet=True)
    if docs.empty:
        return
    terms = terms if terms is not None and not terms.empty else pd.DataFrame(
        columns=["source", "series", "year", "doc_id", "term", "kind", "count", "paths"]
    )  # fmt: skip
    terms = terms[terms["doc_id"].isin(set(docs["doc_id"])) & (terms["count"] > 0)]
    chars = _chars(docs)
    for source, sdocs in docs.groupby("source", sort=True):
        sterms = terms[terms["source"] == source]
        freq = sterms.groupby("term")["year"].nunique().to_dict()
        canon = group_variants(sorted(set(freq) | set(watch)), freq, watch, cfg)
        members: dict[str, list[str]] = defaultdict(list)
        for term, c in canon.items():
            members[c].append(term)
        for c in members:
            members[c].sort(key=lambda t: (t != c, -freq.get(t, 0), len(t), t))
        for series, gdocs in sdocs.groupby("series", sort=True):
            part = _series_timeline(
                source,
                series,
                gdocs,
                sterms[sterms["series"] == series],
                canon,
                members,
                watch,
                chars,
                flags or {},
                cfg,
            )
            if not part.empty:
                yield part[TIMELINE_COLUMNS]


def _series_timeline(
    source, series, gdocs, sub, canon, members, watch, chars, flags, cfg
) -> pd.DataFrame:
    gdocs = gdocs.sort_values("year")
    years = gdocs["year"].astype(int).to_numpy()
    doc_ids = gdocs["doc_id"].to_numpy()
    # One row per (term, document): a watch row and a lexicon row of one term keep the larger.
    if not sub.empty:
        agg = sub.groupby(["term", "year"], sort=False).agg(
            count=("count", "max"), paths=("paths", "first")
        )
        kinds: dict[str, set] = {}
        pairs = sub[["term", "kind"]].drop_duplicates()  # a few per term: no per-group call
        for term, kind in zip(pairs["term"], pairs["kind"], strict=True):
            kinds.setdefault(term, set()).add(kind)
    else:
        agg = pd.DataFrame(columns=["count", "paths"])
        kinds = {}
    term_list = sorted({t for t, _ in agg.index} | set(watch))
    if not term_list:
        return pd.DataFrame(columns=TIMELINE_COLUMNS)
    index = {t: i for i, t in enumerate(term_list)}
    col = {int(y): k for k, y in enumerate(years)}
    counts = np.zeros((len(term_list), len(years)), dtype=np.int64)
    paths: dict[tuple[int, int], list] = {}
    for (term, year), count, plist in zip(agg.index, agg["count"], agg["paths"], strict=True):
        k = col.get(int(year))
        if k is not None:
            counts[index[term], k] = count
            paths[(index[term], k)] = [str(p) for p in plist] if plist is not None else []
    present = counts > 0
    size = np.array([chars.get(d, 0.0) for d in doc_ids])
    per10k = np.where(size > 0, counts * 10000.0 / np.maximum(size, 1.0), 0.0)
    status = statuses(present)
    emer = emergence(present, cfg.window)
    first = np.where(present.any(axis=1), years[present.argmax(axis=1)], 0)
    n, t = counts.shape
    watched = set(watch)
    term_col = np.repeat(np.array(term_list, dtype=object), t)
    kind_of = {
        term: ",".join(sorted(kinds.get(term, set()) | ({"watch"} if term in watched else set())))
        for term in term_list
    }
    # Per-term values repeated over the years as object arrays (shared objects, no per-cell
    # Python loop); paths: one shared empty list where a (term, year) has none.
    flat_paths = [[]] * (n * t)
    for (i, k), p in paths.items():
        flat_paths[i * t + k] = p
    return pd.DataFrame(
        {
            "source": source,
            "series": series,
            "term": term_col,
            "canonical": _per_term([canon.get(x, x) for x in term_list], t),
            "variants": _per_term([members.get(canon.get(x, x), [x]) for x in term_list], t),
            "year": np.tile(years, n),
            "present": present.ravel(),
            "count": counts.ravel(),
            "per_10k_chars": np.round(per10k.ravel(), 3),
            "status": status.ravel(),
            "paths": flat_paths,
            "emergence": emer.ravel(),
            "first_year": np.repeat(first, t),
            "kinds": _per_term([kind_of[x] for x in term_list], t),
            "flag": _per_term([flags.get(x, "") if x not in watched else "" for x in term_list], t),
            "watched": np.repeat(np.array([x in watched for x in term_list]), t),
        },
        columns=TIMELINE_COLUMNS,
    )


def _per_term(values: list, t: int) -> np.ndarray:
    """Each value repeated t times, as an object array holding the values themselves."""
    out = np.empty(len(values), dtype=object)
    for i, v in enumerate(values):  # item by item: a list value stays one cell
        out[i] = v
    return np.repeat(out, t)


def group_timeline(
    timeline: pd.DataFrame, documents: pd.DataFrame, config: TimelineConfig | None = None
) -> pd.DataFrame:
    """The timeline per canonical form: a group is present when any variant is; its count is the
    root's count plus the counts of variants that do not contain the root (a mention of
    打好三大攻坚战 is already a mention of 三大攻坚战: counted once); statuses and trend recomputed;
    the group keeps its root's flag. Vectorised: one pass of bincounts per series."""
    cfg = config or TimelineConfig()
    if timeline.empty:
        return timeline.copy()
    docs = select_documents(documents, quiet=True)
    chars = _chars(docs)
    frames = []
    for (source, series), g in timeline.groupby(["source", "series"], sort=True):
        years = np.array(sorted(g["year"].unique()))
        col = {int(y): k for k, y in enumerate(years)}
        terms = g["term"].to_numpy()
        canon = g["canonical"].to_numpy()
        own = np.array(
            [n if t == c or c not in t else 0 for t, c, n in zip(terms, canon, g["count"], strict=True)],
            dtype=np.int64,
        )  # fmt: skip
        ci, names = pd.factorize(canon, sort=True)
        yk = g["year"].map(col).to_numpy()
        nc, nt = len(names), len(years)
        key = ci * nt + yk
        counts = np.bincount(key, weights=own, minlength=nc * nt).astype(np.int64).reshape(nc, nt)
        pres = g["present"].to_numpy(dtype=bool)
        present = np.bincount(key, weights=pres, minlength=nc * nt).reshape(nc, nt) > 0
        paths: dict[int, list] = {}
        for k, plist in zip(key[pres], g["paths"].to_numpy()[pres], strict=True):
            paths.setdefault(int(k), []).extend(plist)
        first_row = g.assign(_c=ci).drop_duplicates("term")
        kinds: dict[int, set] = {}
        watched = np.zeros(nc, dtype=bool)
        flag = [""] * nc
        variants: list = [None] * nc
        for c, t, kd, w, f, vs in zip(
            first_row["_c"], first_row["term"], first_row["kinds"], first_row["watched"],
            first_row["flag"], first_row["variants"], strict=True,
        ):  # fmt: skip
            kinds.setdefault(c, set()).update(k for k in str(kd).split(",") if k)
            watched[c] |= bool(w)
            if t == names[c]:
                flag[c] = f or ""
            if variants[c] is None:
                variants[c] = list(vs) if vs is not None else [names[c]]
        status = statuses(present)
        emer = emergence(present, cfg.window)
        first = np.where(present.any(axis=1), years[present.argmax(axis=1)], 0)
        size = _series_sizes(docs, source, series, years, chars)
        per10k = np.where(size > 0, counts * 10000.0 / np.maximum(size, 1.0), 0.0)
        frames.append(
            pd.DataFrame(
                {
                    "source": source,
                    "series": series,
                    "term": np.repeat(np.asarray(names, dtype=object), nt),
                    "canonical": np.repeat(np.asarray(names, dtype=object), nt),
                    "variants": [variants[c] for c in range(nc) for _ in range(nt)],
                    "year": np.tile(years, nc),
                    "present": present.ravel(),
                    "count": counts.ravel(),
                    "per_10k_chars": np.round(per10k.ravel(), 3),
                    "status": status.ravel(),
                    "paths": _unique_lists(paths, nc * nt),
                    "emergence": emer.ravel(),
                    "first_year": np.repeat(first, nt),
                    "kinds": np.repeat(
                        np.array(
                            [",".join(sorted(kinds.get(c, ()))) for c in range(nc)], dtype=object
                        ),
                        nt,
                    ),
                    "flag": np.repeat(np.array(flag, dtype=object), nt),
                    "watched": np.repeat(watched, nt),
                },
                columns=TIMELINE_COLUMNS,
            )
        )
    return pd.concat(frames, ignore_index=True)


def _unique_lists(lists: dict[int, list], n: int) -> list[list]:
    """n lists: position k holds lists[k] without repeats (first occurrence order), else []."""
    out: list[list] = [[] for _ in range(n)]
    for k, items in lists.items():
        out[k] = list(dict.fromkeys(items))
    return out


def _series_sizes(docs, source, series, years, chars) -> np.ndarray:
    """Characters of the series' document of each year (0 where unknown)."""
    docs = docs[(docs["source"] == source) & (docs["series"] == series)]
    of = dict(zip(docs["year"].astype(int), docs["doc_id"], strict=True))
    return np.array([chars.get(of.get(int(y)), 0.0) for y in years])
