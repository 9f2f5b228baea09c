"""One run per data directory: an exclusive lock on DIR/run.lock that names its holder.

The lock is an flock(2) on the file, so the kernel releases it the moment the holder dies (also
on SIGKILL): a lock left by a dead process is free and is simply taken over. The file's content
(pid, start time, host, current phase) only tells a second run whom it is waiting for, and tells
the next holder what an interrupted run was doing when it died.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import socket
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from policytrack.pipeline.core.errors import LockError
from policytrack.pipeline.store.rawstore import now_iso

log = logging.getLogger(__name__)

LOCK_NAME = "run.lock"
BUILD_LOCK_NAME = "build.lock"


@dataclass
class Holder:
    pid: int
    started_at: str
    host: str = ""
    phase: str = ""  # start | crawl | build | report | done
    command: str = ""

    def describe(self) -> str:
        where = f" on {self.host}" if self.host and self.host != socket.gethostname() else ""
        phase = f", phase {self.phase}" if self.phase else ""
        return f"pid {self.pid}{where}, started {self.started_at}{phase}"


def read_holder(path: Path) -> Holder | None:
    """What the lock file says (None when empty or unreadable: a run that ended cleanly)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8") or "null")
        return Holder(**{k: data[k] for k in Holder.__dataclass_fields__ if k in data})
    except (OSError, ValueError, TypeError, KeyError):
        return None


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


class RunLock:
    """`with RunLock(data_dir, command) as lock:` … `lock.phase("build")` …

    `lock.previous` is the holder recorded by an earlier run that did not end cleanly (it died
    or was killed), or None.
    """

    what = "run"

    def __init__(self, data_dir: str | Path, command: str = "", wait: float = 5.0):
        self.path = Path(data_dir) / LOCK_NAME
        self.command = command
        self.wait = wait  # seconds to wait when the recorded holder is dead but the lock held
        self.previous: Holder | None = None
        self.holder: Holder | None = None
        self._fd: int | None = None

    def _open(self) -> int:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Close-on-exec (os.open's default), and never shared with a forked child: build pools
        # start their workers from a fresh process (jobs/pool.py), so only this process holds it.
        return os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)

    def _blocked(self, fd: int) -> None:
        """The lock is held by someone else: raise, or wait until it is free."""
        deadline = time.monotonic() + self.wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                holder = read_holder(self.path)
                # The recorded holder is gone but the lock is still held: a child it left
                # behind is still closing (it dies with its parent). Give it a moment.
                if holder and not pid_alive(holder.pid) and time.monotonic() < deadline:
                    time.sleep(0.1)
                    continue
                os.close(fd)
                who = holder.describe() if holder else "a process that left no details"
                raise LockError(
                    f"{self.path.parent}: another run holds the data directory ({who}); "
                    f"lock file {self.path}"
                ) from None

    def acquire(self) -> RunLock:
        fd = self._open()
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._blocked(fd)
        self._fd = fd
        previous = read_holder(self.path)
        if previous and previous.phase != "done":
            self.previous = previous
            log.warning(
                "%s: taking over the lock of a %s that did not finish (%s)",
                self.path,
                self.what,
                previous.describe(),
            )
        self.holder = Holder(os.getpid(), now_iso(), socket.gethostname(), "start", self.command)
        self._write()
        return self

    def phase(self, name: str) -> None:
        if self.holder is not None:
            self.holder.phase = name
            self._write()

    def release(self, finished: bool = True) -> None:
        """Unlock. A run that did not finish (an exception, Ctrl-C) leaves its phase recorded,
        so the next run knows what was interrupted."""
        if self._fd is None:
            return
        if finished:
            with contextlib.suppress(OSError):
                self.phase("done")
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)
        self._fd = None

    def _write(self) -> None:
        # Rewritten in place (not renamed): the flock belongs to this inode.
        data = (json.dumps(asdict(self.holder), ensure_ascii=False) + "\n").encode()
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, data, 0)
        os.fsync(self._fd)

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(self, exc_type, exc, tb) -> None:
        self.release(finished=exc_type is None)


class BuildLock(RunLock):
    """One build at a time per data directory: `DIR/processed/build.lock`, naming its holder.

    Unlike the run lock, a second build waits for the first to finish, and says so once:
    `waiting for the build lock DIR/processed/build.lock (pid 4242, started …, phase parse)`.
    """

    what = "build"

    def __init__(self, processed: str | Path, command: str = "build"):
        super().__init__(processed, command)
        self.path = Path(processed) / BUILD_LOCK_NAME

    def _blocked(self, fd: int) -> None:
        holder = read_holder(self.path)
        if holder and not pid_alive(holder.pid):
            who = f"a process left behind by {holder.describe()}, which is gone"
        else:
            who = holder.describe() if holder else "a process that left no details"
        log.warning("waiting for the build lock %s (held by %s)", self.path, who)
        fcntl.flock(fd, fcntl.LOCK_EX)
