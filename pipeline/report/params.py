"""The notebooks' parameters, checked once: whatever way a notebook is run (`policytrack report`,
papermill `-p`/`-y`, JupyterLab, `jupyter nbconvert --execute`), each value is either understood
or refused with one line naming the parameter, what it got and what it takes.

`data_dir` is found, not assumed: a kernel started by Jupyter runs in notebooks/, so a relative
`data_dir` (default `$POLICYTRACK_DATA`, else `data`) is looked up in the working directory and
then in each folder above it, up to the project root (the folder with pyproject.toml or .git).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from policytrack.pipeline.core.errors import ConfigError
from policytrack.pipeline.report.labels import check_lang
from policytrack.pipeline.text.watch import default_watch, parse_watch

ENV_DATA = "POLICYTRACK_DATA"
LEVELS = ("item", "section", "paragraph", "sentence")
_YEARS = re.compile(r"\s*(\d{4})\s*(?:[-–:]\s*(\d{4}))?\s*")
_ROOT_MARKS = ("pyproject.toml", ".git")


@dataclass(frozen=True)
class Params:
    """Every notebook parameter, checked (see the notebooks' `parameters` cell)."""

    data_dir: Path
    source: str | None = None
    series: str | None = None
    years: list[int] | None = None
    watch: tuple[str, ...] = ()
    lang: str = "zh"
    figures_dir: str | None = None
    top_n: int = 30
    window: int = 3
    level: str = "item"
    thread: str | None = None
    max_pairs: int = 8


def check(
    data_dir=None,
    source=None,
    series=None,
    years=None,
    watch=None,
    lang="zh",
    figures_dir=None,
    top_n=30,
    window=3,
    level="item",
    thread=None,
    max_pairs=8,
    *,
    cwd: Path | None = None,
) -> Params:
    """The parameters as the notebooks use them; ConfigError (one line) for any bad value."""
    if level not in LEVELS:
        raise ConfigError(f"level: one of {', '.join(LEVELS)}, not {level!r}")
    return Params(
        data_dir=find_data_dir(data_dir, cwd=cwd),
        source=_name("source", source),
        series=_name("series", series),
        years=parse_years(years, where="years"),
        watch=tuple(parse_watch(watch, where="watch") or default_watch()),
        lang=check_lang(lang),
        figures_dir=None if figures_dir in (None, "") else str(_path("figures_dir", figures_dir)),
        top_n=_count("top_n", top_n),
        window=_count("window", window),
        level=level,
        thread=_name("thread", thread),
        max_pairs=_count("max_pairs", max_pairs),
    )


def find_data_dir(value=None, *, cwd: Path | None = None) -> Path:
    """The data directory a notebook reads: `value` (else $POLICYTRACK_DATA, else `data`); a
    relative one is looked up from the working directory upwards to the project root, the first
    folder holding `processed/` winning."""
    given = value if value not in (None, "") else os.environ.get(ENV_DATA) or "data"
    path = _path("data_dir", given).expanduser()
    if path.is_absolute():
        return path
    here = Path(cwd or Path.cwd()).resolve()
    tried = []
    for folder in (here, *here.parents):
        candidate = folder / path
        tried.append(candidate)
        if (candidate / "processed").is_dir():
            return candidate
        if any((folder / mark).exists() for mark in _ROOT_MARKS):
            break
    looked = " and ".join(str(t) for t in tried[:2]) + (" …" if len(tried) > 2 else "")
    raise ConfigError(
        f"data_dir {str(given)!r}: no processed/ folder in {looked} (up to {tried[-1].parent}); "
        f"set data_dir or {ENV_DATA} to the folder `policytrack build --data DIR` wrote"
    )


def parse_years(value, *, where: str = "years") -> list[int] | None:
    """A year window [first, last]: from None, a year (2019), a pair ([2010, 2025]) or text
    ("2010-2025", "2019"); one line naming `where` otherwise."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ConfigError(f"{where}: expected YYYY or YYYY-YYYY, got {value!r}")
    if isinstance(value, int):
        return parse_years(str(value), where=where)
    if isinstance(value, str):
        m = _YEARS.fullmatch(value)
        if not m:
            raise ConfigError(f"{where}: expected YYYY or YYYY-YYYY, got {value!r}")
        first, last = int(m.group(1)), int(m.group(2) or m.group(1))
    elif isinstance(value, list | tuple) and len(value) == 2:
        if not all(isinstance(y, int) and not isinstance(y, bool) for y in value):
            raise ConfigError(f"{where}: expected two years [first, last], got {list(value)!r}")
        first, last = int(value[0]), int(value[1])
    else:
        raise ConfigError(f"{where}: expected YYYY, YYYY-YYYY or [first, last], got {value!r}")
    if last < first:
        raise ConfigError(f"{where}: {first} is after {last}")
    return [first, last]


def _name(what: str, value) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{what}: expected a name (text) or None, got {value!r}")
    return value.strip()


def _path(what: str, value) -> Path:
    if not isinstance(value, str | os.PathLike):
        raise ConfigError(f"{what}: expected a folder path, got {value!r}")
    return Path(value)


def _count(what: str, value) -> int:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{what}: expected a whole number of at least 1, got {value!r}")
    return value
