"""Crawl throughput against a bare Scrapy spider, on one generated mirror, in one run.

Serves the 2,000-notice / 100-list-page bench mirror (sample/site, its own process) and crawls it,
alternately, with `policytrack crawl hbkx` (a fresh data dir each time: parse, check, store with
one durable commit per notice: the file written, fsynced once and renamed, then its manifest
record appended) and with a bare Scrapy spider that walks the same pages (home → 通知公告 →
list pages → detail pages), reads each notice's title, meta line and body text, and writes the
same files plainly: each detail page's bytes under its sha256 name (no fsync, no rename), and an
item per notice through Scrapy's own JSON-lines feed export. Each runs in a child process.

Fair settings: both run with the same politeness and engine settings, those of
crawler/settings.py that are not the project's own work (robots.txt obeyed, 8 concurrent
requests, 2 per domain, CONCURRENT_ITEMS 8, cookies and telnet off, log level WARNING,
AutoThrottle and delays off for a local mirror). Only ours has what the project adds: its
request guard, retry backoff, request counts, download size caps and the store.

Prints, as medians over the rounds (a round = one crawl of each, back to back, in alternating
order, so both see the same machine load):

- pages/s between the first and the last request the server saw (the crawl itself), and the
  project's throughput as a ratio of the bare spider's: the median of the rounds' ratios
  (target ≥ 0.95);
- wall seconds with process start-up, and CPU ms per page (the child's user + system time,
  start-up included), and the median of the rounds' CPU-per-page ratios;
- the request count of an immediate incremental re-crawl (≤ 3).

    .venv/bin/python bench/crawl_bench.py [--notices 2000] [--per-page 20] [--rounds 5]
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

from policytrack.sample.site.server import fetch_log  # noqa: E402
from tests.support.procs import UNTHROTTLED, run_crawl_measured, spawn_bench_mirror  # noqa: E402

TARGET = 0.95
# The politeness both crawlers keep (crawler/settings.py, minus the delays, as UNTHROTTLED), and
# its engine tuning (CONCURRENT_ITEMS: Scrapy's default of 100 costs the bare spider CPU too).
POLITE = {
    "ROBOTSTXT_OBEY": True,
    "CONCURRENT_ITEMS": 8,
    "CONCURRENT_REQUESTS": 8,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 2,
    "DOWNLOAD_DELAY": 0,
    "AUTOTHROTTLE_ENABLED": False,
    "COOKIES_ENABLED": False,
    "TELNETCONSOLE_ENABLED": False,
    "LOG_LEVEL": "WARNING",
    "USER_AGENT": "policytrack/0.1 (+research crawler for published annual work-point notices)",
}


def bare_crawl(base: str, out: str) -> None:
    """The baseline: a plain Scrapy spider over the same pages (run in a child process)."""
    import hashlib

    import scrapy
    from scrapy.crawler import CrawlerProcess

    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)

    class Bare(scrapy.Spider):
        name = "bare"
        start_urls = [base + "/"]

        def parse(self, response):
            href = response.xpath("//a[normalize-space(.)='通知公告']/@href").get()
            yield response.follow(href, self.parse_list, dont_filter=True)

        def parse_list(self, response):
            for a in response.css("ul.min600 li a"):
                yield response.follow(a, self.parse_detail)
            nxt = response.xpath("//a[normalize-space(.)='下一页']/@href").get()
            if nxt and not nxt.startswith("javascript"):
                yield response.follow(nxt, self.parse_list, dont_filter=True)

        def parse_detail(self, response):
            sha = hashlib.sha256(response.body).hexdigest()
            path = folder / f"{sha[:16]}.html"
            path.write_bytes(response.body)  # plainly: no fsync, no rename
            yield {
                "url": response.url,
                "path": path.name,
                "sha256": sha,
                "title": response.css("div.detailed_W_p1 h3::text").get(),
                "meta": response.css("div.detailed_W_p1 p::text").get(),
                "text": " ".join(response.css("div.detailed_W_p2 ::text").getall()),
            }

    feed = {str(folder / "items.jsonl"): {"format": "jsonlines", "encoding": "utf-8"}}
    process = CrawlerProcess({**POLITE, "FEEDS": feed})
    process.crawl(Bare)
    process.start()


def run_bare(base: str, out: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of the bare spider in a child process."""
    t0 = time.perf_counter()
    with subprocess.Popen(
        [sys.executable, __file__, "--bare", base, "--bare-out", str(out)],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
    ) as proc:
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit("the bare spider failed")
    return time.perf_counter() - t0, usage.ru_utime + usage.ru_stime


def span(log: list[dict]) -> tuple[int, float]:
    """(pages besides robots.txt, seconds from the first to the last request)."""
    pages = [r for r in log if r["path"] != "/robots.txt"]
    return len(pages), log[-1]["at"] - log[0]["at"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--notices", type=int, default=2000)
    ap.add_argument("--per-page", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--bare", metavar="BASE_URL", help=argparse.SUPPRESS)
    ap.add_argument("--bare-out", metavar="DIR", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.bare:
        bare_crawl(args.bare, args.bare_out)
        return
    server, base = spawn_bench_mirror(args.notices, args.per_page)
    ours, bare = [], []  # (pages/s over the request span, wall s, CPU s, pages)
    try:
        with tempfile.TemporaryDirectory(prefix="crawl-bench-") as tmp:
            for r in range(args.rounds):
                for who in ("bare", "ours") if r % 2 == 0 else ("ours", "bare"):
                    n0 = len(fetch_log(base)["requests"])
                    if who == "bare":
                        out = Path(tmp) / f"bare{r}"
                        wall, cpu = run_bare(base, out)
                        saved = len(list(out.glob("*.html")))
                        items = (out / "items.jsonl").read_text(encoding="utf-8").count("\n")
                        if saved != args.notices or items != args.notices:
                            raise SystemExit(f"the bare spider wrote {saved} files, {items} items")
                    else:
                        data = Path(tmp) / f"data{r}"
                        run = run_crawl_measured(data, base, "hbkx", settings=UNTHROTTLED)
                        if run.returncode != 0:
                            raise SystemExit(f"crawl failed:\n{run.stderr[-3000:]}")
                        wall, cpu = run.seconds, run.cpu_seconds
                    pages, seconds = span(fetch_log(base, n0)["requests"])
                    (bare if who == "bare" else ours).append((pages / seconds, wall, cpu, pages))
            records = (data / "raw" / "hbkx" / "manifest.jsonl").read_text().count("\n")
            n1 = len(fetch_log(base)["requests"])
            again = run_crawl_measured(data, base, "hbkx", settings=UNTHROTTLED)
            rerun = [
                r["path"] for r in fetch_log(base, n1)["requests"] if r["path"] != "/robots.txt"
            ]
    finally:
        server.terminate()
        server.wait()

    def med(rows, i):
        return statistics.median(row[i] for row in rows)

    pages = ours[0][3]
    if any(row[3] != pages for row in ours + bare):
        raise SystemExit("the two crawlers did not fetch the same number of pages")
    print(f"mirror: {args.notices} notices, {pages} pages per crawl ({base}); "
          f"medians of {args.rounds} alternating rounds")  # fmt: skip
    for name, rows in (("policytrack crawl", ours), ("bare Scrapy spider", bare)):
        print(
            f"{name:>18}: {med(rows, 0):6.0f} pages/s (first to last request); "
            f"{med(rows, 1):5.2f} s wall with start-up; "
            f"{med(rows, 2) / pages * 1000:5.2f} ms CPU/page"
        )
    pairs = list(zip(ours, bare, strict=True))
    speed = [o[0] / b[0] for o, b in pairs]  # the same round: the same machine load
    cpu = [o[2] / b[2] for o, b in pairs]
    ratio = statistics.median(speed)
    print(f"policytrack / bare Scrapy = {ratio:.2f}× throughput, median of the rounds' ratios "
          f"({', '.join(f'{x:.2f}' for x in speed)}); "
          f"target ≥ {TARGET}: {'met' if ratio >= TARGET else 'NOT met'}")  # fmt: skip
    print(f"CPU per page: {statistics.median(cpu):.2f}× the bare spider's, median of the rounds' "
          f"ratios ({', '.join(f'{x:.2f}' for x in cpu)}); wall with start-up: "
          f"{med(ours, 1) / med(bare, 1):.2f}×; {records} manifest records")  # fmt: skip
    print(f"incremental re-crawl: {len(rerun)} requests besides robots.txt ({', '.join(rerun)})")
    if again.returncode != 0 or len(rerun) > 3:
        raise SystemExit("incremental re-crawl cost more than 3 requests")


if __name__ == "__main__":
    main()
