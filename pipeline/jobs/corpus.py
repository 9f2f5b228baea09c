"""The build's corpus-wide stage: the lexicon (docs/terms.md), discovered over every source's
parsed documents and counted in each of them.

Its output lives in two places: `processed/corpus/` holds the lexicon (one file named by the
stage's key, plus state.json), and each source's cache gets its `terms` table (the counted
lexicon) under the same key. The key is the parse fingerprints of every source, the watch list
and LEXICON_VERSION: a warm build whose inputs did not change reads nothing here, and a new
document anywhere recounts every source's terms (a new document can add a lexicon entry), but
re-aligns only its own source (the alignment does not depend on the lexicon).

Each of the stage's three passes is a set of tasks on the build's runner, so `--jobs N` and
`--dask` spread the stage as they spread parsing and alignment: counting is a task per source,
the two discovery passes a task per run of consecutive sources (two runs per worker, balanced
by size: `_runs`). The stage's own process adds the parts up and picks the phrases (serial, a
few seconds).
"""

from __future__ import annotations

import contextlib
import json
import pickle
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from policytrack.pipeline.core import memory, progress
from policytrack.pipeline.jobs.sourcecache import SourceCache, fingerprint
from policytrack.pipeline.store import atomic, layout
from policytrack.pipeline.store.tables import read_file, write_table
from policytrack.pipeline.store.versions import LEXICON_VERSION


@dataclass(frozen=True)
class CorpusContext:
    """What the corpus-wide stage hands every source's analysis (picklable: it travels to pool
    and Dask workers). `key` names its content; `lexicon` is the lexicon file's path."""

    key: str = ""
    lexicon: str = ""


# What discovery and counting read of a source (not the original text, headers, trailers):
# the latest version of each year, its preamble and its units' normalised text.
DOCUMENT_COLUMNS = ["doc_id", "source", "series", "year", "recorded_at", "preamble"]
ITEM_COLUMNS = ["doc_id", "ordinal", "path", "parent_path", "level", "text"]


def source_frames(data_dir: Path, source: str):
    """One source's parsed documents and items, as the lexicon's passes read them."""
    from policytrack.pipeline.analysis.lexicon import SourceFrames

    cache = SourceCache(data_dir, source)
    state = cache.load_state([])
    frames = SourceFrames(
        source,
        cache.read(state, "documents", DOCUMENT_COLUMNS),
        cache.read(state, "items", ITEM_COLUMNS),
    )
    memory.release()  # the read's buffers (parquet pages, arrow → pandas copies)
    return frames


# -- the stage's tasks ------------------------------------------------------------------------
# Each pass runs its tasks on the build's runner (this process, `--jobs` workers or a Dask
# cluster) and the stage adds the results up in source order (analysis/lexicon.Discovery).
# A task that runs in the stage's own thread (the local runner) counts straight into the
# stage's Discovery, which `_here` names; a worker elsewhere returns its part (of a source or a
# run), reading pass 2's candidates from a file the stage shares on the data directory. Workers
# keep nothing between tasks (loading the candidates costs ≈ 0.1 s a task at 100×; a cache would
# outlive the stage in pool and Dask workers).
_here: dict[tuple[str, int], object] = {}  # (stage key, thread) → Discovery


def _discovery(key: str):
    return _here.get((key, threading.get_ident()))


@memory.releasing
def ngram_task(data_dir: Path, sources: tuple[str, ...], key: str, config, workers: int = 1):
    """Discovery pass 1 over a run of consecutive sources, counted in turn into one counter
    (SourceCounts)."""
    from policytrack.pipeline.analysis.lexicon import count_ngrams, join_counts

    found = _discovery(key)
    into = found.counter if found is not None else None
    parts = []
    for source in sources:
        parts.append(count_ngrams(source_frames(data_dir, source), config, into=into))
        into = parts[-1].counter
    if found is None:
        into.compact()  # what travels and what the stage holds: no room kept for more keys
    return join_counts(parts)


def _runs(names: list[str], runner, weights: list[float] | None = None) -> list[tuple[str, ...]]:
    """The discovery passes' tasks. Where they run here, a source each (all count into the
    stage's tables); elsewhere about two runs of consecutive sources per worker, so the stage
    receives and adds up a part per run, not per source: at 100× (20 sources, --jobs 2),
    adding pass 1's 20 parts took the stage's process 3.7 s and the pass 24 s; 4 runs, 0.6 s
    and 16 s. (A part of pass 2 names every candidate it sees: each run names them once.)
    `weights` (the sources' text sizes; equal if not given): a run ends once it holds its share
    of what is left, so a large source runs alone and small ones together."""
    if not names or runner.runs_here(len(names)):
        return [(s,) for s in names]
    k = max(1, min(len(names), 2 * runner.width()))
    weights = [max(float(w), 0.0) for w in weights] if weights else [1.0] * len(names)
    left = sum(weights)
    runs: list[tuple[str, ...]] = []
    run: list[str] = []
    held = 0.0
    for i, (name, weight) in enumerate(zip(names, weights, strict=True)):
        run.append(name)
        held += weight
        to_come = k - 1 - len(runs)  # runs after this one
        if to_come and (held >= left / (to_come + 1) or len(names) - i - 1 == to_come):
            runs.append(tuple(run))
            left -= held
            run, held = [], 0.0
    if run:
        runs.append(tuple(run))
    return runs


def _text_sizes(data_dir: Path, names: list[str]) -> list[float]:
    """The size of each source's parsed units (its cache's items file, compressed): about what
    the passes read of it."""
    sizes = []
    for s in names:
        files = SourceCache(data_dir, s).load_state([]).get("files") or {}
        sizes.append(float((files.get("items") or {}).get("bytes") or 1))
    return sizes


@memory.releasing
def stats_task(data_dir: Path, sources: tuple[str, ...], key: str, shared: str, workers: int = 1):
    """Discovery pass 2 over a run of consecutive sources, added in turn to one part
    (StatsPart, or None when added to the stage's own statistics)."""
    from policytrack.pipeline.analysis.lexicon import candidate_stats, source_stats

    found = _discovery(key)
    if found is not None:
        into = found.stats
    else:
        with open(shared, "rb") as fh:
            into = candidate_stats(None, pickle.load(fh))  # (cohesion: the stage's, after)
    for source in sources:
        source_stats(source_frames(data_dir, source), into, here=True)
    if found is not None:
        return None
    into.finish()
    return into.part()


@memory.releasing
def count_task(data_dir: Path, source: str, key: str, entries, watch, workers: int = 1):
    """Count the lexicon in every document of one source, write the source's `terms` table to
    its cache (files first, state last) and return its evidence for the lexicon table."""
    from policytrack.pipeline.analysis.lexicon import count_source, matcher_for

    terms, evidence = count_source(source_frames(data_dir, source), matcher_for(entries, watch))
    cache = SourceCache(data_dir, source)
    st = cache.load_state([])
    cache.write(st, "terms", terms, key)
    st["terms_key"] = key
    cache.save_state(st)
    cache.collect(st)
    return evidence


@contextlib.contextmanager
def _shared_candidates(folder: Path, key: str, found, here: bool) -> Iterator[str]:
    """A file with the candidates, for workers in other processes (on the
    shared data directory, readable as the build's outputs are; a temp name the next build's
    sweep removes if this one is killed); "" when every task runs `here`."""
    if here:
        yield ""
        return
    # Written like every output (atomic_path: readable by workers running as another user) under
    # a temp-marked name, so a sweep finds it.
    path = folder / f".ngrams.{key}{atomic.TMP_MARK}shared"
    try:
        with atomic.atomic_path(path) as tmp, open(tmp, "wb") as fh:
            pickle.dump(found.cands, fh, protocol=5)
        yield str(path)
    finally:
        with contextlib.suppress(OSError):
            path.unlink()


def _state_path(data_dir: Path) -> Path:
    return data_dir / "processed" / "corpus" / "state.json"


def load_state(data_dir: Path) -> dict:
    try:
        state = json.loads(_state_path(data_dir).read_text(encoding="utf-8"))
        return state if isinstance(state, dict) else {}
    except (OSError, ValueError):
        return {}  # missing or damaged: the stage runs again


def _current(data_dir: Path, key: str, sources: list[str]) -> bool:
    state = load_state(data_dir)
    if state.get("key") != key or layout.damaged(
        _state_path(data_dir).parent / state["file"], state.get("bytes")
    ):
        return False
    for s in sources:
        cache = SourceCache(data_dir, s)
        st = cache.load_state([])
        if st.get("terms_key") != key or cache.damaged(st, ["terms"]):
            return False
    return True


def corpus_stage(
    data_dir: Path, parse_ids: dict[str, str], watch: list[str], config=None, runner=None
) -> CorpusContext:
    """Run the lexicon stage over every parsed source unless its output is current: each pass a
    task per source on `runner` (the build's: this process, `--jobs` workers or `--dask`)."""
    names = sorted(parse_ids)
    key = fingerprint(sorted(parse_ids.items()), list(watch), LEXICON_VERSION)
    folder = _state_path(data_dir).parent
    if _current(data_dir, key, names):
        return CorpusContext(key, str(folder / load_state(data_dir)["file"]))
    from policytrack.pipeline.analysis.lexicon import Discovery, lexicon_table
    from policytrack.pipeline.jobs.pool import LocalRunner

    runner = runner or LocalRunner()
    found = Discovery(config)
    folder.mkdir(parents=True, exist_ok=True)
    here = (key, threading.get_ident())
    _here[here] = found
    try:
        with progress.task(f"discovering the lexicon ({len(names)} source(s))"):
            runs = _runs(names, runner, _text_sizes(data_dir, names))
            args = [(data_dir, run, key, found.cfg) for run in runs]
            for part in runner.imap(ngram_task, args, "counting n-grams in runs of"):
                found.add_counts(part)
            part = None  # a worker's tables: added, not kept
            found.candidates()
            memory.release()  # pass 1's churn, before pass 2 builds its tables
            with _shared_candidates(folder, key, found, runner.runs_here(len(names))) as shared:
                args = [(data_dir, run, key, shared) for run in runs]
                for part in runner.imap(stats_task, args, "scoring phrases in runs of"):
                    found.add_stats(part)
                part = None
            entries, info = found.entries(watch)
    finally:
        _here.pop(here, None)
    cfg, found = found.cfg, None
    memory.release()
    with progress.task(f"counting the lexicon ({len(entries)} entries)"):
        args = [(data_dir, s, key, entries[["term", "kind"]], list(watch)) for s in names]
        evidence = list(runner.imap(count_task, args, "counting terms in"))
    lexicon = lexicon_table(entries, evidence, cfg)
    path = folder / f"lexicon.{key}.parquet"
    rows = write_table(lexicon, path, "lexicon")
    state = {"key": key, "file": path.name, "rows": rows, "bytes": path.stat().st_size,
             "stats": {k: float(v) for k, v in info.items()}}  # fmt: skip
    atomic.write_text(_state_path(data_dir), json.dumps(state, indent=1))
    for old in folder.glob("lexicon.*.parquet"):
        if old.name != path.name:
            with contextlib.suppress(OSError):
                old.unlink()
    del lexicon, evidence, entries
    memory.release()  # the stage's heap, before the sources' analyses grow theirs
    return CorpusContext(key, str(path))


def lexicon_partition(data_dir: Path) -> tuple[Path, str, int] | None:
    """(file, key, rows) of the current lexicon for a commit, None before the first stage."""
    state = load_state(data_dir)
    if not state.get("file"):
        return None
    return _state_path(data_dir).parent / state["file"], state["key"], int(state["rows"])


def lexicon_flags(context: CorpusContext) -> dict[str, str]:
    """term → noise flag of the context's lexicon (what the term timelines mark)."""
    from policytrack.pipeline.analysis.lexicon import flags_of

    if not context.lexicon:
        return {}
    return flags_of(read_file(Path(context.lexicon), "lexicon", ["term", "flag"]))
