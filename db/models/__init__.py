"""Typed SQLAlchemy models, one module per feature over the shared `base` and `kinds`.

Every model, enum and column type is re-exported here: `from db.models import X` and
Alembic's `db.models.Base` (db/migrations/env.py) do not depend on where a class lives.
Every schema change goes through an Alembic migration."""

from __future__ import annotations

from db.models.achievements import Achievement, Revenue, RevenueShare
from db.models.api_calls import ApiCallCount
from db.models.base import NAMING, Base, Score, Timestamped, UTCDateTime
from db.models.chats import Chat
from db.models.checkin import (
    ActionItem,
    Checkin,
    CheckinPolicy,
    CheckinPoll,
    CheckinVote,
    EarlyPollAnswer,
)
from db.models.consortium import Consortium, Party
from db.models.conversations import Conversation
from db.models.courses import (
    Attendance,
    Course,
    CourseParty,
    CourseSession,
    PaceWarning,
    SessionReminder,
    SessionSite,
    SessionStudent,
)
from db.models.dashboard import DataVersion
from db.models.digest import PartyMonth
from db.models.kinds import (
    AchievementKind,
    ApplicationState,
    CheckinState,
    OutboxState,
    PartyKind,
    PublicHolidays,
    ReportStatus,
    RequestState,
    Role,
    TopicState,
)
from db.models.leadership import LeaderLease
from db.models.liaison import LiaisonMessage, LiaisonRequest, RequestEvent
from db.models.manual import AssessmentHistory, ManualVersion
from db.models.oncall import OncallOverride, OncallPolicy, RotationMember
from db.models.outbox import Outbox
from db.models.participation import ParticipationAlert
from db.models.people import Invite, InviteRedemption, Membership, Person
from db.models.placements import Placement, PlacementMentor
from db.models.reports import (
    Assessment,
    ReportAttachment,
    ReportPolicy,
    ReportReminder,
    WeeklyReport,
)
from db.models.rules import ConsortiumRules
from db.models.survey import (
    CourseChange,
    CourseChangeRequest,
    CourseReview,
    Survey,
    SurveyAnswer,
)
from db.models.topics import (
    Topic,
    TopicApplication,
    TopicAssessment,
    TopicMentor,
    TopicNeed,
    TopicReminder,
    TopicReport,
)
from db.models.training import TrainingRecord
from db.models.updates import ProcessedUpdate

__all__ = [
    "NAMING",
    "Achievement",
    "AchievementKind",
    "ActionItem",
    "ApiCallCount",
    "ApplicationState",
    "Assessment",
    "AssessmentHistory",
    "Attendance",
    "Base",
    "Chat",
    "Checkin",
    "CheckinPolicy",
    "CheckinPoll",
    "CheckinState",
    "CheckinVote",
    "Consortium",
    "ConsortiumRules",
    "Conversation",
    "Course",
    "CourseChange",
    "CourseChangeRequest",
    "CourseParty",
    "CourseReview",
    "CourseSession",
    "DataVersion",
    "EarlyPollAnswer",
    "Invite",
    "InviteRedemption",
    "LeaderLease",
    "LiaisonMessage",
    "LiaisonRequest",
    "ManualVersion",
    "Membership",
    "OncallOverride",
    "OncallPolicy",
    "Outbox",
    "OutboxState",
    "PaceWarning",
    "ParticipationAlert",
    "Party",
    "PartyKind",
    "PartyMonth",
    "Person",
    "Placement",
    "PlacementMentor",
    "ProcessedUpdate",
    "PublicHolidays",
    "ReportAttachment",
    "ReportPolicy",
    "ReportReminder",
    "ReportStatus",
    "RequestEvent",
    "RequestState",
    "Revenue",
    "RevenueShare",
    "Role",
    "RotationMember",
    "Score",
    "SessionReminder",
    "SessionSite",
    "SessionStudent",
    "Survey",
    "SurveyAnswer",
    "Timestamped",
    "Topic",
    "TopicApplication",
    "TopicAssessment",
    "TopicMentor",
    "TopicNeed",
    "TopicReminder",
    "TopicReport",
    "TopicState",
    "TrainingRecord",
    "UTCDateTime",
    "WeeklyReport",
]
