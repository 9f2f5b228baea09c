"""evaluate: P/R/F1 against a tiny gold file with known answers; bad gold files."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from policytrack.pipeline.analysis import tuning
from policytrack.pipeline.analysis.align import AlignConfig
from policytrack.pipeline.analysis.evaluate import evaluate, gold_classes, load_gold, load_golds
from policytrack.pipeline.cli.app import app  # noqa: E402
from policytrack.pipeline.core.errors import InputError  # noqa: E402
from policytrack.pipeline.store.tables import write_tables
from tests.support.frames import docs_frame, items_frame  # noqa: E402

TOPICS = ["党建", "科普", "学会", "智库"]


def _alignments(rows):
    return pd.DataFrame(
        [
            dict(
                source="s",
                series="x",
                level="item",
                year_from=a,
                path_from=pf,
                year_to=b,
                path_to=pt,
                relation=rel,
                score=5.0,
                similarity=50.0,
                primary=True,
                thread_id="t",
            )
            for a, pf, b, pt, rel in rows
        ]
    )


def _gold(tmp_path, pairs, **top):
    path = tmp_path / "gold.json"
    path.write_text(
        json.dumps({"source": "s", "level": "item", "pairs": pairs, **top}), encoding="utf-8"
    )
    return path


def test_known_precision_recall_f1(tmp_path):
    items = items_frame({2018: TOPICS, 2019: TOPICS, 2021: TOPICS})
    docs = docs_frame([2018, 2019, 2021])
    al = _alignments(
        [
            (2018, "1.1", 2019, "1.1", "unchanged"),  # right
            (2018, "1.2", 2019, "1.3", "revised"),  # wrong
            (2018, "1.3", 2019, "1.2", "split"),  # right
            (2018, "1.4", 2019, None, "dropped"),  # one-sided rows are not links
            (2019, "1.1", 2021, "1.1", "unchanged"),
            (2019, "1.2", 2021, "1.2", "unchanged"),
        ]
    )
    gold = _gold(
        tmp_path,
        [
            {
                "from": "2018",
                "to": "2019",
                "links": [{"from": 1, "to": 1}, {"from": 3, "to": 2}, {"from": 4, "to": 4}],
                "new": [3],
                "dropped": [2],
            },
            {"from": "2019", "to": "2021", "links": [{"from": "1.1", "to": "1.1"}]},
        ],
    )
    table = evaluate(load_gold(gold), al, items, docs).set_index("pair")
    first = table.loc["2018→2019"]
    assert (first["gold"], first["predicted"], first["correct"]) == (3, 3, 2)
    assert first["precision"] == first["recall"] == first["f1"] == pytest.approx(0.6667)
    # new/dropped: predicted new {1.4}, dropped {1.4}; gold new {1.3}, dropped {1.2} → none right.
    assert first["side_f1"] == 0.0
    second = table.loc["2019→2021"]
    assert (second["precision"], second["recall"], second["f1"]) == (
        0.5,
        1.0,
        pytest.approx(0.6667),
    )
    overall = table.loc["overall"]
    assert (overall["gold"], overall["predicted"], overall["correct"]) == (4, 5, 3)
    assert overall["precision"] == 0.6 and overall["recall"] == 0.75
    assert overall["f1"] == pytest.approx(2 * 0.6 * 0.75 / 1.35, abs=1e-4)


def test_only_links_inside_the_compared_sections_count(tmp_path):
    items = pd.concat([items_frame({2018: TOPICS, 2019: TOPICS})])
    extra = items[items["level"] == "item"].copy()
    extra["path"] = extra["path"].str.replace("1.", "2.", regex=False)
    extra["section_no"] = 2
    items = pd.concat([items, extra])
    al = _alignments(
        [
            (2018, "2.1", 2019, "2.1", "unchanged"),
            (2018, "2.2", 2019, "1.2", "revised"),  # one end outside section 1
            (2018, "1.1", 2019, "1.1", "unchanged"),
        ]
    )
    gold = _gold(
        tmp_path,
        [
            {
                "from": "2018",
                "to": "2019",
                "section_from": 1,
                "section_to": 1,
                "links": [{"from": 1, "to": 1}, {"from": 2, "to": 2}],
            }
        ],
    )
    row = evaluate(load_gold(gold), al, items, docs_frame([2018, 2019])).iloc[0]
    assert (row["predicted"], row["correct"], row["precision"], row["recall"]) == (1, 1, 1.0, 0.5)
    # Without sections, item numbers repeat across sections: the gold must say which one.
    ambiguous = _gold(tmp_path, [{"from": "2018", "to": "2019", "links": [{"from": 1, "to": 1}]}])
    with pytest.raises(InputError, match="item number 1 is not unique"):
        evaluate(load_gold(ambiguous), al, items, docs_frame([2018, 2019]))


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("{not json", "not valid JSON"),
        ("[]", "top level must be a JSON object"),
        ('{"source": "s"}', "missing key 'pairs'"),
        ('{"source": "s", "pairs": []}', "'pairs' must be a non-empty list"),
        (
            '{"source": "s", "pairs": [{"from": "x", "to": "2019"}]}',
            "'from' and 'to' must be years",
        ),
        (
            '{"source": "s", "pairs": [{"from": 2018, "to": 2019, "links": [{"from": 1}]}]}',
            "a link must be",
        ),
    ],
)
def test_bad_gold_files_name_the_file(tmp_path, content, reason):
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=reason) as err:
        load_gold(path)
    assert str(path) in str(err.value)


def test_gold_naming_a_missing_item_or_year(tmp_path):
    items = items_frame({2018: TOPICS, 2019: TOPICS})
    al = _alignments([(2018, "1.1", 2019, "1.1", "unchanged")])
    gold = _gold(tmp_path, [{"from": 2018, "to": 2019, "links": [{"from": 9, "to": 1}]}])
    with pytest.raises(InputError, match="link 9→1 names an item not in the compared sections"):
        evaluate(load_gold(gold), al, items, docs_frame([2018, 2019]))
    gold = _gold(tmp_path, [{"from": 2018, "to": 2020, "links": []}])
    with pytest.raises(InputError, match="no document for year 2020"):
        evaluate(load_gold(gold), al, items, docs_frame([2018, 2019]))


def _data(tmp_path, alignments=None):
    data = tmp_path / "data"
    tables = {
        "items": items_frame({2018: TOPICS, 2019: TOPICS}),
        "documents": docs_frame([2018, 2019]),
    }
    if alignments is not None:
        tables["alignments"] = alignments
    write_tables(data, tables, strict=False)
    return data


def _evaluate_lines(gold, data) -> list[str]:
    result = CliRunner().invoke(app, ["evaluate", "--gold", str(gold), "--data", str(data)])
    assert result.exit_code == 0, result.output
    return result.output.splitlines()


def test_evaluate_command(tmp_path):
    data = _data(
        tmp_path,
        _alignments(
            [(2018, "1.1", 2019, "1.1", "unchanged"), (2018, "1.2", 2019, "1.3", "revised")]
        ),
    )
    gold = _gold(
        tmp_path,
        [{"from": "2018", "to": "2019", "links": [{"from": 1, "to": 1}, {"from": 2, "to": 2}]}],
    )
    lines = _evaluate_lines(gold, data)
    assert lines[0].endswith("source s, series x, level item; stored links")
    # pair, gold, predicted, correct, P, R, F1; then the one-sided units: gold, predicted,
    # correct, F1 (gold: none; predicted: 1.2, 1.4 dropped and 1.2, 1.4 new)
    assert lines[2].split() == [
        "2018→2019", "2", "2", "1", "0.500", "0.500", "0.500", "0", "4", "0", "0.000",
    ]  # fmt: skip
    assert lines[3].split()[:7] == ["overall", "2", "2", "1", "0.500", "0.500", "0.500"]
    assert lines[4].startswith("new/dropped F1: the units the gold leaves without a partner")
    conf = {ln.split()[0]: ln.split()[1:] for ln in lines[6:13]}
    # rows gold, columns predicted (1:1, split, merged, regrouped, none)
    assert conf["1:1"] == ["1", "0", "0", "0", "1"]  # 1→1 found; 2→2 missed
    assert conf["none"] == ["1", "0", "0", "0", "0"]  # 2→3 is not in the gold
    missing = CliRunner().invoke(
        app, ["evaluate", "--gold", str(tmp_path / "nope.json"), "--data", str(data)]
    )
    assert missing.exit_code != 0


def test_side_f1_is_blank_when_nothing_is_one_sided(tmp_path):
    items = items_frame({2018: TOPICS, 2019: TOPICS})
    al = _alignments([(2018, f"1.{k}", 2019, f"1.{k}", "unchanged") for k in (1, 2, 3, 4)])
    gold = _gold(
        tmp_path, [{"from": 2018, "to": 2019, "links": [{"from": k, "to": k} for k in (1, 2)]}]
    )
    gold_path = tmp_path / "g.json"
    gold.rename(gold_path)
    row = evaluate(load_gold(gold_path), al, items, docs_frame([2018, 2019])).iloc[0]
    assert (row["precision"], row["recall"]) == (0.5, 1.0)  # 3→3 and 4→4 are not gold links
    assert row["side_gold"] == row["side_pred"] == 0 and np.isnan(row["side_f1"])


def test_a_folder_of_gold_files_is_one_gold_per_series(tmp_path):
    folder = tmp_path / "gold"
    folder.mkdir()
    pair = {"from": 2018, "to": 2019, "links": [{"from": 1, "to": 1}], "new": [2]}
    for name, pairs in (("a.json", [pair]), ("b.json", [pair, {**pair, "from": 2017}])):
        (folder / name).write_text(json.dumps({"source": "s", "pairs": pairs}), "utf-8")
    (folder / "c.json").write_text(json.dumps({"source": "t", "pairs": [pair]}), "utf-8")
    golds = load_golds(folder)
    assert [(g.source, [p.label for p in g.pairs]) for g in golds] == [
        ("s", ["2017→2019", "2018→2019"]),
        ("t", ["2018→2019"]),
    ]
    assert load_golds(folder / "a.json")[0].pairs == [golds[0].pairs[1]]
    (folder / "d.json").write_text(
        json.dumps({"source": "s", "pairs": [{**pair, "links": []}]}), "utf-8"
    )
    with pytest.raises(InputError, match="pair 2018→2019 differs from the one in another file"):
        load_golds(folder)
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no \\*.json gold files"):
        load_golds(tmp_path / "empty")


def test_evaluate_command_reads_a_folder_and_aligns_when_nothing_is_stored(tmp_path):
    data = _data(tmp_path)
    folder = tmp_path / "gold"
    folder.mkdir()
    links = [{"from": k, "to": k} for k in (1, 2, 3, 4)]
    (folder / "g.json").write_text(
        json.dumps({"source": "s", "pairs": [{"from": 2018, "to": 2019, "links": links}]}), "utf-8"
    )
    lines = _evaluate_lines(folder, data)
    assert lines[0].endswith("no stored item links: aligned now with the defaults")
    assert lines[2].split() == [
        "2018→2019", "4", "4", "4", "1.000", "1.000", "1.000", "0", "0", "0", "–",
    ]  # fmt: skip


def test_folds_choose_thresholds_on_the_other_pairs(tmp_path):
    # Four years of the same four priorities: every pair is four unchanged links.
    years = [2016, 2017, 2018, 2019]
    items = items_frame({y: TOPICS for y in years})
    docs = docs_frame(years)
    links = [{"from": k, "to": k} for k in (1, 2, 3, 4)]
    pairs = [{"from": a, "to": b, "links": links} for a, b in zip(years, years[1:], strict=False)]
    gold = load_gold(_gold(tmp_path, pairs))
    prep = tuning.prepare(gold, items, docs, None, AlignConfig(), tune=True)
    result = tuning.cross_validate(prep, AlignConfig(), folds=2)
    assert [labels for labels, _, _ in result.chosen] == [
        ["2016→2017", "2018→2019"],
        ["2017→2018"],
    ]
    # Ties are broken towards the defaults, so the defaults are chosen.
    assert all(c == AlignConfig() for _, c, _ in result.chosen)
    assert result.table["pair"].tolist() == ["2016→2017", "2017→2018", "2018→2019", "overall"]
    assert result.table.iloc[-1]["f1"] == 1.0
    assert set(result.predicted) == {(2016, 2017), (2017, 2018), (2018, 2019)}
    with pytest.raises(InputError, match="3 pair\\(s\\) cannot make 4 folds"):
        tuning.cross_validate(prep, AlignConfig(), folds=4)


def test_gold_relation_classes_follow_the_shape_of_each_group():
    links = {("a1", "b1"), ("a2", "b2"), ("a2", "b3"), ("a3", "b4"), ("a4", "b4")}
    links |= {("a5", "b5"), ("a5", "b6"), ("a6", "b6")}
    assert gold_classes(links) == {
        ("a1", "b1"): "1:1",
        ("a2", "b2"): "split",
        ("a2", "b3"): "split",
        ("a3", "b4"): "merged",
        ("a4", "b4"): "merged",
        ("a5", "b5"): "regrouped",
        ("a5", "b6"): "regrouped",
        ("a6", "b6"): "regrouped",
    }
