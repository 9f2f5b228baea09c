"""`policytrack crawl` / `policytrack worker`: fetch work-point notices into data/raw."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from policytrack.pipeline.cli import options


def _report(result) -> None:
    for report in result.reports:
        sent = sum(report.requests.values())
        robots = report.requests.get("robots", 0)
        typer.echo(
            f"{report.source}: {len(report.records)} new notice versions, "
            f"{report.unchanged} unchanged, {sent} requests ({robots} robots.txt), "
            f"{len(report.failures)} failures",
            err=True,
        )
        for problem in report.failures:
            typer.echo(f"  failed: {problem}", err=True)
    if not result.ok:
        sys.exit(1)


def register(app: typer.Typer) -> None:
    @app.command("crawl")
    def crawl_cmd(
        sources: list[str] = options.SOURCES,
        data: Path = options.DATA,
        sources_file: Path = options.SOURCES_FILE,
        base_url: str = options.BASE_URL,
        recheck: bool = options.RECHECK,
        set_: list[str] = options.SET,
        redis: str = options.REDIS,
    ):
        """Crawl sources politely and incrementally; exit 1 if any page or attachment failed."""
        from policytrack.crawler.runner import crawl, parse_overrides

        result = crawl(
            sources or [],
            data,
            sources_file=sources_file,
            base_url=base_url,
            recheck=recheck,
            overrides=parse_overrides(set_ or []),
            redis_url=redis,
        )
        _report(result)

    @app.command("worker")
    def worker_cmd(
        sources: list[str] = typer.Argument(
            None, metavar="[SOURCE...]", help="Runs to join (default: every run in progress)."
        ),
        redis: str = typer.Option(..., "--redis", metavar="URL", help="Redis of the crawl."),
        data: Path = options.DATA,
        wait: float = typer.Option(
            30.0, "--wait", help="Seconds to wait for a crawl to join before giving up."
        ),
        set_: list[str] = options.SET,
    ):
        """Join crawls started with `policytrack crawl --redis URL` until their frontier is done.

        Sources, --base-url and --recheck come from the crawl it joins; --data, --set are its own.

        Exit 1 if a page this worker fetched failed.
        """
        from policytrack.crawler.runner import crawl, parse_overrides

        result = crawl(
            sources or [],
            data,
            overrides=parse_overrides(set_ or []),
            redis_url=redis,
            join_only=True,
            wait=wait,
        )
        if not result.reports:
            typer.echo("worker: no crawl in progress to join", err=True)
            return
        _report(result)
