"""`policytrack demo` (what `make demo` runs): serve the sample site, run the job, say where the
report is; quiet under CI=true. Run twice: the second run is warm and rebuilds nothing."""

from __future__ import annotations

import subprocess
from datetime import date

import pytest

from policytrack.pipeline.jobs.demo import TEMPLATE_URL, demo_sources
from tests.support.procs import policytrack
from tests.support.run import env

pytestmark = [pytest.mark.xdist_group("run"), pytest.mark.slow]  # end to end


def demo(out, cwd):
    return subprocess.run(
        [*policytrack(), "demo", "--out", str(out), "--notebook", "01"],
        cwd=cwd, env=env(), capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def test_demo_runs_the_whole_job_and_says_where_the_report_is(tmp_path):
    out = tmp_path / "demo-out"
    first = demo(out, tmp_path)
    assert first.returncode == 0, first.stdout + first.stderr
    assert first.stderr == ""  # CI=true: no progress, no chatter
    index = out / "reports" / date.today().isoformat() / "index.html"
    assert first.stdout.splitlines()[-1] == f"report: {index}"
    page = index.read_text(encoding="utf-8")
    assert "样例数据" in page  # the sample banner: source "demo" is fictional
    assert "crawl   demo: 9 new, 0 unchanged, 9 listed; 17 requests (HTTP 200×17)" in first.stdout
    # One fictional province per platform family besides 示例市科协 (sample/site/platforms.py).
    for platform in ("jpaas", "jcms", "iframe", "jsonapi"):
        assert f"crawl   demo_{platform}: 4 new, 0 unchanged, 4 listed;" in first.stdout
    assert "new notices: 25" in first.stdout
    sources = (out / "sources.toml").read_text(encoding="utf-8")
    assert TEMPLATE_URL not in sources and 'start_urls = ["http://127.0.0.1:' in sources

    second = demo(out, tmp_path)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "build   nothing new: no parsing or alignment (25 documents)" in second.stdout
    assert f"report  not rebuilt (no table changed since that report): {index}" in second.stdout
    assert second.stdout.splitlines()[-1] == f"report: {index}"


def test_demo_sources_point_at_the_server():
    text = demo_sources("http://127.0.0.1:4321/")
    assert 'start_urls = ["http://127.0.0.1:4321/"]' in text
    assert "[sources.demo.list]" in text and TEMPLATE_URL not in text
