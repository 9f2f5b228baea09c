"""The `policytrack` command. Each concern registers its commands from pipeline/cli/."""

from __future__ import annotations

import logging
import os
import sys

import typer

from policytrack.pipeline.core.errors import PolicytrackError
from policytrack.pipeline.core.safe import terminal_text


def _classic_help() -> None:
    """`--help` in click's classic style: `--data PATH`, `SOURCE`, `[SOURCE]...`, no type after
    a flag. (typer 0.2x prints `<bool>`, `<list[str]>`, `{source}` and `[[SOURCE...]]...`.) Only
    the help text changes; parsing is typer's."""
    from typer import core

    if not hasattr(core.TyperArgument, "_usage_display_name"):
        return  # another typer: its own style

    classic = {"str": "TEXT", "int": "INTEGER", "float": "FLOAT", "path": "PATH"}

    def option_type(self, ctx):
        if self.is_flag or self.count:
            return None
        if self.metavar is not None:
            return self.metavar
        shown = self.display_type(ctx).strip("<>")  # "<list[str]>" → "list[str]"
        inner = shown.removeprefix("list[").removesuffix("]")
        return classic.get(inner, inner.upper())

    def argument_usage(self):
        name = (self.metavar or self.name.upper()).strip("[].")  # "[SOURCE...]" → "SOURCE"
        name = name if self.required else f"[{name}]"
        return name + ("..." if self.nargs != 1 else "")

    core.TyperOption.display_type_rich = option_type
    core.TyperArgument.display_type_rich = lambda self, ctx: None
    core.TyperArgument._usage_display_name = argument_usage


_classic_help()

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
    from policytrack.pipeline.cli import crawl, diff, evaluate, explore, files, report, run, terms

    for module in (files, crawl, diff, terms, explore, evaluate, report, run):
        module.register(app)


_register()


def main() -> None:
    os.environ.setdefault("PYTHONIOENCODING", "utf-8")
    try:
        app()
    except PolicytrackError as err:
        # Messages name files, titles, sources: text from outside, sanitised for the terminal.
        typer.echo(f"error: {terminal_text(err)}", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
