"""The build's corpus-wide stage: the lexicon (docs/terms.md), discovered over every source's
parsed documents and counted in each of them.

Its output lives in two places: `processed/corpus/` holds the lexicon (one file named by the
stage's key, plus state.json), and each source's cache gets its `terms` table (the counted
lexicon) under the same key. The key is the parse fingerprints of every source, the watch list
and LEXICON_VERSION: a warm build whose inputs did not change reads nothing here, and a new
document anywhere recounts every source's terms (a new document can add a lexicon entry), but
re-aligns only its own source (the alignment does not depend on the lexicon).
"""

from __future__ import annotations

import contextlib
import json
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


class _ParsedSources:
    """The sources' parsed documents and items, one source in memory at a time; iterable more
    than once (discovery reads the corpus twice, counting once more)."""

    def __init__(self, data_dir: Path, names: list[str]):
        self.data_dir, self.names = data_dir, names

    def __iter__(self) -> Iterator:
        from policytrack.pipeline.analysis.lexicon import SourceFrames

        for source in self.names:
            memory.release()  # what the last source's pass freed, before this one is read
            cache = SourceCache(self.data_dir, source)
            state = cache.load_state([])
            frames = SourceFrames(
                source,
                cache.read(state, "documents", DOCUMENT_COLUMNS),
                cache.read(state, "items", ITEM_COLUMNS),
            )
            memory.release()  # the read's buffers (parquet pages, arrow → pandas copies)
            yield frames
            del frames


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
    data_dir: Path, parse_ids: dict[str, str], watch: list[str], config=None
) -> CorpusContext:
    """Run the lexicon stage over every parsed source unless its output is current."""
    names = sorted(parse_ids)
    key = fingerprint(sorted(parse_ids.items()), list(watch), LEXICON_VERSION)
    folder = _state_path(data_dir).parent
    if _current(data_dir, key, names):
        return CorpusContext(key, str(folder / load_state(data_dir)["file"]))
    from policytrack.pipeline.analysis.lexicon import lexicon_stage

    # Each source's terms go to its cache as soon as they are counted (one source's rows in
    # memory). Files first (new names), states last: a build killed in between redoes the stage.
    def emit(source: str, terms) -> None:
        cache = SourceCache(data_dir, source)
        st = cache.load_state([])
        cache.write(st, "terms", terms, key)
        st["terms_key"] = key
        cache.save_state(st)
        cache.collect(st)

    with progress.task(f"discovering the lexicon ({len(names)} source(s))"):
        result = lexicon_stage(_ParsedSources(data_dir, names), watch, config, emit=emit)
    path = folder / f"lexicon.{key}.parquet"
    rows = write_table(result.lexicon, path, "lexicon")
    state = {"key": key, "file": path.name, "rows": rows, "bytes": path.stat().st_size,
             "stats": {k: float(v) for k, v in result.stats.items()}}  # fmt: skip
    atomic.write_text(_state_path(data_dir), json.dumps(state, indent=1))
    for old in folder.glob("lexicon.*.parquet"):
        if old.name != path.name:
            with contextlib.suppress(OSError):
                old.unlink()
    del result
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
