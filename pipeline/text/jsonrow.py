"""One JSON row (a line of an ingested .jsonl, a stored .json document), read with bounds: what
ingest and extraction share."""

from __future__ import annotations

import json
import math

MAX_JSON_DEPTH = 20  # a row is a flat object; anything deeper is not one of ours


def _no_constant(name: str):
    raise ValueError(f"{name} is not a number")


def _finite(text: str) -> float:
    v = float(text)
    if not math.isfinite(v):
        raise ValueError(f"number {text[:20]} out of range")
    return v


def _depth(v, limit: int) -> int:
    if limit < 0:
        return 0
    if isinstance(v, dict):
        return 1 + max((_depth(x, limit - 1) for x in v.values()), default=0)
    if isinstance(v, list):
        return 1 + max((_depth(x, limit - 1) for x in v), default=0)
    return 0


def parse_json_row(raw: bytes | str, *, strict_numbers: bool = True):
    """One JSON value with nesting bounded and, with `strict_numbers` (ingest: a bad row is
    refused), numbers checked (no NaN/Infinity, no float overflow); ValueError with a short
    reason otherwise. (Parsing a stored row is lenient: an absurd year is simply no year.)"""
    checks = {"parse_constant": _no_constant, "parse_float": _finite} if strict_numbers else {}
    try:
        row = json.loads(raw, **checks)
    except RecursionError:
        raise ValueError("invalid JSON (nested too deep)") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"invalid JSON ({exc.msg} at line {exc.lineno})") from None
    except UnicodeDecodeError:
        raise ValueError("invalid JSON (not UTF-8)") from None
    except ValueError as exc:  # a number refused by the checks above
        raise ValueError(f"invalid JSON ({str(exc).split(':')[0]})") from None
    if _depth(row, MAX_JSON_DEPTH + 1) > MAX_JSON_DEPTH:
        raise ValueError(f"invalid JSON (nested deeper than {MAX_JSON_DEPTH} levels)")
    return row
