"""Helpers shared by the `policytrack run` / `demo` tests (no tests here).

Every run is a `policytrack` child process against a mirror of the sample site served by the test
process on 127.0.0.1, as the nightly job runs in production.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pandas as pd

from policytrack.pipeline.jobs.demo import demo_sources
from policytrack.pipeline.store.tables import read_table
from policytrack.sample.site.content import SAMPLE_DIR, Notice, filler_notices, hexid, load_sample
from policytrack.sample.site.mirror import MirrorSite
from tests.support.procs import policytrack

# Tables compared between runs; recorded_at is the fetch time, the only thing allowed to differ.
TABLES = ("documents", "items", "sentences", "terms", "term_timeline", "alignments", "threads")
SORT = {
    "documents": ["doc_id"],
    "items": ["doc_id", "ordinal"],
    "sentences": ["doc_id", "path", "sent_no"],
    "terms": ["doc_id", "term"],
    "term_timeline": ["source", "series", "term", "year"],
}


def env() -> dict:
    return {**os.environ, "CI": "true"}


def site(delay: float = 0.0, fillers: int = 12) -> MirrorSite:
    """The demo site (sample notices + a few fillers); `delay` slows each notice page."""
    notices = load_sample()
    for n in notices:
        n.delay = delay
    return MirrorSite(notices + filler_notices(fillers))


def notice_2025() -> Notice:
    """市科协2025年工作要点: the 2024 text with “双碳” replaced by “低空经济”."""
    text = (SAMPLE_DIR / "notices" / "a-2024.txt").read_text(encoding="utf-8")
    text = text.replace("2024", "2025").replace("“双碳”", "“低空经济”")
    paras = [p.strip() for p in text.splitlines() if p.strip()]
    return Notice(
        hexid("test", "a-2025"), "关于印发《市科协2025年工作要点》的通知", "2025-03-06 10:00",
        "市科协办公室", paras, "work_points",
    )  # fmt: skip


def write_sources(path: Path, base_url: str, extra: str = "") -> Path:
    path.write_text(demo_sources(base_url) + extra, encoding="utf-8")
    return path


def run_args(data: Path, sources: Path | None, out: Path, *more: str) -> list[str]:
    args = [*policytrack(), "run", "--data", str(data), "--out", str(out)]
    if sources is not None:
        args += ["--sources", str(sources)]
    return args + list(more)


def run_cli(args: list[str], cwd: Path, timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=cwd, env=env(), capture_output=True, text=True, timeout=timeout)


def manifest(data: Path, source: str = "demo") -> list[dict]:
    path = data / "raw" / source / "manifest.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def stats_lines(data: Path) -> list[dict]:
    path = data / "logs" / "stats.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def table(data: Path, name: str) -> pd.DataFrame:
    """A processed table in a stable row order, fetch times dropped."""
    df = read_table(data, name)
    df = df.drop(columns=[c for c in ("recorded_at",) if c in df.columns])
    keys = SORT.get(name) or [c for c in df.columns if df[c].map(_hashable).all()]
    return df.sort_values(keys, kind="stable").reset_index(drop=True)


def _hashable(v) -> bool:
    return isinstance(v, str | int | float | bool) or v is None


def temp_leftovers(root: Path) -> list[str]:
    """Hidden temp files or folders of atomic writers and report builds under `root`."""
    return sorted(
        str(p.relative_to(root))
        for p in root.rglob(".*")
        if not p.name.endswith(".lock") and not p.name.startswith(".failed-")
    )
