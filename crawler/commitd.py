"""The crawl's committing process: the durable half of storing a notice, beside the crawler.

The item pipeline stages each notice in the crawler (names, record, manifest line: no I/O,
crawler/store.py) and sends it here; this process writes the files (each fsynced once and renamed
into place), appends the records (the commit point) and answers with each notice's outcome.
A process, not a thread: its system calls (six per file) never wait for the crawler's GIL, nor
the crawler for its, so on two cores the store costs the crawl almost nothing
(bench/crawl_bench.py, docs/crawler.md).

It lives exactly as long as its input: end of input commits what was received, fsyncs the new
directory entries and the manifest (Commit.close) and exits 0. A Ctrl-C or SIGTERM to the
terminal's process group is left to the crawler, which closes the input when it has stopped;
if the crawler dies, the kernel kills this process too (PR_SET_PDEATHSIG), as a thread would
have died with it: what was not appended is fetched again by the next crawl.

Frames both ways: a 4-byte big-endian length, then a pickle (both ends are this module).
  in:  (token, url, sha256, manifest line, [(bytes, final path)])   see `request`
  out: [(token, outcome), ...] per batch: STORED (appended), KNOWN (the manifest has this very
       page as the URL's latest version already: another worker stored it) or the exception
       that kept the notice from disk
What arrived together is committed together (one manifest append).

    python -m policytrack.crawler.commitd DATA_DIR SOURCE PARENT_PID
"""

from __future__ import annotations

import os
import pickle
import signal
import struct
import sys
from collections.abc import Callable

from policytrack.crawler.store import Commit, ManifestIndex, Staged
from policytrack.pipeline.store.rawstore import RawStore

HEADER = struct.Struct(">I")
STORED, KNOWN = "stored", "known"


def frame(obj) -> bytes:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    return HEADER.pack(len(data)) + data


def request(token, staged: Staged) -> bytes:
    """The frame asking for `staged` to be committed: what committing reads of it (the record's
    url and sha256, its manifest line, the files), not the whole record."""
    rec = staged.record
    return frame((token, rec["url"], rec["sha256"], staged.line, staged.files))


def frames(buf: bytearray) -> list:
    """The complete frames at the start of `buf`, taken out of it (a partial one stays)."""
    out, at = [], 0
    while len(buf) - at >= HEADER.size:
        (n,) = HEADER.unpack_from(buf, at)
        if len(buf) - at - HEADER.size < n:
            break
        out.append(pickle.loads(memoryview(buf)[at + HEADER.size : at + HEADER.size + n]))
        at += HEADER.size + n
    del buf[:at]
    return out


def _portable(exc: BaseException) -> BaseException:
    """The exception itself when it survives pickling (OSError does), else its words."""
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:  # noqa: BLE001
        return RuntimeError(f"{type(exc).__name__}: {exc}")


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def serve(data_dir: str, source: str, inp: int = 0, out: int = 1) -> None:
    """Commit what arrives on `inp` and answer on `out` until end of input."""
    commit = Commit(RawStore(data_dir, source))
    index = ManifestIndex(commit.store.manifest)  # caught up under the lock per batch
    buf = bytearray()
    try:
        while chunk := os.read(inp, 1 << 20):
            buf += chunk
            batch = frames(buf)  # whatever arrived while the last batch was on the disk
            if not batch:
                continue
            staged = [
                Staged({"url": u, "sha256": s}, line, files) for _, u, s, line, files in batch
            ]
            results = commit.commit_all(staged, index)
            _write_all(out, frame([
                (req[0], _portable(r) if isinstance(r, BaseException) else STORED if r else KNOWN)
                for req, r in zip(batch, results, strict=True)
            ]))  # fmt: skip
    finally:
        commit.close()


def _die_with(parent: int) -> None:
    """SIGKILL when `parent` ends (Linux); exit now if it has ended already."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: outlives the crawler until end of input
        pass
    if os.getppid() != parent:
        sys.exit(0)


def main(argv: list[str]) -> int:
    data_dir, source, parent = argv
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the crawler decides when to stop
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    _die_with(int(parent))
    try:
        serve(data_dir, source)
    except OSError as exc:  # the final sync, or a broken answer pipe: the crawler reports it
        print(f"policytrack: {data_dir}/raw/{source}: committing: {exc}", file=sys.stderr)
        return 1
    return 0


class Client:
    """The crawler's end (in its reactor thread): `submit` a staged notice, get a Deferred of
    its outcome, `close` to have the rest committed (a Deferred fired when the process exits).
    The process is started with the first notice, and again after one has died."""

    def __init__(self, store: RawStore, warn: Callable[[str], None]):
        self.store, self.warn = store, warn
        self._proc = None
        self._ended = None
        self._waiting: dict = {}  # token → (Deferred, the staged record)
        self._tokens = 0

    def submit(self, staged: Staged):
        from twisted.internet.defer import Deferred

        if self._proc is None:
            self._start()
        self._tokens += 1
        self._waiting[self._tokens] = (done := Deferred(), staged.record)
        self._proc.write(request(self._tokens, staged))
        return done

    def close(self):
        if self._proc is not None:
            self._proc.closeStdin()  # it commits what it has, syncs, exits
        return self._ended

    def _answer(self, answers) -> None:
        for token, outcome in answers:
            done, record = self._waiting.pop(token)
            if isinstance(outcome, BaseException):
                done.errback(outcome)
            else:
                done.callback(record if outcome == STORED else None)

    def _start(self) -> None:
        from twisted.internet import defer, error, protocol, reactor

        client, buf = self, bytearray()
        self._ended = ended = defer.Deferred()

        class Pipe(protocol.ProcessProtocol):
            def outReceived(self, data):
                buf.extend(data)
                for answers in frames(buf):
                    client._answer(answers)

            def processEnded(self, reason):
                client._proc = None
                if not reason.check(error.ProcessDone) or client._waiting:
                    why = f"the committing process ended ({reason.value})"
                    client.warn(f"{client.store.root}: {why}")
                    client._answer([(t, RuntimeError(why)) for t in list(client._waiting)])
                ended.callback(None)

        args = [sys.executable, "-m", __name__, str(self.store.data_dir), self.store.source]
        self._proc = reactor.spawnProcess(
            Pipe(), sys.executable, [*args, str(os.getpid())], env=None,
            childFDs={0: "w", 1: "r", 2: 2},
        )  # fmt: skip


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
