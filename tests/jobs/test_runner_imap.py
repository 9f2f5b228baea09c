"""The runners' `imap`: results in order, a bounded number of tasks ahead of the consumer (the
lexicon stage adds up per-source parts of tens of MB each; holding all of them would undo the
build's memory bound)."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from policytrack.pipeline.jobs.pool import LocalRunner, PoolRunner, windowed


def test_windowed_yields_in_order_with_at_most_window_in_flight():
    lock = threading.Lock()
    state = {"running": 0, "most": 0, "submitted": 0}

    def task(k: int) -> int:
        with lock:
            state["running"] += 1
            state["most"] = max(state["most"], state["running"])
        time.sleep(0.02 if k % 3 else 0.05)  # later tasks finish before earlier ones
        with lock:
            state["running"] -= 1
        return k * k

    with ThreadPoolExecutor(max_workers=8) as ex:

        def submit(args):
            state["submitted"] += 1
            return ex.submit(task, *args)

        out = windowed(submit, [(k,) for k in range(10)], 3, "testing")
        first = next(out)
        # The consumer took one result: one more task was submitted, no others.
        assert (first, state["submitted"]) == (0, 4)
        rest = list(out)
    assert [first, *rest] == [k * k for k in range(10)]
    assert state["most"] <= 3


def _square(k: int, workers: int = 1) -> tuple[int, int]:
    return k * k, workers


def test_local_and_pool_imap_give_the_same_results_in_order():
    args = [(k,) for k in range(5)]
    local = LocalRunner()
    lazy = local.imap(_square, args, "testing")
    assert next(lazy) == (0, -1)  # made when asked for, on every core of this process
    assert list(lazy) == [(k * k, -1) for k in range(1, 5)]
    pool = PoolRunner(2)
    try:
        assert list(pool.imap(_square, args, "testing")) == [(k * k, 1) for k in range(5)]
    finally:
        pool.close()


def test_windowed_cancels_what_has_not_started_when_the_consumer_stops():
    ran = []

    def task(k: int) -> int:
        time.sleep(0.05)
        ran.append(k)
        return k

    with ThreadPoolExecutor(max_workers=1) as ex:
        futures = []

        def submit(args):
            futures.append(ex.submit(task, *args))
            return futures[-1]

        out = windowed(submit, [(k,) for k in range(10)], 3, "testing")
        assert next(out) == 0
        out.close()  # the consumer stops (a failed stage)
    # Submitted: the first 3, and one more after the first result; those still queued behind
    # the running task (2, or 3 if the worker had not picked task 1 yet) were cancelled, and
    # nothing else was submitted or ran.
    assert len(futures) == 4
    cancelled = sum(f.cancelled() for f in futures)
    assert cancelled >= 2 and ran == list(range(4 - cancelled))


def test_pass_one_counts_runs_of_consecutive_sources_two_per_worker():
    """The lexicon's pass 1 sends a counter per run of sources, not per source (jobs/corpus.py):
    every source once, in order, in about two runs per worker; a source each where tasks run
    in the stage's own process (they all count into its tables)."""
    from policytrack.pipeline.jobs.corpus import _runs

    names = [f"s{k:02d}" for k in range(20)]
    assert _runs(names, PoolRunner(2)) == [tuple(names[k : k + 5]) for k in range(0, 20, 5)]
    assert _runs(names[:7], PoolRunner(3)) == [
        ("s00", "s01"), ("s02",), ("s03",), ("s04",), ("s05",), ("s06",)
    ]  # fmt: skip
    assert _runs(names[:3], PoolRunner(4)) == [("s00",), ("s01",), ("s02",)]
    assert _runs(names[:5], LocalRunner()) == [(s,) for s in names[:5]]
    assert _runs(names[:1], PoolRunner(2)) == [("s00",)]  # one task: runs here
    assert _runs([], PoolRunner(2)) == []
    # Sizes: a run ends once it holds its share of what is left (a large source runs alone).
    sizes = [10.0] + [1.0] * 10
    assert _runs(names[:11], PoolRunner(2), sizes) == [
        ("s00",), ("s01", "s02", "s03", "s04"), ("s05", "s06", "s07"), ("s08", "s09", "s10")
    ]  # fmt: skip


def test_joined_counts_are_the_sources_counted_one_by_one():
    """join_counts: one part for consecutive sources counted into one counter — their quoted
    terms (the strongest kind, first seen first) and documents in order; parts counted into
    different counters are refused."""
    import pytest

    from policytrack.pipeline.analysis.lexicon import Discovery, SourceCounts, join_counts
    from policytrack.pipeline.analysis.lexicon_ngrams import NgramCounter

    counter = NgramCounter(3)
    a = SourceCounts(counter, {"乡村振兴": "phrase", "三农": "quote"}, [("a", "x", 2019)])
    b = SourceCounts(counter, {"乡村振兴": "quote", "双碳": "book"}, [("b", "y", 2020)])
    joined = join_counts([a, b])
    one_by_one = Discovery()
    one_by_one.counter = counter
    for part in (a, b):
        one_by_one.add_counts(part)
    assert joined.counter is counter
    # 乡村振兴: quoted in b, written unquoted in a (a quote is the stronger kind).
    assert list(joined.quoted.items()) == [
        ("乡村振兴", "quote"),
        ("三农", "quote"),
        ("双碳", "book"),
    ]
    assert list(one_by_one.quoted.items()) == list(joined.quoted.items())
    assert joined.metas == one_by_one.metas == [("a", "x", 2019), ("b", "y", 2020)]
    with pytest.raises(ValueError, match="one counter"):
        join_counts([a, SourceCounts(NgramCounter(3), {}, [])])


def test_dask_task_keys_of_runs_never_collide():
    """Source names may hold dots: naming a run first..last gave ('a', 'a.') and ('a..a.',) one
    key, and the scheduler answered the second with the first's result (a source never
    counted). First and how many more, joined by '+' (no source name has it)."""
    from policytrack.pipeline.jobs.daskbuild import task_subject

    runs = [("a", "a."), ("a..a.",), ("a.-b", "c", "d"), ("e",)]
    assert [task_subject(r) for r in runs] == ["a+1", "a..a.", "a.-b+2", "e"]
    assert task_subject("a..a.") == "a..a."
