"""The faster report's paths (issue 17): the explorer's term entries from plain column lists and
joined unit texts, one kernel client per kernel for every notebook it runs, and a kernel that
dies while starting replaced once."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from policytrack.pipeline.analysis import diffusion as dif
from policytrack.pipeline.report.explorer import _terms, _YearTexts

UNITS = [  # [series, year, path, heading, text, doc_id], as explorer_data lays them out
    [0, 2020, "1", "", "稳增长，稳就业", "d1"],
    [0, 2020, "2", "", "甲乙", "d1"],
    [0, 2020, "3", "", "丙丁稳就业稳就业", "d1"],
    [0, 2021, "1", "", "坚持稳增长", "d2"],
]


def row(term, year, count, per_10k, status, present, variants=None, series="S"):
    return {
        "source": "s",
        "series": series,
        "term": term,
        "canonical": term,
        "variants": variants or [term],
        "year": year,
        "count": count,
        "per_10k_chars": per_10k,
        "status": status,
        "kinds": "phrase",
        "flag": "",
        "present": present,
    }


def test_year_texts_find_the_units_holding_a_term_in_unit_order_never_across_units():
    texts = _YearTexts(UNITS)
    assert texts.holding(0, 2020, "稳就业") == [0, 2]  # unit 2 holds it twice: named once
    assert texts.holding(0, 2020, "乙丙") == []  # "甲乙" + "丙丁": not one text
    assert texts.holding(0, 2021, "稳增长") == [3]
    assert texts.holding(0, 2019, "稳增长") == []
    assert texts.holding(1, 2020, "稳增长") == []
    assert texts.holding(0, 2020, "") == []


def test_terms_exact_entries():
    timeline = pd.DataFrame(
        [
            row("稳就业", 2020, 3, 1.234, "new", True),
            row("稳就业", 2021, 0, 0.0, "fading", False),
            row("稳就业", 2020, 9, 9.0, "new", True, series="other"),  # a series not shown
            row("稳增长", 2020, 1, 0.5, "new", True, ["稳增长", "坚持稳增长"]),
            row("稳增长", 2021, 1, 2.0, "persisting", True, ["稳增长", "坚持稳增长"]),
            row("乙丙", 2020, 0, 0.0, "absent", False),
        ]
    )
    got = _terms(timeline, {("s", "S"): 0}, UNITS)
    base = {"k": "phrase", "f": "", "d": []}
    assert got == {
        "稳就业": {
            **base,
            "t": "稳就业",
            "c": "稳就业",
            "v": [],
            "tl": [[0, 2020, 3, 1.23, 1], [0, 2021, 0, 0.0, 4]],
            # unit 0 once, unit 2 twice (find_mentions on each unit holding it)
            "m": [[0, 4, -1], [2, 2, -1], [2, 5, -1]],
            "n": 12,
            "va": [],
        },
        "稳增长": {
            **base,
            "t": "稳增长",
            "c": "稳增长",
            "v": ["坚持稳增长"],
            "tl": [[0, 2020, 1, 0.5, 1], [0, 2021, 1, 2.0, 2]],
            "m": [[0, 0, -1], [3, 2, 0]],  # in 2021 inside its variant 坚持稳增长
            "n": 2,
            "va": ["坚持稳增长"],
        },
        "乙丙": {**base, "t": "乙丙", "c": "乙丙", "v": [], "tl": [], "m": [], "n": 0, "va": []},
    }


def test_diffusion_of_one_series_is_the_empty_table():
    docs = pd.DataFrame(
        [{"doc_id": f"a{y}", "source": "a", "series": "A", "year": y, "recorded_at": "1"} for y in (2000, 2001)]
    )  # fmt: skip
    timeline = pd.DataFrame(
        [{"source": "a", "series": "A", "term": "T", "year": y, "present": True, "flag": ""} for y in (2000, 2001)]
    )  # fmt: skip
    groups = dif.series_groups(docs)
    assert len(groups) == 1
    table = dif.diffusion(timeline, groups)
    assert list(table.columns) == list(dif.COLUMNS)
    assert len(table) == 0


@pytest.mark.slow
def test_one_kernel_runs_notebooks_on_one_client_each_in_a_fresh_namespace(tmp_path, monkeypatch):
    from jupyter_client.manager import AsyncKernelManager

    from policytrack.pipeline.report.kernels import Job, KernelPool

    opened = []
    client = AsyncKernelManager.client

    def counting(self, *a, **kw):
        opened.append(1)
        return client(self, *a, **kw)

    monkeypatch.setattr(AsyncKernelManager, "client", counting)
    paths = []
    for name, code in (
        ("a.ipynb", "x = 1\nimport os\nprint(os.getpid(), 'x' in globals())"),
        ("b.ipynb", "import os\nprint(os.getpid(), 'x' in globals())"),
    ):
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {"name": "python3", "language": "python", "display_name": "Python 3"}  # fmt: skip
        params = nbformat.v4.new_code_cell("n = 0")
        params.metadata["tags"] = ["parameters"]
        nb.cells = [params, nbformat.v4.new_code_cell(code)]
        nbformat.write(nb, tmp_path / name)
        paths.append(tmp_path / name)
    out = tmp_path / "out"
    out.mkdir()
    with KernelPool(1) as pool:
        pool.run([Job(p, out / p.name) for p in paths], {"n": 1}, out, timeout=60)
    printed = []
    for p in paths:
        cell = nbformat.read(out / p.name, as_version=4).cells[-1]
        printed.append(cell.outputs[0]["text"].split())
    assert printed[0][1] == "True" and printed[1][1] == "False"  # b does not see a's x
    assert printed[0][0] == printed[1][0]  # one kernel process ran both
    assert len(opened) == 1  # warm-up, two resets and two notebooks: one client


def _kernelspec(root: Path, name: str, dies: int) -> Path:
    """A kernelspec `name` under root/kernels whose first `dies` starts exit at once (before
    replying to kernel_info); each start appends a line to the returned file."""
    starts = root / f"{name}.starts"
    wrapper = root / f"{name}.py"
    wrapper.write_text(
        "import sys\n"
        f"with open({str(starts)!r}, 'a') as fh:\n"
        "    fh.write('start\\n')\n"
        f"if len(open({str(starts)!r}).readlines()) <= {dies}:\n"
        "    sys.exit(1)\n"
        "from ipykernel import kernelapp\n"
        "kernelapp.launch_new_instance()\n"
    )
    spec = root / "kernels" / name
    spec.mkdir(parents=True)
    argv = [sys.executable, str(wrapper), "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": name, "language": "python"})
    )
    return starts


@pytest.mark.slow
def test_a_kernel_that_dies_while_starting_is_replaced_once(tmp_path, monkeypatch):
    from policytrack.pipeline.report.kernels import Job, KernelPool
    from policytrack.pipeline.report.notebooks import ReportError

    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path))
    flaky = _kernelspec(tmp_path, "flaky", dies=1)
    dead = _kernelspec(tmp_path, "dead", dies=99)
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "flaky", "language": "python", "display_name": "flaky"}
    nb.cells = [nbformat.v4.new_code_cell("print(6 * 7)")]
    nbformat.write(nb, tmp_path / "a.ipynb")
    out = tmp_path / "out"
    out.mkdir()
    with KernelPool(1, kernel_name="flaky", startup_timeout=30) as pool:
        pool.run([Job(tmp_path / "a.ipynb", out / "a.ipynb")], {}, out, timeout=60)
    assert nbformat.read(out / "a.ipynb", as_version=4).cells[-1].outputs[0]["text"] == "42\n"
    assert flaky.read_text().count("start") == 2  # died once, replaced once

    with (
        pytest.raises(ReportError, match=r"^a\.ipynb: kernel did not start: "),
        KernelPool(1, kernel_name="dead", startup_timeout=30) as pool,
    ):
        pool.run([Job(tmp_path / "a.ipynb", out / "b.ipynb")], {}, out, timeout=60)
    assert dead.read_text().count("start") == 2  # two attempts, then the notebook fails
