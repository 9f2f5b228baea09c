"""Untrusted text on its way out (core/safe.py): rich markup, terminal escape sequences, CSV
formulas. Each expected value is written from the rule, not from the function's output."""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest
from rich.console import Console

from policytrack.pipeline.core.safe import csv_cell, csv_frame, rich_escape, terminal_text


def rendered(markup: str) -> str:
    console = Console(width=200, color_system=None, highlight=False)
    with console.capture() as cap:
        console.print(markup, end="")
    return cap.get()


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("[/x]", "\\[/x]"),  # a closing tag with nothing open: rich's MarkupError
        ("a[bold]b[/bold]", "a\\[bold]b\\[/bold]"),
        ("[link=http://e]y[/link]", "\\[link=http://e]y\\[/link]"),
        ("第[1]条", "第[1]条"),  # not tag-shaped to rich (a tag starts with a letter, #, / or @)
        ("plain 文本", "plain 文本"),
    ],
)
def test_rich_escape_prints_markup_as_written(text, escaped):
    assert rich_escape(text) == escaped
    assert rendered(rich_escape(text)) == text
    assert rendered(f"[bold]{rich_escape(text)}[/bold]") == text  # embedded in markup too


def test_rich_escape_trailing_backslash_cannot_swallow_the_next_tag():
    # "a\" followed by "[bold]" would escape the tag; the backslash is doubled, which rich
    # turns back into one before a tag.
    assert rich_escape("a\\") == "a\\\\"
    assert rendered(f"{rich_escape('a' + chr(92))}[bold]b[/bold]") == "a\\b"


@pytest.mark.parametrize(
    ("text", "clean"),
    [
        ("ok\x1b[31mred\x1b[0m", "okred"),  # colour (CSI … m)
        ("a\x1b[2J\x1b[Hb", "ab"),  # clear screen, cursor home
        ("a\x1b]0;pwned\x07b", "ab"),  # OSC 0: window title, BEL-terminated
        ("a\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\b", "alinkb"),  # OSC 8 hyperlink, ST
        ("x\x9b2Jy", "xy"),  # 8-bit CSI
        ("x\x9d0;t\x9cy", "xy"),  # 8-bit OSC … 8-bit ST
        ("cut\x1b[", "cut"),  # a sequence cut off at the end
        ("cut\x1b]0;title", "cut"),
        ("a\x1bcb", "ab"),  # ESC c: full reset
        ("a\x00b\x07c\x08d\x7fe\x85f", "abcdef"),  # NUL, BEL, backspace, DEL, C1 NEL
        ("over\rwrite", "overwrite"),  # no carriage return to overwrite the line
        ("tab\there\nline\r\n", "tab\there\nline\n"),  # tab and newline stay
        ("bidi\u202eevil\u2066x\u2069", "bidievilx"),  # bidi override / isolates
        (
            "市科协2019年工作要点《纲要（2021—2035年）》",
            "市科协2019年工作要点《纲要（2021—2035年）》",
        ),
    ],
)
def test_terminal_text_removes_sequences_and_controls(text, clean):
    assert terminal_text(text) == clean


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ('=HYPERLINK("http://evil")', '\'=HYPERLINK("http://evil")'),
        ("+1+2", "'+1+2"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("a=1", "a=1"),  # only the first character counts
        ("三大攻坚战", "三大攻坚战"),
        ("", ""),
        (-5, -5),  # numbers are numbers, not text
        (2.5, 2.5),
        (None, None),
    ],
)
def test_csv_cell_escapes_formula_starts(value, cell):
    assert csv_cell(value) == cell


def test_csv_frame_escapes_text_cells_and_headers_only():
    df = pd.DataFrame(
        {
            "term": ["=1+1", "双碳", "@x"],
            "count": [-1, 2, 3],
            "=h": ["a", "b", "c"],
            "years": [[2018, 2019], [], ["-1", "x"]],
        }
    )
    out = csv_frame(df)
    assert df["term"].tolist() == ["=1+1", "双碳", "@x"]  # the input is not modified
    buf = io.StringIO()
    out.to_csv(buf, index=False)
    rows = list(csv.reader(io.StringIO(buf.getvalue())))
    assert rows == [
        ["term", "count", "'=h", "years"],
        ["'=1+1", "-1", "a", "2018;2019"],  # list cells joined with ;
        ["双碳", "2", "b", ""],
        ["'@x", "3", "c", "'-1;x"],  # … and escaped like any text
    ]
