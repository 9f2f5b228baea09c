"""Drive crawler/commitd.py's Client as the crawler does, under Scrapy's asyncio reactor, in a
process of its own (a reactor runs once per process); prints one JSON object.

    python -m tests.support.commitd_client DATA_DIR N [--python EXE] [--interrupt]

N notices are submitted one after another (each once the previous one is answered); with
--interrupt, SIGINT and SIGTERM are sent to the committing process as soon as it is spawned.
Printed: each notice's outcome ("stored", "known" or "error: <text>"), the warnings, and
whether `close` fired.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys

from twisted.internet import asyncioreactor

asyncioreactor.install()

from twisted.internet import defer, reactor  # noqa: E402

from policytrack.crawler import commitd  # noqa: E402
from policytrack.crawler.items import NoticeItem  # noqa: E402
from policytrack.crawler.store import Commit  # noqa: E402
from policytrack.pipeline.store.rawstore import RawStore  # noqa: E402


def notice(i: int) -> NoticeItem:
    url = f"http://127.0.0.1:1/news/info?newsid={i}"
    return NoticeItem(
        source="hbkx", key=f"/k{i}", url=url, final_url=url, title="市科协2023年工作要点",
        year=2023, series="市科协工作要点", body=f"<p>{i}</p>".encode(),
        content_type="text/html", ext="html", fetched_at="2024-01-01T00:00:00Z",
    )  # fmt: skip


async def drive(args, out: dict) -> None:
    store = RawStore(args.data, "hbkx")
    commit = Commit(store)
    client = commitd.Client(store, out["warnings"].append, python=args.python or sys.executable)
    for i in range(args.n):
        try:
            d = client.submit(commit.stage(notice(i), None))
            if args.interrupt and i == 0:
                pid = client._proc.pid
                os.kill(pid, signal.SIGINT)  # in its start-up: before it ignores them
                os.kill(pid, signal.SIGTERM)
            record = await d
            out["outcomes"].append("stored" if record else "known")
        except Exception as exc:  # noqa: BLE001
            out["outcomes"].append(f"error: {exc}")
    ended = client.close()
    if ended is not None:
        await ended
    out["closed"] = True


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("data")
    ap.add_argument("n", type=int)
    ap.add_argument("--python")
    ap.add_argument("--interrupt", action="store_true")
    args = ap.parse_args()
    out = {"outcomes": [], "warnings": [], "closed": False}

    def run():
        d = defer.ensureDeferred(drive(args, out))
        d.addErrback(lambda f: out.setdefault("crash", f.getErrorMessage()))
        d.addBoth(lambda _: reactor.stop())

    reactor.callWhenRunning(run)
    reactor.callLater(60, reactor.stop)  # a hang ends as "closed": false
    reactor.run()
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
