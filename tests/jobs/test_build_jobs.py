"""`build --jobs N` gives exactly the tables of `--jobs 1`."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from policytrack.pipeline.jobs.build import build
from policytrack.pipeline.jobs.ingest import ingest
from policytrack.pipeline.store.tables import read_table
from tests.support.documents import notice_text

pytestmark = pytest.mark.xdist_group("build_jobs")


@pytest.mark.slow
def test_parallel_build_identical(tmp_path):
    one = tmp_path / "one"
    for k, source in enumerate(["alpha", "beta", "gamma", "delta"]):
        for year in (2019, 2020, 2021):
            p = tmp_path / f"{source}-{year}.txt"
            text = notice_text(year).replace("测试协会", f"测试{k}协会")
            if year == 2021:
                text = text.replace("修订章程。", "修订章程，完善“双碳”工作机制。")
            p.write_text(text, encoding="utf-8")
            ingest([p], source, one)
    two = tmp_path / "two"
    shutil.copytree(one / "raw", two / "raw")

    r1 = build(one, jobs=1)
    r2 = build(two, jobs=2)
    assert r1.failures == r2.failures == []
    assert len(r1.documents) == 12
    for name in (
        "documents",
        "items",
        "sentences",
        "terms",
        "alignments",
        "threads",
        "term_timeline",
        "lexicon",  # discovered from parts the workers made (jobs/corpus.py)
    ):
        a = read_table(one, name)
        b = read_table(two, name)
        pd.testing.assert_frame_equal(a, b, check_like=False)
    assert sorted(read_table(two, "documents").source.unique()) == [
        "alpha", "beta", "delta", "gamma",
    ]  # fmt: skip
