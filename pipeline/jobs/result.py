"""What a nightly run did: options in, one record per stage out (pure data)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from policytrack.pipeline.analysis.changes import NoticeChange
from policytrack.pipeline.jobs import stats

EXIT_OK, EXIT_PARTIAL, EXIT_NOTHING = 0, 1, 2


@dataclass
class RunOptions:
    data_dir: Path
    sources: list[str] = field(default_factory=list)
    sources_file: Path | None = None
    base_url: str | None = None
    out: Path = Path("reports")  # reports root: OUT/<YYYY-MM-DD>/
    recheck: bool = False
    overrides: dict = field(default_factory=dict)
    crawl: bool = True
    report: bool = True
    force_report: bool = False
    notebooks: list[str] | None = None  # names or prefixes ("01"); None: all
    lang: str = "zh"
    jobs: int = 1
    redis: str | None = None  # crawl on a shared Redis frontier (docs/distributed.md)


@dataclass
class CrawlStage:
    stats: list[stats.SourceStats] = field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0
    skipped: bool = False

    @property
    def stopped(self) -> bool:
        """Scrapy stopped the crawl on SIGTERM / SIGINT: the run should stop too."""
        return any(s.close_reason == "shutdown" for s in self.stats)

    @property
    def reached(self) -> list[str]:
        """Sources whose list pages could be read."""
        return [s.source for s in self.stats if s.list_pages]

    @property
    def new_notices(self) -> int:
        return sum(s.new_notices for s in self.stats)


@dataclass
class BuildStage:
    parsed: int = 0
    reused: int = 0
    aligned: list[str] = field(default_factory=list)
    tables: dict[str, int] = field(default_factory=dict)
    failures: list[tuple[str, str]] = field(default_factory=list)
    changed: bool = False
    error: str | None = None
    seconds: float = 0.0
    documents: int = 0
    doc_ids: list[str] | None = None  # every built document (None when the build failed)
    warnings: list[str] = field(default_factory=list)  # damaged cache files rebuilt, …


@dataclass
class ReportStage:
    status: str = "off"  # built | unchanged | skipped | failed | off
    path: Path | None = None  # index.html
    reason: str = ""
    notebooks: int = 0
    figures: int = 0
    seconds: float = 0.0
    fingerprint: str | None = None


@dataclass
class RunResult:
    run_id: str
    data_dir: Path
    started_at: str
    finished_at: str = ""
    since: str | None = None  # when the last completed run finished (None: first run)
    crawl: CrawlStage = field(default_factory=CrawlStage)
    build: BuildStage = field(default_factory=BuildStage)
    report: ReportStage = field(default_factory=ReportStage)
    changes: list[NoticeChange] = field(default_factory=list)
    flags: list[stats.Flag] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # e.g. took over a stale lock
    exit_code: int = EXIT_OK
    log_path: Path | None = None
    seconds: float = 0.0


def exit_code(result: RunResult) -> int:
    crawl, build, report = result.crawl, result.build, result.report
    crawled = bool(crawl.reached)
    built = build.error is None and build.documents > 0
    if not crawled and not built:
        return EXIT_NOTHING
    failed = (
        crawl.error is not None
        or any(not s.ok for s in crawl.stats)
        or build.error is not None
        or bool(build.failures)
        or report.status == "failed"
        or any(f.fatal for f in result.flags)
    )
    return EXIT_PARTIAL if failed else EXIT_OK
