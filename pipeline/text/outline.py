"""Paragraphs → nested sections and items.

Families nest in the order they first appear; a marker is accepted only when its number continues
its family's sequence (or restarts at 1 under a new parent), so a sentence that happens to begin
with "2." is not mistaken for an item. A numbered unit ends where the numbered part ends: the
closing of a report (各位代表！ …) is section-level text, not part of the last item.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from policytrack.pipeline.text.markers import SECTION_FAMILIES, Marker, match_marker
from policytrack.pipeline.text.model import Item, Section
from policytrack.pipeline.text.normalize import fold_width

_HEAD_END = re.compile(r"[。！？!?]")
_SENT = re.compile(r"[^。！？!?；;]+(?:[。！？!?；;]+[”’」』）)]*|$)")


def lead_clause(text: str) -> str:
    """The heading of an item: its text up to the first 。 (or ！？)."""
    m = _HEAD_END.search(text)
    return (text[: m.start()] if m else text).strip()


def split_sentences(text: str) -> list[str]:
    """Sentences ending in 。！？； (closing quotes stay with their sentence)."""
    return [s for para in text.split("\n") for s in map(str.strip, _SENT.findall(para)) if s]


@dataclass
class _Unit:
    depth: int
    marker: Marker | None
    path: str
    lead: str = ""  # normalised lead paragraph without its marker
    lead_orig: str = ""
    # Paragraphs (normalised, original) and nested units, in document order: a section's
    # closing text comes after its last item.
    body: list[tuple[str, str] | _Unit] = field(default_factory=list)
    serial: int = 0  # identity of this unit, so counters know when the parent changed

    @property
    def children(self) -> list[_Unit]:
        return [b for b in self.body if isinstance(b, _Unit)]

    @property
    def paras(self) -> list[tuple[str, str]]:
        return [b for b in self.body if not isinstance(b, _Unit)]


# A numbered unit ends where the speaker turns to the audience again (各位代表！, 同志们！) or at a
# 结束语 heading: what follows is the closing of the report, section-level text.
CLOSING = re.compile(r"^(?:各位代表|同志们)(?:[！!]|[:：]$)|^结束语$")
# Closing passages that open before the 各位代表！ (2023, 2025: the government's self-building).
CLOSING_LEAD_IN = re.compile(r"^.{0,20}对政府工作提出(?:了)?新的更高要求|^进一步加强政府自身建设")


class _Builder:
    """Turns a flat paragraph list into nested units, checking each family's numbering."""

    def __init__(self):
        self.root = _Unit(0, None, "")
        self.stack: list[_Unit] = [self.root]
        self.depth_of: dict[str, int] = {}
        self.last_no: dict[str, int] = {}
        self.last_parent: dict[str, int] = {}
        self.serial = 0
        self.implicit_section = False

    def accepts(self, mk: Marker) -> bool:
        fam = mk.family
        if fam not in self.depth_of:
            if mk.no != 1:
                return False
            if not self.depth_of and fam not in SECTION_FAMILIES:
                # Items without 一、 sections: hang them under one implicit section "0".
                self._open_implicit_section()
            return True
        depth = self.depth_of[fam]
        parent = self._parent_for(depth)
        if self.last_parent.get(fam) == parent.serial:
            return mk.no == self.last_no[fam] + 1
        # Under a new parent a list restarts at 1, or continues (工作要点 number items
        # continuously across sections).
        return mk.no == 1 or mk.no == self.last_no[fam] + 1

    def _open_implicit_section(self) -> None:
        self.implicit_section = True
        self.depth_of["_implicit"] = 1
        self._push(_Unit(1, None, "0"))

    def _parent_for(self, depth: int) -> _Unit:
        candidates = [u for u in self.stack if u.depth < depth]
        return candidates[-1]

    def _push(self, unit: _Unit) -> None:
        self.serial += 1
        unit.serial = self.serial
        while self.stack[-1].depth >= unit.depth:
            self.stack.pop()
        self.stack[-1].body.append(unit)
        self.stack.append(unit)

    def add_marker(self, mk: Marker, norm_rest: str, orig: str) -> None:
        fam = mk.family
        if fam not in self.depth_of:
            self.depth_of[fam] = self.stack[-1].depth + 1
        depth = self.depth_of[fam]
        parent = self._parent_for(depth)
        path = f"{parent.path}.{mk.no}" if parent.path else str(mk.no)
        siblings = {c.path for c in parent.children}
        if path in siblings:  # a numbering slip in the source; keep both, distinguishably
            path += "b"
        self._push(_Unit(depth, mk, path, norm_rest, orig))
        self.last_no[fam] = mk.no
        self.last_parent[fam] = parent.serial

    def add_paragraph(self, norm: str, orig: str) -> None:
        if CLOSING.match(norm):  # the closing belongs to the section, not to its last item
            while self.stack[-1].depth > 1:
                self.stack.pop()
        unit = self.stack[-1]
        if unit is not self.root and not unit.lead and not unit.body:
            unit.lead, unit.lead_orig = norm, orig  # a marker alone on its line, text follows
        else:
            unit.body.append((norm, orig))

    def finish(self) -> list[_Unit]:
        """The sections, with closing lead-ins moved out of their last item."""
        for section in self.root.children:
            _move_closing_lead_in(section)
        return self.root.children


def _move_closing_lead_in(section: _Unit) -> None:
    """Paragraphs of the last item that open the closing just before a 各位代表！ go with it."""
    body = section.body
    last = max((i for i, b in enumerate(body) if isinstance(b, _Unit)), default=None)
    if last is None or last + 1 >= len(body) or not CLOSING.match(body[last + 1][0]):
        return
    unit = body[last]
    while unit.body and isinstance(unit.body[-1], _Unit):
        unit = unit.body[-1]
    start = max((i for i, b in enumerate(unit.body) if isinstance(b, _Unit)), default=-1) + 1
    for j in range(start, len(unit.body)):
        if CLOSING_LEAD_IN.match(unit.body[j][0]):
            moved, unit.body[j:] = unit.body[j:], []
            body[last + 1 : last + 1] = moved
            return


def _to_items(unit: _Unit, depth_names: dict[int, str]) -> Item:
    children: list[Item] = []
    k = 0
    for b in unit.body:
        if isinstance(b, _Unit):
            children.append(_to_items(b, depth_names))
            continue
        k += 1
        norm, orig = b
        children.append(
            Item(None, lead_clause(norm), norm, f"{unit.path}.p{k}", "paragraph", "", orig)
        )
    paras = unit.paras
    full = "\n".join([unit.lead] + [n for n, _ in paras])
    full_orig = "\n".join([unit.lead_orig] + [o for _, o in paras])
    return Item(
        no=unit.marker.no if unit.marker else None,
        heading=lead_clause(unit.lead),
        text=full.strip(),
        path=unit.path,
        level=depth_names.get(unit.depth, "subitem"),
        marker=unit.marker.text if unit.marker else "",
        original=full_orig.strip(),
        children=children,
    )


def build_sections(norm: list[str], orig: list[str]) -> list[Section]:
    """Sections of the body paragraphs (normalised and as found, same length)."""
    builder = _Builder()
    for p, o in zip(norm, orig, strict=True):
        mk = match_marker(p)
        if mk and builder.accepts(mk):
            orig_mk = match_marker(fold_width(o))
            builder.add_marker(mk, mk.rest, orig_mk.rest if orig_mk else o)
        else:
            builder.add_paragraph(p, o)
    depth_names = {1: "section", 2: "item"}
    sections = []
    for top in builder.finish():
        item = _to_items(top, depth_names)
        sections.append(
            Section(
                no=item.no if item.no is not None else 0,
                title=item.heading,
                path=item.path,
                marker=item.marker,
                text=item.text,
                original=item.original,
                items=item.children,
            )
        )
    return sections


def prose_section(norm: list[str], orig: list[str]) -> Section:
    """Unnumbered prose (the 1954 and 1975 reports): each paragraph a unit of section "0"."""
    section = Section(0, "", "0")
    section.items = [
        Item(None, lead_clause(p), p, f"0.p{k}", "paragraph", "", o)
        for k, (p, o) in enumerate(zip(norm, orig, strict=True), 1)
    ]
    return section
