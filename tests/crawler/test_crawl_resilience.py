"""Crashes, transient failures, two-hop navigation and `scrapy crawl`, against small mirrors."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from policytrack.pipeline.store.rawstore import locked
from policytrack.sample.site.content import TZGG, XWZX, filler_notices, hexid, load_sample
from policytrack.sample.site.mirror import MirrorSite
from tests.support.procs import FAST, crawl_command, run_crawl

pytestmark = [pytest.mark.xdist_group("crawl_small"), pytest.mark.slow]  # end to end


def small_site(**kw) -> MirrorSite:
    return MirrorSite(load_sample() + filler_notices(6), per_page=6, **kw)


def records(data: Path) -> list[dict]:
    path = data / "raw" / "hbkx" / "manifest.jsonl"
    return (
        [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]
        if path.exists()
        else []
    )


def collected(data: Path) -> list[tuple[str, int]]:
    return sorted((r["series"], r["year"]) for r in records(data))


EXPECTED = sorted(
    [("市科协工作要点", y) for y in (2018, 2019, 2020, 2022, 2023, 2024)]
    + [("市科协科普部科普工作要点", y) for y in (2022, 2023, 2024)]
)


def test_crash_between_files_and_record_does_not_lose_the_notice(tmp_path):
    """The deltafetch pitfall: a notice must not count as known before its record is on disk."""
    site = small_site()
    data = tmp_path / "data"
    manifest = data / "raw" / "hbkx" / "manifest.jsonl"
    with site.serve() as base, locked(manifest):
        # Holding the manifest lock freezes the crawler right after it stored the first files.
        proc = subprocess.Popen(
            crawl_command(data, base, "hbkx"),
            cwd=tmp_path, env={**os.environ, "CI": "true"},
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        stored: list[Path] = []
        while not stored and time.monotonic() < deadline:
            # (".name.*.tmp" is an atomic write in progress, not a stored file)
            stored = [p for p in (data / "raw" / "hbkx").glob("20*/[!.]*") if p.is_file()]
            time.sleep(0.05)
        time.sleep(0.3)
        proc.send_signal(signal.SIGKILL)  # the crash: files on disk, no record
        proc.wait()
    assert stored, "the crawler never stored a file"
    assert records(data) == []
    assert not (data / "raw" / "hbkx" / "crawlstate.json").exists()

    with site.serve() as base:
        run = run_crawl(data, base, "hbkx")
    assert run.returncode == 0, run.stderr
    assert collected(data) == EXPECTED  # every notice exactly once
    paths = {p for r in records(data) for p in r["files"]}
    assert {str(p.relative_to(data / "raw" / "hbkx")) for p in stored} <= paths  # files reused


def committing_processes(data: Path) -> list[int]:
    """Pids of the crawler/commitd.py processes storing into `data`."""
    out = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            args = cmdline.read_bytes().split(b"\0")
        except OSError:
            continue
        if any(b"policytrack.crawler.commitd" in a for a in args) and str(data).encode() in args:
            out.append(int(cmdline.parent.name))
    return out


def test_a_killed_committing_process_fails_its_notices_and_loses_nothing(tmp_path):
    """The committing process dies holding notices (here: blocked on the manifest lock): they
    fail with the reason, stay unknown, and the next crawl stores every notice once."""
    site = small_site()
    data = tmp_path / "data"
    manifest = data / "raw" / "hbkx" / "manifest.jsonl"
    with site.serve() as base:
        with locked(manifest):
            proc = subprocess.Popen(
                crawl_command(data, base, "hbkx"),
                cwd=tmp_path, env={**os.environ, "CI": "true"},
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            )  # fmt: skip
            deadline = time.monotonic() + 30
            while not (pids := committing_processes(data)) or not list(data.glob("raw/hbkx/20*/*")):
                assert time.monotonic() < deadline, "no committing process with files on disk"
                time.sleep(0.05)
            for pid in pids:
                os.kill(pid, signal.SIGKILL)
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 1, err
        failed = [ln for ln in err.splitlines() if ln.strip().startswith("failed: ")]
        assert failed and all(
            "could not store: the committing process ended (killed by signal 9)" in ln
            for ln in failed
        ), err
        stored_first = collected(data)
        assert len(stored_first) + len(failed) == len(EXPECTED)  # each notice: stored or failed
        again = run_crawl(data, base, "hbkx")
    assert again.returncode == 0, again.stderr
    assert collected(data) == EXPECTED  # every notice exactly once
    assert committing_processes(data) == []  # none left behind


def test_transient_failure_is_retried_by_the_next_crawl(tmp_path):
    site = small_site(dropdown=False)  # 通知公告 only reachable through 新闻中心
    a2023 = next(n for n in site.notices if n.sample == "notices/a-2023.txt")
    a2023.fail_first = 4  # every attempt of the first crawl (1 + RETRY_TIMES=3) gets a 500
    site.rebuild()
    data = tmp_path / "data"
    with site.serve() as base:
        first = run_crawl(data, base, "hbkx")
        assert first.returncode == 1
        assert first.failures == [f"{base}{a2023.url}: HTTP 500; retried next crawl"]
        assert ("市科协工作要点", 2023) not in collected(data)
        state = json.loads((data / "raw" / "hbkx" / "crawlstate.json").read_text())
        assert state["pending"][a2023.url]["attempts"] == 1

        n = len(site.requests)
        second = run_crawl(data, base, "hbkx")
        paths = [r.path for r in site.requests_since(n)]
    assert second.returncode == 0, second.stderr
    assert collected(data) == EXPECTED
    # The pending notice directly, then home → 新闻中心 → 通知公告 page 1 (only known notices).
    assert sorted(p for p in paths if p != "/robots.txt") == sorted(
        [a2023.url, "/", f"/news/list?columnid={XWZX}", f"/news/list?columnid={TZGG}"]
    )
    state = json.loads((data / "raw" / "hbkx" / "crawlstate.json").read_text())
    assert state["pending"] == {}


def test_scrapy_crawl_generic_works_too(tmp_path):
    site = small_site()
    data = tmp_path / "data"
    scrapy = Path(os.environ.get("VIRTUAL_ENV", "")) / "bin" / "scrapy"
    exe = (
        str(scrapy)
        if scrapy.exists()
        else str(Path(crawl_command(data, None)[0]).with_name("scrapy"))
    )
    with site.serve() as base:
        cmd = [
            exe,
            "crawl",
            "generic",
            "-a",
            "source=hbkx",
            "-a",
            f"data={data}",
            "-a",
            f"base_url={base}",
        ]
        for k, v in FAST.items():
            cmd += ["-s", f"{k}={v}"]
        proc = subprocess.run(
            cmd, cwd=tmp_path, capture_output=True, text=True,
            env={**os.environ, "SCRAPY_SETTINGS_MODULE": "policytrack.crawler.settings", "CI": "true"},
        )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert collected(data) == EXPECTED
    assert hexid("sample", "notices/a-2019.txt") in {r["url"].split("=")[-1] for r in records(data)}


def test_widening_the_title_filter_walks_the_column_again(tmp_path):
    """Entries skipped under a narrow filter are `seen`; after widening it, the older matching
    notices on later list pages must still be found (the walk is tied to the filter)."""
    site = small_site()
    data = tmp_path / "data"
    narrow = tmp_path / "narrow.toml"
    narrow.write_text("[defaults]\ntitle_include = ['2024年[^，。]*?工作要点']\n", encoding="utf-8")
    state_file = data / "raw" / "hbkx" / "crawlstate.json"
    column = "column:新闻中心>通知公告"
    with site.serve() as base:
        first = run_crawl(data, base, "hbkx", "--sources", str(narrow))
        assert first.returncode == 0, first.stderr
        assert collected(data) == [("市科协工作要点", 2024), ("市科协科普部科普工作要点", 2024)]
        narrow_walk = json.loads(state_file.read_text())["walked_with"][column]

        n = len(site.requests)
        same = run_crawl(data, base, "hbkx", "--sources", str(narrow))
        lists = [r.path for r in site.requests_since(n) if r.path.startswith("/news/list")]
        assert same.returncode == 0, same.stderr
        assert lists == [f"/news/list?columnid={TZGG}"]  # same filter: stops at page 1

        wide = run_crawl(data, base, "hbkx")
    assert wide.returncode == 0, wide.stderr
    assert collected(data) == EXPECTED  # the older 工作要点 on pages 2 and 3 as well
    state = json.loads(state_file.read_text())
    assert state["walked"] == {column: True}
    assert state["walked_with"][column] not in ("", narrow_walk)
