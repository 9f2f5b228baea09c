"""The shared crawl frontier in Redis: queue, dupefilter, in-flight requests and live workers.

Pure Redis bookkeeping (no Scrapy); crawler/redis/distributed.py plugs it into Scrapy. Every state
change that could lose a request is one Lua script, so it is atomic on the server:

- push: dupefilter SADD and queue ZADD together (a worker dying between the two would otherwise
  leave a URL "seen" but never queued, and its requeued parent would then be filtered);
- pop: the request moves from the queue into the in-flight hash under a token `<worker>#<n>`, so
  at every instant each request is in exactly one of queue or in-flight;
- done: the token is deleted only after the request's callback, its new requests and its items
  (files + manifest record) are all finished;
- reap: a token whose worker's heartbeat expired goes back into the queue, bypassing the
  dupefilter (it is already in it). Expiry uses the Redis server's clock, so machines' clocks
  do not matter.

The run is finished when the queue and the in-flight hash are both empty: every outstanding piece
of work is in one of them (a request's children are queued before the request is done).

Keys (prefix `policytrack` by default; REDIS_KEY_PREFIX):

    {p}:workers                  zset  worker id → heartbeat expiry (server time)
    {p}:runs                     set   sources with a run in progress
    {p}:{source}:run             hash  id, source (JSON), recheck, started_at, by
    {p}:{source}:requests        zset  scrapy-redis PriorityQueue (score = -priority)
    {p}:{source}:dupefilter      set   scrapy-redis RFPDupeFilter fingerprints of this run
    {p}:{source}:inflight        hash  token → "<score>\\n<request>"
    {p}:{source}:walk            hash  column → stopped | end | failed (the worst report wins)

Requests are stored as JSON (`dumps`/`loads`, the SCHEDULER_SERIALIZER), never pickle: whoever
can write to a pickle queue can run code on every worker.
"""

from __future__ import annotations

import atexit
import base64
import contextlib
import itertools
import json
import logging
import os
import re
import shutil
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

log = logging.getLogger("policytrack.crawler")

# --------------------------------------------------------------------------------------------
# serializer (scrapy-redis SCHEDULER_SERIALIZER: a module with dumps/loads)


def _pack(obj):
    if isinstance(obj, bytes):
        return {"$b": base64.b64encode(obj).decode("ascii")}
    if isinstance(obj, (list, tuple)):
        return [_pack(x) for x in obj]
    if isinstance(obj, dict):
        if all(isinstance(k, str) and not k.startswith("$") for k in obj):
            return {k: _pack(v) for k, v in obj.items()}
        return {"$d": [[_pack(k), _pack(v)] for k, v in obj.items()]}  # bytes keys (headers)
    if obj is None or isinstance(obj, (str, int, float, bool)):
        return obj
    raise TypeError(f"cannot send a {type(obj).__name__} through redis (requests are JSON)")


def _unpack(obj):
    if isinstance(obj, list):
        return [_unpack(x) for x in obj]
    if isinstance(obj, dict):
        if set(obj) == {"$b"}:
            return base64.b64decode(obj["$b"])
        if set(obj) == {"$d"}:
            return {_key(_unpack(k)): _unpack(v) for k, v in obj["$d"]}
        return {k: _unpack(v) for k, v in obj.items()}
    return obj


def _key(k):
    return tuple(k) if isinstance(k, list) else k


def dumps(obj) -> bytes:
    return json.dumps(_pack(obj), ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def loads(data: bytes | str):
    return _unpack(json.loads(data))


# --------------------------------------------------------------------------------------------
# Lua

# Scripts read the server clock (TIME) before writing: effects replication, the default since
# Redis 5, allows that; the call below makes Redis 3.2–4 do the same.
_CLOCK = """
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
"""

# Put an in-flight value back into the queue; "" (a seeding marker) has nothing to put back.
_REQUEUE_FN = """
local function requeue(inflight, queue, token)
  local value = redis.call('HGET', inflight, token)
  if not value then return 0 end
  redis.call('HDEL', inflight, token)
  local cut = string.find(value, '\\n', 1, true)
  if not cut then return 0 end
  redis.call('ZADD', queue, string.sub(value, 1, cut - 1), string.sub(value, cut + 1))
  return 1
end
"""

HEARTBEAT = (
    _CLOCK
    + """
-- KEYS: workers; ARGV: worker, ttl
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - 86400)
return 1
"""
)

REAP = (
    _CLOCK
    + _REQUEUE_FN
    + """
-- KEYS: workers, inflight, queue. Tokens of workers whose heartbeat expired go back in the queue.
local entries = redis.call('HKEYS', KEYS[2])
local n = 0
for _, token in ipairs(entries) do
  local worker = string.match(token, '^(.*)#') or ''
  local expiry = redis.call('ZSCORE', KEYS[1], worker)
  if (not expiry) or tonumber(expiry) < now then
    n = n + requeue(KEYS[2], KEYS[3], token)
  end
end
return n
"""
)

REQUEUE = (
    _REQUEUE_FN
    + """
-- KEYS: inflight, queue; ARGV: tokens
local n = 0
for _, token in ipairs(ARGV) do n = n + requeue(KEYS[1], KEYS[2], token) end
return n
"""
)

START = """
-- KEYS: run, queue, inflight, dupefilter, runs, walk
-- ARGV: mode (crawl|join), new id, source JSON, recheck, started_at, worker, seed token, source,
--       walk ttl
local id = redis.call('HGET', KEYS[1], 'id')
local busy = redis.call('ZCARD', KEYS[2]) + redis.call('HLEN', KEYS[3])
if id and busy > 0 then
  local r = redis.call('HMGET', KEYS[1], 'source', 'recheck', 'started_at', 'by')
  return {'join', id, r[1], r[2], r[3], r[4]}
end
-- no run, or one with nothing left (finished or abandoned): clear it
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4])
redis.call('SREM', KEYS[5], ARGV[8])
if ARGV[1] ~= 'crawl' then
  if id then redis.call('EXPIRE', KEYS[6], ARGV[9]) end
  return {'none'}
end
redis.call('DEL', KEYS[6])
redis.call('HSET', KEYS[1], 'id', ARGV[2], 'source', ARGV[3], 'recheck', ARGV[4],
           'started_at', ARGV[5], 'by', ARGV[6])
redis.call('HSET', KEYS[3], ARGV[7], '')  -- held until every start request is queued
redis.call('SADD', KEYS[5], ARGV[8])
return {'seed', ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]}
"""

SYNC = """
-- KEYS: run, dupefilter, queue, inflight
-- ARGV: run id, #pushes, #done, pushes as (fingerprint ('' = dont_filter), score, request)...,
--       done tokens..., then one token per request to pop.
-- Pushes come before done tokens: a request is done only once its children are queued.
local live = redis.call('HGET', KEYS[1], 'id') == ARGV[1]
local np, nd = tonumber(ARGV[2]), tonumber(ARGV[3])
local i, queued = 4, 0
for _ = 1, np do
  if live and (ARGV[i] == '' or redis.call('SADD', KEYS[2], ARGV[i]) == 1) then
    redis.call('ZADD', KEYS[3], ARGV[i + 1], ARGV[i + 2])
    queued = queued + 1
  end
  i = i + 3
end
for _ = 1, nd do
  redis.call('HDEL', KEYS[4], ARGV[i])
  i = i + 1
end
local out = {queued}
local want = #ARGV - i + 1
if live and want > 0 then
  local r = redis.call('ZPOPMIN', KEYS[3], want)
  for j = 1, #r, 2 do
    redis.call('HSET', KEYS[4], ARGV[i], r[j + 1] .. '\\n' .. r[j])
    out[#out + 1] = r[j]
    i = i + 1
  end
end
return out
"""

PENDING = """
-- KEYS: run, queue; ARGV: run id
if redis.call('HGET', KEYS[1], 'id') ~= ARGV[1] then return 0 end
return redis.call('ZCARD', KEYS[2])
"""

STATUS = """
-- KEYS: run, queue, inflight, dupefilter, runs, walk; ARGV: run id, source, walk ttl
if redis.call('HGET', KEYS[1], 'id') ~= ARGV[1] then return 'gone' end
if redis.call('ZCARD', KEYS[2]) > 0 then return 'work' end
if redis.call('HLEN', KEYS[3]) > 0 then return 'wait' end
redis.call('DEL', KEYS[1], KEYS[4])
redis.call('SREM', KEYS[5], ARGV[2])
redis.call('EXPIRE', KEYS[6], tonumber(ARGV[3]))
return 'done'
"""

WALK = """
-- KEYS: walk; ARGV: column, status, column, status, ...  A failure anywhere beats an end.
local rank = {stopped = 1, ['end'] = 2, failed = 3}
for i = 1, #ARGV, 2 do
  local cur = redis.call('HGET', KEYS[1], ARGV[i])
  if (not cur) or (rank[ARGV[i + 1]] or 0) > (rank[cur] or 0) then
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
  end
end
return 1
"""

WALK_TTL = 3600  # the finished run's walk report outlives it for workers still closing


# --------------------------------------------------------------------------------------------
# records


@dataclass(frozen=True)
class Keys:
    """The Redis keys of one source's frontier (listed in the module docstring)."""

    prefix: str
    source: str

    def __post_init__(self):
        own = f"{self.prefix}:{self.source}:"
        names = {"run": "run", "queue": "requests", "dupefilter": "dupefilter",
                 "inflight": "inflight", "walk": "walk"}  # fmt: skip
        for attr, name in names.items():
            object.__setattr__(self, attr, own + name)
        object.__setattr__(self, "workers", f"{self.prefix}:workers")
        object.__setattr__(self, "runs", f"{self.prefix}:runs")


@dataclass(frozen=True)
class Run:
    """A source's crawl as published in Redis; `role` is this worker's part in it."""

    id: str
    role: str  # seed: this worker queues the start requests | join
    source_json: str
    recheck: bool
    started_at: str
    by: str


def _s(value) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def safe_url(url: str) -> str:
    """A Redis URL for messages: without its password."""
    return re.sub(r"//[^@/]*@", "//***@", url)


# --------------------------------------------------------------------------------------------
# frontier of one source


class Frontier:
    def __init__(self, server, prefix: str, source: str):
        self.server = server
        self.keys = Keys(prefix, source)
        self.source = source
        reg = server.register_script
        self._start, self._sync = reg(START), reg(SYNC)
        self._pending, self._status, self._reap = reg(PENDING), reg(STATUS), reg(REAP)
        self._requeue, self._walk = reg(REQUEUE), reg(WALK)

    def start(
        self, mode: str, worker: str, seed_token: str, source_json: str, recheck: bool, at: str
    ) -> Run | None:
        """Seed a new run (mode crawl, none running) or join the running one; None: none to join.

        Call reap() first, so that a run whose workers all died is resumed, not thought busy.
        """
        k = self.keys
        run_id = uuid.uuid4().hex[:12]
        out = self._start(
            keys=[k.run, k.queue, k.inflight, k.dupefilter, k.runs, k.walk],
            args=[mode, run_id, source_json, "1" if recheck else "0", at, worker, seed_token,
                  self.source, WALK_TTL],
        )  # fmt: skip
        role = _s(out[0])
        if role == "none":
            return None
        rid, src, rc, started, by = (_s(x) if x is not None else "" for x in out[1:6])
        return Run(rid, role, src, rc == "1", started, by)

    def sync(
        self,
        run_id: str,
        pushes: list[tuple[str, float, bytes]] = (),
        done: list[str] = (),
        pop_tokens: list[str] = (),
    ) -> tuple[int, list[tuple[str, bytes]]]:
        """One round trip: queue `pushes` (fingerprint, score, request), finish `done` tokens,
        then pop up to len(pop_tokens) requests into flight. (requests queued, [(token, request)]).

        If the run is over, pushes and pops do nothing.
        """
        k = self.keys
        args: list = [run_id, len(pushes), len(done)]
        for fp, score, data in pushes:
            args += [fp, score, data]
        args += list(done) + list(pop_tokens)
        out = self._sync(keys=[k.run, k.dupefilter, k.queue, k.inflight], args=args)
        return int(out[0]), list(zip(pop_tokens, [bytes(x) for x in out[1:]], strict=False))

    def push(self, run_id: str, fingerprint: str, score: float, data: bytes) -> int:
        """1 queued, 0 already seen this run (or the run is over)."""
        return self.sync(run_id, [(fingerprint, score, data)])[0]

    def pop(self, run_id: str, token: str) -> bytes | None:
        popped = self.sync(run_id, pop_tokens=[token])[1]
        return popped[0][1] if popped else None

    def done(self, token: str) -> None:
        self.server.hdel(self.keys.inflight, token)

    def pending(self, run_id: str) -> int:
        return int(self._pending(keys=[self.keys.run, self.keys.queue], args=[run_id]))

    def reap(self) -> int:
        """Requeue the requests of workers whose heartbeat expired; how many went back."""
        k = self.keys
        return int(self._reap(keys=[k.workers, k.inflight, k.queue]))

    def requeue(self, tokens: list[str]) -> int:
        if not tokens:
            return 0
        return int(self._requeue(keys=[self.keys.inflight, self.keys.queue], args=tokens))

    def status(self, run_id: str) -> str:
        """work (queued requests), wait (requests in flight), done (finished now), gone."""
        k = self.keys
        out = self._status(
            keys=[k.run, k.queue, k.inflight, k.dupefilter, k.runs, k.walk],
            args=[run_id, self.source, WALK_TTL],
        )
        return _s(out)

    def note_walk(self, statuses: dict[str, str]) -> None:
        if statuses:
            args = [x for col, st in statuses.items() for x in (col, st)]
            self._walk(keys=[self.keys.walk], args=args)

    def walk(self) -> dict[str, str]:
        return {_s(k): _s(v) for k, v in self.server.hgetall(self.keys.walk).items()}

    def inflight(self) -> dict[str, bytes]:
        """token → request bytes (tests, diagnostics)."""
        out = {}
        for token, value in self.server.hgetall(self.keys.inflight).items():
            _, _, data = bytes(value).partition(b"\n")
            out[_s(token)] = data
        return out


def active_runs(server, prefix: str) -> list[str]:
    return sorted(_s(x) for x in server.smembers(Keys(prefix, "-").runs))


# --------------------------------------------------------------------------------------------
# this process as a worker


def new_worker_id() -> str:
    host = re.sub(r"[^A-Za-z0-9.-]", "-", socket.gethostname())[:40] or "host"
    return f"{host}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class Member:
    """This process's heartbeat: a thread refreshes `{p}:workers` every ttl/4 seconds.

    Once the reactor runs, the thread only beats while the reactor pulses too (pulse()), so a
    wedged worker is declared dead as surely as a killed one; before that (start-up) it always
    beats. Schedulers attach/detach; the last detach (or process exit) leaves the worker set.
    """

    def __init__(self, server, prefix: str, ttl: float, worker_id: str | None = None):
        self.server = server
        self.id = worker_id or new_worker_id()
        self.ttl = float(ttl)
        self.key = Keys(prefix, "-").workers
        self._beat = server.register_script(HEARTBEAT)
        self._count = itertools.count(1)
        self._tokens_lock = threading.Lock()
        self._last_pulse: float | None = None
        self._attached = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def token(self) -> str:
        with self._tokens_lock:
            return f"{self.id}#{next(self._count)}"

    def beat(self) -> None:
        self._beat(keys=[self.key], args=[self.id, self.ttl])

    def start(self) -> Member:
        self.beat()
        self._thread = threading.Thread(target=self._run, name="redis-heartbeat", daemon=True)
        self._thread.start()
        atexit.register(self.stop)
        return self

    def _run(self) -> None:
        interval = min(2.0, max(0.1, self.ttl / 4))
        failing = False
        while not self._stop.wait(interval):
            last = self._last_pulse
            if last is not None and time.monotonic() - last > self.ttl:
                continue  # the reactor is stuck: let the others take our requests over
            try:
                self.beat()
                failing = False
            except Exception as exc:  # redis briefly unreachable: try again next beat
                if not failing:
                    log.warning("redis heartbeat failed: %s", exc)
                failing = True

    def pulse(self) -> None:
        self._last_pulse = time.monotonic()

    def attach(self) -> None:
        self._attached += 1

    def detach(self) -> None:
        self._attached -= 1
        if self._attached <= 0:
            self.stop()

    def stop(self) -> None:
        if self._stop.is_set():
            return
        self._stop.set()
        try:
            self.server.zrem(self.key, self.id)  # our leftovers (if any) are requeued at once
        except Exception as exc:
            log.warning("could not leave the redis worker set: %s", exc)


# --------------------------------------------------------------------------------------------
# a throwaway server (tests, benchmark)


@contextlib.contextmanager
def serve_redis(binary: str = "redis-server") -> Iterator[str]:
    """A redis-server on a free 127.0.0.1 port, no persistence; yields its redis:// URL."""
    exe = shutil.which(binary)
    if exe is None:
        raise FileNotFoundError(f"{binary} not found (Debian: apt-get install redis-server)")
    import redis

    for _ in range(5):  # the free port may be taken between probing and binding
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        proc = subprocess.Popen(
            [exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        url = f"redis://127.0.0.1:{port}/0"
        client = redis.Redis.from_url(url, socket_connect_timeout=1)
        deadline = time.monotonic() + 10
        while proc.poll() is None and time.monotonic() < deadline:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        else:
            proc.kill()
            proc.wait()
            continue
        try:
            yield url
        finally:
            client.close()
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        return
    raise RuntimeError(f"{exe} did not start")
