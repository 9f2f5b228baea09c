"""Parsers behind shared CLI options and notebook parameters: years and watch terms, one each."""

from __future__ import annotations

import pytest

from policytrack.pipeline.cli.options import parse_years
from policytrack.pipeline.core.errors import ConfigError
from policytrack.pipeline.text.watch import default_watch, parse_watch, watch_list


def test_years_option():
    assert parse_years("2010-2025") == [2010, 2025]
    assert parse_years("2019") == [2019, 2019]
    assert parse_years(None) is None
    with pytest.raises(ConfigError, match="--years: expected YYYY or YYYY-YYYY, got 'soon'"):
        parse_years("soon")
    with pytest.raises(ConfigError, match="--years: 2025 is after 2010"):
        parse_years("2025-2010")


@pytest.mark.parametrize(
    "given",
    [
        ["新质生产力", "三大攻坚战"],  # a Python list (notebook parameter, papermill -y)
        '["新质生产力", "三大攻坚战"]',  # a JSON list as a string (papermill -p)
        "新质生产力,三大攻坚战",  # the CLI's comma style
        "新质生产力，三大攻坚战",  # full-width comma
        "新质生产力、三大攻坚战",  # 、 as written in Chinese
        ["新质生产力,三大攻坚战"],  # --watch a,b as one repeated option
        ['["新质生产力", "三大攻坚战"]'],  # --watch '["a", "b"]': a JSON list on the CLI
        " “新质生产力” , 三大攻坚战 ,,",  # quotes, spaces and empty entries dropped
    ],
)
def test_every_accepted_watch_form_gives_the_same_terms(given):
    assert parse_watch(given) == ["新质生产力", "三大攻坚战"]


def test_watch_repeated_options_and_duplicates():
    assert parse_watch(["服务发展年,三大攻坚战", "一芯两带三区，四个意识", "服务发展年"]) == [
        "服务发展年",
        "三大攻坚战",
        "一芯两带三区",
        "四个意识",
    ]
    assert parse_watch(None) == []
    assert parse_watch("") == []


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ('["新质生产力", 3]', "watch: every term must be a string, not 3"),
        ("[新质生产力]", "watch: not a JSON list of terms"),
        (42, "watch: expected terms as a list or a comma-separated string, not int"),
    ],
)
def test_watch_bad_forms_are_one_clear_error(given, message):
    with pytest.raises(ConfigError, match=message):
        parse_watch(given)


def test_watch_list_is_default_plus_user_terms():
    assert default_watch() == ["服务发展年", "三大攻坚战"]
    assert watch_list("新质生产力、服务发展年") == ["服务发展年", "三大攻坚战", "新质生产力"]
