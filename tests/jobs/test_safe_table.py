"""docs/operations.md's "What is safe" table names a test for each row: each one exists."""

from __future__ import annotations

import ast
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def safe_rows() -> list[str]:
    text = (REPO / "docs" / "operations.md").read_text(encoding="utf-8")
    section = text.split("### What is safe", 1)[1].split("\n\n", 2)[2].split("\n\n", 1)[0]
    return [ln for ln in section.splitlines() if ln.startswith("| ") and "---" not in ln][1:]


def test_every_row_names_tests_that_exist():
    rows = safe_rows()
    assert len(rows) >= 30
    assert sum("hostile site" in row for row in rows) >= 14
    for row in rows:
        cell = row.rstrip(" |").rsplit("|", 1)[1]
        names = re.findall(r"`([\w/]+\.py)(?:::(\w+))?`", cell)
        assert names, row
        for path, func in names:
            source = (REPO / "tests" / path).read_text(encoding="utf-8")
            if func:
                defined = {
                    n.name for n in ast.walk(ast.parse(source)) if isinstance(n, ast.FunctionDef)
                }
                assert func in defined, f"{path}::{func} (named in docs/operations.md)"
