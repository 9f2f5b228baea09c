"""`policytrack crawl`: fetch work-point notices from configured sites into data/raw."""

from __future__ import annotations

import sys
from pathlib import Path

import typer


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
    ):
        """Crawl sources politely and incrementally; exit 1 if any page or attachment failed."""
        from crawler.runner import crawl, parse_overrides

        result = crawl(
            sources or [],
            data,
            sources_file=sources_file,
            base_url=base_url,
            recheck=recheck,
            overrides=parse_overrides(set_ or []),
        )
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
