"""The lexicon stage on small hand-made corpora: counting rules, discovery, flags, the stage's
contract. Expected values are written from the texts below, by reading."""

from __future__ import annotations

import pandas as pd
import pytest

from policytrack.pipeline.analysis.lexicon import (
    LexiconConfig,
    SourceFrames,
    is_stopped,
    lexicon_stage,
    source_timeline,
)
from policytrack.pipeline.analysis.lexicon_count import Matcher, count_watch, document_units
from policytrack.pipeline.analysis.lexicon_rank import rank_terms, term_importance
from policytrack.pipeline.store import schema
from policytrack.pipeline.text.parse import parse_file


def _count(entries: dict[str, str], text: str, watched=()):
    m = Matcher(list(entries), list(entries.values()), watched=watched)
    return {m.terms[i]: (t.count, t.own, t.quoted) for i, t in m.count([("1", text)]).items()}


def test_containment_rule_count_and_own():
    """A mention inside a longer entry is said (count) but attributed once, to the longest
    entry covering it (own)."""
    text = "严格落实中央八项规定精神，八项规定不是终点。党中央八项规定。"
    got = _count({"八项规定": "formula", "中央八项规定": "phrase"}, text)
    # 八项规定: 3 mentions; 2 of them lie inside 中央八项规定 (党中央八项规定 contains it too).
    assert got["八项规定"] == (3, 1, 0)
    assert got["中央八项规定"] == (2, 2, 0)


def test_counting_is_non_overlapping_left_to_right_like_str_count():
    text = "一带一路一带一路“一带一路”"
    assert _count({"一带一路": "formula"}, text)["一带一路"] == (3, 3, 1)
    assert _count({"路路路": "phrase"}, "路路路路路路路")["路路路"] == (2, 2, 0)  # like str.count


def test_two_character_entries_count_only_quoted_unless_watched():
    text = "“六稳”是大局。稳就业、稳金融，六稳六保。"
    assert _count({"六稳": "formula"}, text)["六稳"] == (1, 1, 1)
    assert _count({"六稳": "watch"}, text, watched=["六稳"])["六稳"] == (2, 2, 1)


def test_book_titles_count_every_mention():
    text = "实施《中国制造2025》。推进“中国制造2025”。中国制造2025。"
    assert _count({"中国制造2025": "book"}, text)["中国制造2025"] == (3, 3, 2)


def test_seed_counts_of_its_own_quoted_terms_are_the_extractors():
    """Counting the seed notice with a lexicon of its own extracted terms gives the same counts
    and paths as the parser's extraction (tests/text/test_parse_seed.py holds those values)."""
    from tests.conftest import SEED

    if not SEED.exists():
        pytest.skip(f"{SEED} is absent")
    doc = parse_file(SEED)
    m = Matcher([h.term for h in doc.terms], [h.kind for h in doc.terms])
    counted = {m.terms[i]: t for i, t in m.count(doc.own_texts()).items()}
    for hit in doc.terms:
        assert (counted[hit.term].count, counted[hit.term].paths) == (hit.count, hit.paths), (
            hit.term
        )


def test_stop_list_rules():
    assert is_stopped("深入推进")  # starts with a verb of the [prefix] list
    assert is_stopped("习近平同志为核心")  # a form of address inside
    assert is_stopped("常态化") and is_stopped("党的二十大")  # [pattern]
    assert not is_stopped("高质量发展") and not is_stopped("乡村振兴")


# ---------------------------------------------------------------------------- the stage

BODY = {
    # Seven yearly documents; 乡村振兴 is coined in 2023 (never quoted), “双碳” is quoted, 稳 is an
    # emphasis quote, “一次性口号” a one-off quote.
    2018: "坚持稳中求进，推进农业农村工作。做好财政工作，落实各项政策。",
    2019: "坚持稳中求进，推进农业农村工作。做好金融工作，落实各项政策。“稳”字当头。",
    2020: "坚持稳中求进，推进农业农村工作。做好外贸工作，落实各项政策。“一次性口号”。",
    2021: "坚持稳中求进，推进农业农村工作。做好外资工作，落实各项政策。",
    2022: "坚持稳中求进，推进农业农村工作。做好投资工作，落实各项政策。“双碳”目标。",
    2023: "实施乡村振兴战略。乡村振兴要全面推进。发展乡村振兴产业，乡村振兴是大事。坚持稳中求进。",
    2024: "全面推进乡村振兴。乡村振兴，产业先行；乡村振兴，人才为要。推进“双碳”工作。",
}


def _frames(body=BODY, source="s", series="x"):
    docs = pd.DataFrame(
        [
            dict(
                doc_id=f"{source}{y}",
                source=source,
                series=series,
                year=y,
                recorded_at="2024-01-01",
                n_chars=len(t),
                preamble=t,
            )
            for y, t in body.items()
        ]
    )
    items = pd.DataFrame(
        columns=["source", "doc_id", "path", "parent_path", "level", "ordinal", "text"]
    )
    return SourceFrames(source, docs, items)


@pytest.fixture(scope="module")
def stage():
    frames = [_frames()]
    cfg = LexiconConfig(min_count=3, min_before=3, max_df=0.5)
    return frames, lexicon_stage(frames, watch=["财政工作"], config=cfg)


def test_stage_returns_schema_tables(stage):
    frames, result = stage
    assert list(result.lexicon.columns) == schema.table("lexicon").names
    schema.conform(result.lexicon, "lexicon")
    for f in frames:
        schema.conform(result.terms[f.source], "terms")
    assert result.stats["documents"] == 7


def test_stage_discovers_an_unquoted_coinage_with_its_evidence(stage):
    _, result = stage
    lex = result.lexicon.set_index("term")
    assert lex.loc["乡村振兴", "kind"] == "phrase"
    assert lex.loc["乡村振兴", "first_year"] == 2023
    assert lex.loc["乡村振兴", "documents"] == 2 and lex.loc["乡村振兴", "count"] == 7
    assert lex.loc["乡村振兴", "score"] > 0 and "first 2023" in lex.loc["乡村振兴", "evidence"]
    assert "稳中求进" not in lex.index or lex.loc["稳中求进", "kind"] != "phrase"  # old, not new
    assert "稳" not in lex.index  # no one-character terms
    # 双碳 (碳达峰 + 碳中和) is a numbered formula: 双 counts as a numeral
    assert lex.loc["双碳", "kind"] == "formula" and lex.loc["财政工作", "kind"] == "watch"
    assert lex.loc["一次性口号", "flag"] == "one_off"


def test_stage_terms_and_timeline(stage):
    frames, result = stage
    terms = result.terms["s"].set_index(["term", "year"])
    assert terms.loc[("乡村振兴", 2024), "count"] == 3
    tl = source_timeline(result, "s", frames[0].documents, watch=["财政工作"])
    by = tl.set_index(["term", "year"])
    assert [by.loc[("乡村振兴", y), "status"] for y in (2022, 2023, 2024)] == [
        "absent",
        "new",
        "persisting",
    ]
    assert (
        by.loc[("财政工作", 2019), "status"] == "fading" and by.loc[("财政工作", 2018), "watched"]
    )
    assert by.loc[("一次性口号", 2020), "flag"] == "one_off"
    ranked = rank_terms(tl)
    assert "一次性口号" not in set(ranked["term"])  # noise out of default views
    assert "一次性口号" in set(rank_terms(tl, noise=True)["term"])
    imp = term_importance(tl, years=[2023, 2024]).set_index("term")
    assert imp.loc["乡村振兴", "persistence"] == 1.0 and imp.loc["乡村振兴", "importance"] > 0


def test_lexicon_spans_series_and_sources():
    """A term coined in one source is counted in every other (the lexicon spans the data dir)."""
    other = {2023: "认真学习。", 2024: "各地推动乡村振兴。"}
    frames = [_frames(), _frames(other, source="t", series="y")]
    result = lexicon_stage(frames, config=LexiconConfig(min_count=3, max_df=0.5))
    t = result.terms["t"]
    assert t.loc[t["term"] == "乡村振兴", "year"].tolist() == [2024]


def test_count_watch_uses_items_own_text():
    frames = _frames({2024: "序言。"})
    items = pd.DataFrame(
        [
            dict(doc_id="s2024", path="1", parent_path="", level="section", ordinal=0,
                 text="一、发展新质生产力\n说明新质生产力"),
            dict(doc_id="s2024", path="1.1", parent_path="1", level="item", ordinal=1,
                 text="因地制宜发展新质生产力。"),
        ]
    )  # fmt: skip
    units = dict(next(document_units(frames.documents, items))[1])
    assert units == {
        "preamble": "序言。",
        "1": "一、发展新质生产力",
        "1.1": "因地制宜发展新质生产力。",
    }
    rows = count_watch(frames.documents, items, ["新质生产力"])
    assert rows[["term", "count", "paths"]].values.tolist() == [["新质生产力", 2, ["1", "1.1"]]]
