"""Import hygiene (issue 17.5): `policytrack --help` and every command's `--help` load neither
the numeric stack nor the crawler. Each case runs the real entry point in a fresh interpreter
with `-X importtime`, which prints one line per module actually imported, and reads the
top-level package names from it.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.support import tiny
from tests.support.procs import REPO
from tests.support.tiny import write_tiny_dataset

# What a help screen must never pay for (scipy alone is ~0.5 s; pandas + numpy ~0.4 s).
HEAVY = {
    "scipy",
    "pandas",
    "numpy",
    "matplotlib",
    "pyarrow",
    "scrapy",
    "twisted",
    "jupyter_client",
    "dask",
    "distributed",
}


def top_level(stderr: str) -> set[str]:
    """Top-level package names in `-X importtime` output (`import time: self | cumul | name`)."""
    names = set()
    for line in stderr.splitlines():
        if line.startswith("import time:") and line.count("|") == 2:
            name = line.rsplit("|", 1)[1].strip()
            if name != "package":  # the header line
                names.add(name.split(".")[0])
    return names


def run_cli(*args: str) -> subprocess.CompletedProcess:
    """`python -X importtime -m policytrack.pipeline.cli ARGS` in a fresh interpreter."""
    return subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "policytrack.pipeline.cli", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, "CI": "true", "COLUMNS": "200"},
        timeout=60,
    )


def imported(*args: str) -> set[str]:
    """What `python -m policytrack.pipeline.cli ARGS` (a help screen) imported."""
    proc = run_cli(*args)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Usage:" in proc.stdout
    return top_level(proc.stderr)


def commands() -> list[str]:
    import typer.main

    from policytrack.pipeline.cli.app import app

    return sorted(typer.main.get_command(app).commands)


def test_the_commands_checked_below_are_the_cli_s():
    assert {"diff", "terms", "report", "build", "crawl"} <= set(commands())


@pytest.mark.parametrize("args", [["--help"], *([c, "--help"] for c in commands())])
def test_help_imports_no_numeric_stack(args):
    names = imported(*args)
    assert {"policytrack", "typer"} <= names  # the reading works: the CLI was loaded
    assert names & HEAVY == set()


def test_the_reading_sees_a_heavy_import():
    """The check bites: a table read (pandas, pyarrow) shows up in the same reading."""
    code = "import policytrack.pipeline.store.tables as t, pandas, pyarrow.dataset"
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert {"policytrack", "pandas", "numpy", "pyarrow"} <= top_level(proc.stderr)


def test_diff_of_stored_links_imports_no_pandas(tmp_path):
    """`policytrack diff` on built tables reads them with pyarrow alone and aligns nothing:
    neither pandas nor the scoring stack is imported (issue 17.5)."""
    data = write_tiny_dataset(tmp_path / "data")
    proc = run_cli("diff", tiny.SOURCE, "2018", "2019", "--data", str(data))
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "(no stored links" not in proc.stdout
    assert "merged 2, new 1, revised 1, unchanged 1" in proc.stdout
    names = top_level(proc.stderr)
    assert {"policytrack", "pyarrow", "rich"} <= names
    assert names & {"pandas", "scipy", "matplotlib", "dask", "scrapy"} == set()


def test_diff_that_aligns_live_does_import_pandas(tmp_path):
    """The check bites: years without stored links are aligned now, with pandas and scipy."""
    data = write_tiny_dataset(tmp_path / "data")
    proc = run_cli("diff", tiny.SOURCE, "2017", "2019", "--data", str(data))
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "aligned these two years directly" in proc.stdout
    assert {"pandas", "scipy"} <= top_level(proc.stderr)
