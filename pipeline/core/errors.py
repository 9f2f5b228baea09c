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
