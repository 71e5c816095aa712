"""The kinds and states the rules speak of, as plain enums.

They live in the domain so that the pure rules (`bot.domain.*`) can name a role or a state
without loading SQLAlchemy; `db.models` stores them and re-exports them under their old names.
The values are what the database holds: never change one without a migration.
"""

from __future__ import annotations

from enum import StrEnum


class PartyKind(StrEnum):
    """What a member of the consortium is."""

    UNIVERSITY = "university"
    ENTERPRISE = "enterprise"
    RESEARCH = "research"
    OVERSEAS_SITE = "overseas_site"
    GOVERNMENT = "government"
    NGO = "ngo"


class Role(StrEnum):
    """What a person does in a party; the command registry grants by it."""

    COORDINATOR = "coordinator"
    CONTACT = "contact"
    MENTOR = "mentor"
    STUDENT = "student"


class RequestState(StrEnum):
    """Where a liaison question stands."""

    HELD = "held"  # waiting for the contact's quiet hours to end
    OPEN = "open"  # delivered, not yet acknowledged
    ACKNOWLEDGED = "acknowledged"
    ANSWERED = "answered"
    CLOSED = "closed"


class OutboxState(StrEnum):
    """Whether an outbox row has been delivered."""

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class CheckinState(StrEnum):
    """Whether a check-in still takes answers."""

    OPEN = "open"
    CLOSED = "closed"


class ReportStatus(StrEnum):
    """Where a weekly report stands."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    MISSING = "missing"


class TopicState(StrEnum):
    """Where a research topic stands."""

    DRAFT = "draft"  # being written by its publisher
    OPEN = "open"  # published: students apply
    RUNNING = "running"  # a team works on it and reports every cycle
    CLOSED = "closed"


class ApplicationState(StrEnum):
    """A student's application to a topic."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"


class AchievementKind(StrEnum):
    """What a team or a student produced."""

    PATENT = "patent"
    SOFTWARE = "software"
    PRODUCT = "product"
    PAPER = "paper"
    STANDARD = "standard"


class PublicHolidays(StrEnum):
    """Whose public holidays move a check-in: the consortium's country, also every party's,
    or nobody's (only the holidays the file lists)."""

    CONSORTIUM = "consortium"
    PARTIES = "parties"
    NONE = "none"
