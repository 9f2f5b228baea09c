"""The build gives freed heap back between sources (pipeline/core/memory.py)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from policytrack.pipeline.core import memory

# Fragmented heap: 200 MB of 4 KB blocks freed around a survivor every 50 blocks, so glibc
# cannot shrink the heap's top by itself; release() must hand the free pages back.
FRAGMENTED = """
import sys
from policytrack.pipeline.core import memory

def rss():
    with open("/proc/self/status") as f:
        return next(int(l.split()[1]) // 1024 for l in f if l.startswith("VmRSS"))

blocks = [bytearray(4000) for _ in range(50000)]
survivors = blocks[::50]
del blocks
before = rss()
memory.release()
print(before, rss())
"""


@pytest.mark.skipif(memory._malloc_trim() is None, reason="no glibc malloc_trim on this system")
def test_release_returns_freed_heap_pages_to_the_system():
    out = subprocess.run(
        [sys.executable, "-c", FRAGMENTED], capture_output=True, text=True, check=True
    ).stdout
    before, after = map(int, out.split())
    assert before >= 150, out  # the freed blocks were still counted in RSS
    assert before - after >= 120, out  # and release() gave most of them back


def test_a_releasing_task_releases_after_work_and_after_a_failure_not_after_a_check(monkeypatch):
    calls = []
    monkeypatch.setattr(memory, "release", lambda: calls.append("release"))

    @memory.releasing
    def task(x, workers=1, *, check_only=False):
        calls.append(("task", x, check_only))
        if x == "bad":
            raise ValueError("broken source")
        return None if check_only else {"source": x}

    assert task("a", check_only=True) is None
    assert calls == [("task", "a", True)]
    assert task("a", 1) == {"source": "a"}
    assert calls[1:] == [("task", "a", False), "release"]
    with pytest.raises(ValueError, match="broken source"):
        task("bad")
    assert calls[3:] == [("task", "bad", False), "release"]
    assert task.__name__ == "task"  # pool and Dask workers pickle it by name
