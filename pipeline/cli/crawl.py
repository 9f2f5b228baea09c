"""`policytrack crawl` / `policytrack worker`: fetch work-point notices into data/raw."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

REDIS_HELP = (
    "Share the crawl frontier through Redis (redis://host:port/db) with other workers "
    "(policytrack worker); see docs/distributed.md."
)


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
        sources: list[str] = typer.Argument(
            None, metavar="[SOURCE...]", help="Source names (default: every source of the file)."
        ),
        data: Path = typer.Option(Path("data"), "--data", help="Data directory."),
        sources_file: Path = typer.Option(
            None, "--sources", help="Extra sources file (TOML), merged over crawler/sources.toml."
        ),
        base_url: str = typer.Option(
            None, "--base-url", help="Swap each source's scheme+host (a mirror or test server)."
        ),
        recheck: bool = typer.Option(
            False, "--recheck", help="Revalidate known notices with conditional requests."
        ),
        set_: list[str] = typer.Option(
            None, "--set", help="Scrapy setting override KEY=VALUE (repeatable)."
        ),
        redis: str = typer.Option(None, "--redis", metavar="URL", help=REDIS_HELP),
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
        data: Path = typer.Option(
            Path("data"), "--data", help="Data directory (the one the other workers share)."
        ),
        wait: float = typer.Option(
            30.0, "--wait", help="Seconds to wait for a crawl to join before giving up."
        ),
        set_: list[str] = typer.Option(
            None, "--set", help="Scrapy setting override KEY=VALUE (repeatable)."
        ),
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
