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


def test_an_entry_holding_a_nul_matches_inside_a_unit_only():
    """Units are walked joined by a separator that is no code point: even an entry with \\x00 in
    it (a watch term is taken as typed) never spans two units."""
    m = Matcher(["改革\x00开放", "开放"], ["watch", "watch"], watched=["改革\x00开放", "开放"])
    assert list(m.count([("1", "改革"), ("2", "开放")])) == [1]
    assert m.count([("1", "改革\x00开放")])[0].count == 1


def test_an_entry_longer_than_any_sort_key_width_is_still_ordered_by_start():
    """Mentions are taken by start, longest first, whatever the lengths (a watch term may be
    long): 70,000 characters."""
    long = "b" + "a" * 69_999
    m = Matcher([long, "xba"], ["watch", "watch"], watched=[long, "xba"])
    got = m.count([("p", "x" + long)])
    assert [(i, t.count, t.own) for i, t in got.items()] == [(1, 1, 1), (0, 1, 1)]


def test_one_matcher_counts_in_several_threads_at_once():
    """The compiled loops release the GIL; a Matcher keeps no state between calls, so threads
    sharing one get the counts one thread gets."""
    from concurrent.futures import ThreadPoolExecutor

    rng = random.Random(3)
    terms = ["改革开放", "开放", "改革", "国家发展"]
    m = Matcher(terms, ["phrase"] * 4, watched=terms)
    docs = [[(f"{k}", random_text(rng, terms) * 200) for k in range(3)] for _ in range(8)]

    def tallies(units):
        return {i: (t.count, t.own, t.quoted, t.paths) for i, t in m.count(units).items()}

    want = [tallies(units) for units in docs]
    with ThreadPoolExecutor(4) as pool:
        for _ in range(5):
            assert list(pool.map(tallies, docs)) == want
