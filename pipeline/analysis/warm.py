"""The lexicon stage's Numba loops: compiled into their cache once, at install; loaded once per
process.

`make venv` runs `python -m policytrack.pipeline.analysis.warm`, so the first build (`make demo`,
a test, a nightly run) loads machine code instead of compiling it (≈ 4 s). `warm` drives every
compiled function through the same calls the build makes — pass 1's counts (growing, merging,
pickled like a worker's part, compacted), pass 2's walk and its parts, the counting automaton —
so each is compiled for the types the build passes. A source edit or a new Numba compiles again
on first use; nothing here is needed for correctness.

`ready` (called by the first NgramCounter, CandidateStats or Matcher of a process) loads them
all and then freezes the objects alive at that point out of Python's cyclic collector: Numba's
typing and code objects (≈ 90 k) made every later `gc.collect` — memory.release, after each
build task — three times slower (a `make demo` took 15 s instead of 9).
"""

from __future__ import annotations

import gc
import pickle
import threading
import time

_lock = threading.RLock()
_state = "cold"  # → "loading" (in the thread running warm) → "ready"


def ready() -> None:
    """Load every compiled loop (≈ 0.3 s from the cache), once per process, then gc.freeze.
    Other threads wait for the first; a failed load is tried again by the next call."""
    global _state
    if _state == "ready":
        return
    with _lock:
        if _state != "cold":  # ready, or loading in this thread: warm()'s own objects
            return
        _state = "loading"
        try:
            warm()
        except BaseException:
            _state = "cold"
            raise
        gc.collect()  # what is garbage now is not frozen with the rest
        gc.freeze()
        _state = "ready"


def warm() -> float:
    """Run every compiled loop once on a made-up text; returns the seconds it took."""
    from policytrack.pipeline.analysis.lexicon import candidate_stats
    from policytrack.pipeline.analysis.lexicon_count import Matcher
    from policytrack.pipeline.analysis.lexicon_ngrams import NgramCounter

    t = time.perf_counter()
    # Enough distinct characters that the tables grow (and rehash) past their first size.
    text = "".join(chr(0x4E00 + k) for k in range(400)) + "，“改革开放”与《政府工作报告》"
    counter, part = NgramCounter(4), NgramCounter(4)
    for _ in range(3):
        counter.add(text)
        part.add(text)
    counter.absorb(pickle.loads(pickle.dumps(part)))  # a worker's part, as the pool sends it
    candidates = {3: counter.recurrent(3, 2, 2, 2), 4: counter.recurrent(4, 2, 2, 2)}
    counter.compact()
    stats = candidate_stats(counter, candidates)
    other = stats.fresh()
    for doc in range(2):
        stats.add(text, ("warm", doc))
        other.add(text, ("warm", doc))
    other.finish()
    stats.absorb(other.part())
    stats.finish()
    stats.entropies()
    stats.cohesion()
    Matcher(["改革开放", "报告", "政府工作"], ["quote", "phrase", "phrase"]).count(
        [("1", text), ("2", "改革开放")]
    )
    return time.perf_counter() - t


if __name__ == "__main__":
    print(f"compiled the lexicon stage's loops ({warm():.1f} s)")
