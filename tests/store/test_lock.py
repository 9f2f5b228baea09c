"""The data-dir lock: one run at a time, a clear message naming the holder, stale locks taken
over. Holders are real processes (a Python child holding the flock)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from policytrack.pipeline.core.errors import LockError
from policytrack.pipeline.store.lock import RunLock, read_holder
from tests.support.procs import policytrack
from tests.support.run import env

HOLD = """
import sys, time
from policytrack.pipeline.store.lock import RunLock
lock = RunLock(sys.argv[1], "holder").acquire()
lock.phase("crawl")
print("held", flush=True)
time.sleep(120)
"""


@pytest.fixture
def holder(tmp_path):
    """A child process holding the lock of tmp_path/data, in phase crawl."""
    data = tmp_path / "data"
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(data)],
        stdout=subprocess.PIPE, text=True, cwd=Path(__file__).parents[2],
    )  # fmt: skip
    assert proc.stdout.readline().strip() == "held"
    yield proc, data
    if proc.poll() is None:
        proc.kill()
        proc.wait()


def test_second_lock_fails_at_once_naming_the_holder(holder, monkeypatch):
    proc, data = holder
    held = read_holder(data / "run.lock")

    def no_waiting(seconds):
        raise AssertionError(f"acquire() waited {seconds}s although the holder is alive")

    monkeypatch.setattr("policytrack.pipeline.store.lock.time.sleep", no_waiting)
    with pytest.raises(LockError) as err:
        RunLock(data).acquire()
    assert str(err.value) == (
        f"{data}: another run holds the data directory (pid {proc.pid}, started "
        f"{held.started_at}, phase crawl); lock file {data / 'run.lock'}"
    )


def test_second_run_exits_2_with_the_holder(holder, tmp_path):
    proc, data = holder
    run = subprocess.run(
        [*policytrack(), "run", "--data", str(data), "--offline"],
        cwd=tmp_path, env=env(), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert run.returncode == 2
    assert run.stdout == ""
    assert run.stderr.startswith(
        f"error: {data}: another run holds the data directory (pid {proc.pid}, started "
    )
    assert not (data / "logs").exists()  # the second run touched nothing


def test_lock_of_a_killed_run_is_taken_over(holder):
    proc, data = holder
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    with RunLock(data) as lock:
        assert lock.previous is not None
        assert (lock.previous.pid, lock.previous.phase) == (proc.pid, "crawl")
        assert read_holder(data / "run.lock").phase == "start"
    assert read_holder(data / "run.lock").phase == "done"
    with RunLock(data) as lock:  # a run that ended cleanly leaves nothing to take over
        assert lock.previous is None


def test_stale_lock_file_from_a_dead_pid(tmp_path):
    dead = subprocess.Popen(["true"])
    dead.wait()
    (tmp_path / "run.lock").write_text(
        json.dumps({"pid": dead.pid, "started_at": "2025-03-05T02:00:00Z", "phase": "report"})
    )
    with RunLock(tmp_path) as lock:
        assert lock.previous.describe() == (
            f"pid {dead.pid}, started 2025-03-05T02:00:00Z, phase report"
        )
        assert read_holder(tmp_path / "run.lock").pid != dead.pid
