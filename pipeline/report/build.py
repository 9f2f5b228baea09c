"""`policytrack report`: execute the notebooks into reports/<YYYY-MM-DD>/.

Output per run: the executed notebooks, a self-contained HTML of each (no code, no external
scripts), every figure as PNG (150 dpi, 16:9) and SVG under figures/, and an index.html linking
them. Everything is built in a hidden temp folder beside the target and renamed into place only
when every notebook ran, so a failed run leaves the previous report of that day untouched.

The steps live beside this module: notebooks.py (execute, HTML, code_hash), publish.py (build
folder, swap into place), index.py (the front page); the charts themselves are in views.py,
plots_*.py and registry.py.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

from policytrack.pipeline.core import progress
from policytrack.pipeline.report import publish
from policytrack.pipeline.report.kernels import YOUNG_COLLECTION_EVERY, Job, KernelPool
from policytrack.pipeline.report.notebooks import (
    NEEDS,
    NOTEBOOK_DIR,
    NOTEBOOKS,
    ReportError,
    code_cells,
    to_html,
)

# The modules that need pandas (explorer, index, load, scope: about a second to import) are
# imported in build_report once the kernels are starting, so the kernels start that much sooner.

log = logging.getLogger(__name__)

FIGURES = "figures"


@dataclass(frozen=True)
class ReportParams:
    """The papermill parameters every notebook takes (see the notebooks' `parameters` cell)."""

    data_dir: str
    source: str | None = None
    series: str | None = None
    years: list[int] | None = None
    watch: list[str] | None = None
    lang: str = "zh"

    def for_papermill(self) -> dict:
        params = asdict(self)
        params["data_dir"] = str(Path(self.data_dir).resolve())
        params["figures_dir"] = FIGURES  # relative to the notebook's working dir, the build dir
        return params


@dataclass
class ReportResult:
    out_dir: Path
    notebooks: list[Path] = field(default_factory=list)
    html: list[Path] = field(default_factory=list)
    figures: list[Path] = field(default_factory=list)


def build_report(
    params: ReportParams,
    out_root: str | Path = "reports",
    *,
    notebooks: Sequence[str | Path] | None = None,
    day: date | None = None,
    kernel_name: str = "python3",
    timeout: int = 900,
    jobs: int | None = None,
) -> ReportResult:
    """Run every notebook into `out_root/<day>/` and return what was written.

    `notebooks` defaults to the three bundled ones; a path list lets tests run their own.
    `jobs` kernels run at once (default: one per core, at most one per notebook); they start
    while the tables are checked, and nothing is written when the check fails.
    """
    paths = (
        [Path(p) for p in notebooks]
        if notebooks is not None
        else [NOTEBOOK_DIR / n for n in NOTEBOOKS]
    )
    for nb in paths:
        if not nb.is_file():
            raise ReportError(f"{nb}: notebook not found")
    jobs = jobs or default_jobs(len(paths))
    with (
        fewer_collections(),
        KernelPool(jobs, kernel_name) as kernels,  # kernels start while the tables are checked
    ):
        kernels.wait_spawned(timeout)
        from policytrack.pipeline.report.explorer import EXPLORER, write_explorer
        from policytrack.pipeline.report.index import figure_order, index_html
        from policytrack.pipeline.report.scope import resolve_watch

        tables, scope = preflight(params, [p.name for p in paths])
        # Absolute: the kernels run in another working directory.
        out_root = Path(out_root).resolve()
        out_root.mkdir(parents=True, exist_ok=True)
        stamp = (day or date.today()).isoformat()
        build = publish.new_build_dir(out_root, stamp)
        try:
            result = ReportResult(out_dir=out_root / stamp)
            # The explorer and the findings are written in this process while the kernels run
            # the notebooks (they are other processes; this one mostly waits on them).
            with ThreadPoolExecutor(1) as pool:
                explorer = pool.submit(
                    write_explorer, params.data_dir, build / EXPLORER, read=tables.frames
                )
                summary = pool.submit(summary_of, tables, scope)
                run_notebooks(kernels, paths, build, params, timeout)
                explorer.result()
                summary = summary.result()
            result.notebooks = [nb.name for nb in paths]
            result.html = [Path(nb.name).with_suffix(".html").name for nb in paths]
            figures = figure_order((build / FIGURES).glob("*.png"))
            result.figures = [f.relative_to(build) for f in figures]
            page = index_html(
                scope,
                resolve_watch(params.watch),
                stamp,
                result.notebooks,
                result.html,
                result.figures,
                summary=summary,
            )
            (build / "index.html").write_text(page, encoding="utf-8")
        except BaseException:
            publish.keep_failed(build, out_root, stamp)
            raise
    publish.swap_into_place(build, result.out_dir)
    result.notebooks = [result.out_dir / n for n in result.notebooks]
    result.html = [result.out_dir / n for n in result.html]
    result.figures = [result.out_dir / f for f in result.figures]
    return result


@contextlib.contextmanager
def fewer_collections(young: int = YOUNG_COLLECTION_EVERY):
    """The garbage collector's young generation collected every `young` allocations instead of
    700, until the block ends: the explorer, the findings and the notebooks' HTML allocate
    millions of objects that mostly live on, and each collection traversed them again (a
    second of CPU on GWR, a few thousand collections). The kernels do the same (kernels.py)."""
    before = gc.get_threshold()
    gc.set_threshold(young, 20, 10)
    try:
        yield
    finally:
        gc.set_threshold(*before)


def summary_of(tables, scope) -> str:
    """The index's findings summary (index.py), as HTML."""
    from policytrack.pipeline.report.index import report_findings, summary_html

    return summary_html(report_findings(tables, scope), scope)


def default_jobs(n_notebooks: int) -> int:
    """Kernels at once: one per core (each kernel is single-threaded), no more than notebooks."""
    return max(1, min(n_notebooks, os.cpu_count() or 1))


def run_notebooks(
    kernels: KernelPool, paths: Sequence[Path], build: Path, params: ReportParams, timeout: int
) -> None:
    """Execute each notebook into `build` and write its HTML page, a progress line per notebook
    (cells done) under one for the report (notebooks done).

    A page is written by a thread of its own while the kernel that ran the notebook goes on to
    the next one (converting a page took a second of this process, with the kernel idle)."""

    def write_page(executed: Path) -> None:
        executed.with_suffix(".html").write_text(to_html(executed, params.lang), encoding="utf-8")
        overall.advance()

    # Leaving the block waits for every page submitted, also when a notebook failed.
    with contextlib.ExitStack() as bars, ThreadPoolExecutor(1) as writer:
        overall = bars.enter_context(progress.task("report: notebooks", total=len(paths)))
        pages = []

        def done(executed: Path) -> None:
            pages.append(writer.submit(write_page, executed))

        jobs = []
        for nb in paths:
            bar = bars.enter_context(progress.task(f"  {nb.stem}", total=code_cells(nb)))
            jobs.append(Job(nb, build / nb.name, on_cell=bar.advance, on_done=done))
        log.info("executing %s", ", ".join(nb.name for nb in paths))
        kernels.run(jobs, params.for_papermill(), build, timeout)
        for page in pages:
            page.result()


def preflight(params: ReportParams, names: Sequence[str]):
    """Check tables, source, series and years before starting kernels; return the tables read
    and the scope."""
    need: list[str] = []
    for name in names:
        need += [t for t in NEEDS.get(name, ("documents",)) if t not in need]
    from policytrack.pipeline.report.load import load_tables
    from policytrack.pipeline.report.scope import choose_scope

    tables = load_tables(params.data_dir, need=need)
    scope = choose_scope(
        tables["documents"], params.source, params.series, params.years, params.lang
    )
    return tables, scope
