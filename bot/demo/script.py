"""The script of the demo's month: people act as the consortium does in four weeks (joining,
a question escalated, the check-in, a research topic, weekly reports and scores, the digest,
the views, then a course module's session), and each step waits for what the bot is
expected to answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import re
from collections.abc import AsyncIterator, Callable
from functools import partial

from babel.dates import format_skeleton

from bot.clock import ManualClock
from bot.demo.cast import (
    GROUP_ID,
    GROUP_TITLE,
    MENTORS,
    NEWCOMER,
    PEOPLE,
    START,
    STEP,
    STUDENTS,
    WORK,
)
from bot.demo.transcript import Transcript
from bot.fake_telegram import FakeGroup, FakeTelegram, FakeUser, SentMessage
from bot.i18n import Translator

# The research institute's mentor scores no weekly report in the last two weeks: below the
# consortium's least share (80%), they are reminded, then the coordinator is told.
BUSY, BUSY_WEEKS = 1201, (3, 4)


class DemoError(RuntimeError):
    """The bot did not do what the script expected (a bug, or a changed conversation)."""


class Demo:
    """The script: people act, the bot answers; each step waits for what it expects."""

    def __init__(
        self,
        tg: FakeTelegram,
        clock: ManualClock,
        t: Translator,
        lang: str,
        echo: Callable[[str], None],
    ) -> None:
        self.tg, self.clock, self.t, self.lang = tg, clock, t, lang
        self.users: dict[int, FakeUser] = {}
        self.group: FakeGroup | None = None
        self.scored: set[tuple[int, int]] = set()
        self.log = Transcript(tg, echo, {**PEOPLE, NEWCOMER[0]: NEWCOMER[1]}, t)

    # --- people acting ------------------------------------------------------------------

    def user(self, telegram_id: int) -> FakeUser:
        if telegram_id not in self.users:
            name = PEOPLE.get(telegram_id) or NEWCOMER[1]
            self.users[telegram_id] = self.tg.user(telegram_id, name, language_code=self.lang)
        return self.users[telegram_id]

    async def send(self, telegram_id: int, text: str, *, in_group: bool = False) -> SentMessage:
        """A message to the bot (privately, or in the group); the bot's answer there."""
        user = self.user(telegram_id)
        chat_id = GROUP_ID if in_group else telegram_id
        before = len(self.tg.messages(chat_id))
        self.log.person(user, text, self.group if in_group else None)
        user.send(text, chat=self.group if in_group else None)
        return await self.after(chat_id, before)

    async def press(self, telegram_id: int, message: SentMessage, label: str) -> SentMessage:
        """Press the button with this (translated) label; the edited message or a new one."""
        user = self.user(telegram_id)
        key = (message.chat_id, message.message_id)
        edits, before = self.tg.edits.get(key, 0), self.count(message.chat_id)
        self.log.person(user, f"[{label}]")
        query = user.press(message, label)

        def outcome() -> SentMessage | None:
            if self.tg.edits.get(key, 0) > edits:
                return self.tg.message(*key)
            messages = self.tg.messages(message.chat_id)
            if len(messages) > before:
                return messages[before]
            answer = user.answer_to(query)
            return message if answer is not None and answer.get("text") else None

        try:
            result: SentMessage = await self.tg.wait_for(outcome, 20)
        except TimeoutError:
            raise DemoError(f"nothing came of pressing {label!r}") from None
        answer = user.answer_to(query)
        if result is message and answer is not None and self.log.shows(message.chat_id):
            reply = self.t.gettext("bot (to the button): {text}").format(text=answer["text"])
            self.log.narrate(f"  {reply}")
        return result

    async def after(self, chat_id: int, before: int, timeout: float = 20) -> SentMessage:
        """The first message the bot sends to this chat after the `before`-th."""

        def arrived() -> SentMessage | None:
            messages = self.tg.messages(chat_id)
            return messages[before] if len(messages) > before else None

        try:
            message: SentMessage = await self.tg.wait_for(arrived, timeout)
        except TimeoutError:
            raise DemoError(f"the bot did not answer in chat {chat_id}") from None
        return message

    async def later(self, delta: dt.timedelta, *waits: tuple[int, int]) -> None:
        """Move the clock on; wait for one new message in each (chat, count before) given."""
        self.clock.advance(delta)
        for chat_id, before in waits:
            await self.after(chat_id, before, timeout=30)

    @contextlib.asynccontextmanager
    async def passage(self, *chats: int, show: bool = True) -> AsyncIterator[None]:
        """A part of the story that shows only these chats (all, when none are named; none,
        when `show` is false); it ends once the bot has sent everything it was going to."""
        self.log.flush()
        self.log.focus = (frozenset(chats) if chats else None) if show else frozenset()
        try:
            yield
            await self.settled()
        finally:
            self.log.flush()
            self.log.focus = None

    async def settled(self, quiet_for: float = 0.3) -> None:
        """Until the bot has sent and edited nothing for a while (the outbox is drained)."""
        seen = -1
        for _ in range(200):
            now = len(self.tg.sent) + sum(self.tg.edits.values())
            if now == seen:
                return
            seen = now
            await asyncio.sleep(quiet_for)
        raise DemoError("the bot kept sending for a minute")

    def count(self, chat_id: int) -> int:
        return len(self.tg.messages(chat_id))

    def when(self, at: dt.datetime | None = None) -> str:
        """The moment in Ningbo (the consortium's time zone), as the reader's locale writes it."""
        moment = (at or self.clock.now()).astimezone(dt.timezone(dt.timedelta(hours=8)))
        day = format_skeleton("yMMMEd", moment, locale=self.lang)
        return self.t.gettext("{moment} in Ningbo").format(moment=f"{day} {moment:%H:%M}")

    # --- the month ------------------------------------------------------------------------

    async def onboarding(self) -> None:
        self.log.heading(self.t.gettext("Week 1 · {when} · joining").format(when=self.when()))
        async with self.passage(1001, 2001):
            for telegram_id in PEOPLE:
                await self.send(telegram_id, "/start")
        self.log.narrate(
            "  " + self.t.gettext("(the other six people of the consortium file press Start too)")
        )
        async with self.passage():
            invite = await self.send(1001, "/invite edtech contact")
            token = re.search(r"start=([A-Za-z0-9_-]+)", invite.text)
            if token is None:
                raise DemoError("no invite link in the coordinator's answer")
            await self.send(NEWCOMER[0], f"/start {token.group(1)}")
            await self.send(1001, f"/rotation edtech 1101 {NEWCOMER[0]}")
            self.group = self.tg.group(GROUP_ID, GROUP_TITLE)
            adds = self.t.gettext("Li Wei adds the bot to {group}")
            self.log.narrate(adds.format(group=GROUP_TITLE))
            before = self.count(GROUP_ID)
            self.group.add_bot(by=self.user(1001))
            await self.after(GROUP_ID, before)
            await self.send(1001, "/link", in_group=True)
            await self.send(2001, "/help")

    async def question(self) -> None:
        async with self.passage():
            await self._question()

    async def _question(self) -> None:
        t = self.t
        self.log.heading(
            t.gettext("Week 1 · {when} · a question for a party, escalated").format(
                when=self.when()
            )
        )
        wang_before, tan_before = self.count(1101), self.count(NEWCOMER[0])
        await self.send(
            2001,
            "/ask edtech " + t.gettext("Can we borrow two robotics kits for Saturday's fair?"),
            in_group=True,
        )
        await self.after(1101, wang_before)
        self.log.narrate("  " + t.gettext("(Wang Fang is in a meeting and does not react)"))
        await self.later(dt.timedelta(minutes=31), (NEWCOMER[0], tan_before))
        delivery = self.tg.messages(NEWCOMER[0])[tan_before]
        await self.press(NEWCOMER[0], delivery, t.gettext("Acknowledge"))
        group_before = self.count(GROUP_ID)
        tan = self.user(NEWCOMER[0])
        answer = t.gettext("Yes: two kits will be at the school's gate on Friday at 16:00.")
        self.log.person(tan, t.gettext("(replying to the question) {text}").format(text=answer))
        tan.send(answer, reply_to=delivery)
        await self.after(GROUP_ID, group_before)
        await self.send(1001, "/requests")

    async def checkin(self) -> None:
        async with self.passage():
            await self._checkin()

    async def _checkin(self) -> None:
        t = self.t
        self.log.heading(
            t.gettext("Week 1 · {when} · the monthly check-in").format(when=self.when())
        )
        await self.send(1001, "/checkin next")
        before = self.count(GROUP_ID)
        await self.later(dt.timedelta(minutes=40), (GROUP_ID, before), (GROUP_ID, before + 1))
        poll = next(m for m in reversed(self.tg.messages(GROUP_ID)) if m.poll)
        options = [option["text"] for option in (poll.poll or {})["options"]]
        for telegram_id, option in ((1002, 0), (1101, 1), (1301, 0)):
            vote = t.gettext("(votes: {option})").format(option=options[option])
            self.log.person(self.user(telegram_id), vote)
            self.user(telegram_id).vote(poll, [option])
        item = t.gettext("Send the fair's equipment list to the school by Thursday")
        await self.send(1101, f"/action {item}")
        await self.settled()
        self.log.heading(t.gettext("Two days later"))
        liu, group = self.count(1201), self.count(GROUP_ID)
        await self.later(dt.timedelta(hours=48), (1201, liu), (GROUP_ID, group))
        self.log.person(self.user(1201), t.gettext("(votes: {option})").format(option=options[0]))
        self.user(1201).vote(poll, [0])
        await self.settled()
        self.log.heading(t.gettext("The check-in's 72 hours are over"))
        before = self.count(GROUP_ID)
        await self.later(dt.timedelta(hours=25), (GROUP_ID, before))

    async def research(self) -> None:
        async with self.passage(1201, 1001, 2001, GROUP_ID):
            await self._research()
        async with self.passage(1101, 2001):
            today = self.clock.now().date()
            for day in (today - dt.timedelta(days=1), today):  # a day holds 24 hours at most
                note = self.t.gettext("PLC basics")
                await self.send(1101, f"/training 2001 20 {day.isoformat()} {note}")

    async def _research(self) -> None:
        """A research topic from its writing to a scored team report, then an achievement,
        the revenue from it and a student's hours of enterprise training."""
        t = self.t
        self.log.heading(
            t.gettext("Week 1 · {when} · a research topic, an achievement, its revenue").format(
                when=self.when()
            )
        )
        await self.send(1201, "/topic new")
        await self.send(1201, t.gettext("Robot kits for primary science lessons"))
        await self.send(
            1201,
            t.gettext(
                "Which low-cost robot kits help Thai primary pupils learn science, and how "
                "should teachers use them? The team tests three kits in class for a term."
            ),
        )
        await self.send(1201, t.gettext("Python, classroom observation, Thai or English"))
        await self.send(1201, "2")
        deadline = (self.clock.now() + dt.timedelta(days=14)).date().isoformat()
        check = await self.send(1201, deadline)
        li_before = self.count(1001)
        await self.press(1201, check, t.gettext("Publish"))
        notice = await self.after(1001, li_before)
        group_before = self.count(GROUP_ID)
        await self.press(1001, notice, t.gettext("Announce in the groups"))
        card = await self.after(GROUP_ID, group_before)
        liu_before = self.count(1201)
        await self.press(2001, card, t.gettext("Apply"))
        application = await self.after(1201, liu_before)
        chen_before = self.count(2001)
        await self.press(1201, application, t.gettext("Accept"))
        await self.after(2001, chen_before)
        chen_before = self.count(2001)
        await self.send(1201, "/topic start 1 1002 1101 1201")
        await self.after(2001, chen_before)
        await self.send(2001, "/topicreport")
        await self.send(
            2001,
            t.gettext(
                "Tried the first kit in two Grade 4 classes; pupils built a light sensor and "
                "kept a log of their measurements."
            ),
        )
        who = await self.send(2001, t.gettext("Try the second kit; we need the school's tablets."))
        review = await self.press(2001, who, t.gettext("Done"))
        await self.press(2001, review, t.gettext("Submit"))
        label = t.gettext("Score this report")
        feedback_before = self.count(2001)
        for mentor, values in (
            (1201, ("80", "70", "70")),
            (1002, ("70", "70", "60")),
            (1101, ("80", "60", "70")),
        ):  # only Liu Yang's chat is shown
            request = await self.tg.wait_for(partial(self._unscored, mentor), 20)
            self.scored.add((request.chat_id, request.message_id))
            step = await self.press(mentor, request, label)
            for value in values:
                step = await self.press(mentor, step, value)
            step = await self.press(mentor, step, t.gettext("No comment"))
            await self.press(mentor, step, t.gettext("Save"))
        await self.after(2001, feedback_before + 2)  # Chen Jie has the three mentors' scores
        self.log.narrate(
            "  " + t.gettext("(Zhang Min and Wang Fang score the team's report the same way)")
        )
        await self.send(2001, "/achievement 1 software " + t.gettext("Science kit lesson planner"))
        chen_before = self.count(2001)
        await self.send(1001, "/revenue 1 10000 CNY " + t.gettext("licence to a school group"))
        await self.after(2001, chen_before)  # the split, posted to the student too
        await self.send(1201, "/topic close 1")

    async def week_of_reports(self, week: int, *, shown: bool) -> None:
        """Every student reports; every mentor scores. In the first week Chen Jie's report and
        Zhang Min's scores of it are shown in full; the rest is summed up in one line."""
        async with self.passage(2001, 1002, show=shown):
            await self.report(2001, week)
        async with self.passage(show=False):
            for student in STUDENTS[1:]:
                await self.report(student, week)

        def delivered() -> bool:  # every review request (and week 1's file) has arrived
            files = week > 1 or all(
                any(m.raw.get("document") for m in self.tg.messages(mentor)) for mentor in MENTORS
            )
            return files and all(len(self._requests(mentor)) == len(STUDENTS) for mentor in MENTORS)

        await self.tg.wait_for(delivered, timeout=30)
        busy = week in BUSY_WEEKS
        if busy:  # the research mentor leaves this week's requests unscored
            self.scored.update((m.chat_id, m.message_id) for m in self._requests(BUSY))
        async with self.passage(1002, 2001, show=shown):
            await self.score(1002, 2001, week)
        async with self.passage(show=False):
            for mentor in MENTORS:
                for student in STUDENTS:
                    if (mentor, student) != (1002, 2001) and not (busy and mentor == BUSY):
                        await self.score(mentor, student, week)
        summary = (
            self.t.gettext(
                "(the other reports of the week written and scored the same way: "
                "{reports} reports and {scores} scores in all)"
            )
            if shown
            else self.t.gettext(
                "(this week's reports written and scored through the same conversations: "
                "{reports} reports and {scores} scores)"
            )
        )
        scores = len(STUDENTS) * (len(MENTORS) - busy)
        self.log.narrate("  " + summary.format(reports=len(STUDENTS), scores=scores))
        if busy:
            self.log.narrate(
                "  "
                + self.t.gettext("({mentor} scores none of this week's reports)").format(
                    mentor=PEOPLE[BUSY]
                )
            )

    async def report(self, student: int, week: int) -> None:
        t = self.t
        step = await self.send(student, "/report")
        if step.buttons and "1/7" not in step.text:  # which week: this one
            step = await self.press(student, step, step.buttons[-1][0])
        await self.send(student, t.gettext(WORK[student][0]))
        episode = await self.send(student, str(30 + week * 2))
        if student == 2001 and week == 1:
            rules = await self.send(
                student,
                t.gettext("A parent asked us not to photograph her child; we blurred the photos."),
            )
            rules = await self.press(student, rules, t.gettext("Child privacy"))
        else:
            rules = await self.press(student, episode, t.gettext("Nothing this week"))
        problems = await self.press(student, rules, t.gettext("Next"))
        rating = await self.press(student, problems, t.gettext("No problems"))
        for value in ("3", "4", "4"):
            rating = await self.press(student, rating, value)
        files = rating
        if student == 2001 and week == 1:
            user = self.user(student)
            before = self.count(student)
            self.log.person(user, t.gettext("(sends a file) {name}").format(name="lesson-plan.pdf"))
            user.send_document(
                "lesson-plan.pdf", b"%PDF-1.7 lesson plan", mime_type="application/pdf"
            )
            files = await self.after(student, before)
        review = await self.press(student, files, files.buttons[0][0])
        await self.press(student, review, t.gettext("Submit"))

    def _unscored(self, mentor: int) -> SentMessage | None:
        """The first review request this mentor has not scored yet."""
        requests = self._requests(mentor)
        return requests[0] if requests else None

    def _requests(self, mentor: int) -> list[SentMessage]:
        """The review requests this mentor has received and not scored yet (a reminder of
        one carries the same button, and is not another request)."""
        label = self.t.gettext("Score this report")
        reminder = self.t.gettext(
            "The weekly report of {student} for {week} has been waiting for your scores for a "
            "few days."
        ).split("{week}")[-1]
        return [
            m
            for m in self.tg.messages(mentor)
            if label in str(m.buttons)
            and not m.text.endswith(reminder)
            and (m.chat_id, m.message_id) not in self.scored
        ]

    async def score(self, mentor: int, student: int, week: int) -> None:
        t = self.t
        request = next((m for m in self._requests(mentor) if PEOPLE[student] in m.text), None)
        if request is None:
            raise DemoError(f"{PEOPLE[mentor]} got no report of {PEOPLE[student]} to score")
        self.scored.add((request.chat_id, request.message_id))
        base = WORK[student][1] + STEP * (week - 1) + (MENTORS.index(mentor) - 1) * 3
        step = await self.press(mentor, request, t.gettext("Score this report"))
        for dimension, offset in enumerate((0, -6, 4)):
            # Mentors differ a little from week to week: a fixed, repeatable jitter.
            jitter = (mentor * 7 + student * 13 + week * 29 + dimension * 17) % 11 - 5
            value = str(max(0, min(100, base + offset + jitter)))
            if value in [text for text, _ in step.buttons]:
                step = await self.press(mentor, step, value)
            else:
                step = await self.send(mentor, value)
        if mentor == 1002 and student == 2001 and week == 1:
            step = await self.send(
                mentor, t.gettext("Good lesson plans; next, let the pupils lead.")
            )
        else:
            step = await self.press(mentor, step, t.gettext("No comment"))
        await self.press(mentor, step, t.gettext("Save"))

    async def participation(self) -> None:
        """The research mentor's unscored weeks count (eight days after they were asked):
        below the least share, the mentor is reminded; a day later, still below, the
        coordinator is told (the mentor is the institute's only contact)."""
        for moment, chat in (
            (START + dt.timedelta(weeks=2, days=12, hours=4, minutes=2), BUSY),
            (START + dt.timedelta(weeks=2, days=13, hours=4, minutes=4), 1001),
        ):
            self.log.heading(
                self.t.gettext("{when} · a mentor below the share of weeks scored").format(
                    when=self.when(moment)
                )
            )
            async with self.passage(chat):
                await self.later(moment - self.clock.now(), (chat, self.count(chat)))

    async def digest(self) -> None:
        """1 December in Ningbo: the coordinator's digest of November, party by party."""
        moment = START + dt.timedelta(weeks=4, days=1)
        self.log.heading(
            self.t.gettext("{when} · the monthly digest").format(when=self.when(moment))
        )
        async with self.passage(1001):
            await self.later(moment - self.clock.now(), (1001, self.count(1001)))

    async def courses(self) -> None:
        """A co-built module's session: reminders, attendance confirmed and marked; the
        coordinator warned of a gap in a student's programme, and its plan."""
        t = self.t
        self.log.heading(
            t.gettext("{when} · a course module, its reminders and attendance").format(
                when=self.when()
            )
        )
        start = dt.datetime(2026, 12, 2, 8, 0, tzinfo=dt.UTC)  # 16:00 in Ningbo
        async with self.passage(2001, 1101, 1001):
            await self.send(2001, "/courses")
            await self.later(
                start - dt.timedelta(hours=24) - self.clock.now(), (2001, self.count(2001))
            )
            # Wednesday 2 December in Bangkok: Li Na's January gap is 40 days ahead.
            waits = (2001, self.count(2001)), (1001, self.count(1001))
            await self.later(start - dt.timedelta(hours=1) - self.clock.now(), *waits)
            reminder = self.tg.messages(2001)[-1]
            self.log.heading(t.gettext("After the session"))
            # The module has ended: its builders' contacts are asked to review it (see survey).
            reviewers = (1101, self.count(1101)), (1002, self.count(1002))
            await self.later(start + dt.timedelta(minutes=100) - self.clock.now(), *reviewers)
            await self.press(2001, reminder, t.gettext("I attended"))
            listing = await self.send(1101, "/courses")
            label = next(text for text, _ in listing.buttons)
            sheet = await self.press(1101, listing, label)
            for name in (PEOPLE[2002], PEOPLE[2003]):
                sheet = await self.press(1101, sheet, f"⬜ {name}")
            await self.send(1001, "/plan 2002")
            await self.send(2001, "/credits")

    async def survey(self) -> None:
        """What the enterprise and the site need (a demand survey), and the ended module's
        review by its builders, with the change its next run makes in reply."""
        t = self.t
        self.log.heading(
            t.gettext("{when} · a talent-demand survey and a module's review").format(
                when=self.when()
            )
        )
        skills = [t.gettext("data protection law"), t.gettext("cross-cultural communication")]
        async with self.passage(1001, 1101, 1301, 1002):
            waits = {contact: self.count(contact) for contact in (1101, 1301)}
            await self.send(1001, "/survey send " + ", ".join(skills))
            for contact, skill in ((1101, skills[0]), (1301, skills[1])):
                ask = await self.after(contact, waits[contact])
                ask = await self.press(contact, ask, f"▫️ {skill}")
                prompt = await self.press(contact, ask, t.gettext("Done"))
                if contact == 1101:
                    await self.send(contact, t.gettext("Python for data pipelines"))
                else:
                    await self.press(contact, prompt, t.gettext("No other needs"))
            await self.send(1001, "/survey results")
            # The module ended after its session: each builder's contact rates it.
            title = t.gettext("Review of the module {title}").split("{title}")[0]
            for contact, scores in ((1101, "4545"), (1002, "5443")):
                review = next(m for m in self.tg.messages(contact) if title in m.text)
                for score in scores:
                    review = await self.press(contact, review, score)
                if contact == 1101:
                    await self.send(contact, t.gettext("More cases from real audits"))
                else:
                    await self.press(contact, review, t.gettext("Nothing to change"))
            loop = await self.send(1002, "/review data-security")
            number = re.search(r"#(\d+)", loop.text)
            if number is None:
                raise DemoError("the review shows no change request")
            change = t.gettext("Two audit cases from the enterprise")
            await self.send(1002, f"/review data-security change #{number.group(1)} {change}")

    async def views(self) -> None:
        async with self.passage():
            await self._views()

    async def _views(self) -> None:
        self.log.heading(
            self.t.gettext(
                "{when} · on call, past check-ins, progress, cohort, credits, manual, data"
            ).format(when=self.when())
        )
        # Each answers with a text, then its charts or files: wait for all of them.
        for telegram_id, command, messages in (
            (1001, "/oncall", 1),
            (1001, "/checkins", 1),
            (2001, "/progress", 2),
            (1001, "/cohort", 3),
            (2001, "/credits", 1),
            (1001, "/transcript 2001", 3),
            (2001, "/manual", 1),
            (2001, "/mydata", 1),
            (1001, "/export", 3),
        ):
            before = self.count(telegram_id)
            await self.send(telegram_id, command)
            await self.after(telegram_id, before + messages - 1, timeout=60)  # the last one

    async def month(self) -> None:
        await self.onboarding()
        await self.question()
        await self.checkin()
        await self.research()
        for week in range(1, 5):
            # Friday 17:00 in Bangkok: each student who has not reported yet is reminded.
            friday = START + dt.timedelta(weeks=week - 1, days=4, hours=4)
            before = {student: self.count(student) for student in STUDENTS}
            heading = self.t.gettext("Week {week} · {when} · weekly reports")
            self.log.heading(heading.format(week=week, when=self.when(friday)))
            await self.later(friday - self.clock.now(), *before.items())
            await self.week_of_reports(week, shown=week == 1)
        await self.participation()
        await self.digest()
        await self.views()
        await self.courses()
        await self.survey()
