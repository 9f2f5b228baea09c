"""`build --dask tcp://SCHEDULER:8786`: the per-source tasks on a Dask distributed cluster.

Workers run the same parse, lexicon and analyse tasks as `--jobs N` pool workers and write each
source's cache files on the shared data directory (the same path on every machine); the client
(the `build` process, holding the build lock) adds up the lexicon's per-source parts and commits
the generation.
A worker that dies mid-task loses nothing: the scheduler runs the task again elsewhere, and a
task's files only count once its source's state.json names them (docs/distributed.md).
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from policytrack.pipeline.core.errors import ConfigError


def _sees(path: str) -> bool:
    return os.path.isdir(path)


def task_subject(subject: str | tuple[str, ...]) -> str:
    """A task's key names its source, or its run of sources (the discovery passes) by the first
    and how many more, joined by a character no source name has: runs are disjoint, so two
    tasks of a pass never share a key (the scheduler would hand back the first one's result)."""
    if isinstance(subject, str):
        return subject
    return subject[0] if len(subject) == 1 else f"{subject[0]}+{len(subject) - 1}"


class DaskRunner:
    def __init__(self, address: str, data_dir: Path, timeout: float = 10.0):
        try:
            from distributed import Client
        except ImportError:
            raise ConfigError(
                "--dask: the Dask client is not installed (pip install 'policytrack[dask]')"
            ) from None
        self.address = address
        try:
            self.client = Client(address, timeout=timeout, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as err:
            text = (str(err).strip().splitlines() or [type(err).__name__])[0]
            raise ConfigError(f"--dask {address}: cannot connect ({text})") from None
        raw = str(Path(data_dir) / "raw")
        blind = [w for w, ok in self.client.run(_sees, raw).items() if not ok]
        if blind:
            self.close()
            raise ConfigError(
                f"--dask {address}: worker(s) {', '.join(sorted(blind))} cannot see {raw} "
                "(the data directory must be on storage every worker shares, at the same path)"
            )

    def _submitter(self, fn, what: str):
        """submit(args) → a future of fn(*args) on some worker, one core each; keys name the
        pass, the source and this call."""
        run = uuid.uuid4().hex[:8]

        def submit(args):
            # `workers` (1: one core per task) goes by position: submit() keeps that keyword.
            key = f"{what}-{task_subject(args[1])}-{run}"
            return self.client.submit(fn, *args, 1, pure=False, key=key)

        return submit

    def map(self, fn, arglists: list[tuple], what: str) -> list:
        """Each task once on some worker (one core each), results in order. A task whose worker
        died is rerun by the scheduler; one that raised raises here."""
        from policytrack.pipeline.core.progress import track

        submit = self._submitter(fn, what)
        futures = [submit(args) for args in arglists]
        done = track(futures, f"{what} sources on {self.address}", total=len(futures))
        return [f.result() for f in done]

    def imap(self, fn, arglists: list[tuple], what: str):
        """Results in order, at most one task per worker thread (plus one) ahead of the
        consumer (see PoolRunner.imap)."""
        from policytrack.pipeline.jobs.pool import windowed

        window = self.width() + 1
        submit = self._submitter(fn, what)
        yield from windowed(submit, arglists, window, f"{what} sources on {self.address}")

    def runs_here(self, tasks: int) -> bool:
        return False

    def width(self) -> int:
        return max(sum(self.client.nthreads().values()), 1)  # (workers may join later)

    def close(self) -> None:
        client, self.client = getattr(self, "client", None), None
        if client is not None:
            client.close()
