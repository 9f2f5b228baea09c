"""The run's voice: stage progress on a terminal, everything at INFO in logs/run-<ts>.log."""

from __future__ import annotations

import contextlib
import logging
import sys
from pathlib import Path

from policytrack.pipeline.core import progress
from policytrack.pipeline.core.errors import oneline

log = logging.getLogger("policytrack.pipeline.jobs.run")


def say(message: str) -> None:
    """Stage progress on a terminal (silent in CI or when piped); always in the log."""
    log.info("%s", message)
    if progress.enabled() and not _console_shows_info():
        print(f"· {message}", file=sys.stderr, flush=True)


def _console_shows_info() -> bool:
    return any(
        getattr(h, "stream", None) in (sys.stderr, sys.stdout) and h.level <= logging.INFO
        for h in logging.getLogger().handlers
        if not isinstance(h, logging.FileHandler)
    )


@contextlib.contextmanager
def run_log(path: Path, verbose: bool):
    """Log INFO and up to `path` for the run; the console keeps its level (WARNING unless -v)."""
    root = logging.getLogger()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.FileHandler(path, encoding="utf-8")
    except OSError as err:  # a full or read-only disk must not stop the run; say so instead
        log.warning("%s: no run log (%s)", path, oneline(err))
        handler = logging.NullHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.setLevel(logging.INFO)
    old_level = root.level
    consoles = [h for h in root.handlers if not isinstance(h, logging.FileHandler)]
    old = [(h, h.level) for h in consoles]
    for h in consoles:
        # The summary is the run's output; per-stage detail goes to the log file.
        h.setLevel(max(h.level, old_level if verbose else logging.WARNING))
    root.setLevel(min(old_level or logging.WARNING, logging.INFO))
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        handler.close()
        root.setLevel(old_level)
        for h, level in old:
            h.setLevel(level)
