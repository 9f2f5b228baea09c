"""The compiled counting automaton (term_scan, behind lexicon_count.Matcher) against a plain
reading of the counting rules (docs/terms.md, "Counting") on random texts: entries that contain
one another, share prefixes and suffixes, overlap themselves (啊啊), two-character entries that
count only when quoted, quotes and book titles (nested too), several units per document."""

from __future__ import annotations

import random

from policytrack.pipeline.analysis.lexicon_count import MIN_BARE, Matcher
from policytrack.pipeline.text.terms import marked_spans

ALPHABET = "改革发展创新啊国家"


def reference(terms: list[str], watched: set[str], units: list[tuple[str, str]]) -> dict:
    """entry index → (count, own, quoted, paths), each rule read straight from the docs."""
    out: dict[int, list] = {}
    for path, text in units:
        quoted, titled = marked_spans(text)

        def within(start, end, spans):
            return any(s <= start and end <= e for s, e in spans)

        accepted = []
        for i, term in enumerate(terms):
            quoted_only = len(term) < MIN_BARE and term not in watched
            last_end = -1
            at = text.find(term)
            while at >= 0:
                end = at + len(term)
                inside = within(at, end, quoted + titled)
                if at >= last_end and (not quoted_only or within(at, end, quoted)):
                    accepted.append((at, -len(term), end, i, inside))
                    last_end = end
                at = text.find(term, at + 1)
        reach = -1
        for _start, _, end, i, inside in sorted(accepted):
            t = out.setdefault(i, [0, 0, 0, []])
            t[0] += 1
            t[1] += end > reach
            t[2] += inside
            if path not in t[3]:
                t[3].append(path)
            reach = max(reach, end)
    return {i: tuple(v) for i, v in out.items()}


def random_text(rng: random.Random, terms: list[str]) -> str:
    parts = []
    for _ in range(rng.randint(0, 12)):
        r = rng.random()
        word = rng.choice(terms) if r < 0.6 else "".join(rng.choices(ALPHABET, k=rng.randint(1, 4)))
        if rng.random() < 0.2:
            word = f"“{word}”"
        elif rng.random() < 0.1:
            word = f"《{word}》"
        elif rng.random() < 0.1:  # a title inside a quote: spans nest
            word = f"“{rng.choice(terms)}《{word}》{rng.choice(terms)}”"
        parts.append(word)
        if rng.random() < 0.2:
            parts.append("，")
    return "".join(parts)


def test_compiled_counts_equal_the_rules_on_random_texts():
    rng = random.Random(17)
    checked = 0
    for _ in range(300):
        terms = list(
            dict.fromkeys(
                "".join(rng.choices(ALPHABET, k=rng.choice([2, 2, 3, 4, 5])))
                for _ in range(rng.randint(1, 12))
            )
        )
        watched = {t for t in terms if rng.random() < 0.2}
        m = Matcher(terms, ["phrase"] * len(terms), watched=watched)
        for _ in range(5):
            units = [(f"{k}", random_text(rng, terms)) for k in range(rng.randint(1, 4))]
            got = {i: (t.count, t.own, t.quoted, t.paths) for i, t in m.count(units).items()}
            want = reference(terms, watched, units)
            assert got == want, (terms, watched, units)
            checked += sum(v[0] for v in want.values())
    assert checked > 3000  # mentions compared: the texts did exercise the rules


def test_order_of_the_tallies_is_that_of_their_first_counted_mention():
    """count_documents writes terms rows in this order (the stored tables keep it)."""
    m = Matcher(["发展", "改革开放", "创新"], ["quote"] * 3)
    units = [("1", "“创新”与改革开放"), ("2", "“发展”")]
    assert list(m.count(units)) == [2, 1, 0]
    assert m.count(units)[1].paths == ["1"]
    assert [(t.count, t.own, t.quoted) for t in m.count(units).values()] == [
        (1, 1, 1), (1, 1, 0), (1, 1, 1),
    ]  # fmt: skip


def test_no_mention_crosses_units_and_empty_units_are_skipped():
    m = Matcher(["改革开放"], ["phrase"])
    assert m.count([("1", "改革"), ("2", ""), ("3", "开放")]) == {}
    got = m.count([("1", ""), ("2", "改革开放"), ("3", "改革开放改革开放")])
    assert (got[0].count, got[0].paths) == (3, ["2", "3"])
