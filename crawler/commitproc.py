"""The crawl's committing process: staged notices in on stdin, results out on stdout.

`python -m policytrack.crawler.commitproc DATA SOURCE [PARENT_PID]` commits what the crawler's item pipeline
stages (crawler/store.py `Commit.commit_all`: each new file written under a temporary name,
fsynced once and renamed into place, then the batch's records appended under the manifest lock,
the commit point). A process of its own, not a thread: the file system work (file creation, the
fsyncs) never contends for the crawler's GIL, so the reactor thread is never made to wait or
woken up by it. Frames are a 4-byte big-endian length and a pickle: in, (token, Staged); out,
one list [(token, True | None | exception)] per batch (True: the record was appended; None:
another worker had recorded this very page). End of input: the batch in hand is
committed, the directories and the manifest are fsynced (`Commit.close`), and the process exits.
SIGINT and SIGTERM are ignored: a stopping crawl closes the input, and what was submitted is
still committed. A crawl that is killed takes it along (Linux: the parent-death signal), as it
took its committing thread before: a crash loses the records not yet appended, never more.
"""

from __future__ import annotations

import os
import pickle
import select
import signal
import struct
import sys
import time
from pathlib import Path

HEADER = struct.Struct(">I")


def frame(obj) -> bytes:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    return HEADER.pack(len(data)) + data


class Frames:
    """Complete frames out of a byte stream fed in pieces."""

    def __init__(self):
        self.buf = bytearray()

    def feed(self, data: bytes) -> list:
        self.buf += data
        out, at = [], 0
        while len(self.buf) - at >= HEADER.size:
            (size,) = HEADER.unpack_from(self.buf, at)
            if len(self.buf) - at - HEADER.size < size:
                break
            start = at + HEADER.size
            out.append(pickle.loads(self.buf[start : start + size]))
            at = start + size
        del self.buf[:at]
        return out


def _answer(result):
    """What the crawler needs of a commit's result: True (appended), None, or the exception
    (one that pickles: any other becomes a RuntimeError with its text)."""
    if not isinstance(result, BaseException):
        return None if result is None else True
    try:
        pickle.dumps(result)
        return result
    except Exception:  # noqa: BLE001
        return RuntimeError(f"{type(result).__name__}: {result}")


def serve(data_dir: str, source: str, most: int = 64, gather: float = 0.02) -> None:
    from policytrack.crawler.store import Commit, ManifestIndex
    from policytrack.pipeline.store.rawstore import RawStore

    store = RawStore(Path(data_dir), source)
    commit, index = Commit(store), ManifestIndex(store.manifest)
    fd_in, out = sys.stdin.fileno(), sys.stdout.buffer
    frames, pending, open_ = Frames(), [], True
    try:
        while open_ or pending:
            if not pending:
                chunk = os.read(fd_in, 1 << 20)
                if not chunk:
                    break
                pending += frames.feed(chunk)
                if not pending:
                    continue
                time.sleep(gather)  # the notices staged meanwhile join this batch
            while open_ and select.select([fd_in], [], [], 0)[0]:
                chunk = os.read(fd_in, 1 << 20)
                if not chunk:
                    open_ = False
                    break
                pending += frames.feed(chunk)
            batch, pending = pending[:most], pending[most:]
            results = commit.commit_all([staged for _, staged in batch], index)
            out.write(frame([(t, _answer(r)) for (t, _), r in zip(batch, results, strict=True)]))
            out.flush()
    finally:
        commit.close()


def die_with(parent: int) -> None:
    """SIGKILL this process when `parent` dies (Linux prctl PR_SET_PDEATHSIG; elsewhere the
    end of input ends it)."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # it died before the prctl
        os._exit(1)


def main(argv: list[str] | None = None) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    args = argv if argv is not None else sys.argv[1:]
    if len(args) > 2:
        die_with(int(args[2]))
    serve(args[0], args[1])


if __name__ == "__main__":
    main()
