"""The corpus-wide lexicon of priority terms: discovery over every source, then counting.

The stage is made of per-source parts (`count_ngrams`, `source_stats`, `count_source`) that
`Discovery` and `lexicon_table` add up in source order; the build runs each part as a task on
its runner (jobs/corpus.py), `lexicon_stage` runs them here, one source after the other.

Stage contract (`lexicon_stage`):
  reads   an iterable of `SourceFrames` (per source: its documents and items tables), iterated
          three times (a list, or anything that loads each source afresh on every iteration);
          memory is bounded by the candidate statistics and one source's tables, never by the
          whole corpus;
  returns a `LexiconResult`: the `lexicon` table (one row per entry, schema `lexicon`) and, per
          source, its `terms` rows (schema `terms`: every entry counted in every document of the
          source, all versions), which replace the per-document terms of the parser.

Discovery (docs/terms.md): quoted coinages, numbered formulas and book titles written in the text
(text.terms.quoted_candidates), the well-known formulas of pipeline/data/formulas.txt, watch
terms, and unquoted phrases found statistically (lexicon_ngrams: recurrence, cohesion, branching
entropy; plus newness, a document-frequency ceiling and the stop list in
pipeline/data/phrase_stoplist.txt). Counting: lexicon_count (one Aho–Corasick automaton).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources

import numpy as np
import pandas as pd

from policytrack.pipeline.analysis.corpus import select_documents
from policytrack.pipeline.analysis.lexicon_count import (
    Matcher,
    count_documents,
    document_units,
    term_evidence,
)
from policytrack.pipeline.analysis.lexicon_ngrams import CandidateStats, NgramCounter, StatsPart
from policytrack.pipeline.core import memory
from policytrack.pipeline.text.normalize import normalize
from policytrack.pipeline.text.terms import builtin_formulas, is_formula, quoted_candidates

KINDS = ("book", "formula", "quote", "phrase", "watch")  # strongest first
KIND_RANK = {k: i for i, k in enumerate(KINDS)}
LEXICON_COLUMNS = ["term", "kind", "first_year", "first_source", "first_series", "documents", "years", "count", "quoted", "score", "flag", "evidence"]  # fmt: skip
_NUMBERED = re.compile(r"^[一二三四五六七八九十两]{1,2}[个项大条点位种不要][\u4e00-\u9fff]{1,6}$")
_CJK2 = re.compile(r"[\u4e00-\u9fff].*[\u4e00-\u9fff]")


@dataclass(frozen=True)
class LexiconConfig:
    """Discovery parameters (docs/terms.md explains each)."""

    min_len: int = 3  # phrase length in characters
    max_len: int = 10
    min_count: int = 5  # recurrence: at least this many mentions in the corpus …
    min_docs: int = 2  # … in at least this many documents, or
    min_one_doc: int = 4  # … this many mentions in one document
    max_candidates: int = 50_000  # per length, the most frequent recurrent n-grams (bounds pass 2)
    min_pmi: float = 3.0  # cohesion: min over split points of log p(w)/(p(a)p(b))
    min_entropy: float = 1.5  # branching entropy (nats) each side, stop-list words as boundaries;
    # a phrase with fewer mentions needs 0.9 × ln(mentions) (every context distinct is the maximum)
    min_before: int = 3  # newness: this many earlier documents of its series lack it
    max_df: float = 0.3  # document-frequency ceiling: share of its series' documents
    max_numeric: float = 0.3  # followed by a number more often than this: a statistic (赤字率)
    emphasis_df: float = 0.5  # a quote said (bare) in more of its series' documents is emphasis
    max_phrases: int = 5000


@dataclass
class SourceFrames:
    """One source's parsed tables: documents (with preamble) and items (with text)."""

    source: str
    documents: pd.DataFrame
    items: pd.DataFrame


@dataclass
class LexiconResult:
    lexicon: pd.DataFrame
    terms: dict[str, pd.DataFrame] = field(default_factory=dict)
    stats: dict[str, float] = field(default_factory=dict)  # sizes and memory of the candidates


@functools.cache
def stoplist() -> dict[str, frozenset[str]]:
    """pipeline/data/phrase_stoplist.txt: sections prefix, suffix, left, right, word, inside."""
    text = resources.files("policytrack.pipeline").joinpath("data/phrase_stoplist.txt")
    out: dict[str, set[str]] = {}
    section = "word"
    for line in text.read_text("utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            continue
        out.setdefault(section, set()).update(line.split())
    return {k: frozenset(v) for k, v in out.items()}


@functools.cache
def _stop_index() -> tuple:
    stop = stoplist()

    def lengths(words):
        return sorted({len(w) for w in words})

    pre, suf = stop.get("prefix", frozenset()), stop.get("suffix", frozenset())
    patterns = [re.compile(p) for p in stop.get("pattern", ())]
    return pre, lengths(pre), suf, lengths(suf), stop.get("word", frozenset()), stop.get("inside", frozenset()), patterns  # fmt: skip


def is_stopped(term: str) -> bool:
    """True for a candidate the stop list rules out (starts or ends with a stop word, contains an
    [inside] word, is a [word], or matches a [pattern])."""
    pre, pre_n, suf, suf_n, words, inside, patterns = _stop_index()
    if term in words or any(w in term for w in inside):
        return True
    if any(n < len(term) and term[:n] in pre for n in pre_n):
        return True
    if any(n < len(term) and term[-n:] in suf for n in suf_n):
        return True
    return any(p.search(term) for p in patterns)


# ---------------------------------------------------------------------------- passes


def _selected(frames: SourceFrames):
    docs = select_documents(frames.documents, quiet=True)
    keep = frames.documents[frames.documents["doc_id"].isin(set(docs["doc_id"]))]
    keep = keep.sort_values(["series", "year", "doc_id"], kind="stable")
    yield from document_units(keep, frames.items)


def _text(units: list[tuple[str, str]]) -> str:
    return "\n".join(t for _, t in units)


@dataclass
class SourceCounts:
    """One source's discovery pass 1: its n-gram counts, the coinages written in quotes, and
    (source, series, year) of each of its documents, in order."""

    counter: NgramCounter
    quoted: dict[str, str]  # term → strongest kind written in the text
    metas: list[tuple[str, str, int]]


def _stronger(quoted: dict[str, str], term: str, kind: str) -> None:
    if term not in quoted or KIND_RANK[kind] < KIND_RANK[quoted[term]]:
        quoted[term] = kind


def join_counts(parts: list[SourceCounts]) -> SourceCounts:
    """Consecutive sources counted in turn into one counter, as one part: what
    `Discovery.add_counts` makes of them one by one (quotes and documents in order)."""
    quoted: dict[str, str] = {}
    metas: list[tuple[str, str, int]] = []
    for part in parts:
        if part.counter is not parts[0].counter:
            raise ValueError("join_counts: the parts were not counted into one counter")
        for term, kind in part.quoted.items():
            _stronger(quoted, term, kind)
        metas += part.metas
    return SourceCounts(parts[0].counter, quoted, metas)


def count_ngrams(
    frames: SourceFrames, config: LexiconConfig | None = None, into: NgramCounter | None = None
) -> SourceCounts:
    """Discovery pass 1 over one source (a task of its own: sources are counted apart and their
    counts added, in any grouping, with the same result). `into`: count into this counter (the
    corpus', when the task runs where it lives) instead of a new one: no second table."""
    cfg = config or LexiconConfig()
    counter = NgramCounter(cfg.max_len) if into is None else into
    quoted: dict[str, str] = {}
    metas: list[tuple[str, str, int]] = []
    for meta, units in _selected(frames):
        counter.add(_text(units))
        metas.append((meta["source"], meta["series"], int(meta["year"])))
        for term, (kind, _) in quoted_candidates(units).items():
            _stronger(quoted, term, kind)
    return SourceCounts(counter, quoted, metas)


def candidate_stats(counter: NgramCounter, candidates: dict[int, np.ndarray]) -> CandidateStats:
    """Empty pass-2 statistics over `candidates` (with the stop list's clean boundaries)."""
    stop = stoplist()
    return CandidateStats(
        counter,
        candidates,
        clean_left=stop.get("left", frozenset()),
        clean_right=stop.get("right", frozenset()),
    )


def source_stats(
    frames: SourceFrames, stats: CandidateStats, here: bool = False
) -> StatsPart | None:
    """Discovery pass 2 over one source: its part of the candidates' statistics (`stats`: the
    corpus' or a copy's, the template of the part). `here`: add the source's documents to
    `stats` itself instead (where the task runs beside the corpus' statistics) and return None."""
    into = stats if here else stats.fresh()
    for meta, units in _selected(frames):
        into.add(_text(units), (meta["source"], meta["series"]))
    if here:
        return None
    into.finish()
    return into.part()


class Discovery:
    """Discovery assembled from per-source parts, in source order: every source's pass-1
    `SourceCounts` (`add_counts`), then the candidates (`candidates`), then every source's
    pass-2 `StatsPart` (`add_stats`), then the entries. The parts can be made anywhere (pool or
    Dask workers); the result is the same as one pass over the sources in order."""

    def __init__(self, config: LexiconConfig | None = None):
        self.cfg = config or LexiconConfig()
        self.counter = NgramCounter(self.cfg.max_len)
        self.quoted: dict[str, str] = {}
        self.metas: list[tuple[str, str, int]] = []
        self.stats: CandidateStats | None = None
        self.cands: dict[int, np.ndarray] = {}

    def add_counts(self, part: SourceCounts) -> None:
        if part.counter is not self.counter:  # (counted `into` it: already there)
            self.counter.absorb(part.counter)
        for term, kind in part.quoted.items():
            _stronger(self.quoted, term, kind)
        self.metas += part.metas

    def candidates(self) -> dict[int, np.ndarray]:
        """After every source's counts: the recurrent n-grams by length (pass 2's candidates)."""
        cfg = self.cfg
        cands = {
            n: self.counter.recurrent(
                n, cfg.min_count, cfg.min_docs, cfg.min_one_doc, cfg.max_candidates
            )
            for n in range(cfg.min_len, cfg.max_len + 1)
        }
        self.counter.compact()
        self.stats = candidate_stats(self.counter, cands)
        self.cands = cands
        return cands

    def add_stats(self, part: StatsPart | None) -> None:
        if part is not None:  # (None: counted `here`, into self.stats)
            self.stats.absorb(part)

    def entries(self, watch: Sequence[str] = ()) -> tuple[pd.DataFrame, dict[str, float]]:
        """Lexicon entries (term, kind, score, evidence) and the sizes of discovery."""
        stats, metas = self.stats, self.metas
        stats.finish()
        phrases = select_phrases(stats, metas, self.cfg)
        info = {
            "documents": len(metas),
            "characters": self.counter.total,
            "ngram_table_mb": self.counter.nbytes / 1e6,
            "candidates": stats.size,
            "phrases": int((phrases["kind"] == "phrase").sum()) if len(phrases) else 0,
        }
        entries: dict[str, dict] = {}

        def add(term: str, kind: str, score: float = 0.0, evidence: str = "") -> None:
            if len(term) < 2:
                return  # no one-character terms
            old = entries.get(term)
            if old is None or KIND_RANK[kind] < KIND_RANK[old["kind"]]:
                entries[term] = {
                    "term": term,
                    "kind": kind,
                    "score": max(score, old["score"]) if old else score,
                    "evidence": evidence or (old["evidence"] if old else ""),
                }
            elif score > old["score"]:
                old["score"], old["evidence"] = score, evidence or old["evidence"]

        for term, kind in self.quoted.items():
            add(term, kind)
        for row in phrases.itertuples(index=False):
            add(row.term, row.kind, float(row.score), row.evidence)
        corpus_has = set(entries)
        for term in builtin_formulas():
            if term not in corpus_has:
                add(term, "formula", evidence="pipeline/data/formulas.txt")
        for term in dict.fromkeys(normalize(w) for w in watch):
            if term:
                add(term, "watch", evidence="watch list")
        lex = pd.DataFrame(list(entries.values()), columns=["term", "kind", "score", "evidence"])
        return lex.sort_values("term", ignore_index=True), info


def discover(
    sources: Iterable[SourceFrames],
    watch: Sequence[str] = (),
    config: LexiconConfig | None = None,
) -> tuple[pd.DataFrame, dict[str, float]]:
    """Lexicon entries (term, kind, score, evidence) from two passes over `sources`, here, one
    source at a time (jobs/corpus.py runs the same parts as tasks)."""
    found = Discovery(config)
    for frames in sources:
        found.add_counts(count_ngrams(frames, found.cfg, into=found.counter))
    found.candidates()
    memory.release()  # pass 1's churn, before pass 2 builds its tables beside the counts
    for frames in sources:
        found.add_stats(source_stats(frames, found.stats, here=True))
    memory.release()
    return found.entries(watch)


def select_phrases(
    stats: CandidateStats, metas: list[tuple[str, str, int]], cfg: LexiconConfig
) -> pd.DataFrame:
    """Unquoted phrases (and unquoted numbered formulas) among the n-gram candidates.

    Kept: cohesive (PMI ≥ min_pmi), free on both sides (branching entropy ≥ min_entropy; a
    numbered formula's left edge is its numeral), new in its home series (the series with most
    mentions: at least `min_before` earlier documents lack it), under the document-frequency
    ceiling there, not mostly followed by a number (the name of a statistic: 赤字率), not ruled out
    by the stop list, and not only ever part of one longer candidate.
    Score = log(1 + mentions) × persistence since first seen × √(min entropy) × (1 − df share).
    """
    cols = ["term", "kind", "score", "evidence"]
    home = stats.home
    c = np.nonzero(home["first_doc"] >= 0)[0]  # candidates seen in pass 2
    if not len(c) or not metas:
        return pd.DataFrame(columns=cols)
    size = home["size"][c]
    df = home["df"][c]
    before = home["before"][c]
    mentions = stats.mentions[c]
    left, right = stats.entropies()
    strings = np.array(stats.strings, dtype=object)[c]
    pmi = stats.cohesion()[c]
    numeric = stats.numeric[c] / np.maximum(mentions, 1)
    numbered = np.array([bool(s and _NUMBERED.match(s)) for s in strings])
    ent = np.where(numbered, right[c], np.minimum(left[c], right[c]))
    share = df / np.maximum(size, 1)
    persistence = df / np.maximum(size - before, 1)
    ok = (
        (pmi >= cfg.min_pmi)
        & (ent >= np.minimum(cfg.min_entropy, 0.9 * np.log(np.maximum(mentions, 1))))
        & (before >= cfg.min_before)
        & (share <= cfg.max_df)
        & (numeric <= cfg.max_numeric)
    )
    ok[ok] = [bool(s) and _plausible(s) for s in strings[ok]]
    score = np.log1p(mentions) * persistence * np.sqrt(np.maximum(ent, 0)) * (1 - share)
    first_year = np.array([metas[d][2] for d in home["first_doc"][c]])
    out = pd.DataFrame(
        {
            "term": strings[ok],
            "kind": np.where(numbered[ok], "formula", "phrase"),
            "score": np.round(score[ok], 4),
            "mentions": mentions[ok],
            "evidence": [
                f"first {fy} · {d}/{n} documents of its series · pmi {p:.1f} · "
                f"entropy {e:.1f} · {b} earlier documents without it"
                for fy, d, n, p, e, b in zip(
                    first_year[ok], df[ok], size[ok], pmi[ok], ent[ok], before[ok], strict=True
                )
            ],
        }
    )
    out = _drop_dependent(out)
    out = out.sort_values(["score", "term"], ascending=[False, True]).head(cfg.max_phrases)
    return out[cols].reset_index(drop=True)


def _plausible(term: str) -> bool:
    """Two or more CJK characters, not starting with a digit or letter, no stop-list edge."""
    return bool(_CJK2.search(term)) and not term[0].isascii() and not is_stopped(term)


def _drop_dependent(phrases: pd.DataFrame) -> pd.DataFrame:
    """Drop a phrase whose mentions nearly all lie inside one longer kept phrase (it is only a
    fragment of that phrase, e.g. 万众创新 inside 大众创业万众创新 when never said alone), and a
    phrase that is a kept phrase plus a boundary word of the stop list (脱贫攻坚|成果: a variant
    of 脱贫攻坚, which counts its mentions anyway)."""
    if phrases.empty:
        return phrases
    mentions = dict(zip(phrases["term"], phrases["mentions"], strict=True))
    covered: dict[str, int] = {}
    for longer, m in mentions.items():
        n = len(longer)
        for a in range(n):
            for b in range(a + 3, n + 1 if a else n):
                sub = longer[a:b]
                if sub in mentions:
                    covered[sub] = max(covered.get(sub, 0), m)
    fragment = {
        t
        for t, k in zip(phrases["term"], phrases["kind"], strict=True)
        if k == "phrase" and t in covered and covered[t] >= 0.9 * mentions[t]
    }
    cores = set(mentions) - fragment
    compound = {t for t in cores if _compound(t, cores)}
    keep = [t not in fragment and t not in compound for t in phrases["term"]]
    return phrases[keep]


def _compound(term: str, cores: set[str]) -> bool:
    """Is `term` a core plus a boundary word of the stop list (a [right] word after it or a
    [left] word before it)? Looked up by the words' lengths, not word by word."""
    (right, right_n), (left, left_n) = _boundary_words()
    for n in right_n:
        if n <= len(term) and term[-n:] in right and term[:-n] in cores:
            return True
    for n in left_n:  # noqa: SIM110 (as the loop above)
        if n <= len(term) and term[:n] in left and term[n:] in cores:
            return True
    return False


@functools.cache
def _boundary_words() -> tuple[tuple[frozenset[str], tuple[int, ...]], ...]:
    """The stop list's [right] and [left] words, each with their lengths."""
    stop = stoplist()
    sides = (stop.get("right", frozenset()), stop.get("left", frozenset()))
    return tuple((words, tuple(sorted({len(w) for w in words}))) for words in sides)


# ---------------------------------------------------------------------------- the stage


def lexicon_stage(
    sources: Iterable[SourceFrames],
    watch: Sequence[str] = (),
    config: LexiconConfig | None = None,
    emit: Callable[[str, pd.DataFrame], None] | None = None,
) -> LexiconResult:
    """Discover the lexicon over every source, then count it in every document of every source.

    `sources` is iterated three times (discovery pass 1 and 2, counting); see the module doc.
    `emit(source, terms)` takes each source's terms table as soon as it is counted (the result's
    `terms` stays empty): memory holds one source's rows and every term's evidence, not the
    corpus' rows.
    """
    cfg = config or LexiconConfig()
    entries, info = discover(sources, watch, cfg)
    matcher = matcher_for(entries, watch)
    terms: dict[str, pd.DataFrame] = {}
    evidence: list[tuple[pd.DataFrame, pd.DataFrame]] = []
    for frames in sources:
        rows, found = count_source(frames, matcher)
        if emit is not None:
            emit(frames.source, rows)
        else:
            terms[frames.source] = rows
        evidence.append(found)
        del rows
    return LexiconResult(lexicon=lexicon_table(entries, evidence, cfg), terms=terms, stats=info)


def matcher_for(entries: pd.DataFrame, watch: Sequence[str] = ()) -> Matcher:
    """The counting automaton of the discovered entries (watch terms count every mention)."""
    watched = [normalize(w) for w in watch if w]
    return Matcher(list(entries["term"]), list(entries["kind"]), watched=watched)


def count_source(
    frames: SourceFrames, matcher: Matcher
) -> tuple[pd.DataFrame, tuple[pd.DataFrame, pd.DataFrame]]:
    """One source's terms rows (every entry in every document, all versions) and its evidence
    for the lexicon table (latest version of each year; `term_evidence`)."""
    rows = count_documents(matcher, document_units(frames.documents, frames.items))
    docs = select_documents(frames.documents, quiet=True)
    series_docs = docs.groupby(["source", "series"]).size().to_dict()
    chosen = rows[rows["doc_id"].isin(set(docs["doc_id"])) & (rows["count"] > 0)]
    return rows, term_evidence(chosen, series_docs)


def lexicon_table(
    entries: pd.DataFrame,
    evidence: list[tuple[pd.DataFrame, pd.DataFrame]],
    cfg: LexiconConfig,
) -> pd.DataFrame:
    """Entries with their corpus evidence from counting (latest version of each year only;
    `evidence`: each source's `term_evidence`)."""
    lex = entries.set_index("term")
    parts = [ev for ev, _ in evidence if len(ev)]
    if not parts:
        out = lex.reset_index().assign(
            first_year=0, first_source="", first_series="", documents=0, years=0, count=0,
            quoted=0, flag="",
        )  # fmt: skip
        return out[LEXICON_COLUMNS]
    ev = pd.concat(parts, ignore_index=True)
    agg = ev.groupby("term").agg(
        documents=("documents", "sum"), count=("count", "sum"), quoted=("quoted", "sum"),
        share=("share", "max"),
    )  # fmt: skip
    pairs = pd.concat([p for _, p in evidence if len(p)], ignore_index=True).drop_duplicates()
    agg["years"] = pairs.groupby("term").size()
    first = ev.sort_values(["first_year", "first_source", "first_series"], kind="stable")
    first = first.drop_duplicates("term").set_index("term")
    out = lex.join(agg, how="left").join(
        first[["first_year", "first_source", "first_series"]], how="left"
    )
    out["share"] = out["share"].fillna(0.0)
    for col in ("documents", "count", "quoted", "years", "first_year"):
        out[col] = out[col].fillna(0).astype("int64")
    for col in ("first_source", "first_series"):
        out[col] = out[col].fillna("")
    out["flag"] = [
        _flag(t, k, d, n, q, s, cfg)
        for t, k, d, n, q, s in zip(
            out.index,
            out["kind"],
            out["documents"],
            out["count"],
            out["quoted"],
            out["share"],
            strict=True,
        )
    ]
    out["score"] = out["score"].fillna(0.0).astype(float)
    # A built-in formula no document says is not in this corpus's lexicon; a watch term stays.
    out = out[(out["documents"] > 0) | (out["kind"] == "watch")].reset_index()
    return out[LEXICON_COLUMNS].sort_values(["first_year", "term"], ignore_index=True)


def _flag(term: str, kind: str, documents: int, count: int, quoted: int, share: float, cfg) -> str:
    """`emphasis`: a quoted ordinary word (two characters and no numeral, or said in more than
    `emphasis_df` of its series' documents and mostly bare); `one_off`: in one document only. Watch terms and
    discovered phrases are never flagged."""
    if kind in ("watch", "phrase"):
        return ""
    # A quote said in most of its series' documents, mostly bare, is an ordinary word that was
    # quoted once (a coinage quoted year after year, 科创中国, is a priority, not emphasis).
    common = share > cfg.emphasis_df and quoted * 2 < count
    if kind == "quote" and (len(term) <= 2 and not is_formula(term) or common):
        return "emphasis"
    if documents <= 1:
        return "one_off"
    return ""


def phrase_ranking(lexicon: pd.DataFrame, n: int = 30) -> list[str]:
    """The top `n` discovered unquoted phrases by score (the precision test's list)."""
    p = lexicon[lexicon["kind"] == "phrase"]
    return list(p.sort_values(["score", "term"], ascending=[False, True])["term"].head(n))


def flags_of(lexicon: pd.DataFrame) -> dict[str, str]:
    """term → noise flag (`emphasis`, `one_off`) of the flagged lexicon entries."""
    if lexicon is None or lexicon.empty:
        return {}
    flagged = lexicon[lexicon["flag"].fillna("") != ""]
    return dict(zip(flagged["term"], flagged["flag"], strict=True))


def source_timeline(
    result: LexiconResult,
    source: str,
    documents: pd.DataFrame,
    watch: Sequence[str] = (),
) -> pd.DataFrame:
    """One source's term_timeline from the stage's output (what the build's per-source analysis
    runs after the stage): its counted terms, its documents, the lexicon's flags."""
    from policytrack.pipeline.analysis.timeline import term_timeline

    terms = result.terms.get(source)
    return term_timeline(
        terms, documents, watch=[normalize(w) for w in watch], flags=flags_of(result.lexicon)
    )
