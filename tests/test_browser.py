"""The web desk in a real browser: headless Chromium driven by selenium against `rumour serve`
running as its own process on the demo ledger, on SQLite and PostgreSQL. Clicking through,
the date control, a claim recorded by another process showing up live, and user text that
stays text. Each test saves a screenshot of each page it opens under its tmp_path."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from conftest import EXAMPLES, POSTGRES_URL, STORES, _postgres_schema_url, drop_postgres_schema

pytest.importorskip("selenium", reason="the browser tests need selenium (pip install '.[test]')")
pytest.importorskip("uvicorn", reason="rumour serve needs the web extra")

from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

RUMOUR = Path(sys.executable).parent / "rumour"
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
    pytest.skip(
        "the browser tests need chromium and chromedriver (apt-get install chromium "
        "chromium-driver, as .ci/run does)",
        allow_module_level=True,
    )
if not RUMOUR.exists():
    pytest.skip("the rumour script is not installed in this environment", allow_module_level=True)

ALONSO = "Xabi Alonso -> Real Madrid"
# A day the demo's board reads differently from the day after its last claim.
EARLY, LATE = "2024-03-01", "2024-12-31"
# Seconds a live page may take to show another writer's claim (the server looks every
# --interval, the page's stream every quarter second).
LIVE_WITHIN = 8.0


@dataclass
class Desk:
    """A `rumour serve` process on a ledger holding the demo."""

    url: str
    db: str
    env: dict[str, str]

    def rumour(self, *args: str) -> subprocess.CompletedProcess[str]:
        """`rumour ARGS --db DB` as another process: another writer, as a desk meets one."""
        return subprocess.run(
            [str(RUMOUR), *args, "--db", self.db],
            capture_output=True,
            text=True,
            env=self.env,
            timeout=60,
        )

    def cli_json(self, *args: str) -> Any:
        done = self.rumour(*args, "--json")
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_answering(url: str, server: subprocess.Popen[str], within: float = 30.0) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"rumour serve exited {server.returncode}: {server.stderr.read()}")
        try:
            with urllib.request.urlopen(url + "/api/board?limit=1", timeout=2) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.1)
    raise AssertionError(f"rumour serve did not answer at {url} within {within:.0f} s")


@pytest.fixture(scope="module", params=STORES)
def desk(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Desk]:
    """One server per store for the whole module: starting one is most of a test's time."""
    home = tmp_path_factory.mktemp("browser-home")
    schema = None
    if request.param == "sqlite":
        db = str(home / "ledger.db")
    else:
        schema = f"test_{uuid.uuid4().hex[:12]}"
        db = _postgres_schema_url(schema)
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("RUMOUR_DB", "RUMOUR_CONFIG")},
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CONFIG_HOME": str(home / "config"),
        "RUMOUR_USER": "tester",
    }
    desk = Desk("", db, env)
    imported = desk.rumour("import", str(EXAMPLES / "alonso-2024.jsonl"))
    assert imported.returncode == 0, imported.stderr
    port = free_port()
    server = subprocess.Popen(
        [str(RUMOUR), "serve", "--db", db, "--port", str(port), "--interval", "0.2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        desk.url = f"http://127.0.0.1:{port}"
        wait_until_answering(desk.url, server)
        yield desk
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        server.stderr.close()
        if schema is not None and POSTGRES_URL:
            drop_postgres_schema(schema)


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    """One headless Chromium for the module (both stores): it takes a second or two to start."""
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1280,800",
        "--lang=en-GB",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def shoot(browser: webdriver.Chrome, tmp_path: Path) -> Callable[[str], Path]:
    """Saves what the browser shows now as tmp_path/NAME.png (the whole page's height)."""

    def save(name: str) -> Path:
        height = browser.execute_script("return document.documentElement.scrollHeight")
        browser.set_window_size(1280, max(800, min(int(height) + 140, 4000)))
        path = tmp_path / f"{name}.png"
        assert browser.save_screenshot(str(path))
        browser.set_window_size(1280, 800)
        return path

    return save


def wait_for(browser: webdriver.Chrome, check: Callable[[Any], Any], within: float = 10.0) -> Any:
    return WebDriverWait(browser, within, poll_frequency=0.1).until(check)


def board_ids(browser: webdriver.Chrome) -> list[str]:
    rows = browser.find_elements(By.CSS_SELECTOR, "#board tbody tr[data-id]")
    return [row.get_attribute("data-id") for row in rows]


def no_alert(browser: webdriver.Chrome) -> bool:
    try:
        browser.switch_to.alert  # noqa: B018 (reading it is the check)
    except NoAlertPresentException:
        return True
    return False


def test_the_board_clicks_through_to_a_rumour_showing_the_figure_why_gives(desk, browser, shoot):
    browser.get(f"{desk.url}/?as_of={LATE}")
    wait_for(browser, lambda b: board_ids(b))
    assert browser.title.startswith("Board")
    shoot("board")
    link = next(
        a
        for a in browser.find_elements(By.CSS_SELECTOR, "#board a.rumour")
        if a.text.startswith("Xabi Alonso") and a.text.endswith("Real Madrid")
    )
    link.click()
    wait_for(browser, lambda b: "/rumour/" in b.current_url)
    why = desk.cli_json("why", ALONSO, "--as-of", LATE)
    shown = browser.find_element(By.ID, "likelihood").text
    assert shown == f"{why['likelihood']:.0%}"  # as `rumour why` prints it
    assert browser.find_element(By.ID, "why-total").text == shown
    assert f"as_of={LATE}" in browser.current_url  # the link keeps the day
    assert browser.find_elements(By.CSS_SELECTOR, "#chart svg.chart .claim-mark")
    shoot("rumour")


def test_the_date_control_replays_the_board_on_another_day(desk, browser, shoot):
    browser.get(f"{desk.url}/?as_of={LATE}")
    late = wait_for(browser, lambda b: board_ids(b))
    day = browser.find_element(By.ID, "as-of")
    # As a reader picking a day in the calendar: the value set, then the change event.
    browser.execute_script(
        "arguments[0].value = arguments[1];"
        "arguments[0].dispatchEvent(new Event('change', {bubbles: true}));",
        day,
        EARLY,
    )
    wait_for(browser, lambda b: f"as_of={EARLY}" in b.current_url)
    early = board_ids(browser)
    assert early != late
    assert early == [r["id"] for r in desk.cli_json("board", "--as-of", EARLY, "--limit", "50")]
    shoot("board-early")
    browser.find_element(By.ID, "day-after").click()
    wait_for(browser, lambda b: "as_of=2024-03-02" in b.current_url)
    assert browser.find_element(By.ID, "as-of").get_attribute("value") == "2024-03-02"


def test_a_claim_recorded_by_another_process_shows_on_the_open_page(desk, browser, shoot):
    browser.get(f"{desk.url}/?as_of=2025-12-31&q=Wirtz")
    wait_for(browser, lambda b: b.find_element(By.ID, "live-state").text == "live")
    assert board_ids(browser) == []
    browser.execute_script("window.notReloaded = true")
    recorded = desk.rumour(
        "report", "Florian Wirtz", "--to", "Liverpool", "--role", "player",
        "--source", "Sky Sports", "--date", "2025-05-20",
    )  # fmt: skip
    assert recorded.returncode == 0, recorded.stderr
    started = time.monotonic()
    wait_for(browser, lambda b: board_ids(b), within=LIVE_WITHIN)
    took = time.monotonic() - started
    assert browser.execute_script("return window.notReloaded") is True, "the page reloaded"
    labels = [a.text for a in browser.find_elements(By.CSS_SELECTOR, "#board a.rumour")]
    assert any("Florian Wirtz" in label and "Liverpool" in label for label in labels)
    assert int(browser.find_element(By.TAG_NAME, "body").get_attribute("data-updates")) >= 1
    assert took < LIVE_WITHIN
    shoot("board-live")


def test_a_script_in_a_claim_renders_as_text(desk, browser, shoot):
    claim = "<script>alert(1)</script>"
    recorded = desk.rumour(
        "report", "Xabi Alonso", "--to", "Real Madrid", "--role", "player",
        "--source", "Marca", "--date", "2024-05-02", "--claim", claim,
    )  # fmt: skip
    assert recorded.returncode == 0, recorded.stderr
    rumour_id = desk.cli_json("why", ALONSO)["rumour"]["id"]
    # The server catches up within its interval; a page opened before then would not hold it.
    url = f"{desk.url}/rumour/{rumour_id}?as_of={LATE}"
    for _ in range(50):
        browser.get(url)
        texts = [c.text for c in browser.find_elements(By.CSS_SELECTOR, "#claims .claim-text")]
        if claim in texts:
            break
        time.sleep(0.2)
    assert claim in texts  # shown as the very characters typed
    assert no_alert(browser)
    scripts = browser.find_elements(By.TAG_NAME, "script")
    assert [s.get_attribute("src") for s in scripts] == [f"{desk.url}/static/desk.js"]
    shoot("rumour-script-claim")
