"""A rich Table of long wrapped text printed without rich's per-cell render pass.

rich lays a table out once (column widths) and then renders every cell through its general
machinery (Text.wrap, Segment splitting and cropping, padding): for `policytrack diff`, whose
cells hold whole work items of Chinese text, that pass took longer than reading the tables.
`Grid(table)` prints the same characters as `console.print(table)`: rich still computes the
column widths, titles and captions, and the header row; the body cells (Text with `fold` or
fitting lines, no tabs or other line breaks) are wrapped here with rich's own line-breaking rule
(rich._wrap.divide_line) and emitted as styled segments, so a colour terminal shows the same
marks in colour. Any table or cell outside that subset is rendered by rich itself, and
tests/cli/test_grid.py compares the two outputs on tables of mixed text and widths.
"""

from __future__ import annotations

import re

from rich.cells import cell_len
from rich.padding import Padding
from rich.segment import Segment
from rich.style import Style
from rich.table import Table
from rich.text import Text

try:  # rich's own line-breaking rule; without it (another rich), rich renders the table
    from rich._wrap import divide_line
except ImportError:  # pragma: no cover
    divide_line = None

# Characters rich's Text treats as a tab or a line break (str.splitlines) besides "\n".
_ODD = re.compile("[\t\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
_TRAILING_SPACE = re.compile(r"\s+$")


class Grid:
    """A renderable: `console.print(Grid(table))` prints what `console.print(table)` would."""

    def __init__(self, table: Table):
        self.table = table

    def __rich_console__(self, console, options):
        t = self.table
        if not _supported(t):
            yield t
            return
        widths = t._calculate_column_widths(
            console, options.update_width(options.max_width - t._extra_width)
        )
        table_width = sum(widths) + t._extra_width
        render_options = options.update(width=table_width, highlight=t.highlight, height=None)
        if t.title:
            yield from _annotation(console, render_options, t.title, "table.title", t)
        yield from self._body(console, options, widths)
        if t.caption:
            yield from _annotation(console, render_options, t.caption, "table.caption", t)

    def _body(self, console, options, widths):
        t = self.table
        box = t.box.substitute(options, safe=console.safe_box if t.safe_box is None else t.safe_box)
        new_line = Segment.line()
        yield Segment(box.get_top(widths))
        yield new_line
        header = []
        for width, column in zip(widths, t.columns, strict=True):
            style = console.get_style(t.header_style or "") + console.get_style(column.header_style)
            lines = console.render_lines(
                Padding(column.header, (0, 1, 0, 1)),
                _cell_options(options, width, column),
                style=style,
            )
            header.append((lines, width, style))
        height = max(len(lines) for lines, _, _ in header)
        cells = [
            Segment.set_shape(Segment.align_bottom(lines, w, height, style), w, height)
            for lines, w, style in header
        ]
        rows = list(zip(*(c.cells for c in t.columns), strict=True))
        edges = (box.head_left, box.head_vertical, box.head_right)
        yield from _lines(cells, height, edges)
        yield Segment(box.get_row(widths, "head", edge=True))
        yield new_line
        for index, row in enumerate(rows):
            last = index == len(rows) - 1
            cells = [
                _cell(console, options, cell, width, column)
                for cell, width, column in zip(row, widths, t.columns, strict=True)
            ]
            height = max(len(c) for c in cells)
            cells = [
                c + [[Segment(" " * width)]] * (height - len(c))
                for c, width in zip(cells, widths, strict=True)
            ]
            if last:
                edges = (box.foot_left, box.foot_vertical, box.foot_right)
            else:
                edges = (box.mid_left, box.mid_vertical, box.mid_right)
            yield from _lines(cells, height, edges)
            if t.show_lines and not last:
                yield Segment(box.get_row(widths, "row", edge=True))
                yield new_line
        yield Segment(box.get_bottom(widths))
        yield new_line


def _supported(t: Table) -> bool:
    """The tables Grid renders itself: rich's defaults but for the box, lines and columns'
    justify/overflow (what `policytrack diff` uses)."""
    return (
        divide_line is not None
        and t.box is not None
        and t.show_header
        and t.show_edge
        and not t.show_footer
        and tuple(t.padding) == (0, 1, 0, 1)
        and not t.collapse_padding
        and t.pad_edge
        and not t.leading
        and not t.row_styles
        and not t.expand
        and t.width is None
        and t.min_width is None
        and t.style in (None, "", "none")
        and not t.border_style
        and all(not r.style and not r.end_section for r in t.rows)
        and all(
            not c.no_wrap
            and not c.style
            and c.vertical == "top"
            and c.justify in ("left", "right")
            and c.overflow in ("fold", "ellipsis", "crop")
            for c in t.columns
        )
    )


def _cell_options(options, width, column):
    return options.update(
        width=width,
        justify=column.justify,
        no_wrap=column.no_wrap,
        overflow=column.overflow,
        height=None,
        highlight=column.highlight,
    )


def _annotation(console, render_options, text, style, t):
    """A title or caption, as rich's Table renders it."""
    justify = t.title_justify if style == "table.title" else t.caption_justify
    if isinstance(text, str):
        picked = Style.pick_first(
            t.title_style if style == "table.title" else t.caption_style, style
        )
        text = console.render_str(text, style=picked, highlight=False)
    return console.render(text, options=render_options.update(justify=justify))


def _lines(cells, height, edges):
    left, divider, right = (Segment(e) for e in edges)
    new_line = Segment.line()
    for n in range(height):
        yield left
        for k, cell in enumerate(cells):
            if k:
                yield divider
            yield from cell[n]
        yield right
        yield new_line


def _cell(console, options, cell, width, column) -> list[list[Segment]]:
    """The cell's lines (padding included), each `width` cells wide."""
    lines = _wrapped(console, cell, width - 2, column) if isinstance(cell, Text) else None
    if lines is None:  # rich renders what the fast path does not cover
        lines = console.render_lines(
            Padding(cell, (0, 1, 0, 1)), _cell_options(options, width, column), style=Style.null()
        )
    return lines


def _wrapped(console, text: Text, width: int, column) -> list[list[Segment]] | None:
    """Text.wrap + justify + pad for a plain Text cell, or None when it needs rich."""
    plain = text.plain
    if (
        width < 1
        or text.justify
        or text.overflow
        or text.no_wrap is not None
        or text.style
        or text.end != "\n"
        or _ODD.search(plain)
    ):
        return None
    spans = sorted(text.spans, key=lambda s: s.start)
    if any(a.end > b.start for a, b in zip(spans, spans[1:], strict=False)):
        return None
    ranges = []
    offset = 0
    for line in plain.split("\n"):
        if column.overflow == "fold":
            breaks = divide_line(line, width, fold=True)
        elif cell_len(line) <= width:
            breaks = []
        else:
            return None
        bounds = [0, *breaks, len(line)]
        for a, b in zip(bounds, bounds[1:], strict=False):
            if b - a > width:  # Text.rstrip_end: whitespace beyond the width (in characters)
                space = _TRAILING_SPACE.search(line, a, b)
                if space is not None:
                    b -= min(space.end() - space.start(), b - a - width)
            if column.justify == "right":
                b = a + len(line[a:b].rstrip())
            ranges.append((offset + a, offset + b))
        offset += len(line) + 1
    out = []
    styles = [(s.start, s.end, console.get_style(s.style, default=Style.null())) for s in spans]
    first = 0  # spans ending before the current line are done with (lines run forward)
    for a, b in ranges:
        used = cell_len(plain[a:b])
        if used > width:  # cropped by rich (set_cell_size): leave it to rich
            return None
        pad = Segment(" " * (width - used))
        segs = [Segment(" ")]
        if column.justify == "right" and used < width:
            segs.append(pad)
        while first < len(styles) and styles[first][1] <= a:
            first += 1
        at = a
        for s, e, style in styles[first:]:
            if s >= b:
                break
            s, e = max(s, a), min(e, b)
            if s >= e:
                continue
            if s > at:
                segs.append(Segment(plain[at:s]))
            segs.append(Segment(plain[s:e], style))
            at = e
        if at < b:
            segs.append(Segment(plain[at:b]))
        if column.justify != "right" and used < width:
            segs.append(pad)
        segs.append(Segment(" "))
        out.append(segs)
    return out
