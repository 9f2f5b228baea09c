"""SIGKILL `policytrack run` during the crawl, the build and the report; re-run; compare with an
uninterrupted run. No duplicate manifest records, no lost documents, no half-written table or
report, and the previous report stays in place until the new one is complete.

Kill points are found by watching the run from outside: manifest lines (crawl), the phase the
run writes into DIR/run.lock (build, report) and the report's hidden build folder (report).
"""

from __future__ import annotations

import signal
import subprocess
import time
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from policytrack.pipeline.store import layout
from policytrack.pipeline.store.lock import read_holder
from tests.support.run import (
    TABLES,
    env,
    manifest,
    notice_2025,
    run_args,
    run_cli,
    site,
    table,
    temp_leftovers,
    write_sources,
)

pytestmark = [pytest.mark.xdist_group("run"), pytest.mark.slow]  # end to end


class Job:
    def __init__(self, root: Path, sources: Path):
        self.root, self.sources = root, sources
        self.data, self.reports = root / "data", root / "reports"

    def args(self) -> list[str]:
        return run_args(self.data, self.sources, self.reports, "--notebook", "01")

    def run(self) -> subprocess.CompletedProcess:
        return run_cli(self.args(), cwd=self.root)

    def kill_when(self, ready, what: str, timeout: float = 90) -> None:
        """Start a run and SIGKILL it as soon as `ready()` holds."""
        proc = subprocess.Popen(
            self.args(), cwd=self.root, env=env(),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + timeout
        try:
            while not ready():
                if proc.poll() is not None:
                    pytest.fail(f"the run ended (exit {proc.returncode}) before {what}")
                if time.monotonic() > deadline:
                    pytest.fail(f"timed out waiting for {what}")
                time.sleep(0.01)
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait()

    def phase(self) -> str | None:
        holder = read_holder(self.data / "run.lock")
        return holder.phase if holder else None

    def building(self) -> list[Path]:
        return list(self.reports.glob(".*.building.*")) if self.reports.exists() else []

    @property
    def today(self) -> Path:
        return self.reports / date.today().isoformat()


REPORT_01 = sorted(
    ["index.html", "explorer.html", "01_corpus_overview.ipynb", "01_corpus_overview.html"]
    + [
        f"figures/01_{name}.{ext}"
        for name in ("documents_per_year", "coverage", "items_per_section")
        for ext in ("png", "svg", "csv")
    ]
)


def manifest_lines(data: Path) -> int:
    path = data / "raw" / "demo" / "manifest.jsonl"
    return path.read_bytes().count(b"\n") if path.exists() else 0


def snapshot(path: Path) -> dict[str, bytes]:
    return {str(p.relative_to(path)): p.read_bytes() for p in path.rglob("*") if p.is_file()}


@pytest.fixture
def mirror():
    s = site(delay=0.25)  # slow notice pages: the crawl lasts long enough to be killed mid-way
    with s.serve():
        yield s


def test_killed_runs_end_like_an_uninterrupted_one(tmp_path, mirror):
    sources = write_sources(tmp_path / "sources.toml", mirror.base_url)
    killed = Job(tmp_path / "killed", sources)
    killed.root.mkdir()

    # 1. During the crawl: some notices stored, others not yet.
    killed.kill_when(lambda: manifest_lines(killed.data) >= 3, "3 stored notices")
    assert 3 <= manifest_lines(killed.data) < 9
    # 2. During the build, once the first per-source table is on disk. (Where exactly the kill
    # lands after that depends on scheduling; every point must end like an uninterrupted run.)
    cache = killed.data / "processed" / "sources" / "demo"
    killed.kill_when(
        lambda: killed.phase() == "build" and any(cache.glob("documents.*.parquet")),
        "the build's first table",
    )
    # 3. During the report, before any report exists: no half report appears.
    killed.kill_when(lambda: bool(killed.building()), "the report build folder")
    assert not killed.today.exists()
    # 4. Completes: everything the killed runs left undone is done, and summarised.
    done = killed.run()
    assert done.returncode == 0, done.stdout + done.stderr
    assert "took over the lock of an interrupted run" in done.stdout
    assert "new notices: 9" in done.stdout  # no completed run before: all nine are news
    report_before = snapshot(killed.today)
    assert "index.html" in report_before and "01_corpus_overview.html" in report_before

    # 5. A new notice; killed while its report is being built: the old report stays intact.
    mirror.add(notice_2025())
    killed.kill_when(
        lambda: killed.phase() == "report" and bool(killed.building()), "the second report"
    )
    assert snapshot(killed.today) == report_before
    # 6. Completes, and still reports the new notice (the killed run never finished).
    done = killed.run()
    assert done.returncode == 0, done.stdout + done.stderr
    assert "new notices: 1" in done.stdout and "+ 2025 市科协2025年工作要点" in done.stdout
    assert snapshot(killed.today) != report_before

    # The same site, one uninterrupted run (its report is not needed: the killed run's report is
    # checked file by file below).
    clean = Job(tmp_path / "clean", sources)
    clean.root.mkdir()
    ref = run_cli(clean.args() + ["--no-report"], cwd=clean.root)
    assert ref.returncode == 0, ref.stdout + ref.stderr

    records = manifest(killed.data)
    assert len(records) == len({r["doc_id"] for r in records}) == 10  # no duplicates
    assert len({r["url"] for r in records}) == 10
    assert {(r["url"], r["sha256"]) for r in records} == {
        (r["url"], r["sha256"]) for r in manifest(clean.data)
    }
    for name in TABLES:
        pd.testing.assert_frame_equal(table(killed.data, name), table(clean.data, name))
    assert sorted(snapshot(killed.today)) == REPORT_01  # complete, nothing extra
    assert temp_leftovers(killed.data / "processed") == []
    assert temp_leftovers(killed.reports) == []
    build_report = layout.current(killed.data / "processed").report
    assert build_report["documents"] == 10 and build_report["failures"] == []


def test_sigterm_stops_the_run_cleanly(tmp_path):
    """SIGTERM during the crawl: Scrapy finishes what is in flight and the run stops before the
    build (exit 1). SIGTERM later is not swallowed by Scrapy's handlers: the run dies at once."""
    with site(delay=0.25).serve() as base_url:
        sigterm_scenario(tmp_path, write_sources(tmp_path / "sources.toml", base_url))


def sigterm_scenario(tmp_path: Path, sources: Path) -> None:
    job = Job(tmp_path, sources)
    proc = subprocess.Popen(job.args(), cwd=tmp_path, env=env(), stdout=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while manifest_lines(job.data) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 1, out
    assert "build   skipped: the crawl was stopped by a signal (SIGTERM / Ctrl-C)" in out
    assert not (job.data / "processed").exists()
    stored = manifest_lines(job.data)
    assert 2 <= stored <= 9 and len(manifest(job.data)) == stored  # every line whole

    proc = subprocess.Popen(job.args(), cwd=tmp_path, env=env(), stdout=subprocess.DEVNULL)
    while job.phase() != "build" and proc.poll() is None:
        time.sleep(0.01)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == -signal.SIGTERM
    # The next run will know where it died (under load the build may already be over).
    assert read_holder(job.data / "run.lock").phase in ("build", "report")
