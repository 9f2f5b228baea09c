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

import json
import logging
import os
import pickle
import signal
import struct
import sys
from collections.abc import Callable

from twisted.internet import defer, protocol  # not the reactor: these install none

from policytrack.crawler.store import Commit, ManifestIndex, Staged, write_all
from policytrack.pipeline.store.rawstore import RawStore

log = logging.getLogger("policytrack.crawler")
HEADER = struct.Struct(">I")
STORED, KNOWN = "stored", "known"
STOPS = {signal.SIGINT, signal.SIGTERM}  # a terminal's Ctrl-C, a service manager's stop
# Started with the parent's import path and without the working directory's (-P), so both ends
# run the same code; then main() as `python -m policytrack.crawler.commitd` would.
BOOT = (
    "import json, sys; sys.path[:0] = [p for p in json.loads(sys.argv.pop(1)) if p not in sys.path]; "
    "from policytrack.crawler.commitd import main; sys.exit(main(sys.argv[1:]))"
)
# Bytes sent and not yet answered, at most (unless a single notice is larger): the pipeline waits
# for `room` before sending more, so a disk slower than the network holds the crawl back instead
# of filling the crawler's memory with notices waiting for the pipe.
BUDGET = 64 << 20
MAX_STARTS = 5  # committing processes one crawl starts (one more after each that died) at most


def frame(obj) -> list[bytes]:
    """[header, payload]: written one after the other (joining them would copy the payload)."""
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    return [HEADER.pack(len(data)), data]


def request(token, staged: Staged) -> list[bytes]:
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
            write_all(out, b"".join(frame([
                (req[0], _portable(r) if isinstance(r, BaseException) else STORED if r else KNOWN)
                for req, r in zip(batch, results, strict=True)
            ])))  # fmt: skip
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
    for sig in STOPS:  # the crawler decides when to stop
        signal.signal(sig, signal.SIG_IGN)
    # Blocked by the crawler from before the spawn until now, so a Ctrl-C during start-up was
    # held back; ignored now, a held one is discarded.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOPS)
    _die_with(int(parent))
    try:
        serve(data_dir, source)
    except OSError as exc:  # the final sync, or a broken answer pipe: the crawler reports it
        print(f"policytrack: {data_dir}/raw/{source}: committing: {exc}", file=sys.stderr)
        return 1
    return 0


class Client:
    """The crawler's end (in its reactor thread): `submit` a staged notice, get a Deferred of
    its outcome; `close` to have the rest committed (a Deferred fired once the process has
    exited, or None when none runs). The process starts with the first notice, and again after
    one was killed (at most MAX_STARTS in all); one that exits with an error before it answered
    anything cannot start, and is not started again: every later notice fails with its reason."""

    def __init__(self, store: RawStore, warn: Callable[[str], None], python: str = sys.executable):
        self.store, self.warn, self.python = store, warn, python
        self._proc = None  # the running process's transport
        self._ended = None  # fired when it has exited
        self._waiting: dict = {}  # token → (Deferred, the staged record, bytes sent)
        self._tokens = 0
        self.in_flight = 0  # bytes sent and not answered yet
        self._room: list = []  # Deferreds of callers waiting for the in-flight bytes to fall
        self._starts = 0
        self._broken: str | None = None  # why no committing process can run

    def submit(self, staged: Staged):
        if self._broken:
            raise ChildProcessError(self._broken)
        data = request(self._tokens + 1, staged)
        if self._proc is None:
            self._start()
        self._tokens += 1
        size = sum(map(len, data))
        self._waiting[self._tokens] = (done := defer.Deferred(), staged.record, size)
        self.in_flight += size
        self._proc.writeSequence(data)
        return done

    def room(self):
        """None when another notice may be sent now, else a Deferred fired when it may."""
        if self.in_flight < BUDGET:
            return None
        self._room.append(wait := defer.Deferred())
        return wait

    def close(self):
        if self._proc is None:
            return None
        self._proc.closeStdin()  # it commits what it has, syncs, exits
        return self._ended

    def _answer(self, answers) -> None:
        for token, outcome in answers:
            done, record, size = self._waiting.pop(token)
            self.in_flight -= size
            if isinstance(outcome, BaseException):
                done.errback(outcome)
            else:
                done.callback(record if outcome == STORED else None)
        while self._room and self.in_flight < BUDGET:
            self._room.pop(0).callback(None)

    def _start(self) -> None:
        from twisted.internet import reactor

        if self._starts >= MAX_STARTS:
            self._broken = f"the committing process ended {MAX_STARTS} times in this crawl"
            raise ChildProcessError(self._broken)
        self._starts += 1
        args = [self.python, "-P", "-c", BOOT, json.dumps(sys.path)]
        args += [str(self.store.data_dir), self.store.source, str(os.getpid())]
        pipe = _Pipe(self)
        held = signal.pthread_sigmask(signal.SIG_BLOCK, STOPS)  # until it ignores them (main)
        try:
            self._proc = reactor.spawnProcess(
                pipe, self.python, args, env=None, childFDs={0: "w", 1: "r", 2: "r"}
            )
        except OSError as exc:
            self._broken = f"could not start the committing process ({self.python}): {exc}"
            raise ChildProcessError(self._broken) from exc
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, held)
        self._ended = pipe.ended

    def _exited(self, pipe: _Pipe, reason) -> None:
        self._proc = None
        status = reason.value
        if status.signal is not None:
            how = f"killed by signal {status.signal}"
        else:
            how = f"exit status {status.exitCode}"
        why = f"the committing process ended ({how})" + (f": {pipe.said}" if pipe.said else "")
        if status.exitCode and not pipe.answered:
            self._broken = why  # it could not start: another would fail the same way
        if status.signal is not None or status.exitCode or self._waiting:
            self.warn(f"{self.store.root}: {why}")
            self._answer([(t, ChildProcessError(why)) for t in list(self._waiting)])
        pipe.ended.callback(None)


class _Pipe(protocol.ProcessProtocol):
    """One committing process's pipes: answers in, its stderr kept (the last line is the reason
    given when it ends badly; every line goes to the debug log)."""

    def __init__(self, client: Client):
        self.client, self.buf, self.err = client, bytearray(), bytearray()
        self.answered, self.said = False, ""
        self.ended = defer.Deferred()  # fired once the process has exited

    def outReceived(self, data):
        self.buf += data
        for answers in frames(self.buf):
            self.answered = True
            self.client._answer(answers)

    def errReceived(self, data):
        self.err += data
        *lines, rest = self.err.split(b"\n")
        self.err = bytearray(rest)
        for line in lines:
            text = line.decode("utf-8", "replace").strip()
            if text:
                log.debug("committing process: %s", text)
                self.said = text

    def processEnded(self, reason):
        self.errReceived(b"\n")
        self.client._exited(self, reason)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
