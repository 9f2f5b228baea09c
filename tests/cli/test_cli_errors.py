"""Command errors name what exists and what to type: each case runs the real `policytrack` in a
child process and must print exactly one line on stderr (no traceback) and exit 2.

The tables are the hand-made ones of tests/support/tiny.py: source testorg (series 测试协会工作要点)
has documents for 2017, 2018, 2019 and 2021; source sample has 2020 and 2021. Every expected
message below is written from those tables.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from policytrack.pipeline.store.tables import read_table, write_tables
from tests.support import tiny
from tests.support.procs import policytrack
from tests.support.tiny import write_tiny_dataset

pytestmark = pytest.mark.xdist_group("cli-errors")
TABLES = ("documents", "items", "sentences", "terms", "alignments", "threads", "term_timeline")


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return write_tiny_dataset(tmp_path_factory.mktemp("tiny") / "data")


def run(*args: str, cwd=None) -> subprocess.CompletedProcess:
    env = {**os.environ, "CI": "true", "COLUMNS": "200"}
    return subprocess.run(
        [*policytrack(), *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=120
    )


CASES = [
    (
        ["diff", "TESTORG", "2017", "2018"],
        "source 'TESTORG': not in the data; sources: sample, testorg; "
        "try: policytrack diff testorg 2017 2018",
    ),
    (
        ["diff", "testorg", "2018", "2017"],  # reversed: said so, with the command that works
        "diff: 2018 is after 2017: give the earlier year first; "
        "try: policytrack diff testorg 2017 2018",
    ),
    (
        ["diff", "testorg", "2019", "2019"],
        "diff: both years are 2019: give two different years; "
        "try: policytrack diff testorg 2019 2021",
    ),
    (
        ["diff", "testorg", "2019", "2020"],  # 2020 is the gap: the years there are, and 2021
        "testorg / 测试协会工作要点: no document for 2020; years: 2017–2019, 2021; "
        "try: policytrack diff testorg 2019 2021",
    ),
    (
        ["diff", "testorg", "2016", "2018"],
        "testorg / 测试协会工作要点: no document for 2016; years: 2017–2019, 2021; "
        "try: policytrack diff testorg 2017 2018",
    ),
    (
        ["diff", "testorg", "2018", "2019", "--series", "没有"],
        "source 'testorg': no series '没有'; series: 测试协会工作要点",
    ),
    (
        ["diff", "testorg", "2018", "2019", "--level", "para"],
        "--level must be one of item, section, paragraph, sentence, not 'para'",
    ),
    (
        ["report", "--source", "nope"],
        "source 'nope' not in the data; available: sample, testorg",
    ),
    (
        ["report", "--series", "x"],
        "series 'x' not in source 'testorg'; available: 测试协会工作要点",
    ),
    (
        ["report", "--years", "1990-1995"],
        "source 'testorg' has no documents in 1990–1995; years available: 2017–2019, 2021",
    ),
    (["report", "--years", "2025-2010"], "--years: 2025 is after 2010"),
    (["report", "--years", "soon"], "--years: expected YYYY or YYYY-YYYY, got 'soon'"),
    (["report", "--lang", "fr"], "--lang must be one of zh, en, not 'fr'"),
    (["report", "--watch", '["三大攻坚战", 3]'], "--watch: every term must be a string, not 3"),
    (
        ["report", "--watch", '["三大攻坚战"'],
        "--watch: not a JSON list of terms (Expecting ',' delimiter)",
    ),
    (["report", "--jobs", "0"], "--jobs must be at least 1, not 0"),
    (["terms", "TESTORG"], "TESTORG: no such source; available: sample, testorg"),
    (["terms", "testorg", "--years", "2021-2017"], "--years: 2021 is after 2017"),
    # {tmp} is the test's own folder: a gold file that is not there, a folder without gold files
    (["evaluate", "--gold", "{tmp}/gold.json"], "{tmp}/gold.json: file not found"),
    (["evaluate", "--gold", "{tmp}"], "{tmp}: no *.json gold files in the folder"),
]


@pytest.mark.slow
@pytest.mark.parametrize(("args", "message"), CASES, ids=[" ".join(c[0]) for c in CASES])
def test_error_is_one_line_naming_what_exists(data, tmp_path, args, message):
    more = ["--data", str(data)]
    if args[0] == "report":
        more += ["--out", str(tmp_path / "reports")]
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    proc = run(*args, *more)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr == f"error: {message.replace('{tmp}', str(tmp_path))}\n"
    assert not (tmp_path / "reports").exists() or not any((tmp_path / "reports").iterdir())


@pytest.mark.slow
def test_missing_data_dir_names_the_file_and_the_command(tmp_path):
    proc = run("diff", "testorg", "2018", "2019", "--data", str(tmp_path / "none"))
    assert proc.returncode == 2
    assert proc.stderr == (
        f"error: {tmp_path / 'none' / 'processed'}: no tables yet; "
        f"run `policytrack build --data {tmp_path / 'none'}` first\n"
    )


def hostile_tiny(data: Path) -> Path:
    """The tiny tables with a series named `[/x]协会[bold]` (rich's MarkupError before), an item
    text and a term carrying terminal escape sequences (OSC retitle, CSI clear screen)."""
    write_tiny_dataset(data)
    frames = {n: read_table(data, n, required=False) for n in TABLES}
    frames = {n: df for n, df in frames.items() if df is not None}
    for name in ("documents", "items", "alignments", "threads", "term_timeline"):
        frames[name]["series"] = frames[name]["series"].replace(tiny.SERIES, "[/x]协会[bold]")
    items = frames["items"]
    items["text"] = items["text"].str.replace("坚持党的", "坚持\x1b]0;pwned\x07\x1b[2J党的")
    tl = frames["term_timeline"]
    tl["term"] = tl["term"].replace("四个意识", "[/x]四个\x1b[2J意识")
    tl["canonical"] = tl["canonical"].replace("四个意识", "[/x]四个\x1b[2J意识")
    write_tables(data, frames, strict=False)
    return data


@pytest.mark.slow
def test_markup_and_escape_sequences_in_names_and_text_print_as_text(tmp_path):
    """diff and terms print such names as written and no escape sequence from the data."""
    data = hostile_tiny(tmp_path / "data")
    proc = run("diff", "testorg", "2018", "2019", "--data", str(data))
    assert proc.returncode == 0, proc.stderr
    assert "testorg / [/x]协会[bold]: 2018 → 2019 (item)" in proc.stdout
    assert "\x1b" not in proc.stdout and "\x07" not in proc.stdout
    assert "坚持党的领导" in proc.stdout  # the sequences are gone, the text is whole
    proc = run("terms", "testorg", "--data", str(data))
    assert proc.returncode == 0, proc.stderr
    assert "testorg / [/x]协会[bold] (2017–2021; " in proc.stdout
    assert "[/x]四个意识" in proc.stdout
    assert "\x1b" not in proc.stdout and "\x07" not in proc.stdout


def test_help_shows_classic_placeholders():
    """No typer-style `<bool>`, `<list[str]>`, `{source}` or `[[SOURCE...]]...` in any help."""
    from typer.testing import CliRunner

    from policytrack.pipeline.cli.app import app

    runner = CliRunner()  # the program is called "root" here
    commands = ["", "diff", "report", "run", "demo", "build", "crawl", "worker", "terms"]
    for command in commands:
        out = runner.invoke(app, [*command.split(), "--help"], env={"COLUMNS": "200"}).output
        for bad in ("<bool>", "<str>", "<int>", "<path>", "list[", "{", "[["):
            assert bad not in out, f"{command or 'policytrack'} --help: {bad}"
    diff = runner.invoke(app, ["diff", "--help"], env={"COLUMNS": "200"}).output
    assert "Usage: root diff [OPTIONS] SOURCE YEAR_A YEAR_B" in diff
    assert "--data" in diff and " DIR " in diff
    run_help = runner.invoke(app, ["run", "--help"], env={"COLUMNS": "200"}).output
    assert "Usage: root run [OPTIONS] [SOURCE]..." in run_help
