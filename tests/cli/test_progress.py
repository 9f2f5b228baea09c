"""Progress bars (core/progress.py): nested bars on a terminal, nothing in CI or when piped, and
`track(iterable, description, total)` yielding every item either way."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
import textwrap

from policytrack.pipeline.core import progress

CHILD = textwrap.dedent(
    """
    import logging, threading, time
    from policytrack.pipeline.core import progress
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    seen = []
    for source in progress.track(["gwr", "demo"], "build: sources"):
        for i in progress.track(range(3), f"parsing {source}"):
            time.sleep(0.15)
            seen.append((source, i))
        logging.getLogger("x").warning("a warning while %s shows", source)
    def notebook(n):
        with progress.task(f"report: 0{n}", total=2) as bar:
            for _ in range(2):
                time.sleep(0.15)
                bar.advance()
    threads = [threading.Thread(target=notebook, args=(n,)) for n in (1, 2)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    print("items", len(seen))
    """
)


def run_child(env: dict, tty: bool) -> tuple[str, str]:
    environ = {k: v for k, v in os.environ.items() if k not in ("CI", "POLICYTRACK_PROGRESS")}
    environ |= env
    if not tty:
        proc = subprocess.run(
            [sys.executable, "-c", CHILD], env=environ, capture_output=True, text=True, timeout=60
        )
        return proc.stdout, proc.stderr
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD], env=environ, stdout=subprocess.PIPE, stderr=follower
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 65536)
        except OSError:  # the child closed its end
            break
        if not data:
            break
        chunks.append(data)
    out = proc.communicate(timeout=60)[0].decode()
    os.close(leader)
    return out, b"".join(chunks).decode("utf-8", "replace")


def test_bars_on_a_terminal_nest_and_logs_print_above_them():
    out, err = run_child({}, tty=True)
    assert out == "items 6\n"
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", err)
    for description in (
        "build: sources",
        "parsing gwr",
        "parsing demo",
        "report: 01",
        "report: 02",
    ):
        assert description in plain, description
    # a bar for the inner loop shows while the outer one is open: the same frame has both
    assert re.search(r"build: sources[^\n]*\n+[^\n]*parsing gwr", plain.replace("\r", "\n"))
    lines = plain.replace("\r", "\n").splitlines()
    assert "WARNING a warning while gwr shows" in lines  # a whole line, not mixed into a bar


def test_quiet_in_ci_and_when_piped():
    for env in ({"CI": "true", "POLICYTRACK_PROGRESS": "1"}, {}):
        out, err = run_child(env, tty=env == {"CI": "true", "POLICYTRACK_PROGRESS": "1"})
        assert out == "items 6\n"
        assert "parsing" not in err and "report: 01" not in err
        assert "WARNING a warning while gwr shows" in err


def test_track_yields_every_item_without_a_display(monkeypatch):
    monkeypatch.setenv("CI", "true")
    assert list(progress.track(iter(range(5)), "x", total=5)) == [0, 1, 2, 3, 4]
    assert list(progress.track([], "x")) == []
    with progress.task("y", total=2) as bar:
        bar.advance()
        bar.update(description="z")
