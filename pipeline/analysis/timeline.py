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
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from policytrack.pipeline.analysis.corpus import select_documents
from policytrack.pipeline.store import schema
from policytrack.pipeline.text.terms import is_formula
from policytrack.pipeline.text.vocab import match_form

if TYPE_CHECKING:
    import pyarrow as pa

log = logging.getLogger(__name__)

STATUSES = schema.STATUSES
# What the timeline reads of a terms table (lexicon_count.TERM_COLUMNS less own and quoted).
TERMS_READ = ["source", "series", "year", "doc_id", "term", "kind", "count", "paths"]
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
    formula: list[bool] = []  # per root: is_formula, tested once
    ranks: list[tuple[int, int, str]] = []  # per root: the order in which roots win
    by_gram: dict[str, list[int]] = defaultdict(list)  # bigram → root indices (candidate lookup)
    ratio, near, min_root, min_share = fuzz.ratio, cfg.near, cfg.min_root, cfg.min_share
    for term in [*watched, *others]:
        key = match_form(term) or term
        klen = len(key)
        grams = {key[i : i + 2] for i in range(max(klen - 1, 1))}
        cands: set[int] = set()
        for g in grams:
            cands.update(by_gram.get(g, ()))
        numbered = is_formula(term)
        best, best_rank = None, None
        for r in cands:
            if numbered and not formula[r]:
                continue  # the numeral is the coinage: 三大攻坚战 is not a form of 攻坚战
            # The most specific root wins (打好三大攻坚战 → 三大攻坚战, not 攻坚战), then the
            # most frequent: a root ranked below the best so far is not tested.
            rank = ranks[r]
            if best_rank is not None and rank <= best_rank:
                continue
            rkey, rlen = rkeys[r], rank[0]
            contained = rlen >= min_root and rlen >= min_share * klen and rkey in key
            close = rlen >= 4 and klen >= 4 and -2 <= rlen - klen <= 2  # then by spelling
            if contained or (close and ratio(rkey, key) >= near):
                best, best_rank = r, rank
        if best is None:
            canonical[term] = term
            roots.append(term)
            rkeys.append(key)
            formula.append(is_formula(term))
            ranks.append((klen, freq.get(term, 0), term))
            for g in grams:
                by_gram[g].append(len(roots) - 1)
        else:
            canonical[term] = roots[best]
    return canonical


# ---------------------------------------------------------------------------- status, trend


def status_codes(present: np.ndarray) -> np.ndarray:
    """Status per (term, year) as indices into STATUSES, from a boolean terms × years matrix
    (years ascending). The four conditions are disjoint; every other cell is absent."""
    present = np.asarray(present, dtype=bool)
    n, t = present.shape
    out = np.full((n, t), STATUSES.index("absent"), dtype=np.int8)
    if t == 0:
        return out
    prev = np.zeros((n, t), dtype=bool)
    prev[:, 1:] = present[:, :-1]
    seen_before = np.zeros((n, t), dtype=bool)
    seen_before[:, 1:] = np.cumsum(present, axis=1)[:, :-1] > 0
    out[present & ~seen_before] = STATUSES.index("new")
    out[present & prev] = STATUSES.index("persisting")
    out[present & seen_before & ~prev] = STATUSES.index("returned")
    out[~present & prev] = STATUSES.index("fading")
    return out


def statuses(present: np.ndarray) -> np.ndarray:
    """Status per (term, year) from a boolean terms × years matrix (years ascending)."""
    return np.array(STATUSES, dtype=object)[status_codes(present)]


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
    for grid in series_grids(terms, documents, watch=watch, config=config, flags=flags):
        part = grid.frame()
        if not part.empty:
            yield part


def series_grids(
    terms: pd.DataFrame,
    documents: pd.DataFrame,
    *,
    watch: list[str] | tuple[str, ...] = (),
    config: TimelineConfig | None = None,
    flags: dict[str, str] | None = None,
) -> Iterator[SeriesGrid]:
    """timeline_parts as term × year matrices, one (source, series) at a time (series without
    a term left out): the build writes them as arrow tables (SeriesGrid.table) and ranks them
    without making the rows a frame."""
    cfg = config or TimelineConfig()
    watch = [w.strip() for w in watch if w and w.strip()]
    docs = select_documents(documents, quiet=True)
    if docs.empty:
        return
    terms = terms if terms is not None and not terms.empty else pd.DataFrame(
        columns=TERMS_READ
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
        by_series = dict(list(sterms.groupby("series", sort=False)))  # one pass, rows in order
        for series, gdocs in sdocs.groupby("series", sort=True):
            grid = _series_grid(
                source,
                series,
                gdocs,
                by_series.get(series, sterms.iloc[:0]),
                canon,
                members,
                watch,
                chars,
                flags or {},
                cfg,
            )
            if grid is not None:
                yield grid


@dataclass
class SeriesGrid:
    """One series' timeline as terms × years matrices: row i is terms[i] (sorted), column k is
    years[k] (ascending); its rows are (term, year) in that order."""

    source: str
    series: str
    terms: list[str]
    years: np.ndarray  # int64
    counts: np.ndarray  # int64, terms × years
    per10k: np.ndarray  # float64, terms × years, rounded
    status: np.ndarray  # int8 indices into STATUSES, terms × years
    emergence: np.ndarray  # float64, terms × years
    first: np.ndarray  # per term: first year mentioned, 0 if never
    canonical: list[str]  # per term
    variants: list[list[str]]  # per term (the canonical form's members)
    kinds: list[str]  # per term
    flags: list[str]  # per term
    watched: np.ndarray  # bool per term
    path_rows: np.ndarray  # int64, ascending: rows (term row × years + year column) with paths
    path_lists: np.ndarray | pa.Array  # … their paths: object (lists or arrays) or arrow lists

    @property
    def present(self) -> np.ndarray:
        return self.counts > 0

    def frame(self) -> pd.DataFrame:
        """The rows as a frame (term_timeline's)."""
        n, t = self.counts.shape
        # Per-term values repeated over the years as object arrays (shared objects, no per-cell
        # Python loop); paths: one shared empty list where a (term, year) has none.
        flat_paths = [[]] * (n * t)
        lists = _cells(self.path_lists)
        for row, plist in zip(self.path_rows.tolist(), lists, strict=True):
            flat_paths[row] = [str(p) for p in plist] if plist is not None else []
        return pd.DataFrame(
            {
                "source": self.source,
                "series": self.series,
                "term": np.repeat(np.array(self.terms, dtype=object), t),
                "canonical": _per_term(self.canonical, t),
                "variants": _per_term(self.variants, t),
                "year": np.tile(self.years, n),
                "present": self.present.ravel(),
                "count": self.counts.ravel(),
                "per_10k_chars": self.per10k.ravel(),
                "status": np.array(STATUSES, dtype=object)[self.status.ravel()],
                "paths": flat_paths,
                "emergence": self.emergence.ravel(),
                "first_year": np.repeat(self.first, t),
                "kinds": _per_term(self.kinds, t),
                "flag": _per_term(self.flags, t),
                "watched": np.repeat(self.watched, t),
            },
            columns=TIMELINE_COLUMNS,
        )

    def table(self) -> pa.Table:
        """The rows as an arrow table of the term_timeline schema: to_arrow(conform(frame())),
        built from the matrices without a Python object per row (path items must be text, as
        a terms table holds them)."""
        import pyarrow as pa

        n, t = self.counts.shape
        per_term = pa.array(np.repeat(np.arange(n, dtype=np.int64), t))
        strings = {  # per-term text, one copy per row by index
            "term": self.terms, "canonical": self.canonical, "kinds": self.kinds,
            "flag": self.flags,
        }  # fmt: skip
        cols = {name: pa.array(v, pa.string()).take(per_term) for name, v in strings.items()}
        every = pa.array(np.zeros(n * t, dtype=np.int64))
        cols["source"] = pa.array([self.source], pa.string()).take(every)
        cols["series"] = pa.array([self.series], pa.string()).take(every)
        cols["variants"] = pa.array(self.variants, pa.list_(pa.string())).take(per_term)
        cols["status"] = pa.array(STATUSES, pa.string()).take(pa.array(self.status.ravel()))
        cols["paths"] = _paths_array(self.path_rows, self.path_lists, n * t)
        # from_pandas: a NaN float is null, as pyarrow converts a frame's float column.
        numbers = {
            "year": np.tile(self.years.astype(np.int64), n),
            "present": self.present.ravel(),
            "count": self.counts.ravel(),
            "per_10k_chars": self.per10k.ravel(),
            "emergence": self.emergence.ravel(),
            "first_year": np.repeat(self.first.astype(np.int64), t),
            "watched": np.repeat(self.watched, t),
        }
        cols.update({k: pa.array(v, from_pandas=True) for k, v in numbers.items()})
        return pa.Table.from_arrays(
            [cols[c] for c in TIMELINE_COLUMNS], schema=schema.arrow_schema("term_timeline")
        )


def _cells(lists: np.ndarray | pa.Array) -> Sequence:
    """Path lists as Python values (arrow lists converted, object arrays as they are)."""
    return lists if isinstance(lists, np.ndarray) else lists.to_pylist()


def _paths_array(rows: np.ndarray, lists: np.ndarray | pa.Array, size: int) -> pa.Array:
    """The paths column of `size` rows: lists[j] at row rows[j] (rows ascending; None: an empty
    list), every other row an empty list. Object lists are converted once, as one array."""
    import pyarrow as pa

    if not isinstance(lists, pa.Array):
        lists = pa.array(lists, pa.list_(pa.string()), from_pandas=True)
    lengths = np.zeros(size, dtype=np.int32)
    lengths[rows] = lists.value_lengths().fill_null(0).to_numpy(zero_copy_only=False)
    offsets = np.concatenate([np.zeros(1, dtype=np.int32), np.cumsum(lengths, dtype=np.int32)])
    return pa.ListArray.from_arrays(pa.array(offsets), lists.flatten())


def _series_grid(
    source, series, gdocs, sub, canon, members, watch, chars, flags, cfg
) -> SeriesGrid | None:
    gdocs = gdocs.sort_values("year")
    years = gdocs["year"].astype(int).to_numpy()
    doc_ids = gdocs["doc_id"].to_numpy()
    empty = np.zeros(0, dtype=np.int64)
    term_codes, uniq = pd.factorize(sub["term"]) if not sub.empty else (empty, pd.Index([]))
    uniq = uniq.tolist()
    has_year = sub["year"].notna().to_numpy()  # (a row without a year counts in none)
    named = (
        uniq
        if has_year.all()
        else [uniq[c] for c in np.unique(term_codes[has_year & (term_codes >= 0)]).tolist()]
    )
    term_list = sorted(set(named) | set(watch))
    if not term_list:
        return None
    n, t = len(term_list), len(years)
    index = {x: i for i, x in enumerate(term_list)}
    col = {int(y): k for k, y in enumerate(years)}  # a repeated year: its last document
    # Each terms row's cell (term row × years + year column), by lookups per distinct term and
    # year; rows of years without a selected document are left out.
    # (code -1, a row without a term, takes the last: -1, no row)
    term_row = np.array([index.get(x, -1) for x in uniq] + [-1], dtype=np.int64)[term_codes]
    sub_years, year_at = np.unique(
        sub["year"].where(has_year, -1).to_numpy(dtype=np.int64), return_inverse=True
    )
    ks = np.array([col.get(int(y), -1) for y in sub_years], dtype=np.int64)[year_at]
    keep = (ks >= 0) & (term_row >= 0) & has_year  # rows without a term or year: no cell
    cells = term_row[keep] * t + ks[keep]
    # One value per cell: a watch row and a lexicon row of one term keep the larger count, and
    # the first paths given (as groupby max and first would).
    counts = np.zeros(n * t, dtype=np.int64)
    np.maximum.at(counts, cells, sub["count"].to_numpy()[keep].astype(np.int64))
    counts = counts.reshape(n, t)
    path_rows, lists = _first_paths(sub["paths"], keep, cells)
    kind_codes, kind_names = pd.factorize(sub["kind"]) if not sub.empty else (empty, pd.Index([]))
    kinds = _kinds(term_codes, uniq, kind_codes, kind_names.tolist())
    present = counts > 0
    size = np.array([chars.get(d, 0.0) for d in doc_ids])
    per10k = np.where(size > 0, counts * 10000.0 / np.maximum(size, 1.0), 0.0)
    watched = set(watch)
    for x in watched:
        kinds[x] = kinds.get(x, set()) | {"watch"}
    kind_of = {x: ",".join(sorted(k)) for x, k in kinds.items()}
    return SeriesGrid(
        source=source,
        series=series,
        terms=term_list,
        years=years,
        counts=counts,
        per10k=np.round(per10k, 3),
        status=status_codes(present),
        emergence=emergence(present, cfg.window),
        first=np.where(present.any(axis=1), years[present.argmax(axis=1)], 0),
        canonical=[canon.get(x, x) for x in term_list],
        variants=[members.get(canon.get(x, x), [x]) for x in term_list],
        kinds=[kind_of.get(x, "") for x in term_list],
        flags=[flags.get(x, "") if x not in watched else "" for x in term_list],
        watched=np.array([x in watched for x in term_list], dtype=bool),
        path_rows=path_rows,
        path_lists=lists,
    )


def _first_paths(
    paths: pd.Series, keep: np.ndarray, cells: np.ndarray
) -> tuple[np.ndarray, np.ndarray | pa.Array]:
    """(cells, paths): each cell's first paths given (not null), in the order of the rows kept
    (`keep`; `cells`: their cells), the cells ascending. An arrow column (the build reads the
    terms' paths so) stays arrow: taken, never made Python lists."""
    import pyarrow as pa

    if isinstance(paths.dtype, pd.ArrowDtype):
        arrow = pa.array(paths.array)
        given = np.flatnonzero(arrow.is_valid().to_numpy(zero_copy_only=False)[keep])
        rows, first = np.unique(cells[given], return_index=True)
        return rows, arrow.take(pa.array(np.flatnonzero(keep)[given[first]]))
    lists = paths.to_numpy(dtype=object)[keep]
    given = np.flatnonzero(~pd.isna(lists))
    rows, first = np.unique(cells[given], return_index=True)
    return rows, lists[given[first]]


def _kinds(
    term_codes: np.ndarray, terms: list[str], kind_codes: np.ndarray, kinds: list[str]
) -> dict[str, set]:
    """term → the kinds of its rows, from the rows' codes into terms and into kinds (a loop
    over the distinct pairs, not the rows; a code -1, a missing value, is left out)."""
    out: dict[str, set] = {}
    width = max(len(kinds), 1)
    known = (term_codes >= 0) & (kind_codes >= 0)
    for pair in np.unique(term_codes[known] * width + kind_codes[known]).tolist():
        code, kind = divmod(pair, width)
        out.setdefault(terms[code], set()).add(kinds[kind])
    return out


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
