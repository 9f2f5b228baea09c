"""`policytrack run --redis`: the nightly job crawling on a shared Redis frontier collects the
same notices as the embedded crawl."""

from __future__ import annotations

import pytest

from policytrack.crawler.redis import frontier as fr
from tests.support.redis import need_redis_server
from tests.support.run import manifest, run_args, run_cli, site, write_sources

pytestmark = [pytest.mark.xdist_group("run"), pytest.mark.slow]  # end to end


def test_run_with_redis_collects_what_the_embedded_run_does(tmp_path):
    need_redis_server()
    with site().serve() as base_url, fr.serve_redis() as redis_url:
        sources = write_sources(tmp_path / "sources.toml", base_url)
        plain = run_cli(
            run_args(tmp_path / "plain", sources, tmp_path / "r1", "--no-report"), tmp_path
        )
        shared = run_cli(
            run_args(
                tmp_path / "shared", sources, tmp_path / "r2", "--no-report", "--redis", redis_url
            ),
            tmp_path,
        )
        import redis

        # The run went through the shared frontier: it left the run-wide walk verdict there.
        left = sorted(k.decode() for k in redis.Redis.from_url(redis_url).keys("policytrack:*"))
    assert plain.returncode == 0, plain.stdout + plain.stderr
    assert shared.returncode == 0, shared.stdout + shared.stderr

    def notices(data):
        return sorted((r["url"].split("?", 1)[1], r["year"], r["sha256"]) for r in manifest(data))

    assert len(manifest(tmp_path / "plain")) == 9
    assert notices(tmp_path / "shared") == notices(tmp_path / "plain")
    assert left == ["policytrack:demo:walk"]
