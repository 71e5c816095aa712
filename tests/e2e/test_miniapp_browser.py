"""The Mini App in a real browser: headless Chromium (Debian's `chromium` and
`chromium-driver`, driven by Selenium) opens /app/#tgWebAppData=... signed by the test, as
Telegram opens it, for a coordinator, a student and a mentor; the figures shown are checked
against /cohort's and /progress's answers in the chat; the mentor scores a report in the page
and the student is told in the chat; and the refusals are shown. Screenshots of each view are
kept under the test's tmp folder (the path is printed), or under $MINIAPP_SCREENSHOTS.

Selenium's calls block, and the bot runs in this test's event loop: each goes to a thread.
Skipped where no Chromium is installed; `.ci/run` installs it, so CI always runs it."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.fake_telegram import FakeTelegram
from bot.i18n import Translations
from bot.renderers.analytics import render_cohort
from bot.services import analytics
from db.engine import Database
from tests.e2e.conftest import message_with, started
from tests.e2e.miniapp import MiniApp, fragment, waiting_report

CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")
LI, CHEN, WANG = 1001, 2001, 1101
DARK = {"bg_color": "#17212b", "text_color": "#f5f5f5", "hint_color": "#708499",
        "link_color": "#6ab3f3", "button_color": "#5288c1", "button_text_color": "#ffffff",
        "secondary_bg_color": "#232e3c"}  # fmt: skip

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium: pip install -e '.[dev]'")
pytestmark = pytest.mark.skipif(
    not (CHROMIUM and CHROMEDRIVER),
    reason="no Chromium here: apt-get install -y chromium chromium-driver (.ci/run does)",
)


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("MINIAPP_SCREENSHOTS") or tmp_path / "miniapp-screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    print(f"screenshots of the Mini App: {folder}")
    return folder


@pytest.fixture
def browser() -> Iterator[Any]:
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage"):
        options.add_argument(argument)
    options.add_argument("--window-size=900,1400")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


class Page:
    """The browser, driven from a thread so that the bot in this event loop can answer."""

    def __init__(self, driver: Any, app: MiniApp, shots: Path) -> None:
        self.driver, self.app, self.shots = driver, app, shots

    async def call(self, work: Callable[[], Any]) -> Any:
        return await asyncio.to_thread(work)

    async def open(
        self, init_data: str, query: str = "", theme: dict[str, str] | None = None
    ) -> None:
        url = f"{self.app.base}/app/{query}#{fragment(init_data, theme)}"

        def go() -> None:
            self.driver.get("about:blank")
            self.driver.get(url)

        await self.call(go)

    async def settled(self, state: str = "ready") -> str:
        from selenium.webdriver.support.wait import WebDriverWait

        def wait() -> str:
            def done(driver: Any) -> str | bool:
                found = driver.find_element("css selector", "body").get_attribute("data-state")
                return found if found and found != "loading" else False

            found: str = WebDriverWait(self.driver, 20, 0.1).until(done)
            return found

        found = await self.call(wait)
        assert found == state, await self.text("main")
        return found

    async def text(self, selector: str) -> str:
        return str(await self.call(lambda: self.driver.find_element("css selector", selector).text))

    async def texts(self, selector: str) -> list[str]:
        elements = await self.call(lambda: self.driver.find_elements("css selector", selector))
        return [str(e.text) for e in elements]

    async def click(self, selector: str) -> None:
        await self.call(lambda: self.driver.find_element("css selector", selector).click())

    async def shot(self, name: str) -> None:
        await self.call(lambda: self.driver.save_screenshot(str(self.shots / f"{name}.png")))

    async def severe(self) -> list[Any]:
        logs = await self.call(lambda: self.driver.get_log("browser"))
        # 401/403 answers are logged by the browser as failed loads; anything else is a fault.
        return [
            e for e in logs if e["level"] == "SEVERE" and not re.search(r" 40[13] ", e["message"])
        ]


@pytest.fixture
def page(browser: Any, app: MiniApp, shots: Path) -> Page:
    return Page(browser, app, shots)


async def test_coordinator_student_and_mentor_in_the_browser(
    page: Page, app: MiniApp, tg: FakeTelegram
) -> None:
    zh = Translations.load().for_language("zh")
    # /cohort's text, as the command renders it (its Chinese charts need a CJK font that
    # not every machine has: the text is what is compared).
    database = Database.from_url(app.settings.database_url)
    try:
        async with database.transaction() as repos:
            found = await analytics.cohort(repos, app.clock.now(), "UTC")
        cohort_text = render_cohort(found, Translations.load().for_language("en"))
    finally:
        await database.dispose()
    chen = await started(tg, CHEN, "Chen Jie")
    chen.send("/progress")
    progress_text = (await message_with(tg, CHEN, "57.5")).text

    # The coordinator (Chinese, Telegram's dark theme): the cohort as /cohort tells it.
    await page.open(app.init_data(LI, language="zh"), theme=DARK)
    await page.settled()
    assert await page.text("#title") == zh.gettext("Synergy dashboard")
    assert (
        await page.call(
            lambda: page.driver.find_element("css selector", "html").get_attribute("data-scheme")
        )
        == "dark"
    )
    assert await page.text("#cohort-students") == "1"
    row = '[data-groups="model"] tr[data-dimension="tech_rd"]'
    shown = [await page.text(f"{row} td.{c}") for c in ("baseline", "current", "points", "percent")]
    assert shown == ["57.5", "75.0", "+17.5", "+30.4%"]
    assert "57.5→75.0 (+17.5, +30.4%)" in cohort_text  # the chat's figures, the same
    assert await page.text('[data-reliability] tr[data-dimension="tech_rd"] td.alpha')
    await page.shot("cohort-coordinator-zh-dark")
    await page.click('[data-roster] tr[data-student="2001"] button')
    await page.settled()
    assert await page.text("#student-name") == "Chen Jie"
    await page.shot("student-opened-by-coordinator")

    # The student: their own page, as /progress tells it.
    await page.open(app.init_data(CHEN, language="en"))
    await page.settled()
    tech = '[data-dims] tr[data-dimension="tech_rd"]'
    cells = [
        await page.text(f"{tech} td.{c}") for c in ("baseline", "current", "points", "percent")
    ]
    assert cells == ["57.5", "75.0", "+17.5", "+30.4%"]
    assert "baseline 57.5, now 75.0 (+17.5 points, +30.4%)" in progress_text
    assert await page.text("#credits-total") == "4"
    assert len(await page.texts("svg.chart path.series")) == 3
    await page.shot("student-own-page-light")

    # The mentor: the queue, a report opened from the chat's Open button, scored.
    database = Database.from_url(app.settings.database_url)
    try:
        assessment = await waiting_report(database, app.clock)
    finally:
        await database.dispose()
    await page.open(app.init_data(WANG))
    await page.settled()
    assert len(await page.texts("ol.queue li")) == 1
    await page.shot("queue-mentor")
    await page.open(app.init_data(WANG), query=f"?view=queue&assessment={assessment}")
    await page.settled()
    assert "<b>Robots</b> & kids" in await page.text("main")  # shown as text, not markup
    # Beside each score, the manual in force: its version and every level's descriptor.
    assert await page.text("#manual-version") == (
        "Assessment manual: the built-in rubric (version 1)"
    )
    levels = await page.texts('ul.rubric[data-dimension="rule_adaptation"] li')
    assert len(levels) == 5
    assert (
        levels[2]
        == "60-74 competent: applies data protection, privacy and copyright rules correctly"
    )

    def fill() -> None:
        for name, value in (("tech_rd", "80"), ("cross_cultural", "75"), ("rule_adaptation", "70")):
            page.driver.find_element("css selector", f"input[name={name}]").send_keys(value)
        page.driver.find_element("css selector", "textarea[name=comment]").send_keys("Well done")

    await page.call(fill)
    await page.click("form.score button[type=submit]")

    async def notice(state: str) -> None:
        for _ in range(100):
            found = await page.call(
                lambda: page.driver.find_element("css selector", "#score-notice").get_attribute(
                    "data-state"
                )
            )
            if found == state:
                return
            await asyncio.sleep(0.1)
        raise AssertionError(f"the page did not say {state}")

    await notice("saved")
    told = await message_with(tg, CHEN, "scored your report")
    assert "Wang Fang" in told.text and "Well done" in told.text
    await page.shot("report-scored")
    await page.click("form.score button[type=submit]")
    await notice("already")
    await tg.idle()
    assert sum("scored your report" in m.text for m in tg.messages(CHEN)) == 1
    assert await page.severe() == []


async def test_refusals_in_the_browser(page: Page, app: MiniApp) -> None:
    en = Translations.load().for_language("en")
    unauthorized = en.gettext(
        "Telegram's launch data is missing, too old or not signed for this bot: "
        "open the dashboard again from the bot's menu button or /dashboard."
    )
    old = app.clock.now() - dt.timedelta(days=2)
    for init_data in (app.init_data(LI, forge=True), app.init_data(LI, auth_date=old), ""):
        await page.open(init_data)
        await page.settled("unauthorized")
        assert await page.text("main") == unauthorized
        assert await page.text("#who") == ""  # nothing about anyone
    await page.shot("refused-forged")
    # A student opening another student's page (or a coordinator's): refused, no data.
    await page.open(app.init_data(CHEN), query=f"?view=student&id={LI}")
    await page.settled("forbidden")
    assert await page.text("main") == en.gettext("This is not yours to see.")
    await page.shot("refused-other-student")
    assert await page.severe() == []


def test_the_demo_prints_signed_links_and_its_menu_opens_the_mini_app(
    browser: Any, tmp_path: Path, shots: Path
) -> None:
    """`python -m bot demo --serve`: the three printed links open the dashboard as a
    coordinator, a mentor and a student; the playground's menu button opens it too."""
    import signal
    import subprocess
    import sys

    from selenium.webdriver.support.wait import WebDriverWait

    root = Path(__file__).resolve().parents[2]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_"))}
    errors = tmp_path / "stderr.txt"
    with (
        errors.open("w") as stderr,
        subprocess.Popen(
            [sys.executable, "-m", "bot", "demo", "--serve", "--port", "0"],
            cwd=tmp_path,
            env={**env, "PYTHONPATH": str(root)},
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        ) as process,
    ):
        assert process.stdout is not None
        try:
            playground, links = None, []
            for line in process.stdout:
                found = re.search(r"(http://127\.0\.0\.1:\d+/\S*)", line)
                if found and line.startswith("Playground"):
                    playground = found.group(1)
                elif found and line.startswith("Dashboard"):
                    links.append(found.group(1))
                if len(links) == 3:
                    break
            assert playground and len(links) == 3, errors.read_text()[-2000:]

            def ready() -> str:
                return str(
                    WebDriverWait(browser, 30, 0.1).until(
                        lambda d: (
                            (
                                d.find_element("css selector", "body").get_attribute("data-state")
                                or ""
                            ).replace("loading", "")
                            or False
                        )
                    )
                )

            tabs = []
            for link in links:
                browser.get("about:blank")  # a new fragment alone would not reload the page
                browser.get(link)
                assert ready() == "ready"
                tabs.append([b.text for b in browser.find_elements("css selector", "nav button")])
            everyone = ["Check-ins", "On call", "Topics and achievements"]
            assert tabs == [
                ["Cohort", "Progress", *everyone, "Downloads"],
                ["Reports to score", "Progress", *everyone],
                ["Progress", *everyone],
            ]
            browser.save_screenshot(str(shots / "demo-student.png"))
            browser.get(playground + "#person=1001")
            menu = WebDriverWait(browser, 30, 0.2).until(
                lambda d: d.find_elements("css selector", "#menu-button")
            )[0]
            menu.click()
            WebDriverWait(browser, 10, 0.1).until(lambda d: len(d.window_handles) == 2)
            browser.switch_to.window(browser.window_handles[1])
            assert ready() == "ready"
            assert browser.find_element("css selector", "#who").text.startswith("Li Wei")
        finally:
            process.send_signal(signal.SIGINT)
            assert process.wait(30) == 0, errors.read_text()[-2000:]
