"""The year of a document, from every honest source, in a documented order of trust.

option > title > subtitle / date_line > doc_number > signing > congress > file_name > page.

`congress`: a Party congress report names its congress ("第十七次全国代表大会", or Wikisource's
"(十七大)", or a corpus row's `congress` field) and the congress met in a known year
(vocab.CONGRESS_YEARS). `page`: metadata outside the text (a corpus row's `year` field, the year a
crawler read on the list page, the year a manifest recorded) — last, since a manifest's year may be
an earlier parse's own result. A year mentioned in the body is never a source: bodies cite past
years and targets. When sources disagree the most trusted wins and a warning records the others;
a dated source one year before the chosen year is not a disagreement (a plan is signed in the
December before its year).
"""

from __future__ import annotations

from policytrack.pipeline.core.errors import InputError
from policytrack.pipeline.text import vocab

TRUST = {"option": 0, "title": 1, "subtitle": 2, "date_line": 2, "doc_number": 3, "signing": 4,
         "congress": 5, "file_name": 6, "page": 7}  # fmt: skip
_DATED = {"subtitle", "date_line", "doc_number", "signing", "page"}


class YearMissing(InputError):
    """No source gave a year (ingest skips such a corpus row as "no year")."""

    def __init__(self, where: str = "", reason: str = "no year"):
        super().__init__(where, reason)


def choose(candidates: list[tuple[str, int | None]]) -> tuple[int, str, list[str]]:
    """(year, source, warnings) from (source, year) candidates; YearMissing when none is valid."""
    warnings: list[str] = []
    valid: list[tuple[str, int]] = []
    for source, year in candidates:
        if year is None:
            continue
        if not vocab.plausible_year(int(year)):
            warnings.append(
                f"year {year} from the {source} ignored: out of range ({vocab.year_range()})"
            )
            continue
        if (source, int(year)) not in valid:
            valid.append((source, int(year)))
    if not valid:
        raise YearMissing
    valid.sort(key=lambda c: TRUST[c[0]])
    source, year = valid[0]
    others = [f"{s} {y}" for s, y in valid[1:] if y != year and not (s in _DATED and y == year - 1)]
    if others:
        warnings.append(
            f"year sources disagree: {source} {year}, "
            + ", ".join(others)
            + f" (took the {source})"
        )
    return year, source, warnings


def congress_year(congress: int | None) -> int | None:
    return vocab.CONGRESS_YEARS.get(congress) if congress else None
