"""Notebook parameters (report/params.py): every value understood or refused in one line, and
`data_dir` found from where Jupyter starts the kernel (notebooks/) up to the project root."""

from __future__ import annotations

from pathlib import Path

import pytest

from policytrack.pipeline.core.errors import ConfigError
from policytrack.pipeline.report import params


@pytest.fixture
def project(tmp_path, monkeypatch):
    """tmp/proj: pyproject.toml, notebooks/, data/processed/ (an empty table folder is enough)."""
    monkeypatch.delenv(params.ENV_DATA, raising=False)
    root = tmp_path / "proj"
    (root / "notebooks").mkdir(parents=True)
    (root / "data" / "processed").mkdir(parents=True)
    (root / "pyproject.toml").write_text("")
    return root


def test_data_dir_found_from_notebooks_folder_up_to_the_project_root(project):
    assert params.find_data_dir(None, cwd=project / "notebooks") == project / "data"
    assert params.find_data_dir("data", cwd=project) == project / "data"
    # the working directory wins over the folders above it
    (project / "notebooks" / "data" / "processed").mkdir(parents=True)
    assert params.find_data_dir(None, cwd=project / "notebooks") == project / "notebooks" / "data"


def test_data_dir_from_environment_or_absolute(project, monkeypatch, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    monkeypatch.setenv(params.ENV_DATA, str(elsewhere))
    assert params.find_data_dir(None, cwd=project / "notebooks") == elsewhere  # absolute: as is
    assert params.find_data_dir("data", cwd=project / "notebooks") == project / "data"  # given
    monkeypatch.setenv(params.ENV_DATA, "data")  # relative: looked up like the default
    assert params.find_data_dir(None, cwd=project / "notebooks") == project / "data"


def test_data_dir_not_found_says_where_it_looked_and_what_to_set(project):
    (project / "data" / "processed").rmdir()
    with pytest.raises(ConfigError) as err:
        params.find_data_dir(None, cwd=project / "notebooks")
    assert str(err.value) == (
        f"data_dir 'data': no processed/ folder in {project / 'notebooks' / 'data'} and "
        f"{project / 'data'} (up to {project}); set data_dir or POLICYTRACK_DATA to the folder "
        "`policytrack build --data DIR` wrote"
    )


@pytest.mark.parametrize(
    ("given", "years"),
    [
        (None, None),
        ("", None),
        ([2010, 2025], [2010, 2025]),
        ((2010, 2025), [2010, 2025]),
        ("2010-2025", [2010, 2025]),
        ("2010–2025", [2010, 2025]),
        ("2019", [2019, 2019]),
        (2019, [2019, 2019]),
    ],
)
def test_years_in_every_form(given, years):
    assert params.parse_years(given) == years


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"years": "soon"}, "years: expected YYYY or YYYY-YYYY, got 'soon'"),
        ({"years": [2025, 2010]}, "years: 2025 is after 2010"),
        ({"years": [2010]}, "years: expected YYYY, YYYY-YYYY or [first, last], got [2010]"),
        (
            {"years": ["2010", "2025"]},
            "years: expected two years [first, last], got ['2010', '2025']",
        ),
        ({"years": True}, "years: expected YYYY or YYYY-YYYY, got True"),
        ({"watch": 42}, "watch: expected terms as a list or a comma-separated string, not int"),
        ({"watch": '["a", 3]'}, "watch: every term must be a string, not 3"),
        ({"lang": "fr"}, "lang must be one of zh, en, not 'fr'"),
        ({"source": 3}, "source: expected a name (text) or None, got 3"),
        ({"series": ""}, "series: expected a name (text) or None, got ''"),
        ({"top_n": 0}, "top_n: expected a whole number of at least 1, got 0"),
        ({"window": "three"}, "window: expected a whole number of at least 1, got 'three'"),
        ({"max_pairs": True}, "max_pairs: expected a whole number of at least 1, got True"),
        ({"level": "para"}, "level: one of item, section, paragraph, sentence, not 'para'"),
        ({"figures_dir": 5}, "figures_dir: expected a folder path, got 5"),
    ],
)
def test_bad_parameter_is_one_line_naming_it(project, kw, message):
    with pytest.raises(ConfigError) as err:
        params.check(cwd=project / "notebooks", **kw)
    assert str(err.value) == message


def test_checked_parameters(project):
    p = params.check(
        None, " demo ", None, "2018-2024", "新质生产力、三大攻坚战", "en", "figs", "12",
        cwd=project / "notebooks",
    )  # fmt: skip
    assert p == params.Params(
        data_dir=project / "data",
        source="demo",
        series=None,
        years=[2018, 2024],
        watch=("新质生产力", "三大攻坚战"),
        lang="en",
        figures_dir="figs",
        top_n=12,
    )
    # no watch list: the default one
    assert params.check(cwd=project).watch == ("服务发展年", "三大攻坚战")
    assert isinstance(p.data_dir, Path)
