"""`policytrack report`: execute the notebooks into reports/<YYYY-MM-DD>/.

Output per run: the executed notebooks, a self-contained HTML of each (no code, no external
scripts), every figure as PNG (150 dpi, 16:9) and SVG under figures/, and an index.html linking
them. Everything is built in a hidden temp folder beside the target and renamed into place only
when every notebook ran, so a failed run leaves the previous report of that day untouched.
"""

from __future__ import annotations

import contextlib
import html
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

from policytrack.pipeline.core import progress
from policytrack.pipeline.core.errors import PolicytrackError
from policytrack.pipeline.report import charts
from policytrack.pipeline.store.lock import pid_alive

log = logging.getLogger(__name__)

NOTEBOOK_DIR = Path(__file__).resolve().parents[2] / "notebooks"
NOTEBOOKS = ("01_corpus_overview.ipynb", "02_priority_timelines.ipynb", "03_item_flows.ipynb")
# Tables each notebook reads: checked before any kernel starts, for a quick, clear error.
NEEDS = {
    "01_corpus_overview.ipynb": ("documents", "items"),
    "02_priority_timelines.ipynb": ("documents", "term_timeline"),
    "03_item_flows.ipynb": ("documents", "items", "alignments", "threads"),
}
FIGURES = "figures"
# Figure file stem → charts.LABELS key of its title, for the index page.
FIGURE_TITLES = {
    "01_documents_per_year": "docs_per_year",
    "01_coverage": "coverage",
    "01_items_per_section": "items_per_section",
    "02_term_heatmap": "heatmap",
    "02_watch_lanes": "watch",
    "02_rising_fading": "rising_fading",
    "03_alluvial": "flows",
    "03_relations_per_year": "flow_bars",
    "03_longest_threads": "threads",
}
NOTEBOOK_TITLES = {
    "zh": {"01": "文件概览", "02": "重点提法时间线", "03": "条目流向"},
    "en": {"01": "Corpus overview", "02": "Priority timelines", "03": "Item flows"},
}

# The lab template minus everything it would fetch from a CDN (require.js, MathJax, mermaid):
# the report must open offline. CSS is inlined by the lab template itself, images are base64.
_TEMPLATE = """{%- extends 'index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block extra_css -%}<style>
.pt-table.pt-table.pt-table{border-collapse:collapse;margin:0.5em 0 1.5em;font-size:13px}
.pt-table.pt-table.pt-table th,.pt-table.pt-table.pt-table td{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}
.pt-table.pt-table.pt-table th{background:#f4f4f4}
</style>{%- endblock extra_css -%}
"""


class ReportError(PolicytrackError):
    """A notebook failed or the report could not be written (one line: notebook, cell, error)."""


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
) -> ReportResult:
    """Run every notebook into `out_root/<day>/` and return what was written.

    `notebooks` defaults to the three bundled ones; a path list lets tests run their own.
    """
    paths = (
        [Path(p) for p in notebooks]
        if notebooks is not None
        else [NOTEBOOK_DIR / n for n in NOTEBOOKS]
    )
    for nb in paths:
        if not nb.is_file():
            raise ReportError(f"{nb}: notebook not found")
    scope = preflight(params, [p.name for p in paths])
    # Absolute: the kernel runs in another working directory and writes its log under out_root.
    out_root = Path(out_root).resolve()
    out_root.mkdir(parents=True, exist_ok=True)
    stamp = (day or date.today()).isoformat()
    _sweep_stale(out_root)
    build = Path(tempfile.mkdtemp(prefix=f".{stamp}.building.{os.getpid()}.", dir=out_root))
    build.chmod(0o777 & ~_umask())  # mkdtemp makes 0700; the report is meant to be shared
    try:
        result = ReportResult(out_dir=out_root / stamp)
        for nb in progress.track(paths, "report: executing notebooks", total=len(paths)):
            log.info("executing %s", nb.name)
            executed = build / nb.name
            _execute(nb, executed, params, build, kernel_name, timeout)
            page = executed.with_suffix(".html")
            page.write_text(to_html(executed, params.lang), encoding="utf-8")
            result.notebooks.append(executed.name)
            result.html.append(page.name)
        order = {stem: i for i, stem in enumerate(FIGURE_TITLES)}
        figures = sorted(
            (build / FIGURES).glob("*.png"), key=lambda p: (order.get(p.stem, len(order)), p.name)
        )
        result.figures = [f.relative_to(build) for f in figures]
        (build / "index.html").write_text(
            index_html(result, params, scope, stamp), encoding="utf-8"
        )
    except BaseException:
        _keep_failed(build, out_root, stamp)
        raise
    _swap_into_place(build, result.out_dir)
    result.notebooks = [result.out_dir / n for n in result.notebooks]
    result.html = [result.out_dir / n for n in result.html]
    result.figures = [result.out_dir / f for f in result.figures]
    return result


def preflight(params: ReportParams, names: Sequence[str]) -> charts.Scope:
    """Check tables, source, series and years before starting kernels; return the scope."""
    need: list[str] = []
    for name in names:
        need += [t for t in NEEDS.get(name, ("documents",)) if t not in need]
    tables = charts.load_tables(params.data_dir, need=need)
    return charts.choose_scope(
        tables["documents"], params.source, params.series, params.years, params.lang
    )


def _execute(
    nb: Path, out: Path, params: ReportParams, cwd: Path, kernel_name: str, timeout: int
) -> None:
    import papermill
    from papermill.exceptions import PapermillExecutionError

    kernel_log = cwd / f".{nb.stem}.kernel.log"
    try:
        papermill.execute_notebook(
            str(nb),
            str(out),
            parameters=params.for_papermill(),
            cwd=str(cwd),
            kernel_name=kernel_name,
            progress_bar=False,
            log_output=False,
            request_save_on_cell_execute=False,
            execution_timeout=timeout,
            kernel_manager_class=_kernel_manager(kernel_log),
        )
    except PapermillExecutionError as err:
        reason = (err.evalue or "").strip().splitlines()
        first = reason[0] if reason else ""
        raise ReportError(f"{nb.name}: cell {err.exec_count} failed: {err.ename}: {first}") from err
    except Exception as err:  # kernel died, timed out, could not start
        first = (str(err).strip().splitlines() or [""])[0]
        log.error("kernel output kept in %s", kernel_log)
        raise ReportError(f"{nb.name}: execution failed: {type(err).__name__}: {first}") from err
    kernel_log.unlink(missing_ok=True)


def _kernel_manager(stderr_path: Path):
    """A kernel manager whose kernel writes its stderr (start-up chatter, shutdown noise, crash
    tracebacks) to a file instead of the user's terminal."""
    from jupyter_client.manager import AsyncKernelManager

    class FileStderrKernelManager(AsyncKernelManager):
        async def start_kernel(self, **kw):
            with open(stderr_path, "ab") as sink:  # the kernel keeps its own copy of the fd
                kw["stdout"] = kw["stderr"] = sink
                return await super().start_kernel(**kw)

    return FileStderrKernelManager


def to_html(notebook: Path, lang: str = "zh") -> str:
    """Self-contained HTML of an executed notebook, code hidden (outputs and text only)."""
    import nbformat
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(
        template_name="lab",
        extra_loaders=[DictLoader({"policytrack.html.j2": _TEMPLATE})],
        template_file="policytrack.html.j2",
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
        language_code="zh" if lang == "zh" else "en",
    )
    body, _ = exporter.from_notebook_node(nbformat.read(notebook, as_version=4))
    return body


def index_html(result: ReportResult, params: ReportParams, scope: charts.Scope, stamp: str) -> str:
    """The report's front page. Every value shown is escaped (source names, series, watch terms)."""
    lang = params.lang
    lab = charts.labels(lang)
    esc = html.escape
    zh = lang == "zh"
    title = f"policytrack {'报告' if zh else 'report'} {stamp}"
    facts = [
        (lab["source"], scope.source),
        (lab["series"], scope.series),
        (lab["year"], f"{scope.years[0]}–{scope.years[1]}"),
        ("关注提法" if zh else "Watch list", "、".join(params.watch or charts.default_watch())),
    ]
    parts = [
        f"<!DOCTYPE html><html lang='{'zh' if zh else 'en'}'><head><meta charset='utf-8'>",
        f"<title>{esc(title)}</title><style>{_INDEX_CSS}</style></head><body>",
        f"<h1>{esc(title)}</h1>",
    ]
    if scope.is_sample:
        parts.append(f"<p class='sample'>{esc(lab['sample'])}</p>")
    parts.append("<table class='facts'>")
    parts += [f"<tr><th>{esc(k)}</th><td>{esc(str(v))}</td></tr>" for k, v in facts]
    parts.append("</table>")
    parts.append(f"<h2>{'笔记本' if zh else 'Notebooks'}</h2><ul>")
    names = NOTEBOOK_TITLES["zh" if zh else "en"]
    for nb, page in zip(result.notebooks, result.html, strict=True):
        nb_name, page_name = Path(nb).name, Path(page).name
        label = names.get(nb_name[:2], Path(nb_name).stem)
        parts.append(
            f"<li><a href='{esc(page_name, quote=True)}'>{esc(label)}</a> "
            f"(<a href='{esc(nb_name, quote=True)}'>.ipynb</a>)</li>"
        )
    parts.append(f"</ul><h2>{'图表' if zh else 'Figures'}</h2><div class='grid'>")
    for fig in result.figures:
        fig = Path(fig)
        png, svg = fig.as_posix(), fig.with_suffix(".svg").as_posix()
        caption = lab.get(FIGURE_TITLES.get(fig.stem, ""), fig.stem)
        parts.append(
            f"<figure><a href='{esc(png, quote=True)}'><img src='{esc(png, quote=True)}' "
            f"alt='{esc(caption, quote=True)}'></a><figcaption>{esc(caption)} · "
            f"<a href='{esc(png, quote=True)}'>PNG</a> · <a href='{esc(svg, quote=True)}'>SVG</a>"
            "</figcaption></figure>"
        )
    parts.append(f"</div><p class='note'>{esc(scope.footnote)}</p></body></html>")
    return "\n".join(parts)


_INDEX_CSS = (
    "body{font-family:sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;color:#222}"
    ".sample{background:#b00020;color:#fff;padding:.5em 1em;display:inline-block}"
    ".facts th{text-align:left;padding-right:1em}"
    ".grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(360px,1fr));gap:1em}"
    "figure{margin:0}figure img{width:100%;border:1px solid #ddd}.note{color:#666;font-size:.9em}"
)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_STALE = re.compile(r"^\.[0-9-]+\.(?:building|old)\.(\d+)(?:\.|$)")
_OLD_DAY = re.compile(r"^\.([0-9-]+)\.old\.\d+$")


def _sweep_stale(out_root: Path) -> None:
    """Remove build folders left by runs that were killed (their pid is gone)."""
    for path in out_root.iterdir():
        m = _STALE.match(path.name)
        if m and path.is_dir() and not pid_alive(int(m.group(1))):
            # Killed between the two renames of _swap_into_place: the previous report is the
            # only copy of that day, so it goes back in place rather than away.
            day = _OLD_DAY.match(path.name)
            if day and not (out_root / day.group(1)).exists():
                log.info("restoring %s left by an interrupted run", path)
                os.replace(path, out_root / day.group(1))
                continue
            log.info("removing %s left by an interrupted run", path)
            shutil.rmtree(path, ignore_errors=True)


def _swap_into_place(build: Path, final: Path) -> None:
    """Rename the finished build onto `final`; an older report of the same day is removed only
    after the new one is in place."""
    old = None
    if final.exists():
        old = final.with_name(f".{final.name}.old.{os.getpid()}")  # swept if we die here
        if old.exists():
            shutil.rmtree(old)
        os.replace(final, old)
    try:
        os.replace(build, final)
    except BaseException:
        if old is not None:
            os.replace(old, final)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _keep_failed(build: Path, out_root: Path, stamp: str) -> None:
    """Keep a failed build (with the failing executed notebook) as <out>/.failed-<day>/ for
    inspection, replacing an older failed one."""
    failed = out_root / f".failed-{stamp}"
    with contextlib.suppress(OSError):
        if failed.exists():
            shutil.rmtree(failed)
        os.replace(build, failed)
        return
    shutil.rmtree(build, ignore_errors=True)
