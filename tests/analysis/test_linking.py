"""Many-to-many links on hand-made documents: the exact relation of a 2→1 merge, a 1→2 split,
a 2→2 regrouping, and a unit without a successor that stays dropped beside a free unit."""

from __future__ import annotations

import numpy as np
import pytest

from policytrack.pipeline.analysis.align import AlignConfig, align_corpus
from policytrack.pipeline.analysis.linking import relations
from policytrack.pipeline.analysis.similarity import SimConfig
from tests.support.frames import T, docs_frame, items_frame, links

P = "\n"  # a paragraph break inside an item: each paragraph votes on its own


def run(docs: dict[int, list[str]]):
    return align_corpus(items_frame(docs), docs_frame(list(docs)))


def linked(al) -> set[tuple[str, str, str, bool]]:
    rows = al[al["path_from"].notna() & al["path_to"].notna()]
    return set(
        zip(rows["path_from"], rows["path_to"], rows["relation"], rows["primary"], strict=True)
    )


def test_two_items_merged_into_one():
    al, threads = run(
        {
            2018: ["党建", "科普", "青少年", "学会", "智库"],
            2019: ["党建", T["科普"] + P + T["青少年"], "学会", "智库"],
        }
    )
    assert linked(al) == {
        ("1.1", "1.1", "unchanged", True),
        ("1.2", "1.2", "merged", True),
        ("1.3", "1.2", "merged", False),
        ("1.4", "1.3", "unchanged", True),
        ("1.5", "1.4", "unchanged", True),
    }
    assert not (al["relation"].isin(["new", "dropped"])).any()
    # The secondary part's thread ends, joining the merged item's thread.
    ended = threads[threads["paths"].map(lambda p: p == ["1.3"])].iloc[0]
    assert ended["merged_into"] is not None and not ended["active"]


def test_one_item_split_in_two():
    al, threads = run(
        {
            2018: ["党建", T["科普"] + P + T["青少年"], "学会", "智库"],
            2019: ["党建", "科普", "青少年", "学会", "智库"],
        }
    )
    assert linked(al) == {
        ("1.1", "1.1", "unchanged", True),
        ("1.2", "1.2", "split", True),
        ("1.2", "1.3", "split", False),
        ("1.3", "1.4", "unchanged", True),
        ("1.4", "1.5", "unchanged", True),
    }
    child = threads[threads["first_year"] == 2019].iloc[0]
    assert child["paths"] == ["1.3"] and child["parent_thread"] is not None


def test_two_items_regrouped_into_two():
    # 科普+青少年 and 学术+国际 become 科普+学术 and 青少年+国际: every part moves.
    al, _ = run(
        {
            2018: ["党建", T["科普"] + P + T["青少年"], T["学术"] + P + T["国际"], "智库"],
            2019: ["党建", T["科普"] + P + T["学术"], T["青少年"] + P + T["国际"], "智库"],
        }
    )
    group = {(a, b, rel) for a, b, rel, _ in linked(al) if rel == "regrouped"}
    assert group == {
        ("1.2", "1.2", "regrouped"),
        ("1.2", "1.3", "regrouped"),
        ("1.3", "1.2", "regrouped"),
        ("1.3", "1.3", "regrouped"),
    }
    primary = {(a, b) for a, b, rel, p in linked(al) if rel == "regrouped" and p}
    assert len(primary) == 2 and len({a for a, _ in primary}) == len({b for _, b in primary}) == 2
    assert {(a, b, rel) for a, b, rel, _ in linked(al)} - group == {
        ("1.1", "1.1", "unchanged"),
        ("1.4", "1.4", "unchanged"),
    }


def test_an_item_without_successor_stays_dropped_beside_a_free_item():
    # 人才 has no successor and 双碳 no predecessor: a forced one-to-one assignment would pair
    # the two free items; the link graph leaves both alone.
    al, _ = run(
        {
            2018: ["党建", "科普", "学会", "人才"],
            2019: ["党建", "科普", "学会", "双碳"],
        }
    )
    assert links(al) == {
        (2018, "1.1", 2019, "1.1", "unchanged"),
        (2018, "1.2", 2019, "1.2", "unchanged"),
        (2018, "1.3", 2019, "1.3", "unchanged"),
        (2018, "1.4", 2019, None, "dropped"),
        (2018, None, 2019, "1.4", "new"),
    }


def test_relations_come_from_the_shape_of_each_group():
    # old 0 → new 0 (1:1); old 1 → new 1, 2 (split); old 2, 3 → new 3 (merge);
    # old 4, 5 → new 4, 5 chained (regrouped)
    i = np.array([0, 1, 1, 2, 3, 4, 4, 5])
    j = np.array([0, 1, 2, 3, 3, 4, 5, 5])
    keys_a = ["same", "a", "b", "c", "d", "e"]
    keys_b = ["same", "x", "y", "z", "u", "v"]
    assert relations(i, j, 6, 6, keys_a, keys_b) == [
        "unchanged", "split", "split", "merged", "merged", "regrouped", "regrouped", "regrouped",
    ]  # fmt: skip
    assert relations(np.array([0]), np.array([0]), 1, 1, ["a"], ["b"]) == ["revised"]
    assert relations(np.array([], int), np.array([], int), 0, 0, [], []) == []


@pytest.mark.parametrize(
    ("scorer", "tokens", "rule"),
    [
        ("bm25", "jieba", "votes"),
        ("bm25", "bigram", "votes"),
        ("sort", "char", "votes"),
        ("sort", "bigram", "score"),
        ("ratio", "jieba", "score"),
    ],
)
def test_every_scorer_and_rule_finds_a_reordering(scorer, tokens, rule):
    items = items_frame(
        {2018: ["党建", "科普", "学会", "智库"], 2019: ["智库", "学会", "科普", "党建"]}
    )
    cfg = AlignConfig(sim=SimConfig(scorer=scorer, tokens=tokens), rule=rule)
    al, _ = align_corpus(items, docs_frame([2018, 2019]), config=cfg)
    assert {(a, b) for a, b, rel, _ in linked(al) if rel == "unchanged"} == {
        ("1.1", "1.4"),
        ("1.2", "1.3"),
        ("1.3", "1.2"),
        ("1.4", "1.1"),
    }
