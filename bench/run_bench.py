"""The nightly job on the demo site, cold then warm (nothing new): wall time and requests of each.

    .venv/bin/python bench/run_bench.py [--notebook 01 ...] [--warm-runs 3]

Serves crawler.mirror's demo site in this process and runs `policytrack run` as a child process
(as cron would), first on an empty data dir (cold: crawl everything, parse, align, execute the
report notebooks), then again with nothing new (warm). Prints wall time, requests the server saw,
the run's own stage times, and the warm/cold ratio. Target: the warm run does no parsing or
alignment and takes under 10 % of the cold run. The floor of any run is the interpreter and
import start-up, measured as `policytrack --help`.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from policytrack.pipeline.jobs.demo import demo_sources  # noqa: E402
from policytrack.sample.site.mirror import MirrorSite  # noqa: E402
from tests.support.procs import policytrack  # noqa: E402


def timed(cmd: list[str], cwd: Path) -> tuple[float, subprocess.CompletedProcess]:
    env = {**os.environ, "CI": "true"}
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    return time.perf_counter() - t0, proc


def stage_times(summary: str) -> str:
    m = re.search(r"^time    (.*)$", summary, re.M)
    return m.group(1) if m else "?"


def line(summary: str, prefix: str) -> str:
    return next((ln for ln in summary.splitlines() if ln.startswith(prefix)), "?")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--notebook", action="append", help="limit the report (default: all three)")
    ap.add_argument("--warm-runs", type=int, default=3, help="warm runs (the median is used)")
    args = ap.parse_args()

    site = MirrorSite.demo_site()
    with tempfile.TemporaryDirectory(prefix="run-bench-") as tmp, site.serve() as base_url:
        work = Path(tmp)
        sources = work / "sources.toml"
        sources.write_text(demo_sources(base_url), encoding="utf-8")
        cmd = [*policytrack(), "run", "--data", str(work / "data"), "--sources", str(sources)]
        cmd += ["--out", str(work / "reports")]
        for nb in args.notebook or []:
            cmd += ["--notebook", nb]

        startup, _ = timed([*policytrack(), "--help"], work)

        n = len(site.requests)
        cold_s, cold = timed(cmd, work)
        cold_req = len(site.requests) - n
        if cold.returncode != 0:
            print(cold.stdout, cold.stderr, sep="\n")
            return 1

        warm = []
        for _ in range(max(1, args.warm_runs)):
            n = len(site.requests)
            seconds, proc = timed(cmd, work)
            warm.append((seconds, len(site.requests) - n, proc))
            if proc.returncode != 0:
                print(proc.stdout, proc.stderr, sep="\n")
                return 1
        warm.sort(key=lambda w: w[0])
        warm_s, warm_req, warm_proc = warm[len(warm) // 2]

    notebooks = ", ".join(args.notebook) if args.notebook else "all"
    no_work = line(warm_proc.stdout, "build   ").startswith("build   nothing new")
    ratio = warm_s / cold_s
    print(f"policytrack run on the demo site (9 notices, notebooks: {notebooks})")
    print(f"  start-up floor (policytrack --help): {startup:6.2f} s")
    print(f"  cold: {cold_s:6.2f} s wall, {cold_req:3d} requests  [{stage_times(cold.stdout)}]")
    print(
        f"  warm: {warm_s:6.2f} s wall, {warm_req:3d} requests  [{stage_times(warm_proc.stdout)}]"
        f"  (median of {len(warm)})"
    )
    print(f"  warm {line(warm_proc.stdout, 'build   ')}")
    print(f"  warm {line(warm_proc.stdout, 'report  ')}")
    print(f"  warm/cold: {ratio:.1%} (target < 10%: {'met' if ratio < 0.10 else 'NOT met'})")
    print(f"  warm run parsed or aligned nothing: {'yes' if no_work else 'NO'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
