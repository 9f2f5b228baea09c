"""A hostile site through `policytrack run` (issue 16): the run summary names a blocked off-site
redirect in one line and counts it, and a scraped title carrying terminal escape sequences and
rich markup reaches neither the terminal as a sequence nor rich as markup. Real HTTP: the site on
127.0.0.1, "another host" on 127.0.0.2.
"""

from __future__ import annotations

import json

import pytest

from policytrack.sample.site.content import Notice, hexid
from policytrack.sample.site.mirror import MirrorSite
from policytrack.sample.site.server import Resource, route_key
from tests.support.run import manifest, run_args, run_cli, stats_lines, write_sources

pytestmark = [pytest.mark.xdist_group("run_hostile"), pytest.mark.slow]  # end to end

PARAS = ["一、总体要求", "1.加强党的建设。落实全面从严治党主体责任。", "2.服务科技工作者。"]


def notice(key: str, title: str, when: str) -> Notice:
    return Notice(hexid("run-hostile", key), title, when, "市科协办公室", [title, *PARAS],
                  "work_points")  # fmt: skip


def test_a_hostile_site_in_the_run_summary(tmp_path):
    other = MirrorSite([])
    other.routes[route_key("/evil")] = Resource("<html><body>别处的文字</body></html>".encode())
    plain = notice("plain", "关于印发《市科协2023年工作要点》的通知", "2023-03-01 10:00")
    # What the site sends as the title: an OSC that retitles the terminal, a CSI that clears
    # it, a bidi override, and rich markup ([/x] raised MarkupError, [bold] would vanish).
    sent = "\x1b]0;pwned\x07\x1b[2J\u202e[/x]关于印发《市科协[bold]2024年工作要点》的通知"
    marked = notice("marked", sent, "2024-03-01 10:00")
    moved = notice("moved", "关于印发《市科协2025年工作要点》的通知", "2025-03-01 10:00")
    site = MirrorSite([plain, marked, moved])
    with other.serve("127.0.0.2") as other_base, site.serve() as base:
        site.routes[route_key(moved.url)] = Resource(status=302, redirect_to=f"{other_base}/evil")
        sources = write_sources(tmp_path / "sources.toml", base)
        proc = run_cli(run_args(tmp_path / "data", sources, tmp_path / "reports", "--no-report"),
                       cwd=tmp_path)  # fmt: skip
    out = proc.stdout
    assert proc.returncode == 1, out + proc.stderr
    assert other.requests == []
    for text in (out, proc.stderr):
        assert not {"\x1b", "\x07", "\u202e"} & set(text), repr(text)
    lines = out.splitlines()
    crawl = next(ln for ln in lines if ln.startswith("crawl   demo: "))
    assert crawl.startswith("crawl   demo: 2 new, 0 unchanged, 3 listed; ")
    assert crawl.endswith(", 1 error (1 blocked off-site)")
    # Two short notices without a single term: the build must still commit (it failed on the
    # empty terms table's list column before).
    assert "build   parsed 2, reused 0, aligned demo; 2 documents, items 6, terms 0" in lines
    problems = lines[lines.index("problems") + 1 :]
    assert problems[0] == (
        f"  crawl demo: {base}{moved.url}: redirected off-site to {other_base}/evil "
        "(Filtered offsite request to '127.0.0.2' (a loopback address)); not followed"
    )
    # The stored title lost the control characters (ESC, BEL, the override) read off the page;
    # the visible remains of the sequences and the markup are plain text.
    [rec] = [r for r in manifest(tmp_path / "data") if r["url"].endswith(marked.url)]
    title = "]0;pwned[2J[/x]关于印发《市科协[bold]2024年工作要点》的通知"
    assert (rec["title"], rec["year"]) == (title, 2024)
    assert f"    + 2024 {title} (new)" in lines
    [stats] = stats_lines(tmp_path / "data")
    assert (stats["errors"], stats["blocked"]) == (1, 1)
    page = (tmp_path / "data" / "raw" / "demo" / rec["path"]).read_bytes()
    assert b"\x1b]0;pwned\x07" in page  # the page itself is stored as served
    log = json.loads((tmp_path / "data" / "raw" / "demo" / "crawllog.jsonl").read_text())
    assert log["blocked"] == 1
