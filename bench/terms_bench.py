"""Terms benchmarks: prints figures, asserts nothing.

    python bench/terms_bench.py [--corpus FILE] [--scale 10] [--work DIR]

1. Builds the Government Work Reports with today's build (ingest + build) in a work dir.
2. Lexicon stage (discovery + counting) on the GWR corpus, then on a synthetic corpus `--scale`
   times larger (that many perturbed copies of the GWR as separate sources: 1 % of the CJK
   characters replaced at random, so the copies are not identical), each in a fresh subprocess:
   wall time and the process's peak RSS, beside its RSS once the input tables are loaded (the
   stage's own memory is the difference).
3. Counting with the multi-pattern matcher (one Aho–Corasick automaton) against one scan per
   term (`str.count` of every entry in every unit: the baseline counts only, no own/quoted
   tallies), on the GWR with the GWR lexicon, in the same run.
4. `policytrack terms gwr` (new code path, a fresh process) beside the code path it replaced (kept
   below as `old_terms`: grouping with per-group Python lambdas, per-cell `.at` lookups, a rich
   column per year), both on the same tables, in the same run; medians of 3.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from policytrack.pipeline.store.tables import read_table

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
SHARED = Path(os.environ.get("POLICYTRACK_SHARED", REPO.parent / "shared"))


def _py() -> list[str]:
    return [sys.executable, str(Path(__file__).resolve())]


# ---------------------------------------------------------------------------- corpora


def build_gwr(corpus: Path, work: Path) -> Path:
    from policytrack.pipeline.jobs.build import build
    from policytrack.pipeline.jobs.ingest import ingest

    data = work / "gwr"
    if not (data / "processed" / "CURRENT").exists():
        ingest([corpus], "gwr", data)
        build(data)
    return data


def synthetic_frames(data: Path, scale: int, seed: int = 7):
    """`scale` perturbed copies of the GWR's tables, one source each."""

    from policytrack.pipeline.analysis.lexicon import SourceFrames

    docs = read_table(data, "documents")
    items = read_table(data, "items")
    rng = random.Random(seed)
    alphabet = sorted({c for t in items["text"] for c in t if "\u4e00" <= c <= "\u9fff"})

    def perturb(text):
        if not isinstance(text, str):
            return text
        chars = list(text)
        for i, c in enumerate(chars):
            if "\u4e00" <= c <= "\u9fff" and rng.random() < 0.01:
                chars[i] = rng.choice(alphabet)
        return "".join(chars)

    frames = []
    for k in range(scale):
        src = f"copy{k:02d}"
        d = docs.assign(source=src, doc_id=docs["doc_id"] + f"-{k}")
        d["preamble"] = [perturb(p) for p in d["preamble"]]
        it = items.assign(source=src, doc_id=items["doc_id"] + f"-{k}")
        it["text"] = [perturb(t) for t in it["text"]]
        frames.append(SourceFrames(src, d, it))
    return frames


def gwr_frames(data: Path):
    from tests.support.lexicon import source_frames

    return source_frames(data)


# ---------------------------------------------------------------------------- measurements


def _rss_mb() -> float:
    """Resident set size now (Linux /proc)."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def run_stage(data: Path, scale: int) -> dict:
    """One stage run (in this process): time, traced peak, RSS."""
    from policytrack.pipeline.analysis.lexicon import lexicon_stage

    frames = gwr_frames(data) if scale <= 1 else synthetic_frames(data, scale)
    chars = int(sum(f.documents["n_chars"].sum() for f in frames))  # body characters
    before = _rss_mb()
    t0 = time.perf_counter()
    result = lexicon_stage(frames)
    wall = time.perf_counter() - t0
    rows = sum(len(t) for t in result.terms.values())
    return {
        "scale": scale,
        "sources": len(frames),
        "documents": int(sum(len(f.documents) for f in frames)),
        "chars": chars,
        "seconds": round(wall, 2),
        "rss_before_mb": round(before, 1),
        "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3, 1),
        "lexicon": len(result.lexicon),
        "phrases": result.stats.get("phrases"),
        "ngram_table_mb": round(result.stats.get("ngram_table_mb", 0.0), 1),
        "terms_rows": rows,
    }


def matcher_vs_scan(data: Path) -> dict:

    from policytrack.pipeline.analysis.lexicon_count import Matcher, document_units

    lex = read_table(data, "lexicon")
    docs = read_table(data, "documents")
    items = read_table(data, "items")
    units = [u for _, u in document_units(docs, items)]
    terms, kinds = list(lex["term"]), list(lex["kind"])
    t0 = time.perf_counter()
    m = Matcher(terms, kinds)
    fast = [m.count(u) for u in units]
    t_fast = time.perf_counter() - t0
    t0 = time.perf_counter()
    slow = [{t: n for t in terms if (n := sum(text.count(t) for _, text in u))} for u in units]
    t_slow = time.perf_counter() - t0
    # Same counts for every entry counted bare (two-character entries count quoted only).
    same = all(
        all(slow[k].get(m.terms[i], 0) == tally.count for i, tally in fast[k].items() if not m.mode[i])
        for k in range(len(units))
    )  # fmt: skip
    return {
        "entries": len(terms),
        "documents": len(units),
        "automaton_s": round(t_fast, 2),
        "one_scan_per_term_s": round(t_slow, 2),
        "ratio": round(t_slow / max(t_fast, 1e-9), 1),
        "same_counts": same,
    }


def timed(cmd: list[str], repeat: int = 3) -> tuple[float, float]:
    """Median wall seconds and median CPU seconds (user + sys of the child) of `cmd`: on a
    shared, loaded machine the CPU time is the steadier figure."""
    walls, cpus = [], []
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        walls.append(time.perf_counter() - t0)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return round(statistics.median(walls), 2), round(statistics.median(cpus), 2)


# ---------------------------------------------------------------------------- the replaced path


def old_terms(data: Path, source: str) -> None:
    """The `terms` code path this issue replaced (pipeline/cli/terms.py and analysis/termquery.py
    before the lexicon), kept verbatim in substance: the whole source's timeline grouped with
    per-group Python lambdas, then one `.at` lookup per cell and a rich column per year."""
    from rich.console import Console
    from rich.table import Table

    from policytrack.pipeline.analysis.corpus import select_documents

    documents = read_table(data, "documents")
    timeline = read_table(data, "term_timeline")
    documents = documents[documents["source"] == source]
    timeline = timeline[timeline["source"] == source]
    select_documents(documents, quiet=True)
    agg = (
        timeline.groupby(["source", "series", "canonical", "year"], sort=True)
        .agg(
            count=("count", "sum"),
            present=("present", "any"),
            paths=("paths", lambda s: list(dict.fromkeys(p for lst in s for p in lst))),
            kinds=("kinds", lambda s: ",".join(sorted({k for x in s for k in x.split(",") if k}))),
            watched=("watched", "any"),
            variants=("variants", "first"),
            status=("status", "first"),
            emergence=("emergence", "max"),
            first_year=("first_year", "max"),
        )
        .reset_index()
        .rename(columns={"canonical": "term"})
    )
    console = Console(file=open(os.devnull, "w"), width=200)  # noqa: SIM115
    for series_name, g in agg.groupby("series", sort=True):
        years = sorted(g["year"].unique())
        table = Table(title=f"{source} / {series_name}", show_edge=False, padding=(0, 0))
        table.add_column("term", overflow="fold", max_width=40)
        for y in years:
            table.add_column(f"{y % 100:02d}", justify="center", no_wrap=True)
        table.add_column("emergence", justify="right")
        order = g.groupby("term").agg(first=("first_year", "max"), total=("count", "sum"))
        for term in order.sort_values(["first", "total"], ascending=[True, False]).index:
            rows = g[g["term"] == term].set_index("year")
            cells = [rows.at[y, "status"] if y in rows.index else "" for y in years]
            table.add_row(term, *cells, f"{rows.loc[years[-1], 'emergence']:.2f}")
        console.print(table)


# ---------------------------------------------------------------------------- main


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument(
        "--corpus", type=Path, default=SHARED / "corpus" / "government_work_reports.jsonl"
    )
    ap.add_argument("--scale", type=int, default=10)
    ap.add_argument("--work", type=Path, default=None)
    ap.add_argument("--parts", default="stage,count,terms", help="Comma list: stage,count,terms.")
    ap.add_argument("--stage", type=int, default=None, help=argparse.SUPPRESS)
    ap.add_argument("--old-terms", type=Path, default=None, help=argparse.SUPPRESS)
    ap.add_argument("--data", type=Path, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.old_terms:
        old_terms(args.old_terms, "gwr")
        return
    if args.stage is not None:
        print(json.dumps(run_stage(args.data, args.stage)))
        return
    work = args.work or Path(tempfile.mkdtemp(prefix="terms_bench_"))
    data = build_gwr(args.corpus, work)
    print(f"# terms bench — work dir {work}")
    parts = set(args.parts.split(","))
    for scale in (1, args.scale) if "stage" in parts else ():
        out = subprocess.run(
            [*_py(), "--stage", str(scale), "--data", str(data)],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        r = json.loads(out.stdout.strip().splitlines()[-1])
        label = "GWR" if scale == 1 else f"synthetic {scale}× ({r['sources']} sources)"
        print(
            f"stage  {label:<28} {r['documents']:>4} docs {r['chars'] / 1e6:5.2f} M chars  "
            f"{r['seconds']:6.1f} s  peak RSS {r['max_rss_mb']:6.1f} MB "
            f"(tables loaded: {r['rss_before_mb']:.0f} MB)  lexicon {r['lexicon']} "
            f"(phrases {r['phrases']})  n-gram tables {r['ngram_table_mb']} MB  "
            f"terms rows {r['terms_rows']}"
        )
    if "count" in parts:
        m = matcher_vs_scan(data)
        print(
            f"count  {m['entries']} entries × {m['documents']} docs: automaton "
            f"{m['automaton_s']} s, one scan per term {m['one_scan_per_term_s']} s → "
            f"{m['ratio']}× (same counts: {m['same_counts']})"
        )
    if "terms" not in parts:
        return
    exe = Path(sys.executable).with_name("policytrack")
    new = timed([str(exe), "terms", "gwr", "--data", str(data)])
    old = timed([sys.executable, str(Path(__file__).resolve()), "--old-terms", str(data)])
    print(
        f"terms  `policytrack terms gwr` {new[0]} s wall, {new[1]} s CPU  vs  replaced path "
        f"{old[0]} s wall, {old[1]} s CPU  → {old[1] / max(new[1], 1e-9):.1f}× less CPU "
        f"(medians of 3; load average now {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)"
    )


if __name__ == "__main__":
    main()
