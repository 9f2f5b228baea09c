"""`policytrack demo`: the whole job against the bundled sample site, on 127.0.0.1.

Serves the sample site's demo profile (the fictional 示例市科协 notices of sample/, 样例数据, and
one fictional province per platform family: sample/site/platforms.py) in a thread, writes
OUT/sources.toml (OUT defaults to demo-out/) pointing the `demo` source and the platform sources
(sample/site/sources.toml) at it, runs `policytrack run` into OUT/data and OUT/reports, stops the
server and says where the report is. Running it again is a warm run: nothing new is fetched,
parsed or aligned, and the report is not rebuilt.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from policytrack.pipeline.jobs.run import RunOptions, RunResult, run_job

TEMPLATE_URL = "http://127.0.0.1:8000"


def demo_sources(base_url: str) -> str:
    """pipeline/data/demo_sources.toml with the running server's address."""
    text = (
        resources.files("policytrack.pipeline")
        .joinpath("data/demo_sources.toml")
        .read_text("utf-8")
    )
    return text.replace(TEMPLATE_URL, base_url.rstrip("/"))


def run_demo(
    out: str | Path = "demo-out",
    *,
    notebooks: list[str] | None = None,
    report: bool = True,
    verbose: bool = False,
) -> RunResult:
    from policytrack.crawler.sources import load_sources
    from policytrack.pipeline.store import atomic
    from policytrack.sample.site.mirror import MirrorSite
    from policytrack.sample.site.platforms import platform_sources

    out = Path(out).absolute()
    out.mkdir(parents=True, exist_ok=True)
    site = MirrorSite.demo_site()
    with site.serve() as base_url:
        sources = out / "sources.toml"
        atomic.write_text(sources, demo_sources(base_url) + "\n" + platform_sources(base_url))
        platforms = [n for n in load_sources(sources) if n.startswith("demo_")]
        opts = RunOptions(
            data_dir=out / "data",
            sources=["demo", *platforms],
            sources_file=sources,
            out=out / "reports",
            notebooks=notebooks,
            report=report,
        )
        return run_job(opts, verbose=verbose)
