"""Who may use what: one declared permission per command, checked in one place."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from bot.domain.kinds import Role
from bot.i18n import N_


class Where(StrEnum):
    PRIVATE = "private"
    GROUP = "group"
    ANY = "any"


@dataclass(frozen=True)
class Restricted:
    """Sub-commands (a command's first argument) only some of its users may use, and what the
    others are told. `first`: these first arguments; when empty, every first argument (or none)
    but those in `but`. Checked with the command's roles, before its handler runs."""

    roles: frozenset[Role]
    refusal: str  # a msgid, translated when shown
    first: frozenset[str] = frozenset()
    but: frozenset[str] = frozenset()
    ignore_case: bool = True

    def covers(self, args: Sequence[str]) -> bool:
        word = (args[0].lower() if self.ignore_case else args[0]) if args else ""
        return word in self.first if self.first else word not in self.but

    def allows(self, roles: Iterable[Role]) -> bool:
        return bool(self.roles & set(roles))


@dataclass(frozen=True)
class CommandSpec:
    """A command, the roles that may use it (None: anyone) and where it works.

    `waits`: the command reads what other people's updates write (votes, answers, scores,
    settings), so it starts only once every update that arrived before it has committed. A
    command that reads only the caller's own records, or starts something new, does not wait:
    anything of others it reads, its caller learnt of from the bot, after that commit.

    `personal`: its answer shows what not everyone in a group may see (a person's scores,
    credits, questions asked elsewhere): asked in a group, it is answered in the caller's
    private chat and the group is only told so.

    `restricted`: sub-commands narrower than the command (e.g. `/checkin close`)."""

    name: str
    description: str  # a msgid, translated when shown
    roles: frozenset[Role] | None = None
    where: Where = Where.ANY
    members_only: bool = True
    waits: bool = True
    personal: bool = False
    restricted: tuple[Restricted, ...] = ()

    def allows(self, roles: Iterable[Role]) -> bool:
        return self.roles is None or bool(self.roles & set(roles))

    def refused_sub(self, args: Sequence[str], roles: Iterable[Role]) -> Restricted | None:
        """The restriction these arguments fall under and these roles do not meet, if any."""
        held = set(roles)
        return next((r for r in self.restricted if r.covers(args) and not r.allows(held)), None)

    def works_in(self, chat_type: str) -> bool:
        if self.where is Where.ANY:
            return True
        is_private = chat_type == "private"
        return is_private if self.where is Where.PRIVATE else not is_private


COORDINATORS = frozenset({Role.COORDINATOR})
MANAGERS = frozenset({Role.COORDINATOR, Role.CONTACT})

# The one list of commands: permissions, /help and the command menus all come from here.
COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec("start", N_("Start, or join with an invite"), members_only=False, waits=False),
    CommandSpec("help", N_("What I can do for you"), waits=False),
    CommandSpec(
        "whoami", N_("Your parties, roles, language and time zone"), waits=False, personal=True
    ),
    CommandSpec("lang", N_("Change your language"), waits=False),
    CommandSpec("mydata", N_("Everything stored about you"), where=Where.PRIVATE, waits=False),
    CommandSpec("forget", N_("Erase everything stored about you"), where=Where.PRIVATE),
    CommandSpec("ask", N_("Ask a party: /ask PARTY question (/ask! when urgent)"), waits=False),
    CommandSpec("close", N_("Close a question you asked: /close NUMBER")),
    CommandSpec("history", N_("Everything that happened to a question: /history NUMBER")),
    CommandSpec("oncall", N_("Who is on call for each party")),
    CommandSpec(
        "requests",
        N_("Open questions and response times (/requests export: CSV)"),
        roles=MANAGERS,
        personal=True,
    ),
    CommandSpec(
        "rotation",
        N_("Set a party's on-call order: /rotation PARTY ID ID..."),
        roles=MANAGERS,
    ),
    CommandSpec(
        "override",
        N_("Cover on-call duty: /override PARTY ID FROM TO"),
        roles=MANAGERS,
    ),
    CommandSpec(
        "checkin",
        N_("Monthly check-in: /checkin next (coordinators: open, close, schedule)"),
        restricted=(
            Restricted(
                COORDINATORS,
                N_(
                    "Only a coordinator can open or close a check-in; "
                    "/checkin next tells when the next one is."
                ),
                but=frozenset({"next"}),
            ),
        ),
    ),
    CommandSpec(
        "checkins",
        N_("Past check-ins with participation"),
        restricted=(
            Restricted(
                COORDINATORS,
                N_("Only coordinators can export check-ins."),
                first=frozenset({"export"}),
                ignore_case=False,
            ),
        ),
    ),
    CommandSpec("action", N_("Record an action item during a check-in: /action TEXT")),
    CommandSpec("done", N_("Mark an action item done: /done NUMBER")),
    CommandSpec(
        "report",
        N_("Write this week's report (students abroad)"),
        roles=frozenset({Role.STUDENT}),
        where=Where.PRIVATE,
        waits=False,
    ),
    CommandSpec(
        "cancel",
        N_("Stop the current conversation (your draft is kept)"),
        where=Where.PRIVATE,
        waits=False,
    ),
    CommandSpec(
        "topic",
        N_("A research topic: /topic NUMBER, /topic new, need, announce, start, close"),
        restricted=(
            Restricted(
                COORDINATORS,
                N_("Only coordinators can announce a topic in the groups."),
                first=frozenset({"announce"}),
            ),
        ),
    ),
    CommandSpec("topics", N_("Open and running research topics")),
    CommandSpec(
        "manual", N_("The assessment manual: levels and what each means (/manual VERSION)")
    ),
    CommandSpec(
        "topicreport",
        N_("Write your team's research topic report"),
        roles=frozenset({Role.STUDENT}),
        where=Where.PRIVATE,
        waits=False,
    ),
    CommandSpec(
        "achievement",
        N_("Record an outcome: /achievement TOPIC|- KIND TITLE"),
        roles=frozenset({Role.STUDENT, Role.CONTACT, Role.COORDINATOR}),
        personal=True,
    ),
    CommandSpec("achievements", N_("Achievements and the revenue shared from them"), personal=True),
    CommandSpec(
        "revenue",
        N_("Record revenue and split it: /revenue ACHIEVEMENT AMOUNT [CURRENCY] [NOTE]"),
        roles=COORDINATORS,
        where=Where.PRIVATE,
    ),
    CommandSpec(
        "training",
        N_("Record enterprise training: /training STUDENT_ID HOURS [YYYY-MM-DD] [NOTE]"),
        roles=frozenset({Role.CONTACT, Role.MENTOR}),
        personal=True,
    ),
    CommandSpec(
        "progress",
        N_("Capability scores over time, with a chart"),
        roles=frozenset({Role.STUDENT, Role.MENTOR, Role.COORDINATOR}),
        personal=True,
    ),
    CommandSpec(
        "credits",
        N_("Credits for practice abroad, enterprise training and research"),
        roles=frozenset({Role.STUDENT, Role.COORDINATOR}),
        personal=True,
    ),
    CommandSpec(
        "transcript",
        N_("A student's credit transcript as XLSX and HTML: /transcript STUDENT_ID"),
        roles=COORDINATORS,
        where=Where.PRIVATE,
    ),
    CommandSpec(
        "digest",
        N_("Each party's month: attendance, response times, scoring, topics"),
        roles=COORDINATORS,
        where=Where.PRIVATE,
    ),
    CommandSpec(
        "cohort",
        N_("The cohort's growth per party, site and collaboration model"),
        roles=COORDINATORS,
        personal=True,
    ),
    CommandSpec(
        "export",
        N_("Reports, scores and aggregates as XLSX and CSV"),
        roles=COORDINATORS,
        where=Where.PRIVATE,
    ),
    CommandSpec("courses", N_("Your course modules and their next sessions"), personal=True),
    CommandSpec(
        "course",
        N_("Add a module or a session: /course new KEY LEAD TITLE, /course session KEY ..."),
        roles=MANAGERS,
    ),
    CommandSpec(
        "plan",
        N_("A student's programme week by week, gaps marked: /plan [STUDENT_ID]"),
        roles=frozenset({Role.STUDENT, Role.MENTOR, Role.COORDINATOR}),
        personal=True,
    ),
    CommandSpec(
        "dashboard",
        N_("Open the dashboard: cohort, progress, reports to score"),
        where=Where.PRIVATE,
        waits=False,
    ),
    CommandSpec(
        "survey",
        N_("Talent-demand survey: /survey send SKILL, SKILL... or /survey results [NUMBER]"),
        roles=COORDINATORS,
        personal=True,
    ),
    CommandSpec(
        "review",
        N_("A module's reviews and changes: /review MODULE [change [#N] TEXT]"),
        roles=MANAGERS,
        personal=True,
    ),
    CommandSpec(
        "invite",
        N_("Create an invite link: /invite PARTY ROLE [COUNT] [DAYSd]"),
        roles=COORDINATORS,
    ),
    CommandSpec(
        "link",
        N_("Link this group to the consortium: /link [PARTY]"),
        roles=COORDINATORS,
        where=Where.GROUP,
    ),
    CommandSpec(
        "unlink", N_("Detach this group from the consortium"), roles=COORDINATORS, where=Where.GROUP
    ),
)
COMMANDS_BY_NAME = {spec.name: spec for spec in COMMANDS}


@dataclass(frozen=True)
class ViewSpec:
    """A view of the Mini App (`bot/web/`) and the roles that may open it (None: any member).
    A view showing what a command shows takes that command's roles, so the page and the chat
    can never disagree on who may see what. Whose data a permitted view shows (a mentor's
    students only) is the service's business, as for the command."""

    name: str
    title: str  # a msgid, translated when shown
    roles: frozenset[Role] | None = None

    def allows(self, roles: Iterable[Role]) -> bool:
        return self.roles is None or bool(self.roles & set(roles))


# The Mini App's views, in the order of its tabs.
VIEWS: tuple[ViewSpec, ...] = (
    ViewSpec("cohort", N_("Cohort"), COMMANDS_BY_NAME["cohort"].roles),
    ViewSpec("queue", N_("Reports to score"), frozenset({Role.MENTOR})),
    ViewSpec("student", N_("Progress"), COMMANDS_BY_NAME["progress"].roles),
    ViewSpec("checkins", N_("Check-ins"), COMMANDS_BY_NAME["checkins"].roles),
    ViewSpec("oncall", N_("On call"), COMMANDS_BY_NAME["oncall"].roles),
    ViewSpec("topics", N_("Topics and achievements"), COMMANDS_BY_NAME["topics"].roles),
    ViewSpec("downloads", N_("Downloads"), COMMANDS_BY_NAME["export"].roles),
)
VIEWS_BY_NAME = {spec.name: spec for spec in VIEWS}


def visible_views(roles: Iterable[Role]) -> list[ViewSpec]:
    """The Mini App's views a person with these roles may open, in tab order."""
    held = set(roles)
    return [spec for spec in VIEWS if spec.allows(held)]


def visible_commands(roles: Iterable[Role], chat_type: str, is_member: bool) -> list[CommandSpec]:
    """The commands a person may use in a chat of this type, in menu order."""
    held = set(roles)
    return [
        spec
        for spec in COMMANDS
        if spec.works_in(chat_type) and (is_member or not spec.members_only) and spec.allows(held)
    ]


ROLE_NAMES = {
    Role.COORDINATOR: N_("coordinator"),
    Role.CONTACT: N_("party contact"),
    Role.MENTOR: N_("mentor"),
    Role.STUDENT: N_("student"),
}
