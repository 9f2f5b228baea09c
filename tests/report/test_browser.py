"""The report in a real browser: headless Chromium (Debian's `chromium`, driven through Debian's
`chromium-driver` with selenium; `make system-deps` installs both, nothing is downloaded at run
time) opens index.html and a notebook page from disk, logs no console error, loads every image,
and renders a page that is not blank. Screenshots are written to $POLICYTRACK_SCREENSHOTS when set
(to look at them), else to the test's temp folder."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from PIL import Image

from policytrack.pipeline.report import build as report
from tests.conftest import IN_CI
from tests.support.tiny import write_tiny_dataset

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("report-browser")]

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
    "--window-size=1400,1800",
)


def _need_browser() -> None:
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not Path(p).is_file()]
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("selenium (the dev extra)")
    if missing:
        reason = f"{', '.join(missing)} missing (`make system-deps` installs chromium)"
        if IN_CI:
            pytest.fail(reason)
        pytest.skip(reason)


@pytest.fixture(scope="module")
def day(tmp_path_factory):
    root = tmp_path_factory.mktemp("browser")
    data = write_tiny_dataset(root / "data")
    result = report.build_report(report.ReportParams(data_dir=str(data)), root / "reports")
    return result.out_dir


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    _need_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    os.environ.setdefault("SE_OFFLINE", "true")  # selenium must not fetch a driver
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    try:
        yield driver
    finally:
        driver.quit()


def render(browser, page: Path, shot: Path) -> tuple[list[dict], dict]:
    browser.get(page.as_uri())
    state = browser.execute_script(
        "return {ready: document.readyState, title: document.title,"
        " images: document.images.length,"
        " broken: [...document.images].filter(i => !(i.complete && i.naturalWidth > 0)).length,"
        " height: document.body.scrollHeight}"
    )
    browser.save_screenshot(str(shot))
    keep = os.environ.get("POLICYTRACK_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(keep) / shot.name)
    return browser.get_log("browser"), state


def not_blank(shot: Path) -> int:
    """Distinct colours in the screenshot (a blank page has one or two)."""
    with Image.open(shot) as img:
        return len(img.convert("RGB").getcolors(1_000_000) or [])


@pytest.mark.parametrize("page", ["index.html", "02_priority_timelines.html"])
def test_page_renders_without_console_errors(browser, day, tmp_path, page):
    shot = tmp_path / f"{Path(page).stem}.png"
    logs, state = render(browser, day / page, shot)
    errors = [e for e in logs if e.get("level") == "SEVERE"]
    assert errors == [], errors
    assert state["ready"] == "complete" and state["title"]
    assert state["images"] >= 3 and state["broken"] == 0, state
    assert state["height"] > 1000  # the summary, tables and figures are laid out
    assert not_blank(shot) > 50
