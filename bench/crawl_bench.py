"""Crawl throughput on a generated 2,000-notice / 100-list-page mirror served on 127.0.0.1.

Prints pages/s and CPU seconds per page of a full crawl (AutoThrottle and delays off, the polite
2 concurrent requests per domain kept), the request count of an immediate incremental re-crawl,
and the ratio to a baseline: plain urllib fetching the same pages with 2 threads in this process.
Target: ≥ 150 pages/s on a 2-core machine.

    .venv/bin/python bench/crawl_bench.py [--notices 2000] [--per-page 20]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.request import urlopen

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from policytrack.sample.site.server import fetch_log  # noqa: E402
from tests.support.procs import UNTHROTTLED, run_crawl_measured, spawn_bench_mirror  # noqa: E402


def baseline(base: str, paths: list[str]) -> float:
    """Pages/s of plain urllib GETs (2 threads) over the same paths: the server's own ceiling."""

    def get(path: str) -> int:
        with urlopen(base + path, timeout=30) as resp:
            return len(resp.read())

    t0 = time.perf_counter()
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(get, paths))
    return len(paths) / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--notices", type=int, default=2000)
    ap.add_argument("--per-page", type=int, default=20)
    args = ap.parse_args()
    server, base = spawn_bench_mirror(args.notices, args.per_page)
    try:
        with tempfile.TemporaryDirectory(prefix="crawl-bench-") as tmp:
            data = Path(tmp) / "data"
            n0 = len(fetch_log(base)["requests"])
            first = run_crawl_measured(data, base, "hbkx", settings=UNTHROTTLED)
            log = fetch_log(base, n0)["requests"]
            pages = [r["path"] for r in log if r["path"] != "/robots.txt"]
            span = log[-1]["at"] - log[0]["at"]  # first to last request: the crawl without start-up
            if first.returncode != 0:
                raise SystemExit(f"crawl failed:\n{first.stderr[-3000:]}")
            records = (data / "raw" / "hbkx" / "manifest.jsonl").read_text().count("\n")

            n1 = n0 + len(log)
            second = run_crawl_measured(data, base, "hbkx", settings=UNTHROTTLED)
            again = [
                r["path"] for r in fetch_log(base, n1)["requests"] if r["path"] != "/robots.txt"
            ]

            ref = baseline(base, pages)
    finally:
        server.terminate()
        server.wait()

    rate = len(pages) / first.seconds
    lists = sum(p.startswith("/news/list") for p in pages)
    print(f"mirror: {args.notices} notices on {lists} list pages ({base})")
    print(f"crawl 1: {len(pages)} pages in {first.seconds:.2f} s wall (process start included) "
          f"→ {rate:.0f} pages/s; {records} manifest records")  # fmt: skip
    print(f"crawl 1: {len(pages) / span:.0f} pages/s between the first and the last request")
    print(
        f"crawl 1: {first.cpu_seconds:.2f} CPU s → {first.cpu_seconds / len(pages) * 1000:.2f} ms CPU/page"
    )
    print(f"crawl 2 (incremental): {len(again)} requests besides robots.txt ({', '.join(again)}); "
          f"{second.seconds:.2f} s")  # fmt: skip
    print(
        f"baseline (urllib, 2 threads, same pages): {ref:.0f} pages/s; crawler/baseline = {rate / ref:.2f}"
    )
    print(f"target ≥ 150 pages/s: {'met' if rate >= 150 else 'NOT met'}")
    if second.returncode != 0 or len(again) > 3:
        raise SystemExit("incremental re-crawl cost more than 3 requests")


if __name__ == "__main__":
    main()
