"""Worker processes for `build --jobs N` that hold no lock and die with their parent.

A forked worker would inherit the parent's open files, the data-dir locks among them (flock
belongs to the open file, which a fork shares), and would outlive a killed parent under PID 1,
holding the locks and jamming the next build. So workers come from a fresh forkserver process
(started by exec: it inherits no lock), and each worker asks the kernel to kill it when its
parent goes (PR_SET_PDEATHSIG), with a watchdog thread as a second line where prctl is missing.
"""

from __future__ import annotations

import collections
import contextlib
import ctypes
import itertools
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor

PR_SET_PDEATHSIG = 1
# Imported once in the forkserver, so each worker starts warm.
PRELOAD = ["policytrack.pipeline.jobs.build"]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _die_with_parent(build_pid: int) -> None:
    """Pool initializer: end this worker when its parent (the forkserver, which itself exits
    when the build process dies) or the build process is gone."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    parent = os.getppid()
    if parent == 1 or not _alive(build_pid):  # gone before prctl took effect
        os._exit(1)

    def watch() -> None:
        while os.getppid() == parent and _alive(build_pid):
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def process_pool(workers: int) -> ProcessPoolExecutor:
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(PRELOAD)
    return ProcessPoolExecutor(
        max_workers=workers, mp_context=ctx, initializer=_die_with_parent, initargs=(os.getpid(),)
    )


class LocalRunner:
    """Every task in this process, one after the other (`--jobs 1`). Tasks take `workers`:
    how many cores one task may use (-1: all)."""

    def runs_here(self, tasks: int) -> bool:
        """True when `tasks` tasks would all run in this process (and thread)."""
        return True

    def width(self) -> int:
        """How many tasks run at once."""
        return 1

    def map(self, fn, arglists: list[tuple], what: str) -> list:
        return list(self.imap(fn, arglists, what))

    def imap(self, fn, arglists: list[tuple], what: str) -> Iterator:
        """Results in order, each made when it is asked for (one in memory at a time)."""
        for args in arglists:
            yield fn(*args, workers=-1)

    def close(self) -> None:
        pass


class PoolRunner:
    """Tasks on `jobs` local worker processes, one source each; the pool starts on first use
    (a warm build starts none)."""

    def __init__(self, jobs: int):
        self.jobs = jobs
        self._pool: ProcessPoolExecutor | None = None

    def map(self, fn, arglists: list[tuple], what: str) -> list:
        from policytrack.pipeline.core.progress import track

        if len(arglists) == 1:  # one task: here, on every core, without starting a pool
            return LocalRunner().map(fn, arglists, what)
        if self._pool is None:
            self._pool = process_pool(self.jobs)
        # One source per process: each task on one core.
        futures = [self._pool.submit(fn, *args, workers=1) for args in arglists]
        return [f.result() for f in track(futures, f"{what} sources", total=len(futures))]

    def runs_here(self, tasks: int) -> bool:
        return tasks <= 1  # one task runs here (map, imap), without a pool

    def width(self) -> int:
        return self.jobs

    def imap(self, fn, arglists: list[tuple], what: str) -> Iterator:
        """Results in order, at most jobs + 1 tasks ahead of the consumer: a stage that adds up
        large per-source results holds a few of them, not all."""
        if self.runs_here(len(arglists)):
            yield from LocalRunner().imap(fn, arglists, what)
            return
        if self._pool is None:
            self._pool = process_pool(self.jobs)
        pool = self._pool
        yield from windowed(
            lambda args: pool.submit(fn, *args, workers=1), arglists, self.jobs + 1, what
        )

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


def windowed(submit, arglists: list[tuple], window: int, what: str) -> Iterator:
    """submit(args) → a future, for each; results yielded in order, keeping `window` futures
    in flight."""
    from policytrack.pipeline.core.progress import track

    pending: collections.deque = collections.deque()
    todo = iter(arglists)
    for args in itertools.islice(todo, window):
        pending.append(submit(args))

    def results():
        while pending:
            result = pending.popleft().result()
            nxt = next(todo, None)
            if nxt is not None:
                pending.append(submit(nxt))
            yield result

    try:
        yield from track(results(), f"{what} sources", total=len(arglists))
    finally:  # the consumer stopped or a task raised: the tasks not started yet never run
        for future in pending:
            future.cancel()
