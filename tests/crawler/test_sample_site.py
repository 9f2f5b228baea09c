"""The sample site is the same on every run: two demo crawls (every source of the demo, five
platforms, each crawl against its own freshly built site on the same address) store identical raw
files, and build identical tables. Its .docx/.pdf attachments are byte-for-byte deterministic."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path

import pandas as pd
import pytest

from policytrack.pipeline.jobs.demo import demo_sources
from policytrack.pipeline.store.tables import read_table
from policytrack.sample.site.attachments import build_docx, build_pdf
from policytrack.sample.site.mirror import MirrorSite
from policytrack.sample.site.platforms import platform_sources, sample_issuers
from tests.support.procs import run_crawl
from tests.support.run import TABLES

pytestmark = [pytest.mark.xdist_group("crawl_sample"), pytest.mark.slow]  # end to end

SOURCES = ["demo", *(i.source for i in sample_issuers())]


def test_attachments_are_byte_for_byte_the_same():
    paras = ["市科协2024年工作要点", "一、总体要求", "1.加强党的建设。"]
    docx, pdf = build_docx(paras, [["序号", "任务"], ["1", "科普日"]]), build_pdf(paras)
    time.sleep(2.1)  # ZIP timestamps have a 2-second resolution
    assert build_docx(paras, [["序号", "任务"], ["1", "科普日"]]) == docx
    assert build_pdf(paras) == pdf


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def demo_crawl(data: Path, port: int) -> None:
    site = MirrorSite.demo_site()  # built anew: its attachments are generated again
    with site.serve(port=port) as base:
        data.parent.mkdir(parents=True, exist_ok=True)
        sources = data.parent / "sources.toml"
        sources.write_text(demo_sources(base) + "\n" + platform_sources(base), encoding="utf-8")
        run = run_crawl(data, None, *SOURCES, "--sources", str(sources))
    assert run.returncode == 0, run.stderr


def raw(data: Path) -> tuple[dict[str, bytes], list[dict]]:
    files, records = {}, []
    for source in SOURCES:
        root = data / "raw" / source
        for p in root.rglob("*"):
            if p.is_file() and p.parent != root:
                files[f"{source}/{p.relative_to(root)}"] = p.read_bytes()
        for line in (root / "manifest.jsonl").read_text(encoding="utf-8").splitlines():
            rec = json.loads(line)
            rec.pop("fetched_at")
            records.append(rec)
    return files, sorted(records, key=lambda r: (r["source"], r["url"]))


def table(data: Path, name: str) -> pd.DataFrame:
    df = read_table(data, name)
    df = df.drop(columns=[c for c in ("recorded_at",) if c in df.columns])
    return df.astype(str).sort_values(list(df.columns)).reset_index(drop=True)


def test_two_demo_crawls_store_identical_files_and_build_identical_tables(tmp_path):
    from policytrack.pipeline.jobs.build import build

    port = free_port()
    first, second = tmp_path / "one" / "data", tmp_path / "two" / "data"
    demo_crawl(first, port)
    demo_crawl(second, port)
    files_1, records_1 = raw(first)
    files_2, records_2 = raw(second)
    assert len([f for f in files_1 if f.endswith((".pdf", ".docx"))]) == 6  # 2 demo + 4 provinces
    assert files_1 == files_2
    assert records_1 == records_2
    for data in (first, second):
        assert not build(data).failures
    for name in TABLES:
        pd.testing.assert_frame_equal(table(first, name), table(second, name))
