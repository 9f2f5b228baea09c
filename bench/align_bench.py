"""Alignment benchmarks: prints figures, asserts nothing.

    python bench/align_bench.py sentences [--data DIR | --corpus FILE]   # GWR 1978–2025, sentence level
    python bench/align_bench.py scale [--sizes 100,1000,5000,20000]      # generated items
    python bench/align_bench.py tune [--gwr-data DIR --sample-data DIR]  # F1 of similarity choices

`sentences` aligns every consecutive pair of Government Work Reports from 1978 at sentence level
and does the same scoring + assignment with a naive per-pair Python loop over rapidfuzz.fuzz and
with difflib.SequenceMatcher, in the same process; difflib runs on a sample of pairs and is
extrapolated (clearly labelled). `scale` runs each size in a fresh subprocess so peak RSS is the
alignment's own. `tune` reproduces the table in docs/alignment.md.
"""

from __future__ import annotations

import argparse
import difflib
import gc
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import pandas as pd  # noqa: E402

from policytrack.pipeline.analysis.align import (  # noqa: E402
    AlignConfig,
    align_series,
    alignable_units,
    assign,
    select_documents,
)
from policytrack.pipeline.analysis.similarity import (  # noqa: E402
    LEGACY,
    Encoder,
    SimConfig,
    match_form,
    prepare,
    score_pairs,
)

DEFAULT_CORPUS = REPO.parent / "shared" / "corpus" / "government_work_reports.jsonl"


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _build_gwr(corpus: Path) -> Path:
    """Ingest + build the corpus into a temp data dir with the project's own CLI."""
    data = Path(tempfile.mkdtemp(prefix="align-bench-"))
    cli = [sys.executable, "-m", "policytrack.pipeline.cli"]
    env = {**os.environ, "CI": "true"}
    for args in (["ingest", str(corpus), "--source", "gwr"], ["build"]):
        subprocess.run(
            [*cli, *args, "--data", str(data)],
            check=True,
            env=env,
            cwd=REPO,
            stdout=subprocess.DEVNULL,
        )
    return data


def _load(data: Path) -> dict[str, pd.DataFrame]:
    p = data / "processed"
    return {n: pd.read_parquet(p / f"{n}.parquet") for n in ("items", "documents", "sentences")}


# ---------------------------------------------------------------------------- sentences


def bench_sentences(data: Path | None, corpus: Path, since: int, difflib_pairs: int) -> None:
    if data is None:
        print(f"building {corpus.name} into a temp dir …", flush=True)
        data = _build_gwr(corpus)
    t = _load(data)
    cfg = AlignConfig()
    docs = select_documents(t["documents"])
    docs = docs[(docs["source"] == "gwr") & (docs["year"] >= since)]
    units = alignable_units(t["items"], docs, "sentence", t["sentences"], cfg)
    years = sorted(units["year"].unique())
    per_year = units.groupby("year").size()
    pairs = list(zip(years[:-1], years[1:], strict=True))
    total_pairs = int(sum(per_year[a] * per_year[b] for a, b in pairs))
    print(
        f"GWR {years[0]}–{years[-1]}: {len(years)} reports, {len(units):,} sentences, "
        f"{len(pairs)} consecutive pairs, {total_pairs:,} sentence pairs"
    )

    # The same scoring inputs for the baselines: encoded strings of each year.
    enc = Encoder(cfg.sim.tokens)
    by_year = {y: g for y, g in units.groupby("year")}
    prep = {
        y: prepare(g["heading"].tolist(), g["body"].tolist(), enc, cfg.sim.scorer)
        for y, g in by_year.items()
    }
    forms = {y: [match_form(t) for t in by_year[y]["body"]] for y in years}

    def ours():
        links = align_series(units, cfg)
        return sum(1 for lk in links if lk.path_from and lk.path_to)

    def same_work():
        # Our scoring (process.cdist on all cores, or pruned candidates) + sparse assignment,
        # for the consecutive pairs only: what the naive loop below does.
        n_links = 0
        for a, b in pairs:
            p = score_pairs(prep[a], prep[b], cfg.sim, floor=cfg.threshold)
            ra, _ = assign(p.a, p.b, p.score, len(prep[a]), len(prep[b]))
            n_links += len(ra)
        return n_links

    def naive():
        from rapidfuzz import fuzz

        n_links = 0
        for a, b in pairs:
            A, B = prep[a].body, prep[b].body
            m = np.empty((len(A), len(B)), dtype=np.float32)
            for i, x in enumerate(A):
                for j, y in enumerate(B):
                    m[i, j] = fuzz.ratio(x, y)
            ra, _ = _dense_assign(m, 30.0)
            n_links += len(ra)
        return n_links

    # Time without tracemalloc (it slows Python allocations), then peak memory with it.
    results = {}
    runs = (
        ("ours, full aligner", ours),
        ("ours, same work", same_work),
        ("naive fuzz loop", naive),
    )
    for name, fn in runs:
        gc.collect()
        t0 = time.perf_counter()
        n_links = fn()
        dt = time.perf_counter() - t0
        gc.collect()
        tracemalloc.start()
        fn()
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        results[name] = dt
        note = {
            "ours, full aligner": "align_series: everything",
            "ours, same work": "cdist scoring + sparse assignment, consecutive pairs",
            "naive fuzz loop": "per-pair Python loop over rapidfuzz.fuzz.ratio + dense assignment",
        }[name]
        print(
            f"{name:<22}: {dt:8.2f} s  peak {peak:7.1f} MB (tracemalloc)  {n_links:,} links  ({note})"
        )
    ours_t, naive_t = results["ours, full aligner"], results["naive fuzz loop"]

    # difflib on a sample of sentence pairs, extrapolated to all pairs.
    rng = np.random.default_rng(0)
    sample = []
    for _ in range(difflib_pairs):
        a, b = pairs[rng.integers(len(pairs))]
        sample.append(
            (forms[a][rng.integers(len(forms[a]))], forms[b][rng.integers(len(forms[b]))])
        )
    t0 = time.perf_counter()
    for x, y in sample:
        difflib.SequenceMatcher(None, x, y, autojunk=False).ratio()
    per_pair = (time.perf_counter() - t0) / len(sample)
    dl = per_pair * total_pairs
    print(
        f"{'difflib':<22}: {dl:8.1f} s  EXTRAPOLATED from {len(sample):,} random sentence pairs "
        f"({per_pair * 1e6:.1f} µs/pair × {total_pairs:,} pairs; scoring only)"
    )
    same = results["ours, same work"]
    print(
        f"ratios (same work: score every pair + one-to-one assignment): naive fuzz loop / ours = "
        f"{naive_t / same:.1f}×, difflib (extrapolated, scoring only) / ours = {dl / same:.0f}×"
    )
    print(
        f"full aligner / same-work part = {ours_t / same:.1f}× (splits/merges, "
        "look-back, new/dropped, threads' inputs)"
    )


def _dense_assign(m: np.ndarray, threshold: float):
    from scipy.optimize import linear_sum_assignment

    w = np.where(m >= threshold, m, 0)
    r, c = linear_sum_assignment(w, maximize=True)
    ok = w[r, c] > 0
    return r[ok], c[ok]


# ---------------------------------------------------------------------------- scale


def generate(n: int, seed: int = 0) -> tuple[pd.DataFrame, dict[int, int]]:
    """Two years of n synthetic items each; year 2 reorders, edits, drops and adds items.

    Items are sentences of pseudo-words: each item mixes words of its own topic with common
    words, so unrelated items share vocabulary as real ones do. Returns the units table and the
    true links (index in year 1 → index in year 2).
    """
    rng = np.random.default_rng(seed)
    chars = np.array([chr(c) for c in range(0x4E00, 0x4E00 + 3500)])
    n_words = 20_000
    words = ["".join(rng.choice(chars, size=rng.integers(2, 5))) for _ in range(n_words)]
    common = words[:300]
    topical = words[300:]

    def item(topic: int) -> list[str]:
        # Each topic draws from its own random set of 60 words (topics rarely share words).
        own_words = np.random.default_rng([seed, topic]).integers(0, len(topical), 60)
        k = rng.integers(25, 45)
        own = [topical[int(own_words[x])] for x in rng.integers(0, 60, size=k)]
        gen = [common[int(x)] for x in rng.integers(0, len(common), size=k // 3)]
        toks = own + gen
        rng.shuffle(toks)
        return toks

    year1 = [item(t) for t in range(n)]
    keep = rng.permutation(n)[: int(n * 0.9)]  # 10 % dropped
    year2, truth = [], {}
    for i in keep:
        toks = list(year1[i])
        edit = rng.random(len(toks)) < 0.25  # a quarter of the words replaced
        for k in np.nonzero(edit)[0]:
            toks[k] = topical[int(rng.integers(len(topical)))]
        truth[int(i)] = len(year2)
        year2.append(toks)
    for t in range(n, n + n - len(keep)):  # as many new items as dropped
        year2.append(item(t))
    order = rng.permutation(len(year2))  # reorder everything
    pos = {int(old): new for new, old in enumerate(order)}
    truth = {i: pos[j] for i, j in truth.items()}
    year2 = [year2[k] for k in order]
    rows = []
    for y, items in ((2020, year1), (2021, year2)):
        for k, toks in enumerate(items):
            text = "".join(toks[:4]) + "。" + "".join(toks[4:]) + "。"
            rows.append(
                {
                    "source": "gen",
                    "series": "gen",
                    "year": y,
                    "doc_id": f"d{y}",
                    "path": f"1.{k + 1}",
                    "heading": "".join(toks[:4]),
                    "body": text,
                    "section": "",
                }
            )
    return pd.DataFrame(rows), truth


def _config(scorer: str) -> AlignConfig:
    """The aligner measured: `bm25` (the default) or `legacy` (the bigram Indel scorer of
    ALIGN_VERSION 3, with the same link rule)."""
    if scorer == "legacy":
        return AlignConfig(lookback=0, sim=LEGACY, rule="score")
    return AlignConfig(lookback=0)


def _scale_one(n: int, scorer: str = "bm25") -> dict:
    units, truth = generate(n)
    cfg = _config(scorer)
    rss0 = _rss_mb()
    t0 = time.perf_counter()
    links = align_series(units, cfg)
    dt = time.perf_counter() - t0
    got = {
        (int(lk.path_from.split(".")[1]) - 1, int(lk.path_to.split(".")[1]) - 1)
        for lk in links
        if lk.path_from and lk.path_to and lk.primary
    }
    true = set(truth.items())
    tp = len(got & true)
    out = {
        "n": n,
        "scorer": scorer,
        "seconds": round(dt, 2),
        "peak_rss_mb": round(_rss_mb(), 1),
        "rss_before_mb": round(rss0, 1),
        "precision": round(tp / max(len(got), 1), 4),
        "recall": round(tp / max(len(true), 1), 4),
        "pruned": n * n > cfg.sim.dense_limit,
    }
    if n <= 5000 and scorer == "legacy":  # all pairs with process.cdist + one dense assignment
        enc = Encoder(LEGACY.tokens)
        a = units[units["year"] == 2020]
        b = units[units["year"] == 2021]
        pa = prepare(a["heading"].tolist(), a["body"].tolist(), enc, LEGACY.scorer)
        pb = prepare(b["heading"].tolist(), b["body"].tolist(), enc, LEGACY.scorer)
        from rapidfuzz import fuzz, process

        t0 = time.perf_counter()
        m = process.cdist(pa.body, pb.body, scorer=fuzz.ratio, dtype=np.float32, workers=-1)
        t_cdist = time.perf_counter() - t0
        t0 = time.perf_counter()
        _dense_assign(m, 30.0)
        t_lsa = time.perf_counter() - t0
        out.update(
            {
                "dense_cdist_s": round(t_cdist, 2),
                "dense_lsa_s": round(t_lsa, 2),
                "dense_matrix_mb": round(m.nbytes / 2**20, 1),
            }
        )
    return out


def bench_scale(sizes: list[int]) -> None:
    """Each size with the BM25 scorer and with the legacy bigram scorer, each in a fresh
    process (peak RSS is the alignment's own), and the ratio of the two."""
    print(
        f"{'items/year':>10} {'scorer':>7} {'s':>7} {'peak RSS MB':>12} {'P':>7} {'R':>7}  "
        f"{'dense cdist s':>13} {'dense LSA s':>11} {'dense matrix MB':>15}"
    )
    rows = []
    for n in sizes:
        for scorer in ("bm25", "legacy"):
            proc = subprocess.run(
                [sys.executable, __file__, "_scale_one", str(n), scorer],
                capture_output=True,
                text=True,
                cwd=REPO,
                env={**os.environ, "CI": "true"},
            )
            if proc.returncode != 0:
                print(f"{n:>10} {scorer:>7} failed: {proc.stderr.strip().splitlines()[-1:]}")
                continue
            r = json.loads(proc.stdout.strip().splitlines()[-1])
            rows.append(r)
            dense = (
                f"{r['dense_cdist_s']:>13.2f} {r['dense_lsa_s']:>11.2f} {r['dense_matrix_mb']:>15.1f}"
                if "dense_cdist_s" in r
                else f"{'':>13} {'':>11} {'':>15}"
            )
            print(
                f"{n:>10} {scorer:>7} {r['seconds']:>7.2f} {r['peak_rss_mb']:>12.1f} "
                f"{r['precision']:>7.3f} {r['recall']:>7.3f}  {dense}",
                flush=True,
            )
    by = {(r["n"], r["scorer"]): r for r in rows}
    for n in sizes:
        if (n, "bm25") in by and (n, "legacy") in by:
            new, old = by[(n, "bm25")], by[(n, "legacy")]
            print(
                f"ratio at {n:,}: bm25 / legacy bigram = {new['seconds'] / old['seconds']:.2f}× "
                f"time, {new['peak_rss_mb'] / old['peak_rss_mb']:.2f}× peak RSS"
            )
    big = [r for r in rows if "dense_cdist_s" in r]
    if big:
        r = max(big, key=lambda r: r["n"])
        per_pair = r["dense_cdist_s"] / (r["n"] ** 2)
        for n in sizes:
            if n > r["n"]:
                print(
                    f"dense at {n:,}: EXTRAPOLATED cdist {per_pair * n * n:,.0f} s, "
                    f"matrix {n * n * 4 / 2**30:.1f} GB float32 (from the {r['n']:,} run); "
                    "dense assignment is O(n³)"
                )
    for n in sizes:
        r = by.get((n, "bm25"))
        if r and n == 5000:
            print(f"target 5,000 × 5,000 under 5 s: {r['seconds']:.2f} s")
        if r and n == 20000:
            print(f"target 20,000 × 20,000 under 4 GB: {r['peak_rss_mb']:,.0f} MB peak RSS")


# ---------------------------------------------------------------------------- tune


def bench_tune(gwr: Path, sample: Path, gold_gwr: Path, gold_sample: list[Path]) -> None:
    import itertools
    import logging

    from policytrack.pipeline.analysis.align import align_corpus
    from policytrack.pipeline.analysis.evaluate import evaluate, load_gold

    logging.disable(logging.WARNING)
    g = _load(gwr)
    s = _load(sample)
    gg = load_gold(gold_gwr)
    sg = [load_gold(p) for p in gold_sample]

    def score(cfg):
        a, _ = align_corpus(g["items"], g["documents"], config=cfg)
        e = evaluate(gg, a, g["items"], g["documents"]).iloc[-1]
        a2, _ = align_corpus(s["items"], s["documents"], config=cfg)
        tot = np.zeros(6)
        for gold in sg:
            r = evaluate(gold, a2, s["items"], s["documents"]).iloc[-1]
            tot += r[
                ["gold", "predicted", "correct", "side_gold", "side_pred", "side_correct"]
            ].to_numpy(float)
        return e, _f1(tot[2], tot[1], tot[0]), _f1(tot[5], tot[4], tot[3])

    print(
        f"{'tokens':<7}{'scorer':<7}{'head':>5}{'bg':>4}{'thr':>5}  {'GWR P':>6}{'GWR R':>7}"
        f"{'GWR F1':>7}{'GWR n/d':>8}  {'sample F1':>9}{'n/d F1':>7}{'s':>6}"
    )
    base = AlignConfig()
    grid = itertools.product(
        [
            ("char", "ratio"),
            ("char", "sort"),
            ("bigram", "ratio"),
            ("bigram", "sort"),
            ("bigram", "set"),
            ("jieba", "sort"),
            ("jieba", "set"),
        ],
        [0.0, 0.3, 1.0],
        [True, False],
    )
    runs = [
        (t, wh, bg, thr) for t, wh, bg in grid for thr in ([base.threshold] if bg else [2, 3, 4, 5])
    ]
    for (tok, sc), wh, bg, thr in runs:
        # Without the background a score is raw / 10: thresholds 2–5 are raw 20–50.
        cfg = AlignConfig(
            sim=SimConfig(tokens=tok, scorer=sc, heading_weight=wh, background=bg),
            threshold=thr,
            split_floor=thr * base.split_floor / base.threshold,
            split_containment=base.split_containment if bg else 6.0,
        )
        t0 = time.perf_counter()
        e, sf, ss = score(cfg)
        dt = time.perf_counter() - t0
        side = _f1(e.side_correct, e.side_pred, e.side_gold)
        print(
            f"{tok:<7}{sc:<7}{wh:>5.1f}{'on' if bg else 'off':>4}{thr:>5.0f}  {e.precision:>6.3f}"
            f"{e.recall:>7.3f}{e.f1:>7.3f}{side:>8.3f}  {sf:>9.3f}{ss:>7.3f}{dt:>6.1f}",
            flush=True,
        )

    print("\nthresholds (bigram, sort, heading 0, standardised):")
    print(
        f"{'thr':>5}{'floor':>6}{'cont':>5}  {'GWR F1':>7}{'GWR n/d':>8}  {'sample F1':>9}{'n/d F1':>7}"
    )
    for thr, floor, cont in itertools.product([2.5, 3.0, 4.0], [4.0, 5.0], [3.0, 4.0]):
        cfg = AlignConfig(threshold=thr, split_floor=floor, split_containment=cont)
        e, sf, ss = score(cfg)
        side = _f1(e.side_correct, e.side_pred, e.side_gold)
        print(
            f"{thr:>5.1f}{floor:>6.1f}{cont:>5.1f}  {e.f1:>7.3f}{side:>8.3f}  {sf:>9.3f}{ss:>7.3f}",
            flush=True,
        )


def _f1(tp, pred, gold) -> float:
    p = tp / pred if pred else 0.0
    r = tp / gold if gold else 0.0
    return round(2 * p * r / (p + r), 3) if p + r else 0.0


def main() -> None:
    if len(sys.argv) >= 3 and sys.argv[1] == "_scale_one":
        print(json.dumps(_scale_one(int(sys.argv[2]), *sys.argv[3:4])))
        return
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("sentences")
    s.add_argument("--data", type=Path, help="a data dir already built from the GWR corpus")
    s.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    s.add_argument("--since", type=int, default=1978)
    s.add_argument("--difflib-pairs", type=int, default=20_000)
    c = sub.add_parser("scale")
    c.add_argument("--sizes", default="100,1000,5000,20000")
    t = sub.add_parser("tune")
    t.add_argument("--gwr-data", type=Path, required=True)
    t.add_argument("--sample-data", type=Path, required=True)
    t.add_argument("--gold", type=Path, default=REPO / "gold" / "gwr-tasks.json")
    t.add_argument("--sample-gold", type=Path, default=REPO / "sample" / "gold")
    args = ap.parse_args()
    if args.cmd == "sentences":
        bench_sentences(args.data, args.corpus, args.since, args.difflib_pairs)
    elif args.cmd == "scale":
        bench_scale([int(x) for x in args.sizes.split(",")])
    else:
        bench_tune(
            args.gwr_data, args.sample_data, args.gold, sorted(args.sample_gold.glob("a-*.json"))
        )


if __name__ == "__main__":
    main()
