"""The site profiles: which notices the test, demo and bench sites publish.

- test: the sample notices with per-notice edge cases (retries, redirects, corrupt, huge, off-site
  and hostile attachments), filler, and every awkward case of bad_input_notices;
- demo: the sample notices and filler, nothing broken (what `policytrack demo` crawls);
- bench: n generated work-point notices, every one of them fetched.
"""

from __future__ import annotations

import random
from pathlib import Path

from policytrack.sample.site.attachments import DOCX_TYPE, build_docx
from policytrack.sample.site.content import (
    OFFSITE,
    SAMPLE_DIR,
    Attachment,
    Notice,
    bad_input_notices,
    filler_notices,
    hexid,
    load_sample,
    paragraphs,
)

PROFILES = ("test", "demo", "bench")


def edge_case_notices(sample_dir: Path = SAMPLE_DIR, fillers: int = 36) -> list[Notice]:
    """Sample notices + filler + every awkward case the crawler must survive."""
    notices = load_sample(sample_dir)
    decorate_test_site(notices)
    return notices + filler_notices(fillers) + bad_input_notices()


def demo_notices(sample_dir: Path = SAMPLE_DIR, fillers: int = 36) -> list[Notice]:
    return load_sample(sample_dir) + filler_notices(fillers)


def bench_notices(n: int = 2000, seed: int = 11) -> list[Notice]:
    """n work-point notices of n/10 departments over 10 years (every one is fetched)."""
    rnd = random.Random(seed)
    sample = paragraphs((SAMPLE_DIR / "notices" / "a-2019.txt").read_text(encoding="utf-8"))
    notices = []
    for i in range(n):
        dept, year = f"示例市第{i // 10 + 1}学会", 2015 + i % 10
        title = f"关于印发《{dept}{year}年工作要点》的通知"
        paras = [p.replace("2019", str(year)) for p in rnd.sample(sample, min(len(sample), 20))]
        when = f"{year}-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d} 09:{i % 60:02d}"
        notices.append(
            Notice(hexid("bench", i), title, when, dept, paras, "work_points", expect="collect")
        )
    return notices


def decorate_test_site(notices: list[Notice]) -> None:
    """Attach the per-notice edge cases of the test site to the sample notices."""
    by_year = {(n.sample or ""): n for n in notices}
    get = lambda stem: next((n for k, n in by_year.items() if k.endswith(stem)), None)  # noqa: E731
    if a2023 := get("a-2023.txt"):
        a2023.fail_first = 2  # 500, 500, then the page
    if a2024 := get("a-2024.txt"):
        a2024.redirect_from = hexid("old", a2024.newsid)  # the list links an old URL that redirects
        a2024.attachments.append(
            Attachment("2024年重点任务分工表.docx", f"/upload/files/{hexid('corrupt')}.docx",
                       b"PK\x03\x04" + b"\x00corrupt" * 64, DOCX_TYPE)
        )  # fmt: skip
        a2024.attachments.append(  # an old address that redirects to a file no longer there
            Attachment("2024年工作要点解读.pdf", f"/upload/old/{hexid('moved-gone')}.pdf",
                       moved_to=f"/upload/files/{hexid('moved-gone')}.pdf")
        )  # fmt: skip
    if a2020 := get("a-2020.txt"):
        [pdf] = a2020.attachments  # the page links an old address that redirects to the file
        pdf.moved_to, pdf.href = pdf.href, f"/upload/old/{hexid('moved', a2020.newsid)}.pdf"
    if a2022 := get("a-2022.txt"):
        a2022.attachments.append(
            Attachment("2022年工作要点（旧链接）.docx", f"/upload/old/{hexid('moved-off')}.docx",
                       build_docx(["不应下载"]), DOCX_TYPE,
                       moved_to=f"{OFFSITE}/upload/files/{hexid('moved-off')}.docx")
        )  # fmt: skip
        a2022.attachments.append(
            Attachment("2022年工作要点图解.pdf", f"/upload/files/{hexid('huge')}.pdf",
                       None, "application/pdf", stream_size=20 * 1024 * 1024)
        )  # fmt: skip
        a2022.attachments.append(
            Attachment("兄弟单位参考材料.docx", f"{OFFSITE}/upload/offsite.docx")
        )
    if b2023 := get("b-2023.txt"):
        table = [["序号", "重点任务", "牵头部门"], ["1", "全国科普日主场活动", "科普部"]]
        b2023.attachments.append(
            Attachment("../../x.docx", "../../x.docx",
                       build_docx(["重点任务分工"], table), DOCX_TYPE, disposition="../../../x.docx")
        )  # fmt: skip
    if b2024 := get("b-2024.txt"):
        b2024.title_attr = False  # the list shows only a truncated title: must open the page
