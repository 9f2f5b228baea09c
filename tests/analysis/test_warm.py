"""The install-time warm-up (analysis/warm.py) compiles every compiled loop for the types the
lexicon stage passes: after it, neither the stage in one process nor its parts as pool and Dask
workers make them (pickled counters, templates and parts) compile anything more. Otherwise the
first build after an install would still pay for compiling (≈ 4 s)."""

from __future__ import annotations

import gc
import pickle

from policytrack.pipeline.analysis import candidate_scan, ngram_table, term_scan, warm
from policytrack.pipeline.analysis.lexicon import (
    Discovery,
    LexiconConfig,
    candidate_stats,
    count_ngrams,
    count_source,
    lexicon_stage,
    matcher_for,
    source_stats,
)
from tests.analysis.test_lexicon import _frames


def _signatures() -> dict[str, int]:
    return {
        f"{module.__name__}.{name}": len(fn.signatures)
        for module in (ngram_table, candidate_scan, term_scan)
        for name, fn in vars(module).items()
        if hasattr(fn, "signatures")
    }


def _roundtrip(obj):
    return pickle.loads(pickle.dumps(obj))


def test_the_warm_up_compiles_every_type_the_stage_uses():
    warm.ready()
    before = _signatures()
    # Every loop Python calls is loaded (helpers called only from compiled code have none).
    called = ["ngram_table._add_doc", "ngram_table._add_rows", "ngram_table._add_each",
              "ngram_table._add_sums", "ngram_table._lookup", "ngram_table._rehash",
              "candidate_scan._fill", "candidate_scan.scan", "term_scan._fill", "term_scan._walk",
              "term_scan._tally"]  # fmt: skip
    assert [n for n in called if not before[f"policytrack.pipeline.analysis.{n}"]] == []
    frames = [_frames(), _frames(source="t")]
    cfg = LexiconConfig(min_count=3, min_before=3, max_df=0.5)
    lexicon_stage(frames, watch=["财政工作"], config=cfg)
    # The parts, as workers in other processes make and send them.
    found = Discovery(cfg)
    for f in frames:
        found.add_counts(_roundtrip(count_ngrams(f, cfg)))
    found.candidates()
    template = candidate_stats(None, _roundtrip(found.cands))
    for f in frames:
        found.add_stats(_roundtrip(source_stats(f, template)))
    entries, _ = found.entries(["财政工作"])
    count_source(frames[0], _roundtrip(matcher_for(entries, ["财政工作"])))
    assert _signatures() == before


def test_ready_freezes_what_is_alive_once():
    """After `ready`, the collector no longer walks Numba's objects (gc.freeze): a collection
    sees only what was made since."""
    warm.ready()
    assert gc.get_freeze_count() > 50_000  # Numba's typing and code objects, among others
    alive = gc.get_objects()  # what a collection walks: not the frozen
    assert not any(o is term_scan._walk or o is ngram_table.CountTable for o in alive)
    warm.ready()  # once per process: nothing alive now is frozen
    assert any(o is alive for o in gc.get_objects())
