"""Putting a report in place: a hidden build folder beside the target, renamed onto
`<out>/<day>/` only when every notebook ran (the previous report of that day stays until then);
a failed build kept as `.failed-<day>/`; folders left by killed runs swept."""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import tempfile
from pathlib import Path

from policytrack.pipeline.store.lock import pid_alive

log = logging.getLogger(__name__)


def new_build_dir(out_root: Path, stamp: str) -> Path:
    """Sweep what killed runs left, then make `.<day>.building.<pid>.*` in out_root."""
    sweep_stale(out_root)
    build = Path(tempfile.mkdtemp(prefix=f".{stamp}.building.{os.getpid()}.", dir=out_root))
    build.chmod(0o777 & ~_umask())  # mkdtemp makes 0700; the report is meant to be shared
    return build


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_STALE = re.compile(r"^\.[0-9-]+\.(?:building|old)\.(\d+)(?:\.|$)")
_OLD_DAY = re.compile(r"^\.([0-9-]+)\.old\.\d+$")


def sweep_stale(out_root: Path) -> None:
    """Remove build folders left by runs that were killed (their pid is gone)."""
    for path in out_root.iterdir():
        m = _STALE.match(path.name)
        if m and path.is_dir() and not pid_alive(int(m.group(1))):
            # Killed between the two renames of swap_into_place: the previous report is the
            # only copy of that day, so it goes back in place rather than away.
            day = _OLD_DAY.match(path.name)
            if day and not (out_root / day.group(1)).exists():
                log.info("restoring %s left by an interrupted run", path)
                os.replace(path, out_root / day.group(1))
                continue
            log.info("removing %s left by an interrupted run", path)
            shutil.rmtree(path, ignore_errors=True)


def swap_into_place(build: Path, final: Path) -> None:
    """Rename the finished build onto `final`; an older report of the same day is removed only
    after the new one is in place."""
    old = None
    if final.exists():
        old = final.with_name(f".{final.name}.old.{os.getpid()}")  # swept if we die here
        if old.exists():
            shutil.rmtree(old)
        os.replace(final, old)
    try:
        os.replace(build, final)
    except BaseException:
        if old is not None:
            os.replace(old, final)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def keep_failed(build: Path, out_root: Path, stamp: str) -> None:
    """Keep a failed build (with the failing executed notebook) as <out>/.failed-<day>/ for
    inspection, replacing an older failed one."""
    failed = out_root / f".failed-{stamp}"
    with contextlib.suppress(OSError):
        if failed.exists():
            shutil.rmtree(failed)
        os.replace(build, failed)
        return
    shutil.rmtree(build, ignore_errors=True)
