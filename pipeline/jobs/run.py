"""`policytrack run`: the nightly job. Incremental crawl → build → report, one run per data dir.

Each stage is incremental on its own: the crawl fetches only unknown notices, the build re-parses
only new raw documents and re-aligns only sources that changed, and the report is skipped when
the tables it reads are byte-identical to those of the last report (which still exists). A stage
that fails does not stop the later ones from working on what is on disk; the exit code says how
it went:

    0  everything worked
    1  partial failure: a source or page could not be crawled, a document could not be parsed,
       the build or the report failed after earlier stages did their work
    2  nothing could be done: bad usage or configuration, the data directory is locked by another
       run, or no source could be crawled and there was no data to build from

Bookkeeping lives in DIR/logs/: run-<timestamp>.log (this run's log and summary), stats.jsonl
(per-source crawl stats, pipeline/stats.py) and last_run.json (the documents and report of the
last completed run: what "changed since the last run" is measured against).
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from policytrack.pipeline.analysis.changes import NoticeChange
from policytrack.pipeline.analysis.findings import findings
from policytrack.pipeline.core.errors import ConfigError, oneline
from policytrack.pipeline.jobs import stats
from policytrack.pipeline.jobs.reportcache import (
    LAST_RUN,
    read_last_run,
    resolve_notebooks,
    tables_fingerprint,
)
from policytrack.pipeline.jobs.result import (
    BuildStage,
    CrawlStage,
    ReportStage,
    RunOptions,
    RunResult,
    exit_code,
)
from policytrack.pipeline.jobs.runlog import run_log, say
from policytrack.pipeline.jobs.summary import format_summary
from policytrack.pipeline.report.labels import check_lang
from policytrack.pipeline.report.notebooks import code_hash
from policytrack.pipeline.store import atomic
from policytrack.pipeline.store.lock import RunLock
from policytrack.pipeline.store.rawstore import check_data_dir

log = logging.getLogger("policytrack.pipeline.jobs.run")

__all__ = ["RunOptions", "RunResult", "format_summary", "run_job", "validate"]


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def _log_name(logs: Path, t: datetime) -> Path:
    stem = f"run-{t.strftime('%Y%m%dT%H%M%SZ')}"
    path, n = logs / f"{stem}.log", 1
    while path.exists():
        path, n = logs / f"{stem}-{n}.log", n + 1
    return path


def crawl_stage(opts: RunOptions, run_id: str) -> CrawlStage:
    from policytrack.crawler.runner import crawl
    from policytrack.crawler.sources import select

    stage = CrawlStage()
    t0 = time.perf_counter()
    names = [s.name for s in select(list(opts.sources), opts.sources_file)]
    say(f"crawl: {', '.join(names)}")
    # Scrapy takes over SIGINT/SIGTERM for a graceful stop and leaves its handlers behind, which
    # would swallow a later Ctrl-C; the run's own handlers come back after the crawl.
    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        result = crawl(
            list(opts.sources),
            opts.data_dir,
            sources_file=opts.sources_file,
            base_url=opts.base_url,
            recheck=opts.recheck,
            overrides=opts.overrides,
            redis_url=opts.redis,
        )
        stage.stats = [stats.from_report(run_id, r) for r in result.reports]
    except ConfigError:
        raise
    except Exception as err:  # the crawler itself broke: every source counts as failed
        log.exception("crawl failed")
        stage.error = oneline(err)
        done = {s.source for s in stage.stats}
        stage.stats += [stats.failed_source(run_id, n, stage.error) for n in names if n not in done]
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
    stage.seconds = time.perf_counter() - t0
    return stage


def build_stage(opts: RunOptions) -> BuildStage:
    from policytrack.pipeline.jobs.build import build

    stage = BuildStage()
    t0 = time.perf_counter()
    # (A build killed at any point needs no repair: its tables are committed all at once, or
    # not at all; see store/layout.py.)
    if not (opts.data_dir / "raw").is_dir():
        stage.error = f"{opts.data_dir / 'raw'}: no raw data yet"
        return stage
    say("build: parsing new documents, aligning changed sources")
    try:
        result = build(opts.data_dir, jobs=opts.jobs)
    except Exception as err:
        log.exception("build failed")
        stage.error = oneline(err)
        stage.seconds = time.perf_counter() - t0
        return stage
    stage.parsed, stage.reused = result.parsed, result.reused
    stage.aligned = list(result.aligned_sources)
    stage.tables = dict(result.tables)
    stage.failures = [(str(f), str(r)) for f, r in result.failures]
    stage.changed = bool(result.changed)
    stage.doc_ids = list(result.doc_ids)
    stage.warnings = list(result.warnings)
    stage.documents = len(result.doc_ids)
    stage.seconds = time.perf_counter() - t0
    return stage


def report_stage(opts: RunOptions, build: BuildStage, last: dict) -> ReportStage:
    stage = ReportStage()
    if not opts.report:
        stage.status, stage.reason = "off", "--no-report"
        return stage
    if build.error:
        stage.status, stage.reason = "skipped", "the build failed"
        return stage
    if not build.documents:
        stage.status, stage.reason = "skipped", "no documents yet"
        return stage
    notebooks = resolve_notebooks(opts.notebooks)
    params = {
        "notebooks": [p.name for p in notebooks or []],
        "lang": opts.lang,
        "code": code_hash(notebooks),  # a new policytrack version rebuilds the report
        "out": str(Path(opts.out).resolve()),  # a report asked for elsewhere is built there
    }
    processed = opts.data_dir / "processed"
    stage.fingerprint = tables_fingerprint(processed, params)
    previous = last.get("report") or {}
    prev_index = Path(previous["path"]) if previous.get("path") else None
    if (
        not opts.force_report
        and stage.fingerprint
        and previous.get("fingerprint") == stage.fingerprint
        and prev_index is not None
        and prev_index.is_file()
    ):
        stage.status, stage.path = "unchanged", prev_index
        stage.reason = "no table changed since that report"
        return stage
    from policytrack.pipeline.report.build import ReportParams, build_report

    say("report: executing notebooks")
    t0 = time.perf_counter()
    try:
        result = build_report(
            ReportParams(data_dir=str(opts.data_dir), lang=opts.lang),
            opts.out,
            notebooks=notebooks,
        )
    except Exception as err:
        log.exception("report failed")
        stage.status, stage.reason = "failed", oneline(err)
        stage.seconds = time.perf_counter() - t0
        return stage
    stage.status, stage.path = "built", result.out_dir / "index.html"
    stage.notebooks, stage.figures = len(result.notebooks), len(result.figures)
    stage.seconds = time.perf_counter() - t0
    return stage


def compute_changes(data_dir: Path, known: set[str] | None) -> list[NoticeChange]:
    """What the documents new since `known` brought; reads the terms of their sources only."""
    from policytrack.pipeline.store.tables import read_table

    docs = read_table(
        data_dir, "documents", ["doc_id", "source", "series", "year", "title", "recorded_at"]
    )
    if docs.empty:
        return []
    fresh = docs if known is None else docs[~docs["doc_id"].isin(known)]
    touched = sorted(set(fresh["source"]))
    if not touched:
        return []
    terms = read_table(
        data_dir, "terms", ["source", "series", "doc_id", "term", "count"], source=touched
    )
    timeline = read_table(
        data_dir,
        "term_timeline",
        ["source", "series", "term", "canonical"],
        source=touched,
        required=False,
    )
    return findings(docs, terms, timeline, known=known).documents


def validate(opts: RunOptions) -> None:
    """Configuration errors before anything is touched (one line naming the file and key)."""
    if opts.crawl:
        from policytrack.crawler.sources import select

        chosen = select(list(opts.sources), opts.sources_file)
        if opts.base_url:
            for src in chosen:
                src.rebased(opts.base_url)
    resolve_notebooks(opts.notebooks)
    check_lang(opts.lang, "--lang")


def run_job(opts: RunOptions, *, verbose: bool = False) -> RunResult:
    """The whole job under the data-dir lock. Raises ConfigError / LockError (exit 2) only
    before anything was done; every later failure is recorded in the result."""
    # Absolute paths: the report's kernels run in another working directory.
    opts = replace(
        opts,
        data_dir=Path(opts.data_dir).absolute(),
        out=Path(opts.out).absolute(),
        sources_file=Path(opts.sources_file).absolute() if opts.sources_file else None,
    )
    validate(opts)
    check_data_dir(opts.data_dir)
    started = _now()
    t0 = time.perf_counter()
    opts.data_dir.mkdir(parents=True, exist_ok=True)
    logs = opts.data_dir / "logs"
    with RunLock(opts.data_dir, " ".join(sys.argv[1:]) or "run") as lock:
        run_id = _iso(started)
        result = RunResult(run_id, opts.data_dir, run_id)
        result.log_path = _log_name(logs, started)
        with run_log(result.log_path, verbose):
            log.info("run %s (pid %d) on %s", run_id, os.getpid(), opts.data_dir)
            if lock.previous is not None:
                result.notes.append(
                    f"took over the lock of an interrupted run ({lock.previous.describe()})"
                )
            last = read_last_run(logs)
            result.since = last.get("finished_at")
            known = set(last["doc_ids"]) if "doc_ids" in last else None

            if opts.crawl:
                lock.phase("crawl")
                result.crawl = crawl_stage(opts, run_id)
                _record_stats(result, logs, opts)
            else:
                result.crawl.skipped = True

            if result.crawl.stopped:
                result.build.error = "not run: the crawl was stopped by a signal"
                result.report = ReportStage("skipped", reason="the crawl was stopped by a signal")
            else:
                lock.phase("build")
                result.build = build_stage(opts)
                lock.phase("report")
                result.report = report_stage(opts, result.build, last)

            if result.build.error is None and set(result.build.doc_ids or ()) != known:
                # (The same documents as at the last completed run: nothing to report, and no
                # table needs reading, which keeps a warm run cheap.)
                try:
                    result.changes = compute_changes(opts.data_dir, known)
                except Exception as err:  # the summary must not sink a run that worked
                    log.exception("could not compute the changes")
                    result.notes.append(f"changes not computed: {oneline(err)}")
            result.finished_at = _iso(_now())
            result.seconds = time.perf_counter() - t0
            result.exit_code = exit_code(result)
            _save_last_run(result, logs, last)
            text = format_summary(result)
            log.info("summary\n%s", text)
    return result


def _record_stats(result: RunResult, logs: Path, opts: RunOptions) -> None:
    from policytrack.crawler.sources import select

    selectors = {
        src.name: " | ".join(src.list.item) for src in select(opts.sources, opts.sources_file)
    }
    for s in result.crawl.stats:
        result.flags += stats.source_flags(
            result.data_dir, s, list_selector=selectors.get(s.source, "")
        )
    try:
        stats.append(logs, result.crawl.stats)
    except OSError as err:
        log.error("could not append to %s: %s", logs / stats.STATS_FILE, oneline(err))
        result.notes.append(f"stats not written: {oneline(err)}")


def _save_last_run(result: RunResult, logs: Path, last: dict) -> None:
    """Move the baseline forward only over what this run finished."""
    state = dict(last)
    state["run"] = result.run_id
    state["finished_at"] = result.finished_at
    state["exit_code"] = result.exit_code
    if result.build.error is None and result.build.doc_ids is not None:
        state["doc_ids"] = sorted(result.build.doc_ids)
    if result.report.status in ("built", "unchanged") and result.report.path:
        state["report"] = {
            "path": str(result.report.path),
            "fingerprint": result.report.fingerprint,
        }
    try:
        atomic.write_text(logs / LAST_RUN, json.dumps(state, ensure_ascii=False, indent=1))
    except OSError as err:
        log.error("could not write %s: %s", logs / LAST_RUN, oneline(err))
        result.notes.append(f"{LAST_RUN} not written: {oneline(err)}")
