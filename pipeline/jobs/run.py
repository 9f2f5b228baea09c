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

import contextlib
import hashlib
import json
import logging
import os
import signal
import sys
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from policytrack.pipeline.core import progress
from policytrack.pipeline.core.errors import ConfigError, PolicytrackError
from policytrack.pipeline.jobs import stats
from policytrack.pipeline.store import atomic
from policytrack.pipeline.store.lock import RunLock

log = logging.getLogger("policytrack.pipeline.jobs.run")

EXIT_OK, EXIT_PARTIAL, EXIT_NOTHING = 0, 1, 2
LAST_RUN = "last_run.json"
# Tables the report reads: when none changed and the report is still there, it is not rebuilt.
REPORT_TABLES = ("documents", "items", "terms", "term_timeline", "alignments", "threads")
MAX_TERMS = 8  # terms listed per notice in the summary


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
class NoticeChange:
    """A document that is new since the last run, and how its priorities differ."""

    source: str
    series: str
    year: int
    title: str
    doc_id: str
    revised: bool = False  # a new version of a year already known
    compared_to: int | None = None  # year compared with (the previous document of the series)
    new_terms: list[str] = field(default_factory=list)
    fading_terms: list[str] = field(default_factory=list)


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


# --------------------------------------------------------------------------------------------
# helpers


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def oneline(err: BaseException) -> str:
    """A one-line reason: OSError as 'file: strerror', others as their message."""
    if isinstance(err, OSError) and err.strerror:
        where = err.filename
        return f"{where}: {err.strerror}" if where else err.strerror
    if isinstance(err, PolicytrackError):
        return str(err)
    text = (str(err).strip().splitlines() or [""])[0]
    return f"{type(err).__name__}: {text}" if text else type(err).__name__


def say(message: str) -> None:
    """Stage progress on a terminal (silent in CI or when piped); always in the log."""
    log.info("%s", message)
    if progress.enabled() and not _console_shows_info():
        print(f"· {message}", file=sys.stderr, flush=True)


def _console_shows_info() -> bool:
    return any(
        getattr(h, "stream", None) in (sys.stderr, sys.stdout) and h.level <= logging.INFO
        for h in logging.getLogger().handlers
        if not isinstance(h, logging.FileHandler)
    )


@contextlib.contextmanager
def run_log(path: Path, verbose: bool):
    """Log INFO and up to `path` for the run; the console keeps its level (WARNING unless -v)."""
    root = logging.getLogger()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.FileHandler(path, encoding="utf-8")
    except OSError as err:  # a full or read-only disk must not stop the run; say so instead
        log.warning("%s: no run log (%s)", path, oneline(err))
        handler = logging.NullHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.setLevel(logging.INFO)
    old_level = root.level
    consoles = [h for h in root.handlers if not isinstance(h, logging.FileHandler)]
    old = [(h, h.level) for h in consoles]
    for h in consoles:
        # The summary is the run's output; per-stage detail goes to the log file.
        h.setLevel(max(h.level, old_level if verbose else logging.WARNING))
    root.setLevel(min(old_level or logging.WARNING, logging.INFO))
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        handler.close()
        root.setLevel(old_level)
        for h, level in old:
            h.setLevel(level)


def _log_name(logs: Path, t: datetime) -> Path:
    stem = f"run-{t.strftime('%Y%m%dT%H%M%SZ')}"
    path, n = logs / f"{stem}.log", 1
    while path.exists():
        path, n = logs / f"{stem}-{n}.log", n + 1
    return path


def read_last_run(logs: Path) -> dict:
    try:
        data = json.loads((logs / LAST_RUN).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def tables_fingerprint(processed: Path, extra: dict) -> str | None:
    """Hash of the report's input tables (bytes) and parameters; None when a table is missing."""
    h = hashlib.sha256(json.dumps(extra, sort_keys=True, ensure_ascii=False).encode())
    for name in REPORT_TABLES:
        p = processed / f"{name}.parquet"
        try:
            h.update(name.encode() + b"\0" + p.read_bytes())
        except FileNotFoundError:
            return None
    return h.hexdigest()[:32]


# pipeline/report.py's NOTEBOOK_DIR, found without importing it (it imports matplotlib, ~1 s that
# a warm run does not need).
NOTEBOOK_DIR = Path(__file__).resolve().parents[2] / "notebooks"


def bundled_notebooks() -> list[str]:
    return sorted(p.name for p in NOTEBOOK_DIR.glob("[0-9]*.ipynb"))


def report_code_hash(notebooks: list[Path] | None) -> str:
    """Hash of what turns tables into the report: the notebooks and the chart/report modules."""
    here = Path(__file__).resolve().parent
    paths = notebooks or [NOTEBOOK_DIR / n for n in bundled_notebooks()]
    h = hashlib.sha256()
    for p in [*paths, here / "charts.py", here / "report.py"]:
        with contextlib.suppress(OSError):
            h.update(p.name.encode() + b"\0" + p.read_bytes())
    return h.hexdigest()[:16]


def resolve_notebooks(names: list[str] | None) -> list[Path] | None:
    """Notebook names or prefixes ("01", "02_priority_timelines") → bundled notebook paths."""
    if not names:
        return None
    available = bundled_notebooks()
    out = []
    for name in names:
        hits = [n for n in available if n == name or n.startswith(name)]
        if len(hits) != 1:
            raise ConfigError(f"--notebook {name!r}: expected one of {', '.join(available)}")
        out.append(NOTEBOOK_DIR / hits[0])
    return out


# --------------------------------------------------------------------------------------------
# what changed


def notice_changes(documents, terms, timeline, known: set[str] | None) -> list[NoticeChange]:
    """Documents not in `known` (None: all are new), with their new and fading priorities.

    New priorities: terms of the notice never seen in earlier years of its series. Fading: terms
    of the series' previous document that the notice no longer has. A new version of a year
    already known is compared with the version it replaces. Variants are folded onto the
    canonical form of the term timeline (打好三大攻坚战 → 三大攻坚战).
    """
    if documents is None or documents.empty:
        return []
    canon: dict[tuple[str, str, str], str] = {}
    if timeline is not None and not timeline.empty and "canonical" in timeline:
        pairs = timeline[["source", "series", "term", "canonical"]].drop_duplicates()
        canon = {(r.source, r.series, r.term): r.canonical for r in pairs.itertuples(index=False)}
    by_doc: dict[str, dict[str, int]] = {}
    if terms is not None and not terms.empty:
        for r in terms.itertuples(index=False):
            c = canon.get((r.source, r.series, r.term), r.term)
            d = by_doc.setdefault(r.doc_id, {})
            d[c] = d.get(c, 0) + int(r.count)
    docs = documents.sort_values(["source", "series", "year", "recorded_at", "doc_id"])
    fresh = docs if known is None else docs[~docs["doc_id"].isin(known)]
    out = []
    for row in fresh.itertuples(index=False):
        series = docs[(docs["source"] == row.source) & (docs["series"] == row.series)]
        others = series[series["doc_id"] != row.doc_id]
        mine = by_doc.get(row.doc_id, {})
        same_year = others[others["year"] == row.year]
        older_known = same_year[
            same_year["doc_id"].isin(known or set()) & (same_year["recorded_at"] <= row.recorded_at)
        ]
        change = NoticeChange(row.source, row.series, int(row.year), row.title, row.doc_id)
        if not older_known.empty:
            prev = older_known.iloc[-1]
            change.revised, change.compared_to = True, int(prev["year"])
            before = by_doc.get(prev["doc_id"], {})
            seen = set(before)
        else:
            earlier = others[others["year"] < row.year]
            # The latest version of each earlier year speaks for that year.
            earlier = earlier.drop_duplicates("year", keep="last")
            seen = (
                set().union(*(by_doc.get(d, {}) for d in earlier["doc_id"]))
                if len(earlier)
                else set()
            )
            before = by_doc.get(earlier.iloc[-1]["doc_id"], {}) if len(earlier) else {}
            change.compared_to = int(earlier.iloc[-1]["year"]) if len(earlier) else None
        rank = lambda counts: lambda t: (-counts.get(t, 0), t)  # noqa: E731
        if change.compared_to is not None:
            change.new_terms = sorted(set(mine) - seen, key=rank(mine))
            change.fading_terms = sorted(set(before) - set(mine), key=rank(before))
        out.append(change)
    return out


# --------------------------------------------------------------------------------------------
# stages


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


def build_stage(opts: RunOptions, interrupted_build: bool) -> BuildStage:
    from policytrack.pipeline.jobs.build import build

    stage = BuildStage()
    t0 = time.perf_counter()
    processed = opts.data_dir / "processed"
    if interrupted_build:
        # The combined tables are rewritten table by table; a run killed among those writes can
        # leave them from two builds. build() rewrites them all when its report is missing.
        log.warning("the last run was killed while building: rewriting every combined table")
        with contextlib.suppress(FileNotFoundError):
            (processed / "build_report.json").unlink()
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
        "code": report_code_hash(notebooks),  # a new policytrack version rebuilds the report
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
    import pandas as pd

    processed = data_dir / "processed"

    def read(name, columns):
        p = processed / f"{name}.parquet"
        if not p.exists():
            return None
        df = pd.read_parquet(p)  # an empty analysis table may have no columns at all
        return df[columns] if set(columns) <= set(df.columns) else None

    docs = read("documents", ["doc_id", "source", "series", "year", "title", "recorded_at"])
    if docs is None or docs.empty:
        return []
    terms = read("terms", ["source", "series", "doc_id", "term", "count"])
    timeline = read("term_timeline", ["source", "series", "term", "canonical"])
    return notice_changes(docs, terms, timeline, known)


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


# --------------------------------------------------------------------------------------------
# the job


def validate(opts: RunOptions) -> None:
    """Configuration errors before anything is touched (one line naming the file and key)."""
    if opts.crawl:
        from policytrack.crawler.sources import select

        chosen = select(list(opts.sources), opts.sources_file)
        if opts.base_url:
            for src in chosen:
                src.rebased(opts.base_url)
    resolve_notebooks(opts.notebooks)
    if opts.lang not in ("zh", "en"):
        raise ConfigError(f"--lang: expected zh or en, got {opts.lang!r}")


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
                interrupted = lock.previous is not None and lock.previous.phase == "build"
                result.build = build_stage(opts, interrupted)
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


# --------------------------------------------------------------------------------------------
# the summary


def _list(terms: list[str]) -> str:
    shown = "、".join(terms[:MAX_TERMS])
    return shown + (f" …(+{len(terms) - MAX_TERMS})" if len(terms) > MAX_TERMS else "")


def _http(codes: dict[str, int]) -> str:
    return ", ".join(f"{c}×{n}" for c, n in sorted(codes.items())) or "none"


def format_summary(r: RunResult) -> str:
    lines = [f"policytrack run {r.run_id}  data: {r.data_dir}"]
    lines.append(
        f"changes since the last run ({r.since})" if r.since else "first run: everything is new"
    )
    lines += [f"note: {n}" for n in r.notes]
    # crawl
    if r.crawl.skipped:
        lines.append("crawl   skipped (--offline)")
    for s in r.crawl.stats:
        lines.append(
            f"crawl   {s.source}: {s.new_notices} new, {s.unchanged} unchanged, "
            f"{s.notices_found} listed; {s.requests} requests (HTTP {_http(s.http)}), "
            f"{s.errors} error{'s' if s.errors != 1 else ''}"
        )
    if r.crawl.error:
        lines.append(f"crawl   failed: {r.crawl.error}")
    # build
    b = r.build
    if r.crawl.stopped:
        lines.append("build   skipped: the crawl was stopped by a signal (SIGTERM / Ctrl-C)")
    elif b.error:
        lines.append(f"build   failed: {b.error} (previous tables kept)")
    elif not b.parsed and not b.aligned and not b.changed:
        lines.append(f"build   nothing new: no parsing or alignment ({b.documents} documents)")
    else:
        counts = ", ".join(f"{k} {v}" for k, v in b.tables.items() if k in ("items", "terms"))
        aligned = ", ".join(b.aligned) or "none"
        lines.append(
            f"build   parsed {b.parsed}, reused {b.reused}, aligned {aligned}; "
            f"{b.documents} documents, {counts}"
        )
    # report
    rep = r.report
    if rep.status == "built":
        nb = f"{rep.notebooks} notebook{'s' if rep.notebooks != 1 else ''}"
        lines.append(f"report  {rep.path} ({nb}, {rep.figures} figures)")
    elif rep.status == "unchanged":
        lines.append(f"report  not rebuilt ({rep.reason}): {rep.path}")
    else:
        lines.append(f"report  {rep.status}: {rep.reason}")
    # changes
    if r.changes:
        n = len(r.changes)
        lines.append(f"new notices: {n}")
        current = None
        for c in r.changes:
            if (c.source, c.series) != current:
                current = (c.source, c.series)
                lines.append(f"  {c.source} · {c.series}")
            what = "revised" if c.revised else "new"
            lines.append(f"    + {c.year} {c.title} ({what})")
            if c.compared_to is None:
                lines.append("        first of its series")
                continue
            versus = "the earlier version" if c.revised else str(c.compared_to)
            lines.append(f"        new priorities: {_list(c.new_terms) or '—'}")
            lines.append(f"        fading since {versus}: {_list(c.fading_terms) or '—'}")
    elif r.build.error is None:
        lines.append("new notices: none")
    # flags and problems
    if r.flags:
        lines.append("flags")
        lines += [f"  {'!' if f.fatal else '?'} {f}" for f in r.flags]
    problems = [f"crawl {s.source}: {p}" for s in r.crawl.stats for p in s.failures]
    problems += [f"build: {where}: {why}" for where, why in b.failures]
    if rep.status == "failed":
        problems.append(f"report: {rep.reason}")
    if problems:
        lines.append("problems")
        lines += [f"  {p}" for p in problems]
    lines.append(
        f"time    crawl {r.crawl.seconds:.1f} s · build {b.seconds:.1f} s · "
        f"report {rep.seconds:.1f} s · total {r.seconds:.1f} s"
    )
    meaning = {0: "ok", 1: "partial failure", 2: "nothing could be done"}[r.exit_code]
    lines.append(f"exit {r.exit_code} ({meaning}); log: {r.log_path}")
    return "\n".join(lines)
