"""Repositories: queries and writes per feature, one module each, gathered in `Repos`.

They flush, and never commit: the caller's transaction (one per update) does. Code outside
`db/` reaches the database through these methods only.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from db.repositories.achievements import AchievementRepo
from db.repositories.api_calls import ApiCallRepo
from db.repositories.chats import ChatRepo
from db.repositories.checkin import CheckinRepo
from db.repositories.consortium import ConsortiumRepo, PartyRepo
from db.repositories.conversations import ConversationRepo
from db.repositories.courses import CourseRepo
from db.repositories.dashboard import DashboardRepo
from db.repositories.digest import DigestRepo
from db.repositories.leadership import LeadershipRepo
from db.repositories.liaison import OncallRepo, RequestRepo
from db.repositories.manual import ManualRepo
from db.repositories.outbox import OutboxRepo
from db.repositories.participation import ParticipationRepo
from db.repositories.people import InviteRepo, MembershipRepo, PersonalDataRepo, PersonRepo
from db.repositories.placements import PlacementRepo
from db.repositories.reports import AssessmentRepo, ReportRepo
from db.repositories.rules import RulesRepo
from db.repositories.survey import SurveyRepo
from db.repositories.topics import TopicRepo
from db.repositories.training import TrainingRepo
from db.repositories.updates import UpdateRepo

__all__ = [
    "AchievementRepo",
    "ApiCallRepo",
    "AssessmentRepo",
    "ChatRepo",
    "CheckinRepo",
    "ConsortiumRepo",
    "ConversationRepo",
    "CourseRepo",
    "DashboardRepo",
    "DigestRepo",
    "InviteRepo",
    "LeadershipRepo",
    "MembershipRepo",
    "OncallRepo",
    "OutboxRepo",
    "PartyRepo",
    "PersonRepo",
    "PersonalDataRepo",
    "PlacementRepo",
    "ReportRepo",
    "Repos",
    "RequestRepo",
    "RulesRepo",
    "SurveyRepo",
    "TopicRepo",
    "TrainingRepo",
    "UpdateRepo",
]


class Repos:
    """All repositories over one session (one transaction)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.consortium = ConsortiumRepo(session)
        self.parties = PartyRepo(session)
        self.people = PersonRepo(session)
        self.memberships = MembershipRepo(session)
        self.personal_data = PersonalDataRepo(session)
        self.chats = ChatRepo(session)
        self.placements = PlacementRepo(session)
        self.invites = InviteRepo(session)
        self.oncall = OncallRepo(session)
        self.requests = RequestRepo(session)
        self.outbox = OutboxRepo(session)
        self.checkins = CheckinRepo(session)
        self.reports = ReportRepo(session)
        self.assessments = AssessmentRepo(session)
        self.conversations = ConversationRepo(session)
        self.updates = UpdateRepo(session)
        self.rules = RulesRepo(session)
        self.topics = TopicRepo(session)
        self.achievements = AchievementRepo(session)
        self.leadership = LeadershipRepo(session)
        self.training = TrainingRepo(session)
        self.digests = DigestRepo(session)
        self.manual = ManualRepo(session)
        self.participation = ParticipationRepo(session)
        self.courses = CourseRepo(session)
        self.dashboard = DashboardRepo(session)
        self.api_calls = ApiCallRepo(session)
        self.surveys = SurveyRepo(session)

    async def flush(self) -> None:
        """Write the changes made to loaded rows now, in the transaction: their constraints
        are checked and new rows get their ids (the commit comes later, at the boundary)."""
        await self.session.flush()

    def savepoint(self) -> AbstractAsyncContextManager[Any]:
        """A savepoint for a write that a constraint may refuse when two updates race: if
        the block raises, only its own writes are undone and the transaction goes on."""
        return self.session.begin_nested()
