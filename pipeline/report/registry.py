"""The chart registry: every figure of the report, its file name and its titles, declared once on
the function that draws it.

A chart is registered by decorating its plot function in a `plots_*.py` module:

    @chart("02_term_heatmap", zh="重点提法逐年状态", en="Priority terms by year and status")
    def plot_heatmap(matrix, note, lang="zh"):
        fig, ax, lab = draw.start(lang)
        ...
        return draw.decorate(fig, plot_heatmap.chart.title(lang), note)

The name is the figure's file stem (`figures/<name>.png` and `.svg`); its two-digit prefix is the
notebook that shows it. The figure a decorated function returns carries its chart, so a notebook
shows it with `export.show(fig, figures_dir)`, no name repeated. The report's index (titles,
order) and the report tests read the registry: `charts()` lists every chart, `charts("02")` those
of one notebook, in notebook order and then in the order they are defined.

Adding a chart:
1. views.py: a function from the tables (DataFrames) to what the chart shows (a small DataFrame
   or records), with a unit test in tests/test_charts.py;
2. plots_<notebook>.py: the plot function decorated with `@chart(name, zh=..., en=...)`, starting
   with `draw.start(lang)` (16:9, CJK font, labels) and returning
   `draw.decorate(fig, <fn>.chart.title(lang), note)` (title and footnote);
   a new `plots_*.py` module is found on its own (every `plots_*` module of this package is
   imported when the registry is listed);
3. the notebook: one cell calling the view, the plot and `export.show(fig, figures_dir)`.
The report test then expects `figures/<name>.png` and `.svg` in the executed report.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from policytrack.pipeline.report.labels import check_lang

NAME = re.compile(r"^[0-9]{2}_[0-9a-z_]{1,61}$")  # a notebook prefix, then a safe file stem
_ATTR = "policytrack_chart"  # where a drawn figure keeps its chart


@dataclass(frozen=True)
class Chart:
    """One registered figure: file stem, titles, and the function that draws it."""

    name: str
    zh: str
    en: str
    plot: Callable = field(compare=False, repr=False)

    @property
    def notebook(self) -> str:
        """The two-digit prefix of the notebook that shows this chart ("02")."""
        return self.name[:2]

    def title(self, lang: str) -> str:
        return self.zh if check_lang(lang) == "zh" else self.en


_CHARTS: dict[str, Chart] = {}


def chart(name: str, *, zh: str, en: str) -> Callable[[Callable], Callable]:
    """Register the decorated plot function as figure `name` with its zh/en titles."""
    if not NAME.match(name):
        raise ValueError(f"chart name must match {NAME.pattern}: {name!r}")

    def register(fn: Callable) -> Callable:
        known = _CHARTS.get(name)
        if known is not None and _where(known.plot) != _where(fn):  # a module reload is fine
            raise ValueError(f"chart {name!r} is already drawn by {_where(known.plot)}")
        entry = Chart(name=name, zh=zh, en=en, plot=fn)
        _CHARTS[name] = entry

        @functools.wraps(fn)
        def plot(*args, **kwargs):
            fig = fn(*args, **kwargs)
            setattr(fig, _ATTR, entry)
            return fig

        plot.chart = entry  # type: ignore[attr-defined]
        return plot

    return register


def _where(fn: Callable) -> str:
    return f"{fn.__module__}.{fn.__qualname__}"


def charts(notebook: str | Path | None = None) -> list[Chart]:
    """Every registered chart (or those of one notebook: "02", "02_priority_timelines.ipynb"),
    by notebook, then in the order they are defined."""
    _discover()
    found = sorted(_CHARTS.values(), key=lambda c: c.notebook)  # stable: definition order kept
    if notebook is None:
        return found
    prefix = Path(notebook).name[:2]
    return [c for c in found if c.notebook == prefix]


def get(name: str) -> Chart:
    _discover()
    if name not in _CHARTS:
        raise KeyError(f"no chart named {name!r}; registered: {', '.join(_CHARTS)}")
    return _CHARTS[name]


def chart_of(fig) -> Chart | None:
    """The chart a figure was drawn as (None for a figure no registered function drew)."""
    return getattr(fig, _ATTR, None)


@functools.cache
def _discover() -> None:
    """Import every plots_* module of this package, so each registers its charts."""
    package = __name__.rsplit(".", 1)[0]
    folder = Path(__file__).resolve().parent
    for mod in sorted(pkgutil.iter_modules([str(folder)]), key=lambda m: m.name):
        if mod.name.startswith("plots_"):
            importlib.import_module(f"{package}.{mod.name}")
