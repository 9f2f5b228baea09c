"""`policytrack report`: executed notebooks, HTML and briefing figures under reports/<date>/."""

from __future__ import annotations

import re
from pathlib import Path

import typer
from policytrack.pipeline.core.errors import ConfigError


def _years(text: str | None) -> list[int] | None:
    if not text:
        return None
    m = re.fullmatch(r"\s*(\d{4})\s*(?:[-–:]\s*(\d{4}))?\s*", text)
    if not m:
        raise ConfigError(f"--years: expected YYYY or YYYY-YYYY, got {text!r}")
    first = int(m.group(1))
    last = int(m.group(2) or first)
    if last < first:
        raise ConfigError(f"--years: {first} is after {last}")
    return [first, last]


def _watch(values: list[str] | None) -> list[str] | None:
    """`--watch a,b --watch c` → [a, b, c]; ASCII and full-width commas both split."""
    if not values:
        return None
    terms = [t.strip() for v in values for t in re.split(r"[,，、]", v)]
    return [t for t in terms if t] or None


def register(app: typer.Typer) -> None:
    @app.command()
    def report(
        data: Path = typer.Option(
            Path("data"), "--data", help="Data directory (reads processed/*.parquet)."
        ),
        source: str | None = typer.Option(
            None, "--source", help="Source to chart (default: most documents)."
        ),
        series: str | None = typer.Option(
            None, "--series", help="Series within the source (default: most years)."
        ),
        watch: list[str] | None = typer.Option(
            None,
            "--watch",
            help="Watch-list terms, comma-separated or repeated (default: 服务发展年,三大攻坚战).",
        ),
        years: str | None = typer.Option(None, "--years", help="Year window, e.g. 2010-2025."),
        lang: str = typer.Option("zh", "--lang", help="Label language: zh or en."),
        out: Path = typer.Option(
            Path("reports"), "--out", help="Reports folder; writes <out>/<YYYY-MM-DD>/."
        ),
    ):
        """Execute the notebooks into OUT/<YYYY-MM-DD>/: notebooks, HTML, PNG+SVG figures, index.html."""
        from policytrack.pipeline.report.build import ReportParams, build_report

        if lang not in ("zh", "en"):
            raise ConfigError(f"--lang: expected zh or en, got {lang!r}")
        params = ReportParams(
            data_dir=str(data),
            source=source,
            series=series,
            years=_years(years),
            watch=_watch(watch),
            lang=lang,
        )
        result = build_report(params, out)
        typer.echo(
            f"report: {len(result.notebooks)} notebooks, {len(result.figures)} figures → {result.out_dir / 'index.html'}"
        )
