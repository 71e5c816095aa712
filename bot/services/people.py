"""People: who is asking, joining through an invite, language, consent and personal data."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from bot.domain.invites import (
    InviteFacts,
    InviteRequest,
    InviteState,
    check_invite,
    hash_token,
    new_token,
)
from bot.domain.time import first_zone
from bot.i18n import resolve_language
from bot.services import courses, survey
from db.errors import IntegrityError
from db.models import (
    Assessment,
    AssessmentHistory,
    Conversation,
    Invite,
    LiaisonRequest,
    Membership,
    Party,
    Person,
    RequestEvent,
    Role,
    WeeklyReport,
)
from db.repositories import Repos


@dataclass(frozen=True)
class Caller:
    """The person behind an update, as the database knows them."""

    telegram_id: int
    person: Person | None
    memberships: tuple[Membership, ...]
    language: str
    timezone: str
    conversation: Conversation | None = None
    """The conversation they were in when the update came (a report draft, a scoring)."""

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(m.role for m in self.memberships)

    @property
    def is_member(self) -> bool:
        return bool(self.memberships)

    def parties(self) -> dict[str, tuple[Party, list[Role]]]:
        grouped: dict[str, tuple[Party, list[Role]]] = {}
        for membership in self.memberships:
            grouped.setdefault(membership.party.key, (membership.party, []))[1].append(
                membership.role
            )
        return grouped


async def load_caller(
    repos: Repos, telegram_id: int, telegram_language: str | None, default_timezone: str
) -> Caller:
    consortium, person, memberships, conversation = await repos.people.caller(telegram_id)
    language = resolve_language(
        person.language if person else None,
        telegram_language,
        consortium.language if consortium else None,
    )
    party = next((m.party for m in memberships if m.party.timezone), None)
    timezone = first_zone(person, party, consortium, default=default_timezone)
    return Caller(telegram_id, person, memberships, language, timezone, conversation)


@dataclass(frozen=True)
class NewInvite:
    token: str
    party: Party
    role: Role
    uses: int
    expires_at: dt.datetime


async def create_invite(
    repos: Repos, request: InviteRequest, creator: Person | None, now: dt.datetime
) -> NewInvite | None:
    """A new invite for a known party; None when the party key is unknown."""
    party = await repos.parties.by_key(request.party_key)
    if party is None:
        return None
    token = new_token()
    expires_at = now + dt.timedelta(days=request.days)
    await repos.invites.add(
        Invite(
            token_hash=hash_token(token),
            party_id=party.id,
            role=request.role,
            max_uses=request.uses,
            expires_at=expires_at,
            created_by_id=creator.id if creator else None,
        )
    )
    return NewInvite(token, party, request.role, request.uses, expires_at)


@dataclass(frozen=True)
class JoinResult:
    state: InviteState
    party: Party | None = None
    role: Role | None = None
    person: Person | None = None
    already_member: bool = False


@dataclass(frozen=True)
class TelegramProfile:
    """What Telegram tells about a person in an update."""

    telegram_id: int
    name: str
    username: str | None = None
    language_code: str | None = None


async def join_with_invite(
    repos: Repos, token: str, profile: TelegramProfile, now: dt.datetime
) -> JoinResult:
    """Use an invite: join its party in its role, record consent and private-chat reach."""
    invite = await repos.invites.by_hash_for_update(hash_token(token))
    person = await repos.people.by_telegram_id(profile.telegram_id)
    facts = None
    if invite is not None:
        facts = InviteFacts(
            expires_at=invite.expires_at,
            uses=invite.uses,
            max_uses=invite.max_uses,
            revoked=invite.revoked_at is not None,
            used_by_this_person=bool(
                person and await repos.invites.redeemed_by(invite.id, person.id)
            ),
        )
    state = check_invite(facts, now)
    if state is not InviteState.OK or invite is None:
        return JoinResult(state)
    try:
        # A savepoint: if someone else took the last use meanwhile, the `uses <= max_uses`
        # constraint refuses this one and the update's transaction stays usable.
        async with repos.savepoint():
            if person is None:
                person = await repos.people.add(Person(telegram_id=profile.telegram_id))
            record_private_start(person, profile, now)
            already = await repos.memberships.exists(person.id, invite.party_id, invite.role)
            if not already:
                await repos.memberships.add(person.id, invite.party_id, invite.role)
            await repos.invites.redeem(invite, person.id, now)
    except IntegrityError:
        return JoinResult(InviteState.USED_UP)
    return JoinResult(InviteState.OK, invite.party, invite.role, person, already)


def record_private_start(person: Person, profile: TelegramProfile, now: dt.datetime) -> None:
    """The person pressed Start in a private chat: they consent and can be written to."""
    if not person.name:
        person.name = profile.name
    person.username = profile.username
    if person.consented_at is None:
        person.consented_at = now
    person.can_message = True
    person.message_error = None


async def set_language(repos: Repos, person: Person, language: str) -> None:
    person.language = language
    await repos.flush()


async def personal_data(repos: Repos, person: Person) -> dict[str, Any]:
    """Everything stored about one person, for /mydata."""
    memberships = await repos.memberships.of_person(person.id)
    placements = await repos.placements.of_student(person.id)
    parties = {party.id: party.key for party in await repos.parties.all()}
    mentoring = await repos.personal_data.mentoring(person.id)
    redemptions = await repos.personal_data.redemptions(person.id)
    return {
        "person": {
            "telegram_id": person.telegram_id,
            "name": person.name,
            "username": person.username,
            "language": person.language,
            "timezone": person.timezone,
            "consented_at": _iso(person.consented_at),
            "can_message_privately": person.can_message,
            "created_at": _iso(person.created_at),
        },
        "memberships": [{"party": m.party.key, "role": m.role.value} for m in memberships],
        "placements": [
            {
                "site": parties.get(p.site_id),
                "start": p.start_date.isoformat(),
                "end": p.end_date.isoformat(),
            }
            for p in placements
        ],
        "mentoring_placements": [m.placement_id for m in mentoring],
        "invites_used": [_iso(r.redeemed_at) for r in redemptions],
        "weekly_reports": [_report(r) for r in await repos.personal_data.reports(person.id)],
        "scores_received": [
            _assessment(a) for a in await repos.personal_data.scores_received(person.id)
        ],
        "scores_given": [_assessment(a) for a in await repos.personal_data.scores_given(person.id)],
        "earlier_scores_received": [
            _assessment(h) for h in await repos.manual.history(student_id=person.id)
        ],
        "participation_reminder": await _participation(repos, person),
        "checkin_votes": [
            {"checkin": checkin_id, "options": vote.option_ids, "at": _iso(vote.at)}
            for vote, checkin_id in await repos.personal_data.votes(person.telegram_id)
        ],
        **await _practice_data(repos, person),
        **await _liaison_data(repos, person),
        **await _shared_work(repos, person),
        **await courses.personal_data(repos, person),
        **await survey.personal_data(repos, person),
    }


async def _practice_data(repos: Repos, person: Person) -> dict[str, Any]:
    """Topics applied to, team reports written, training hours and revenue shares."""
    applications = await repos.personal_data.applications(person.id)
    written = await repos.personal_data.topic_reports_written(person.id)
    training = await repos.training.of_student(person.id)
    shares = await repos.personal_data.revenue_shares(person.id)
    return {
        "topic_applications": [
            {"topic": a.topic_id, "state": a.state.value, "applied_at": _iso(a.applied_at)}
            for a in applications
        ],
        "topic_reports_written": [
            {
                "topic": r.topic_id,
                "cycle": r.cycle + 1,
                "status": r.status.value,
                "progress": r.progress,
                "plans": r.plans,
                "submitted_at": _iso(r.submitted_at),
            }
            for r in written
        ],
        "training": [
            {
                "party": r.party_id,
                "day": r.day.isoformat(),
                "hours": r.minutes / 60,
                "note": r.note,
            }
            for r in training
        ],
        "revenue_shares": [
            {
                "achievement": revenue.achievement_id,
                "percent": share.percent,
                "amount_minor_units": share.amount_minor,
                "currency": revenue.currency,
            }
            for share, revenue in shares
        ],
    }


WORDS = ("answered", "follow_up")  # request events whose detail is what someone wrote


async def _liaison_data(repos: Repos, person: Person) -> dict[str, Any]:
    """The questions a person asked, with all that happened to them, and those they handled,
    with their own part only (a question's words are its asker's)."""
    parties = {party.id: party.key for party in await repos.parties.all()}
    asked = await repos.personal_data.questions_asked(person.id)
    handled = await repos.personal_data.questions_handled(person.id)

    def summary(request: LiaisonRequest) -> dict[str, Any]:
        return {
            "id": request.id,
            "party": parties.get(request.party_id),
            "asked_at": _iso(request.opened_at),
            "state": request.state.value,
        }

    def event(item: RequestEvent) -> dict[str, Any]:
        said = {"text": item.detail} if item.kind in WORDS and item.detail else {}
        return {"at": _iso(item.at), "event": item.kind, **said}

    return {
        "liaison_questions_asked": [
            {
                **summary(r),
                "question": r.question,
                "events": [event(e) for e in await repos.requests.events(r.id)],
            }
            for r in asked
        ],
        "liaison_questions_handled": [
            {
                **summary(r),
                "events": [
                    event(e) for e in await repos.requests.events(r.id) if e.person_id == person.id
                ],
            }
            for r in handled
        ],
    }


async def _shared_work(repos: Repos, person: Person) -> dict[str, Any]:
    """What a person wrote into things others share: action items, research topics, needs,
    comments on the team reports they scored."""
    items = await repos.personal_data.action_items(person.id)
    written = await repos.personal_data.topics_written(person.id)
    needs = await repos.personal_data.topic_needs(person.id)
    scored = await repos.personal_data.topic_scores_given(person.id)
    return {
        "action_items": [
            {"checkin": a.checkin_id, "text": a.text, "done_at": _iso(a.done_at)} for a in items
        ],
        "topics_written": [
            {
                "topic": topic.id,
                "state": topic.state.value,
                "title": topic.title,
                "summary": topic.summary,
                "skills": topic.skills,
            }
            for topic in written
        ],
        "topic_needs": [{"topic": n.topic_id, "text": n.text, "at": _iso(n.at)} for n in needs],
        "topic_scores_given": [
            {
                "topic": topic_id,
                "cycle": cycle + 1,
                "tech_rd": a.tech_rd,
                "cross_cultural": a.cross_cultural,
                "rule_adaptation": a.rule_adaptation,
                "comment": a.comment,
                "completed_at": _iso(a.completed_at),
            }
            for a, topic_id, cycle in scored
        ],
    }


def _report(report: WeeklyReport) -> dict[str, Any]:
    return {
        "week": report.week.isoformat(),
        "status": report.status.value,
        "late": report.late,
        "submitted_at": _iso(report.submitted_at),
        "activities": report.activities,
        "hours": report.hours,
        "cross_cultural_episode": report.episode,
        "rules_met": report.compliance,
        "rules_note": report.compliance_note,
        "problems": report.problems,
        "self_assessment": {
            "tech_rd": report.self_tech_rd,
            "cross_cultural": report.self_cross_cultural,
            "rule_adaptation": report.self_rule_adaptation,
        },
        "files": [a.name or a.kind for a in report.attachments],
    }


async def _participation(repos: Repos, person: Person) -> dict[str, Any] | None:
    """How far the reminders of a mentor below the least share of weeks scored went."""
    alert = await repos.participation.alert_of(person.id)
    if alert is None:
        return None
    return {"step": alert.step, "at": _iso(alert.at), "scored": alert.scored, "asked": alert.due}


def _assessment(assessment: Assessment | AssessmentHistory) -> dict[str, Any]:
    return {
        "week": assessment.week.isoformat(),
        "party_kind": assessment.party_kind.value,
        "tech_rd": assessment.tech_rd,
        "cross_cultural": assessment.cross_cultural,
        "rule_adaptation": assessment.rule_adaptation,
        "comment": assessment.comment,
        "source": getattr(assessment, "source", "bot"),
        "manual_version": assessment.manual_version,
        "completed_at": _iso(assessment.completed_at),
    }


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


async def forget_person(repos: Repos, person: Person) -> bool:
    """Erase a person. Someone whose scores feed the cohort's figures is anonymised instead:
    their profile, roles, invites, comments, report texts and files go; scores, weeks and
    placements stay, under a number that no Telegram account has. True if anonymised.
    Check-in votes lose their voter: the party still counts as having answered. Their words
    in what others share go too (see `_forget_words`)."""
    await _forget_votes(repos, person)
    await _forget_words(repos, person)
    await survey.forget(repos, person, ERASED_TEXT)
    await repos.personal_data.unlink(person.id, ERASED_VOTER)
    if not await repos.personal_data.feeds_figures(person.id):
        await repos.personal_data.delete(person)
        return False
    await repos.personal_data.delete_drafts(person.id)
    await repos.reports.erase_texts_of(person.id)
    await repos.personal_data.forget_comments(person.id)
    person.telegram_id = -person.id  # Telegram's user ids are positive: no one has this one
    person.name = person.username = person.language = person.timezone = None
    person.consented_at, person.can_message, person.message_error = None, False, None
    await repos.flush()
    return True


ERASED_VOTER = "—"  # a forgotten person's name in check-in results
ERASED_TEXT = ""  # a forgotten person's words where a text is required; shown as "(erased)"


async def _forget_words(repos: Repos, person: Person) -> None:
    """A person's words and name in rows others still need. A question stays (that it was
    asked, when, for whom, how fast it was answered) with its text erased, as do their
    answers and follow-ups, a hand-over's record of their name, their action items' texts,
    the team reports they wrote and their comments on scores they gave; a topic draft goes,
    a published topic and a need stay as their party's without the author. Messages already
    sent about their questions lose their copies of the text."""
    names = [name for name in (person.name, str(person.telegram_id)) if name]
    await repos.personal_data.forget_words(person, names, WORDS, ERASED_TEXT)


async def _forget_votes(repos: Repos, person: Person) -> None:
    voter = person.telegram_id
    names = {person.name} | await repos.personal_data.vote_names(voter)
    await repos.personal_data.forget_votes(voter, person.id, ERASED_VOTER)
    for checkin in await repos.personal_data.summarised_checkins():
        summary = dict(checkin.summary or {})
        parties = {
            key: [ERASED_VOTER if name in names else name for name in voters]
            for key, voters in summary.get("parties", {}).items()
        }
        if parties != summary.get("parties"):
            checkin.summary = {**summary, "parties": parties}  # a new dict: JSON is not tracked


async def erase_report_texts(repos: Repos, which: Any) -> int:
    """Blank the free text of the reports `which` selects and drop their files; the weeks,
    hours, self-assessments and scores stay. The number of reports blanked."""
    return await repos.reports.erase_texts(which)


# --- who speaks for a party ---------------------------------------------------------------


async def parties_where(repos: Repos, person: Person, role: Role) -> list[Party]:
    """The parties in which this person has this role."""
    found = []
    for membership in await repos.memberships.of_person(person.id):
        if membership.role is role:
            party = await repos.parties.by_id(membership.party_id)
            if party is not None:
                found.append(party)
    return found


async def is_coordinator(repos: Repos, person: Person) -> bool:
    """The person coordinates the consortium (in any party)."""
    return bool(await parties_where(repos, person, Role.COORDINATOR))


async def speaks_for(repos: Repos, person: Person, party_id: int) -> bool:
    """The person is a contact of the party, or a coordinator."""
    contacts = await parties_where(repos, person, Role.CONTACT)
    return any(p.id == party_id for p in contacts) or await is_coordinator(repos, person)


async def contacts_of(repos: Repos, party_id: int) -> list[Person]:
    """The party's contact persons."""
    return list(await repos.memberships.people_of_party(party_id, Role.CONTACT))
