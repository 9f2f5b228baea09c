"""Diffusion: how long a term takes to reach one series from another.

For every term present in two or more series of the data dir: its first year in each series, the
lag relative to the series where it appeared first, and whether it persisted after arriving (said
in every later document of that series). Presence is the timeline's `present` (counted in the
document's own text, docs/terms.md), over the latest version of each year.

Series are compared as *groups*: by default each (source, series) on its own; a source name given
to `series_groups` pools that source's series (the congress reports come as several series: the
two 1921 regional reports and the rest). Irregular series are stated, not hidden: each group
carries its publication years, and `resolution` is the usual (median) gap between two of them (a series
published every five years cannot show a one-year lag: a term coined between two congresses
looks like a lead of the annual series).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from policytrack.pipeline.analysis.corpus import select_documents
from policytrack.pipeline.core.errors import InputError

COLUMNS = ["term", "series", "first_year", "origin", "origin_year", "lag", "persisted", "absent_after", "n_series"]  # fmt: skip


@dataclass(frozen=True)
class Group:
    """One series of the comparison (or a source's series pooled), with its publication years."""

    label: str
    members: tuple[tuple[str, str], ...]  # (source, series)
    years: tuple[int, ...]

    @property
    def resolution(self) -> int:
        """The usual gap between consecutive publications (the median; 1 for an annual series):
        a lag shorter than this cannot be told from publication timing."""
        gaps = sorted(b - a for a, b in zip(self.years, self.years[1:], strict=False))
        return gaps[len(gaps) // 2] if gaps else 1

    def describe(self) -> str:
        """One line: the label, its documents and years, and what lag it can resolve."""
        ys = self.years
        span = f"{ys[0]}–{ys[-1]}" if ys else "no documents"
        gap = self.resolution
        every = (
            "annual"
            if gap == 1
            else f"usually every {gap} years: a lag under {gap} years may only be timing"
        )
        return f"{self.label}: {len(ys)} documents, {span} ({every})"


def series_groups(documents: pd.DataFrame, names: Sequence[str] | None = None) -> list[Group]:
    """Each series of `documents` (or, for `names`, each name: a series key, or a source name
    pooling its series). Labels are series keys, `source/series` when a key is in two sources."""
    docs = select_documents(documents, quiet=True)
    pairs = sorted(set(zip(docs["source"], docs["series"], strict=True)))
    years_of: dict[tuple[str, str], set[int]] = {}
    for src, ser, y in zip(docs["source"], docs["series"], docs["year"], strict=True):
        years_of.setdefault((src, ser), set()).add(int(y))
    keys = [ser for _, ser in pairs]

    def make(label: str, members: list[tuple[str, str]]) -> Group:
        ys = sorted(set().union(*(years_of[m] for m in members)))
        return Group(label, tuple(members), tuple(ys))

    if not names:
        return [
            make(ser if keys.count(ser) == 1 else f"{src}/{ser}", [(src, ser)])
            for src, ser in pairs
        ]
    out = []
    for name in names:
        by_series = [p for p in pairs if p[1] == name]
        by_source = [p for p in pairs if p[0] == name]
        members = by_series or by_source
        if not members:
            sources = sorted({s for s, _ in pairs})
            raise InputError(
                name,
                f"no such series or source; sources: {', '.join(sources) or 'none'}; "
                f"series: {', '.join(sorted(set(keys)))}",
            )
        out.append(make(name, members))
    return out


def first_years(timeline: pd.DataFrame, groups: Sequence[Group]) -> pd.DataFrame:
    """Years each term is present in each group: columns term, series (the group label), year."""
    frames = []
    for g in groups:
        keys = set(g.members)
        rows = timeline[timeline["present"].astype(bool)]
        rows = rows[[(s, r) in keys for s, r in zip(rows["source"], rows["series"], strict=True)]]
        rows = rows[rows["year"].isin(set(g.years))]
        frames.append(rows[["term", "year"]].drop_duplicates().assign(series=g.label))
    if not frames:
        return pd.DataFrame(columns=["term", "series", "year"])
    return pd.concat(frames, ignore_index=True)[["term", "series", "year"]]


def diffusion(
    timeline: pd.DataFrame,
    groups: Sequence[Group],
    *,
    terms: Sequence[str] | None = None,
    noise: bool = False,
) -> pd.DataFrame:
    """One row per (term, group) for every term present in two or more groups (COLUMNS):
    `first_year` in that group, `origin` (the group where it came first, `a|b` on a tie) and its
    year, `lag` (first_year − origin_year), `persisted` (said in every later document of the group)
    and `absent_after` (the later document years without it). Sorted by origin year, term, lag."""
    if len(groups) < 2:  # no term can be in two groups (one series: the report on GWR)
        return pd.DataFrame(columns=COLUMNS)
    if terms is not None:
        timeline = timeline[timeline["term"].isin(set(terms))]
    elif not noise and "flag" in timeline:
        timeline = timeline[timeline["flag"].fillna("") == ""]
    seen = first_years(timeline, groups)
    if seen.empty:
        return pd.DataFrame(columns=COLUMNS)
    years_by = {g.label: g.years for g in groups}
    present = seen.groupby(["term", "series"])["year"].apply(lambda s: sorted(set(s)))
    rows = []
    for term, per in present.groupby(level=0, sort=False):
        per = per.droplevel(0)
        if len(per) < 2:
            continue
        firsts = {label: ys[0] for label, ys in per.items()}
        origin_year = min(firsts.values())
        origin = "|".join(label for label in years_by if firsts.get(label) == origin_year)
        for label in years_by:
            if label not in firsts:
                continue
            said = set(per[label])
            after = [y for y in years_by[label] if y > firsts[label] and y not in said]
            rows.append(
                (term, label, firsts[label], origin, origin_year, firsts[label] - origin_year,
                 not after, after, len(per))
            )  # fmt: skip
    out = pd.DataFrame(rows, columns=COLUMNS)
    return out.sort_values(["origin_year", "term", "lag"], kind="stable").reset_index(drop=True)


def pair_table(table: pd.DataFrame, source: str, target: str) -> pd.DataFrame:
    """From one group to another, one row per term in both: first years, the lag (target −
    source: negative when the target had it first) and whether it persisted in the target."""
    a = table[table["series"] == source].set_index("term")
    b = table[table["series"] == target].set_index("term")
    both = a.index.intersection(b.index)
    out = pd.DataFrame(
        {
            "term": both,
            "from_year": a.loc[both, "first_year"].to_numpy(),
            "to_year": b.loc[both, "first_year"].to_numpy(),
        }
    )
    out["lag"] = out["to_year"] - out["from_year"]
    out["persisted"] = b.loc[both, "persisted"].to_numpy()
    out["absent_after"] = b.loc[both, "absent_after"].to_numpy()
    return out.sort_values(["from_year", "lag", "term"], kind="stable").reset_index(drop=True)
