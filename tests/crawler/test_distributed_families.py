"""The platform families on the shared Redis frontier: a `crawl --redis` and a `worker --redis`
crawl each fictional province of the sample site together (JCMS's POSTed proxy pages and jpaas's
unit pages travel through the JSON request queue; iframe documents and attachments are fetched
inside the notice's callback) and store what one process alone stores, each page fetched once."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest

from policytrack.crawler.redis import frontier as fr
from policytrack.pipeline.store.rawstore import iter_manifest
from policytrack.sample.site.mirror import MirrorSite
from policytrack.sample.site.platforms import platform_sources, sample_issuers
from tests.support.procs import UNTHROTTLED, crawl_command, policytrack, run_crawl
from tests.support.redis import need_redis_server

pytestmark = [pytest.mark.xdist_group("distributed"), pytest.mark.slow]  # end to end

SETTINGS = {**UNTHROTTLED, "DOWNLOAD_DELAY": "0.02"}


@pytest.fixture(scope="module")
def redis_url():
    need_redis_server()
    with fr.serve_redis() as url:
        yield url


def comparable(data: Path, source: str) -> list[str]:
    recs = iter_manifest(data / "raw" / source / "manifest.jsonl")
    return sorted(
        json.dumps({k: v for k, v in r.items() if k != "fetched_at"}, sort_keys=True) for r in recs
    )


@pytest.mark.parametrize("family", ["jcms", "jpaas", "iframe", "jsonapi"])
def test_two_workers_crawl_a_family_like_one_process(family, tmp_path, redis_url):
    issuer = next(i for i in sample_issuers() if i.family == family)
    site = MirrorSite([], platforms=[issuer])
    sources = tmp_path / "sources.toml"
    env = {**os.environ, "CI": "true"}
    with site.serve() as base:
        sources.write_text(platform_sources(base), encoding="utf-8")
        alone = run_crawl(tmp_path / "alone", None, issuer.source, "--sources", str(sources),
                          settings=SETTINGS)  # fmt: skip
        assert alone.returncode == 0, alone.stderr
        n = len(site.requests)
        data = tmp_path / "shared"
        worker = [*policytrack(), "worker", "--redis", redis_url, "--data", str(data),
                  "--wait", "60", *[f"--set={k}={v}" for k, v in SETTINGS.items()]]  # fmt: skip
        crawl = crawl_command(data, None, issuer.source, "--sources", str(sources), "--redis",
                              redis_url, settings=SETTINGS)  # fmt: skip
        procs = []
        try:
            for cmd in (worker, crawl):
                procs.append(subprocess.Popen(cmd, cwd=tmp_path, env=env, text=True,
                                              stdout=subprocess.PIPE, stderr=subprocess.PIPE))  # fmt: skip
                time.sleep(0.3)
            results = [p.communicate(timeout=150) for p in procs]
        finally:
            for p in procs:
                if p.poll() is None:
                    p.kill()
                    p.communicate()
        for p, (_, err) in zip(procs, results, strict=True):
            assert p.returncode == 0, err[-2000:]
        fetched = Counter(r.path for r in site.requests_since(n) if r.path != "/robots.txt")
    assert comparable(data, issuer.source) == comparable(tmp_path / "alone", issuer.source)
    assert {(json.loads(r)["series"], json.loads(r)["year"]) for r in comparable(
        data, issuer.source)} == issuer.wanted()  # fmt: skip
    assert set(fetched.values()) == {1}  # each page once, whichever worker fetched it
