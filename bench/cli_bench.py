"""Command latency on the Government Work Reports: `policytrack --help`, `diff --help`,
`terms gwr`, `diff gwr 2018 2019`, each a cold process, this checkout beside older code paths
in the same run, on the same tables.

    .venv/bin/python bench/cli_bench.py [--data DIR] [--runs 5] [--baseline REV ...]

Tables: `--data DIR` (a data dir `policytrack build` wrote with a source `gwr`), else the GWR
corpus ($POLICYTRACK_SHARED or ../shared) ingested and built into a temp dir first (not timed).

Each `--baseline REV` (default: the commit where this branch left main, and 3a16d80, main
before issue 17) is taken with `git archive` and run by the same interpreter with the editable
install's finder removed. A revision older than the generation layout reads the same tables
as flat `processed/<table>.parquet` files (written once, not timed). Runs alternate between the
code paths; medians of wall and CPU seconds (the process's own, from wait4) are printed with the
issue's targets. Nothing here is asserted in a test.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

# An older revision's tree (`git archive`) and the launcher that runs its CLI with the editable
# install's finder dropped: the scale bench's.
from scale_bench import LAUNCH, code_tree  # noqa: E402

ENV = {**os.environ, "CI": "true", "COLUMNS": "160"}
RUSAGE = (
    "import os, subprocess, sys; p = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, "
    "stderr=subprocess.PIPE); err = p.stderr.read(); _, st, ru = os.wait4(p.pid, 0); "
    "sys.stderr.buffer.write(err[-2000:]); "
    "print(os.waitstatus_to_exitcode(st), ru.ru_maxrss, ru.ru_utime + ru.ru_stime)"
)
# (label, arguments after `policytrack`, target seconds from issue 17 or None)
COMMANDS = [
    ("--help", ["--help"], None),
    ("diff --help", ["diff", "--help"], None),
    ("terms gwr", ["terms", "gwr"], 1.5),
    ("diff gwr 2018 2019", ["diff", "gwr", "2018", "2019"], 0.8),
]
BEFORE_17 = "3a16d80"


def build_gwr(work: Path) -> Path:
    shared = Path(os.environ.get("POLICYTRACK_SHARED", REPO.parent / "shared"))
    corpus = shared / "corpus" / "government_work_reports.jsonl"
    if not corpus.is_file():
        sys.exit(f"{corpus}: not found; pass --data DIR or set POLICYTRACK_SHARED")
    data = work / "gwr-data"
    for args in (["ingest", str(corpus), "--source", "gwr"], ["build"]):
        cmd = [sys.executable, "-m", "policytrack.pipeline.cli", "-q", *args, "--data", str(data)]
        subprocess.run(cmd, env=ENV, check=True, capture_output=True)
    return data


def flat_copy(data: Path, work: Path) -> Path:
    """The current generation's tables as one flat parquet file per table (older layouts)."""
    from policytrack.pipeline.store.schema import TABLES
    from policytrack.pipeline.store.tables import read_table

    flat = work / "flat-data"
    (flat / "processed").mkdir(parents=True, exist_ok=True)
    for name in TABLES:
        frame = read_table(data, name, required=False)
        if frame is not None:
            frame.to_parquet(flat / "processed" / f"{name}.parquet", index=False)
    return flat


def measured(cmd: list[str]) -> tuple[float, float, int]:
    """(wall s, CPU s, exit code) of one cold process."""
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-S", "-c", RUSAGE, *cmd], env=ENV, capture_output=True)
    wall = time.perf_counter() - t0
    code, _maxrss, cpu = proc.stdout.split()
    return wall, float(cpu), int(code)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, help="a built data dir with source gwr")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--baseline", action="append", help="git revision(s) of older code paths")
    args = ap.parse_args()
    revs = args.baseline
    if revs is None:
        base = subprocess.run(
            ["git", "-C", str(REPO), "merge-base", "HEAD", "main"],
            capture_output=True,
            text=True,
        ).stdout.strip()
        revs = [r for r in (base, BEFORE_17) if r]
    with tempfile.TemporaryDirectory(prefix="cli-bench-") as tmp:
        work = Path(tmp)
        data = args.data.resolve() if args.data else build_gwr(work)
        paths = {"this checkout": ([sys.executable, "-m", "policytrack.pipeline.cli"], data)}
        flat = None
        for rev in revs:
            tree = code_tree(rev, work)
            sha = tree.name.removeprefix("tree-")
            layout = (tree / "policytrack" / "pipeline" / "store" / "layout.py").exists()
            if not layout and flat is None:
                flat = flat_copy(data, work)
            paths[sha] = ([sys.executable, "-c", LAUNCH, str(tree)], data if layout else flat)
        results: dict[tuple[str, str], list[tuple[float, float, int]]] = {}
        for _ in range(max(1, args.runs)):
            for label, argv, _target in COMMANDS:
                for name, (prefix, where) in paths.items():
                    more = [] if "--help" in argv else ["--data", str(where)]
                    results.setdefault((label, name), []).append(measured([*prefix, *argv, *more]))
        one, five, _ = os.getloadavg()
        print(f"policytrack commands on the GWR ({data}); medians of {args.runs} cold runs")
        print(f"  {os.cpu_count()} CPUs; load average after: {one:.1f} (1 min), {five:.1f} (5 min)")
        for label, _argv, target in COMMANDS:
            print(f"  {label}" + (f"  (target ≤ {target} s)" if target else ""))
            this = statistics.median(w for w, _, _ in results[(label, "this checkout")])
            for name in paths:
                runs = results[(label, name)]
                wall = statistics.median(w for w, _, _ in runs)
                cpu = statistics.median(c for _, c, _ in runs)
                codes = sorted({c for _, _, c in runs})
                ratio = "" if name == "this checkout" else f"  this/that wall ×{this / wall:.2f}"
                print(
                    f"    {name:<14} wall {wall:5.2f} s  CPU {cpu:5.2f} s  exit {codes}{ratio}"
                    + (
                        f"  target {'met' if wall <= target else 'NOT met'}"
                        if target and name == "this checkout"
                        else ""
                    )
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
