"""Executing the report's notebooks: a few kernels, each reused for several notebooks.

A kernel costs about a second to start and another to import the stack (pandas, matplotlib, the
report package), so `KernelPool` starts one kernel per worker as soon as it is created (the
caller checks its tables meanwhile), imports the report package in each (`WARM_UP`), and then
feeds the notebooks to whichever kernel is free. Before each notebook the kernel's namespace is
cleared and its working directory set, so a notebook sees only its own variables, as in a fresh
kernel. Parameters are injected the way papermill does (a cell tagged `injected-parameters`
after the cell tagged `parameters`), so an executed notebook looks like papermill's. Each kernel
has one client (channels and the kernel_info handshake opened once) for all it executes.

A failing cell is one ReportError line: notebook, cell (its execution count), error. Each
kernel's own stderr (start-up chatter, crash tracebacks) goes to a log file, never to the
terminal; it is kept beside the failed build when a notebook fails.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import queue
import shutil
import tempfile
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from policytrack.pipeline.report.notebooks import ReportError

log = logging.getLogger(__name__)

# Run in each kernel once it is up, while the caller checks the tables: the imports every bundled
# notebook makes, matplotlib's figure module and the CJK font (one figure made, not drawn: a
# drawing here cost ~0.4 s and made the first chart no cheaper); the tables read are kept for
# the kernel's next notebooks (load.keep_tables). A failure here is ignored: the notebook that
# needs it reports it properly.
# Then the garbage collector: what is loaded now (the stack's modules, classes, caches) lives as
# long as the kernel, so it is frozen out of every later collection, and the young generation
# is collected every 50,000 allocations instead of 700 (a chart allocates hundreds of thousands
# of objects that mostly live until it is exported): about a tenth of the notebooks' CPU was
# the collector's, traversing the same long-lived objects again and again.
# Young-generation threshold while the report runs (kernels here, the report process in build.py).
YOUNG_COLLECTION_EVERY = 50_000
WARM_UP = f"""
try:
    from policytrack.pipeline.report import draw, export, fonts, html, load, params, views
    from policytrack.pipeline.report import plots_corpus, plots_diffusion, plots_flows, plots_terms
    fig, _, _ = draw.start("zh")
    draw.decorate(fig, "提法 Term 2024", "来源：样例")
    del fig
    load.keep_tables()  # the notebooks this kernel runs share the tables they read
except Exception:
    pass
import gc
gc.collect()
gc.freeze()
gc.set_threshold({YOUNG_COLLECTION_EVERY}, 20, 10)
del gc
"""
# The kernels keep no input history: IPython would write every cell to its SQLite file in
# ~/.ipython (a thread and a database write per cell) for a session nobody reopens.
KERNEL_ARGS = ["--HistoryManager.enabled=False"]
# A kernel that dies while starting (seen about once in a few hundred starts: it exits before
# replying to kernel_info, most likely a TCP port taken between jupyter_client's choice and the
# kernel's bind) is replaced once; a notebook never runs twice.
START_ATTEMPTS = 2
# Before each notebook: a namespace as empty as a fresh kernel's, the build folder as cwd.
RESET = "get_ipython().run_line_magic('reset', '-f')\nimport os as _os\n_os.chdir({cwd!r})\ndel _os"


@dataclass
class Job:
    notebook: Path  # the notebook to run
    out: Path  # the executed notebook is written here
    on_cell: Callable[[], None] | None = None  # called after each code cell
    on_done: Callable[[Path], None] | None = None  # called with `out` once it is written


class KernelPool:
    """`size` kernels started now, in the background; `run` executes notebooks on them, once.

    Each kernel lives in its own thread from start to shutdown (its sockets belong to that
    thread's event loop): it starts, warms up, waits for `run` (or `shutdown`), takes notebooks
    until none is left, and shuts down.
    """

    def __init__(self, size: int, kernel_name: str = "python3", startup_timeout: int = 60):
        self.kernel_name = kernel_name
        self.startup_timeout = startup_timeout
        self.logs = [_new_log() for _ in range(size)]
        self._go = threading.Event()
        self._task: tuple | None = None  # (queue of (index, Job), parameters, cwd, timeout)
        self._failed: dict[int, BaseException] = {}
        self._stop = threading.Event()
        self._spawned = [threading.Event() for _ in range(size)]
        self._threads = [
            threading.Thread(target=self._serve, args=(i,), name=f"kernel-{i}", daemon=True)
            for i in range(size)
        ]
        for t in self._threads:
            t.start()

    def wait_spawned(self, timeout: float | None = None) -> None:
        """Wait until every kernel process is launched (or failed to): launching takes this
        process's interpreter (jupyter_client's imports, the launch), so a caller with its own
        imports to do lets the kernels go first; they then boot beside it."""
        for event in self._spawned:
            event.wait(timeout)

    def run(self, jobs: Sequence[Job], parameters: dict, cwd: Path, timeout: int) -> None:
        """Execute every job, each kernel taking the next one when it is free. Every notebook
        started runs to its end; after a failure no new one starts; the first failure in job
        order is raised (the kernels' logs copied into `cwd` as `.kernel-<n>.log`)."""
        todo: queue.Queue[tuple[int, Job]] = queue.Queue()
        for item in enumerate(jobs):
            todo.put(item)
        self._task = (todo, parameters, cwd, timeout)
        self._go.set()
        for t in self._threads:
            t.join()
        if self._failed:
            for n, path in enumerate(self.logs):
                with contextlib.suppress(OSError):
                    shutil.copyfile(path, cwd / f".kernel-{n}.log")
            raise self._failed[min(self._failed)]

    def shutdown(self, wait: bool = True) -> None:
        """Stop every kernel (after `run`, or instead of it) and remove their logs. Without
        `wait` (an error or Ctrl-C on the way out), no notebook starts any more and the caller
        does not wait for the kernels: they exit with this process (ipykernel watches its
        parent)."""
        self._stop.set()
        self._go.set()
        for t in self._threads:
            t.join(None if wait else 2)
        for path in self.logs:
            path.unlink(missing_ok=True)

    def __enter__(self) -> KernelPool:
        return self

    def __exit__(self, exc_type, *exc) -> None:
        self.shutdown(wait=exc_type is None)

    def _serve(self, i: int) -> None:
        kernel: _Kernel | None = None
        error: BaseException | None = None
        try:
            for _ in range(START_ATTEMPTS):
                try:
                    kernel, error = self._boot(i), None
                    break
                except Exception as err:  # noqa: BLE001 - reported against its first notebook
                    error = err
                    if self._stop.is_set():
                        break
                    _note(self.logs[i], f"kernel start failed, starting another: {err!r}")
        except BaseException as err:  # Ctrl-C: not retried
            error = err
        finally:
            self._spawned[i].set()
        self._go.wait()
        try:
            if self._task is not None:
                self._work(kernel, error)
        finally:
            if kernel is not None:
                kernel.shutdown()
            _close_loop()

    def _boot(self, i: int) -> _Kernel:
        """A started and warmed-up kernel; shut down again if its warm-up fails (it died
        before replying to kernel_info, or did not answer in time)."""
        kernel = _Kernel(self.kernel_name, self.logs[i], self.startup_timeout)
        self._spawned[i].set()
        try:
            # While the kernel boots: what executing a notebook imports here (papermill alone
            # is half a second), so the first notebook does not wait for it.
            import nbclient  # noqa: F401
            import nbformat  # noqa: F401
            import papermill.execute  # noqa: F401

            if not (self._go.is_set() and self._task is None):  # not shut down unused
                kernel.hidden(WARM_UP)
        except BaseException:
            kernel.shutdown()
            raise
        return kernel

    def _work(self, kernel: _Kernel | None, error: BaseException | None) -> None:
        todo, parameters, cwd, timeout = self._task
        while not self._stop.is_set():
            try:
                index, job = todo.get_nowait()
            except queue.Empty:
                return
            try:
                if kernel is None:
                    raise ReportError(
                        f"{job.notebook.name}: kernel did not start: {_first_line(error)}"
                    ) from error
                kernel.execute(job, parameters, cwd, timeout)
                if job.on_done:
                    job.on_done(job.out)
            except BaseException as err:
                self._failed[index] = err
                self._stop.set()


def _close_loop() -> None:
    """Close the event loop jupyter_core's run_sync made for this thread (it would otherwise be
    left for the garbage collector, with a ResourceWarning)."""
    from jupyter_core.utils import ensure_event_loop

    loop = ensure_event_loop()
    if not loop.is_running():
        loop.close()


def _note(path: Path, line: str) -> None:
    with contextlib.suppress(OSError), open(path, "a", encoding="utf-8") as fh:
        fh.write(f"policytrack: {line}\n")


def _new_log() -> Path:
    fd, path = tempfile.mkstemp(prefix="policytrack-kernel-", suffix=".log")
    os.close(fd)
    return Path(path)


class _Kernel:
    """One running kernel and the notebooks it executes, one at a time, in the calling thread's
    event loop (jupyter_core's run_sync keeps one loop per thread)."""

    def __init__(self, kernel_name: str, log_path: Path, startup_timeout: int):
        from jupyter_core.utils import run_sync

        self._run_sync = run_sync
        self.km = _kernel_manager(log_path)(kernel_name=kernel_name)
        run_sync(self.km.start_kernel)(extra_arguments=KERNEL_ARGS)
        self.startup_timeout = startup_timeout

        # One client (its channels, the kernel_info handshake) for every notebook and hidden
        # cell: the first NotebookClient opens it, the others reuse it; closed at shutdown.
        self.kc = None

    def hidden(self, code: str) -> None:
        """Run `code` in the kernel as a throwaway one-cell notebook (outputs discarded)."""
        import nbformat

        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_code_cell(code)]
        self._client(nb, timeout=self.startup_timeout).execute()

    def _client(self, nb, timeout: int, on_cell=None):
        from nbclient import NotebookClient

        hooks = {"on_cell_executed": lambda **_: on_cell()} if on_cell else {}
        client = NotebookClient(
            nb,
            km=self.km,
            timeout=timeout,
            startup_timeout=self.startup_timeout,
            allow_errors=False,
            **hooks,
        )
        return _SharedClient(client, self)

    def execute(self, job: Job, parameters: dict, cwd: Path, timeout: int) -> None:
        import nbformat
        from nbclient.exceptions import CellExecutionError
        from papermill.execute import prepare_notebook_metadata
        from papermill.iorw import load_notebook_node
        from papermill.parameterize import parameterize_notebook

        self.hidden(RESET.format(cwd=str(cwd)))
        nb = load_notebook_node(str(job.notebook))  # papermill's metadata defaults
        nb = prepare_notebook_metadata(nb, str(job.notebook), str(job.out))
        nb = parameterize_notebook(nb, parameters, kernel_name=self.km.kernel_name)
        try:
            self._client(nb, timeout, job.on_cell).execute()
        except CellExecutionError as err:
            nbformat.write(nb, job.out)  # kept in the failed build, traceback included
            reason = (err.evalue or "").strip().splitlines()
            count = _failed_count(nb)
            raise ReportError(
                f"{job.notebook.name}: cell {count} failed: {err.ename}: "
                f"{reason[0] if reason else ''}"
            ) from err
        except Exception as err:  # kernel died, timed out
            with contextlib.suppress(Exception):
                nbformat.write(nb, job.out)
            raise ReportError(
                f"{job.notebook.name}: execution failed: {type(err).__name__}: {_first_line(err)}"
            ) from err
        nbformat.write(nb, job.out)

    def shutdown(self) -> None:
        if self.kc is not None:
            with contextlib.suppress(Exception):
                self.kc.stop_channels()
        with contextlib.suppress(Exception):
            self._run_sync(self.km.shutdown_kernel)(now=True)


class _SharedClient:
    """Runs a NotebookClient on the kernel's one client (channels opened once, by the first)."""

    def __init__(self, client, kernel: _Kernel):
        self.client = client
        self.kernel = kernel

    def execute(self):
        self.client.kc = self.kernel.kc  # None the first time: nbclient opens it
        try:
            return self.client.execute()
        except Exception:
            # nbclient registers an exit hook before opening the client and leaves it behind
            # when the kernel dies first; at exit it would fail on the manager it cleared.
            atexit.unregister(self.client._cleanup_kernel)
            raise
        finally:
            self.kernel.kc = self.client.kc


def _failed_count(nb) -> int | str:
    for cell in nb.cells:
        if cell.cell_type == "code" and any(o.output_type == "error" for o in cell.outputs):
            return cell.execution_count
    return "?"


def _first_line(err: BaseException) -> str:
    return (str(err).strip().splitlines() or [""])[0]


def _kernel_manager(stderr_path: Path):
    """A kernel manager whose kernel writes its stderr (start-up chatter, shutdown noise, crash
    tracebacks) to a file instead of the user's terminal."""
    from jupyter_client.manager import AsyncKernelManager

    class FileStderrKernelManager(AsyncKernelManager):
        async def start_kernel(self, **kw):
            with open(stderr_path, "ab") as sink:  # the kernel keeps its own copy of the fd
                kw["stdout"] = kw["stderr"] = sink
                return await super().start_kernel(**kw)

    return FileStderrKernelManager
