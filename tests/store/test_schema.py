"""Table schemas: docs/data.md matches pipeline/store/schema.py; writers conform to it."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from policytrack.pipeline.store import schema

DOCS = Path(__file__).resolve().parents[2] / "docs" / "data.md"


def documented(name: str) -> str:
    """The heading and column table of `name` in docs/data.md, as written there."""
    text = DOCS.read_text(encoding="utf-8")
    m = re.search(rf"(?m)^### `{name}\.parquet` — .*\n\n(?:\|.*\n)+", text)
    assert m, f"docs/data.md has no section for {name}.parquet"
    return m.group(0).rstrip("\n")


@pytest.mark.parametrize("name", list(schema.TABLES))
def test_docs_match_the_schema(name):
    """Regenerate with `python -m policytrack.pipeline.store.schema` when this fails."""
    assert documented(name) == schema.markdown(name)


def test_conform_orders_and_types_columns():
    df = pd.DataFrame(
        {"count": [2], "term": ["三大攻坚战"], "kind": ["quote"], "paths": [["1.1"]],
         "source": ["s"], "series": ["x"], "year": ["2019"], "doc_id": ["d"]}
    )  # fmt: skip
    out = schema.conform(df, "terms")
    assert list(out.columns) == schema.TERMS.names
    assert out["year"].dtype == "int64" and out.loc[0, "year"] == 2019
    with pytest.raises(ValueError, match="terms: columns not in the schema: extra"):
        schema.conform(df.assign(extra=1), "terms")
    with pytest.raises(ValueError, match=r"terms\.count: missing values in a int64 column"):
        schema.conform(df.assign(count=[None]), "terms")


def test_empty_tables_are_typed():
    empty = schema.empty("alignments")
    assert list(empty.columns) == schema.ALIGNMENTS.names and empty.empty
    assert empty["score"].dtype == "float64" and empty["primary"].dtype == "bool"


@pytest.mark.parametrize("name", ["terms", "items", "term_timeline"])
def test_an_empty_table_with_list_columns_is_written(tmp_path, name):
    """A source whose notices yield no terms has an empty terms table; its list column (paths)
    is float64 in pandas, which arrow refused to convert (the whole build failed)."""
    from policytrack.pipeline.store.tables import read_file, write_table

    path = tmp_path / f"{name}.parquet"
    assert write_table(schema.empty(name), path, name) == 0
    back = read_file(path, name)
    assert list(back.columns) == schema.table(name).names and back.empty


def test_conform_makes_a_missing_list_cell_an_empty_list():
    lists = [["1.1"], None, float("nan"), (), "2.1"]  # a str has a length: kept as it is
    df = pd.DataFrame({"source": "s", "series": "x", "year": 2019, "doc_id": "d", "term": "t",
                       "kind": "quote", "count": 1, "paths": pd.Series(lists, dtype=object)})  # fmt: skip
    assert schema.conform(df, "terms")["paths"].tolist() == [["1.1"], [], [], (), "2.1"]
    every = [["1.1"], ["2.1", "2.2"]]  # no cell to replace: the same objects
    out = schema.conform(df.head(2).assign(paths=pd.Series(every, dtype=object)), "terms")
    assert out["paths"].dtype == object and all(
        a is b for a, b in zip(out["paths"], every, strict=True)
    )
