"""evaluate: P/R/F1 against a tiny gold file with known answers; bad gold files."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from policytrack.pipeline.analysis.evaluate import evaluate, load_gold  # noqa: E402
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


def test_evaluate_command(tmp_path):
    data = tmp_path / "data"
    links = [(2018, "1.1", 2019, "1.1", "unchanged"), (2018, "1.2", 2019, "1.3", "revised")]
    tables = {
        "items": items_frame({2018: TOPICS, 2019: TOPICS}),
        "documents": docs_frame([2018, 2019]),
        "alignments": _alignments(links),
    }
    write_tables(data, tables, strict=False)
    gold = _gold(
        tmp_path,
        [{"from": "2018", "to": "2019", "links": [{"from": 1, "to": 1}, {"from": 2, "to": 2}]}],
    )
    result = CliRunner().invoke(app, ["evaluate", "--gold", str(gold), "--data", str(data)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[2].split() == ["2018→2019", "2", "2", "1", "0.500", "0.500", "0.500", "0.000"]
    assert lines[3].split()[:7] == ["overall", "2", "2", "1", "0.500", "0.500", "0.500"]
    missing = CliRunner().invoke(
        app, ["evaluate", "--gold", str(tmp_path / "nope.json"), "--data", str(data)]
    )
    assert missing.exit_code != 0
