"""`policytrack run` (the nightly job) and `policytrack demo` (the job against the sample site)."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import typer


def _verbose() -> bool:
    return logging.getLogger().level <= logging.DEBUG


def _finish(result) -> None:
    from policytrack.pipeline.jobs.run import format_summary

    typer.echo(format_summary(result))
    sys.exit(result.exit_code)


def register(app: typer.Typer) -> None:
    @app.command("run")
    def run_cmd(
        sources: list[str] = typer.Argument(
            None, metavar="[SOURCE...]", help="Source names (default: every source of the file)."
        ),
        data: Path = typer.Option(Path("data"), "--data", help="Data directory."),
        sources_file: Path = typer.Option(
            None, "--sources", help="Sources file (TOML), merged over crawler/sources.toml."
        ),
        out: Path = typer.Option(
            Path("reports"), "--out", help="Reports folder; writes <out>/<YYYY-MM-DD>/."
        ),
        base_url: str = typer.Option(
            None, "--base-url", help="Swap each source's scheme+host (a mirror or test server)."
        ),
        recheck: bool = typer.Option(
            False, "--recheck", help="Revalidate known notices with conditional requests."
        ),
        offline: bool = typer.Option(
            False, "--offline", help="Skip the crawl: build and report from what is on disk."
        ),
        report: bool = typer.Option(True, "--report/--no-report", help="Run the report stage."),
        force_report: bool = typer.Option(
            False, "--force-report", help="Rebuild the report even when no table changed."
        ),
        notebook: list[str] = typer.Option(
            None, "--notebook", help="Only these notebooks (name or prefix, e.g. 01; repeatable)."
        ),
        lang: str = typer.Option("zh", "--lang", help="Report label language: zh or en."),
        jobs: int = typer.Option(1, "--jobs", "-j", help="Build: parallel processes."),
        set_: list[str] = typer.Option(
            None, "--set", help="Scrapy setting override KEY=VALUE (repeatable)."
        ),
        redis: str = typer.Option(
            None,
            "--redis",
            help="Crawl on a shared Redis frontier (redis://host:port/db); extra machines join "
            "with `policytrack worker --redis`.",
        ),
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
            help="Folder for the demo's data/, reports/ and sources.toml.",
        ),
        notebook: list[str] = typer.Option(
            None, "--notebook", help="Only these notebooks (name or prefix; repeatable)."
        ),
    ):
        """Serve the bundled sample site (样例数据) on 127.0.0.1 and run the whole job against it."""
        from policytrack.pipeline.jobs.demo import run_demo

        result = run_demo(out, notebooks=list(notebook or []) or None, verbose=_verbose())
        from policytrack.pipeline.jobs.run import format_summary

        typer.echo(format_summary(result))
        if result.report.path:
            typer.echo(f"\nreport: {result.report.path}")
        sys.exit(result.exit_code)
