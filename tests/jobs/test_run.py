"""`policytrack run` end to end: cold run, warm run, a new notice, and the faults of a nightly job.

Each run is a child process crawling a mirror of the sample site over real HTTP. The report is
limited to notebook 01 to keep the suite quick (the notebooks themselves are tested elsewhere).
"""

from __future__ import annotations

import json
import re
import socket
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from policytrack.pipeline.store import layout
from policytrack.sample.site.content import TZGG
from tests.support.run import (
    manifest,
    notice_2025,
    run_args,
    run_cli,
    site,
    stats_lines,
    table,
    temp_leftovers,
    write_sources,
)

pytestmark = [pytest.mark.xdist_group("run"), pytest.mark.slow]  # end to end


@pytest.fixture
def mirror():
    s = site()
    with s.serve():
        yield s


@pytest.fixture
def work(tmp_path, mirror) -> Path:
    write_sources(tmp_path / "sources.toml", mirror.base_url)
    return tmp_path


def job(work: Path, *more: str):
    args = run_args(work / "data", work / "sources.toml", work / "reports", "--notebook", "01")
    return run_cli(args + list(more), cwd=work)


class Run:
    def __init__(self, work: Path, mirror, *more: str):
        n = len(mirror.requests)
        self.proc = job(work, *more)
        self.requests = mirror.requests_since(n)
        self.out = self.proc.stdout
        self.stats = [s for s in stats_lines(work / "data") if s["run"] == self.run_id]

    @property
    def run_id(self) -> str:
        return re.search(r"^policytrack run (\S+)", self.out, re.M).group(1)

    def line(self, prefix: str) -> str:
        return next(ln for ln in self.out.splitlines() if ln.startswith(prefix))


def cold_index(run: Run) -> Path:
    return Path(run.line("report  ").split()[1])


def test_cold_warm_and_a_new_notice(work, mirror):
    """One scenario in one test (it must run in one process, in this order)."""
    cold = Run(work, mirror)
    check_cold(cold, work)
    check_cold_summary(cold)
    check_cold_stats_and_log(cold, work)

    tables = {n: table(work / "data", n) for n in ("documents", "items", "terms")}
    index = cold_index(cold)
    index_bytes = index.read_bytes()
    warm = Run(work, mirror)
    check_warm(warm, work, tables, index, index_bytes)

    mirror.add(notice_2025())
    check_new_notice(Run(work, mirror, "--no-report"), work)  # test_run_kill: report rebuilt


# -- cold run ------------------------------------------------------------------------------------


def check_cold(cold, work):
    assert cold.proc.returncode == 0, cold.proc.stderr
    assert "first run: everything is new" in cold.out
    assert cold.line("crawl   demo:") == (
        "crawl   demo: 9 new, 0 unchanged, 9 listed; 15 requests (HTTP 200×15), 0 errors"
    )
    assert cold.line("build   ").startswith("build   parsed 9, reused 0, aligned demo; 9 documents")
    index = cold_index(cold)
    assert index == work / "reports" / date.today().isoformat() / "index.html"
    assert "样例数据" in index.read_text(encoding="utf-8")  # the demo source is sample data
    assert (index.parent / "01_corpus_overview.html").is_file()
    assert cold.line("new notices:") == "new notices: 9"
    assert cold.out.rstrip().splitlines()[-1].startswith("exit 0 (ok); log: ")


def check_cold_summary(cold):
    text = cold.out
    # 2022 against 2020 (2021 is missing in the sample): exact sets from sample/gold/intent.json.
    block = text[text.index("+ 2022 市科协2022年工作要点") :].splitlines()[:3]
    assert block[1].split(": ", 1)[1].split("、") == [
        "双碳", "全民科学素质行动规划纲要（2021—2035年）", "十四五", "双减", "科技工作者之家",
    ]  # fmt: skip
    assert set(block[2].split(": ", 1)[1].split("、")) == {
        "三大攻坚战", "服务发展年", "十三五", "面向建设世界科技强国的中国科协规划纲要",
    }  # fmt: skip
    assert block[2].startswith("        fading since 2020: ")
    first = text[text.index("+ 2022 市科协科普部2022年科普工作要点") :].splitlines()[1]
    assert first.strip() == "first of its series"


def check_cold_stats_and_log(cold, work):
    [s] = cold.stats
    assert s["source"] == "demo" and s["ok"] is True and s["close_reason"] == "finished"
    assert (s["requests"], s["new_notices"], s["errors"], s["list_pages"]) == (15, 9, 0, 2)
    assert s["http"] == {"200": 15}
    assert s["requests_by_kind"] == {
        "attachment": 2, "detail": 9, "home": 1, "list": 2, "robots": 1,
    }  # fmt: skip
    assert s["notices_found"] == 9 and s["list_entries"] == 23
    assert s["selector_misses"] == []
    log = Path(cold.out.rstrip().splitlines()[-1].split("log: ")[1])
    assert log.parent == work / "data" / "logs" and log.name.startswith("run-")
    assert "crawl   demo: 9 new" in log.read_text(encoding="utf-8")  # the summary is logged
    assert len(manifest(work / "data")) == 9


# -- warm run ------------------------------------------------------------------------------------


def check_warm(warm, work, cold_tables, index, index_bytes):
    assert warm.proc.returncode == 0, warm.proc.stderr
    assert warm.line("crawl   demo:").startswith("crawl   demo: 0 new, 0 unchanged")
    assert sorted(r.path.split("?")[0] for r in warm.requests) == ["/", "/news/list", "/robots.txt"]
    assert warm.line("build   ") == "build   nothing new: no parsing or alignment (9 documents)"
    assert warm.line("report  ") == (
        f"report  not rebuilt (no table changed since that report): {index}"
    )
    assert index.read_bytes() == index_bytes
    assert warm.line("new notices:") == "new notices: none"
    for name, df in cold_tables.items():
        pd.testing.assert_frame_equal(table(work / "data", name), df)
    [s] = warm.stats
    assert (s["requests"], s["new_notices"], s["http"]) == (3, 0, {"200": 3})


# -- a new notice --------------------------------------------------------------------------------


def check_new_notice(newer, work):
    assert newer.proc.returncode == 0, newer.proc.stderr
    out = newer.out
    assert newer.line("crawl   demo:").startswith("crawl   demo: 1 new, 0 unchanged")
    assert newer.line("build   ").startswith(
        "build   parsed 1, reused 9, aligned demo; 10 documents"
    )
    assert newer.line("new notices:") == "new notices: 1"
    block = out[out.index("  demo · 市科协工作要点") :].splitlines()
    assert block[1:4] == [
        "    + 2025 市科协2025年工作要点 (new)",
        "        new priorities: 低空经济",
        "        fading since 2024: 双碳",
    ]
    assert newer.line("report  ") == "report  off: --no-report"
    assert len(manifest(work / "data")) == 10
    last = json.loads((work / "data" / "logs" / "last_run.json").read_text())
    assert len(last["doc_ids"]) == 10 and last["exit_code"] == 0


# -- faults --------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_site_does_not_stop_the_others(tmp_path):
    down = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    extra = (
        f'\n[sources.down]\nstart_urls = ["{down}/"]\ncolumn = ["通知公告"]\n'
        "settings = { RETRY_TIMES = 1, RETRY_BACKOFF_BASE = 0.01, DOWNLOAD_DELAY = 0, "
        "AUTOTHROTTLE_ENABLED = false }\n"
        '[sources.down.list]\nitem = "ul li"\n[sources.down.detail]\nbody = "div.body"\n'
    )
    data = tmp_path / "data"
    with site().serve() as base_url:
        sources = write_sources(tmp_path / "sources.toml", base_url, extra)
        proc = run_cli(run_args(data, sources, tmp_path / "reports", "--no-report"), cwd=tmp_path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "crawl   demo: 9 new" in proc.stdout
    assert re.search(r"^  ! down: no list page reached \(.*Connection.*\)$", proc.stdout, re.M)
    assert "build   parsed 9, reused 0, aligned demo; 9 documents" in proc.stdout
    assert "report  off: --no-report" in proc.stdout
    lines = {s["source"]: s for s in stats_lines(data)}
    assert lines["down"]["ok"] is False and lines["down"]["list_pages"] == 0
    assert lines["down"]["errors"] >= 1 and lines["demo"]["ok"] is True
    assert len(table(data, "documents")) == 9


def test_source_config_typo_names_the_key(tmp_path):
    sources = write_sources(tmp_path / "sources.toml", "http://127.0.0.1:9")
    sources.write_text(sources.read_text().replace("[sources.demo.list]", "[sources.demo.lsit]"))
    data = tmp_path / "data"
    proc = run_cli(run_args(data, sources, tmp_path / "reports"), cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.strip() == (f"error: {sources}: [sources.demo]: unknown keys ['lsit']")
    assert not data.exists()  # nothing touched


def test_changed_layout_is_flagged_with_the_selector(tmp_path):
    """The site's list markup changed: the list selector matches nothing, and the summary says
    which selector on which page."""
    data = tmp_path / "data"
    with site().serve() as base_url:
        sources = write_sources(tmp_path / "sources.toml", base_url)
        sources.write_text(
            sources.read_text().replace('item = "ul.min600 li"', 'item = "ul.news li"')
        )
        proc = run_cli(run_args(data, sources, tmp_path / "reports", "--no-report"), cwd=tmp_path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    list_url = f"{base_url}/news/list?columnid={TZGG}"
    # The pager still links page 2, so the crawl reads it too: both pages are named.
    assert (
        f"  ! demo: list pages yield no items: list selector `ul.news li` matched nothing on "
        f"{list_url} (and 1 more)"
    ) in proc.stdout.splitlines()
    assert "new notices: none" in proc.stdout and "note:" not in proc.stdout
    [s] = stats_lines(data)
    assert (s["list_pages"], s["list_entries"], s["new_notices"], s["errors"]) == (2, 0, 0, 2)
    assert s["selector_misses"] == [
        {"kind": "list", "url": url, "selector": "ul.news li"}
        for url in (list_url, f"{list_url}&page=2")
    ]


def test_full_disk_during_the_crawl_loses_nothing(tmp_path):
    """Files may not grow past 16 KB (RLIMIT_FSIZE: writes fail with EFBIG, like a full disk):
    attachments and tables cannot be written. The run reports it; every manifest record points
    to a complete file; the next run, with room again, finishes the job."""
    import hashlib
    import resource
    import subprocess

    from tests.support.run import env

    def small_files():
        resource.setrlimit(resource.RLIMIT_FSIZE, (16 * 1024, 16 * 1024))

    data = tmp_path / "data"
    with site().serve() as base_url:
        sources = write_sources(tmp_path / "sources.toml", base_url)
        args = run_args(data, sources, tmp_path / "reports", "--no-report")
        full = subprocess.run(
            args, cwd=tmp_path, env=env(), capture_output=True, text=True, timeout=180,
            preexec_fn=small_files,
        )  # fmt: skip
        assert full.returncode == 1, full.stdout + full.stderr
        assert "could not store: [Errno 27] File too large" in full.stdout
        # (pyarrow's message does not name the file it was writing)
        assert re.search(r"^build   failed: .*File too large \(previous tables kept\)$",
                         full.stdout, re.M)  # fmt: skip
        stored = manifest(data)
        assert 0 < len(stored) < 9
        root = data / "raw" / "demo"
        for rec in stored:
            for rel in [rec["path"]] + [a["path"] for a in rec["attachments"]]:
                body = (root / rel).read_bytes()
                assert hashlib.sha256(body).hexdigest()[:16] in (rec["doc_id"], Path(rel).stem)
        assert layout.read_marker(data / "processed") is None  # nothing committed
        assert temp_leftovers(data / "processed") == []

        again = run_cli(args, cwd=tmp_path)
    assert again.returncode == 0, again.stdout + again.stderr
    assert f"crawl   demo: {9 - len(stored)} new" in again.stdout
    assert len(table(data, "documents")) == 9 and len(manifest(data)) == 9
