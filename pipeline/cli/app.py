"""The `policytrack` command. Each concern registers its commands from pipeline/commands/."""

from __future__ import annotations

import logging
import os
import sys

import typer

from policytrack.pipeline.core.errors import PolicytrackError

app = typer.Typer(
    help="policytrack: track how priorities in annual work-point notices appear, persist and fade.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root(
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Debug logging."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Only warnings and errors."),
):
    level = logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO
    logging.basicConfig(
        level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    # Scrapy and friends are chatty at INFO; our own modules speak for themselves.
    for noisy in ("scrapy", "twisted", "filelock", "jieba", "papermill", "traitlets", "asyncio"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))


def _register() -> None:
    from policytrack.pipeline.cli import crawl, diff, evaluate, files, report, run, terms

    for module in (files, crawl, diff, terms, evaluate, report, run):
        module.register(app)


_register()


def main() -> None:
    os.environ.setdefault("PYTHONIOENCODING", "utf-8")
    try:
        app()
    except PolicytrackError as err:
        typer.echo(f"error: {err}", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
