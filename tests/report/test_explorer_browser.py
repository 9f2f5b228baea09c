"""The explorer page in a real browser (Debian's chromium through selenium, as test_browser.py):
built from the bundled sample notices (one item heading made hostile) and from the Government Work
Reports. Typing a term shows its years and counts (expected: plain substring counts of the texts,
computed here), its contexts, and an item's thread with the redline; scraped text stays text."""

from __future__ import annotations

import json
import re
import shutil
import time
from pathlib import Path

import pytest

from policytrack.pipeline.jobs.build import build
from policytrack.pipeline.jobs.ingest import ingest
from policytrack.pipeline.report.explorer import write_explorer
from tests.report.test_browser import browser  # noqa: F401  (the shared chromium fixture)
from tests.support.gwr import built_gwr

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("report-browser")]

SAMPLE = Path(__file__).resolve().parents[2] / "sample" / "notices"
HOSTILE = "<img src=x onerror=\"document.title='pwned'\">"


def wait(driver, script: str, timeout: float = 10.0):
    end = time.time() + timeout
    while time.time() < end:
        value = driver.execute_script(script)
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for: {script}")


def choose(driver, page: Path, term: str) -> None:
    from selenium.webdriver.common.by import By

    driver.get(page.as_uri())
    box = driver.find_element(By.ID, "q")
    box.clear()
    box.send_keys(term)
    wait(driver, f"return document.getElementById('term').dataset.term === {json.dumps(term)}")


def timeline(driver, series: str) -> dict[int, int]:
    return {
        int(y): int(n)
        for y, n in driver.execute_script(
            "return [...document.querySelectorAll(`table.timeline[data-series='${arguments[0]}'] tr.tl-row`)]"
            ".map(r => [r.dataset.year, r.querySelector('.count').textContent])",
            series,
        )
        if int(n) > 0
    }


def contexts(driver) -> dict[int, int]:
    """Mentions listed per year (the heading's count), and the number of context lines."""
    return {
        int(y): n
        for y, n in driver.execute_script(
            "return [...document.querySelectorAll('.kwic-year')].map(d => [d.dataset.year,"
            " d.querySelectorAll('.ctx').length])"
        )
    }


# ---------------------------------------------------------------- the sample notices


@pytest.fixture(scope="module")
def sample_page(tmp_path_factory):
    root = tmp_path_factory.mktemp("explorer-sample")
    notices = root / "notices"
    notices.mkdir()
    for path in sorted(SAMPLE.glob("[ab]-*.txt")):
        shutil.copy(path, notices / path.name)
    # A hostile heading: an item of 2024 opens with markup a page must never run.
    a24 = notices / "a-2024.txt"
    text = a24.read_text("utf-8")
    first_item = re.search(r"^1、", text, re.M)
    assert first_item, "a-2024.txt has no item 1、"
    at = first_item.end()
    a24.write_text(text[:at] + HOSTILE + "。" + text[at:], "utf-8")
    data = root / "data"
    ingest(sorted(notices.glob("*.txt")), "sample", data)
    build(data)
    page = root / "explorer.html"
    write_explorer(data, page)
    return page, notices


def latest_texts(notices: Path) -> dict[int, str]:
    """Series A's notice text per year (2022: the v2 version, ingested last, wins)."""
    out = {}
    for path in sorted(notices.glob("a-*.txt")):
        out[int(path.stem.split("-")[1])] = path.read_text("utf-8")
    return out


def test_sample_term_timeline_contexts_and_redline(browser, sample_page):  # noqa: F811
    page, notices = sample_page
    choose(browser, page, "三大攻坚战")
    texts = latest_texts(notices)
    # The notices' own text: the title line and the issuing header say nothing of the term.
    expected = {y: t.count("三大攻坚战") for y, t in texts.items() if "三大攻坚战" in t}
    assert expected == {2018: 3, 2019: 3, 2020: 3}  # read in sample/notices/a-2018 … a-2020
    series = browser.execute_script(
        "return document.querySelector('table.timeline').dataset.series"
    )
    assert timeline(browser, series) == expected
    assert contexts(browser) == expected  # 3 shown per year: no "more" needed
    marks = browser.execute_script("return [...document.querySelectorAll('.ctx mark')].map(m => m.textContent)")  # fmt: skip
    assert set(marks) == {"三大攻坚战"}
    first = browser.execute_script("const c = document.querySelector('.ctx'); return [c.querySelector('.l').textContent, c.querySelector('.r').textContent]")  # fmt: skip
    assert first[0].endswith("助力打好“") and first[1].startswith("”，为建设创新型示例市")
    # An item: its thread, with the redline between consecutive years.
    browser.execute_script("document.querySelector('.kwic-year[data-year=\"2018\"] button.item').click()")  # fmt: skip
    wait(browser, "return document.querySelectorAll('#thread .step').length > 1")
    years = browser.execute_script("return [...document.querySelectorAll('#thread .step')].map(s => +s.dataset.year)")  # fmt: skip
    assert years[:3] == [2018, 2019, 2020]
    old, new, dels, inss = browser.execute_script(
        "const p = document.querySelector('#thread .step[data-year=\"2019\"] .redline');"
        "return [p.querySelector('.old').textContent, p.querySelector('.new').textContent,"
        " [...p.querySelectorAll('del')].map(e => e.textContent), [...p.querySelectorAll('ins')].map(e => e.textContent)]"
    )  # fmt: skip
    # a-2018 item 9 and a-2019 item 10 (read in the notices): the old side is 2018's text, the
    # new side 2019's; 围绕打赢脱贫攻坚战 is kept, 深入推动科技助力精准扶贫 is new in 2019.
    assert old.startswith("助力打好“三大攻坚战”。围绕打赢脱贫攻坚战") and old in texts[2018]
    assert new.startswith("助力打好“三大攻坚战”。围绕打赢脱贫攻坚战") and new in texts[2019]
    assert any("精准扶贫" in s for s in inss) and dels


def test_sample_hostile_heading_is_shown_as_text(browser, sample_page):  # noqa: F811
    page, _ = sample_page
    choose(browser, page, "四个意识")
    browser.execute_script("[...document.querySelectorAll('.kwic-year[data-year=\"2024\"] .more')].forEach(b => b.click())")  # fmt: skip
    browser.execute_script("document.querySelector('.kwic-year[data-year=\"2024\"] button.item').click()")  # fmt: skip
    shown = browser.execute_script("return document.body.textContent")
    assert HOSTILE in shown or "onerror" in shown
    state = browser.execute_script("return [document.images.length, document.title, document.querySelectorAll('script').length]")  # fmt: skip
    assert state == [0, "policytrack explorer", 2]
    errors = [e for e in browser.get_log("browser") if e.get("level") == "SEVERE"]
    assert errors == [], errors


# ---------------------------------------------------------------- the Government Work Reports


@pytest.fixture(scope="module")
def gwr_page(gwr_path, tmp_path_factory):
    _, _, data = built_gwr(gwr_path, tmp_path_factory, "explorer-gwr")
    root = data.parent
    page = root / "explorer.html"
    write_explorer(data, page)
    return page


def test_gwr_eight_point_rules_years_counts_and_more(browser, gwr_page, gwr_path):  # noqa: F811
    expected: dict[int, int] = {}
    for line in gwr_path.read_text("utf-8").splitlines():
        row = json.loads(line) if line.strip() else {}
        if row.get("year") and "八项规定" in row["content"]:
            expected[int(row["year"])] = row["content"].count("八项规定")
    choose(browser, gwr_page, "八项规定")
    assert timeline(browser, "中华人民共和国国务院政府工作报告") == expected
    assert contexts(browser) == expected
    hidden = browser.execute_script("return document.querySelectorAll('.ctx[hidden]').length")
    assert hidden == sum(max(0, n - 3) for n in expected.values())
    first = browser.execute_script("const c = document.querySelector('.ctx'); return [c.querySelector('mark').textContent, c.querySelector('.var') && c.querySelector('.var').textContent]")  # fmt: skip
    assert first[0] == "八项规定"
    choose(browser, gwr_page, "三大攻坚战")
    got = timeline(browser, "中华人民共和国国务院政府工作报告")
    assert sorted(got) == [2018, 2019, 2021]  # 2020 has no report in the corpus
    browser.execute_script("document.querySelector('button.item').click()")
    wait(browser, "return document.querySelectorAll('#thread .redline').length > 0")
    assert browser.execute_script("return document.querySelectorAll('#thread del, #thread ins').length") > 0  # fmt: skip
