"""Watch terms: the one parser for every way a user gives them, and the default list.

Accepted everywhere (CLI options, notebook parameters, the report): a list of terms, a JSON list
as a string ('["新质生产力", "三大攻坚战"]'), or one string separated by commas (ASCII or
full-width) or 、. Anything else is one clear error. A term keeps its inner characters; only
surrounding space and quotes are stripped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from importlib import resources

from policytrack.pipeline.core.errors import ConfigError

DEFAULT_FILE = "data/watchlist.txt"
_SEPARATORS = re.compile(r"[,，、;；\n]")
_STRIP = " \t\"'“”‘’「」"


def default_watch() -> list[str]:
    """The bundled default watch list (pipeline/data/watchlist.txt: one term a line, # comments)."""
    text = resources.files("policytrack.pipeline").joinpath(DEFAULT_FILE).read_text("utf-8")
    return [
        ln.strip() for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")
    ]


def parse_watch(value: str | Iterable[str] | None, *, where: str = "watch") -> list[str]:
    """Watch terms from any accepted form, in order, without duplicates or empty entries."""
    if value is None:
        return []
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                loaded = json.loads(text)
            except ValueError as err:
                raise ConfigError(f"{where}: not a JSON list of terms ({err.msg})") from None
            return parse_watch(loaded, where=where)
        parts: Iterable = _SEPARATORS.split(text)
    else:
        try:
            parts = list(value)
        except TypeError:
            raise ConfigError(
                f"{where}: expected terms as a list or a comma-separated string, "
                f"not {type(value).__name__}"
            ) from None
        bad = [p for p in parts if not isinstance(p, str)]
        if bad:
            raise ConfigError(f"{where}: every term must be a string, not {bad[0]!r}")
        # A list entry may itself be "a,b" (`--watch a,b --watch c`) or a JSON list.
        parts = [
            t
            for p in parts
            for t in (parse_watch(p, where=where) if p.strip().startswith("[") else [p])
            for t in _SEPARATORS.split(t)
        ]
    terms = [p.strip(_STRIP) for p in parts]
    return list(dict.fromkeys(t for t in terms if t))


def watch_list(extra: str | Iterable[str] | None) -> list[str]:
    """The default watch list plus the user's terms."""
    return list(dict.fromkeys(default_watch() + parse_watch(extra)))
