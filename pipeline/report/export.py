"""Figures out of the notebook: PNG (150 dpi, 16:9), SVG and the CSV of the data drawn, with fixed
metadata, and the notebook display (`show`, `show_html`).

A figure is drawn once per format it is written in and never again for the display: the
notebook (and so its HTML page) embeds the exported PNG file's bytes.
"""

from __future__ import annotations

import base64
import contextlib
import html
import io
import re
from pathlib import Path

from policytrack.pipeline.core.safe import csv_frame
from policytrack.pipeline.report.draw import DISPLAY_DPI, data_of
from policytrack.pipeline.report.registry import chart_of
from policytrack.pipeline.store import atomic

EXPORT_DPI = 150  # with draw.FIGSIZE: 1920×1080 px
_NAME = re.compile(r"^[0-9a-z_]{1,64}$")


def export(fig, name: str, figures_dir: str | Path) -> tuple[Path, ...]:
    """Write `<name>.png` (EXPORT_DPI, 16:9, no cropping), `<name>.svg` and, when the figure
    carries its data (draw.decorate(data=…)), `<name>.csv`, each atomically; returns the paths.

    Names come from the chart registry or the notebooks, never from document text; the check
    keeps it that way.
    """
    if not _NAME.match(name):
        raise ValueError(f"figure name must match {_NAME.pattern}: {name!r}")
    out = Path(figures_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / f"{name}.png", out / f"{name}.svg"]
    with _laid_out(fig):
        for path, fmt in zip(paths, ("png", "svg"), strict=True):
            # atomic_path gives the file the umask's mode (shared reports), not mkstemp's 0600.
            with atomic.atomic_path(path, suffix=f".{fmt}") as tmp:
                fig.savefig(tmp, format=fmt, dpi=EXPORT_DPI, metadata=_metadata(fmt))
    data = data_of(fig)
    if data is not None:
        paths.append(out / f"{name}.csv")
        with atomic.atomic_path(paths[-1], suffix=".csv") as tmp:
            # BOM: spreadsheet apps then read the Chinese; cells that look like formulas escaped.
            csv_frame(data).to_csv(tmp, index=False, encoding="utf-8-sig")
    return tuple(paths)


@contextlib.contextmanager
def _laid_out(fig):
    """The figure laid out once, as the PNG export would (constrained layout measured with the
    Agg renderer at EXPORT_DPI), then both files drawn from those positions with no layout
    engine. savefig would otherwise lay out and pre-draw the figure for each file: four
    passes over every text instead of one layout and two draws."""
    engine = fig.get_layout_engine()
    if engine is None or type(engine).__name__ == "PlaceHolderLayoutEngine":
        yield
        return
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas, dpi = fig.canvas, fig.dpi
    try:
        fig.dpi = EXPORT_DPI
        FigureCanvasAgg(fig)  # a renderer at the export resolution to measure text with
        engine.execute(fig)
        # No engine at all, not set_layout_engine("none"): that leaves a placeholder engine,
        # and savefig pre-draws any figure with an engine (a whole draw per file, discarded).
        fig._layout_engine = None
        fig.dpi = dpi
        yield
    finally:
        fig.dpi = dpi
        fig.set_canvas(canvas)
        fig.set_layout_engine(engine)


def _metadata(fmt: str) -> dict:
    # Fixed metadata keeps exports byte-stable across runs (no creation date in the file).
    return {"Software": "policytrack"} if fmt == "png" else {"Date": None, "Creator": "policytrack"}


def show(fig, figures_dir: str | Path | None = None, name: str | None = None):
    """Export the figure (when figures_dir is set) and display it in the notebook.

    The file name is the registered chart's (see registry.py); `name` is for figures no
    registered function drew. Displayed as PNG plus an <img> with the figure title as alt text,
    so the HTML export is accessible and embeds the image (base64) instead of linking it. With
    figures_dir the exported PNG itself is shown; without, one light PNG (DISPLAY_DPI) is drawn.
    """
    drawn_as = chart_of(fig)
    name = name or (drawn_as.name if drawn_as else None)
    if name is None:
        raise ValueError("figure drawn by no registered chart: pass name=")
    if figures_dir:
        png = export(fig, name, figures_dir)[0].read_bytes()
    else:
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=DISPLAY_DPI)
        png = buf.getvalue()
    data = base64.b64encode(png).decode("ascii")
    title = (fig.get_suptitle() or name).split("\n")[0]  # the title, not its subtitle line
    img = f'<img src="data:image/png;base64,{data}" alt="{html.escape(title, quote=True)}" style="max-width:100%">'
    try:
        from IPython.display import display
    except ImportError:  # outside Jupyter: exporting was the point
        return None
    display({"image/png": data, "text/html": img, "text/plain": title}, raw=True)
    return None


def show_html(markup: str) -> None:
    from IPython.display import HTML, display

    display(HTML(markup))
