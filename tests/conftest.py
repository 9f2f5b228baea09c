"""Shared fixtures. ../shared (beside the repo) holds the seed notice and the GWR corpus."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("POLICYTRACK_SHARED", REPO.parent / "shared"))
SEED = SHARED / "seeds" / "000_ed69cb8f54072c8b.txt"
GWR = SHARED / "corpus" / "government_work_reports.jsonl"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _need(path: Path) -> Path:
    if path.exists():
        return path
    reason = f"{path} is absent (../shared beside the repo holds the seed and corpus)"
    if IN_CI:
        # These tests must run in CI, never silently skip there.
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def seed_path() -> Path:
    return _need(SEED)


@pytest.fixture(scope="session")
def gwr_path() -> Path:
    return _need(GWR)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    d = tmp_path / "data"
    (d / "raw").mkdir(parents=True)
    (d / "processed").mkdir(parents=True)
    return d


# Module fixtures that build a corpus or execute notebooks (tens of seconds each): a test that
# uses one is slow whether or not it says so, so `make test-fast` never pays for the fixture.
HEAVY_FIXTURES = {
    "gwr_build", "cpc_build", "district_build", "gwr_report", "sample_report", "tiny_report",
    "project",
}  # fmt: skip


def pytest_collection_modifyitems(config, items):
    for item in items:
        if HEAVY_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
