"""Grid prints a rich Table with the same characters (and colours) as rich itself, while
wrapping the body cells on its own (`policytrack diff`, issue 17.4)."""

from __future__ import annotations

import io
import random

import pytest
from rich.console import Console
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from policytrack.pipeline.cli import grid
from policytrack.pipeline.cli.grid import Grid

WORDS = ["加强科普工作", "推进", "a", "16%", "BM25", "“三大攻坚战”", "，", "。", "long" * 30,
         "全面建成小康社会" * 12, "  ", "3.1  ", "x y z", "😀", "\n", "\n\n", "e\u0301"]  # fmt: skip


def cell(rng: random.Random) -> Text:
    t = Text()
    for _ in range(rng.randrange(0, 12)):
        kind = rng.choice(["equal", "delete", "insert"])
        text = "".join(rng.choice(WORDS) for _ in range(rng.randrange(1, 4)))
        if kind == "delete":
            t.append(f"[-{text}-]", style="red strike")
        elif kind == "insert":
            t.append(f"{{+{text}+}}", style="green underline")
        else:
            t.append(text)
    return t


def table(rng: random.Random, n_rows: int) -> Table:
    t = Table(title=Text("甲 / 乙: 2018 → 2019 (item)"), caption=Text("dropped 1\nscore"), show_lines=True)  # fmt: skip
    t.add_column("relation")
    t.add_column("similarity · score", justify="right")
    t.add_column("2018", overflow="fold", ratio=1)
    t.add_column("2019", overflow="fold", ratio=1)
    for _ in range(n_rows):
        rel = rng.choice(["unchanged", "revised", "new", "reappeared"])
        t.add_row(Text(rel), Text(rng.choice(["", "— · 1.9", "87 · 4.9"])), cell(rng), cell(rng))
    return t


def printed(renderable, width: int, colour: bool) -> str:
    console = Console(
        file=io.StringIO(),
        width=width,
        highlight=False,
        force_terminal=colour,
        color_system="truecolor" if colour else None,
    )
    console.print(renderable)
    return console.file.getvalue()


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("width", [24, 61, 120, 200])
def test_grid_prints_what_rich_prints(seed, width):
    rows = 0 if seed == 0 else seed % 5 + 1
    for colour in (False, True):
        rich_out = printed(table(random.Random(seed), rows), width, colour)
        assert printed(Grid(table(random.Random(seed), rows)), width, colour) == rich_out


def test_the_body_is_wrapped_by_grid_not_by_rich(monkeypatch):
    """The fast path is taken for diff's cells: rich renders only the header row and titles."""
    rendered = []
    real = Console.render_lines

    def count(self, renderable, *args, **kwargs):
        rendered.append(renderable)
        return real(self, renderable, *args, **kwargs)

    monkeypatch.setattr(Console, "render_lines", count)
    t = table(random.Random(3), 5)
    assert grid._supported(t)
    printed(Grid(t), 200, False)
    cells = [r.renderable for r in rendered if isinstance(r, Padding)]
    assert cells == ["relation", "similarity · score", "2018", "2019"]  # the header only


def test_other_tables_are_left_to_rich():
    t = table(random.Random(1), 2)
    t.expand = True
    assert not grid._supported(t)
    assert printed(Grid(t), 90, False) == printed(t, 90, False)
