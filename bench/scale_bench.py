"""Scale: build and `terms` on 10× and 100× the Government Work Report corpus, today's code path
beside this one in the same run, and the Dask build against `--jobs 2`.

Corpus: k copies of the 52 dated GWR reports (../shared/corpus), spread over k/5 sources of 5
series each (at least 1 source); every copy is perturbed (a source/series mark in the first
paragraph, ~3 % of paragraphs dropped, ~3 % repeated with a change), so no two documents are
identical. 100× = 20 sources × 5 series = 5,200 documents.

For each scale: a cold `build --jobs 1` (or `--jobs N`) with the baseline code (by default the commit where this
branch left main, run from a `git archive` of it) and with this code, on identical copies of the
raw store: wall time and the build process's peak RSS (wait4's ru_maxrss); the tables checked
equal; then `terms SOURCE` for one source with each. The build report's wall seconds per stage
(parse, lexicon, analyse) are printed where the code records them, and this build's wall time
without its lexicon stage beside the baseline's whole build (a baseline from before the lexicon,
3a16d80, does no discovery or corpus-wide counting at all). A 1,000× figure is projected from the 10×
and 100× builds. Last, `build --dask` on a local scheduler with 2 workers against `--jobs 2`.

    .venv/bin/python bench/scale_bench.py [--scales 10,100] [--baseline REV | --no-baseline]
                                          [--jobs N] [--dask-scale 10] [--no-dask] [--keep DIR]

No figure here is asserted in a test (docs/distributed.md has the last run's).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

SHARED = Path(os.environ.get("POLICYTRACK_SHARED", REPO.parent / "shared"))
GWR = SHARED / "corpus" / "government_work_reports.jsonl"
ENV = {**os.environ, "CI": "true"}
SERIES_PER_SOURCE = 5
# Run the baseline from an archived tree: drop the editable install's finder, import from there.
DROP_EDITABLE = (
    "sys.meta_path[:] = [f for f in sys.meta_path if 'editable' not in "
    "getattr(f, '__module__', '') + getattr(f, '__name__', '')]"
)
LAUNCH = (
    f"import sys; {DROP_EDITABLE}; sys.path.insert(0, sys.argv.pop(1)); "
    "sys.argv[0] = 'policytrack'; from policytrack.pipeline.cli.app import main; main()"
)


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (1 min), {five:.1f} (5 min) on {os.cpu_count()} CPUs"


# -- corpus ------------------------------------------------------------------------------------


def gwr_rows() -> list[dict]:
    rows = [json.loads(line) for line in GWR.read_text(encoding="utf-8").splitlines() if line]
    return [r for r in rows if r.get("year")]


def perturb(text: str, rng: random.Random, mark: str) -> str:
    paras = text.split("\n")
    out = []
    for k, p in enumerate(paras):
        r = rng.random()
        if k > 3 and r < 0.03:
            continue  # dropped
        out.append(p)
        if k > 3 and r > 0.97 and p.strip():
            out.append(p.replace("，", "，进一步", 1))  # repeated with a change
    first = next(k for k, p in enumerate(out) if p.strip())
    out[first] = out[first] + f"（{mark}）"
    return "\n".join(out)


def make_corpus(scale: int, root: Path) -> tuple[Path, list[str]]:
    """A raw store of `scale` perturbed GWR copies; returns (data dir, sources)."""
    rows = gwr_rows()
    n_sources = max(1, scale // SERIES_PER_SOURCE)
    per_source = scale // n_sources
    data = root / f"raw-{scale}x"
    if (data / "raw").is_dir():
        return data, sorted(p.name for p in (data / "raw").iterdir())
    tmp = root / f"jsonl-{scale}x"
    tmp.mkdir(parents=True, exist_ok=True)
    names = []
    for s in range(n_sources):
        source = f"prov{s:03d}"
        names.append(source)
        lines = []
        for j in range(per_source):
            rng = random.Random(f"{scale}/{s}/{j}")
            for r in rows:
                title = r["title"].replace("中华人民共和国国务院", f"第{s + 1}省第{j + 1}类")
                content = perturb(r["content"], rng, f"{source}-{j}")
                lines.append(json.dumps({"title": title, "content": content, "year": r["year"]},
                                        ensure_ascii=False))  # fmt: skip
        f = tmp / f"{source}.jsonl"
        f.write_text("\n".join(lines) + "\n", encoding="utf-8")
        cmd = [sys.executable, "-m", "policytrack.pipeline.cli", "-q", "ingest", str(f),
               "--source", source, "--data", str(data)]  # fmt: skip
        subprocess.run(cmd, env=ENV, check=True, stdout=subprocess.DEVNULL)
    shutil.rmtree(tmp)
    return data, names


# -- runs --------------------------------------------------------------------------------------


def command(code: Path | None, *args: str) -> list[str]:
    if code is None:
        return [sys.executable, "-m", "policytrack.pipeline.cli", *args]
    # PYTHONPATH: every process started from the tree runs its sitecustomize (code_tree), pool
    # workers included; the launcher's own drop reaches only the first process, and a forkserver
    # imports the preloaded modules before it takes the parent's sys.path.
    return ["env", f"PYTHONPATH={code}", sys.executable, "-c", LAUNCH, str(code), *args]


# Peak RSS is read by a small launcher process, not by this one: Linux carries a process's
# high-water RSS across fork and exec, so a child forked from this (large, after comparing
# tables) process would report this process's size as its own peak.
RUSAGE = (
    "import os, subprocess, sys; p = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, "
    "stderr=subprocess.PIPE); err = p.stderr.read(); _, st, ru = os.wait4(p.pid, 0); "
    "sys.stderr.buffer.write(err[-2000:]); "
    "print(os.waitstatus_to_exitcode(st), ru.ru_maxrss, ru.ru_utime + ru.ru_stime)"
)


def measured(cmd: list[str], cwd: Path) -> tuple[float, float, int, float]:
    """(wall s, peak RSS MB of the process, exit code, CPU s). CPU seconds are what to compare
    on a machine shared with other jobs: wall time there moves with their load."""
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-S", "-c", RUSAGE, *cmd], cwd=cwd, env=ENV, capture_output=True
    )
    wall = time.perf_counter() - t0
    code, maxrss, cpu = proc.stdout.split()
    if int(code):
        print(proc.stderr.decode("utf-8", "replace"), file=sys.stderr)
    return wall, int(maxrss) / 1024, int(code), float(cpu)


def code_tree(rev: str, root: Path) -> Path:
    """`git archive REV` of the code folders as an importable policytrack package."""
    rev = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", rev], check=True, capture_output=True, text=True
    ).stdout.strip()
    tree = root / f"tree-{rev[:12]}"
    pkg = tree / "policytrack"
    if not pkg.is_dir():
        pkg.mkdir(parents=True)
        archive = subprocess.run(
            ["git", "-C", str(REPO), "archive", rev, "pipeline", "crawler", "sample"],
            check=True, capture_output=True,
        ).stdout  # fmt: skip
        subprocess.run(["tar", "-x", "-C", str(pkg)], input=archive, check=True)
        # Imported at start-up by every interpreter with the tree on PYTHONPATH (`command`).
        (tree / "sitecustomize.py").write_text(f"import sys\n{DROP_EDITABLE}\n")
        if (pkg / "pipeline" / "analysis" / "warm.py").exists():
            # The install step of that code (`make venv`): compile its Numba loops into the
            # tree's cache, so no timed run pays for compiling.
            warm = "from policytrack.pipeline.analysis.warm import warm; warm()"
            subprocess.run(
                [sys.executable, "-c", f"import sys; {DROP_EDITABLE}; "
                 f"sys.path.insert(0, {str(tree)!r}); {warm}"],
                check=True, cwd=tree,
            )  # fmt: skip
    return tree


def tables_equal(old: Path, new: Path, sources: list[str]) -> str:
    """Compare the baseline's tables (flat files before the partitioned layout) with this
    code's, one source at a time."""
    import pandas as pd
    import pyarrow.parquet as pq

    from policytrack.pipeline.store.schema import TABLES, conform
    from policytrack.pipeline.store.tables import read_table

    for name in TABLES:
        for source in sources:
            flat = old / "processed" / f"{name}.parquet"
            if flat.exists():
                a = pq.read_table(flat, filters=[("source", "=", source)]).to_pandas()
                a = conform(a, name) if name != "documents" else a
            else:
                a = read_table(old, name, source=source)
            b = read_table(new, name, source=source)
            drop = [c for c in ("recorded_at",) if c in a.columns]
            a, b = a.drop(columns=drop).reset_index(drop=True), b.drop(columns=drop)
            try:
                pd.testing.assert_frame_equal(a, b, check_dtype=False)
            except AssertionError as err:
                return f"DIFFER ({name}, {source}: {str(err).splitlines()[0]})"
    return "identical"


def stage_seconds(data: Path) -> dict[str, float]:
    """Wall seconds per build stage from the committed build report (empty for a build that
    did not record them: the baseline's)."""
    try:
        processed = data / "processed"
        gen = json.loads((processed / "CURRENT").read_text("utf-8"))["generation"]
        report = json.loads((processed / gen / "build_report.json").read_text("utf-8"))
    except (OSError, ValueError, KeyError):
        return {}
    return report.get("seconds") or {}


def dask_cluster(root: Path, workers: int = 2):
    dask = str(Path(sys.executable).with_name("dask"))
    sched = root / "scheduler.json"
    sched.unlink(missing_ok=True)
    procs = [subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", "0",
                               "--no-dashboard", "--scheduler-file", str(sched)],
                              cwd=REPO, env=ENV, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)]  # fmt: skip
    while not (sched.exists() and sched.read_text().strip().endswith("}")):
        time.sleep(0.1)
    for k in range(workers):
        procs.append(subprocess.Popen([dask, "worker", "--scheduler-file", str(sched),
                                       "--nthreads", "1", "--no-nanny", "--no-dashboard",
                                       "--name", f"w{k}"], cwd=REPO, env=ENV,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))  # fmt: skip
    from distributed import Client

    with Client(scheduler_file=str(sched), timeout=30) as c:
        c.wait_for_workers(workers, timeout=60)
    return json.loads(sched.read_text())["address"], procs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scales", default="10,100")
    ap.add_argument("--baseline", default=None, help="git revision (default: merge-base with main)")
    ap.add_argument("--no-baseline", action="store_true")
    ap.add_argument(
        "--this", default=None, help="git revision to run as 'this' (default: the working tree)"
    )
    ap.add_argument(
        "--jobs", type=int, default=1,
        help="build with --jobs N (both codes; > 1: peak RSS and CPU are the build process's "
        "own, its pool workers are not included: compare wall time)",
    )  # fmt: skip
    ap.add_argument("--dask-scale", type=int, default=10)
    ap.add_argument("--no-dask", action="store_true")
    ap.add_argument("--keep", type=Path, default=None, help="work folder kept between runs")
    args = ap.parse_args()
    if not GWR.exists():
        raise SystemExit(f"{GWR} is absent (set POLICYTRACK_SHARED)")
    root = args.keep or Path(tempfile.mkdtemp(prefix="scale-bench-"))
    root.mkdir(parents=True, exist_ok=True)
    old_code = None
    if not args.no_baseline:
        rev = args.baseline or subprocess.run(
            ["git", "-C", str(REPO), "merge-base", "HEAD", "main"],
            check=True, capture_output=True, text=True,
        ).stdout.strip()  # fmt: skip
        old_code = code_tree(rev, root)
        print(f"baseline: {rev[:12]} (git archive); {load()}")
    this_code = code_tree(args.this, root) if args.this else None
    if args.this:
        print(f"this: {this_code.name.removeprefix('tree-')} (git archive of {args.this})")
    scales = [int(s) for s in args.scales.split(",")]
    results: dict[int, dict] = {}
    for scale in scales:
        raw, sources = make_corpus(scale, root)
        n_docs = sum(
            (raw / "raw" / s / "manifest.jsonl").read_bytes().count(b"\n") for s in sources
        )
        print(f"\n{scale}×: {len(sources)} sources, {n_docs} documents  ({load()})")
        row = {"docs": n_docs}
        for label, code in (("baseline", old_code), ("this", this_code)):
            if label == "baseline" and code is None:
                continue
            data = root / f"{label}-{scale}x"
            shutil.rmtree(data, ignore_errors=True)
            shutil.copytree(raw / "raw", data / "raw")
            jobs = ["--jobs", str(args.jobs)] if args.jobs > 1 else []
            build = measured(command(code, "-q", "build", "--data", str(data), *jobs), root)
            terms = measured(command(code, "terms", sources[0], "--data", str(data)), root)
            stages = stage_seconds(data)
            row[label] = {"build": build, "terms": terms, "data": data, "stages": stages}
            print(
                f"  {label:<9} build {build[0]:7.1f} s wall {build[3]:7.1f} s CPU  peak "
                f"{build[1]:6.0f} MB (exit {build[2]})  |  terms {sources[0]} {terms[0]:6.1f} s "
                f"wall {terms[3]:6.1f} s CPU  peak {terms[1]:5.0f} MB (exit {terms[2]})  [{load()}]"
            )
            if stages:
                print(
                    "            stages (wall): "
                    + ", ".join(f"{k} {v:.1f} s" for k, v in stages.items())
                )
        if "baseline" in row:
            b, n = row["baseline"]["build"], row["this"]["build"]
            t, u = row["baseline"]["terms"], row["this"]["terms"]
            same = tables_equal(row["baseline"]["data"], row["this"]["data"], sources)
            print(
                f"  this/baseline: build CPU ×{n[3] / b[3]:.2f} (wall ×{n[0] / b[0]:.2f}), peak "
                f"RSS ×{n[1] / b[1]:.2f}; terms CPU ×{u[3] / t[3]:.2f} (wall ×{u[0] / t[0]:.2f}), "
                f"peak ×{u[1] / t[1]:.2f}; tables {same}"
            )
            lexicon = row["this"]["stages"].get("lexicon")
            if lexicon is not None:
                # The lexicon stage (discovery and counting over the corpus) is work the
                # baseline may not do at all: its time shown apart, never left out of the ratio.
                print(
                    f"  this without its lexicon stage ({lexicon:.1f} s): wall "
                    f"×{(n[0] - lexicon) / b[0]:.2f} of the baseline's whole build"
                )
        results[scale] = row
        for label in ("baseline", "this"):
            if label in row and scale != max(scales):
                shutil.rmtree(row[label]["data"], ignore_errors=True)
    if len(scales) >= 2:
        a, b = scales[0], scales[-1]
        (xa, ra, _, ca), (xb, rb, _, cb) = results[a]["this"]["build"], results[b]["this"]["build"]
        # With --jobs N the pool's workers are not in the build process's CPU or RSS: project
        # its wall time, and the peak is the build process's own.
        (wa, wb), unit = (
            ((ca, cb), "CPU min (one core)")
            if args.jobs == 1
            else ((xa, xb), f"min wall (--jobs {args.jobs}; peak: the build process)")
        )
        da, db = results[a]["docs"], results[b]["docs"]
        per_doc = (wb - wa) / (db - da)
        target = 1000 * db // b
        rss_slope = (rb - ra) / (db - da)
        print(f"\nprojected 1,000× ({target} documents, {target // 52 // SERIES_PER_SOURCE} sources): "
              f"build ≈ {(wb + per_doc * (target - db)) / 60:.0f} {unit}, "
              f"peak ≤ {rb + rss_slope * (target - db):.0f} MB (an upper bound: the 10×→100× "
              f"growth, {rss_slope * 1000:.1f} MB per 1,000 more documents, carried on linearly; "
              f"the build holds one source at a time and the largest does not grow)")  # fmt: skip
    if not args.no_dask:
        scale = args.dask_scale
        raw, sources = make_corpus(scale, root)
        print(f"\nDask: {scale}× ({len(sources)} sources), 2 local workers vs --jobs 2  ({load()})")
        address, procs = dask_cluster(root)
        try:
            walls = {}
            for label, extra in (("--jobs 2", ["--jobs", "2"]), ("--dask", ["--dask", address])):
                data = root / f"dask-{label.strip('-').split()[0]}"
                shutil.rmtree(data, ignore_errors=True)
                shutil.copytree(raw / "raw", data / "raw")
                wall, _, rc, _ = measured(
                    command(None, "-q", "build", "--data", str(data), *extra), root
                )
                walls[label] = (wall, data, rc)
                print(f"  {label:<9} {wall:8.1f} s  (exit {rc})")
        finally:
            for p in reversed(procs):
                p.send_signal(signal.SIGTERM)
            for p in procs:
                p.wait()
        from tests.support.datadir import tables

        a, b = tables(walls["--jobs 2"][1]), tables(walls["--dask"][1])
        same = all(a[n].equals(b[n]) for n in a)
        ratio = walls["--dask"][0] / walls["--jobs 2"][0]
        print(f"  --dask/--jobs 2: ×{ratio:.2f} wall; tables {'identical' if same else 'DIFFER'}")
    if args.keep is None:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
