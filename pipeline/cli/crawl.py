"""`policytrack crawl` / `policytrack worker`: fetch work-point notices into data/raw."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from policytrack.pipeline.cli import options


def _say(line: str) -> None:
    """A line on stderr, without escape sequences or control characters: failures and layout
    lines carry URLs, attachment names and reasons that come from the site."""
    from policytrack.pipeline.core.safe import terminal_text

    typer.echo(terminal_text(line), err=True)


def _report(result) -> None:
    for report in result.reports:
        sent = sum(report.requests.values())
        robots = report.requests.get("robots", 0)
        blocked = f", {report.blocked} blocked" if report.blocked else ""
        _say(
            f"{report.source}: {len(report.records)} new notice versions, "
            f"{report.unchanged} unchanged, {sent} requests ({robots} robots.txt), "
            f"{len(report.failures)} failures{blocked}"
        )
        for problem in report.failures:
            _say(f"  failed: {problem}")
        for miss in report.selector_misses:  # the site's layout changed: name the missing piece
            _say(
                f"  layout: {report.source}: {miss['selector']} not found ({miss['kind']}) "
                f"on {miss['url']}"
            )
    if not result.ok:
        sys.exit(1)


def list_sources(sources_file: Path | None) -> None:
    """One line per source: name, platform family, issuer, where its crawl starts."""
    from policytrack.crawler.sources import load_sources

    rows = []
    for src in load_sources(sources_file).values():
        start = ", ".join(src.list_urls) or ", ".join(src.start_urls)
        if src.column and not src.list_urls:
            start += f" ({' > '.join(src.column)})"
        rows.append((src.name, src.family, src.issuer, start))
    widths = [max(len(r[i]) for r in rows) for i in range(2)]
    for name, family, issuer, start in rows:
        typer.echo(f"{name:<{widths[0]}}  {family:<{widths[1]}}  {issuer}  {start}")


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
        list_only: bool = typer.Option(
            False, "--list-sources", help="List the sources with their platform family; no crawl."
        ),
    ):
        """Crawl sources politely and incrementally; exit 1 if any page or attachment failed."""
        if list_only:
            list_sources(sources_file)
            return
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
