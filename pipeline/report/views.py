"""What each chart shows, as data: pure functions from the processed tables (DataFrames) to small
DataFrames or records, testable without drawing. One section per notebook; the plot functions in
plots_*.py draw exactly what these return.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd

from policytrack.pipeline.analysis import lexicon_rank
from policytrack.pipeline.analysis.lexicon_rank import term_importance
from policytrack.pipeline.analysis.termquery import select_terms
from policytrack.pipeline.report.scope import ChartError, Scope, in_scope, in_years
from policytrack.pipeline.store.schema import CONTINUING, RELATIONS

# ---------------------------------------------------------------- compute: corpus overview


def documents_per_year(documents: pd.DataFrame, years: Sequence[int] | None = None) -> pd.DataFrame:
    """year × source document counts (rows: every year from first to last, zeros included)."""
    docs = in_years(documents, years)
    if docs.empty:
        raise ChartError(f"no documents in {list(years or [])}")
    counts = docs.groupby(["year", "source"]).size().unstack("source", fill_value=0)
    full = range(int(docs["year"].min()), int(docs["year"].max()) + 1)
    return counts.reindex(full, fill_value=0).rename_axis("year").astype(int)


def year_gaps(documents: pd.DataFrame) -> pd.DataFrame:
    """Per source and series: first and last year, years present, and the years missing between."""
    rows = []
    for (source, series), grp in documents.groupby(["source", "series"], sort=True):
        present = sorted(int(y) for y in grp["year"].unique())
        missing = sorted(set(range(present[0], present[-1] + 1)) - set(present))
        rows.append(
            {
                "source": source,
                "series": series,
                "first_year": present[0],
                "last_year": present[-1],
                "n_years": len(present),
                "years": present,
                "missing": missing,
            }
        )
    return pd.DataFrame(
        rows, columns=["source", "series", "first_year", "last_year", "n_years", "years", "missing"]
    )


def items_per_section(items: pd.DataFrame, scope: Scope, level: str = "item") -> pd.DataFrame:
    """year × section_no counts of items at `level` (years: every document year of the scope)."""
    rows = in_scope(items, scope)
    rows = rows[rows["level"] == level]
    counts = rows.groupby(["year", "section_no"]).size().unstack("section_no", fill_value=0)
    counts = counts.reindex(list(scope.doc_years), fill_value=0).rename_axis("year")
    counts.columns = [int(c) for c in counts.columns]
    return counts.astype(int)


def documents_table(documents: pd.DataFrame, scope: Scope) -> pd.DataFrame:
    docs = in_scope(documents, scope).sort_values("year")
    cols = [c for c in ("year", "title", "n_sections", "n_items") if c in docs.columns]
    return docs[cols].reset_index(drop=True)


# ---------------------------------------------------------------- compute: priority timelines


def term_view(
    timeline: pd.DataFrame,
    scope: Scope,
    documents: pd.DataFrame,
    items: pd.DataFrame | Callable[[], pd.DataFrame] | None = None,
    watch: Sequence[str] = (),
) -> pd.DataFrame:
    """The scope's term timeline as `policytrack terms` shows it (analysis.termquery.select_terms):
    variants folded onto their canonical form (a group's count is its root's plus those of
    variants not containing the root; statuses and trend recomputed), watch terms counted in the
    stored items text when the build did not count them. One row per (term, year) of the window;
    `label` is the term. Columns: the term_timeline ones (present, count, per_10k_chars, status,
    emergence, first_year, flag, watched …) plus label."""

    def rows(wanted, timeline=timeline):
        return select_terms(
            documents,
            timeline,
            scope.source,
            wanted=list(wanted),
            series=scope.series,
            years=scope.years,
            items=items if callable(items) or items is None else (lambda: items),
        )

    tl = rows(())
    if watch:  # the watch terms as `terms --watch` has them, every other term as `terms` does
        groups = set(timeline.loc[timeline["term"].isin(set(watch)), "canonical"])
        mine = timeline["term"].isin(set(watch)) | timeline["canonical"].isin(groups)
        watched = rows(watch, timeline[mine])  # only their groups need grouping again
        tl = pd.concat([tl[~tl["term"].isin(set(watched["term"]))], watched], ignore_index=True)
    view = tl.assign(label=tl["term"], present=tl["present"].fillna(False).astype(bool))
    view["count"] = view["count"].fillna(0).astype(int)
    return view.sort_values(["label", "year"]).reset_index(drop=True)


def heatmap_matrix(view: pd.DataFrame, top_n: int = 30, watch: Sequence[str] = ()) -> pd.DataFrame:
    """label × year matrix of statuses (new / persisting / returned where the term is said,
    fading in the first document without it, absent otherwise).

    Rows: the `top_n` most important terms of the window (lexicon_rank: share of documents ×
    mentions per 10k characters; flagged noise left out), plus each watched term that is said;
    ordered by first year, then label."""
    said = set(view.loc[view["present"], "label"])
    chosen = [t for t in by_importance(view) if t not in set(watch)][:top_n]
    chosen += [w for w in watch if w in said and w not in chosen]
    if not chosen:
        return pd.DataFrame()
    first = view[view["present"]].groupby("label")["year"].min()
    order = sorted(chosen, key=lambda t: (first[t], t))
    matrix = view[view["label"].isin(order)].pivot(index="label", columns="year", values="status")
    return matrix.reindex(index=order).fillna("absent")


@dataclass(frozen=True)
class Lane:
    """One watched term across the years: where it is said (with status and mentions) and the
    documents where it stopped (status fading: the first document without it after one with it)."""

    term: str
    years: tuple[int, ...]
    statuses: tuple[str, ...]
    counts: tuple[int, ...]
    stops: tuple[int, ...] = ()

    @property
    def first(self) -> int | None:
        return self.years[0] if self.years else None

    @property
    def last(self) -> int | None:
        return self.years[-1] if self.years else None


def watch_lanes(view: pd.DataFrame, watch: Sequence[str]) -> list[Lane]:
    lanes = []
    for term in watch:
        rows = view[view["label"] == term].sort_values("year")
        said = rows[rows["present"]]
        lanes.append(
            Lane(
                term=term,
                years=tuple(int(y) for y in said["year"]),
                statuses=tuple(said["status"]),
                counts=tuple(int(c) for c in said["count"]),
                stops=tuple(int(y) for y in rows.loc[rows["status"] == "fading", "year"]),
            )
        )
    return lanes


def lanes_table(lanes: Sequence[Lane]) -> pd.DataFrame:
    """The swimlanes as rows: one per watched term and year said or stopped (a term never said:
    one row with no year)."""
    rows = []
    for lane in lanes:
        found = [
            {"term": lane.term, "year": y, "status": st, "count": n}
            for y, st, n in zip(lane.years, lane.statuses, lane.counts, strict=True)
        ] + [{"term": lane.term, "year": y, "status": "fading", "count": 0} for y in lane.stops]
        rows += sorted(found, key=lambda r: r["year"]) or [
            {"term": lane.term, "year": None, "status": "absent", "count": 0}
        ]
    return pd.DataFrame(rows, columns=["term", "year", "status", "count"]).astype({"year": "Int64"})


def top_terms(view: pd.DataFrame, n: int = 6, watch: Sequence[str] = ()) -> list[str]:
    """The `n` most important terms of the window that are not watched (lexicon_rank's order:
    importance, then mentions; flagged noise left out): the default "top priorities"."""
    return [t for t in by_importance(view) if t not in set(watch)][:n]


def by_importance(view: pd.DataFrame) -> list[str]:
    """Terms said in the window, most important first (lexicon_rank.term_importance: share of
    documents × mean mentions per 10k characters; then mentions, then term), flagged noise left
    out. Being on the build's watch list does not move a term up here."""
    imp = term_importance(view)
    imp = imp[(imp["present_years"] > 0) & (imp["flag"].fillna("") == "")]
    imp = imp.sort_values(
        ["importance", "present_years", "term"], ascending=[False, False, True], kind="stable"
    )
    return list(imp["term"])


def term_trend(
    view: pd.DataFrame, documents: pd.DataFrame, scope: Scope, terms: Sequence[str]
) -> pd.DataFrame:
    """Mentions per 10,000 characters (the timeline's per_10k_chars) of each term in `terms`
    (in that order, duplicates and terms never said in the window left out) for every document
    year of the scope: columns term, year, count, n_chars, per_10k. A year whose document has no
    character count gets no rate (NaN), not zero."""
    seen = set(view.loc[view["present"], "label"])
    terms = [t for t in dict.fromkeys(terms) if t in seen]
    docs = in_scope(documents, scope)
    if "n_chars" in docs.columns:
        chars = docs.groupby("year")["n_chars"].sum()
    else:
        chars = pd.Series(dtype="float64")
    grid = pd.MultiIndex.from_product([list(terms), list(scope.doc_years)], names=["term", "year"])
    rows = view[view["label"].isin(terms)].set_index(["label", "year"]).rename_axis(grid.names)
    out = rows.reindex(grid)[["count"]].reset_index()
    out["count"] = out["count"].fillna(0).astype(int)
    out["n_chars"] = out["year"].map(chars).astype("Int64")
    known = out["n_chars"].fillna(0).astype("float64") > 0
    if "per_10k_chars" in rows.columns:  # the timeline's own rate
        rate = rows["per_10k_chars"].reindex(grid).fillna(0.0).to_numpy()
    else:
        rate = (out["count"] * 10_000 / out["n_chars"].astype("float64")).to_numpy()
    out["per_10k"] = pd.Series(rate, dtype="float64").where(known).round(3)
    return out


def rising_falling(
    view: pd.DataFrame, doc_years: Sequence[int], window: int = 3, n: int = 10
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The `n` most rising and most falling terms at the latest document (lexicon_rank: the
    trend is the timeline's emergence), among the terms said in the last `window`+1 documents
    (so a term that stopped recently is there, one gone for decades is not).

    Columns: label, trend, first_year (rising) or last_year (falling), salience."""
    since = list(doc_years)[-(window + 1) :] if len(doc_years) else []
    cols = ["label", "trend", "first_year", "last_year", "salience"]
    if not since:
        return pd.DataFrame(columns=cols), pd.DataFrame(columns=cols)
    rising, falling = lexicon_rank.rising_falling(view, (since[0], since[-1]), n=len(view))
    # said in those documents (a watched term is kept by the ranking even when it is not)
    rising = rising[rising["present_years"] > 0].head(n).rename(columns={"term": "label"})
    falling = falling[falling["present_years"] > 0].head(n).rename(columns={"term": "label"})
    return (
        rising[["label", "trend", "first_year", "salience"]].reset_index(drop=True),
        falling[["label", "trend", "last_year", "salience"]].reset_index(drop=True),
    )


# ---------------------------------------------------------------- compute: item flows


def _at_level(df: pd.DataFrame, scope: Scope, level: str) -> pd.DataFrame:
    """A copy of the rows of the scope's source, and of its series and `level` when the table
    has those columns (every year: links and threads span the window's edges)."""
    out = df[df["source"] == scope.source]
    if "series" in out.columns:
        out = out[out["series"] == scope.series]
    if "level" in out.columns:
        out = out[out["level"] == level]
    return out.copy()


def scoped_alignments(alignments: pd.DataFrame, scope: Scope, level: str = "item") -> pd.DataFrame:
    """Links of the scope at `level`, each placed in the consecutive year pair it belongs to
    (`pair_from` → `pair_to`).

    Consecutive pairs are those the alignment compared (years without items at this level are
    bridged, 1955 → 1958); a `reappeared` link, which looks further back, counts toward the pair
    ending at its year_to; a dropped item without a year_to toward the pair starting at its year.
    """
    al = _at_level(alignments, scope, level)
    frm = al["year_from"].astype("Float64")
    to = al["year_to"].astype("Float64")
    direct = (al["relation"] != "reappeared") & frm.notna() & to.notna()
    prev_of = {int(t): int(f) for f, t in zip(frm[direct], to[direct], strict=True)}
    years = list(scope.doc_years)
    prev_of = {**dict(zip(years[1:], years, strict=False)), **prev_of}
    next_of = {f: t for t, f in sorted(prev_of.items(), reverse=True)}
    pair_from, pair_to = [], []
    for rel, f, t in zip(al["relation"], frm, to, strict=True):
        f = int(f) if pd.notna(f) else None
        t = int(t) if pd.notna(t) else None
        if t is None and f is not None:  # dropped, no year recorded for the absence
            t = next_of.get(f)
        if f is None or rel == "reappeared":
            f = prev_of.get(t) if t is not None else None
        pair_from.append(f)
        pair_to.append(t)
    al["pair_from"] = pd.array(pair_from, dtype="Int64")
    al["pair_to"] = pd.array(pair_to, dtype="Int64")
    al = al[al["pair_from"].notna() & al["pair_to"].notna()]
    al = al[al["pair_from"].between(*scope.years) & al["pair_to"].between(*scope.years)]
    return al.astype({"pair_from": int, "pair_to": int})


def relation_counts(links: pd.DataFrame) -> pd.DataFrame:
    """Link counts per consecutive pair: index year (pair_to), column from_year (pair_from), then
    one column per relation in RELATIONS order."""
    counts = links.groupby(["pair_to", "relation"]).size().unstack("relation", fill_value=0)
    counts = counts.reindex(columns=list(RELATIONS), fill_value=0).astype(int)
    starts = links.groupby("pair_to")["pair_from"].min()
    counts.insert(0, "from_year", starts.reindex(counts.index).astype(int))
    counts.insert(
        0,
        "compared",
        [pair_label(f, t) for f, t in zip(counts["from_year"], counts.index, strict=True)],
    )
    return counts.rename_axis("year")


@dataclass(frozen=True)
class Flow:
    """One band of the alluvial: `relation` items leaving year_from (n_from distinct items) and
    arriving in year_to (n_to distinct items)."""

    year_from: int
    year_to: int
    relation: str
    n_from: int
    n_to: int


def flows_table(flow_list: Sequence[Flow]) -> pd.DataFrame:
    """The alluvial's bands as rows: compared years, relation, items leaving and arriving."""
    cols = ["year_from", "year_to", "relation", "n_from", "n_to"]
    return pd.DataFrame([[getattr(f, c) for c in cols] for f in flow_list], columns=cols)


def pair_label(year_from, year_to) -> str:
    """The label of a compared pair of documents: `2018→2019` (the years are not always
    consecutive: gaps are bridged)."""
    return f"{year_from}→{year_to}"


def flows(links: pd.DataFrame) -> list[Flow]:
    out = []
    for (yf, yt, rel), grp in links.groupby(["pair_from", "pair_to", "relation"], sort=True):
        n_from = 0 if rel in ("new", "reappeared") else grp["path_from"].dropna().nunique()
        n_to = 0 if rel == "dropped" else grp["path_to"].dropna().nunique()
        out.append(Flow(int(yf), int(yt), str(rel), int(n_from), int(n_to)))
    order = {r: i for i, r in enumerate(RELATIONS)}
    return sorted(out, key=lambda f: (f.year_from, order.get(f.relation, 99)))


def scoped_threads(threads: pd.DataFrame, scope: Scope, level: str = "item") -> pd.DataFrame:
    """Threads of the scope at `level`, their years (and paths, when present) cut to the window."""
    th = _at_level(threads, scope, level)
    lo, hi = scope.years
    keep = th["years"].map(lambda ys: [lo <= int(y) <= hi for y in ys])
    if "paths" in th.columns:
        th["paths"] = [
            [str(p) for p, k in zip(ps, ks, strict=False) if k]
            if ps is not None and len(ps) == len(ks)
            else None
            for ps, ks in zip(th["paths"], keep, strict=True)
        ]
    th["years"] = [
        [int(y) for y, k in zip(ys, ks, strict=True) if k]
        for ys, ks in zip(th["years"], keep, strict=True)
    ]
    th = th[th["years"].map(len) > 0]
    th["n_years"] = th["years"].map(lambda ys: len(set(ys)))
    return th


def longest_threads(threads: pd.DataFrame, n: int = 12) -> pd.DataFrame:
    """Threads present in the most years (then the most recent, then id): thread_id, label, years."""
    th = threads.assign(last_seen=threads["years"].map(max), first_seen=threads["years"].map(min))
    th = th.sort_values(["n_years", "last_seen", "thread_id"], ascending=[False, False, True])
    return th.head(n)[
        ["thread_id", "label", "first_seen", "last_seen", "n_years", "years"]
    ].reset_index(drop=True)


@dataclass(frozen=True)
class Version:
    """One year's text of a thread, with the link that led to it from the previous version."""

    year: int
    path: str
    heading: str
    text: str
    relation: str = ""
    score: float | None = None  # the aligner's standardised score
    similarity: float | None = None  # the two texts' similarity, 0–100


def thread_versions(
    thread: pd.Series | None,
    items: pd.DataFrame,
    alignments: pd.DataFrame,
    scope: Scope,
    level: str = "item",
) -> list[Version]:
    """The item text of each year of a thread, oldest first.

    Uses the thread's `paths` column when the table has one; otherwise walks the alignment links
    back from the latest item whose heading is the thread's label, taking the best-scoring link.
    """
    if thread is None:
        return []
    its = items[(items["source"] == scope.source) & (items["level"] == level)]
    if "series" in its.columns:
        its = its[its["series"] == scope.series]
    by_key = {(int(r.year), str(r.path)): r for r in its.itertuples(index=False)}
    years = [int(y) for y in thread["years"]]
    if (
        "paths" in thread.index
        and thread["paths"] is not None
        and len(thread["paths"]) == len(years)
    ):
        chain = list(zip(years, [str(p) for p in thread["paths"]], strict=True))
    else:
        chain = _walk_back(thread, its, alignments, scope, level)
    links = alignments[(alignments["source"] == scope.source) & alignments["path_from"].notna()]
    if "level" in links.columns:
        links = links[links["level"] == level]
    pair_link = {
        (int(r.year_from), str(r.path_from), int(r.year_to), str(r.path_to)): r
        for r in links.itertuples(index=False)
        if pd.notna(r.year_to) and pd.notna(r.path_to)
    }
    out = []
    for i, (year, path) in enumerate(chain):
        row = by_key.get((year, path))
        if row is None:
            continue
        link = pair_link.get((*chain[i - 1], year, path)) if i else None
        out.append(
            Version(
                year=year,
                path=path,
                heading=str(row.heading),
                text=str(row.text),
                relation=str(link.relation) if link is not None else "",
                score=float(link.score) if link is not None and pd.notna(link.score) else None,
                similarity=_similarity(link),
            )
        )
    return [v for v in out if scope.years[0] <= v.year <= scope.years[1]]


def _similarity(link) -> float | None:
    value = getattr(link, "similarity", None) if link is not None else None
    return float(value) if value is not None and pd.notna(value) else None


def _walk_back(
    thread: pd.Series, items: pd.DataFrame, alignments: pd.DataFrame, scope: Scope, level: str
):
    last = int(thread["last_year"])
    label = str(thread["label"])
    cands = items[(items["year"] == last) & (items["heading"] == label)]
    if cands.empty:
        cands = items[(items["year"] == last) & items["text"].str.startswith(label, na=False)]
    if cands.empty:
        return []
    links = alignments[(alignments["source"] == scope.source) & alignments["path_from"].notna()]
    if "level" in links.columns:
        links = links[links["level"] == level]
    links = links[links["relation"].isin((*CONTINUING, "reappeared"))]
    best_in: dict[tuple[int, str], tuple[int, str]] = {}
    for r in links.sort_values("score").itertuples(index=False):
        best_in[(int(r.year_to), str(r.path_to))] = (int(r.year_from), str(r.path_from))
    node = (last, str(cands.iloc[0]["path"]))
    chain = [node]
    allowed = {int(y) for y in thread["years"]}
    while node in best_in and best_in[node][0] in allowed and len(chain) <= len(allowed):
        node = best_in[node]
        chain.append(node)
    return chain[::-1]


def pick_thread(threads: pd.DataFrame, thread_id: str | None = None) -> pd.Series | None:
    """The thread to redline: `thread_id`, or the longest-lived one (None when there is none)."""
    if thread_id is None and threads.empty:
        return None
    if thread_id is None:
        thread_id = longest_threads(threads, n=1)["thread_id"].iloc[0]
    match = threads[threads["thread_id"].astype(str) == str(thread_id)]
    if match.empty:
        raise ChartError(f"thread {thread_id!r} not found in scope")
    return match.iloc[0]
