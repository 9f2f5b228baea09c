"""Typed records for the document model: Document → Section → Item → sentences, and Term.

These dataclasses are the contract between parsing, building and alignment; the parquet
schemas in docs/data.md are flattened views of them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

# Item levels, from the outside in. A Government Work Report nests 一、 → （一） → paragraphs;
# a 工作要点 nests 一、 → 1、. "paragraph" rows are unnumbered paragraphs inside a numbered unit.
LEVELS = ("section", "item", "subitem", "paragraph")


@dataclass
class Item:
    """A numbered unit (or an unnumbered paragraph) inside a section."""

    no: (
        int | None
    )  # ordinal written in its marker (9 for "9、", 1 for "（一）"); None for paragraphs
    heading: str  # lead clause up to the first 。 (normalised)
    text: str  # full normalised text, marker removed
    path: str  # "4.9", "3.1", "3.1.p2"
    level: str = "item"
    marker: str = ""  # the marker as written: "9、", "（一）"
    original: str = ""  # the text as found in the source, before normalisation
    children: list[Item] = field(default_factory=list)

    @property
    def own_text(self) -> str:
        """Its lead paragraph when units are nested in it (they own the rest), else its text."""
        return self.text.split("\n", 1)[0] if self.children else self.text

    def walk(self):
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass
class Section:
    no: int  # 1 for 一、
    title: str
    path: str  # "1"
    marker: str = ""
    text: str = ""  # title line plus any unnumbered intro paragraphs
    original: str = ""
    items: list[Item] = field(default_factory=list)

    def walk_items(self):
        for item in self.items:
            yield from item.walk()


@dataclass
class TermHit:
    """One term in one document: how often, and under which item paths."""

    term: str
    kind: str  # quote | book | formula | watch
    count: int
    paths: list[str]


@dataclass
class Document:
    title: str
    year: int
    issuer: str = ""
    doc_number: str = ""
    issued_on: str | None = None  # YYYY-MM-DD
    published_at: str | None = None  # YYYY-MM-DD HH:MM from the page's meta line
    department: str = ""
    addressees: str = ""
    page_title: str = ""  # e.g. 关于印发《省科协2019年工作要点》的通知
    preamble: str = ""
    genre: str = "notice"  # work_points | report | plan | notice
    sections: list[Section] = field(default_factory=list)
    terms: list[TermHit] = field(default_factory=list)
    # Text cut from the edges of the body and kept out of the outline (page chrome, a licence
    # block, annexes …), and which kinds of it were found.
    trailer: str = ""
    trailer_kinds: list[str] = field(default_factory=list)
    # Speech-type reports: the line under the title (without its ——), the meeting it names,
    # the speaker and the speaker's role (区长).
    subtitle: str = ""
    venue: str = ""
    speaker: str = ""
    speaker_role: str = ""
    # Where each header field came from (docs/data.md, "Header fields"): title | subtitle |
    # date_line | doc_number | signing | red_header | body | speaker | congress | page |
    # file_name | first_heading | option; "" when the field is empty.
    title_source: str = ""
    year_source: str = ""
    issuer_source: str = ""
    issued_on_source: str = ""
    warnings: list[str] = field(default_factory=list)  # e.g. year sources that disagree

    @property
    def series(self) -> str:
        """The default series key (text/series.py); `ingest --series` overrides it."""
        from policytrack.pipeline.text.series import series_key

        return series_key(
            title=self.title, genre=self.genre, issuer=self.issuer, venue=self.venue,
            page_title=self.page_title,
        )  # fmt: skip

    def header_columns(self) -> dict:
        """The documents-table columns added by the header model (issue 13)."""
        names = ("subtitle", "venue", "speaker", "speaker_role", "title_source", "year_source",
                 "issuer_source", "issued_on_source", "trailer", "trailer_kinds", "warnings")  # fmt: skip
        return {n: getattr(self, n) for n in names}

    def iter_items(self):
        """Every item at every level, sections excluded, in document order."""
        for section in self.sections:
            yield from section.walk_items()

    def own_texts(self) -> list[tuple[str, str]]:
        """(path, own text) of every unit in document order, each character exactly once.

        A section owns its title line (its intro paragraphs are its `N.pK` items); an item with
        nested units owns its lead paragraph only. Term counts and `n_chars` use this.
        """
        units = [("preamble", self.preamble)] if self.preamble else []
        for section in self.sections:
            if section.text:
                units.append((section.path, section.text.split("\n", 1)[0]))
            for item in section.walk_items():
                units.append((item.path, item.own_text))
        return units

    @property
    def numbered_items(self) -> list[Item]:
        return [i for i in self.iter_items() if i.level != "paragraph"]

    def to_dict(self) -> dict:
        return asdict(self)
