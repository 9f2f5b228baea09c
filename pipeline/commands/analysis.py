"""Commands for this concern are registered here (filled by its issue)."""

import typer


def register(app: typer.Typer) -> None:
    return None
