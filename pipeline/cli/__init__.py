"""The `policytrack` command: thin commands over the pipeline (one module per concern)."""

from policytrack.pipeline.cli.app import main

__all__ = ["main"]
