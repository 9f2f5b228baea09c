"""The committed notebooks (clean, parameterised, thin) and the whole report on real data: the
Government Work Reports from ../shared and the bundled fictional sample notices, each ingested and
built with the real pipeline, then executed by `policytrack report`."""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest
from typer.testing import CliRunner

from policytrack.pipeline.cli.app import app
from policytrack.pipeline.report import draw, load, registry, views
from policytrack.pipeline.report.notebooks import NOTEBOOKS
from policytrack.pipeline.report.scope import choose_scope
from policytrack.pipeline.text.watch import default_watch
from tests.support.gwr import built_gwr
from tests.support.notebooks import leftovers
from tests.support.tiny import write_tiny_dataset

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "sample"
PARAMETERS = ["data_dir", "source", "series", "years", "watch", "lang", "figures_dir"]
# GWR years with a report (1954–2025): everything else in that span is a gap.
GWR_MISSING = [1961, 1962, 1963, *range(1965, 1975), 1976, 1977, 1989, 1990, 1991, 1996, 2020]


def svg_texts(path: Path) -> list[str]:
    return re.findall(r"<!-- (.*?) -->", path.read_text(encoding="utf-8"))


def stderr_outputs(day: Path) -> list[str]:
    """Text the kernels wrote to stderr while running the report's notebooks (warnings such as
    "Glyph … missing from font" land here)."""
    found = []
    for name in NOTEBOOKS:
        nb = nbformat.read(day / name, as_version=4)
        for cell in nb.cells:
            for out in cell.get("outputs", []):
                if out.output_type == "stream" and out.name == "stderr":
                    found.append(f"{name}: {out.text.strip()}")
    return found


def cli(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


# ---------------------------------------------------------------- the committed notebooks


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_committed_notebook_carries_no_outputs(name):
    nb = nbformat.read(REPO / "notebooks" / name, as_version=4)
    nbformat.validate(nb)
    assert leftovers(nb) == [], f"{name}: clear outputs before committing"


REPORT_PACKAGE = "policytrack.pipeline.report"
# Node types that mean the cell computes something itself instead of calling the package.
COMPUTING = (
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.ClassDef,
    ast.Lambda,
    ast.For,
    ast.AsyncFor,
    ast.While,
    ast.ListComp,
    ast.SetComp,
    ast.DictComp,
    ast.GeneratorExp,
)


def thickness(nb) -> list[str]:
    """Why a notebook is more than calls into the report package (empty: it is thin).

    After the parameters cell, a code cell may have at most 6 lines; it may import only from
    policytrack.pipeline.report (and its modules); every call must be a function of those imports
    (or print/len); no loops, comprehensions, lambdas or definitions; no pandas, numpy or
    matplotlib of its own."""
    code = [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code"][1:]
    trees = [(i, c.source, ast.parse(c.source)) for i, c in code]
    imported = {"print", "len"}
    found = []
    for i, source, tree in trees:
        lines = [ln for ln in source.splitlines() if ln.strip()]
        if len(lines) > 6:
            found.append(f"cell {i}: {len(lines)} lines")
        if re.search(r"\b(pd|plt|np|matplotlib|pandas)\.", source):
            found.append(f"cell {i}: pandas/numpy/matplotlib used directly")
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found.append(f"cell {i}: import {', '.join(a.name for a in node.names)}")
            elif isinstance(node, ast.ImportFrom):
                module = node.module or ""
                if module != REPORT_PACKAGE and not module.startswith(REPORT_PACKAGE + "."):
                    found.append(f"cell {i}: from {module} import")
                else:
                    imported |= {a.asname or a.name for a in node.names}
            elif isinstance(node, COMPUTING):
                found.append(f"cell {i}: {type(node).__name__}")
    for i, _source, tree in trees:
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            base = node.func
            while isinstance(base, ast.Attribute):
                base = base.value
            if not (isinstance(base, ast.Name) and base.id in imported):
                found.append(f"cell {i}: call {ast.unparse(node.func)}")
    return found


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_has_parameters_cell_and_stays_thin(name):
    nb = nbformat.read(REPO / "notebooks" / name, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    tagged = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1 and tagged[0] is code[0]
    assigned = re.findall(r"^(\w+) = ", tagged[0].source, flags=re.M)
    assert assigned[: len(PARAMETERS)] == PARAMETERS
    # Notebooks call the report package and show; no loading, plotting or maths of their own.
    assert thickness(nb) == [], name


def test_thin_check_refuses_a_notebook_that_computes():
    """The check above can fail: loading with pandas, grouping, a comprehension, a long cell."""
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('data_dir = "data"')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [
        params,
        nbformat.v4.new_code_cell(
            "from policytrack.pipeline.report import load\n"
            "import pandas as pd\n"
            'docs = pd.read_parquet(data_dir + "/processed/documents.parquet")'
        ),
        nbformat.v4.new_code_cell(
            'tables = load.load_tables(data_dir)\ncounts = tables["documents"].groupby("year").size()'
        ),
        nbformat.v4.new_code_cell("share = [n / 2 for n in counts]"),
        nbformat.v4.new_code_cell("\n".join(f"x{n} = {n}" for n in range(7))),
        nbformat.v4.new_code_cell("from policytrack.pipeline.analysis import align"),
    ]
    assert thickness(nb) == [
        "cell 1: pandas/numpy/matplotlib used directly",
        "cell 1: import pandas",
        "cell 3: ListComp",
        "cell 4: 7 lines",
        "cell 5: from policytrack.pipeline.analysis import",
        "cell 1: call pd.read_parquet",
        "cell 2: call tables['documents'].groupby('year').size",
        "cell 2: call tables['documents'].groupby",
    ]


# ---------------------------------------------------------------- run from Jupyter and papermill


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A checkout as a user has it: notebooks/, data/ at the root (the hand-made tables of
    tests/support/tiny.py), pyproject.toml, and .venv (this interpreter's environment)."""
    root = tmp_path_factory.mktemp("checkout")
    shutil.copytree(REPO / "notebooks", root / "notebooks")
    write_tiny_dataset(root / "data")
    (root / "pyproject.toml").write_text("")
    (root / ".venv").symlink_to(Path(sys.prefix))
    return root


# A papermill run's kernel died at start once in ~10 full runs (its stderr cut off). Likely
# cause: jupyter_client picks the kernel's TCP ports by binding port 0 and letting go, and one
# of the suite's many loopback servers can take a port in between. Such a run is repeated once;
# any other failure, or a second one, fails the test.
KERNEL_START_RACE = "RuntimeError: Kernel died before replying to kernel_info"


def shell(line: str, cwd: Path, tmp: Path, **env) -> subprocess.CompletedProcess:
    """A documented command line, run as written except that /tmp/ is a test folder."""
    environ = {k: v for k, v in os.environ.items() if k != "POLICYTRACK_DATA"}
    environ |= {"CI": "true", **env}
    for _ in range(2):
        proc = subprocess.run(
            ["bash", "-c", re.sub(r"/tmp\b", str(tmp), line).replace("$PWD", str(cwd))],
            cwd=cwd, env=environ, capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        if proc.returncode == 0 or KERNEL_START_RACE not in proc.stderr:
            break
    return proc


def documented(kind: str) -> list[str]:
    """The command lines of docs/report.md: a ```papermill block, or an inline `cd notebooks …`."""
    text = (REPO / "docs" / "report.md").read_text(encoding="utf-8")
    if kind == "papermill":
        block = re.search(r"```papermill\n(.*?)```", text, flags=re.S)
        return block.group(1).strip().splitlines() if block else []
    return re.findall(r"`(cd notebooks && [^`]+)`", text)


def outputs(nb, kind: str) -> list[str]:
    found = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if kind == "stdout" and out.get("name") == "stdout":
                found.append(out.text)
            elif kind in out.get("data", {}):
                found.append(out["data"][kind])
    return found


def lanes(nb) -> list[list[str]]:
    """Rows of the watch-lane table (first table whose header starts with the label column)."""
    for markup in outputs(nb, "text/html"):
        if (
            "<th>提法/标题</th><th>首年</th>" in markup
            or "<th>Term / heading</th><th>First" in markup
        ):
            body = markup.split("<tbody>", 1)[1]
            return [
                re.findall(r"<td>(.*?)</td>", row) for row in body.split("</tr>") if "<td>" in row
            ]
    return []


@pytest.mark.slow
def test_notebooks_run_from_inside_notebooks_without_parameters(project, tmp_path):
    """`jupyter nbconvert --execute` from notebooks/ (as Jupyter starts a kernel): no
    parameters, the data dir found at the project root."""
    [line] = documented("nbconvert")
    proc = shell(line, project, tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    for name in NOTEBOOKS:
        nb = nbformat.read(tmp_path / name, as_version=4)
        assert not [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]
        if name.startswith("04"):
            continue  # diffusion is across sources: no one source's scope line to print
        printed = outputs(nb, "stdout")
        assert printed and printed[0].startswith("testorg 测试协会工作要点 (2017, 2021)"), name
    nb = nbformat.read(tmp_path / "02_priority_timelines.ipynb", as_version=4)
    assert [row[0] for row in lanes(nb)] == ["服务发展年", "三大攻坚战"]  # the default list


@pytest.mark.slow
@pytest.mark.parametrize("n", range(4), ids=["json", "comma", "dunhao-en", "yaml-list"])
def test_papermill_watch_in_every_accepted_form_draws_the_lanes(project, tmp_path, n):
    """The docs' papermill lines, from notebooks/: each draws a lane per watched term, in order.
    From the tiny tables: 三大攻坚战 in 2018, 2019 and 2021, 3 + 2 + 1 mentions (its variant
    打好三大攻坚战 contains it: already counted); 新质生产力 nowhere (counted now in the items
    text, as `terms --watch` would)."""
    line = documented("papermill")[n]
    proc = shell(line, project / "notebooks", tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    nb = nbformat.read(tmp_path / "02.ipynb", as_version=4)
    rows = lanes(nb)
    en = "-p lang en" in line
    assert rows == [
        ["新质生产力", "not found" if en else "未出现", "", "", "", "0", ""],
        [
            "三大攻坚战", "2018", "2021", "2018, 2019, 2021",
            "New, Persisting, Persisting" if en else "新出现, 延续, 延续", "6", "",
        ],
    ]  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("-p watch 42", "ConfigError: watch: expected terms as a list or a comma-separated string, not int"),
        ("-p top_n 0", "ConfigError: top_n: expected a whole number of at least 1, got 0"),
        ("-p years 2030", "ChartError: source 'testorg' has no documents in 2030–2030; years available: 2017–2019, 2021"),
    ],
)  # fmt: skip
def test_papermill_bad_parameter_stops_with_one_line(project, tmp_path, option, message):
    papermill = Path(sys.executable).with_name("papermill")
    line = f"{papermill} 02_priority_timelines.ipynb /tmp/02.ipynb {option}"
    proc = shell(line, project / "notebooks", tmp_path)
    assert proc.returncode != 0
    assert message in proc.stderr


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_jupyterlab_serves_the_notebooks(project, tmp_path):
    """The documented `jupyter lab notebooks/` starts (the `notebooks` extra) and lists them."""
    pytest.importorskip("jupyterlab", reason="the notebooks extra (make demo) is not installed")
    port = free_port()
    cmd = [
        str(project / ".venv" / "bin" / "jupyter"), "lab", "notebooks/", "--no-browser",
        f"--ServerApp.port={port}", "--ServerApp.ip=127.0.0.1", "--IdentityProvider.token=t",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate", "--LabApp.news_url=",
        *(["--allow-root"] if os.geteuid() == 0 else []),
    ]  # fmt: skip
    env = {
        **os.environ,
        "POLICYTRACK_DATA": str(project / "data"),
        "JUPYTER_NO_CONFIG": "1",
        "JUPYTER_RUNTIME_DIR": str(tmp_path),
    }
    server = subprocess.Popen(
        cmd, cwd=project, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        listing = None
        for _ in range(120):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/contents?token=t") as r:
                    listing = json.load(r)
                break
            except OSError:
                time.sleep(0.5)
        assert listing is not None, "JupyterLab did not answer"
        assert sorted(c["name"] for c in listing["content"]) == sorted(NOTEBOOKS)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/lab?token=t") as r:
            assert r.status == 200 and b"JupyterLab" in r.read()
    finally:
        server.terminate()
        server.wait(timeout=30)


# ---------------------------------------------------------------- Government Work Reports


@pytest.fixture(scope="module")
def gwr_report(gwr_path, tmp_path_factory):
    _, _, data = built_gwr(gwr_path, tmp_path_factory, "gwr-report")
    root = data.parent
    out = cli("report", "--data", str(data), "--out", str(root / "reports"))
    day = next(p for p in (root / "reports").iterdir() if not p.name.startswith("."))
    return data, day, out


@pytest.mark.xdist_group("report-gwr")
@pytest.mark.slow
def test_gwr_watch_list_three_big_battles_2018_to_2021(gwr_report):
    data, day, _ = gwr_report
    tables = load.load_tables(data, need=("documents", "items", "term_timeline"))
    scope = choose_scope(tables["documents"])
    assert (scope.source, scope.series, scope.years) == (
        "gwr",
        "中华人民共和国国务院政府工作报告",
        (1954, 2025),
    )
    # As the notebook asks for it: the watch terms counted in the text when the lexicon lacks them
    view = views.term_view(
        tables["term_timeline"], scope, tables["documents"], tables["items"], default_watch()
    )
    lanes = views.watch_lanes(view, default_watch())
    by_term = {lane.term: lane for lane in lanes}
    assert by_term["三大攻坚战"].years == (2018, 2019, 2021)  # 2020 has no report in the corpus
    assert by_term["服务发展年"].years == ()  # a 工作要点 slogan, not in the State Council reports
    texts = svg_texts(day / "figures" / "02_watch_lanes.svg")
    assert {"三大攻坚战", "服务发展年", "未出现", "2018", "2021", "缺失年份"} <= set(texts)
    heatmap = svg_texts(day / "figures" / "02_term_heatmap.svg")
    # Over 1954–2025 the default heatmap ranks by importance in the whole window: 一国两制 (said in
    # 34 reports) and 三个代表 (18) are in its top 30; 一带一路 (10 reports since 2014) is not.
    # 三大攻坚战 is there as a watched term.
    assert {"三大攻坚战", "三个代表", "一国两制", "1954", "2025", "淡出"} <= set(heatmap)


@pytest.mark.xdist_group("report-gwr")
def test_gwr_overview_counts_and_gaps(gwr_report):
    _, day, out = gwr_report
    assert f"report: 4 notebooks, {len(registry.charts())} figures" in out
    assert stderr_outputs(day) == []  # no warnings from the kernels, missing glyphs included
    docs = svg_texts(day / "figures" / "01_documents_per_year.svg")
    note = [t for t in docs if t.startswith("来源：")]
    assert note and note[0].startswith("来源：gwr；1954–2025年，52份文件；数据截至 ")
    assert not any("样例" in t for t in docs)
    page = (day / "01_corpus_overview.html").read_text(encoding="utf-8")
    assert f"<td>{', '.join(map(str, GWR_MISSING))}</td>" in page
    assert "<td>2025</td><td>2025年中华人民共和国国务院政府工作报告</td>" in page


@pytest.mark.xdist_group("report-gwr")
def test_gwr_flows_and_redline_render(gwr_report):
    data, day, _ = gwr_report
    for name in ("03_alluvial", "03_relations_per_year", "03_longest_threads"):
        texts = svg_texts(day / "figures" / f"{name}.svg")
        assert any(t.startswith("来源：gwr；1954–2025年") for t in texts), name
    assert "2025" in svg_texts(day / "figures" / "03_alluvial.svg")
    tables = load.load_tables(data, need=("documents", "threads"))
    scope = choose_scope(tables["documents"])
    top = views.longest_threads(views.scoped_threads(tables["threads"], scope))
    texts = svg_texts(day / "figures" / "03_longest_threads.svg")
    assert len(top) == 12 and all(draw.shorten(t, 20) in texts for t in top["label"])
    assert f"{top.loc[0, 'n_years']}年" in texts
    nb = nbformat.read(day / "03_item_flows.ipynb", as_version=4)
    html_out = [
        o["data"]["text/html"]
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.outputs
        if "text/html" in o.get("data", {})
    ]
    last = int(top.loc[0, "last_seen"])
    assert any("class='pt-redline'" in h and f"→ {last} (" in h for h in html_out)


# ---------------------------------------------------------------- the fictional sample notices


@pytest.fixture(scope="module")
def sample_report(tmp_path_factory):
    notices = sorted((SAMPLE / "notices").glob("[ab]-*.txt"))
    if not notices:
        pytest.fail(f"{SAMPLE / 'notices'} holds no sample notices")
    root = tmp_path_factory.mktemp("sample-report")
    data = root / "data"
    cli("ingest", *map(str, notices), "--source", "sample", "--data", str(data))
    cli("build", "--data", str(data))
    out = cli("report", "--data", str(data), "--out", str(root / "reports"), "--lang", "en")
    day = next(p for p in (root / "reports").iterdir() if not p.name.startswith("."))
    return data, day, out


@pytest.mark.xdist_group("report-sample")
@pytest.mark.slow
def test_sample_report_is_marked_as_sample_everywhere(sample_report):
    _, day, _ = sample_report
    assert stderr_outputs(day) == []
    for svg in sorted((day / "figures").glob("*.svg")):
        notes = [t for t in svg_texts(svg) if "Source:" in t]
        assert notes and notes[0].startswith(
            "SAMPLE DATA (fictional) · Source: sample; 2018–2024"
        ), svg.name
    assert "<p class='sample'>SAMPLE DATA (fictional)</p>" in (day / "index.html").read_text(
        encoding="utf-8"
    )


@pytest.mark.xdist_group("report-sample")
def test_sample_term_story_matches_the_intent(sample_report):
    data, day, _ = sample_report
    intent = json.loads((SAMPLE / "gold" / "intent.json").read_text(encoding="utf-8"))
    tables = load.load_tables(data, need=("documents", "term_timeline"))
    scope = choose_scope(tables["documents"], lang="en")
    assert scope.series == intent["series"] and list(scope.doc_years) == intent["years"]
    view = views.term_view(tables["term_timeline"], scope, tables["documents"])
    lanes = {
        lane.term: lane.years for lane in views.watch_lanes(view, ["服务发展年", "三大攻坚战"])
    }
    assert lanes == {
        "服务发展年": tuple(intent["quoted_terms"]["服务发展年"]),
        "三大攻坚战": tuple(intent["quoted_terms"]["三大攻坚战"]),
    }
    matrix = views.heatmap_matrix(view)
    # 学习·提能 is the intended returning term: absent 2020 and 2022, back in 2023.
    row = matrix.loc["学习·提能"]
    said = [y for y in matrix.columns if row[y] not in ("absent", "fading")]
    assert said == intent["quoted_terms"]["学习·提能"]
    assert row[2020] == "fading" and row[2023] == "returned"
    heat = svg_texts(day / "figures" / "02_term_heatmap.svg")
    assert {"学习·提能", "科创中国", "双碳", "三大攻坚战", "Returned", "2018", "2024"} <= set(heat)
    assert "2021" not in heat  # the deliberate gap year has no column
    lanes_svg = svg_texts(day / "figures" / "02_watch_lanes.svg")
    assert {"服务发展年", "三大攻坚战", "2018", "2019", "2020"} <= set(lanes_svg)


def summary_lines(index: str) -> dict[str, str]:
    """The written summary of index.html: {label: text} per line, HTML entities undone."""
    import html as html_mod

    section = index[index.index("<section class='findings'>") : index.index("</section>")]
    return {
        html_mod.unescape(k): html_mod.unescape(v)
        for k, v in re.findall(r"<li><b>(.*?)</b>: (.*?)</li>", section)
    }


@pytest.mark.xdist_group("report-sample")
def test_index_summary_tells_the_sample_story(sample_report):
    """The front page opens with the designed story of sample/gold/intent.json (series A, quoted
    terms by year): new priorities with their first year, fading ones with their last year,
    returning ones with the year they came back and the year last seen, the item that came back,
    the missing year. Expected values are computed from the intent file, not from the tool."""
    _, day, _ = sample_report
    intent = json.loads((SAMPLE / "gold" / "intent.json").read_text(encoding="utf-8"))
    years = intent["years"]
    lines = summary_lines((day / "index.html").read_text(encoding="utf-8"))
    assert list(lines) == [
        "New priorities",
        f"Fading (not back by {years[-1]})",
        "Returning",
        "Items that changed most",
        "Items that came back",
        "Documents",
        "Missing years",
    ]
    for term, present in intent["quoted_terms"].items():
        first, last = present[0], present[-1]
        if first > years[0] and len(present) > 1:  # a new priority that took hold
            assert f"{term} ({first})" in lines["New priorities"], term
        if last < years[-1]:
            assert f"{term} (last {last})" in lines[f"Fading (not back by {years[-1]})"], term
        for before, now in zip(present, present[1:], strict=False):
            if years.index(now) - years.index(before) > 1:  # absent in between: came back
                assert f"{term} ({now}, last seen {before})" in lines["Returning"], term
    back = intent["reappeared"][0]
    was, now = (int(y) for y in back["in"])
    assert lines["Items that came back"].startswith(f"{was}→{now} {back['item']} (Reappeared, ")
    assert (
        lines["Documents"]
        == f"{len(years)}, {years[0]}–{years[-1]}; latest: 2024 市科协2024年工作要点"
    )
    missing = sorted(set(range(years[0], years[-1] + 1)) - set(years))
    assert lines["Missing years"] == ", ".join(map(str, missing))


@pytest.mark.xdist_group("report-sample")
def test_every_figure_has_its_csv_linked_from_the_index(sample_report):
    _, day, _ = sample_report
    index = (day / "index.html").read_text(encoding="utf-8")
    for chart in registry.charts():
        csv = day / "figures" / f"{chart.name}.csv"
        assert csv.is_file(), chart.name
        assert f"href='figures/{chart.name}.csv'" in index, chart.name
        header = csv.read_text(encoding="utf-8-sig").splitlines()[0]
        assert header and "," in header, chart.name
    trend = (day / "figures" / "02_term_trend.csv").read_text(encoding="utf-8-sig").splitlines()
    assert trend[0] == "term,year,count,n_chars,per_10k"
    # the watched 三大攻坚战 is there for every document year of series A
    assert sum(line.startswith("三大攻坚战,") for line in trend) == len(
        json.loads((SAMPLE / "gold" / "intent.json").read_text(encoding="utf-8"))["years"]
    )


@pytest.mark.xdist_group("report-sample")
def test_the_series_left_out_is_named_with_its_command(sample_report):
    """The sample source has two series (sample/notices.toml): 市科协工作要点 (2018–2024 without
    2021: 6 years) and 市科协科普部科普工作要点 (b-2022, b-2023, b-2024: 3 years). The report
    shows the first; the index and pages 02 and 03 name the second and the command for it."""
    _, day, _ = sample_report
    note = (  # the attribute's quotes are the page writer's (nbconvert writes class="pt-note")
        "pt-note{q}>This page shows series “市科协工作要点” of source sample only; the "
        "source also has: 市科协科普部科普工作要点 (3 years). To see it: <code>policytrack report "
        "--source sample --series 市科协科普部科普工作要点</code></p>"
    )
    for page, q in (
        ("index.html", "'"),
        ("02_priority_timelines.html", '"'),
        ("03_item_flows.html", '"'),
    ):
        assert note.format(q=q) in (day / page).read_text(encoding="utf-8"), page
