"""The Government Work Reports ingested and built once per test session (no tests here).

Several test modules read a GWR build (parsing, lexicon, report, explorer checks); building it
takes 8–13 s each time. The first module to ask builds it under a lock in the session's temp root
(shared by the xdist workers of one run, never by another run); every caller gets its own copy
of the data directory, so a test that writes into it cannot change what another one reads.
"""

from __future__ import annotations

import dataclasses
import fcntl
import os
import pickle
import shutil
from pathlib import Path

from policytrack.pipeline.jobs.build import BuildResult, build
from policytrack.pipeline.jobs.ingest import IngestResult, ingest


def built_gwr(
    gwr_path: Path, tmp_path_factory, name: str = "gwr"
) -> tuple[IngestResult, BuildResult, Path]:
    """(ingest result, build result, data dir): a copy of the session's one GWR build, in a new
    temp folder `name`; the build result's `processed` names the copy."""
    shared = _session_root(tmp_path_factory) / "gwr-built"
    with open(shared.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # the other workers wait for the one that builds
        results = shared / "results.pickle"
        if not results.exists():
            shutil.rmtree(shared, ignore_errors=True)  # a build interrupted earlier
            data = shared / "data"
            ingested = ingest([gwr_path], "gwr", data)
            built = build(data)
            _ = built.documents  # read now: the copy's result must not read the shared folder
            tmp = results.with_suffix(".tmp")
            tmp.write_bytes(pickle.dumps((ingested, built)))
            os.replace(tmp, results)
        ingested, built = pickle.loads(results.read_bytes())
    data = tmp_path_factory.mktemp(name) / "data"
    shutil.copytree(shared / "data", data)
    return ingested, dataclasses.replace(built, processed=data / "processed"), data


def _session_root(tmp_path_factory) -> Path:
    """This run's temp root: the parent of the workers' folders under xdist, else the base."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
