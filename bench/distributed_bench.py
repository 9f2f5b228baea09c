"""Scale-out: crawl throughput with 1, 2 and 3 Redis workers, and `build --jobs 1|2` on 200 sources.

Crawl: a 2,000-notice / 100-list-page mirror in its own process and a throwaway redis-server;
`policytrack crawl --redis` plus N-1 `policytrack worker --redis` processes, AutoThrottle and
delays off (2 requests per site per worker kept). Baseline in the same run: one ordinary
`policytrack crawl` process (no Redis). Each run is checked: 2,000 records, no URL fetched twice.

Build: 200 generated sources of 3 notices each (sample notices with the issuer renamed), built by
`policytrack build --jobs 1` and `--jobs 2` on identical copies; the outputs are checked equal.

    .venv/bin/python bench/distributed_bench.py [--notices 2000] [--workers 1,2,3] [--sources 200]
                                                [--repeat 2] [--skip-crawl] [--skip-build]

See docs/distributed.md for what limits the speed-ups on a 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from policytrack.crawler.redis.frontier import serve_redis  # noqa: E402
from policytrack.pipeline.store.tables import read_table  # noqa: E402
from policytrack.sample.site.content import SAMPLE_DIR  # noqa: E402
from policytrack.sample.site.server import fetch_log  # noqa: E402
from tests.support.procs import (  # noqa: E402
    UNTHROTTLED,
    crawl_command,
    policytrack,
    spawn_bench_mirror,
)

ENV = {**os.environ, "CI": "true"}


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (1 min), {five:.1f} (5 min) on {os.cpu_count()} CPUs"


# -- crawl ------------------------------------------------------------------------------------


def proc_cpu(pid: int) -> float:
    """CPU seconds a live process has used so far (Linux /proc; nan elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return float("nan")


def redis_calls(redis_url: str | None) -> int:
    """Script calls (EVALSHA) the Redis server has answered so far: the workers' round trips
    (INFO commandstats also counts the commands inside scripts, so only scripts are summed)."""
    if redis_url is None:
        return 0
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        stats = client.info("commandstats")
    finally:
        client.close()
    return stats.get("cmdstat_evalsha", {}).get("calls", 0)


def run_processes(cmds: list[list[str]], cwd: Path) -> tuple[float, float, list[int]]:
    """Start all, wait for all: (wall seconds, CPU seconds of all, return codes)."""
    t0 = time.perf_counter()
    procs = [
        subprocess.Popen(cmd, cwd=cwd, env=ENV, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
        for cmd in cmds
    ]  # fmt: skip
    cpu, codes = 0.0, []
    for p in procs:
        _, status, usage = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
        codes.append(p.returncode)
        cpu += usage.ru_utime + usage.ru_stime
    return time.perf_counter() - t0, cpu, codes


def crawl_once(
    base: str, server: int, redis_url: str | None, workers: int, tmp: Path, notices: int
) -> dict:
    data = tmp / f"data-{workers}-{'redis' if redis_url else 'plain'}"
    n0 = len(fetch_log(base)["requests"])
    if redis_url is None:
        cmds = [crawl_command(data, base, "hbkx", settings=UNTHROTTLED)]
    else:
        cmds = [crawl_command(data, base, "hbkx", "--redis", redis_url, settings=UNTHROTTLED)]
        worker = [*policytrack(), "worker", "--redis", redis_url, "--data", str(data)]
        worker += [x for k, v in UNTHROTTLED.items() for x in ("--set", f"{k}={v}")]
        cmds += [worker] * (workers - 1)
    site0, calls0 = proc_cpu(server), redis_calls(redis_url)
    wall, cpu, codes = run_processes(cmds, tmp)
    site, calls = proc_cpu(server) - site0, redis_calls(redis_url) - calls0
    log = [r for r in fetch_log(base, n0)["requests"] if r["path"] != "/robots.txt"]
    counts = Counter(r["path"] for r in log)
    records = (data / "raw" / "hbkx" / "manifest.jsonl").read_bytes().count(b"\n")
    if codes != [0] * len(cmds) or records != notices or max(counts.values()) != 1:
        raise SystemExit(f"{workers} workers: exit codes {codes}, {records} records, "
                         f"{sum(n > 1 for n in counts.values())} URLs fetched twice")  # fmt: skip
    span = log[-1]["at"] - log[0]["at"]
    shutil.rmtree(data)
    return {"pages": len(log), "wall": wall, "span": span, "cpu": cpu, "site": site, "calls": calls}


def fastest(results: list[dict]) -> dict:
    return min(results, key=lambda r: r["wall"])


def crawl_bench(notices: int, workers: list[int], repeat: int) -> None:
    print(f"crawl: {notices} notices, best of {repeat} runs each, {load()}")
    server, base = spawn_bench_mirror(notices)
    plain_runs: list[dict] = []
    redis_runs: dict[int, list[dict]] = {n: [] for n in workers}
    try:
        with serve_redis() as redis_url, tempfile.TemporaryDirectory(prefix="dist-bench-") as t:
            tmp = Path(t)
            for _ in range(repeat):  # interleaved, so that a burst of load hits every setup
                plain_runs.append(crawl_once(base, server.pid, None, 1, tmp, notices))
                for n in workers:
                    redis_runs[n].append(crawl_once(base, server.pid, redis_url, n, tmp, notices))
    finally:
        server.terminate()
        server.wait()
    plain = fastest(plain_runs)
    runs = {n: fastest(r) for n, r in redis_runs.items()}

    def row(label: str, r: dict, ref: dict | None) -> str:
        rate, span_rate = r["pages"] / r["wall"], r["pages"] / r["span"]
        out = (f"  {label:<22}{r['wall']:7.2f} s {rate:7.0f} pages/s {span_rate:7.0f} pages/s"
               f" {r['cpu']:7.1f} CPU s {r['cpu'] / r['pages'] * 1000:6.2f} ms/page"
               f" {r['site']:6.1f} CPU s {r['calls'] / r['pages']:5.2f}")  # fmt: skip
        if ref is not None:
            out += f"   speed-up ×{ref['wall'] / r['wall']:.2f} (×{r['pages'] / r['span'] / (ref['pages'] / ref['span']):.2f} span)"
        return out

    print(f"  {'':<22}{'wall':>9} {'(wall)':>15} {'(1st→last req)':>15} {'crawlers':>13}"
          f" {'crawlers':>13} {'site':>10} {'redis trips/page':>17}")  # fmt: skip
    print(row("plain crawl (no redis)", plain, None))
    one = runs.get(1)
    for n, r in runs.items():
        print(row(f"{n} redis worker{'s' if n > 1 else ''}", r, one if n != 1 else None))
    if one:
        print(f"  redis, 1 worker vs plain crawl: ×{plain['wall'] / one['wall']:.2f} wall, "
              f"×{one['cpu'] / plain['cpu']:.2f} CPU")  # fmt: skip
    best = max(runs, key=lambda n: runs[n]["pages"] / runs[n]["wall"])
    print(f"  best: {best} workers, ×{plain['wall'] / runs[best]['wall']:.2f} vs the plain crawl")
    print(f"  after: {load()}")


# -- build ------------------------------------------------------------------------------------


def make_sources(data: Path, n: int, work: Path) -> int:
    from policytrack.pipeline.jobs.ingest import ingest

    texts = {y: (SAMPLE_DIR / "notices" / f"a-{y}.txt").read_text(encoding="utf-8")
             for y in (2019, 2020, 2022)}  # fmt: skip
    docs = 0
    for k in range(n):
        files = []
        for y, text in texts.items():
            p = work / f"s{k:03d}-{y}.txt"
            p.write_text(text.replace("市科协", f"第{k}科协").replace("示例市", f"示例{k}市"),
                         encoding="utf-8")  # fmt: skip
            files.append(p)
        docs += len(ingest(files, f"s{k:03d}", data).added)
    return docs


def build_bench(n: int, repeat: int) -> None:
    import pandas as pd

    print(f"build: {n} generated sources, best of {repeat} runs each, {load()}")
    with tempfile.TemporaryDirectory(prefix="build-bench-") as t:
        tmp = Path(t)
        (tmp / "texts").mkdir()
        raw = tmp / "raw"
        docs = make_sources(raw, n, tmp / "texts")
        one, two = tmp / "one", tmp / "two"
        times: dict[int, tuple[float, float]] = {}
        for _ in range(repeat):
            for jobs, data in ((1, one), (2, two)):
                shutil.rmtree(data, ignore_errors=True)  # a fresh build each time, not a no-op
                shutil.copytree(raw / "raw", data / "raw")
                cmd = [*policytrack(), "-q", "build", "--data", str(data), "--jobs", str(jobs)]
                wall, cpu, codes = run_processes([cmd], tmp)
                if codes != [0]:
                    raise SystemExit(f"build --jobs {jobs} failed")
                times[jobs] = min(times.get(jobs, (wall, cpu)), (wall, cpu))
        for name in ("documents", "items", "alignments", "term_timeline"):
            a = read_table(one, name)
            b = read_table(two, name)
            pd.testing.assert_frame_equal(a, b)
    for jobs, (wall, cpu) in times.items():
        print(f"  --jobs {jobs}: {wall:6.2f} s wall, {cpu:6.1f} CPU s, "
              f"{docs / wall:5.1f} documents/s ({docs} documents)")  # fmt: skip
    print(f"  speed-up --jobs 2 vs 1: ×{times[1][0] / times[2][0]:.2f} (outputs identical)")
    print(f"  after: {load()}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--notices", type=int, default=2000)
    ap.add_argument("--workers", default="1,2,3")
    ap.add_argument("--sources", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=2, help="runs per setup; the fastest counts")
    ap.add_argument("--skip-crawl", action="store_true")
    ap.add_argument("--skip-build", action="store_true")
    args = ap.parse_args()
    if not args.skip_crawl:
        crawl_bench(args.notices, [int(x) for x in args.workers.split(",")], args.repeat)
    if not args.skip_build:
        build_bench(args.sources, args.repeat)


if __name__ == "__main__":
    main()
