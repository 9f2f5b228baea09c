"""What a hostile site costs a crawl (issue 16): wall time, CPU and peak memory of `policytrack
crawl hbkx` against a mirror on 127.0.0.1 serving the three harmless notices of
tests/crawler/test_hostile.py plus one hostile thing, and how long SIGTERM takes to stop a crawl
that a slow site keeps busy. Prints medians over the rounds and each case's ratio to the harmless
crawl:

- harmless: the three notices only (the floor: process start-up, Scrapy, robots.txt, 5 pages);
- 100k links: a notice with 100,000 attachment links (20 fetched: max_attachments);
- zip bomb: a 1 MB .docx attachment that would unpack to 1 GB (refused from its zip directory);
- gzip bomb: a 60 KB gzip-encoded notice page that would decompress to 40 MB (cut at 16 MB);
- SIGTERM: seconds from SIGTERM to exit while 20 attachments each take 1 s to answer.

Peak RSS is the crawl process's ru_maxrss, read by a small launcher (as bench/scale_bench.py:
Linux carries the high-water RSS across fork and exec, and this process holds the mirror).

    .venv/bin/python bench/hostile_bench.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import gzip
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from policytrack.sample.site.attachments import build_pdf  # noqa: E402
from policytrack.sample.site.content import Attachment  # noqa: E402
from policytrack.sample.site.mirror import MirrorSite  # noqa: E402
from policytrack.sample.site.server import Resource, route_key  # noqa: E402
from tests.crawler.test_hostile import DOCX, SOURCE, harmless, notice  # noqa: E402
from tests.support.procs import crawl_command  # noqa: E402
from tests.text.test_limits import docx_bomb  # noqa: E402

RUSAGE = (
    "import os, subprocess, sys; p = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, "
    "stderr=subprocess.PIPE); err = p.stderr.read(); _, st, ru = os.wait4(p.pid, 0); "
    "sys.stderr.buffer.write(err[-4000:]); "
    "print(os.waitstatus_to_exitcode(st), ru.ru_maxrss, ru.ru_utime + ru.ru_stime)"
)
ENV = {**os.environ, "CI": "true"}
TITLE = "关于印发《市科协2024年工作要点》的通知"


def site_harmless() -> MirrorSite:
    return MirrorSite(harmless())


def site_links() -> MirrorSite:
    pdf = build_pdf(["附件正文", "1.样例条目。"])
    many = notice("many", TITLE)
    many.attachments = [
        Attachment(f"附件{i + 1}.pdf", f"/upload/many/{i}.pdf", pdf if i < 25 else None,
                   "application/pdf")
        for i in range(100_000)
    ]  # fmt: skip
    return MirrorSite(harmless() + [many])


def site_zip_bomb() -> MirrorSite:
    boom = notice("zip", TITLE)
    boom.attachments = [Attachment("附件1.docx", "/upload/zip/bomb.docx", docx_bomb(1024), DOCX)]
    return MirrorSite(harmless() + [boom])


def site_gzip_bomb() -> MirrorSite:
    bomb = notice("bomb", TITLE)
    site = MirrorSite(harmless() + [bomb])
    payload = gzip.compress(b"<html><body>" + b" " * (40 * 1024 * 1024) + b"</body></html>")
    site.routes[route_key(bomb.url)] = Resource(
        payload, "text/html; charset=utf-8", headers={"Content-Encoding": "gzip"}
    )
    return site


CASES = {
    "harmless": site_harmless,
    "100k links": site_links,
    "zip bomb": site_zip_bomb,
    "gzip bomb": site_gzip_bomb,
}


def crawl(site: MirrorSite, work: Path) -> tuple[float, float, float, int, int]:
    """(wall s, CPU s, peak RSS MB, exit code, requests the site saw) of one fresh crawl."""
    data = Path(tempfile.mkdtemp(dir=work)) / "data"
    n = len(site.requests)
    cmd = crawl_command(data, site.base_url, SOURCE)
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-S", "-c", RUSAGE, *cmd], cwd=work, env=ENV, capture_output=True
    )
    wall = time.perf_counter() - t0
    code, maxrss, cpu = proc.stdout.split()
    return wall, float(cpu), int(maxrss) / 1024, int(code), len(site.requests) - n


def sigterm_seconds(work: Path) -> float:
    pdf = build_pdf(["附件正文", "1.样例条目。"])
    slow = notice("slow", TITLE)
    slow.attachments = [
        Attachment(f"第{i + 1}部分.pdf", f"/upload/slow/{i}.pdf", pdf, "application/pdf")
        for i in range(20)
    ]
    site = MirrorSite(harmless() + [slow])
    for i in range(20):
        site.routes[route_key(f"/upload/slow/{i}.pdf")].delay = 1.0
    data = Path(tempfile.mkdtemp(dir=work)) / "data"
    with site.serve() as base:
        proc = subprocess.Popen(crawl_command(data, base, SOURCE), cwd=work, env=ENV,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        while not any(r.path.startswith("/upload/slow/") for r in site.requests):
            if proc.poll() is not None:
                raise RuntimeError("the crawl ended before fetching an attachment")
            time.sleep(0.02)
        t0 = time.perf_counter()
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=120)
        return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    rows = {}
    with tempfile.TemporaryDirectory(prefix="hostile-bench-") as tmp:
        work = Path(tmp)
        for name, make in CASES.items():
            site = make()
            with site.serve():
                runs = [crawl(site, work) for _ in range(args.rounds)]
            rows[name] = runs
        stops = [sigterm_seconds(work) for _ in range(args.rounds)]
    med = {k: [statistics.median(r[i] for r in v) for i in range(3)] for k, v in rows.items()}
    base = med["harmless"]
    print(f"policytrack crawl {SOURCE} on a 127.0.0.1 mirror, median of {args.rounds} rounds")
    print(f"{'case':<11} {'exit':>4} {'requests':>8} {'wall s':>7} {'CPU s':>6} {'peak MB':>8}"
          f"  {'wall ×':>6} {'CPU ×':>6} {'RSS ×':>6}")  # fmt: skip
    for name, runs in rows.items():
        wall, cpu, rss = med[name]
        code = runs[-1][3]
        reqs = runs[-1][4]
        print(f"{name:<11} {code:>4} {reqs:>8} {wall:>7.2f} {cpu:>6.2f} {rss:>8.0f}  "
              f"{wall / base[0]:>6.2f} {cpu / base[1]:>6.2f} {rss / base[2]:>6.2f}")  # fmt: skip
    print(
        f"SIGTERM → exit while 20 attachments trickle in (1 s each): "
        f"median {statistics.median(stops):.2f} s (all: {', '.join(f'{s:.2f}' for s in stops)}); "
        "without the stop check the crawl ran on for 20 s or more"
    )


if __name__ == "__main__":
    main()
