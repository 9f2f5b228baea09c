"""crawler/commitd.py, the crawl's committing process, driven through its pipes as the crawler
drives it: a batch committed in order with a failing notice failing alone, a page another worker
stored answered as known, Ctrl-C left to the crawler, and death with the crawler."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

from policytrack.crawler import commitd
from policytrack.crawler.store import Commit
from policytrack.pipeline.store.rawstore import RawStore

from .test_crawl_store import URL, item, lines


def command(store: RawStore, parent: int | None = None) -> list[str]:
    return [sys.executable, "-m", "policytrack.crawler.commitd", str(store.data_dir),
            store.source, str(parent or os.getpid())]  # fmt: skip


def notices(store: RawStore, years: list[int]) -> list[bytes]:
    """One request frame per year: notice i at URL + i, its page "<p>i</p>"."""
    commit = Commit(store)
    out = []
    for i, year in enumerate(years):
        it = replace(item(f"<p>{i}</p>".encode()), url=f"{URL}{i}", key=f"/k{i}", year=year)
        out.append(b"".join(commitd.request(f"t{i}", commit.stage(it, None))))
    return out


def answers(out: bytes) -> list[list]:
    buf = bytearray(out)
    got = commitd.frames(buf)
    assert not buf, "a partial answer frame"
    return got


def run(store: RawStore, frames: list[bytes]) -> tuple[int, list[list]]:
    """Send the frames in one write (one batch), close the input; (exit code, answer frames)."""
    proc = subprocess.run(command(store), input=b"".join(frames), capture_output=True, timeout=60)
    assert proc.stderr == b""
    return proc.returncode, answers(proc.stdout)


def test_a_batch_is_committed_in_order_and_a_failing_notice_fails_alone(tmp_path):
    store = RawStore(tmp_path / "data", "hbkx")
    store.root.mkdir(parents=True)
    (store.root / "2019").write_text("not a folder")  # the 2019 notice cannot be written
    code, got = run(store, notices(store, [2023, 2019, 2024, 2023]))
    assert code == 0
    assert len(got) == 1  # arrived together: one batch, one answer
    assert [token for token, _ in got[0]] == ["t0", "t1", "t2", "t3"]
    outcomes = [outcome for _, outcome in got[0]]
    assert outcomes[0] == outcomes[2] == outcomes[3] == commitd.STORED
    assert isinstance(outcomes[1], FileExistsError)  # makedirs on the file: the exception itself
    assert [r["url"] for r in lines(store)] == [f"{URL}0", f"{URL}2", f"{URL}3"]
    for rec in lines(store):
        assert (store.root / rec["path"]).read_bytes() == f"<p>{rec['url'][-1]}</p>".encode()
    assert not list(store.root.rglob(".*tmp-*"))  # no temporary file left behind


def test_a_page_the_manifest_has_as_latest_is_answered_known(tmp_path):
    store = RawStore(tmp_path / "data", "hbkx")
    assert run(store, notices(store, [2023]))[1] == [[("t0", commitd.STORED)]]
    # Another worker's committing process, sent the same page: nothing appended.
    assert run(store, notices(store, [2023]))[1] == [[("t0", commitd.KNOWN)]]
    assert len(lines(store)) == 1


def test_ctrl_c_is_left_to_the_crawler_and_end_of_input_commits(tmp_path):
    store = RawStore(tmp_path / "data", "hbkx")
    proc = subprocess.Popen(command(store), stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        first, second = notices(store, [2023, 2024])
        proc.stdin.write(first)
        proc.stdin.flush()
        head = os.read(proc.stdout.fileno(), 4)  # the first answer: it is up and committing
        proc.send_signal(signal.SIGINT)  # the terminal's Ctrl-C reaches the whole group
        proc.send_signal(signal.SIGTERM)
        time.sleep(0.2)
        assert proc.poll() is None
        proc.stdin.write(second)
        proc.stdin.close()  # the crawler has stopped
        rest = proc.stdout.read()
        assert proc.wait(timeout=30) == 0
    finally:
        proc.kill()
    outcomes = [a for frame in answers(head + rest) for a in frame]
    assert outcomes == [("t0", commitd.STORED), ("t1", commitd.STORED)]
    assert [r["url"] for r in lines(store)] == [f"{URL}0", f"{URL}1"]


def state(pid: int) -> str | None:
    """The process's state letter, None once it is gone."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return None
    return next(line.split()[1] for line in text.splitlines() if line.startswith("State:"))


def test_it_dies_with_the_crawler(tmp_path):
    """Its input held open elsewhere (here: by the test), only the crawler's death ends it."""
    store = RawStore(tmp_path / "data", "hbkx")
    read, write = os.pipe()
    crawler = subprocess.Popen(
        [sys.executable, "-c", "import os, subprocess, sys; "
         f"p = subprocess.Popen({command(store, 0)[:-1]!r} + [str(os.getpid())]); "
         "print(p.pid, flush=True); p.wait()"],
        stdin=read, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    os.close(read)
    try:
        child = int(crawler.stdout.readline())
        os.write(write, notices(store, [2023])[0])
        deadline = time.monotonic() + 30
        while not (store.manifest.exists() and lines(store)):
            assert time.monotonic() < deadline, "never committed"
            time.sleep(0.02)
        assert state(child) not in (None, "Z")
        crawler.send_signal(signal.SIGKILL)
        crawler.wait()
        deadline = time.monotonic() + 10
        while state(child) not in (None, "Z"):  # a zombie, when nobody reaps orphans here
            assert time.monotonic() < deadline, "the committing process outlived the crawler"
            time.sleep(0.02)
    finally:
        os.close(write)
    assert [json.loads(x)["url"] for x in store.manifest.read_text().splitlines()] == [f"{URL}0"]


# -- the crawler's end (commitd.Client), under Scrapy's reactor in a process of its own --------


def client(tmp_path: Path, n: int, *extra: str) -> dict:
    data = tmp_path / "data"
    proc = subprocess.run(
        [sys.executable, "-m", "tests.support.commitd_client", str(data), str(n), *extra],
        cwd=Path(__file__).resolve().parents[2], capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_the_client_commits_and_closes(tmp_path):
    got = client(tmp_path, 3)
    assert (got["outcomes"], got["warnings"], got["closed"]) == (["stored"] * 3, [], True)
    assert [r["url"][-1] for r in lines(RawStore(tmp_path / "data", "hbkx"))] == ["0", "1", "2"]


def test_ctrl_c_while_it_starts_is_held_back_then_ignored(tmp_path):
    """SIGINT and SIGTERM sent the moment it is spawned (Python not even started): blocked by
    the crawler across the spawn, ignored by the child before it unblocks them."""
    got = client(tmp_path, 2, "--interrupt")
    assert (got["outcomes"], got["warnings"], got["closed"]) == (["stored", "stored"], [], True)


def test_an_interpreter_that_cannot_be_run_fails_each_notice_and_close_returns(tmp_path):
    got = client(tmp_path, 2, "--python", str(tmp_path / "no-python"))
    why = (
        f"error: could not start the committing process ({tmp_path / 'no-python'}): "
        f"[Errno 2] No such file or directory: '{tmp_path / 'no-python'}'"
    )
    assert (got["outcomes"], got["warnings"], got["closed"]) == ([why, why], [], True)


def test_a_process_that_cannot_start_is_not_started_again_and_its_reason_is_given(tmp_path):
    starts = tmp_path / "starts"
    fake = tmp_path / "python"  # an interpreter without policytrack, as it fails
    fake.write_text(
        f"#!/bin/sh\necho start >> {starts}\necho 'Traceback (most recent call last):' >&2\n"
        "echo \"ModuleNotFoundError: No module named 'policytrack'\" >&2\nexit 1\n"
    )
    fake.chmod(0o755)
    got = client(tmp_path, 3, "--python", str(fake))
    why = "the committing process ended (exit status 1): ModuleNotFoundError: No module named 'policytrack'"  # fmt: skip
    assert (got["outcomes"], got["warnings"], got["closed"]) == (
        [f"error: {why}"] * 3,
        [f"{tmp_path / 'data' / 'raw' / 'hbkx'}: {why}"],
        True,
    )
    assert starts.read_text() == "start\n"  # once: the next notices fail at once


def test_notices_wait_for_room_when_the_bytes_in_flight_reach_the_budget(tmp_path):
    """20 notices of 1 MB sent at once with a 3 MB budget: at most 3 MB and one notice are ever
    waiting for an answer, and all are stored."""
    got = client(tmp_path, 20, "--concurrent", "--budget", str(3 << 20), "--size", str(1 << 20))
    assert got["outcomes"] == ["stored"] * 20 and got["closed"]
    assert (3 << 20) <= got["max_in_flight"] < (4 << 20) + 4096
    assert len(lines(RawStore(tmp_path / "data", "hbkx"))) == 20


def test_frames_split_anywhere_are_read_whole(tmp_path):
    store = RawStore(tmp_path / "data", "hbkx")
    big = replace(item(b"x" * (3 << 20)), url=URL + "big")  # a 3 MB page
    stream = b"".join(commitd.request(1, Commit(store).stage(big, None)))
    stream += b"".join(notices(store, [2023]))
    buf, got = bytearray(), []
    for at in range(0, len(stream), 65_521):  # pieces that cut headers and payloads
        buf += stream[at : at + 65_521]
        got += commitd.frames(buf)
    assert not buf
    assert [(f[0], f[1], len(f[4][0][0])) for f in got] == [
        (1, URL + "big", 3 << 20),
        ("t0", URL + "0", len(b"<p>0</p>")),
    ]


def test_a_batch_the_manifest_cannot_take_is_rolled_back_whole(tmp_path):
    """The manifest hits the file-size limit part-way through a batch's append: the partial
    lines are cut off again, every notice of the batch fails naming the manifest, and none of
    them counts as recorded (sent again, it is stored)."""
    import resource

    store = RawStore(tmp_path / "data", "hbkx")
    batch = notices(store, [2023] * 5)
    line = len(Commit(store).stage(item(), None).line)
    limit = 2 * line + line // 2  # two records and a half

    def small_files():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    proc = subprocess.Popen(
        command(store), stdin=subprocess.PIPE, stdout=subprocess.PIPE, preexec_fn=small_files
    )
    try:
        proc.stdin.write(b"".join(batch))
        proc.stdin.flush()
        first = os.read(proc.stdout.fileno(), 1 << 20)
        assert store.manifest.read_bytes() == b""  # the partial append, cut off again
        proc.stdin.write(batch[0])  # the same notice again: not known, so stored
        proc.stdin.close()
        rest = proc.stdout.read()
        assert proc.wait(timeout=30) == 0
    finally:
        proc.kill()
    got = answers(first + rest)
    assert [token for token, _ in got[0]] == ["t0", "t1", "t2", "t3", "t4"]
    assert {str(outcome) for _, outcome in got[0]} == {
        f"[Errno 27] File too large: '{store.manifest}'"
    }
    assert got[1] == [("t0", commitd.STORED)]
    assert [r["url"] for r in lines(store)] == [f"{URL}0"]
