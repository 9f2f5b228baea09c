"""Untrusted text on its way out: to rich (markup), to a terminal (escape sequences), to a
spreadsheet (formulas). Document text, titles and file names come from sites we do not control;
each output path has one function here, used by every command that writes there.

- `rich_escape`: text that rich would read as markup (`[/x]`, `[bold]`) printed as written.
- `terminal_text`: ESC/CSI/OSC sequences and other control characters removed, so a scraped
  title cannot move the cursor, retitle the window, hide text or plant a hyperlink.
- `csv_cell` / `csv_frame`: a cell starting with = + - @ (or tab / carriage return) gets a
  leading apostrophe, so a spreadsheet shows it as text instead of running it as a formula
  (`csv_frame` also writes list cells as `a;b`).
"""

from __future__ import annotations

import re

# ESC sequences: CSI (ESC [ … final byte), OSC / DCS / SOS / PM / APC strings (ESC ] … up to BEL or
# ESC \, or the end of the text), and two-byte ESC Fe / Fp / Fs forms. Their 8-bit C1 spellings
# (0x9b CSI, 0x9d OSC, 0x90 DCS, …) are matched too.
_ESCAPES = re.compile(
    r"""
    (?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?                   # CSI, final byte optional (cut off)
  | (?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])             # OSC, DCS, SOS, PM, APC …
    [^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?               # … up to BEL, ST or the end
  | \x1b[ -/]*[0-~]?                                    # any other ESC sequence
    """,
    re.VERBOSE,
)
# Left after the sequences are gone: C0 controls but tab and newline, DEL, C1 controls, and
# the bidirectional overrides/isolates that make text read differently from what it is.
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def rich_escape(text: object) -> str:
    """`text` as rich markup that prints exactly as written: `[/x]` → `\\[/x]`, and a trailing
    backslash doubled so it cannot escape the markup that follows."""
    from rich.markup import escape

    return escape(str(text))


def terminal_text(text: object) -> str:
    """`text` with escape sequences and control characters removed (tab and newline kept;
    a carriage return is dropped, `\\r\\n` becomes `\\n`)."""
    return _CONTROLS.sub("", _ESCAPES.sub("", str(text)))


def csv_cell(value):
    """A CSV cell that a spreadsheet will not evaluate: a string starting with = + - @, tab or
    carriage return gets a leading `'`; anything else (numbers included) is returned as is."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def csv_frame(df):
    """A copy of a DataFrame ready for a spreadsheet: list cells (years, paths) joined as
    `2018;2019`, then `csv_cell` applied to every text cell and header (numbers untouched)."""
    out = df.copy()
    for col in out.columns:
        if out[col].dtype != object and not str(out[col].dtype).startswith("str"):
            continue
        if out[col].map(_is_list).any():
            out[col] = [";".join(map(str, v)) if _is_list(v) else v for v in out[col]]
        out[col] = out[col].map(csv_cell)
    out.columns = [csv_cell(str(c)) for c in out.columns]
    return out


def _is_list(value) -> bool:
    return isinstance(value, list | tuple) or type(value).__name__ == "ndarray"
