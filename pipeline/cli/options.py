"""Options shared by several commands, declared once, and the parsers behind them."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from policytrack.pipeline.core.errors import ConfigError

DATA = typer.Option(
    Path("data"), "--data", metavar="DIR", help="Data directory (raw/, processed/, logs/)."
)
SOURCES = typer.Argument(
    None, metavar="SOURCE", help="Source names (default: every source of the file)."
)
SOURCES_FILE = typer.Option(
    None,
    "--sources",
    metavar="FILE",
    help="Extra sources file (TOML), merged over crawler/sources.toml.",
)
BASE_URL = typer.Option(
    None,
    "--base-url",
    metavar="URL",
    help="Swap each source's scheme+host (a mirror or test server).",
)
RECHECK = typer.Option(
    False, "--recheck", help="Revalidate known notices with conditional requests."
)
SET = typer.Option(None, "--set", metavar="KEY=VALUE", help="Scrapy setting override (repeatable).")
REDIS = typer.Option(
    None,
    "--redis",
    metavar="URL",
    help="Share the crawl frontier through Redis (redis://host:port/db) with other workers "
    "(`policytrack worker --redis URL`); see docs/distributed.md.",
)
JOBS = typer.Option(
    1, "--jobs", "-j", metavar="N", help="Build: parallel processes (one source each)."
)
LEVEL = typer.Option(
    "item",
    "--level",
    metavar="LEVEL",
    help="Alignment level: item | section | paragraph | sentence.",
)
LEVELS = ("item", "section", "paragraph", "sentence")
WATCH = typer.Option(
    None,
    "--watch",
    metavar="TERMS",
    help="Watch terms: comma- or 、-separated, or repeated (e.g. --watch 新质生产力,三大攻坚战).",
)
YEARS = typer.Option(
    None, "--years", metavar="YYYY-YYYY", help="Year window, e.g. 2010-2025 (or one year)."
)
LANG = typer.Option("zh", "--lang", metavar="zh|en", help="Label language: zh or en.")
NOTEBOOK = typer.Option(
    None,
    "--notebook",
    metavar="NAME",
    help="Only these notebooks (name or prefix, e.g. 01; repeatable).",
)
REPORTS_OUT = typer.Option(
    Path("reports"), "--out", metavar="DIR", help="Reports folder; writes DIR/YYYY-MM-DD/."
)


def parse_years(text: str | None) -> list[int] | None:
    """'2010-2025' → [2010, 2025]; '2019' → [2019, 2019]; None → None (the notebooks' rule)."""
    from policytrack.pipeline.report.params import parse_years as years

    return years(text, where="--years")


def check_level(level: str) -> str:
    if level not in LEVELS:
        raise ConfigError(f"--level must be one of {', '.join(LEVELS)}, not {level!r}")
    return level


def console():
    from rich.console import Console

    # Side-by-side Chinese text needs room; when piped, do not wrap at 80 columns.
    return Console(width=None if sys.stdout.isatty() else 200, highlight=False)
