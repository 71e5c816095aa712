"""The Mini App's server end to end: the real bot with WEB_PORT set, called as the page
calls it, with launch data signed by hand in the test. Refusals (401 with no data, 403 that
tells nothing), the cohort's and a student's figures against /cohort's and /progress's, the
cached summary following the database, and scoring a report as Save does in the chat."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from bot.clock import ManualClock
from bot.config import Settings
from bot.fake_telegram import FakeTelegram
from bot.services.consortium_io import import_file, import_scores_file
from db.engine import Database
from db.models import ApiCallCount
from db.repositories import Repos
from tests.conftest import POSTGRES_URL, SAMPLE_FILE
from tests.e2e.conftest import RunningBot, message_with, started, until
from tests.e2e.miniapp import MiniApp, waiting_report, with_web
from tests.e2e.test_manual import manual

LI, ZHANG, CHEN, WANG, LIU = 1001, 1002, 2001, 1101, 1201
STRANGER = 4242


async def test_launch_data_missing_forged_or_old_gets_401_and_nothing(app: MiniApp) -> None:
    token = app.settings.telegram_bot_token
    assert token is not None
    now = app.clock.now()
    cases = {
        "none": {},
        "not tma": {"Authorization": f"Bearer {app.init_data(LI)}"},
        "forged": {"Authorization": f"tma {app.init_data(LI, forge=True)}"},
        "old": {
            "Authorization": f"tma {app.init_data(LI, auth_date=now - dt.timedelta(hours=25))}"
        },
        "future": {
            "Authorization": f"tma {app.init_data(LI, auth_date=now + dt.timedelta(hours=1))}"
        },
        "other bot": {"Authorization": "tma " + app.init_data(LI).replace("hash=", "hash=0")},
    }
    for case, headers in cases.items():
        response = await app.client.get("/app/api/cohort", headers=headers)
        assert response.status_code == 401, case
        assert response.json() == {"error": "unauthorized"}, case
    fresh = await app.get("cohort", LI)
    assert fresh.status_code == 200


async def test_refusals_tell_nothing(app: MiniApp) -> None:
    # A stranger, and a student asking for a coordinator's view: 403, no data.
    assert (await app.get("me", STRANGER)).status_code == 403
    refused = await app.get("cohort", CHEN)
    assert (refused.status_code, refused.json()) == (403, {"error": "forbidden"})
    # A student opening another person's page: the same 403 for a person who exists, one who
    # does not, and a mentor of nobody's student.
    answers = [await app.get("student", CHEN, id=other) for other in (LI, 999_999, WANG)]
    assert {(a.status_code, a.text) for a in answers} == {(403, '{"error": "forbidden"}')}
    # A student is no mentor: the queue is not theirs.
    assert (await app.get("queue", CHEN)).status_code == 403
    # A mentor sees their student, not the coordinator.
    assert (await app.get("student", WANG, id=CHEN)).status_code == 200
    assert (await app.get("student", WANG, id=LI)).status_code == 403
    assert (await app.get("student", CHEN, id="12ab")).status_code == 400


async def test_headers_keep_the_page_to_itself(app: MiniApp) -> None:
    page = await app.client.get("/app/", headers={"Accept-Encoding": "gzip"})
    assert page.status_code == 200 and '<script type="module" src="/app/app.js">' in page.text
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self';" in csp and "style-src 'self';" in csp
    assert "frame-ancestors 'self' https://web.telegram.org" in csp
    assert "http" not in csp.replace("https://web.telegram.org", "").replace(
        "https://webk.telegram.org", ""
    ).replace("https://webz.telegram.org", "")
    assert page.headers["Content-Encoding"] == "gzip"
    script = await app.client.get("/app/app.js")
    assert script.headers["Content-Type"].startswith("text/javascript")
    again = await app.client.get("/app/app.js", headers={"If-None-Match": script.headers["ETag"]})
    assert again.status_code == 304
    assert (await app.client.get("/app/../config.py")).status_code == 404
    api = await app.get("me", LI)
    assert api.headers["Cache-Control"] == "no-store"
    assert api.headers["Content-Security-Policy"] == csp


async def test_each_person_has_a_request_limit(
    tg: FakeTelegram, settings: Settings, clock: ManualClock, sample_consortium: None
) -> None:
    limited = with_web(settings, webapp_requests_per_minute=3)
    running = RunningBot(limited, clock)
    await running.start()
    app = MiniApp(running, limited, clock)
    try:
        answers = [await app.get("me", CHEN) for _ in range(4)]
        assert [a.status_code for a in answers] == [200, 200, 200, 429]
        assert (await app.get("me", LI)).status_code == 200  # another person's own limit
        # Alone on SQLite: counted in memory, exactly (60 s after the first call). On
        # PostgreSQL: in the database that replicas share (the test below), a sliding
        # minute estimated from two (up to a third of a minute more with three calls).
        alone = limited.database_url.startswith("sqlite")
        assert 1 <= int(answers[-1].headers["Retry-After"]) <= (60 if alone else 80)
        database = Database.from_url(limited.database_url)
        async with database.transaction() as repos:
            counted = set(await repos.session.scalars(select(ApiCallCount.telegram_id)))
        await database.dispose()
        assert counted == (set() if alone else {CHEN, LI})
    finally:
        await app.client.aclose()
        await running.stop()


@pytest.mark.postgres
@pytest.mark.skipif(not POSTGRES_URL, reason="TEST_DATABASE_URL is not set")
@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
async def test_two_replicas_share_a_persons_limit(
    tg: FakeTelegram, settings: Settings, clock: ManualClock, sample_consortium: None
) -> None:
    # Issue 27: two Mini App servers on one database behind a balancer, a person's calls
    # going to each in turn. Counted per process, each let four through (eight in all).
    limited = settings.model_copy(update={"webapp_requests_per_minute": 4})
    database = Database.from_url(settings.database_url)
    async with database.transaction() as repos:  # a count ten minutes old, for the sweep
        stale = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10)
        repos.session.add(ApiCallCount(window_start=stale, telegram_id=STRANGER, calls=4))
    apps: list[MiniApp] = []
    try:
        for _ in range(2):
            own = with_web(limited)
            running = RunningBot(own, clock)
            await running.start()
            apps.append(MiniApp(running, own, clock))
        statuses = [(await apps[i % 2].get("me", CHEN)).status_code for i in range(8)]
        assert statuses == [200, 200, 200, 200, 429, 429, 429, 429]
        refused = await apps[1].get("me", CHEN)
        # A minute's worth at most, and a quarter of one more (the count is a sliding minute
        # estimated from this minute's calls and the last one's: bot/web/limit.py).
        assert 1 <= int(refused.headers["Retry-After"]) <= 75
        assert (await apps[0].get("me", LI)).status_code == 200  # another person's own limit

        async def swept(repos: Repos) -> bool:
            counted = set(await repos.session.scalars(select(ApiCallCount.telegram_id)))
            return counted == {CHEN, LI}

        # The leader's sweep forgets the minutes before the last one; this minute's stay.
        await until(database, swept, "the sweep of the old count")
    finally:
        for app in apps:
            await app.client.aclose()
            await app.bot.stop()
        await database.dispose()


async def test_cohort_and_student_show_the_figures_of_cohort_and_progress(
    app: MiniApp, settings: Settings
) -> None:
    me = (await app.get("me", LI)).json()
    assert [v["name"] for v in me["views"]] == [
        "cohort",
        "student",
        "checkins",
        "oncall",
        "topics",
        "downloads",
    ]
    picked = (await app.get("student", WANG)).json()
    assert picked == {"pick": [{"id": CHEN, "name": "Chen Jie"}], "total": 1}
    assert me["language"] == "zh" and me["strings"]["dim.tech_rd"] != "Technology R&D"
    cohort = (await app.get("cohort", LI)).json()
    assert cohort["students"] == 1
    (model,) = cohort["groups"]["model"]  # four kinds of party scored Chen Jie
    assert model["name"] == 4 and model["students"] == 1
    # /progress's figures for Chen Jie (tests/e2e/test_analytics.py): 57.5 -> 75.0.
    assert model["dims"]["tech_rd"] == {
        "baseline": 57.5,
        "current": 75.0,
        "points": 17.5,
        "percent": 30.4,
    }
    assert model["dims"]["rule_adaptation"]["percent"] == 16.0
    assert {g["name"] for g in cohort["groups"]["site"]} == {"Bangkok International School"}
    assert cohort["flagged"] == 1
    roster = (await app.get("cohort/students", LI, q="chen")).json()
    assert roster["total"] == 1 and roster["students"][0]["id"] == CHEN
    assert (await app.get("cohort/students", LI, model="3")).json()["total"] == 0

    page = (await app.get("student", CHEN)).json()
    assert page["student"] == {"id": CHEN, "name": "Chen Jie"}
    assert page["dims"]["tech_rd"] == {**model["dims"]["tech_rd"], "weeks": 4}
    assert len(page["weeks"]) == 4
    first = page["weeks"][0]
    assert first["joint"]["tech_rd"] == 55.0
    assert {p["kind"]: p["scores"]["tech_rd"] for p in first["parties"]} == {
        "university": 40.0,
        "enterprise": 62.0,
        "research": 55.0,
        "overseas_site": 63.0,
    }
    assert page["credits"]["overseas"] == 4.0 and page["credits"]["total"] == 4.0


async def test_the_cached_summary_follows_the_database(app: MiniApp) -> None:
    before = (await app.get("cohort", LI)).json()
    assert (await app.get("cohort", LI)).json() == before  # served again, unchanged
    more = "student,date,party_kind,dimension,score\n" + "".join(
        f"2001,2026-10-05,{kind},tech_rd,95\n" for kind in ("university", "enterprise")
    )
    await import_scores_file(app.settings, more)
    after = (await app.get("cohort", LI)).json()
    assert after["version"] > before["version"]
    tech = after["groups"]["model"][0]["dims"]["tech_rd"]
    assert tech["current"] == 87.5  # the last two weeks: 80 and 95


async def test_a_mentor_scores_a_report_in_the_page(
    app: MiniApp, tg: FakeTelegram, clock: ManualClock
) -> None:
    await started(tg, CHEN, "Chen Jie")
    database = Database.from_url(app.settings.database_url)
    try:
        assessment = await waiting_report(database, clock)
    finally:
        await database.dispose()
    queue = (await app.get("queue", WANG)).json()["reports"]
    assert [r["assessment"] for r in queue] == [assessment]
    # Another mentor cannot open it, nor score it: the same 403 as for no report at all.
    assert (await app.get("queue/report", LIU, assessment=assessment)).status_code == 403
    assert (await app.get("queue/report", LIU, assessment=987654)).status_code == 403
    shown = (await app.get("queue/report", WANG, assessment=assessment)).json()
    assert shown["report"]["activities"] == "<b>Robots</b> & kids" and shown["state"] == "ok"

    bad = await app.post(
        "queue/score", WANG, {"assessment": assessment, "scores": {"tech_rd": 101}}
    )
    assert bad.status_code == 400 and bad.json()["message"]
    scores = {"tech_rd": 80, "cross_cultural": 75, "rule_adaptation": 70}
    refused = await app.post("queue/score", LIU, {"assessment": assessment, "scores": scores})
    assert refused.status_code == 403
    saved = await app.post(
        "queue/score", WANG, {"assessment": assessment, "scores": scores, "comment": "Good"}
    )
    assert saved.json()["state"] == "saved"
    told = await message_with(tg, CHEN, "scored your report")
    assert "Wang Fang" in told.text
    again = await app.post(
        "queue/score",
        WANG,
        {"assessment": assessment, "scores": {**scores, "tech_rd": 10}, "comment": "x"},
    )
    assert again.json() == {"state": "already"}
    assert (await app.get("queue", WANG)).json()["reports"] == []
    page = (await app.get("student", CHEN)).json()
    week = next(w for w in page["weeks"] if w["week"] == "2026-10-26")
    assert week["parties"] == [
        {
            "kind": "enterprise",
            "scores": {"tech_rd": 80.0, "cross_cultural": 75.0, "rule_adaptation": 70.0},
            "comment": "Good",
        }
    ]
    await tg.idle()
    assert sum("scored your report" in m.text for m in tg.messages(CHEN)) == 1


async def test_the_report_to_score_shows_the_manual_in_force_in_the_mentors_language(
    app: MiniApp, tg: FakeTelegram, clock: ManualClock
) -> None:
    await started(tg, CHEN, "Chen Jie")
    database = Database.from_url(app.settings.database_url)
    try:
        assessment = await waiting_report(database, clock)
        built_in = (await app.get("queue/report", WANG, assessment=assessment)).json()["manual"]
        assert built_in["version"] == 1
        assert built_in["title"] == "Assessment manual: the built-in rubric (version 1)"
        assert [(level["bounds"], level["name"]) for level in built_in["levels"]][:2] == [
            ("0-39", "beginning"),
            ("40-59", "developing"),
        ]
        assert built_in["descriptors"]["rule_adaptation"][2] == (
            "applies data protection, privacy and copyright rules correctly"
        )

        # The consortium's own manual becomes version 2: the page shows it, not the built-in.
        own = SAMPLE_FILE.read_text(encoding="utf-8") + manual(
            (0, 50, 80), ("Novice", "Practitioner", "Expert")
        )
        assert (
            "created 1 manual versions"
            in (await import_file(app.settings, own, now=clock.now())).summary()
        )
        shown = (await app.get("queue/report", WANG, assessment=assessment)).json()["manual"]
        assert shown["version"] == 2
        assert shown["title"] == "Assessment manual of the consortium, version 2"
        assert shown["levels"] == [
            {"low": 0, "high": 49, "bounds": "0-49", "name": "Novice"},
            {"low": 50, "high": 79, "bounds": "50-79", "name": "Practitioner"},
            {"low": 80, "high": 100, "bounds": "80-100", "name": "Expert"},
        ]
        assert shown["descriptors"]["cross_cultural"] == [
            "cross_cultural as a Novice",
            "cross_cultural as a Practitioner",
            "cross_cultural as a Expert",
        ]

        # A Chinese mentor reads the file's Chinese texts and a Chinese version line.
        async with database.transaction() as repos:
            wang = await repos.people.by_telegram_id(WANG)
            assert wang is not None
            wang.language = "zh"
        zh = (await app.get("queue/report", WANG, assessment=assessment)).json()["manual"]
    finally:
        await database.dispose()
    assert zh["version"] == 2
    assert "2" in zh["title"] and "Assessment manual" not in zh["title"]
    assert [level["name"] for level in zh["levels"]] == ["Novice级", "Practitioner级", "Expert级"]
    assert zh["descriptors"]["tech_rd"][1] == "Practitioner级的tech_rd"


WEBAPP = "https://bot.example.org/app/"


@pytest.fixture
async def with_url(
    tg: FakeTelegram, settings: Settings, clock: ManualClock, sample_consortium: None
) -> AsyncIterator[RunningBot]:
    running = RunningBot(settings.model_copy(update={"webapp_url": WEBAPP}), clock)
    await running.start()
    yield running
    await running.stop()


async def test_the_bot_opens_the_mini_app_from_its_menu_and_dashboard(
    tg: FakeTelegram, with_url: RunningBot
) -> None:
    await tg.wait_for(lambda: tg.menu_buttons.get(0))
    assert tg.menu_buttons[0]["type"] == "web_app"
    assert tg.menu_buttons[0]["web_app"] == {"url": WEBAPP}
    chen = await started(tg, CHEN, "Chen Jie")
    chen.send("/dashboard")
    answer = await chen.next_message()
    (button,) = [b for row in answer.raw["reply_markup"]["inline_keyboard"] for b in row]
    assert button["web_app"] == {"url": WEBAPP} and button["text"] == "Open"
    # /cohort asked in a group is answered in private, with the Open button there only.
    li = await started(tg, LI, "Li Wei")
    li.send("/cohort")
    cohort = await li.next_message()
    rows = cohort.raw["reply_markup"]["inline_keyboard"]
    assert rows[-1][0]["web_app"]["url"] == WEBAPP


async def test_without_webapp_url_dashboard_says_so(tg: FakeTelegram, bot: RunningBot) -> None:
    chen = await started(tg, CHEN, "Chen Jie")
    chen.send("/dashboard")
    answer = await chen.next_message()
    assert "WEBAPP_URL" in answer.text and "reply_markup" not in answer.raw
    assert tg.menu_buttons == {}


async def test_launch_data_is_never_logged(app: MiniApp, caplog: pytest.LogCaptureFixture) -> None:
    import logging

    caplog.set_level(logging.DEBUG)
    signed = app.init_data(LI)
    digest = signed.rsplit("hash=", 1)[1]
    await app.client.get("/app/api/me", headers={"Authorization": f"tma {signed}"})
    forged = app.init_data(LI, forge=True)
    await app.client.get("/app/api/me", headers={"Authorization": f"tma {forged}"})
    await app.client.get("/app/api/me", params={"tgWebAppData": signed})
    logged = "\n".join(  # the bot's side (the test's own HTTP client logs its addresses)
        record.getMessage()
        for record in caplog.records
        if not record.name.startswith(("httpx", "httpcore"))
    )
    assert "mini app GET /app/api/me 200" in logged  # the access log is on
    assert digest not in logged and "AAHdF6IQ" not in logged and "auth_date" not in logged


async def test_downloads_are_the_commands_files(app: MiniApp) -> None:
    workbook = await app.get("downloads/file", LI, what="export-xlsx")
    assert workbook.status_code == 200 and workbook.content.startswith(b"PK")
    assert workbook.headers["Content-Disposition"].startswith('attachment; filename="synergy-')
    archive = await app.get("downloads/file", LI, what="export-csv")
    assert archive.content.startswith(b"PK")
    html = await app.get("downloads/file", LI, what="transcript-html", id=CHEN)
    assert html.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "Chen Jie" in html.text
    assert "Content-Security-Policy" in html.headers  # opened, it runs nothing
    xlsx = await app.get("downloads/file", LI, what="transcript-xlsx", id=CHEN)
    assert xlsx.content.startswith(b"PK")
    # No transcript of someone who is no student (or no one); students download nothing.
    for other in (LI, 999_999):
        refused = await app.get("downloads/file", LI, what="transcript-xlsx", id=other)
        assert refused.status_code == 403
    assert (await app.get("downloads/file", CHEN, what="export-xlsx")).status_code == 403
    assert (await app.get("downloads/file", LI, what="secrets")).status_code == 400


async def test_a_review_request_opens_the_report_in_the_mini_app(
    tg: FakeTelegram, with_url: RunningBot
) -> None:
    from tests.e2e.test_reports import _mentors, _write_report

    mentors = await _mentors(tg)
    chen = await started(tg, CHEN, "Chen Jie")
    review = await _write_report(chen)
    assert "submitted" in (await chen.press_and_read(review, "Submit")).text
    request = await mentors["enterprise"].next_message()
    assert "Weekly report from Chen Jie" in request.text
    rows = request.raw["reply_markup"]["inline_keyboard"]
    opened = rows[-1][0]
    assert opened["text"] == "Open"
    assert re.fullmatch(
        re.escape(WEBAPP) + r"\?view=queue&assessment=\d+", opened["web_app"]["url"]
    )
    assert any(b.get("callback_data") for row in rows[:-1] for b in row)  # the chat's own


async def test_checkins_show_who_answered_per_party_and_the_action_items(
    app: MiniApp, clock: ManualClock
) -> None:
    from db.models import ActionItem, Checkin, CheckinState

    assert (await app.get("checkins", CHEN)).json() == {
        "checkins": [],
        "parties": [],
        "actions": [],
    }
    database = Database.from_url(app.settings.database_url)
    try:
        async with database.transaction() as repos:
            parties = {p.key: p for p in await repos.parties.all()}
            opened = dt.datetime(2026, 10, 5, 2, 0, tzinfo=dt.UTC)
            checkin = await repos.checkins.add(
                Checkin(
                    state=CheckinState.CLOSED,
                    opened_at=opened,
                    closes_at=opened + dt.timedelta(days=3),
                    closed_at=opened + dt.timedelta(days=3),
                    summary={"parties": {"nbu": ["Zhang Min"], "edtech": []}, "options": []},
                )
            )
            for text, done in (("Book the <b>hall</b>", False), ("Send the agenda", True)):
                await repos.checkins.add_action(
                    ActionItem(
                        checkin_id=checkin.id,
                        text=text,
                        party_id=parties["nbu"].id,
                        done_at=clock.now() if done else None,
                    )
                )
    finally:
        await database.dispose()
    found = (await app.get("checkins", CHEN)).json()
    assert [c["label"] for c in found["checkins"]] == ["Oct 2026"]
    cells = {row["party"]: row["cells"] for row in found["parties"]}
    assert cells == {"Ningbo University": [True], "GlobalEd Tech Ltd": [False]}
    assert "Zhang Min" not in str(found)  # who answered stays in the coordinators' export
    assert [(a["text"], a["done"]) for a in found["actions"]] == [
        ("Book the <b>hall</b>", False),
        ("Send the agenda", True),
    ]
