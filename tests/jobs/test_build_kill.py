"""SIGKILL `policytrack build --jobs 2` (several sources) while it parses, aligns and commits, and
`policytrack run --jobs 2` while it parses:
its pool workers die with it, the next build takes the lock over at once with one line, and the
data directory ends as an uninterrupted build leaves it."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time

import pytest

from policytrack.pipeline.jobs.ingest import ingest
from policytrack.pipeline.jobs.sourcecache import SourceCache
from policytrack.pipeline.store.lock import read_holder
from tests.support.datadir import assert_same, reference
from tests.support.documents import notice_text
from tests.support.procs import policytrack
from tests.support.proctree import descendants, kill_all, wait_gone
from tests.support.run import env

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("build_kill")]

HOLD = """
import sys
from policytrack.pipeline.store.lock import BuildLock
lock = BuildLock(sys.argv[1], "holder").acquire()
lock.phase("parse")
print("held", flush=True)
sys.stdin.readline()
lock.release()
"""
SOURCES = ("alpha", "beta", "gamma", "delta", "epsilon")


def add_year(data, tmp_path, year: int) -> None:
    for k, source in enumerate(SOURCES):
        p = tmp_path / f"{source}-{year}.txt"
        text = notice_text(year).replace("测试协会", f"测试{k}协会")
        # Longer documents: parsing and alignment take long enough to be caught in the act.
        extra = "".join(
            f"{n}、推进第{n}项重点工作。完善工作机制，加强督促检查。" for n in range(4, 60)
        )
        p.write_text(text + "三、其他工作\n" + extra.replace("。", "。\n"), encoding="utf-8")
        ingest([p], source, data)


def build_cmd(data) -> list[str]:
    return [*policytrack(), "build", "--data", str(data), "--jobs", "2"]


def phase(data) -> str | None:
    holder = read_holder(data / "processed" / "build.lock")
    return holder.phase if holder else None


def run_cmd(data) -> list[str]:
    out = data.parent / "reports"
    return [*policytrack(), "run", "--data", str(data), "--out", str(out), "--offline",
            "--no-report", "--jobs", "2"]  # fmt: skip


def kill_build_when(data, ready, what: str, cmd=build_cmd) -> tuple[int, set[int]]:
    """Start a build, SIGKILL it once `ready(pid)` holds; returns its pid and the processes it
    had started (every one must die with it)."""
    proc = subprocess.Popen(
        cmd(data), env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 120
    children: set[int] = set()
    try:
        while not ready(proc.pid):
            children |= descendants(proc.pid)
            if proc.poll() is not None:
                pytest.fail(f"the build ended (exit {proc.returncode}) before {what}")
            if time.monotonic() > deadline:
                pytest.fail(f"timed out waiting for {what}: {proc.stderr.read()}")
            time.sleep(0.005)
        children |= descendants(proc.pid)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stderr.close()
    return proc.pid, children


def test_killed_parallel_build_frees_the_lock_and_ends_like_an_uninterrupted_one(tmp_path):
    data = tmp_path / "data"
    for year in (2019, 2020, 2021):
        add_year(data, tmp_path, year)
    lock = data / "processed" / "build.lock"
    stages = [
        ("parse", lambda pid: phase(data) == "parse" and len(descendants(pid)) >= 3),
        ("analyse", lambda pid: phase(data) == "analyse" and len(descendants(pid)) >= 3),
        ("commit", lambda pid: phase(data) == "commit"),
    ]
    for year, (stage, ready) in zip((None, 2022, 2023), stages, strict=True):
        if year:  # new documents: each killed build has parsing and aligning to do
            add_year(data, tmp_path, year)
        pid, children = kill_build_when(data, ready, f"the {stage} stage")
        holder = read_holder(lock)
        assert (holder.pid, holder.phase) == (pid, stage)
        survivors = wait_gone(children, timeout=5)
        kill_all(survivors)
        assert survivors == set(), f"pool processes outlived the killed build ({stage})"

    # The next build takes the lock over at once, says so in one line, and finishes the work.
    t0 = time.monotonic()
    done = subprocess.run(build_cmd(data), env=env(), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    took = [ln for ln in done.stderr.splitlines() if "taking over" in ln]
    assert took == [
        f"WARNING policytrack.pipeline.store.lock: {lock}: taking over the lock of a build that "
        f"did not finish (pid {holder.pid}, started {holder.started_at}, phase commit)"
    ]
    assert not [ln for ln in done.stderr.splitlines() if "waiting for the build lock" in ln]
    assert time.monotonic() - t0 < 120
    assert_same(data, reference(data, tmp_path / "ref", jobs=2))


def test_killed_parallel_run_frees_both_locks(tmp_path):
    """`run --jobs 2` killed while its pool parses: no worker lives on holding run.lock (the
    next run said "another run holds the data directory", exit 2, every time); the next run
    takes both locks over, says so, and ends as an uninterrupted build."""
    data = tmp_path / "data"
    add_year(data, tmp_path, 2019)
    add_year(data, tmp_path, 2020)
    ready = lambda pid: phase(data) == "parse" and len(descendants(pid)) >= 3  # noqa: E731
    pid, children = kill_build_when(data, ready, "the parse stage", cmd=run_cmd)
    run_holder = read_holder(data / "run.lock")
    assert (run_holder.pid, run_holder.phase) == (pid, "build")
    lock = data / "processed" / "build.lock"
    build_holder = read_holder(lock)
    assert (build_holder.pid, build_holder.phase) == (pid, "parse")
    survivors = wait_gone(children, timeout=5)
    kill_all(survivors)
    assert survivors == set(), "pool processes outlived the killed run"
    # A source whose parse a worker finished before the kill is in its cache (written per
    # source): the next run reuses those documents and parses the others.
    cached = sum(len(SourceCache(data, s).load_state([]).get("doc_ids", [])) for s in SOURCES)
    done = subprocess.run(run_cmd(data), env=env(), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"note: took over the lock of an interrupted run ({run_holder.describe()})" in (
        done.stdout.splitlines()
    )
    assert [ln for ln in done.stderr.splitlines() if "taking over" in ln] == [
        f"WARNING policytrack.pipeline.store.lock: {data / 'run.lock'}: taking over the lock of "
        f"a run that did not finish ({run_holder.describe()})",
        f"WARNING policytrack.pipeline.store.lock: {lock}: taking over the lock of a build that "
        f"did not finish ({build_holder.describe()})",
    ]
    assert (
        f"build   parsed {10 - cached}, reused {cached}, aligned alpha, beta, delta, epsilon, gamma"
        in done.stdout
    ), done.stdout
    assert_same(data, reference(data, tmp_path / "ref", jobs=2))


def test_build_says_when_it_waits_for_the_lock(tmp_path):
    data = tmp_path / "data"
    add_year(data, tmp_path, 2019)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(data / "processed")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "held"
    held = read_holder(data / "processed" / "build.lock")
    build = subprocess.Popen(
        build_cmd(data), env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    first = build.stderr.readline().rstrip("\n")
    assert first == (
        f"WARNING policytrack.pipeline.store.lock: waiting for the build lock "
        f"{data / 'processed' / 'build.lock'} (held by pid {holder.pid}, started "
        f"{held.started_at}, phase parse)"
    )
    assert build.poll() is None  # still waiting
    holder.stdin.write("\n")
    holder.stdin.flush()
    holder.wait(10)
    out, err = build.communicate(timeout=120)
    assert build.returncode == 0, err
    assert re.search(r"parsed 5, reused 0", out)
