"""Raw store → processed tables, incrementally, in three stages with one commit.

1. **parse** each source (in parallel with `--jobs N` or on a Dask cluster with `--dask`): only
   documents the source's cache does not hold yet are parsed (jobs/sourcecache.py);
2. **corpus**: the lexicon, discovered over every source's parsed tables and counted in each
   (jobs/corpus.py): each source's `terms` table;
3. **analyse** each source: alignment and threads when its documents changed, term timelines
   when its documents or the lexicon changed;
4. **commit**: the sources' cache files become the partitions of a new generation, switched in
   at once (store/layout.py). Nothing new: no generation, no table read.

Memory is bounded by the largest source: no step holds more than one source's tables.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from policytrack.pipeline.core import memory
from policytrack.pipeline.core.errors import InputError
from policytrack.pipeline.core.progress import track
from policytrack.pipeline.jobs.commit import commit_build
from policytrack.pipeline.jobs.corpus import CorpusContext, corpus_stage, lexicon_flags
from policytrack.pipeline.jobs.sourcecache import SourceCache, fingerprint
from policytrack.pipeline.store import atomic, layout, schema
from policytrack.pipeline.store.lock import BuildLock
from policytrack.pipeline.store.rawstore import RawStore, check_data_dir, sources
from policytrack.pipeline.store.schema import ANALYSIS_TABLES, PARSE_TABLES
from policytrack.pipeline.store.versions import ALIGN_VERSION, PARSER_VERSION, TIMELINE_VERSION
from policytrack.pipeline.text.model import Document
from policytrack.pipeline.text.parse import parse_bytes, split_sentences
from policytrack.pipeline.text.vocab import check_year, plausible_year, year_range
from policytrack.pipeline.text.watch import parse_watch

if TYPE_CHECKING:
    import pandas as pd

log = logging.getLogger(__name__)
ALIGN_TABLES = ("alignments", "threads")  # what the alignment writes (terms: jobs/corpus.py)
# What a source's analysis reads (not the documents' headers and texts, nor the items' original
# wording): one source's documents alone were ~80 MB in memory at 10x.
ANALYSE_DOCUMENT_COLUMNS = ["doc_id", "source", "series", "year", "recorded_at", "n_chars"]
ANALYSE_ITEM_COLUMNS = [c for c in schema.ITEMS.names if c != "original"]
TIMELINE_TABLES = ("term_timeline", "term_ranks")


@dataclass
class BuildResult:
    processed: Path
    failures: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)
    parsed: int = 0  # documents parsed in this run (0 on a warm run)
    reused: int = 0  # documents whose cached rows were reused
    aligned_sources: list[str] = field(default_factory=list)
    tables: dict[str, int] = field(default_factory=dict)  # table → row count
    changed: bool = False  # a new generation was committed
    doc_ids: list[str] = field(default_factory=list)  # every built document, all sources
    warnings: list[str] = field(default_factory=list)  # repairs: damaged cache files rebuilt
    generation: str = ""  # the current generation after this build
    _documents: pd.DataFrame | None = None

    @property
    def documents(self) -> pd.DataFrame:
        """The documents table, read on first use (a warm build never needs pandas)."""
        if self._documents is None:
            from policytrack.pipeline.store.tables import read_table

            self._documents = read_table(self.processed.parent, "documents")
        return self._documents


# --------------------------------------------------------------------------------------------
# one document


def record_year(rec: dict, where: str) -> int | None:
    """The manifest's year, checked: a record written before years were checked may hold any
    JSON value; it fails this document only, never the build."""
    try:
        return check_year(rec.get("year"), "manifest year")
    except ValueError as err:
        raise InputError(where, str(err)) from None


def parse_record(store: RawStore, rec: dict, watch: list[str]) -> tuple[Document, str]:
    """Parse a manifest record; fall back to attachments when the page has no structure.

    Returns the document and which file its structure came from ("page" or an attachment path).
    """
    where = str(store.root / rec["path"])
    year_hint = record_year(rec, where)
    data = store.path(rec["path"]).read_bytes()
    title_hint = rec.get("title") or None
    page_doc, page_err = None, None
    try:
        page_doc = parse_bytes(
            data,
            where,
            rec.get("content_type"),
            title_hint=title_hint,
            year_hint=year_hint,
            file_name=rec.get("original_name"),
            watch=watch,
        )
    except InputError as err:
        page_err = err
    best, text_from = page_doc, "page"
    for att in rec.get("attachments") or []:
        if best is not None and best.numbered_items:
            break
        if not att.get("path"):
            continue
        att_where = str(store.root / att["path"])
        try:
            att_doc = parse_bytes(
                store.path(att["path"]).read_bytes(), att_where, att.get("content_type"),
                title_hint=title_hint, year_hint=year_hint, watch=watch,
            )  # fmt: skip
        except (InputError, OSError) as err:
            log.warning("%s", err)
            continue
        if best is None or len(att_doc.numbered_items) > len(best.numbered_items):
            if page_doc is not None:  # the page knows when and by whom it was published
                for f in ("published_at", "department", "page_title", "doc_number", "issuer"):
                    if not getattr(att_doc, f) and getattr(page_doc, f):
                        setattr(att_doc, f, getattr(page_doc, f))
            best, text_from = att_doc, att["path"]
    if best is None:
        raise page_err or InputError(where, "no parsable text")
    if rec.get("year_override") and year_hint:
        best.year, best.year_source = year_hint, "option"  # `ingest --year` beats all
    if not isinstance(best.year, int) or not plausible_year(best.year):
        raise InputError(where, f"year {best.year} is not plausible ({year_range()})")
    # Crawl records know the page's meta line even when the parser could not see it.
    best.published_at = best.published_at or rec.get("published_at")
    best.department = best.department or rec.get("department") or ""
    best.issuer = best.issuer or rec.get("issuer") or ""
    return best, text_from


# What document_rows collects of each unit, in this order (the rest is the document's).
_ITEM_COLUMNS = ("level", "path", "parent_path", "section_no", "item_no", "marker", "heading",
                 "text", "original")  # fmt: skip


def document_rows(doc: Document, rec: dict, text_from: str) -> dict[str, dict[str, list]]:
    """The document's rows in each parse table, column by column (table → column → values):
    a row is a tuple while it is built, not a dict of every column (at 10x: 270k rows)."""
    items: list[tuple] = []  # the columns of _ITEM_COLUMNS
    sentences: dict[str, list] = {"path": [], "sent_no": [], "text": []}

    def add(unit, level, parent, section_no, own_text):
        heading = unit.heading if hasattr(unit, "heading") else unit.title
        item_no = None if level in ("section", "paragraph") else unit.no
        items.append((level, unit.path, parent, section_no, item_no, unit.marker, heading,
                      unit.text, unit.original))  # fmt: skip
        if level != "section":
            said = split_sentences(own_text)
            sentences["path"] += [unit.path] * len(said)
            sentences["sent_no"] += range(1, len(said) + 1)
            sentences["text"] += said

    def walk(item, parent, section_no):
        add(item, item.level, parent, section_no, item.own_text)
        for child in item.children:
            walk(child, item.path, section_no)

    for sec in doc.sections:
        add(sec, "section", "", sec.no, "")
        for item in sec.items:
            walk(item, sec.path, sec.no)
    base = {
        "source": rec["source"],
        # Derived from the parsed document (text/series.py); `ingest --series` overrides it.
        "series": rec["series"] if rec.get("series_override") and rec.get("series") else doc.series,
        "year": int(doc.year),
        "doc_id": rec["doc_id"],
    }
    n_chars = sum(len(text) for _, text in doc.own_texts())
    document = {
        **base,
        "title": doc.title,
        "page_title": doc.page_title,
        "issuer": doc.issuer,
        "doc_number": doc.doc_number,
        "issued_on": doc.issued_on,
        "published_at": doc.published_at,
        "department": doc.department,
        "addressees": doc.addressees,
        "preamble": doc.preamble,
        "genre": doc.genre,
        **doc.header_columns(),
        "n_sections": len(doc.sections),
        "n_items": len(doc.numbered_items),
        "n_chars": n_chars,
        "raw_path": rec["path"],
        "text_from": text_from,
        "url": rec.get("url"),
        "recorded_at": rec.get("fetched_at") or rec.get("ingested_at") or "",
    }
    unit_columns = [list(c) for c in zip(*items, strict=True)] or [[] for _ in _ITEM_COLUMNS]
    return {
        "documents": {c: [v] for c, v in document.items()},
        "items": {
            **{c: [v] * len(items) for c, v in base.items()},
            **dict(zip(_ITEM_COLUMNS, unit_columns, strict=True)),
            "ordinal": list(range(len(items))),
        },
        "sentences": {**{c: [v] * len(sentences["path"]) for c, v in base.items()}, **sentences},
    }


# --------------------------------------------------------------------------------------------
# one source: parse


def _frame(columns: dict[str, list], name: str) -> pd.DataFrame:
    import pandas as pd

    t = schema.table(name)
    data = {c.name: _strings(columns[c.name]) if c.dtype == "str" else columns[c.name]
            for c in t.columns}  # fmt: skip
    return schema.conform(pd.DataFrame(data, columns=t.names), name)


def _strings(values: list):
    """A text column as pandas' "str" array, by way of arrow: pandas' own conversion checks
    each value in Python first (~4x slower). Anything but str and None: pandas' way."""
    import pandas as pd
    import pyarrow as pa

    try:
        return pd.array(pa.array(values, type=pa.large_string()), dtype="str")
    except (TypeError, ValueError):  # ArrowTypeError, ArrowInvalid, UnicodeEncodeError
        return values


def _in_table_order(parsed: list[dict[str, dict[str, list]]]) -> dict[str, dict[str, list]]:
    """The documents' rows joined, documents in the order the tables are sorted in (series,
    year, doc_id), so that the sort finds them in place and copies no column (a cold build).

    Any order of whole documents gives the same sorted tables: rows only tie within one
    document, and its rows keep their own order."""

    def key(rows: dict[str, dict[str, list]]) -> tuple:
        doc = rows["documents"]
        return str(doc["series"][0]), doc["year"][0], str(doc["doc_id"][0])

    joined: dict[str, dict[str, list]] = {name: {} for name in PARSE_TABLES}
    for rows in sorted(parsed, key=key):
        for name in PARSE_TABLES:
            for column, values in rows[name].items():
                joined[name].setdefault(column, []).extend(values)
    return joined


def _records(store: RawStore) -> dict[str, dict]:
    records: dict[str, dict] = {}
    for rec in store.records():
        if rec.get("doc_id") and rec.get("path"):
            records.setdefault(rec["doc_id"], rec)  # first record wins for identical content
    return records


def _summary(store: RawStore, state: dict, notes: list[str], **counts) -> dict:
    lost = f"no longer in {store.manifest} (a deleted line?); left out of the tables until it is ingested again"
    failures = list(state.get("failures", {}).values())
    failures += [[str(store.root / path), lost] for path in state.get("lost", {}).values()]
    return {
        "source": store.source,
        "parsed": 0,
        "reused": len(state.get("doc_ids", [])),
        "changed": False,
        **counts,
        "failures": failures,
        "doc_ids": list(state.get("doc_ids", [])),
        "parse_id": state.get("parse_id"),
        "notes": notes,
    }


def _parse_only(state: dict) -> dict:
    """The state without its parse part (analysis files may still serve)."""
    files = {t: f for t, f in state.get("files", {}).items() if t in ANALYSIS_TABLES}
    return {
        "files": files,
        "analysis_key": state.get("analysis_key"),
        "lost": state.get("lost", {}),
    }


@memory.releasing
def parse_source(
    data_dir: Path, source: str, watch: list[str], workers: int = 1, *, check_only: bool = False
) -> dict | None:
    """Parse one source's new documents into its cache; a summary dict (picklable).

    `check_only`: do no work; return None when something needs parsing. (`workers`: parsing
    uses one core whatever it says; the runners pass it to every task.)
    """
    store = RawStore(data_dir, source)
    cache = SourceCache(data_dir, source)
    notes: list[str] = []
    state = cache.load_state(notes)
    records = _records(store)
    parse_key = fingerprint(PARSER_VERSION, watch)
    if state.get("parse_key") != parse_key:  # new, or another parser version or watch list
        state = {"lost": state.get("lost", {})}
    elif bad := cache.damaged(state, PARSE_TABLES):
        notes.append(f"{bad}; re-parsing {source} from raw")
        state = _parse_only(state)
    cached = set(state.get("doc_ids", []))
    known_failures = state.get("failures", {})
    if (
        state.get("parse_key") == parse_key
        and cached | known_failures.keys() == records.keys()
        and not records.keys() & state.get("lost", {}).keys()
    ):
        return _summary(store, state, notes)  # nothing new, nothing gone: no table read
    if check_only:
        return None
    import pandas as pd

    failures = {k: v for k, v in known_failures.items() if k in records}
    lost = {k: v for k, v in state.get("lost", {}).items() if k not in records}
    keep = cached & records.keys()
    tables: dict[str, pd.DataFrame] = {}
    if cached:
        try:
            for name in PARSE_TABLES:
                df = cache.read(state, name)
                if name == "documents":  # a cached document whose record is gone: say so
                    gone = df[~df["doc_id"].isin(records.keys())]
                    lost |= dict(zip(gone["doc_id"], gone["raw_path"], strict=True))
                tables[name] = df[df["doc_id"].isin(keep)]
        except (InputError, OSError) as err:
            notes.append(f"{err}; re-parsing {source} from raw")
            tables, keep = {}, set()
    if not tables:
        tables = {name: schema.empty(name) for name in PARSE_TABLES}

    todo = [r for d, r in records.items() if d not in keep and d not in failures]
    parsed: list[dict[str, dict[str, list]]] = []  # each document's rows (document_rows)
    for rec in track(todo, f"parsing {source}", total=len(todo)):
        where = str(store.root / rec["path"])
        try:
            doc, text_from = parse_record(store, rec, watch)
        except (InputError, OSError) as err:
            failures[rec["doc_id"]] = [where, getattr(err, "reason", None) or str(err)]
            continue
        except Exception as err:  # a parser bug on one document must not sink the build
            log.exception("%s: unexpected parser error", where)
            failures[rec["doc_id"]] = [where, f"parser error ({type(err).__name__}: {err})"]
            continue
        parsed.append(document_rows(doc, {**rec, "source": source}, text_from))
    new_rows = _in_table_order(parsed)
    for name in PARSE_TABLES:
        if new_rows[name].get("doc_id"):
            fresh = _frame(new_rows[name], name)
            old = tables[name]
            tables[name] = fresh if old.empty else pd.concat([old, fresh], ignore_index=True)
        # Series first: each series is one run of rows, so one row group (store/tables.py).
        sort = ["series", "year", "doc_id"] + (["ordinal"] if name == "items" else [])
        tables[name] = tables[name].sort_values(sort, kind="stable").reset_index(drop=True)

    doc_ids = sorted(set(tables["documents"]["doc_id"]))
    parse_id = fingerprint(parse_key, doc_ids)
    # Files first (new names), state last: a build killed in between leaves the old state.
    for name in PARSE_TABLES:
        entry = state.get("files", {}).get(name)
        if not entry or entry.get("key") != parse_id:
            cache.write(state, name, tables[name], parse_id)
    state.update(
        layout=2, parse_key=parse_key, parse_id=parse_id, doc_ids=doc_ids,
        failures=failures, lost=lost,
    )  # fmt: skip
    cache.save_state(state)
    cache.collect(state)  # the files the state no longer names
    reused = len(doc_ids) - len(new_rows["documents"].get("doc_id", []))
    return _summary(store, state, notes, parsed=len(todo), reused=reused, changed=True)


# --------------------------------------------------------------------------------------------
# one source: analyse


@memory.releasing
def analyse_source(
    data_dir: Path,
    source: str,
    watch: list[str],
    level: str,
    context: CorpusContext,
    workers: int = -1,
    *,
    check_only: bool = False,
) -> dict | None:
    """Align one source and time its terms, each part unless it is current: the alignment
    depends on the source's parse only, the term timeline also on the corpus stage."""
    cache = SourceCache(data_dir, source)
    notes: list[str] = []
    state = cache.load_state(notes)
    if not state.get("parse_id"):
        raise InputError(cache.dir, "not parsed (state.json has no parse)")
    align_key = fingerprint(state["parse_id"], level, ALIGN_VERSION)
    # The corpus key holds the watch list too.
    timeline_key = fingerprint(state["parse_id"], context.key, TIMELINE_VERSION)
    align = state.get("analysis_key") != align_key
    if not align and (bad := cache.damaged(state, ALIGN_TABLES)):
        notes.append(f"{bad}; re-aligning {source}")
        align = True
    timeline = state.get("timeline_key") != timeline_key
    if not timeline and (bad := cache.damaged(state, TIMELINE_TABLES)):
        notes.append(f"{bad}; recomputing the term timeline of {source}")
        timeline = True
    if not (align or timeline):
        return {"source": source, "aligned": False, "notes": notes}
    if check_only:
        return None
    documents = cache.read(state, "documents", ANALYSE_DOCUMENT_COLUMNS)
    if align:
        from policytrack.pipeline.analysis.align import align_corpus

        alignments, threads = align_corpus(
            cache.read(state, "items", ANALYSE_ITEM_COLUMNS),
            documents,
            level=level,
            sentences=cache.read(state, "sentences"),
            workers=workers,
        )
        cache.write(state, "alignments", alignments, align_key)
        cache.write(state, "threads", threads, align_key)
        state["analysis_key"] = align_key
        del alignments, threads
        memory.release()  # the alignment's heap, before the term timeline grows its own
    if timeline:
        import pandas as pd

        from policytrack.pipeline.analysis.lexicon_rank import series_ranks
        from policytrack.pipeline.analysis.timeline import TERMS_READ, series_grids

        # What the timeline reads of the terms, their paths kept arrow (written back as arrow).
        terms = cache.read(state, "terms", TERMS_READ, arrow_lists=True)
        flags = lexicon_flags(context)
        ranks: list[pd.DataFrame] = []

        # One series' timeline in memory at a time, written as arrow (no frame of its rows);
        # its ranks kept (small).
        def parts():
            for grid in series_grids(terms, documents, watch=watch, flags=flags):
                ranks.append(series_ranks(grid))
                yield grid.table()

        cache.write_parts(state, "term_timeline", parts(), timeline_key)
        ranked = pd.concat(ranks, ignore_index=True) if ranks else schema.empty("term_ranks")
        cache.write(state, "term_ranks", ranked, timeline_key)
        state["timeline_key"] = timeline_key
    cache.save_state(state)
    cache.collect(state)
    return {"source": source, "aligned": align, "notes": notes}


# --------------------------------------------------------------------------------------------
# all sources


def build(
    data_dir: str | Path,
    *,
    strict: bool = False,
    watch: list[str] | str | None = None,
    jobs: int = 1,
    level: str = "item",
    only: list[str] | None = None,
    dask: str | None = None,
) -> BuildResult:
    """Build every source on disk (or `only` these) and commit the tables. `jobs` > 1: that
    many local worker processes; `dask`: a Dask scheduler address (docs/distributed.md)."""
    data_dir = check_data_dir(Path(data_dir).absolute())
    processed = data_dir / "processed"
    processed.mkdir(parents=True, exist_ok=True)
    # One build at a time per data dir; under the lock, any temp file is a dead writer's.
    with BuildLock(processed, "build") as lock:
        atomic.sweep(processed)
        atomic.sweep(data_dir / "raw", min_age=24 * 3600)  # crawler writers may be live
        layout.collect(processed)
        result = _build(data_dir, lock, watch=watch, jobs=jobs, level=level, only=only, dask=dask)
        atomic.sweep(processed)  # what a task killed during this build left
        return result


def _runner(jobs: int, dask: str | None, data_dir: Path):
    if dask:
        from policytrack.pipeline.jobs.daskbuild import DaskRunner

        return DaskRunner(dask, data_dir)
    from policytrack.pipeline.jobs.pool import LocalRunner, PoolRunner

    return PoolRunner(jobs) if jobs > 1 else LocalRunner()


def _stage(runner, fn, arglists: list[tuple], what: str) -> list[dict]:
    """fn(*args) for each; sources whose cache is current are answered here, in-process."""
    out = [fn(*args, 1, check_only=True) for args in arglists]
    todo = [k for k, summary in enumerate(out) if summary is None]
    if todo:
        for k, summary in zip(todo, runner.map(fn, [arglists[k] for k in todo], what), strict=True):
            out[k] = summary
    return out


def _build(data_dir: Path, lock, *, watch, jobs, level, only, dask) -> BuildResult:
    # Only the user's --watch: the lexicon finds the rest (the default list is the report's lanes).
    watch_terms = parse_watch(watch)
    every = sources(data_dir)
    names = [s for s in every if s in only] if only else every
    runner = _runner(jobs, dask, data_dir)
    # Wall seconds per stage, in the build report: where a nightly build spends its time.
    seconds: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        seconds[stage] = round(now - clock, 2)
        clock = now

    try:
        lock.phase("parse")
        parsed = _stage(
            runner, parse_source, [(data_dir, s, watch_terms) for s in names], "parsing"
        )
        lap("parse")
        lock.phase("corpus")
        states = {s: SourceCache(data_dir, s).load_state([]) for s in every}
        context = corpus_stage(
            data_dir,
            {s: st["parse_id"] for s, st in states.items() if st.get("parse_id")},
            watch_terms,
            runner=runner,
        )
        lap("lexicon")
        lock.phase("analyse")
        args = [(data_dir, s, watch_terms, level, context) for s in names]
        analysed = _stage(runner, analyse_source, args, "aligning")
        lap("analyse")
    finally:
        runner.close()
    notes = [n for s in (*parsed, *analysed) for n in s["notes"]]
    for note in notes:
        log.warning("%s", note)

    lock.phase("commit")
    summaries = {s["source"]: s for s in parsed}
    failures, doc_ids = [], []
    for s in every:  # sources not built this time keep their known state
        summary = summaries.get(s) or _summary(RawStore(data_dir, s), states[s], [])
        failures += [tuple(f) for f in summary["failures"]]
        doc_ids += summary["doc_ids"]
    report = {
        "sources": every,
        "documents": len(doc_ids),
        "failures": [{"file": f, "reason": r} for f, r in failures],
        "parsed": sum(s["parsed"] for s in parsed),
        "aligned_sources": [s["source"] for s in analysed if s["aligned"]],
        "seconds": seconds,
    }
    gen, committed = commit_build(data_dir, every, report, notes)
    return BuildResult(
        processed=data_dir / "processed",
        failures=failures,
        parsed=report["parsed"],
        reused=sum(s["reused"] for s in parsed),
        aligned_sources=report["aligned_sources"],
        tables=dict(gen.report.get("tables", {})),
        changed=committed,
        doc_ids=sorted(doc_ids),
        warnings=notes,
        generation=gen.name,
    )
