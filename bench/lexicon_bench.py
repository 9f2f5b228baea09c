"""The lexicon stage alone (discovery pass 1, candidates, pass 2, entries, counting), this
checkout beside an older revision's code in the same run, on the same parsed tables.

    .venv/bin/python bench/lexicon_bench.py --data DIR [--sources prov000,prov001]
                                            [--baseline REV] [--runs 2]

`--data DIR`: a data dir `policytrack build` wrote (bench/scale_bench.py --keep DIR leaves
DIR/this-10x); the stage reads each source's parsed documents and items from its cache, as the
build does, one process per run. The baseline is `git archive REV` (default HEAD~1) run by the
same interpreter with the editable install's finder removed; its `Discovery` / `count_source`
API must be the one of this checkout (d767646 and later). Runs alternate; the median CPU
seconds of each pass are printed with the ratio, and whether the two codes' outputs (every
source's terms rows and the lexicon table) are identical. Nothing here is asserted in a test.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))

from scale_bench import DROP_EDITABLE, code_tree  # noqa: E402

# The child: for an older revision, the editable install's finder dropped so that the tree
# given first on sys.path is the policytrack imported.
LAUNCH = (
    "import sys, runpy; tree = sys.argv.pop(1); sys.argv.pop(0)\n"
    f"if tree:\n    {DROP_EDITABLE}\n    sys.path.insert(0, tree)\n"
    "runpy.run_path(sys.argv[0], run_name='__main__')"
)


def child(data: Path, sources: list[str]) -> None:
    """Run the stage once, print one JSON line: CPU seconds per pass and an output digest."""
    import hashlib
    import pickle
    import time

    from policytrack.pipeline.analysis import lexicon as lx
    from policytrack.pipeline.jobs.corpus import source_frames

    frames = [source_frames(data, s) for s in sources]
    cpu: dict[str, float] = {}
    t = time.process_time()

    def lap(name: str) -> None:
        nonlocal t
        now = time.process_time()
        cpu[name] = now - t
        t = now

    found = lx.Discovery()
    for f in frames:
        found.add_counts(lx.count_ngrams(f, found.cfg, into=found.counter))
    lap("pass 1 (n-grams)")
    found.candidates()
    lap("candidates")
    for f in frames:
        found.add_stats(lx.source_stats(f, found.stats, here=True))
    lap("pass 2 (statistics)")
    entries, _ = found.entries([])
    lap("entries")
    matcher = lx.matcher_for(entries, [])
    digest = hashlib.sha256()
    evidence = []
    for f in frames:
        rows, ev = lx.count_source(f, matcher)
        evidence.append(ev)
        digest.update(pickle.dumps(rows.to_dict("list")))
    lap("counting")
    lexicon = lx.lexicon_table(entries, evidence, found.cfg)
    digest.update(pickle.dumps(lexicon.to_dict("list")))
    print(json.dumps({"cpu": cpu, "digest": digest.hexdigest(), "entries": len(lexicon)}))


def run(tree: str, data: Path, sources: list[str]) -> dict:
    cmd = [sys.executable, "-c", LAUNCH, tree, __file__, "--child", str(data),
           "--sources", ",".join(sources)]  # fmt: skip
    out = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True,
                         env={**os.environ, "CI": "true"})  # fmt: skip
    if out.returncode:
        raise SystemExit(f"the stage failed ({tree or 'this checkout'}):\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path)
    ap.add_argument("--sources", default=None, help="comma-separated (default: every source)")
    ap.add_argument("--baseline", default="HEAD~1")
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child, args.sources.split(","))
        return
    if args.data is None:
        ap.error("--data DIR is required (a data dir `policytrack build` wrote)")
    sources = args.sources.split(",") if args.sources else sorted(
        p.name for p in (args.data / "processed" / "sources").iterdir() if p.is_dir()
    )  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="lexicon-bench-") as tmp:
        old = str(code_tree(args.baseline, Path(tmp)))
        rev = Path(old).name.removeprefix("tree-")
        results: dict[str, list[dict]] = {"this": [], rev: []}
        for r in range(args.runs):
            for who in ("this", rev) if r % 2 == 0 else (rev, "this"):
                results[who].append(run("" if who == "this" else old, args.data, sources))
    print(f"lexicon stage on {args.data} ({len(sources)} sources: {', '.join(sources)}); "
          f"CPU seconds, medians of {args.runs} runs each, alternating")  # fmt: skip
    passes = list(results["this"][0]["cpu"])
    print(f"  {'pass':<22}{'this':>9}{rev:>14}{'this/old':>10}")
    for name in [*passes, "total"]:
        med = {
            who: statistics.median(
                sum(r["cpu"].values()) if name == "total" else r["cpu"][name] for r in runs
            )
            for who, runs in results.items()
        }
        ratio = med["this"] / med[rev] if med[rev] else float("nan")
        print(f"  {name:<22}{med['this']:>8.2f}s{med[rev]:>13.2f}s{ratio:>9.2f}×")
    digests = {r["digest"] for runs in results.values() for r in runs}
    entries = results["this"][0]["entries"]
    print(f"  outputs (terms rows and lexicon, {entries} entries): "
          f"{'identical' if len(digests) == 1 else 'DIFFER'}")  # fmt: skip


if __name__ == "__main__":
    main()
