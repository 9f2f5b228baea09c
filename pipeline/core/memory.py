"""Give freed memory back to the operating system between the build's stages and sources.

A stage that frees its objects does not shrink the process: glibc keeps freed heap pages for
reuse, and pyarrow's allocator (mimalloc) keeps its own. Measured on a 10× corpus, the build
process held ≈ 600 MB after the lexicon stage with nothing alive, ≈ 260 MB after a release;
the next source's analysis then grew from there, so the peak was the sum. `release()` returns
both (it touches pyarrow only if something already imported it).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import functools
import gc
import sys
from collections.abc import Callable


@functools.cache
def _malloc_trim():
    """glibc's malloc_trim, or None (musl, macOS: nothing to call)."""
    with contextlib.suppress(OSError, AttributeError, TypeError):
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    return None


def release() -> None:
    """Collect garbage, then hand free heap pages back (pyarrow's pool, then glibc's)."""
    gc.collect()
    pa = sys.modules.get("pyarrow")
    if pa is not None:
        with contextlib.suppress(Exception):  # best effort: a pool without the call
            pa.default_memory_pool().release_unused()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


def releasing(task: Callable) -> Callable:
    """A build task that releases its heap when it did work (not for `check_only` calls): in a
    `--jobs 1` build the next source's task, in a pool or Dask worker the worker's next task,
    starts from a process that gave back what this one freed."""

    @functools.wraps(task)
    def run(*args, **kwargs):
        try:
            return task(*args, **kwargs)
        finally:
            if not kwargs.get("check_only"):
                release()

    return run
