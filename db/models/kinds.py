"""The enumerations stored in columns (kinds, roles, states), in one module so that the
models of every feature, and code that only needs a kind, import them from one place."""

from __future__ import annotations

from enum import StrEnum


class PartyKind(StrEnum):
    UNIVERSITY = "university"
    ENTERPRISE = "enterprise"
    RESEARCH = "research"
    OVERSEAS_SITE = "overseas_site"
    GOVERNMENT = "government"
    NGO = "ngo"


class Role(StrEnum):
    COORDINATOR = "coordinator"
    CONTACT = "contact"
    MENTOR = "mentor"
    STUDENT = "student"


class RequestState(StrEnum):
    HELD = "held"  # waiting for the contact's quiet hours to end
    OPEN = "open"  # delivered, not yet acknowledged
    ACKNOWLEDGED = "acknowledged"
    ANSWERED = "answered"
    CLOSED = "closed"


class OutboxState(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class CheckinState(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class ReportStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    MISSING = "missing"


class TopicState(StrEnum):
    DRAFT = "draft"  # being written by its publisher
    OPEN = "open"  # published: students apply
    RUNNING = "running"  # a team works on it and reports every cycle
    CLOSED = "closed"


class ApplicationState(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"


class AchievementKind(StrEnum):
    PATENT = "patent"
    SOFTWARE = "software"
    PRODUCT = "product"
    PAPER = "paper"
    STANDARD = "standard"
