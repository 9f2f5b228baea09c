"""The Redis frontier (crawler/redis/frontier.py) against a real redis-server: atomic push/pop, the
dupefilter, in-flight tokens, requeueing a dead worker's requests, run start/join/finish."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import scrapy
from scrapy.utils.request import request_from_dict

from policytrack.crawler.redis import frontier as fr
from policytrack.crawler.redis.distributed import ManifestTail, source_from_json, source_to_json
from policytrack.crawler.redis.frontier import Frontier, Member
from policytrack.crawler.sources import load_sources
from policytrack.pipeline.core.errors import ConfigError
from tests.support.redis import need_redis_server


@pytest.fixture(scope="module")
def redis_url():
    need_redis_server()
    with fr.serve_redis() as url:
        yield url


@pytest.fixture
def server(redis_url):
    import redis

    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    yield client
    client.close()


class Spider(scrapy.Spider):
    name = "t"

    def parse_detail(self, response):
        pass

    def detail_failed(self, failure):
        pass


def request(url: str, priority: int = 0, **meta) -> scrapy.Request:
    s = Spider()
    return scrapy.Request(
        url, callback=s.parse_detail, errback=s.detail_failed, meta=meta, priority=priority
    )


def encoded(req: scrapy.Request) -> bytes:
    return fr.dumps(req.to_dict(spider=Spider()))


def url_of(data: bytes) -> str:
    return fr.loads(data)["url"]


def started(server, source="hbkx", mode="crawl", member=None) -> tuple[Frontier, fr.Run, str]:
    f = Frontier(server, "pt", source)
    token = member.token() if member else "w#0"
    run = f.start(mode, member.id if member else "w", token, '{"name": "x"}', False, "now")
    return f, run, token


# -- serializer ------------------------------------------------------------------------------


def test_requests_travel_as_json_with_bytes_headers_and_meta():
    s = Spider()
    req = scrapy.Request(
        "http://127.0.0.1:8000/news/info?newsid=ab",
        callback=s.parse_detail,
        errback=s.detail_failed,
        headers={"If-None-Match": '"e1"'},
        meta={"kind": "detail", "entry": {"url": "u", "title": "关于印发《2019年工作要点》的通知"},
              "handle_httpstatus_list": [304], "$odd": 1},
        priority=10,
    )  # fmt: skip
    data = fr.dumps(req.to_dict(spider=s))
    assert data.startswith(b"{") and "工作要点".encode() in data  # JSON text, not pickle
    back = request_from_dict(fr.loads(data), spider=s)
    assert back.url == req.url
    assert back.headers.getlist("If-None-Match") == [b'"e1"']
    assert back.meta == req.meta
    assert (back.priority, back.callback.__name__, back.errback.__name__) == (
        10, "parse_detail", "detail_failed",
    )  # fmt: skip


def test_serializer_refuses_objects_it_cannot_write_as_json():
    with pytest.raises(TypeError, match="cannot send a PosixPath through redis"):
        fr.dumps({"meta": {"where": Path("/tmp")}})


# -- queue, dupefilter, in flight -----------------------------------------------------------


def test_push_filters_duplicates_and_pop_moves_into_flight_by_priority(server):
    f, run, seed = started(server)
    a, b, c = (encoded(request(f"http://h/{x}", p)) for x, p in (("a", 0), ("b", 10), ("c", 5)))
    queued, popped = f.sync(run.id, [("fa", 0, a), ("fb", -10, b), ("fa", 0, a), ("", -5, c)])
    assert (queued, popped) == (3, [])  # the second "fa" was filtered
    assert f.push(run.id, "fb", -10, b) == 0  # still seen: the dupefilter lasts the whole run
    queued, popped = f.sync(run.id, done=[seed], pop_tokens=["w#1", "w#2"])
    assert [(t, url_of(d)) for t, d in popped] == [("w#1", "http://h/b"), ("w#2", "http://h/c")]
    assert server.zcard(f.keys.queue) == 1
    assert sorted(f.inflight()) == ["w#1", "w#2"]  # the seed marker is gone
    assert f.status(run.id) == "work"
    assert url_of(f.pop(run.id, "w#3")) == "http://h/a"
    assert f.pop(run.id, "w#4") is None
    f.sync(run.id, done=["w#1", "w#2"])
    assert f.status(run.id) == "wait"  # w#3 is still being worked on
    f.done("w#3")
    assert f.status(run.id) == "done"
    # Finished: the run, its dupefilter and its entry in the run list are gone.
    assert not server.exists(f.keys.run, f.keys.dupefilter, f.keys.queue, f.keys.inflight)
    assert fr.active_runs(server, "pt") == []
    assert f.status(run.id) == "gone"
    assert f.push(run.id, "fz", 0, a) == 0  # a worker late to the end queues nothing


def test_a_dead_workers_requests_go_back_to_the_queue(server):
    # Both beat with a long TTL; the dead one is then expired explicitly (no sleeping past a
    # short TTL: under load the "still beating" check below could otherwise see it expired).
    dead = Member(server, "pt", ttl=30, worker_id="host:1:dead")
    alive = Member(server, "pt", ttl=30, worker_id="host:2:live")
    dead.beat()
    alive.beat()
    f, run, seed = started(server, member=alive)
    reqs = [encoded(request(f"http://h/{i}", 10)) for i in range(3)]
    f.sync(run.id, [(f"f{i}", -10, r) for i, r in enumerate(reqs)], done=[seed])
    _, mine = f.sync(run.id, pop_tokens=[dead.token(), dead.token()])
    _, theirs = f.sync(run.id, pop_tokens=[alive.token()])
    assert len(mine) == 2 and len(theirs) == 1
    assert f.reap() == 0  # everybody is still beating
    server.zadd(dead.key, {dead.id: 0})  # its heartbeat expired long ago
    assert f.reap() == 2
    assert server.zcard(f.keys.queue) == 2
    assert list(f.inflight()) == [theirs[0][0]]
    # Requeued requests bypass the dupefilter (which still holds them) and pop as before.
    _, again = f.sync(run.id, pop_tokens=[alive.token(), alive.token()])
    assert sorted(url_of(d) for _, d in again) == sorted(url_of(d) for _, d in mine)
    assert f.push(run.id, "f0", -10, reqs[0]) == 0


def test_a_worker_that_leaves_hands_its_requests_over_at_once(server):
    leaving = Member(server, "pt", ttl=30, worker_id="host:3:leaving")
    leaving.beat()
    f, run, seed = started(server, member=leaving)
    f.sync(run.id, [("f", 0, encoded(request("http://h/x")))], done=[seed])
    f.sync(run.id, pop_tokens=[leaving.token()])
    assert f.reap() == 0
    leaving.stop()  # leaves the worker set
    assert f.reap() == 1 and f.status(run.id) == "work"


def test_start_seeds_joins_and_resumes_an_abandoned_run(server):
    ghost = Member(server, "pt", ttl=30, worker_id="host:4:ghost")
    ghost.beat()
    f = Frontier(server, "pt", "hbkx")
    assert f.start("join", "w", "", "", False, "") is None  # nothing to join
    run = f.start("crawl", ghost.id, ghost.token(), '{"src": 1}', True, "t0")
    assert (run.role, run.source_json, run.recheck, run.by) == (
        "seed",
        '{"src": 1}',
        True,
        ghost.id,
    )
    assert fr.active_runs(server, "pt") == ["hbkx"]
    joined = f.start("crawl", "other", "other#1", '{"src": 2}', False, "t1")
    assert (joined.role, joined.id, joined.source_json, joined.recheck) == (
        "join", run.id, '{"src": 1}', True,
    )  # fmt: skip
    f.sync(run.id, [("f", 0, encoded(request("http://h/x")))])
    f.sync(run.id, pop_tokens=[ghost.token()])
    # The ghost stops beating with the seed marker and a request in hand: expire it explicitly.
    server.zadd(ghost.key, {ghost.id: 0})
    assert f.reap() == 1  # the request comes back; the seed marker is just dropped
    resumed = f.start("crawl", "new", "new#1", '{"src": 3}', False, "t2")
    assert (resumed.role, resumed.id) == ("join", run.id)  # resume: a request is left
    f.pop(run.id, "new#2")
    f.done("new#2")
    fresh = f.start("crawl", "new", "new#3", '{"src": 3}', False, "t3")
    assert fresh.role == "seed" and fresh.id != run.id  # nothing left: a new run


def test_walk_reports_merge_and_a_failure_wins(server):
    f = Frontier(server, "pt", "hbkx")
    f.note_walk({"column:a": "end", "column:b": "stopped"})
    f.note_walk({"column:a": "failed", "column:b": "end"})
    f.note_walk({"column:a": "end", "column:b": "stopped"})
    assert f.walk() == {"column:a": "failed", "column:b": "end"}


@pytest.mark.slow
def test_heartbeat_stops_when_the_reactor_is_stuck(server):
    m = Member(server, "pt", ttl=0.4, worker_id="host:5:stuck").start()
    try:
        m.pulse()
        time.sleep(0.3)
        assert server.zscore(m.key, m.id) is not None
        f, run, seed = started(server, member=m)
        time.sleep(1.0)  # no pulse for longer than the TTL: the thread stops beating
        assert f.reap() == 0 and seed not in f.inflight()  # its seed marker was reaped
    finally:
        m.stop()
    assert server.zscore(m.key, m.id) is None


# -- run config and manifest tail ------------------------------------------------------------


def test_the_published_source_round_trips():
    for src in load_sources().values():
        for s in (src, src.rebased("http://127.0.0.1:8123")):
            assert source_from_json(source_to_json(s)) == s
    with pytest.raises(ConfigError, match="not understood by this version"):
        source_from_json(json.dumps({"name": "x", "surprise": 1}))
    with pytest.raises(ConfigError, match="not understood"):
        source_from_json(
            source_to_json(load_sources()["hbkx"]).replace('"name": "hbkx"', '"name": "../x"')
        )


def test_manifest_tail_reads_complete_lines_only(tmp_path):
    path = tmp_path / "manifest.jsonl"
    tail = ManifestTail(path)
    assert tail.read() == []
    path.write_text('{"a": 1}\n{"b": 2}\n{"c"', encoding="utf-8")
    assert tail.read() == [{"a": 1}, {"b": 2}]
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(': 3}\nnot json\n{"d": 4}\n')
    assert tail.read() == [{"c": 3}, {"d": 4}]
    assert tail.read() == []
