"""Raw store → processed tables.

Per source, parsed rows are cached in processed/sources/<source>/ with a state file recording which
manifest records (doc_ids), parser version and watch list produced them. A build re-parses only
new documents, re-aligns only sources whose documents changed, and rewrites the combined tables
only when something changed; so a nightly build with nothing new does no parsing or alignment.
Every file is written to a temp name and renamed; a failed build leaves the last good tables.
"""

from __future__ import annotations

import hashlib
import json
import logging
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from policytrack.pipeline.core.errors import InputError
from policytrack.pipeline.core.progress import track
from policytrack.pipeline.store import atomic, schema
from policytrack.pipeline.store.rawstore import RawStore, locked, sources
from policytrack.pipeline.store.schema import ANALYSIS_TABLES, CSV_COPIES, PARSE_TABLES
from policytrack.pipeline.store.tables import write_table
from policytrack.pipeline.store.versions import ALIGN_VERSION, PARSER_VERSION
from policytrack.pipeline.text.model import Document
from policytrack.pipeline.text.parse import parse_bytes, split_sentences
from policytrack.pipeline.text.watch import watch_list

if TYPE_CHECKING:
    import pandas as pd

log = logging.getLogger(__name__)


@dataclass
class BuildResult:
    processed: Path
    failures: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)
    parsed: int = 0  # documents parsed in this run (0 on a warm run)
    reused: int = 0  # documents whose cached rows were reused
    aligned_sources: list[str] = field(default_factory=list)
    tables: dict[str, int] = field(default_factory=dict)  # table → row count
    changed: bool = False
    doc_ids: list[str] = field(default_factory=list)  # every built document, all sources
    _documents: pd.DataFrame | None = None

    @property
    def documents(self) -> pd.DataFrame:
        """documents.parquet, read on first use (a warm build never needs pandas)."""
        if self._documents is None:
            import pandas as pd

            self._documents = pd.read_parquet(self.processed / "documents.parquet")
        return self._documents


# --------------------------------------------------------------------------------------------
# one document


def parse_record(store: RawStore, rec: dict, watch: list[str]) -> tuple[Document, str]:
    """Parse a manifest record; fall back to attachments when the page has no structure.

    Returns the document and which file its structure came from ("page" or an attachment path).
    """
    where = str(store.root / rec["path"])
    data = store.path(rec["path"]).read_bytes()
    title_hint = rec.get("title") or None
    year_hint = rec.get("year")
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
    if rec.get("year_override") and rec.get("year"):
        best.year, best.year_source = int(rec["year"]), "option"  # `ingest --year` beats all
    # Crawl records know the page's meta line even when the parser could not see it.
    best.published_at = best.published_at or rec.get("published_at")
    best.department = best.department or rec.get("department") or ""
    best.issuer = best.issuer or rec.get("issuer") or ""
    return best, text_from


def document_rows(doc: Document, rec: dict, text_from: str) -> dict[str, list[dict]]:
    base = {
        "source": rec["source"],
        # Derived from the parsed document (text/series.py); `ingest --series` overrides it.
        "series": rec["series"] if rec.get("series_override") and rec.get("series") else doc.series,
        "year": int(doc.year),
        "doc_id": rec["doc_id"],
    }
    items, sentences = [], []
    ordinal = 0

    def add(unit, level, parent, section_no, own_text):
        nonlocal ordinal
        items.append(
            {
                **base,
                "level": level,
                "path": unit.path,
                "parent_path": parent,
                "section_no": section_no,
                "item_no": None if level in ("section", "paragraph") else unit.no,
                "marker": unit.marker,
                "ordinal": ordinal,
                "heading": unit.heading if hasattr(unit, "heading") else unit.title,
                "text": unit.text,
                "original": unit.original,
            }
        )
        ordinal += 1
        if level != "section":
            for k, s in enumerate(split_sentences(own_text), 1):
                sentences.append({**base, "path": unit.path, "sent_no": k, "text": s})

    def walk(item, parent, section_no):
        add(item, item.level, parent, section_no, item.own_text)
        for child in item.children:
            walk(child, item.path, section_no)

    for sec in doc.sections:
        add(sec, "section", "", sec.no, "")
        for item in sec.items:
            walk(item, sec.path, sec.no)
    n_chars = sum(len(text) for _, text in doc.own_texts())
    terms = [
        {**base, "term": t.term, "kind": t.kind, "count": t.count, "paths": t.paths}
        for t in doc.terms
    ]
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
    return {"documents": [document], "items": items, "sentences": sentences, "terms": terms}


# --------------------------------------------------------------------------------------------
# one source


def _frame(rows: list[dict], name: str) -> pd.DataFrame:
    import pandas as pd

    return schema.conform(pd.DataFrame(rows, columns=schema.table(name).names), name)


def _fingerprint(*parts) -> str:
    return hashlib.sha256(
        json.dumps(parts, ensure_ascii=False, sort_keys=True).encode()
    ).hexdigest()[:16]


def build_source(
    data_dir: Path, source: str, watch: list[str], level: str = "item", workers: int = -1
) -> dict:
    """Parse (incrementally) and analyse one source; returns a summary dict (picklable)."""
    store = RawStore(data_dir, source)
    out_dir = data_dir / "processed" / "sources" / source
    state_path = out_dir / "state.json"
    state = json.loads(state_path.read_text()) if state_path.exists() else {}
    records = {}
    for rec in store.records():
        if rec.get("doc_id") and rec.get("path"):
            records.setdefault(rec["doc_id"], rec)  # first record wins for identical content
    parse_key = _fingerprint(PARSER_VERSION, watch)
    cached_ok = state.get("parse_key") == parse_key
    cached_ids = set(state.get("doc_ids", [])) if cached_ok else set()
    cached_failures = {k: v for k, v in state.get("failures", {}).items() if cached_ok}
    if (
        cached_ok
        and cached_ids | cached_failures.keys() == records.keys()
        and state.get("analysis_key")
        == _fingerprint(parse_key, sorted(cached_ids), level, ALIGN_VERSION)
        and all((out_dir / f"{t}.parquet").exists() for t in (*PARSE_TABLES, *ANALYSIS_TABLES))
    ):
        # Nothing new, nothing gone, analysis current: no table needs reading.
        return {
            "source": source,
            "parsed": 0,
            "reused": len(cached_ids),
            "failures": list(cached_failures.values()),
            "aligned": False,
            "changed": False,
            "doc_ids": sorted(cached_ids),
        }
    import pandas as pd

    tables: dict[str, pd.DataFrame] = {}
    if cached_ids:
        for name in PARSE_TABLES:
            p = out_dir / f"{name}.parquet"
            df = pd.read_parquet(p) if p.exists() else schema.empty(name)
            # Only rows the state vouches for: a crash after writing some tables but before the
            # state file may have left rows of documents that the state does not list yet.
            tables[name] = df[df["doc_id"].isin(cached_ids & records.keys())]
    else:
        tables = {name: schema.empty(name) for name in PARSE_TABLES}

    todo = [r for d, r in records.items() if d not in cached_ids and d not in cached_failures]
    failures = {k: v for k, v in cached_failures.items() if k in records}
    new_rows: dict[str, list[dict]] = {name: [] for name in PARSE_TABLES}
    for rec in track(todo, f"parsing {source}", total=len(todo)):
        try:
            doc, text_from = parse_record(store, rec, watch)
        except (InputError, OSError) as err:
            failures[rec["doc_id"]] = [
                str(store.root / rec["path"]),
                getattr(err, "reason", str(err)),
            ]
            continue
        except Exception as err:  # a parser bug on one document must not sink the build
            log.exception("%s: unexpected parser error", store.root / rec["path"])
            failures[rec["doc_id"]] = [
                str(store.root / rec["path"]),
                f"parser error ({type(err).__name__}: {err})",
            ]
            continue
        rows = document_rows(doc, {**rec, "source": source}, text_from)
        for name in PARSE_TABLES:
            new_rows[name] += rows[name]
    if todo:
        for name in PARSE_TABLES:
            if new_rows[name]:
                fresh = _frame(new_rows[name], name)
                tables[name] = (
                    fresh
                    if tables[name].empty
                    else pd.concat([tables[name], fresh], ignore_index=True)
                )
            sort = ["year", "doc_id", "ordinal"] if name == "items" else ["year", "doc_id"]
            tables[name] = tables[name].sort_values(sort, kind="stable").reset_index(drop=True)

    parsed_ids = sorted(set(tables["documents"]["doc_id"]))
    analysis_key = _fingerprint(parse_key, parsed_ids, level, ALIGN_VERSION)
    changed_parse = bool(todo) or set(cached_ids) != set(parsed_ids) or not cached_ok
    analysis_fresh = state.get("analysis_key") == analysis_key and all(
        (out_dir / f"{t}.parquet").exists() for t in ANALYSIS_TABLES
    )
    analysis = {}
    if not analysis_fresh:
        analysis = analyse(tables, watch, level, workers)

    # Write: tables first, state last, so a crash in between only costs a re-parse.
    if changed_parse:
        for name in PARSE_TABLES:
            write_table(tables[name], out_dir / f"{name}.parquet", name)
    for name, df in analysis.items():
        write_table(df, out_dir / f"{name}.parquet", name)
    new_state = {
        "parse_key": parse_key,
        "doc_ids": parsed_ids,
        "failures": failures,
        "analysis_key": analysis_key,
    }
    if new_state != state:
        atomic.write_text(state_path, json.dumps(new_state, ensure_ascii=False, indent=1))
    return {
        "source": source,
        "parsed": len(todo),
        "reused": len(parsed_ids) - len(new_rows["documents"]),
        "failures": list(failures.values()),
        "aligned": not analysis_fresh,
        "changed": changed_parse or not analysis_fresh,
        "doc_ids": parsed_ids,
    }


def analyse(
    tables: dict[str, pd.DataFrame], watch: list[str], level: str, workers: int = -1
) -> dict[str, pd.DataFrame]:
    """Alignment, threads and term timelines for one source's parsed tables."""
    from policytrack.pipeline.analysis.align import align_corpus
    from policytrack.pipeline.analysis.timeline import term_timeline

    alignments, threads = align_corpus(
        tables["items"],
        tables["documents"],
        level=level,
        sentences=tables["sentences"],
        workers=workers,
    )
    timeline = term_timeline(tables["terms"], tables["documents"], watch=watch)
    return {"alignments": alignments, "threads": threads, "term_timeline": timeline}


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
) -> BuildResult:
    data_dir = Path(data_dir)
    processed = data_dir / "processed"
    processed.mkdir(parents=True, exist_ok=True)
    # One build at a time per data dir; under the lock, any temp file is a dead writer's.
    with locked(processed / "build"):
        atomic.sweep(processed)
        atomic.sweep(data_dir / "raw", min_age=24 * 3600)  # crawler writers may be live
        return _build(data_dir, strict=strict, watch=watch, jobs=jobs, level=level, only=only)


def _build(data_dir: Path, *, strict, watch, jobs, level, only) -> BuildResult:
    watch_terms = watch_list(watch)
    every = sources(data_dir)
    names = [s for s in every if s in only] if only else every
    summaries = []
    if jobs > 1 and len(names) > 1:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            # One source per process: each aligns on one core.
            futures = [pool.submit(build_source, data_dir, s, watch_terms, level, 1) for s in names]
            for fut in track(futures, "building sources", total=len(futures)):
                summaries.append(fut.result())
    else:
        for s in names:
            summaries.append(build_source(data_dir, s, watch_terms, level))

    processed = data_dir / "processed"
    changed = any(s["changed"] for s in summaries) or not (processed / "documents.parquet").exists()
    all_tables = list(PARSE_TABLES) + list(ANALYSIS_TABLES)
    # build_report.json is written last and removed before the combined tables are rewritten,
    # so its presence vouches that all combined tables come from one build.
    report_path = processed / "build_report.json"
    previous = _read_report(report_path)
    stale = set(previous.get("sources", [])) != set(every)
    documents = None
    if changed or stale:
        import pandas as pd

        report_path.unlink(missing_ok=True)
        tables = {}
        for name in all_tables:
            parts = [
                pd.read_parquet(p)
                for s in every
                if (p := processed / "sources" / s / f"{name}.parquet").exists()
            ]
            parts = [p for p in parts if not p.empty]
            df = pd.concat(parts, ignore_index=True) if parts else schema.empty(name)
            tables[name] = write_table(df, processed / f"{name}.parquet", name)
            if name == "documents":
                documents = df
            if name in CSV_COPIES:
                atomic.write_csv(_flat(df), processed / f"{name}.csv")
    else:
        tables = previous.get("tables", {})

    failures = [tuple(f) for s in summaries for f in s["failures"]]
    doc_ids = [d for s in summaries for d in s["doc_ids"]]
    for s in set(every) - set(names):  # sources not rebuilt this time keep their known state
        state = _source_state(processed, s)
        failures += [tuple(f) for f in state.get("failures", {}).values()]
        doc_ids += state.get("doc_ids", [])
    report = {
        "sources": every,
        "documents": len(doc_ids),
        "failures": [{"file": f, "reason": r} for f, r in failures],
        "parsed": sum(s["parsed"] for s in summaries),
        "aligned_sources": [s["source"] for s in summaries if s["aligned"]],
        "tables": tables,
    }
    atomic.write_text(report_path, json.dumps(report, ensure_ascii=False, indent=1))
    return BuildResult(
        processed=processed,
        failures=failures,
        parsed=report["parsed"],
        reused=sum(s["reused"] for s in summaries),
        aligned_sources=report["aligned_sources"],
        tables=tables,
        changed=changed or stale,
        doc_ids=sorted(doc_ids),
        _documents=documents,
    )


def _flat(df: pd.DataFrame) -> pd.DataFrame:
    """List cells (years, paths) as "a;b;c" so spreadsheets show them as text."""

    def is_list(v) -> bool:
        return hasattr(v, "__len__") and not isinstance(v, str | bytes | dict)

    out = df.copy()
    for col in out.columns:
        if out[col].map(is_list).any():
            out[col] = [";".join(map(str, v)) if is_list(v) else v for v in out[col]]
    return out


def _source_state(processed: Path, source: str) -> dict:
    try:
        return json.loads((processed / "sources" / source / "state.json").read_text())
    except (OSError, ValueError):
        return {}


def _read_report(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
