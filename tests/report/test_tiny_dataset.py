"""The tiny hand-checked dataset of the chart tests is itself consistent."""

from __future__ import annotations

from policytrack.pipeline.store.tables import read_table
from tests.support.tiny import LINKS, SOURCE, THREADS, YEARS, write_tiny_dataset


def test_tiny_dataset_is_consistent(tmp_path):
    """Every aligned path exists as an item, and thread years match documents."""
    write_tiny_dataset(tmp_path)
    items = read_table(tmp_path, "items")
    keys = set(zip(items["year"], items["path"], strict=True))
    for yf, pf, yt, pt, _rel, _score in LINKS:
        assert pf is None or (yf, pf) in keys
        assert pt is None or (yt, pt) in keys
    docs = read_table(tmp_path, "documents")
    assert sorted(docs[docs.source == SOURCE].year) == list(YEARS)
    for _tid, years, _label in THREADS:
        assert set(years) <= set(YEARS)
