"""`policytrack report` on the Government Work Reports: the code path before issue 17 and the
report of main at 29aa646 (before the faster explorer and kernels) beside this checkout's, in one run, on the same tables.

    .venv/bin/python bench/report_bench.py [--data DIR] [--runs 3] [--baseline REV] [--today REV]

Tables: `--data DIR` (a data dir `policytrack build` wrote), else the GWR corpus
($POLICYTRACK_SHARED or ../shared: corpus/government_work_reports.jsonl) ingested and built into
a temp dir first (not timed).

The old path is the report package and notebooks of commit `--baseline` (default: the last commit
before the faster report), taken with `git archive` into a temp dir and run by the same
interpreter with that copy first on PYTHONPATH (its kernels inherit it): each figure drawn three
times (PNG, SVG, and a display PNG), the three notebooks one after another. The new path is this
checkout: each figure drawn once per file written, the exported PNG embedded, one kernel per core.
The today path is the report package and notebooks of commit `--today` (default: main before
the faster explorer and kernels: four notebooks and the explorer, run on the same generation tables), taken
the same way. Runs alternate old/today/new; the median of each is printed, with the ratios, the
target (≤ 8 s), whether every figure file both the old and the new path write is byte-identical,
and whether every output of the today path (figures, CSVs, index.html with its findings, the
notebooks' HTML pages, explorer.html with its build time masked) is byte-identical in the new.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import re
import resource
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.support.procs import policytrack  # noqa: E402

BASELINE = "3a16d80"  # main before issue 17's faster report (three renders, notebooks in turn)
TODAY = "29aa646"  # main before the faster explorer and kernels (four notebooks, explorer; 19.3 s wall, 28.4 s CPU quiet)
TARGET = 8.0  # seconds for GWR (issue 17; 22 s before)
REPORT = (
    "import sys; from policytrack.pipeline.report.build import ReportParams, build_report; "
    "build_report(ReportParams(data_dir=sys.argv[1]), sys.argv[2])"
)


def env(extra_path: Path | None = None) -> dict:
    out = {**os.environ, "CI": "true"}
    if extra_path is not None:
        out["PYTHONPATH"] = os.pathsep.join([str(extra_path), os.environ.get("PYTHONPATH", "")])
    return out


def shared_gwr() -> Path:
    shared = Path(os.environ.get("POLICYTRACK_SHARED", REPO.parent / "shared"))
    return shared / "corpus" / "government_work_reports.jsonl"


def build_gwr(work: Path) -> Path:
    corpus = shared_gwr()
    if not corpus.is_file():
        sys.exit(f"{corpus}: not found; pass --data DIR or set POLICYTRACK_SHARED")
    data = work / "gwr-data"
    for args in (["ingest", str(corpus), "--source", "gwr"], ["build"]):
        subprocess.run(
            [*policytrack(), *args, "--data", str(data)],
            env=env(),
            check=True,
            capture_output=True,
        )
    return data


def baseline_tree(rev: str, work: Path, name: str = "baseline") -> Path | None:
    """The report code of `rev` laid out as an importable `policytrack` namespace, or None."""
    proc = subprocess.run(
        ["git", "-C", str(REPO), "archive", "--format=tar", rev, "pipeline", "notebooks"],
        capture_output=True,
    )
    if proc.returncode != 0:
        print(f"old path unavailable: git archive {rev}: {proc.stderr.decode().strip()}")
        return None
    site = work / name
    root = site / "policytrack"  # pipeline/ → policytrack/pipeline, notebooks beside it
    with tarfile.open(fileobj=io.BytesIO(proc.stdout)) as tar:
        tar.extractall(root, filter="data")
    return site


def flat_copy(data: Path, work: Path) -> Path:
    """The current generation's tables as the flat `processed/<table>.parquet` files the old
    path reads (it predates generations)."""
    from policytrack.pipeline.store.schema import TABLES
    from policytrack.pipeline.store.tables import read_table

    flat = work / "flat-data"
    (flat / "processed").mkdir(parents=True, exist_ok=True)
    for name in TABLES:
        frame = read_table(data, name, required=False)
        if frame is not None:
            if "relation" in frame:
                regrouped = int((frame["relation"] == "regrouped").sum())
                if regrouped:
                    print(f"  old path: {regrouped} regrouped {name} given as split")
                frame["relation"] = frame["relation"].replace("regrouped", "split")
            frame.to_parquet(flat / "processed" / f"{name}.parquet", index=False)
    return flat


def timed(cmd: list[str], environ: dict) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the command and every process it waited for: kernels)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=environ, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd[:3])} …: exit {proc.returncode}\n{proc.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return seconds, cpu


# matplotlib names clip paths and hatches with random ids unless svg.hashsalt is set (the old
# path did not set it): ids are compared as placeholders.
SVG_IDS = re.compile(rb'(id="|#)([a-z]+)[0-9a-f]{10}\b')


def figure_digests(out: Path) -> dict[str, str]:
    day = next(p for p in out.iterdir() if not p.name.startswith("."))
    digests = {}
    for p in sorted((day / "figures").iterdir()):
        data = p.read_bytes()
        if p.suffix == ".svg":
            data = SVG_IDS.sub(rb"\1\2ID", data)
        digests[p.name] = hashlib.sha256(data).hexdigest()
    return digests


# explorer.html says when it was built (to the minute), and papermill gives the injected
# parameters cell a random id (the notebooks' pages show it): both masked before comparing.
BUILT = re.compile(rb'"built":"[0-9: -]+"')
INJECTED_ID = re.compile(rb'(celltag_injected-parameters" id="cell-id=)[0-9a-f-]+"')


def output_digests(out: Path) -> dict[str, str]:
    """Every page and figure file a report writes (not the executed .ipynb: they carry run
    times), explorer.html with its build time and the pages' injected cell id masked."""
    day = next(p for p in out.iterdir() if not p.name.startswith("."))
    digests = {}
    for p in sorted([*day.glob("*.html"), *(day / "figures").iterdir()]):
        data = p.read_bytes()
        if p.name == "explorer.html":
            data = BUILT.sub(b'"built":"-"', data)
        elif p.suffix == ".html":
            data = INJECTED_ID.sub(rb'\1-"', data)
        digests[str(p.relative_to(day))] = hashlib.sha256(data).hexdigest()
    return digests


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, help="a built data dir (default: build the GWR corpus)")
    ap.add_argument("--runs", type=int, default=3, help="runs of each path (median printed)")
    ap.add_argument(
        "--baseline", default=BASELINE, help="git revision of the old path ('' to skip)"
    )
    ap.add_argument("--today", default=TODAY, help="git revision of today's path ('' to skip)")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="report-bench-") as tmp:
        work = Path(tmp)
        data = args.data.resolve() if args.data else build_gwr(work)
        old_site = baseline_tree(args.baseline, work) if args.baseline else None
        today_site = baseline_tree(args.today, work, "today") if args.today else None
        new_cmd = [*policytrack(), "report", "--data", str(data)]
        old_data = flat_copy(data, work) if old_site is not None else data
        old_cmd = [sys.executable, "-c", REPORT, str(old_data)]
        today_cmd = [sys.executable, "-c", REPORT, str(data)]
        paths = {"old": old_site, "today": today_site, "new": None}
        times: dict[str, list[float]] = {p: [] for p in paths}
        cpu: dict[str, list[float]] = {p: [] for p in paths}
        digests, outputs = {}, {}
        for i in range(max(1, args.runs)):
            for path, site in paths.items():
                if path != "new" and site is None:
                    continue
                out = work / f"{path}-{i}"
                if path == "old":
                    wall, used = timed([*old_cmd, str(out)], env(old_site))
                elif path == "today":
                    wall, used = timed([*today_cmd, str(out)], env(today_site))
                else:
                    wall, used = timed([*new_cmd, "--out", str(out)], env())
                times[path].append(wall)
                cpu[path].append(used)
                digests[path] = figure_digests(out)
                if path != "old":
                    outputs[path] = output_digests(out)

    new = statistics.median(times["new"])
    print(f"policytrack report on the Government Work Reports ({data})")
    print(f"  cores: {os.cpu_count()}; load average after: {os.getloadavg()[0]:.2f}")
    new_cpu = statistics.median(cpu["new"])
    if times["old"]:
        old, old_cpu = _path_line(f"old path ({args.baseline}): ", times["old"], cpu["old"])
    _path_line("new path (this checkout):", times["new"], cpu["new"])
    if times["old"]:
        _ratio_line("new/old", new, new_cpu, old, old_cpu)
        same = sorted(set(digests["old"]) & set(digests["new"]))
        differ = [n for n in same if digests["old"][n] != digests["new"][n]]
        added = sorted(set(digests["new"]) - set(digests["old"]))
        print(
            f"  figure files both paths write: {len(same)}, byte-identical: {len(same) - len(differ)}"
            + (f" (differ: {', '.join(differ)})" if differ else "")
        )
        print(f"  new files: {', '.join(added) or 'none'}")
    if times["today"]:
        today, today_cpu = _path_line(f"today's path ({args.today}):", times["today"], cpu["today"])
        _ratio_line("new/today", new, new_cpu, today, today_cpu)
        t, n = outputs["today"], outputs["new"]
        differ = [k for k in sorted(t) if t[k] != n.get(k)]
        extra = sorted(set(n) - set(t))
        print(
            f"  outputs of today's path (pages, figures, CSVs): {len(t)}, byte-identical in the "
            f"new: {len(t) - len(differ)}"
            + (f" (differ or missing: {', '.join(differ)})" if differ else "")
        )
        if extra:
            print(f"  outputs only the new path writes: {', '.join(extra)}")
    print(f"  target ≤ {TARGET:.0f} s: {'met' if new <= TARGET else 'NOT met'} on this machine now")
    return 0


def _path_line(label: str, times: list[float], cpu: list[float]) -> tuple[float, float]:
    """Print one path's medians (and every run's wall time); return (wall, CPU) medians."""
    wall, used = statistics.median(times), statistics.median(cpu)
    runs = ", ".join(f"{v:.2f}" for v in times)
    print(f"  {label} wall {wall:6.2f} s, CPU {used:6.2f} s  (runs: {runs})")
    return wall, used


def _ratio_line(label: str, new: float, new_cpu: float, that: float, that_cpu: float) -> None:
    print(
        f"  {label}: wall {new / that:.2f} ({that / new:.1f}× faster), CPU {new_cpu / that_cpu:.2f}"
    )


if __name__ == "__main__":
    sys.exit(main())
