"""`build --dask`: a real `dask scheduler` and two `dask worker` processes on 127.0.0.1. The
tables equal a local build's, and a worker SIGKILLed in the middle of a task loses nothing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from policytrack.pipeline.jobs.build import build
from tests.jobs.test_build_kill import SOURCES, add_year
from tests.support.datadir import assert_same, reference
from tests.support.run import env

distributed = pytest.importorskip("distributed", reason="Dask is the `dask` extra")

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("dask")]
REPO = Path(__file__).resolve().parents[2]
DASK = str(Path(sys.executable).with_name("dask"))


class Cluster:
    def __init__(self, root: Path):
        self.root = root
        self.file = root / "scheduler.json"
        self.procs: list[subprocess.Popen] = []
        self.workers: dict[str, int] = {}  # address → pid

    def start(self, n_workers: int = 2) -> None:
        self._spawn("scheduler", [DASK, "scheduler", "--host", "127.0.0.1", "--port", "0",
                                  "--no-dashboard", "--scheduler-file", str(self.file)])  # fmt: skip
        deadline = time.monotonic() + 60
        while not (self.file.exists() and self.file.read_text().strip().endswith("}")):
            assert time.monotonic() < deadline, "the scheduler did not start"
            time.sleep(0.1)
        for k in range(n_workers):
            self._spawn(f"worker{k}", [DASK, "worker", "--scheduler-file", str(self.file),
                                       "--nthreads", "1", "--no-nanny", "--no-dashboard",
                                       "--name", f"w{k}"])  # fmt: skip
        self.client = distributed.Client(scheduler_file=str(self.file), timeout=30)
        self.client.wait_for_workers(n_workers, timeout=60)
        self.workers = self.client.run(os.getpid)

    @property
    def address(self) -> str:
        return json.loads(self.file.read_text())["address"]

    def _spawn(self, name: str, cmd: list[str]) -> None:
        log = open(self.root / f"{name}.log", "w")  # noqa: SIM115 (closed with the process)
        self.procs.append(subprocess.Popen(cmd, cwd=REPO, env=env(), stdout=log, stderr=log))

    def stop(self) -> None:
        if getattr(self, "client", None) is not None:
            self.client.close()
        # One at a time, the workers before the scheduler: a worker told to stop while the
        # scheduler closes can hang in its own close (distributed's rpc.close, cancelled).
        for p in reversed(self.procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
            try:
                p.wait(15)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


@pytest.fixture
def cluster(tmp_path):
    c = Cluster(tmp_path)
    try:
        c.start()
        yield c
    finally:
        c.stop()


def corpus(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    for year in (2019, 2020, 2021, 2022):
        add_year(data, tmp_path, year)
    return data


def dask_build(data: Path, address: str) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "policytrack.pipeline.cli", "build", "--data", str(data),
           "--dask", address]  # fmt: skip
    return subprocess.Popen(
        cmd, env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def test_dask_build_equals_a_local_build(cluster, tmp_path):
    data = corpus(tmp_path)
    proc = dask_build(data, cluster.address)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    assert "parsed 20, reused 0" in out
    # Every pass ran on the cluster, one task per source (the lexicon's discovery passes: per
    # run of consecutive sources, two per worker): parsing, the lexicon's three passes
    # (jobs/corpus.py), alignment.
    keys = cluster.client.run_on_scheduler(
        lambda dask_scheduler: sorted({str(t[0]) for t in dask_scheduler.transition_log})
    )
    passes = {k.rsplit("-", 2)[0] for k in keys}
    assert passes == {"parsing", "counting n-grams in runs of", "scoring phrases in runs of",
                      "counting terms in", "aligning"}, keys  # fmt: skip
    assert sum(k.startswith("counting terms in-") for k in keys) == len(SOURCES)
    for discovery in ("counting n-grams in runs of-", "scoring phrases in runs of-"):
        runs = sorted(k.rsplit("-", 2)[1] for k in keys if k.startswith(discovery))
        assert runs == ["alpha+1", "delta", "epsilon", "gamma"]  # 5 like sources, 2 workers
    local = reference(data, tmp_path / "local", jobs=1)
    assert_same(data, local)
    # Warm: nothing is sent to the cluster, nothing committed.
    again = build(data, dask=cluster.address)
    assert (again.parsed, again.aligned_sources, again.changed) == (0, [], False)
    # A data directory with nothing to parse yet builds empty tables, as it does locally.
    empty = tmp_path / "empty"
    (empty / "raw").mkdir(parents=True)
    first = build(empty, dask=cluster.address)
    assert (first.parsed, first.doc_ids, first.failures) == (0, [], [])


def test_a_worker_killed_mid_task_loses_nothing(cluster, tmp_path):
    data = corpus(tmp_path)
    proc = dask_build(data, cluster.address)
    deadline = time.monotonic() + 120
    victim = key = None
    while victim is None:
        assert proc.poll() is None, proc.stderr.read()
        assert time.monotonic() < deadline, "no task seen on a worker"
        for address, keys in cluster.client.processing().items():
            running = [k for k in keys if str(k).startswith(("parsing-", "aligning-"))]
            if running:
                victim, key = address, running[0]
                break
        else:
            time.sleep(0.01)
    os.kill(cluster.workers[victim], signal.SIGKILL)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    # The task was running on the killed worker and ran again on the other one.
    story = cluster.client.story(key)
    starts = [t for t in story if t[2] == "waiting" and t[3] == "processing"]
    assert len(starts) >= 2 and story[-1][3] in ("memory", "released", "forgotten"), story
    assert len(cluster.client.scheduler_info()["workers"]) == 1
    assert_same(data, reference(data, tmp_path / "local", jobs=1))


def test_unreachable_scheduler_is_one_line(tmp_path):
    data = tmp_path / "data"
    add_year(data, tmp_path, 2019)
    proc = subprocess.run(
        [sys.executable, "-m", "policytrack.pipeline.cli", "build", "--data", str(data),
         "--dask", "tcp://127.0.0.1:9"],
        env=env(), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 2
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(
        "error: --dask tcp://127.0.0.1:9: cannot connect ("
    ), proc.stderr
