"""The explorer page for the Government Work Reports: its size (and what takes the room) and the
time to build it, from a data dir built here (ingest, build, the lexicon stage).

    POLICYTRACK_SHARED=/work/shared .venv/bin/python bench/explore_bench.py [DATA_DIR]

Prints figures; asserts nothing (docs/report.md quotes them)."""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from policytrack.pipeline.jobs.build import build  # noqa: E402
from policytrack.pipeline.jobs.ingest import ingest  # noqa: E402
from policytrack.pipeline.report.explorer import build_explorer  # noqa: E402

SHARED = Path(os.environ.get("POLICYTRACK_SHARED", Path(__file__).resolve().parents[2] / "shared"))


def main() -> None:
    if len(sys.argv) > 1:
        data = Path(sys.argv[1])
    else:
        data = Path(tempfile.mkdtemp()) / "data"
        t = time.perf_counter()
        ingest([SHARED / "corpus" / "government_work_reports.jsonl"], "gwr", data)
        build(data)
        print(f"data dir built in {time.perf_counter() - t:.1f} s: {data}")
    t = time.perf_counter()
    page = build_explorer(data)
    took = time.perf_counter() - t
    size = len(page.encode("utf-8"))
    blob = json.loads(re.search(r"id='pt-data'>(.*?)</script>", page, re.S).group(1))
    print(f"explorer: {size / 1e6:.2f} MB, built in {took:.1f} s")
    print(f"terms {len(blob['terms'])}, mentions {sum(len(t['m']) for t in blob['terms'])}, "
          f"units {len(blob['units'])}, threads {len(blob['threads'])}")  # fmt: skip
    for key in ("units", "terms", "threads"):
        part = len(json.dumps(blob[key], ensure_ascii=False, separators=(",", ":")).encode())
        print(f"  {key:8s} {part / 1e6:6.2f} MB  ({part / size:.0%} of the page)")
    chars = sum(len(u[4]) for u in blob["units"])
    print(f"text embedded: {chars:,} characters; page bytes per text character: {size / chars:.2f}")


if __name__ == "__main__":
    main()
