"""Discovery assembled from per-source parts (what `build --jobs N` and `--dask` workers make)
equals one pass over the sources in order, on real text: the Government Work Reports split
into three sources by period, so candidates recur across sources, and home series, first
sightings and neighbour counts must be added up exactly."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from policytrack.pipeline.analysis.lexicon import (
    Discovery,
    count_ngrams,
    source_stats,
)
from policytrack.pipeline.analysis.lexicon_ngrams import NgramCounter, key_of
from policytrack.pipeline.jobs.build import parse_source
from policytrack.pipeline.jobs.corpus import source_frames
from policytrack.pipeline.jobs.ingest import ingest

PERIODS = {"early": (1954, 1989), "middle": (1990, 2009), "late": (2010, 2025)}


@pytest.fixture(scope="module")
def frames(gwr_path, tmp_path_factory):
    root = tmp_path_factory.mktemp("parts")
    rows = [json.loads(ln) for ln in gwr_path.read_text("utf-8").splitlines() if ln.strip()]
    data = root / "data"
    for source, (a, b) in PERIODS.items():
        part = root / f"{source}.jsonl"
        part.write_text(
            "".join(
                json.dumps(r, ensure_ascii=False) + "\n"
                for r in rows
                if r.get("year") and a <= int(r["year"]) <= b
            ),
            encoding="utf-8",
        )
        ingest([part], source, data)
        parse_source(data, source, [])  # the build's parse task: no alignment needed here
    return [source_frames(data, s) for s in sorted(PERIODS)]


@pytest.mark.slow
def test_parts_add_up_to_one_pass(frames):
    # One pass, as `discover` and `--jobs 1` run it: every source counted into the same tables.
    seq = Discovery()
    for f in frames:
        seq.add_counts(count_ngrams(f, into=seq.counter))
    seq.candidates()
    for f in frames:
        seq.add_stats(source_stats(f, seq.stats, here=True))
    whole, whole_info = seq.entries()
    # Parts, as pool and Dask workers make them, added up in source order.
    found = Discovery()
    for f in frames:
        found.add_counts(count_ngrams(f))  # each source its own counter
    found.candidates()
    for f in frames:
        found.add_stats(source_stats(f, found.stats))  # each a separate part
    parts, parts_info = found.entries()
    pd.testing.assert_frame_equal(whole, parts)
    # (The tables' memory depends on how they grew; everything they count does not.)
    assert parts_info.pop("ngram_table_mb") > 0 and whole_info.pop("ngram_table_mb") > 0
    assert parts_info == whole_info
    assert whole_info["documents"] == 52
    # The split is real: each period's coinage has its home series in that period's source
    # (人民公社: the reports of 1958–1980s; 高质量发展: from 2018).
    strings = found.stats.strings
    first = found.stats.home["first_doc"]
    for term, source in (("人民公社", "early"), ("高质量发展", "late")):
        assert found.metas[first[strings.index(term)]][0] == source, term
    # Pass 2's statistics themselves (not only what survives selection) are equal.
    for name in ("mentions", "numeric"):
        assert (getattr(seq.stats, name) == getattr(found.stats, name)).all(), name
    assert (seq.stats.cohesion() == found.stats.cohesion()).all()
    for key, values in seq.stats.home.items():
        assert (values == found.stats.home[key]).all(), key
    assert seq.stats.strings == found.stats.strings
    assert (seq.stats.entropies()[0] == found.stats.entropies()[0]).all()
    assert (seq.stats.entropies()[1] == found.stats.entropies()[1]).all()


def test_absorbing_parts_leaves_them_as_they_were():
    """The corpus' tables never share arrays with a part: a later part adds into the corpus'
    counts, not into the first part's (a part may be reused: a rerun, a comparison)."""
    a, b = NgramCounter(3), NgramCounter(3)
    a.add("政府工作报告")
    b.add("政府工作")
    kept = [t.entries() for t in a.tables.values()]
    whole = NgramCounter(3)
    whole.absorb(a)
    whole.absorb(b)
    for t, (keys, freq, df) in zip(a.tables.values(), kept, strict=True):
        assert [x.tolist() for x in t.entries()] == [keys.tolist(), freq.tolist(), df.tolist()]
    chars = np.array([key_of(c) for c in "政府报"], dtype=np.uint64)
    assert whole.tables[1].lookup(chars).tolist() == [2, 2, 1]
    assert whole.tables[2].lookup(np.array([key_of("工作")], dtype=np.uint64)).tolist() == [2]
    assert (whole.total, whole.docs) == (10, 2)
