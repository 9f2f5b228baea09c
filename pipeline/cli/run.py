"""`policytrack run` (the nightly job) and `policytrack demo` (the job against the sample site)."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import typer

from policytrack.pipeline.cli import options


def _verbose() -> bool:
    return logging.getLogger().level <= logging.DEBUG


def _summary(result) -> str:
    """The run summary as the terminal gets it: titles come from crawled pages, so escape
    sequences and control characters are removed."""
    from policytrack.pipeline.core.safe import terminal_text
    from policytrack.pipeline.jobs.run import format_summary

    return terminal_text(format_summary(result))


def _finish(result) -> None:
    typer.echo(_summary(result))
    sys.exit(result.exit_code)


def register(app: typer.Typer) -> None:
    @app.command("run")
    def run_cmd(
        sources: list[str] = options.SOURCES,
        data: Path = options.DATA,
        offline: bool = typer.Option(
            False, "--offline", help="Skip the crawl: build and report from what is on disk."
        ),
        sources_file: Path = options.SOURCES_FILE,
        base_url: str = options.BASE_URL,
        recheck: bool = options.RECHECK,
        out: Path = options.REPORTS_OUT,
        report: bool = typer.Option(True, "--report/--no-report", help="Run the report stage."),
        force_report: bool = typer.Option(
            False, "--force-report", help="Rebuild the report even when no table changed."
        ),
        notebook: list[str] = options.NOTEBOOK,
        lang: str = options.LANG,
        jobs: int = options.JOBS,
        set_: list[str] = options.SET,
        redis: str = options.REDIS,
    ):
        """Nightly job: incremental crawl → build → report, with a summary of what changed.

        Exit 0 ok, 1 partial failure, 2 nothing could be done (see docs/operations.md).
        """
        from policytrack.crawler.runner import parse_overrides
        from policytrack.pipeline.jobs.run import RunOptions, run_job

        opts = RunOptions(
            data_dir=data,
            sources=list(sources or []),
            sources_file=sources_file,
            base_url=base_url,
            out=out,
            recheck=recheck,
            overrides=parse_overrides(set_ or []),
            crawl=not offline,
            report=report,
            force_report=force_report,
            notebooks=list(notebook or []) or None,
            lang=lang,
            jobs=jobs,
            redis=redis,
        )
        _finish(run_job(opts, verbose=_verbose()))

    @app.command("demo")
    def demo_cmd(
        out: Path = typer.Option(
            Path("demo-out"),
            "--out",
            metavar="DIR",
            help="Folder for the demo's data/, reports/ and sources.toml.",
        ),
        notebook: list[str] = options.NOTEBOOK,
    ):
        """Serve the bundled sample site (样例数据) on 127.0.0.1 and run the whole job against it."""
        from policytrack.pipeline.jobs.demo import run_demo

        result = run_demo(out, notebooks=list(notebook or []) or None, verbose=_verbose())
        typer.echo(_summary(result))
        if result.report.path:
            typer.echo(f"\nreport: {result.report.path}")
        sys.exit(result.exit_code)
