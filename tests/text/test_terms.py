"""Where a term is mentioned: one scan of the joined units gives each unit's str.count; the
built-in formulas a text holds, found by one scan."""

from __future__ import annotations

import random

from policytrack.pipeline.text.terms import (
    builtin_formulas,
    builtin_formulas_in,
    mention_paths,
    quoted_candidates,
)


def _mentions(term: str, units: list[tuple[str, str]]) -> list[str]:
    full = "\n".join(t for _, t in units)
    starts = [0]
    for _, text in units[:-1]:
        starts.append(starts[-1] + len(text) + 1)
    return mention_paths(term, units, full, starts)


def test_each_mention_under_its_unit_in_order():
    units = [("preamble", "稳中求进，稳中求进"), ("1", ""), ("1.1", "坚持稳中求进"), ("2", "稳")]
    assert _mentions("稳中求进", units) == ["preamble", "preamble", "1.1"]
    assert _mentions("进", units) == ["preamble", "preamble", "1.1"]
    assert _mentions("稳", units) == ["preamble", "preamble", "1.1", "2"]
    assert _mentions("求进坚持", units) == []  # "进\n坚持" in the joined text: two units


def test_mentions_do_not_overlap_as_str_count():
    units = [("1", "aaaaa"), ("2", "aa")]
    assert _mentions("aa", units) == ["1", "1", "2"]  # "aaaaa".count("aa") == 2
    assert _mentions("a\na", units) == []  # a term with a newline is counted unit by unit


def test_builtin_formulas_in_one_scan():
    assert builtin_formulas_in("坚持“十五五”规划，统筹五位一体") == {"十五五", "五位一体"}
    # 十五五 covers the first 五 of 五位一体: found all the same.
    assert builtin_formulas_in("十五五位一体") == {"十五五", "五位一体"}
    assert builtin_formulas_in("一带一") == set()
    formulas = builtin_formulas()
    pieces = [*formulas, *"".join(formulas), "，"]
    rng = random.Random(4)
    for _ in range(2000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 8)))
        assert builtin_formulas_in(text) == {f for f in formulas if f in text}, text


def test_quoted_candidates_noted_unit_by_unit_titles_first():
    units = [("1", "坚持“稳”字当头，落实《规划》"), ("2", "「稳」和“十四五”"), ("3", "“多\n行”")]
    assert list(quoted_candidates(iter(units)).items()) == [
        ("规划", ("book", ["1"])),  # unit 1: the title before the quote
        ("稳", ("quote", ["1", "2"])),
        ("十四五", ("formula", ["2"])),  # unit 2: “” before 「」
    ]
