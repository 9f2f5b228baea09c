"""Errors that carry a one-line, user-facing reason."""

from __future__ import annotations


class PolicytrackError(Exception):
    """Base error: str(err) is a single line fit for a terminal."""


class InputError(PolicytrackError):
    """A document or file could not be read or parsed.

    The message always names the file (or URL) and the reason.
    """

    def __init__(self, where: str, reason: str):
        self.where = str(where)
        self.reason = reason
        super().__init__(f"{self.where}: {reason}")


class ConfigError(PolicytrackError):
    """A configuration file is invalid (names the file and key)."""


class LockError(PolicytrackError):
    """Another run holds the data directory."""


def year_ranges(years) -> list[str]:
    """Years as runs for a one-line message: [1954, 1955, 1956, 1958] → ["1954–1956", "1958"]."""
    out: list[str] = []
    last = None
    for y in sorted(set(int(y) for y in years)):
        if out and y == last + 1:
            out[-1] = f"{out[-1].split('–')[0]}–{y}"
        else:
            out.append(str(y))
        last = y
    return out


def oneline(err: BaseException) -> str:
    """A one-line reason: OSError as 'file: strerror', others as their message."""
    if isinstance(err, OSError) and err.strerror:
        where = err.filename
        return f"{where}: {err.strerror}" if where else err.strerror
    if isinstance(err, PolicytrackError):
        return str(err)
    text = (str(err).strip().splitlines() or [""])[0]
    return f"{type(err).__name__}: {text}" if text else type(err).__name__
