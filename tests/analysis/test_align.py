"""Item alignment on hand-made documents: exact relations, threads, bad input, the assignment."""

from __future__ import annotations

import logging
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linear_sum_assignment

from policytrack.pipeline.analysis.align import (  # noqa: E402
    ALIGNMENT_COLUMNS,
    THREAD_COLUMNS,
    AlignConfig,
    align_corpus,
    assign,
    build_units,
    thread_key,
)
from policytrack.pipeline.analysis.similarity import Encoder, SimConfig, candidates, prepare  # noqa: E402
from tests.support.frames import COMBINED, REVISED_学会, T, docs_frame, items_frame, links  # noqa: E402

A = ["党建", "科普", "学会", "智库", "学术", "基层"]


def run(docs: dict[int, list[str]], **kw):
    return align_corpus(items_frame(docs), docs_frame(list(docs)), **kw)


def test_reorder_is_order_free_and_revision_is_told_apart():
    al, _ = run({2018: A, 2019: ["基层", "学术", "智库", REVISED_学会, "科普", "党建"]})
    assert list(al.columns) == ALIGNMENT_COLUMNS
    assert links(al) == {
        (2018, "1.1", 2019, "1.6", "unchanged"),
        (2018, "1.2", 2019, "1.5", "unchanged"),
        (2018, "1.3", 2019, "1.4", "revised"),
        (2018, "1.4", 2019, "1.3", "unchanged"),
        (2018, "1.5", 2019, "1.2", "unchanged"),
        (2018, "1.6", 2019, "1.1", "unchanged"),
    }
    revised = al[al["relation"] == "revised"].iloc[0]
    assert 60 < revised["similarity"] < 100
    assert (al.loc[al["relation"] == "unchanged", "similarity"] == 100).all()


def test_split_links_the_old_item_to_both_parts():
    al, threads = run(
        {
            2018: ["党建", COMBINED, "学会", "智库", "学术", "基层"],
            2019: ["党建", "科普", "青少年", "学会", "智库", "学术", "基层"],
        }
    )
    split = al[al["relation"] == "split"]
    assert set(zip(split["path_from"], split["path_to"], split["primary"], strict=True)) == {
        ("1.2", "1.2", True),  # the larger part continues the thread
        ("1.2", "1.3", False),
    }
    assert set(al["relation"]) == {"unchanged", "split"}
    # The split-off part starts its own thread whose parent is the old item's thread.
    parent = thread_key("s", "x", "item", 2018, "1.2")
    child = threads[threads["first_year"] == 2019].iloc[0]
    assert child["paths"] == ["1.3"] and child["parent_thread"] == parent
    assert threads.loc[threads["thread_id"] == parent, "paths"].iloc[0] == ["1.2", "1.2"]


def test_merge_links_both_old_items_to_the_new_one():
    al, threads = run(
        {
            2018: ["党建", "科普", "青少年", "学会", "智库", "学术", "基层"],
            2019: ["党建", COMBINED, "学会", "智库", "学术", "基层"],
        }
    )
    merged = al[al["relation"] == "merged"]
    assert set(zip(merged["path_from"], merged["path_to"], merged["primary"], strict=True)) == {
        ("1.2", "1.2", True),
        ("1.3", "1.2", False),
    }
    ended = threads[threads["thread_id"] == thread_key("s", "x", "item", 2018, "1.3")].iloc[0]
    assert ended["merged_into"] == thread_key("s", "x", "item", 2018, "1.2")
    assert ended["years"] == [2018] and not ended["active"]


def test_new_and_dropped_items():
    al, _ = run({2018: [*A, "人才"], 2019: [*A, "双碳"]})
    one_sided = {x for x in links(al) if x[4] in ("new", "dropped")}
    assert one_sided == {(2018, None, 2019, "1.7", "new"), (2018, "1.7", 2019, None, "dropped")}
    assert sum(1 for x in links(al) if x[4] == "unchanged") == 6


def test_reappeared_after_a_skipped_year():
    al, threads = run({2018: [*A, "双碳"], 2019: A, 2020: [*A, "双碳"]})
    assert (2018, "1.7", 2019, None, "dropped") in links(al)
    assert (2018, "1.7", 2020, "1.7", "reappeared") in links(al)
    assert "new" not in set(al["relation"])
    t = threads[threads["thread_id"] == thread_key("s", "x", "item", 2018, "1.7")].iloc[0]
    assert t["years"] == [2018, 2020] and t["n_years"] == 2 and t["active"]


def test_reappearance_needs_lookback():
    al, _ = run({2018: [*A, "双碳"], 2019: A, 2020: [*A, "双碳"]}, lookback=0)
    assert (2019, None, 2020, "1.7", "new") in links(al)
    assert "reappeared" not in set(al["relation"])


def test_missing_year_is_bridged():
    al, threads = run({2019: A, 2021: A})
    assert set(zip(al["year_from"], al["year_to"], strict=True)) == {(2019, 2021)}
    assert set(al["relation"]) == {"unchanged"}
    assert all(t == [2019, 2021] for t in threads["years"])


def test_thread_ids_are_stable_when_a_year_is_added():
    docs = {2018: A, 2019: ["基层", "学术", "智库", REVISED_学会, "科普", "党建"]}
    _, before = run(docs)
    _, after = run({**docs, 2020: [*A, "双碳"]})
    assert list(before.columns) == THREAD_COLUMNS
    assert set(before["thread_id"]) <= set(after["thread_id"])
    assert len(after) == len(before) + 1  # 双碳 starts one new thread
    new = after[~after["thread_id"].isin(before["thread_id"])].iloc[0]
    assert new["first_year"] == 2020 and new["label"] == "服务碳达峰碳中和目标"
    t = after[after["thread_id"] == thread_key("s", "x", "item", 2018, "1.3")].iloc[0]
    assert t["years"] == [2018, 2019, 2020] and t["paths"] == ["1.3", "1.4", "1.3"]
    assert t["label"] == "深化学会治理改革"


def test_series_are_aligned_separately():
    items = pd.concat(
        [
            items_frame({2018: A, 2019: A}, series="x"),
            items_frame({2018: A, 2019: A}, series="y", doc_ids={2018: "y18", 2019: "y19"}),
        ]
    )
    docs = pd.concat(
        [
            docs_frame([2018, 2019], series="x"),
            docs_frame([2018, 2019], series="y", doc_ids={2018: "y18", 2019: "y19"}),
        ]
    )
    al, threads = align_corpus(items, docs)
    assert al.groupby("series").size().to_dict() == {"x": 6, "y": 6}
    assert len(threads) == 12 and threads["thread_id"].is_unique


def test_pruned_candidates_give_the_same_links_as_all_pairs():
    docs = {2018: [*A, "人才", "国际"], 2019: ["国际", *A[::-1], "双碳"]}
    dense, _ = run(docs)
    pruned_cfg = AlignConfig(sim=SimConfig(dense_limit=0, top_k=3))
    pruned, _ = run(docs, config=pruned_cfg)
    assert links(pruned) == links(dense)


def test_candidates_find_each_true_partner():
    rng = np.random.default_rng(1)
    texts = list(T.values())
    perm = rng.permutation(len(texts))
    enc = Encoder("bigram")
    a = prepare([""] * len(texts), texts, enc)
    b = prepare([""] * len(texts), [texts[i] for i in perm], enc)
    ai, bi = candidates(a, b, SimConfig(top_k=2))
    found = {(int(i), int(perm[j])) for i, j in zip(ai, bi, strict=True)}
    assert all((i, i) in found for i in range(len(texts)))
    assert len(found) <= 2 * 2 * len(texts)


@pytest.mark.parametrize("seed", range(5))
def test_sparse_assignment_matches_dense_optimum(seed):
    rng = np.random.default_rng(seed)
    n, m = 12, 9
    dense = np.where(rng.random((n, m)) < 0.3, rng.integers(1, 100, (n, m)), 0).astype(float)
    a, b = np.nonzero(dense)
    ra, rb = assign(a, b, dense[a, b], n, m)
    assert len(set(ra)) == len(ra) and len(set(rb)) == len(rb)
    r, c = linear_sum_assignment(dense, maximize=True)
    assert dense[ra, rb].sum() == dense[r, c].sum()


def test_large_component_uses_the_sparse_solver():
    # One connected component bigger than the dense limit: a chain a_i – b_i – a_{i+1}.
    n = 2100
    a = np.r_[np.arange(n), np.arange(1, n)]
    b = np.r_[np.arange(n), np.arange(n - 1)]
    w = np.r_[np.full(n, 10.0), np.full(n - 1, 1.0)]
    ra, rb = assign(a, b, w, n, n)
    assert len(ra) == n and (ra == rb).all()


def test_levels_section_paragraph_sentence():
    items = items_frame({2018: A, 2019: A})
    para = items[items["level"] == "item"].copy()
    para["level"] = "paragraph"
    para["path"] = para["path"] + ".p1"
    items = pd.concat([items, para])
    docs = docs_frame([2018, 2019])
    sec, _ = align_corpus(items, docs, level="section")
    assert links(sec) == {(2018, "1", 2019, "1", "unchanged")}
    par, _ = align_corpus(items, docs, level="paragraph")
    assert (2018, "1.3.p1", 2019, "1.3.p1", "unchanged") in links(par)
    sents = pd.DataFrame(
        [
            dict(source="s", series="x", year=y, doc_id=f"d{y}", path="1.1", sent_no=k, text=t)
            for y in (2018, 2019)
            for k, t in enumerate(T["学会"].split("。")[:2], 1)
        ]
    )
    sen, _ = align_corpus(items, docs, level="sentence", sentences=sents)
    assert links(sen) == {
        (2018, "1.1.s1", 2019, "1.1.s1", "unchanged"),
        (2018, "1.1.s2", 2019, "1.1.s2", "unchanged"),
    }
    with pytest.raises(ValueError, match="level must be one of"):
        align_corpus(items, docs, level="word")


def test_item_body_includes_nested_paragraphs():
    items = items_frame({2018: ["学会"]})
    child = items.iloc[[-1]].assign(
        level="paragraph", path="1.1.p1", parent_path="1.1", text="加强学会党建工作。", ordinal=5
    )
    units = build_units(pd.concat([items, child]), "item")
    assert units["body"].tolist() == [T["学会"] + "\n加强学会党建工作。"]


# ---------------------------------------------------------------------------- bad input


def test_one_year_only(caplog):
    with caplog.at_level(logging.INFO, logger="policytrack.pipeline.analysis.align"):
        al, threads = run({2019: A})
    assert al.empty and list(al.columns) == ALIGNMENT_COLUMNS
    assert len(threads) == 6 and set(threads["first_year"]) == {2019}
    assert "1 year(s) with item units; nothing to align" in caplog.text


def test_year_without_items_is_bridged_and_logged(caplog):
    items = items_frame({2018: A, 2020: A})
    with caplog.at_level(logging.WARNING, logger="policytrack.pipeline.analysis.align"):
        al, _ = align_corpus(items, docs_frame([2018, 2019, 2020]))
    assert (
        "s / x: 1 of 3 documents have no item units (2019); those years are bridged "
        "(--level paragraph aligns their paragraphs)" in caplog.text
    )
    assert set(zip(al["year_from"], al["year_to"], strict=True)) == {(2018, 2020)}


def test_duplicate_documents_latest_wins_and_is_logged(caplog):
    items = pd.concat(
        [
            items_frame({2018: A}),
            items_frame({2019: A}, doc_ids={2019: "old"}),
            items_frame({2019: [*A, "双碳"]}, doc_ids={2019: "new"}),
        ]
    )
    docs = pd.concat(
        [
            docs_frame([2018]),
            docs_frame([2019], doc_ids={2019: "old"}, recorded="2024-01-01T00:00:00Z"),
            docs_frame([2019], doc_ids={2019: "new"}, recorded="2024-02-01T00:00:00Z"),
        ]
    )
    with caplog.at_level(logging.WARNING, logger="policytrack.pipeline.analysis.align"):
        al, _ = align_corpus(items, docs)
    assert "s / x / 2019: 2 documents for one year; using the latest, new" in caplog.text
    assert "ignoring old (2024-01-01T00:00:00Z)" in caplog.text
    assert (2018, None, 2019, "1.7", "new") in links(al)


def test_empty_text_is_skipped_and_logged(caplog):
    items = items_frame({2018: [*A, "。"], 2019: [*A, ""]})
    with caplog.at_level(logging.WARNING, logger="policytrack.pipeline.analysis.align"):
        al, threads = run_items(items)
    assert "s / x / 2018: 1 item unit(s) with empty text skipped" in caplog.text
    assert "s / x / 2019: 1 item unit(s) with empty text skipped" in caplog.text
    assert len(al) == 6 and len(threads) == 6


def run_items(items):
    return align_corpus(items, docs_frame(sorted(items["year"].unique())))


def test_no_items_and_no_documents():
    empty = items_frame({})
    al, threads = align_corpus(empty, docs_frame([]))
    assert al.empty and threads.empty
    al, threads = align_corpus(pd.DataFrame(), docs_frame([2018]))
    assert al.empty and threads.empty


def test_review_sections_are_left_out(caplog):
    items = items_frame({2018: A, 2019: A})
    items.loc[(items["year"] == 2019) & (items["level"] == "section"), "heading"] = "2018年工作回顾"
    with caplog.at_level(logging.INFO, logger="policytrack.pipeline.analysis.align"):
        al, _ = run_items(items)
    assert "left out 6 item unit(s) in sections matching '工作的?回顾|回顾$'" in caplog.text
    assert "s / x: 1 of 2 documents have no item units (2019); those years" in caplog.text
    assert al.empty
    al, _ = align_corpus(
        items, docs_frame([2018, 2019]), config=replace(AlignConfig(), exclude_sections="")
    )
    assert set(al["relation"]) == {"unchanged"}


@pytest.mark.parametrize(
    ("heading", "left_out"),
    [
        ("2018年工作回顾", True),
        ("1991年国内工作的回顾", True),
        ("“九五”时期国民经济和社会发展的回顾", True),
        ("1998年工作回顾和1999年工作的总体要求", True),
        ("世纪之交的回顾和展望", False),  # the 1997 congress report's outlook section
        ("过去五年的工作", False),
    ],
)
def test_which_section_headings_are_reviews(heading, left_out):
    items = items_frame({2018: A, 2019: A})
    items.loc[(items["year"] == 2019) & (items["level"] == "section"), "heading"] = heading
    al, _ = run_items(items)
    assert al.empty == left_out
