"""A disk that fills up during a build, for real: the data directory on a size-limited tmpfs
(needs root to mount; tests/jobs/test_run_faults.py injects the same fault without it). At every
fill level the build fails with one line and the previous tables stay current and readable;
with room again, the next build ends as an uninterrupted one."""

from __future__ import annotations

import os
import re
import subprocess

import pytest

from policytrack.pipeline.jobs.build import build
from policytrack.pipeline.jobs.ingest import ingest
from policytrack.pipeline.store import layout
from tests.support.datadir import assert_same, reference, tables
from tests.support.documents import notice_text
from tests.support.procs import policytrack
from tests.support.run import env

pytestmark = pytest.mark.slow


@pytest.fixture
def small_disk(tmp_path):
    mount = tmp_path / "disk"
    mount.mkdir()
    proc = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({proc.stderr.strip()}); see test_run_faults")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def add(data, tmp_path, year: int) -> None:
    for source in ("alpha", "beta"):
        p = tmp_path / f"{source}-{year}.txt"
        p.write_text(notice_text(year).replace("测试协会", f"{source}协会"), encoding="utf-8")
        ingest([p], source, data)


def fill(disk, leave: int) -> None:
    """Take all but `leave` bytes of the disk."""
    ballast = disk / "ballast"
    ballast.unlink(missing_ok=True)
    st = os.statvfs(disk)
    free = st.f_bavail * st.f_frsize
    with open(ballast, "wb") as fh:
        fh.write(b"\0" * max(0, free - leave))


def test_disk_full_at_any_point_keeps_the_previous_tables(small_disk, tmp_path):
    data = small_disk / "data"
    add(data, tmp_path, 2019)
    add(data, tmp_path, 2020)
    build(data)
    add(data, tmp_path, 2021)
    before = layout.current(data / "processed").name
    expected_tables = tables(data)
    cmd = [*policytrack(), "build", "--data", str(data)]
    failed = 0
    for leave in (0, 8_192, 32_768, 65_536, 131_072, 196_608, 262_144, 393_216):
        fill(small_disk, leave)
        proc = subprocess.run(cmd, env=env(), capture_output=True, text=True, timeout=120)
        if proc.returncode == 0:
            break
        failed += 1
        assert proc.returncode == 2, proc.stderr
        lines = [ln for ln in proc.stderr.splitlines() if not ln.startswith("WARNING ")]
        assert len(lines) == 1, proc.stderr
        assert re.fullmatch(
            rf"error: {re.escape(str(data))}/processed/\S+: No space left on device "
            r"\(previous tables kept\)",
            lines[0],
        ), lines[0]
        assert layout.current(data / "processed").name == before
        now = tables(data)
        for name, df in expected_tables.items():
            assert now[name].equals(df), name
        leftovers = [p.name for p in (data / "processed").rglob(".*")]
        assert leftovers == []
    assert failed >= 3  # the fill levels reached several writes of the build
    (small_disk / "ballast").unlink()
    build(data)
    assert layout.current(data / "processed").name != before
    assert_same(data, reference(data, tmp_path / "ref"))
