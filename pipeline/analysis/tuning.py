"""Honest threshold choice: align a gold's series, choose the thresholds on some pairs and score
them on the others (`policytrack evaluate --folds K`).

The series is scored once (linking.Scored per consecutive pair); every grid point only applies
its thresholds to those scores. Pairs are dealt to folds in year order (pair k goes to fold
k mod K). For each fold the grid point with the best link F1 on the *other* folds is chosen
(ties: the one nearest the defaults), and the fold's pairs are scored with it; the held-out
figures are those scores, pair by pair and pooled.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace

import pandas as pd

from policytrack.pipeline.analysis.align import (
    AlignConfig,
    SeriesScores,
    alignable_units,
    link,
    score_series,
)
from policytrack.pipeline.analysis.evaluate import (
    Gold,
    Resolved,
    _prf,
    _side_f1,
    gold_series,
    resolve,
    score_resolved,
)
from policytrack.pipeline.analysis.similarity import SimConfig
from policytrack.pipeline.core.errors import InputError

# The thresholds tried: the votes rule's three (and the paragraph spread floor, which needs the
# series scored again), or the score rule's two.
GRID = {
    "votes": {
        "link_share": (0.25, 0.3, 0.325, 0.35, 0.4, 0.5),
        "vote_z": (2.0, 3.0, 4.0, 5.0, 6.0),
        "vote_gap": (0.0, 0.5, 1.0),
    },
    "score": {
        "threshold": (1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0),
        "relative": (0.0, 0.5, 0.6, 0.7),
    },
}
SCORING_GRID = {"votes": {"vote_floor": (0.015, 0.025, 0.035)}, "score": {}}


@dataclass
class Prepared:
    """A gold resolved against the data, and its series scored (once per scoring variant)."""

    gold: Gold
    resolved: list[Resolved]
    scores: dict[SimConfig, SeriesScores]


def prepare(
    gold: Gold,
    items: pd.DataFrame,
    documents: pd.DataFrame,
    sentences: pd.DataFrame | None,
    cfg: AlignConfig,
    *,
    tune: bool = False,
    vectors=None,
) -> Prepared:
    """Resolve the gold and score its series with cfg (and every scoring variant of the grid
    when `tune`)."""
    series, docs = gold_series(gold, documents)
    resolved = resolve(gold, items, docs)
    units = alignable_units(
        items[items["doc_id"].isin(docs["doc_id"])], docs, gold.level, sentences, cfg
    )
    if units.empty:
        raise InputError(gold.path, f"no {gold.level} units to align in series {series!r}")
    sims = _sim_variants(cfg) if tune else [cfg.sim]
    return Prepared(
        gold, resolved, {sim: score_series(units, replace(cfg, sim=sim), vectors) for sim in sims}
    )


def _sim_variants(cfg: AlignConfig) -> list[SimConfig]:
    space = SCORING_GRID[cfg.rule]
    combos = itertools.product(*space.values())
    sims = [replace(cfg.sim, **dict(zip(space, vals, strict=True))) for vals in combos]
    return sims if cfg.sim in sims else [cfg.sim, *sims]


def predict(p: Prepared, cfg: AlignConfig, resolved: list[Resolved] | None = None) -> dict:
    """(year_from, year_to) → {(path_from, path_to): relation} for the gold's pairs."""
    ss = p.scores[cfg.sim]
    out = {}
    for r in resolved if resolved is not None else p.resolved:
        yf, yt = r.pair.year_from, r.pair.year_to
        k = ss.years.index(yt) if yt in ss.years else -1
        if k <= 0 or ss.years[k - 1] != yf:
            raise InputError(
                p.gold.path, f"{r.pair.label}: not consecutive documents with {p.gold.level} units"
            )
        res = link(ss.scored[yt], ss.sides[yf].keys, ss.sides[yt].keys, cfg)
        pa, pb = ss.paths[yf], ss.paths[yt]
        out[(yf, yt)] = {(pa[i], pb[j]): rel for i, j, rel, *_ in res.links}
    return out


def grid(cfg: AlignConfig) -> list[AlignConfig]:
    """Every threshold combination of cfg's rule (and scoring variant), nearest the defaults
    first."""
    space = GRID[cfg.rule]
    names = list(space)
    combos = [dict(zip(names, vals, strict=True)) for vals in itertools.product(*space.values())]
    base = AlignConfig()
    scoring = SCORING_GRID[cfg.rule]

    def distance(c: AlignConfig) -> float:
        d = sum(abs(getattr(c, k) - getattr(base, k)) / (max(space[k]) or 1) for k in names)
        return d + sum(
            abs(getattr(c.sim, k) - getattr(base.sim, k)) / (max(scoring[k]) or 1) for k in scoring
        )

    out = [replace(cfg, sim=sim, **c) for sim in _sim_variants(cfg) for c in combos]
    return sorted(out, key=distance)


@dataclass
class FoldResult:
    table: pd.DataFrame  # held-out rows per pair + overall
    chosen: list[tuple[list[str], AlignConfig, float]]  # (pairs of the fold, config, train F1)
    predicted: dict  # (year_from, year_to) → {(path_from, path_to): relation}, held out


def cross_validate(p: Prepared, cfg: AlignConfig, folds: int = 2) -> FoldResult:
    if folds < 2:
        raise InputError(p.gold.path, "--folds must be at least 2")
    if len(p.resolved) < folds:
        raise InputError(p.gold.path, f"{len(p.resolved)} pair(s) cannot make {folds} folds")
    configs = [c for c in grid(cfg) if c.sim in p.scores]
    preds = [predict(p, c) for c in configs]
    parts = [p.resolved[k::folds] for k in range(folds)]
    held_rows, chosen, held_pred = [], [], {}
    for k, test in enumerate(parts):
        train = [r for j, part in enumerate(parts) if j != k for r in part]
        best, best_f1 = 0, -1.0
        for c, pred in enumerate(preds):
            f1 = score_resolved(train, pred).iloc[-1]["f1"]
            if f1 > best_f1 + 1e-12:
                best, best_f1 = c, f1
        table = score_resolved(test, preds[best])
        held_pred.update({k: v for k, v in preds[best].items() if k in {_key(r) for r in test}})
        held_rows.append(table.iloc[:-1])
        chosen.append(([r.pair.label for r in test], configs[best], float(best_f1)))
    order = {r.pair.label: i for i, r in enumerate(p.resolved)}
    rows = pd.concat(held_rows, ignore_index=True)
    rows = rows.sort_values("pair", key=lambda s: s.map(order)).reset_index(drop=True)
    return FoldResult(_with_overall(rows), chosen, held_pred)


def _key(r: Resolved) -> tuple[int, int]:
    return r.pair.year_from, r.pair.year_to


def _with_overall(rows: pd.DataFrame) -> pd.DataFrame:
    tot = rows[["gold", "predicted", "correct", "side_gold", "side_pred", "side_correct"]].sum()
    overall = {
        "pair": "overall",
        **{k: int(v) for k, v in tot.items()},
        **_prf(int(tot["correct"]), int(tot["predicted"]), int(tot["gold"])),
        "side_f1": _side_f1(int(tot["side_correct"]), int(tot["side_pred"]), int(tot["side_gold"])),
    }
    return pd.concat([rows, pd.DataFrame([overall])], ignore_index=True)
