"""Three `policytrack` worker processes share one frontier in a real redis-server and crawl the
generated 2,000-notice mirror (served by its own process): every notice fetched exactly once, the
same records and files as a single-process crawl, and a worker killed mid-crawl loses nothing."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest

from policytrack.crawler.redis import frontier as fr
from policytrack.pipeline.store.rawstore import iter_manifest
from policytrack.sample.site.content import TZGG, hexid
from policytrack.sample.site.mirror import MirrorSite
from policytrack.sample.site.server import RequestLog, fetch_log
from tests.support.procs import (
    UNTHROTTLED,
    crawl_command,
    policytrack,
    run_crawl,
    spawn_bench_mirror,
)
from tests.support.redis import need_redis_server

pytestmark = [pytest.mark.xdist_group("distributed"), pytest.mark.slow]  # end to end

NOTICES = 2000
PER_PAGE = 20
EXPECTED = {f"/news/info?newsid={hexid('bench', i)}" for i in range(NOTICES)}
WALKED = {"column:新闻中心>通知公告": True}


@pytest.fixture(scope="module")
def redis_url():
    need_redis_server()
    with fr.serve_redis() as url:
        yield url


@pytest.fixture(scope="module")
def mirror():
    proc, base = spawn_bench_mirror(NOTICES, PER_PAGE)
    yield base
    proc.terminate()
    proc.wait(10)


def worker_command(data: Path, redis_url: str, settings: dict) -> list[str]:
    cmd = [*policytrack(), "worker", "--redis", redis_url, "--data", str(data), "--wait", "60"]
    for k, v in settings.items():
        cmd += ["--set", f"{k}={v}"]
    return cmd


def start_workers(data: Path, base: str, redis_url: str, settings: dict) -> list[subprocess.Popen]:
    """`crawl --redis` (starts the run) and two `worker --redis` processes."""
    env = {**os.environ, "CI": "true"}
    cmds = [crawl_command(data, base, "hbkx", "--redis", redis_url, settings=settings)]
    cmds += [worker_command(data, redis_url, settings) for _ in range(2)]
    return [
        subprocess.Popen(
            cmd,
            cwd=data.parent,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for cmd in cmds
    ]


@contextlib.contextmanager
def reaped(procs: list[subprocess.Popen]):
    """Whatever happens in the test, no crawler outlives it."""
    try:
        yield procs
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.communicate()


def finish(procs: list[subprocess.Popen], timeout: float = 150) -> list[tuple[int, str]]:
    out = []
    for p in procs:
        try:
            _, err = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            for q in procs:
                q.kill()
            raise
        out.append((p.returncode, err))
    return out


def records(data: Path) -> list[dict]:
    return list(iter_manifest(data / "raw" / "hbkx" / "manifest.jsonl"))


def crawl_logs(data: Path) -> list[dict]:
    lines = (data / "raw" / "hbkx" / "crawllog.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(x) for x in lines]


def comparable(recs: list[dict]) -> list[str]:
    return sorted(
        json.dumps({k: v for k, v in r.items() if k != "fetched_at"}, sort_keys=True) for r in recs
    )


def raw_files(data: Path) -> dict[str, bytes]:
    root = data / "raw" / "hbkx"
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and p.parent != root and not p.name.startswith(".")
    }


def fetched(base: str, since: int) -> Counter:
    return Counter(
        r["path"] for r in fetch_log(base, since)["requests"] if r["path"] != "/robots.txt"
    )


def leftover_keys(redis_url: str) -> list[str]:
    import redis

    client = redis.Redis.from_url(redis_url, decode_responses=True)
    try:
        return sorted(client.keys("*"))
    finally:
        client.close()


@pytest.fixture(scope="module")
def single(mirror, tmp_path_factory) -> Path:
    """The reference: one ordinary `policytrack crawl` process."""
    data = tmp_path_factory.mktemp("single") / "data"
    run = run_crawl(data, mirror, "hbkx", settings=UNTHROTTLED, timeout=150)
    assert run.returncode == 0, run.stderr[-2000:]
    assert len(records(data)) == NOTICES
    return data


def test_three_workers_fetch_every_notice_exactly_once(mirror, redis_url, single, tmp_path):
    data = tmp_path / "data"
    n0 = len(fetch_log(mirror)["requests"])
    with reaped(start_workers(data, mirror, redis_url, UNTHROTTLED)) as procs:
        results = finish(procs)
    for rc, err in results:
        assert rc == 0, err[-2000:]

    seen = fetched(mirror, n0)
    assert {p for p in seen if p.startswith("/news/info")} == EXPECTED
    assert [p for p, n in seen.items() if n != 1] == []  # no URL twice, list pages included
    assert sum(p.startswith("/news/list") for p in seen) == NOTICES // PER_PAGE
    assert seen["/"] == 1

    recs = records(data)
    assert len(recs) == NOTICES
    assert {r["url"].removeprefix(mirror) for r in recs} == EXPECTED

    # The three processes really shared the work, and each logged its own part.
    logs = crawl_logs(data)
    assert len({x["worker"] for x in logs}) == 3 and len({x["run"] for x in logs}) == 1
    assert sorted(x["requests"].get("detail", 0) > 0 for x in logs) == [True] * 3
    assert sum(x["requests"].get("detail", 0) for x in logs) == NOTICES
    assert sum(x["new_records"] for x in logs) == NOTICES
    assert sum(x["list_pages"] for x in logs) == NOTICES // PER_PAGE

    # The union is the single-process crawl: the same records (but fetched_at) and files.
    assert comparable(recs) == comparable(records(single))
    assert raw_files(data) == raw_files(single)
    state = json.loads((data / "raw" / "hbkx" / "crawlstate.json").read_text(encoding="utf-8"))
    assert state["walked"] == WALKED
    # The finished run left nothing behind but its walk report (which expires).
    assert leftover_keys(redis_url) == ["policytrack:hbkx:walk"]

    # A new run starts afresh and is incremental as in single-process mode: home + list page 1.
    n1 = len(fetch_log(mirror)["requests"])
    again = run_crawl(data, mirror, "hbkx", "--redis", redis_url, settings=UNTHROTTLED)
    assert again.returncode == 0, again.stderr[-2000:]
    assert sorted(fetched(mirror, n1)) == ["/", "/news/list?columnid=" + TZGG]
    assert len(records(data)) == NOTICES


def kill_one_mid_crawl(procs, data: Path, mirror: str, redis_url: str):
    """SIGKILL procs[1] once a quarter is stored and it holds requests; (what it held, results
    of the others)."""
    import redis

    victim = procs[1]
    manifest = data / "raw" / "hbkx" / "manifest.jsonl"
    client = redis.Redis.from_url(redis_url)
    frontier = fr.Frontier(client, "policytrack", "hbkx")

    def held_by_victim() -> dict[str, str]:
        return {
            t: fr.loads(d)["url"].removeprefix(mirror)
            for t, d in frontier.inflight().items()
            if f":{victim.pid}:" in t and d
        }

    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:  # a quarter stored, and the victim at work
        stored = manifest.read_bytes().count(b"\n") if manifest.exists() else 0
        if stored >= NOTICES // 4 and held_by_victim():
            break
        time.sleep(0.02)
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    held = held_by_victim()  # what it held at its death: popped and not finished
    client.close()
    return held, finish([procs[0], procs[2]])


def test_killing_a_worker_mid_crawl_loses_nothing(mirror, redis_url, tmp_path):
    import redis

    data = tmp_path / "data"
    settings = {**UNTHROTTLED, "REDIS_WORKER_TTL": "5"}
    n0 = len(fetch_log(mirror)["requests"])
    with reaped(start_workers(data, mirror, redis_url, settings)) as procs:
        held, results = kill_one_mid_crawl(procs, data, mirror, redis_url)
    assert held, "the killed worker held no request: the test did not test anything"
    victim = procs[1]
    for rc, err in results:
        assert rc == 0, err[-2000:]
    requeued = sum(
        int(line.split("requeued ")[1].split()[0])
        for _, err in results
        for line in err.splitlines()
        if "requests of a worker that stopped beating" in line
    )
    assert requeued == len(held)

    recs = records(data)
    urls = [r["url"].removeprefix(mirror) for r in recs]
    assert len(urls) == NOTICES and set(urls) == EXPECTED  # nothing lost, nothing twice
    assert all((data / "raw" / "hbkx" / r["path"]).is_file() for r in recs)
    seen = fetched(mirror, n0)
    assert {p for p in seen if p.startswith("/news/info")} == EXPECTED
    # Only what the dead worker held can have been fetched twice (it may have been mid-fetch).
    assert {p for p, n in seen.items() if n > 1} <= set(held.values())
    assert sum(p.startswith("/news/list") for p in seen) == NOTICES // PER_PAGE
    state = json.loads((data / "raw" / "hbkx" / "crawlstate.json").read_text(encoding="utf-8"))
    assert state["walked"] == WALKED
    # Left behind: the walk report, and the dead worker in the worker set (dropped after a day).
    assert leftover_keys(redis_url) == ["policytrack:hbkx:walk", "policytrack:workers"]
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    [(dead, _)] = client.zrange("policytrack:workers", 0, -1, withscores=True)
    client.delete("policytrack:workers")
    client.close()
    assert f":{victim.pid}:" in dead


def test_bad_redis_url_and_unreachable_server_are_one_line_errors(tmp_path, redis_url):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    env = {**os.environ, "CI": "true"}
    for url, message in (
        ("http://127.0.0.1:1/", "error: --redis 'http://127.0.0.1:1/': expected redis://host:port/db"),
        (f"redis://:secret@127.0.0.1:{closed}/0",
         f"error: --redis redis://***@127.0.0.1:{closed}/0: cannot connect (ConnectionError"),
    ):  # fmt: skip
        proc = subprocess.run(
            [*policytrack(), "crawl", "hbkx", "--redis", url, "--data", str(tmp_path / "d")],
            env=env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert proc.returncode == 2
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(message), proc.stderr
        assert "secret" not in proc.stderr
    # A worker with no crawl to join says so and leaves.
    proc = subprocess.run(
        [*policytrack(), "worker", "--redis", redis_url, "--wait", "0", "--data", str(tmp_path)],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 0
    assert proc.stderr.strip().splitlines()[-1] == "worker: no crawl in progress to join"
    assert not (tmp_path / "raw").exists()


def test_a_worker_that_loses_redis_stops_with_a_clear_failure(tmp_path):
    """Redis going away mid-crawl: the worker neither hangs nor exits quietly."""
    import redis

    need_redis_server()
    site = MirrorSite.demo_site()
    data = tmp_path / "data"
    settings = {**UNTHROTTLED, "DOWNLOAD_DELAY": "0.2", "REDIS_OUTAGE_LIMIT": "1"}
    with site.serve() as base, fr.serve_redis() as url:
        proc = subprocess.Popen(
            crawl_command(data, base, "hbkx", "--redis", url, settings=settings),
            cwd=tmp_path, env={**os.environ, "CI": "true"}, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while (
            time.monotonic() < deadline
            and sum(r.path.startswith("/news/info") for r in site.requests_since(0)) < 3
        ):
            time.sleep(0.05)
        with contextlib.suppress(redis.ConnectionError):
            redis.Redis.from_url(url).shutdown(nosave=True)
        with reaped([proc]):
            _, err = proc.communicate(timeout=90)
    assert proc.returncode == 1, err[-2000:]
    failed = [ln.strip() for ln in err.splitlines() if ln.strip().startswith("failed: ")]
    assert len(failed) == 1
    assert re.fullmatch(
        rf"failed: {re.escape(url)}: redis unreachable for \d+ s \(.*\); worker stopped", failed[0]
    ), failed
    # What was stored before is whole: every record's files are on disk.
    recs = records(data)
    assert 0 < len(recs) < 9
    assert all((data / "raw" / "hbkx" / f).is_file() for r in recs for f in r["files"])


def test_recheck_through_redis_makes_one_new_version(tmp_path, redis_url):
    """--recheck travels with the run: each known notice is revalidated once, by either worker,
    and the republished one becomes version 2 of the same URL."""
    site = MirrorSite.demo_site()
    data = tmp_path / "data"
    settings = {**UNTHROTTLED, "DOWNLOAD_DELAY": "0.05"}
    env = {**os.environ, "CI": "true"}

    def crawl_with_two(*args: str) -> list[RequestLog]:
        n = len(site.requests)
        # The worker first: it waits for the run, so both take part from the start.
        cmds = [worker_command(data, redis_url, settings),
                crawl_command(data, site.base_url, "hbkx", "--redis", redis_url, *args,
                              settings=settings)]  # fmt: skip
        procs = []
        with reaped(procs):
            for cmd in cmds:
                procs.append(subprocess.Popen(cmd, cwd=tmp_path, env=env, text=True,
                                              stdout=subprocess.PIPE, stderr=subprocess.PIPE))  # fmt: skip
                time.sleep(0.3)
            for rc, err in finish(procs, timeout=120):
                assert rc == 0, err[-2000:]
        return site.requests_since(n)

    with site.serve():
        crawl_with_two()
        first = records(data)
        assert sorted((r["series"], r["year"]) for r in first) == sorted(
            [("市科协工作要点", y) for y in (2018, 2019, 2020, 2022, 2023, 2024)]
            + [("市科协科普部科普工作要点", y) for y in (2022, 2023, 2024)]
        )
        site.republish("a-2022.txt")
        requests = crawl_with_two("--recheck")

    recs = records(data)
    assert len(recs) == len(first) + 1
    old, new = [r for r in recs if r["series"] == "市科协工作要点" and r["year"] == 2022]
    assert (old["version"], new["version"], new["previous"]) == (1, 2, old["doc_id"])
    conditional = Counter(r.path for r in requests if r.conditional)
    assert sorted(conditional) == sorted(r["url"].removeprefix(site.base_url) for r in first)
    assert set(conditional.values()) == {1}
    assert sorted(r.status for r in requests if r.conditional) == [200] + [304] * 8
    logs = crawl_logs(data)[-2:]  # the recheck run: one line per worker
    assert len({x["run"] for x in logs}) == 1 and len({x["worker"] for x in logs}) == 2
    assert sum(x["new_records"] for x in logs) == 1
    assert sum(x["unchanged"] for x in logs) == 8
