"""redis-server for the distributed tests: skip without it locally, fail in CI."""

from __future__ import annotations

import shutil

import pytest

from tests.conftest import IN_CI


def need_redis_server() -> None:
    if shutil.which("redis-server"):
        return
    reason = "redis-server is not installed (make system-deps installs Debian's redis-server)"
    if IN_CI:
        pytest.fail(reason)  # CI installs it: never skip there
    pytest.skip(reason)
