"""Parse the whole Government Work Report corpus in one process; print documents/s and chars/s.

Target (issue 2): the whole corpus in under 3 s on one core.
Baseline, same process: JSON decode + normalisation only (the floor any parser pays).

    .venv/bin/python bench/parse_bench.py [path/to/government_work_reports.jsonl]
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from policytrack.pipeline.core.errors import InputError  # noqa: E402
from policytrack.pipeline.text.normalize import normalize  # noqa: E402
from policytrack.pipeline.text.parse import parse_bytes  # noqa: E402


def main() -> int:
    corpus = (
        Path(sys.argv[1])
        if len(sys.argv) > 1
        else REPO.parent / "shared" / "corpus" / "government_work_reports.jsonl"
    )
    if not corpus.exists():
        print(f"corpus not found: {corpus}", file=sys.stderr)
        return 2
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core, as the target says
    lines = [ln for ln in corpus.read_bytes().splitlines() if ln.strip()]
    rows = [json.loads(ln) for ln in lines]
    chars = sum(len(r["content"]) for r in rows if r.get("year"))

    parse_bytes(lines[0], "warmup.json")  # import-time caches (opencc tables, regexes)

    t0 = time.perf_counter()
    for r in rows:
        if r.get("year"):
            normalize(r["content"])
    base = time.perf_counter() - t0

    runs = []
    for _ in range(3):
        t0 = time.perf_counter()
        n = failed = 0
        for i, (ln, r) in enumerate(zip(lines, rows, strict=True)):
            if not r.get("year"):
                continue
            try:
                parse_bytes(ln, f"row{i}.json")
                n += 1
            except InputError:
                failed += 1
        runs.append(time.perf_counter() - t0)
    best = min(runs)
    print(f"corpus: {corpus.name}, {n} reports parsed, {failed} failed, {chars:,} characters")
    print(
        f"parse (best of 3):     {best:.3f} s   {n / best:.1f} documents/s   {chars / best:,.0f} chars/s"
    )
    print(f"baseline (normalise):  {base:.3f} s   parse/baseline = {best / base:.1f}x")
    print(f"target < 3 s on one core: {'met' if best < 3 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
