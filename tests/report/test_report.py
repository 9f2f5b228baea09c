"""`policytrack report` on the hand-made tables: all three notebooks really executed (papermill,
a real kernel), the files written, the HTML self-contained and escaped, failures reported with the
cell's error while the previous report stays intact."""

from __future__ import annotations

import hashlib
import os
import re
from datetime import date
from pathlib import Path

import nbformat
import pytest
from PIL import Image
from typer.testing import CliRunner

from policytrack.pipeline.cli.app import app
from policytrack.pipeline.core.errors import InputError
from policytrack.pipeline.report import build as report
from policytrack.pipeline.report import registry
from policytrack.pipeline.report.notebooks import NOTEBOOKS, code_hash
from policytrack.pipeline.report.scope import ChartError
from tests.support.tiny import write_tiny_dataset

pytestmark = pytest.mark.xdist_group("report-tiny")

# Every figure of the report, in notebook order: from the chart registry, never listed by hand.
FIGURES = [c.name for c in registry.charts()]


def svg_texts(path: Path) -> list[str]:
    return re.findall(r"<!-- (.*?) -->", path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def tiny_report(tmp_path_factory):
    """One run of the real command over the tiny tables (kernel start-up is the slow part)."""
    root = tmp_path_factory.mktemp("report")
    data = write_tiny_dataset(root / "data")
    out = root / "reports"
    result = CliRunner().invoke(app, ["report", "--data", str(data), "--out", str(out)])
    assert result.exit_code == 0, result.output
    days = [p for p in out.iterdir() if not p.name.startswith(".")]
    assert len(days) == 1
    return days[0], result.output


@pytest.mark.slow
def test_report_layout(tiny_report):
    day, output = tiny_report
    assert day.name == date.today().isoformat()
    assert f"report: 4 notebooks, {len(FIGURES)} figures → {day / 'index.html'}" in output
    names = sorted(p.name for p in day.iterdir())
    assert names == [
        "01_corpus_overview.html",
        "01_corpus_overview.ipynb",
        "02_priority_timelines.html",
        "02_priority_timelines.ipynb",
        "03_item_flows.html",
        "03_item_flows.ipynb",
        "04_diffusion.html",
        "04_diffusion.ipynb",
        "explorer.html",
        "figures",
        "index.html",
    ]
    expected = sorted(f"{f}.{ext}" for f in FIGURES for ext in ("png", "svg", "csv"))
    assert sorted(p.name for p in (day / "figures").iterdir()) == expected
    # nothing left behind beside the report: no temp build folder, no failed run
    assert [p.name for p in day.parent.iterdir()] == [day.name]


def test_figures_are_16x9_at_150_dpi(tiny_report):
    day, _ = tiny_report
    for name in FIGURES:
        with Image.open(day / "figures" / f"{name}.png") as img:
            assert img.size == (1920, 1080), name
            assert round(img.info["dpi"][0]) == 150, name
            assert len(img.getcolors(1_000_000) or []) > 50, name  # drawn, not blank
        assert (day / "figures" / f"{name}.svg").stat().st_size > 10_000, name


def test_svgs_carry_expected_labels_years_and_footnotes(tiny_report):
    day, _ = tiny_report
    fig = day / "figures"
    heatmap = svg_texts(fig / "02_term_heatmap.svg")
    assert "重点提法逐年状态" in heatmap
    for term in ("四个意识", "学会服务", "科普中国", "三大攻坚战", "服务发展年"):
        assert term in heatmap
    assert {"2017", "2018", "2019", "2021", "年份", "提法", "新出现", "淡出", "回归"} <= set(
        heatmap
    )
    lanes = svg_texts(fig / "02_watch_lanes.svg")
    assert lanes.index("服务发展年") < lanes.index("三大攻坚战")  # default watch list order
    assert {"2018", "2019", "2021"} <= set(lanes)
    # 01 shows every source, the fictional one included: its footnote says sample data.
    docs = svg_texts(fig / "01_documents_per_year.svg")
    assert any(
        t.startswith("样例数据（虚构） · 来源：sample、testorg；2017–2021年，6份文件") for t in docs
    )
    assert {"sample", "testorg", "2017", "2021"} <= set(docs)
    # 02 and 03 show testorg only: no sample marking.
    for name in ("02_term_heatmap", "03_alluvial"):
        notes = [t for t in svg_texts(fig / f"{name}.svg") if t.startswith(("来源：", "样例"))]
        assert notes and notes[0].startswith(
            "来源：testorg；2017–2021年，4份文件；数据截至 2024-05-06"
        )
    threads = svg_texts(fig / "03_longest_threads.svg")
    assert {"全面加强政治建设", "推进科学普及和基础设施", "4年"} <= set(threads)
    alluvial = svg_texts(fig / "03_alluvial.svg")
    assert {"拆分", "合并", "重现", "新增", "删除", "5"} <= set(alluvial)


def test_every_registered_chart_of_each_notebook_is_in_the_report(tiny_report):
    """Each executed notebook shows its registered charts: PNG and SVG under figures/, the
    registered title on the figure, in the notebook page and as the index caption."""
    day, _ = tiny_report
    index = (day / "index.html").read_text(encoding="utf-8")
    for name in NOTEBOOKS:
        charts = registry.charts(name)
        assert charts, name
        page = (day / name).with_suffix(".html").read_text(encoding="utf-8")
        for chart in charts:
            title = chart.title("zh")
            assert (day / "figures" / f"{chart.name}.png").is_file(), chart.name
            assert title in svg_texts(day / "figures" / f"{chart.name}.svg"), chart.name
            assert f'alt="{title}"' in page, chart.name
            assert f"<figcaption>{title} · " in index, chart.name


def test_executed_notebooks_have_parameters_and_no_errors(tiny_report):
    day, _ = tiny_report
    for name in NOTEBOOKS:
        nb = nbformat.read(day / name, as_version=4)
        injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
        assert len(injected) == 1
        assert 'figures_dir = "figures"' in injected[0].source
        outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
        assert not [o for o in outputs if o.output_type == "error"]
        assert not [o for o in outputs if o.get("name") == "stderr"], name  # no warnings
        images = [o for o in outputs if "image/png" in o.get("data", {})]
        assert len(images) == len(registry.charts(name)), name


def test_executed_notebook_would_fail_the_committed_notebook_check(tiny_report):
    """The no-outputs check on committed notebooks can fail: an executed one is refused."""
    from tests.support.notebooks import leftovers

    day, _ = tiny_report
    found = leftovers(nbformat.read(day / "01_corpus_overview.ipynb", as_version=4))
    assert "cell 4: outputs" in found and "cell 4: execution count" in found


def test_html_is_self_contained_and_escapes_document_text(tiny_report):
    day, _ = tiny_report
    for name in ("01_corpus_overview", "02_priority_timelines", "03_item_flows"):
        page = (day / f"{name}.html").read_text(encoding="utf-8")
        assert not re.search(r"""(src|href)=["']?(https?:)?//""", page), name
        assert "import(" not in page and "<script" not in page, name
        assert page.count('src="data:image/png;base64,') == len(registry.charts(name)), name
        assert "import pandas" not in page and "load_tables" not in page  # code hidden
    flows = (day / "03_item_flows.html").read_text(encoding="utf-8")
    # The item heading carrying a <script> tag (threads table) comes out as text, never as a tag;
    # the redline marks the inserted <b> text, escaped. (nbconvert re-serialises quotes in text.)
    assert '防范化解&lt;script&gt;alert("x")&lt;/script&gt;风险' in flows
    assert "<script>alert" not in flows
    assert "加强<ins>&lt;b&gt;</ins>政治<ins>&lt;/b&gt;</ins>建设" in flows


def test_index_links_every_output(tiny_report):
    day, _ = tiny_report
    index = (day / "index.html").read_text(encoding="utf-8")
    links = re.findall(r"(?:href|src)='([^']+)'", index)
    assert sorted(set(links)) == sorted(
        {f"{Path(n).stem}.html" for n in NOTEBOOKS}
        | {f"{Path(n).stem}.ipynb" for n in NOTEBOOKS}
        | {"explorer.html"}
        | {f"figures/{f}.{ext}" for f in FIGURES for ext in ("png", "svg", "csv")}
    )
    for link in links:
        assert (day / link).is_file(), link
    assert "<td>testorg</td>" in index and "<td>服务发展年、三大攻坚战</td>" in index
    # figures listed in notebook order
    assert [m for m in re.findall(r"<img src='figures/(\w+)\.png'", index)] == FIGURES


def _notebook(path: Path, *cells: str) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    params = nbformat.v4.new_code_cell('data_dir = "data"\nsource = None\nlang = "zh"')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, *(nbformat.v4.new_code_cell(c) for c in cells)]
    nbformat.write(nb, path)
    return path


def _digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.mark.slow
def test_failing_notebook_fails_with_cell_error_and_keeps_previous_report(tmp_path):
    data = write_tiny_dataset(tmp_path / "data")
    good = _notebook(tmp_path / "good.ipynb", "print(data_dir)")
    bad = _notebook(
        tmp_path / "bad.ipynb", "x = 1", 'raise ValueError("boom: <b>not html</b>\\nsecond line")'
    )
    out = tmp_path / "reports"
    day = date(2025, 3, 5)
    params = report.ReportParams(data_dir=str(data))

    first = report.build_report(params, out, notebooks=[good], day=day)
    assert first.out_dir == out / "2025-03-05"
    before = _digest(first.out_dir)
    assert set(before) == {"good.ipynb", "good.html", "explorer.html", "index.html"}

    with pytest.raises(report.ReportError) as err:
        report.build_report(params, out, notebooks=[good, bad], day=day)
    assert str(err.value) == "bad.ipynb: cell 4 failed: ValueError: boom: <b>not html</b>"
    assert _digest(first.out_dir) == before  # earlier report intact
    failed = out / ".failed-2025-03-05"
    assert (failed / "bad.ipynb").is_file()  # kept for inspection, outside the report
    assert sorted(p.name for p in out.iterdir()) == [".failed-2025-03-05", "2025-03-05"]

    # A later successful run of the same day replaces the report, leaving no temp folders; a
    # build folder of a killed run (dead pid) is swept, one of a live run is left alone.
    dead = out / ".2025-03-05.building.4194305.abc"  # above Linux's pid_max
    live = out / f".2025-03-05.building.{os.getpid()}.xyz"
    dead.mkdir()
    live.mkdir()
    again = report.build_report(params, out, notebooks=[good], day=day)
    assert set(_digest(again.out_dir)) == {"good.ipynb", "good.html", "explorer.html", "index.html"}
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [".failed-2025-03-05", "2025-03-05", live.name]
    )


@pytest.mark.slow
def test_missing_tables_fail_before_any_kernel_starts(tmp_path):
    data = write_tiny_dataset(tmp_path / "data", with_alignment=False)
    out = tmp_path / "reports"
    with pytest.raises(
        InputError,
        match=r"term_timeline: missing; run `policytrack build --data .*` first",
    ):
        report.build_report(report.ReportParams(data_dir=str(data)), out)
    assert not out.exists() or not any(out.iterdir())
    write_tiny_dataset(data)
    with pytest.raises(ChartError, match="source 'nope' not in the data"):
        report.build_report(report.ReportParams(data_dir=str(data), source="nope"), out)
    assert not out.exists() or not any(out.iterdir())


def test_sweep_restores_previous_report_killed_mid_swap(tmp_path):
    """Killed between the two renames: only `.<day>.old.<pid>` is left; it goes back in place."""
    import subprocess

    from policytrack.pipeline.report.publish import sweep_stale

    dead = subprocess.Popen(["true"])
    dead.wait()
    old = tmp_path / f".2026-11-28.old.{dead.pid}"
    old.mkdir()
    (old / "index.html").write_text("previous report")
    stale_build = tmp_path / f".2026-11-29.building.{dead.pid}"
    stale_build.mkdir()
    sweep_stale(tmp_path)
    assert (tmp_path / "2026-11-28" / "index.html").read_text() == "previous report"
    assert not old.exists() and not stale_build.exists()


def test_code_hash_follows_the_report_package_content(tmp_path):
    """The nightly run's report cache key: any edit, new or renamed module of the report package,
    or a changed notebook, changes it; bytecode caches do not."""
    import shutil

    from policytrack.pipeline.report.notebooks import NOTEBOOK_DIR, PACKAGE_DIR

    assert code_hash() == code_hash([NOTEBOOK_DIR / n for n in NOTEBOOKS])
    package = tmp_path / "report"
    shutil.copytree(PACKAGE_DIR, package, ignore=shutil.ignore_patterns("__pycache__"))
    notebook = tmp_path / "01_corpus_overview.ipynb"
    shutil.copy(NOTEBOOK_DIR / notebook.name, notebook)
    before = code_hash([notebook], package=package)
    assert before == code_hash([notebook], package=package)
    assert before != code_hash([notebook], package=PACKAGE_DIR.parent / "store")

    (package / "__pycache__").mkdir()
    (package / "__pycache__" / "views.cpython-311.pyc").write_bytes(b"bytecode")
    assert code_hash([notebook], package=package) == before

    views = package / "views.py"
    source = views.read_bytes()
    views.write_bytes(source + b"\n# edited\n")
    assert code_hash([notebook], package=package) != before
    views.write_bytes(source)
    assert code_hash([notebook], package=package) == before

    (package / "plots_more.py").write_text("X = 1\n")
    assert code_hash([notebook], package=package) != before
    (package / "plots_more.py").unlink()

    views.rename(package / "views2.py")
    assert code_hash([notebook], package=package) != before
    (package / "views2.py").rename(views)
    assert code_hash([notebook], package=package) == before

    notebook.write_bytes(notebook.read_bytes() + b"\n")
    assert code_hash([notebook], package=package) != before
