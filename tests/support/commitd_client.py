"""Drive crawler/commitd.py's Client as the crawler does, under Scrapy's asyncio reactor, in a
process of its own (a reactor runs once per process); prints one JSON object.

    python -m tests.support.commitd_client DATA_DIR N [--python EXE] [--interrupt]
                                           [--concurrent --budget BYTES --size BYTES]

N notices are submitted one after another (each once the previous one is answered), or all at
once (--concurrent), each waiting for `room` first as the item pipeline does; with --interrupt,
SIGINT and SIGTERM are sent to the committing process as soon as it is spawned. Printed: each
notice's outcome ("stored", "known" or "error: <text>"), the warnings, whether `close` fired,
and the most bytes in flight seen after a submit.
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


def notice(i: int, size: int = 0) -> NoticeItem:
    url = f"http://127.0.0.1:1/news/info?newsid={i}"
    return NoticeItem(
        source="hbkx", key=f"/k{i}", url=url, final_url=url, title="市科协2023年工作要点",
        year=2023, series="市科协工作要点", body=f"<p>{i}</p>".encode() + b" " * size,
        content_type="text/html", ext="html", fetched_at="2024-01-01T00:00:00Z",
    )  # fmt: skip


async def drive(args, out: dict) -> None:
    store = RawStore(args.data, "hbkx")
    commit = Commit(store)
    client = commitd.Client(store, out["warnings"].append, python=args.python or sys.executable)
    if args.budget:
        commitd.BUDGET = args.budget

    async def one(i: int) -> str:
        try:
            while (room := client.room()) is not None:  # as the item pipeline does
                await room
            d = client.submit(commit.stage(notice(i, args.size), None))
            out["max_in_flight"] = max(out["max_in_flight"], client.in_flight)
            if args.interrupt and i == 0:
                pid = client._proc.pid
                os.kill(pid, signal.SIGINT)  # in its start-up: before it ignores them
                os.kill(pid, signal.SIGTERM)
            return "stored" if await d else "known"
        except Exception as exc:  # noqa: BLE001
            return f"error: {exc}"

    if args.concurrent:
        done = [defer.ensureDeferred(one(i)) for i in range(args.n)]
        out["outcomes"] = list(await defer.gatherResults(done))
    else:
        for i in range(args.n):
            out["outcomes"].append(await one(i))
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
    ap.add_argument("--concurrent", action="store_true", help="all N notices at once")
    ap.add_argument("--budget", type=int, help="commitd.BUDGET, in bytes")
    ap.add_argument("--size", type=int, default=0, help="bytes added to each page")
    args = ap.parse_args()
    out = {"outcomes": [], "warnings": [], "closed": False, "max_in_flight": 0}

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
