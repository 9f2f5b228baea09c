"""Progress display for long work: rich bars on a terminal, silent in CI (CI=true) or when stderr
is not a terminal (POLICYTRACK_PROGRESS=1 forces it on, =0 off).

Every bar opened while another is showing joins the same display, one line each, so nested work
reads as a tree: `build` → `parsing gwr` → `aligning items`; `report` → one line per notebook.
A finished bar leaves the display; the display itself goes when its last bar is done.

- `track(items, description, total)`: iterate with a bar (the common case);
- `task(description, total)`: a context manager yielding a `Bar` to advance or re-describe by
  hand (work that is not a loop, or done in threads).

While bars show, log records written to the terminal are printed above them instead of through
them.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")

_lock = threading.RLock()
_live = None  # the shared rich Progress while any bar is open
_open = 0  # bars open on it
_swapped: list[tuple[logging.StreamHandler, object]] = []


def enabled() -> bool:
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        return False
    forced = os.environ.get("POLICYTRACK_PROGRESS")
    if forced in ("0", "1"):
        return forced == "1"
    return sys.stderr.isatty()


class Bar:
    """One line of the display. Without a display (CI, piped) every method does nothing."""

    def __init__(self, progress=None, task_id=None):
        self._progress = progress
        self._id = task_id

    def advance(self, n: float = 1) -> None:
        if self._progress is not None:
            self._progress.advance(self._id, n)

    def update(self, *, description: str | None = None, total: float | None = None) -> None:
        if self._progress is not None:
            kw = {k: v for k, v in (("description", description), ("total", total)) if v}
            self._progress.update(self._id, **kw)


@contextlib.contextmanager
def task(description: str, total: float | None = None) -> Iterator[Bar]:
    """A bar on the shared display for the duration of the block."""
    if not enabled():
        yield Bar()
        return
    progress = _acquire()
    task_id = progress.add_task(description, total=total)
    try:
        yield Bar(progress, task_id)
    finally:
        progress.remove_task(task_id)
        _release()


def track(items: Iterable[T], description: str, total: int | None = None) -> Iterator[T]:
    """Iterate with a progress bar on stderr when enabled(); otherwise a plain iterator."""
    if not enabled():
        yield from items
        return
    if total is None and hasattr(items, "__len__"):
        total = len(items)  # type: ignore[arg-type]
    with task(description, total) as bar:
        for item in items:
            yield item
            bar.advance()


def _acquire():
    global _live, _open
    with _lock:
        if _live is None:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                SpinnerColumn,
                TextColumn,
                TimeElapsedColumn,
            )

            _live = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=Console(file=sys.stderr),
                transient=True,
            )
            _live.start()  # on a terminal, sys.stderr is now a proxy printing above the bars
            _route_logs(sys.stderr)
        _open += 1
        return _live


def _release() -> None:
    global _live, _open
    with _lock:
        _open -= 1
        if _open == 0 and _live is not None:
            _live.stop()
            _live = None
            _restore_logs()


def _route_logs(proxy) -> None:
    """Terminal log handlers write through the display's stderr proxy (above the bars)."""
    if proxy is sys.__stderr__:
        return
    for handler in logging.getLogger().handlers:
        if type(handler) is logging.StreamHandler and handler.stream is sys.__stderr__:
            _swapped.append((handler, handler.setStream(proxy)))


def _restore_logs() -> None:
    while _swapped:
        handler, stream = _swapped.pop()
        handler.setStream(stream)
