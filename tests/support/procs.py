"""Run `policytrack crawl` in a child process (a Twisted reactor cannot restart in one process).

Used by the tests, the benchmark and the demo: each crawl is a fresh process, as in production.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# Politeness for a local mirror: AutoThrottle stays on but starts without a delay, and retries
# back off briefly. Never use these against a real site.
FAST = {
    "AUTOTHROTTLE_START_DELAY": "0",
    "DOWNLOAD_DELAY": "0",
    "RETRY_BACKOFF_BASE": "0.05",
}
# Benchmarks and the distributed tests: no throttling at all (a local mirror only).
UNTHROTTLED = {
    "AUTOTHROTTLE_ENABLED": "False",
    "DOWNLOAD_DELAY": "0",
    "RETRY_BACKOFF_BASE": "0",
    "LOG_LEVEL": "WARNING",
}


def spawn_bench_mirror(notices: int, per_page: int | None = None):
    """Serve the generated benchmark site in its own process; returns (process, base URL)."""
    cmd = [sys.executable, "-m", "policytrack.sample.site", "--profile", "bench",
           "--notices", str(notices), "--port", "0"]  # fmt: skip
    if per_page is not None:
        cmd += ["--per-page", str(per_page)]
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, text=True)
    base = proc.stdout.readline().strip()
    if not base.startswith("http://127.0.0.1:"):
        proc.kill()
        proc.wait()
        raise RuntimeError("the benchmark mirror did not start")
    return proc, base


@dataclass
class CrawlRun:
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    cpu_seconds: float  # user + system time of the crawl process

    @property
    def failures(self) -> list[str]:
        return [
            ln.strip()[len("failed: ") :]
            for ln in self.stderr.splitlines()
            if ln.strip().startswith("failed: ")
        ]


def policytrack() -> list[str]:
    exe = Path(sys.executable).with_name("policytrack")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "policytrack.pipeline.cli"]


def crawl_command(
    data: Path, base_url: str | None, *args: str, settings: dict | None = None
) -> list[str]:
    cmd = [*policytrack(), "crawl", *args, "--data", str(data)]
    if base_url:
        cmd += ["--base-url", base_url]
    for k, v in (settings if settings is not None else FAST).items():
        cmd += ["--set", f"{k}={v}"]
    return cmd


def run_crawl(
    data: Path,
    base_url: str | None,
    *args: str,
    settings: dict | None = None,
    cwd: Path | None = None,
    timeout: float = 300,
) -> CrawlRun:
    env = {**os.environ, "CI": "true"}  # no progress display in captured output
    cmd = crawl_command(data, base_url, *args, settings=settings)
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        cmd,
        cwd=cwd or data.parent,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        raise
    return CrawlRun(proc.returncode, out, err, time.perf_counter() - t0, float("nan"))


def run_crawl_measured(
    data: Path, base_url: str | None, *args: str, settings: dict | None = None
) -> CrawlRun:
    """Like run_crawl, with the child's CPU seconds (os.wait4 on exactly this child)."""
    env = {**os.environ, "CI": "true"}
    cmd = crawl_command(data, base_url, *args, settings=settings)
    t0 = time.perf_counter()
    with (
        open(os.devnull, "w") as devnull,
        subprocess.Popen(
            cmd, cwd=data.parent, env=env, stdout=devnull, stderr=subprocess.PIPE, text=True
        ) as proc,
    ):
        err = proc.stderr.read()
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - t0
    cpu = usage.ru_utime + usage.ru_stime
    return CrawlRun(proc.returncode, "", err, seconds, cpu)
