"""A Ctrl-C that reaches a crawl before its spider has run never ends as a successful crawl.

Two windows, forced here instead of timed (a signal sent at the right millisecond is a flaky
test): the interrupt raised while Scrapy still imports its components (it lands in the crawl's
Deferred), and the crawl stopped after its spider was made but before it opened (no close
reason). Each runs `crawler.runner.crawl` in a process of its own (one reactor per process)
against the small mirror."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.crawler.test_crawl_resilience import small_site

pytestmark = [pytest.mark.xdist_group("crawl_small"), pytest.mark.slow]

SCRIPT = """
import json, sys
import scrapy.crawler
from policytrack.crawler import runner

how, data, base = sys.argv[1:]
original = scrapy.crawler.Crawler.crawl

async def interrupted(self, *args, **kwargs):
    if how == "importing":
        raise KeyboardInterrupt  # as a Ctrl-C during Scrapy's imports does
    self.spider = self._create_spider(*args, **kwargs)  # made, never opened

scrapy.crawler.Crawler.crawl = interrupted
try:
    result = runner.crawl(["hbkx"], data, base_url=base)
except KeyboardInterrupt:
    print(json.dumps("KeyboardInterrupt"))
else:
    print(json.dumps([str(p) for p in result.failures]))
"""


def run(tmp_path: Path, how: str) -> object:
    with small_site().serve() as base:
        proc = subprocess.run(
            [sys.executable, "-c", SCRIPT, how, str(tmp_path / "data"), base],
            capture_output=True, text=True, timeout=120, env={**os.environ, "CI": "true"},
        )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_an_interrupt_while_scrapy_imports_is_an_interrupt(tmp_path):
    assert run(tmp_path, "importing") == "KeyboardInterrupt"


def test_a_crawl_stopped_before_its_spider_opened_fails(tmp_path):
    assert run(tmp_path, "before-open") == ["hbkx: crawl stopped before it started"]
