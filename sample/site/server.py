"""The sample site's HTTP server: routes → responses on 127.0.0.1, with a request log.

Serves what a site (sample/site/mirror.py) put in its routes table: pages, redirects, answers
that fail a few times first, slow pages, huge streamed files, ETag / If-None-Match. Every request
is logged on arrival (`requests`, `requests_since`); another process reads the log over HTTP
(`fetch_log`, the CONTROL endpoint, disallowed in robots.txt).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from policytrack.sample.site.content import OFFSITE

CONTROL = "/__mirror__/"  # test-control endpoints; disallowed in robots.txt


@dataclass
class RequestLog:
    method: str
    path: str  # path?query
    host: str
    status: int
    user_agent: str
    conditional: bool
    at: float
    body: str = ""  # a POST's form, as sent


@dataclass
class Resource:
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    last_modified: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    fail_first: int = 0
    redirect_to: str | None = None
    stream_size: int = 0
    delay: float = 0.0  # seconds before answering (a slow page)


def route_key(url: str) -> tuple[str, frozenset]:
    """The routes-table key of a path?query (query order does not matter)."""
    u = urlsplit(url)
    return u.path or "/", frozenset(parse_qsl(u.query, keep_blank_values=True))


class SiteServer:
    """Serves `self.routes` (route_key → Resource) over HTTP in a background thread."""

    def __init__(self):
        self.routes: dict[tuple, Resource] = {}
        self.requests: list[RequestLog] = []
        self.max_in_flight = 0
        self._in_flight = 0
        self._served: dict[tuple, int] = {}
        self._lock = threading.Lock()
        self.base_url: str | None = None
        self._server: ThreadingHTTPServer | None = None

    # -- serving -------------------------------------------------------------------------------
    @contextlib.contextmanager
    def serve(self, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
        base = self.start(host, port)
        try:
            yield base
        finally:
            self.stop()

    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        server = self

        class Handler(_Handler):
            site = server

        self._server = _Server((host, port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.base_url = f"http://{host}:{self.port}"
        threading.Thread(
            target=self._server.serve_forever, args=(0.1,), name="mirror", daemon=True
        ).start()
        return self.base_url

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def requests_since(self, n: int = 0) -> list[RequestLog]:
        with self._lock:
            return list(self.requests[n:])

    def _respond(self, h: BaseHTTPRequestHandler) -> None:
        u = urlsplit(h.path)
        if u.path.startswith(CONTROL):
            since = int(dict(parse_qsl(u.query)).get("since", 0))
            body = json.dumps(
                {
                    "requests": [r.__dict__ for r in self.requests_since(since)],
                    "max_in_flight": self.max_in_flight,
                }
            ).encode()
            return _send(h, 200, body, "application/json")
        conditional = bool(h.headers.get("If-None-Match") or h.headers.get("If-Modified-Since"))
        form = b""
        if h.command == "POST":
            form = h.rfile.read(min(int(h.headers.get("Content-Length") or 0), 1 << 20))
        entry = RequestLog(h.command, h.path, h.headers.get("Host", ""), 0,
                           h.headers.get("User-Agent", ""), conditional, time.time(),
                           form.decode("latin-1"))  # fmt: skip
        key = route_key(h.path)
        with self._lock:
            self.requests.append(entry)  # on arrival: a crawler killed mid-request still shows
            self._served[key] = self._served.get(key, 0) + 1
            served = self._served[key]
        entry.status = self._answer(h, self.routes.get(key), served)

    def _answer(self, h: BaseHTTPRequestHandler, res: Resource | None, served: int) -> int:
        if res is None:
            _send(h, 404, "<html><body><h1>404 页面不存在</h1></body></html>".encode())
            return 404
        if res.delay:
            time.sleep(res.delay)
        if served <= res.fail_first:
            _send(h, 500, b"<html><body>Internal Server Error</body></html>")
            return 500
        if res.redirect_to:
            where = res.redirect_to.replace(OFFSITE, f"http://localhost:{self.port}")
            _send(h, 302, b"", headers={"Location": where})
            return 302
        if res.stream_size:
            _stream(h, res)
            return 200
        body = res.body.replace(OFFSITE.encode(), f"http://localhost:{self.port}".encode())
        etag = '"' + hashlib.sha1(body).hexdigest()[:20] + '"'
        headers = {"ETag": etag, **res.headers}
        if res.last_modified:
            headers["Last-Modified"] = res.last_modified
        if res.status == 200 and h.headers.get("If-None-Match") == etag:
            _send(h, 304, b"", headers=headers)
            return 304
        _send(h, res.status, body, res.content_type, headers)
        return res.status


def _send(
    h, status: int, body: bytes, ctype: str = "text/html; charset=utf-8", headers=None
) -> None:
    h.send_response(status)
    if status != 304:
        h.send_header("Content-Type", ctype)
        h.send_header("Content-Length", str(len(body)))
    for k, v in (headers or {}).items():
        h.send_header(k, v)
    h.end_headers()
    if h.command != "HEAD" and status != 304:
        h.wfile.write(body)


def _stream(h, res: Resource) -> None:
    """Chunked transfer with no Content-Length: only DOWNLOAD_MAXSIZE can stop it."""
    h.send_response(200)
    h.send_header("Content-Type", res.content_type)
    h.send_header("Transfer-Encoding", "chunked")
    h.end_headers()
    chunk = b"%PDF-1.4\n" + b"0" * (64 * 1024 - 9)
    sent = 0
    try:
        while sent < res.stream_size:
            h.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            sent += len(chunk)
        h.wfile.write(b"0\r\n\r\n")
    except (BrokenPipeError, ConnectionResetError):
        h.close_connection = True  # the client hung up: exactly what DOWNLOAD_MAXSIZE should do


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # Clients hanging up (DOWNLOAD_MAXSIZE cutting a stream) are expected; stay quiet.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes: with Nagle on, keep-alive clients stall ~40 ms.
    disable_nagle_algorithm = True
    site: SiteServer

    def do_GET(self):  # noqa: N802
        site = self.site
        counted = not self.path.startswith(CONTROL)
        if counted:
            with site._lock:
                site._in_flight += 1
                site.max_in_flight = max(site.max_in_flight, site._in_flight)
        try:
            site._respond(self)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        finally:
            if counted:
                with site._lock:
                    site._in_flight -= 1

    do_HEAD = do_GET
    do_POST = do_GET  # answered like a GET of the same path?query (a JCMS data proxy)

    def log_message(self, format, *args):  # quiet: the request log is kept in memory
        return


def fetch_log(base_url: str, since: int = 0) -> dict:
    """The request log of a site served by another process."""
    from urllib.request import urlopen

    with urlopen(f"{base_url}{CONTROL}requests?since={since}", timeout=10) as resp:
        return json.loads(resp.read())
