"""`python -m policytrack.sample.site --profile test|demo|bench [--port 0]`: serve the sample
site, print its base URL on the first line of stdout, serve until SIGTERM / SIGINT.
Another process reads its request log with sample.site.server.fetch_log(base_url)."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

from policytrack.sample.site.content import SAMPLE_DIR
from policytrack.sample.site.mirror import MirrorSite
from policytrack.sample.site.profiles import PROFILES


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(
        description="Serve the sample site (hbkx-shaped) on 127.0.0.1 until terminated."
    )
    ap.add_argument("--profile", choices=PROFILES, default="demo")
    ap.add_argument("--sample", type=Path, default=SAMPLE_DIR, help="folder with notices.toml")
    ap.add_argument("--notices", type=int, default=2000, help="bench profile: number of notices")
    ap.add_argument("--per-page", type=int, default=None)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    args = ap.parse_args(argv)
    if args.profile == "bench":
        site = MirrorSite.bench_site(args.notices, per_page=args.per_page or 20)
    elif args.profile == "test":
        site = MirrorSite.test_site(args.sample)
    else:
        site = MirrorSite.demo_site(args.sample)
    if args.per_page and args.profile != "bench":
        site.per_page = args.per_page
        site.rebuild()
    base = site.start(args.host, args.port)
    print(base, flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    site.stop()


if __name__ == "__main__":
    main(sys.argv[1:])
