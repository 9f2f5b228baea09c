"""`policytrack report`: executed notebooks, HTML and briefing figures under reports/<date>/."""

from __future__ import annotations

from pathlib import Path

import typer

from policytrack.pipeline.cli import options
from policytrack.pipeline.core.errors import ConfigError
from policytrack.pipeline.text.watch import parse_watch


def register(app: typer.Typer) -> None:
    @app.command()
    def report(
        data: Path = options.DATA,
        source: str | None = typer.Option(
            None, "--source", metavar="NAME", help="Source to chart (default: most documents)."
        ),
        series: str | None = typer.Option(
            None, "--series", metavar="NAME", help="Series within the source (default: most years)."
        ),
        watch: list[str] | None = options.WATCH,
        years: str | None = options.YEARS,
        lang: str = options.LANG,
        out: Path = options.REPORTS_OUT,
        jobs: int | None = typer.Option(
            None,
            "--jobs",
            "-j",
            metavar="N",
            help="Kernels at once (default: one per core, at most one per notebook).",
        ),
    ):
        """Execute the notebooks into OUT/YYYY-MM-DD/: notebooks, HTML, PNG/SVG/CSV figures, index.html."""
        from policytrack.pipeline.report.build import ReportParams, build_report
        from policytrack.pipeline.report.labels import check_lang

        check_lang(lang, "--lang")
        if jobs is not None and jobs < 1:
            raise ConfigError(f"--jobs must be at least 1, not {jobs}")
        params = ReportParams(
            data_dir=str(data),
            source=source,
            series=series,
            years=options.parse_years(years),
            watch=parse_watch(watch, where="--watch") or None,
            lang=lang,
        )
        result = build_report(params, out, jobs=jobs)
        typer.echo(
            f"report: {len(result.notebooks)} notebooks, {len(result.figures)} figures → {result.out_dir / 'index.html'}"
        )
