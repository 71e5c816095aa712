"""The playground in a real browser: `python -m bot demo --serve --lang zh` as a newcomer runs
it, then headless Chromium (Debian's `chromium` and `chromium-driver`, driven by Selenium)
picks people, writes to the bot, presses a button, votes in a check-in poll and sends a file.
The screenshot is kept under the test's tmp folder (its path is printed).

Skipped where no Chromium is installed; `.ci/run` installs it, so CI always runs it."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.i18n import Translations

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")
URL = re.compile(r"(http://127\.0\.0\.1:\d+/)")
GROUP = -1001234567890
LI, ZHANG, LIU, CHEN = 1001, 1002, 1201, 2001

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium: pip install -e '.[dev]'")
pytestmark = pytest.mark.skipif(
    not (CHROMIUM and CHROMEDRIVER),
    reason="no Chromium here: apt-get install -y chromium chromium-driver (.ci/run does)",
)


@pytest.fixture
def playground(tmp_path: Path) -> Iterator[str]:
    """The demo played in Chinese and its playground serving on a free port; its URL."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_"))}
    errors = tmp_path / "stderr.txt"
    with (
        errors.open("w") as stderr,
        subprocess.Popen(
            [sys.executable, "-m", "bot", "demo", "--lang", "zh", "--serve", "--port", "0"],
            cwd=tmp_path,
            env={**env, "PYTHONPATH": str(ROOT)},
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        ) as process,
    ):
        assert process.stdout is not None
        try:
            for line in process.stdout:  # the month's transcript, then the playground's line
                found = URL.search(line)
                if found:
                    yield found.group(1)
                    break
            else:
                pytest.fail(f"the demo ended without a playground: {errors.read_text()[-2000:]}")
        finally:
            process.send_signal(signal.SIGINT)
            assert process.wait(30) == 0, errors.read_text()[-2000:]  # Ctrl-C stops it cleanly


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage"):
        options.add_argument(argument)
    options.add_argument("--window-size=1500,1000")
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        shot = tmp_path / "playground.png"
        driver.save_screenshot(str(shot))
        print(f"screenshot of the playground: {shot}")
        driver.quit()


def test_a_newcomer_talks_to_the_bot_as_several_people(
    playground: str, browser: Any, tmp_path: Path
) -> None:
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.select import Select
    from selenium.webdriver.support.wait import WebDriverWait

    zh = Translations.load().for_language("zh")
    driver = browser

    def until(condition: Callable[[], Any], timeout: float = 30) -> Any:
        # A message re-rendered (edited, voted on) between finding and reading it: look again.
        wait = WebDriverWait(
            driver, timeout, 0.2, ignored_exceptions=(StaleElementReferenceException,)
        )
        return wait.until(lambda _: condition())

    def chat(chat_id: int) -> Any:
        return driver.find_element(By.CSS_SELECTOR, f'section[data-chat="{chat_id}"]')

    def texts(chat_id: int, kind: str = "bot") -> list[str]:
        return [m.text for m in chat(chat_id).find_elements(By.CSS_SELECTOR, f"li.{kind}")]

    def be(person: int) -> None:
        Select(driver.find_element(By.ID, "person")).select_by_value(str(person))
        until(lambda: chat(person).find_elements(By.CSS_SELECTOR, "li.message"))
        until(lambda: chat(GROUP).find_elements(By.CSS_SELECTOR, "li.message"))

    def write(chat_id: int, text: str) -> None:
        before = len(texts(chat_id))
        box = chat(chat_id).find_element(By.CSS_SELECTOR, "textarea")
        box.send_keys(text)
        chat(chat_id).find_element(By.CSS_SELECTOR, "button.send").click()
        until(lambda: len(texts(chat_id)) > before)

    driver.get(playground)
    until(lambda: driver.find_element(By.ID, "title").text == zh.gettext("Synergy Bot playground"))
    assert driver.find_element(By.CSS_SELECTOR, "html").get_attribute("lang") == "zh"

    # Chen Jie, a student, asks for help privately and asks a party in the group.
    be(CHEN)
    assert chat(CHEN).find_element(By.CSS_SELECTOR, "button.send").text == zh.gettext("Send")
    write(CHEN, "/help")
    assert re.sub("<[^>]+>", "", zh.gettext("<b>What you can do here</b>")) in texts(CHEN)[-1]
    question = zh.gettext("Can we borrow two robotics kits for Saturday's fair?")
    write(GROUP, f"/ask ai-lab {question}")
    assert "#2" in texts(GROUP)[-1]

    # Liu Yang, the institute's only contact, is on call: acknowledges with the button.
    be(LIU)
    acknowledge = zh.gettext("Acknowledge")
    until(lambda: question in texts(LIU)[-1])
    buttons = (
        chat(LIU)
        .find_elements(By.CSS_SELECTOR, "li.bot")[-1]
        .find_elements(By.CSS_SELECTOR, "button.inline")
    )
    next(button for button in buttons if button.text == acknowledge).click()
    toast = chat(LIU).find_element(By.CSS_SELECTOR, "p.toast")
    until(lambda: toast.is_displayed())
    assert toast.text == zh.gettext("Acknowledged: no one else will be alerted.")

    # Li Wei, the coordinator, opens a check-in; Zhang Min votes in its poll in the group.
    be(LI)
    write(LI, "/checkin")
    until(lambda: chat(GROUP).find_elements(By.CSS_SELECTOR, "li.bot .poll .option:enabled"))
    be(ZHANG)

    def first_option() -> Any:
        latest = chat(GROUP).find_elements(By.CSS_SELECTOR, "li.bot .poll")[-1]
        return latest.find_elements(By.CSS_SELECTOR, "button.option")[0]

    until(lambda: first_option().click() or True)

    def voted() -> bool:
        first = first_option()
        counted = first.find_element(By.CSS_SELECTOR, ".count").text == "1"
        return counted and "chosen" in (first.get_attribute("class") or "")

    until(voted)
    assert zh.ngettext("{n} vote", "{n} votes", 1).format(n=1) in chat(GROUP).text

    # Zhang Min sends a file privately: it arrives as a Telegram document from her.
    plan = tmp_path / "lesson-plan.pdf"
    plan.write_bytes(b"%PDF-1.7 lesson plan")
    chat(ZHANG).find_element(By.CSS_SELECTOR, "input[type=file]").send_keys(str(plan))
    until(lambda: any("lesson-plan.pdf" in text for text in texts(ZHANG, "mine")))

    errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []  # nothing refused by the page's CSP, no script error
