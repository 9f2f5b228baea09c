"""Bad input: one clear line naming the file and the reason; GBK decodes; build goes on."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from policytrack.pipeline.jobs.build import build
from policytrack.pipeline.jobs.ingest import ingest
from policytrack.pipeline.text.parse import parse_file
from tests.support.documents import notice_docx, notice_html, notice_text

CLI = [sys.executable, "-m", "policytrack.pipeline.cli"]


def run_parse(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, "parse", str(path)], capture_output=True, text=True)


BAD = {
    "empty.txt": (b"", "empty file"),
    "garbage.txt": (bytes(range(256)) * 40, "binary or undecodable content"),
    "noyear.txt": (
        "关于印发《测试协会工作要点》的通知\n测试协会工作要点\n一、加强建设\n1、完善制度。修订章程。\n".encode(),
        "no recognisable year",
    ),
    "truncated.docx": (None, "truncated or corrupt .docx"),
    "noitems.txt": (
        "测试协会2020年工作要点\n今年要认真做好各项工作。\n继续加强学习。\n".encode(),
        "no numbered items found",
    ),
}


@pytest.fixture
def bad_files(tmp_path):
    out = {}
    for name, (data, reason) in BAD.items():
        if data is None:
            data = notice_docx()[:1500]
        p = tmp_path / name
        p.write_bytes(data)
        out[name] = (p, reason)
    return out


@pytest.mark.parametrize("name", sorted(BAD))
@pytest.mark.slow
def test_parse_exits_nonzero_with_one_line(bad_files, name):
    path, reason = bad_files[name]
    proc = run_parse(path)
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0] == f"error: {path}: {lines[0].split(': ', 2)[2]}"
    assert reason in lines[0]
    assert proc.stdout == ""


def test_gbk_html_without_charset_decodes(tmp_path):
    p = tmp_path / "gbk.html"
    p.write_bytes(notice_html(2021, charset_meta=False).encode("gbk"))
    doc = parse_file(p)
    assert (doc.title, doc.year, doc.doc_number) == (
        "测试协会2021年工作要点",
        2021,
        "测协办〔2021〕3号",
    )
    assert [i.heading for i in doc.iter_items()] == ["完善会员服务", "加强制度建设", "开展学术交流"]
    assert doc.published_at == "2021-03-01 09:30" and doc.department == "测试协会办公室"


def test_docx_with_table(tmp_path):
    p = tmp_path / "n.docx"
    p.write_bytes(notice_docx(2022))
    doc = parse_file(p)
    assert doc.year == 2022 and [i.path for i in doc.numbered_items] == ["1.1", "1.2", "2.3"]
    # The table row is kept, in document order, as a paragraph after the last item.
    last = doc.sections[-1].items[-1]
    assert [(c.path, c.text) for c in last.children] == [("2.3.p1", "附表 | 重点任务分工")]


@pytest.mark.slow
def test_build_goes_on_and_lists_failures(tmp_path, bad_files):
    data = tmp_path / "data"
    good = tmp_path / "good.txt"
    good.write_text(notice_text(2020), encoding="utf-8")
    ingest([good] + [p for p, _ in bad_files.values() if p.stat().st_size], "t", data)
    result = build(data)
    assert len(result.documents) == 1
    reasons = sorted(r for _, r in result.failures)
    assert len(reasons) == 4
    assert any("no recognisable year" in r for r in reasons)
    # CLI: failures listed at the end, exit 0 by default, 1 with --strict.
    env = {**os.environ, "CI": "true"}
    proc = subprocess.run(
        [*CLI, "build", "--data", str(data)], capture_output=True, text=True, env=env
    )
    assert proc.returncode == 0 and "4 document(s) could not be parsed" in proc.stderr
    proc = subprocess.run(
        [*CLI, "build", "--data", str(data), "--strict"], capture_output=True, text=True, env=env
    )
    assert proc.returncode == 1
