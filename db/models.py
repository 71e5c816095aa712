"""Typed SQLAlchemy models. Every schema change goes through an Alembic migration."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    TypeDecorator,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


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


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Aware UTC datetimes on every backend (SQLite keeps no zone of its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class Score(TypeDecorator[float]):
    """A score from 0 to 100 with at most two decimals (averages imported from past
    questionnaires: 57.2), read back as an int when whole, as the bot's own scores are.
    Floats in Python, NUMERIC(5, 2) in the database: SQLite has no decimal type (SQLAlchemy
    warns on Decimal there) and two decimals are exact either way once rounded."""

    impl = Numeric(5, 2, asdecimal=False)
    cache_ok = True

    def process_bind_param(self, value: float | Decimal | None, dialect: Any) -> Any:
        if value is None:
            return None
        exact = Decimal(str(value)).quantize(Decimal("0.01"))
        return float(exact) if dialect.name == "sqlite" else exact

    def process_result_value(self, value: Any, dialect: Any) -> float | None:
        if value is None:
            return None
        number = round(float(value), 2)
        return int(number) if number.is_integer() else number


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def _enum(enum: type[StrEnum], name: str) -> Enum:
    return Enum(
        enum,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda members: [m.value for m in members],
    )


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Timestamped:
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), server_default=func.now())
    updated_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime(), server_default=func.now(), onupdate=func.now()
    )


class Consortium(Timestamped, Base):
    """The one consortium a bot serves."""

    __tablename__ = "consortium"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(8))
    country: Mapped[str | None] = mapped_column(String(2))  # whose public holidays count


class Party(Timestamped, Base):
    __tablename__ = "party"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[PartyKind] = mapped_column(_enum(PartyKind, "party_kind"))
    country: Mapped[str | None] = mapped_column(String(2))
    timezone: Mapped[str | None] = mapped_column(String(64))


class Person(Timestamped, Base):
    __tablename__ = "person"

    id: Mapped[int] = mapped_column(primary_key=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    name: Mapped[str | None] = mapped_column(String(200))
    username: Mapped[str | None] = mapped_column(String(64))
    language: Mapped[str | None] = mapped_column(String(8))
    timezone: Mapped[str | None] = mapped_column(String(64))
    consented_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    can_message: Mapped[bool] = mapped_column(default=False)
    """Whether the bot may write to this person privately (they pressed Start, did not block)."""
    message_error: Mapped[str | None] = mapped_column(String(200))
    """Why the last private message failed, if it did."""

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="person", cascade="all, delete-orphan", lazy="raise"
    )


class Membership(Timestamped, Base):
    __tablename__ = "membership"
    __table_args__ = (UniqueConstraint("person_id", "party_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("party.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(_enum(Role, "role"))

    person: Mapped[Person] = relationship(back_populates="memberships", lazy="raise")
    party: Mapped[Party] = relationship(lazy="raise")


class Chat(Timestamped, Base):
    """A group chat the bot was added to; `linked` ones belong to the consortium."""

    __tablename__ = "chat"

    id: Mapped[int] = mapped_column(primary_key=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    title: Mapped[str | None] = mapped_column(String(255))
    type: Mapped[str] = mapped_column(String(16), default="supergroup")
    active: Mapped[bool] = mapped_column(default=True)
    linked: Mapped[bool] = mapped_column(default=False)
    party_id: Mapped[int | None] = mapped_column(ForeignKey("party.id", ondelete="SET NULL"))
    language: Mapped[str | None] = mapped_column(String(8))
    thread_id: Mapped[int | None] = mapped_column(Integer)
    """The forum topic it was linked in: the check-in's messages go there (None: General)."""


class Placement(Timestamped, Base):
    """A student's stay at an overseas site."""

    __tablename__ = "placement"
    __table_args__ = (
        UniqueConstraint("student_id", "site_id", "start_date"),
        CheckConstraint("end_date >= start_date", name="dates"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("party.id", ondelete="CASCADE"))
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date] = mapped_column(Date)

    mentors: Mapped[list[PlacementMentor]] = relationship(
        cascade="all, delete-orphan", lazy="raise", order_by="PlacementMentor.party_kind"
    )


class PlacementMentor(Base):
    """The mentor a placement has from one kind of party."""

    __tablename__ = "placement_mentor"

    placement_id: Mapped[int] = mapped_column(
        ForeignKey("placement.id", ondelete="CASCADE"), primary_key=True
    )
    party_kind: Mapped[PartyKind] = mapped_column(_enum(PartyKind, "party_kind"), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)


class Invite(Timestamped, Base):
    """A deep-link invitation; only a hash of its token is stored."""

    __tablename__ = "invite"
    __table_args__ = (CheckConstraint("uses <= max_uses", name="uses"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("party.id", ondelete="CASCADE"))
    role: Mapped[Role] = mapped_column(_enum(Role, "role"))
    max_uses: Mapped[int] = mapped_column(Integer, default=1)
    uses: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    party: Mapped[Party] = relationship(lazy="raise")


class InviteRedemption(Base):
    """Who used an invite, and when."""

    __tablename__ = "invite_redemption"

    invite_id: Mapped[int] = mapped_column(
        ForeignKey("invite.id", ondelete="CASCADE"), primary_key=True
    )
    person_id: Mapped[int] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), primary_key=True
    )
    redeemed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class OncallPolicy(Timestamped, Base):
    """A party's on-call rotation, hand-off, escalation steps and quiet hours."""

    __tablename__ = "oncall_policy"

    party_id: Mapped[int] = mapped_column(
        ForeignKey("party.id", ondelete="CASCADE"), primary_key=True
    )
    period: Mapped[str] = mapped_column(String(8), default="weekly")
    handoff: Mapped[str] = mapped_column(String(16), default="mon 09:00")
    starts_on: Mapped[dt.date] = mapped_column(Date)
    escalation: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    """[{"after": seconds, "notify": "next" | "coordinators"}, ...]"""
    quiet: Mapped[str] = mapped_column(String(16), default="22:00-08:00")


class RotationMember(Base):
    __tablename__ = "rotation_member"

    party_id: Mapped[int] = mapped_column(
        ForeignKey("party.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))


class OncallOverride(Timestamped, Base):
    """Someone covers a party's on-call duty for a while."""

    __tablename__ = "oncall_override"
    __table_args__ = (CheckConstraint("ends_at > starts_at", name="window"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("party.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))


class RequestState(StrEnum):
    HELD = "held"  # waiting for the contact's quiet hours to end
    OPEN = "open"  # delivered, not yet acknowledged
    ACKNOWLEDGED = "acknowledged"
    ANSWERED = "answered"
    CLOSED = "closed"


class LiaisonRequest(Timestamped, Base):
    """A question for a party, routed to its on-call contact."""

    __tablename__ = "liaison_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("party.id", ondelete="CASCADE"), index=True)
    asker_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    chat_id: Mapped[int] = mapped_column(BigInteger)  # where it was asked (Telegram id)
    question_message_id: Mapped[int] = mapped_column(Integer)
    thread_id: Mapped[int | None] = mapped_column(Integer)
    """The forum topic it was asked in: what the group gets about it goes there."""
    question: Mapped[str] = mapped_column(String(4000))
    urgent: Mapped[bool] = mapped_column(default=False)
    state: Mapped[RequestState] = mapped_column(
        _enum(RequestState, "request_state"), default=RequestState.OPEN, index=True
    )
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    opened_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    answered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    escalations: Mapped[int] = mapped_column(Integer, default=0)
    """How many escalation steps have run."""
    next_action_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), index=True)
    """When the scheduler must look at it next (delivery after quiet hours, or escalation)."""


class RequestEvent(Base):
    """Everything that happened to a request, in order."""

    __tablename__ = "request_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("liaison_request.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    kind: Mapped[str] = mapped_column(String(24))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    detail: Mapped[str | None] = mapped_column(String(300))


class OutboxState(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class Outbox(Base):
    """A message that must arrive: written with the change that causes it, sent afterwards."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    text: Mapped[str | None] = mapped_column(String(4096))
    reply_markup: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    reply_to_message_id: Mapped[int | None] = mapped_column(Integer)
    thread_id: Mapped[int | None] = mapped_column(Integer)  # a forum topic (None: General)
    file_id: Mapped[str | None] = mapped_column(String(200))
    file_kind: Mapped[str | None] = mapped_column(String(16))  # "photo" or "document"
    kind: Mapped[str] = mapped_column(String(16), default="message", server_default="message")
    """"message", "poll" (the `poll` column) or "stop_poll" (`reply_to_message_id`)."""
    poll: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    purpose: Mapped[str] = mapped_column(String(32))  # what it is for, e.g. "liaison.contact"
    request_id: Mapped[int | None] = mapped_column(
        ForeignKey("liaison_request.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    state: Mapped[OutboxState] = mapped_column(
        _enum(OutboxState, "outbox_state"), default=OutboxState.PENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    message_id: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(300))

    __table_args__ = (
        Index("ix_outbox_due", "state", "not_before"),
        Index("ix_outbox_sent_message", "chat_id", "message_id"),
    )


class LiaisonMessage(Base):
    """A message the bot sent about a request: replies to it belong to that request."""

    __tablename__ = "liaison_message"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    message_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("liaison_request.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(16))  # "contact" or "asker"


class PublicHolidays(StrEnum):
    """Whose public holidays move a check-in: the consortium's country, also every party's,
    or nobody's (only the holidays the file lists)."""

    CONSORTIUM = "consortium"
    PARTIES = "parties"
    NONE = "none"


class CheckinPolicy(Timestamped, Base):
    """The consortium's monthly check-in: when, for how long, reminders, holidays."""

    __tablename__ = "checkin_policy"

    id: Mapped[int] = mapped_column(primary_key=True)
    schedule: Mapped[str] = mapped_column(String(32), default="first mon 10:00")
    open_for: Mapped[int] = mapped_column(Integer, default=72 * 3600)  # seconds
    reminders: Mapped[list[int]] = mapped_column(JSON, default=list)  # seconds before closing
    holidays: Mapped[dict[str, list[str]]] = mapped_column(JSON, default=dict)
    """Per country code: ISO dates on which no check-in is held."""
    public_holidays: Mapped[PublicHolidays] = mapped_column(
        _enum(PublicHolidays, "public_holidays"),
        default=PublicHolidays.CONSORTIUM,
        server_default=PublicHolidays.CONSORTIUM.value,
    )


class CheckinState(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class Checkin(Timestamped, Base):
    __tablename__ = "checkin"
    __table_args__ = (
        # At most one open check-in: two coordinators opening at once cannot both succeed.
        Index(
            "uq_checkin_one_open",
            "state",
            unique=True,
            sqlite_where=text("state = 'open'"),
            postgresql_where=text("state = 'open'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    scheduled_for: Mapped[dt.date | None] = mapped_column(Date, unique=True)
    """The date of a scheduled check-in (None when a coordinator opened it at once)."""
    state: Mapped[CheckinState] = mapped_column(
        _enum(CheckinState, "checkin_state"), default=CheckinState.OPEN, index=True
    )
    opened_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    closes_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    reminders_sent: Mapped[int] = mapped_column(Integer, default=0)
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """At closing: votes per option and who answered per party."""


class CheckinPoll(Base):
    """The check-in's poll in one group; at most one per check-in and group."""

    __tablename__ = "checkin_poll"
    __table_args__ = (UniqueConstraint("checkin_id", "chat_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    checkin_id: Mapped[int] = mapped_column(ForeignKey("checkin.id", ondelete="CASCADE"))
    chat_id: Mapped[int] = mapped_column(BigInteger)
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id", ondelete="SET NULL"))
    message_id: Mapped[int | None] = mapped_column(Integer)
    poll_id: Mapped[str | None] = mapped_column(String(64), unique=True)


class CheckinVote(Base):
    """A person's current answer in one group's poll (a withdrawn vote is deleted)."""

    __tablename__ = "checkin_vote"

    poll_id: Mapped[int] = mapped_column(
        ForeignKey("checkin_poll.id", ondelete="CASCADE"), primary_key=True
    )
    telegram_user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(String(200))
    option_ids: Mapped[list[int]] = mapped_column(JSON)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class ActionItem(Timestamped, Base):
    """Something to do, recorded during a check-in and carried until done."""

    __tablename__ = "action_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    checkin_id: Mapped[int] = mapped_column(ForeignKey("checkin.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(String(500))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    party_id: Mapped[int | None] = mapped_column(ForeignKey("party.id", ondelete="SET NULL"))
    done_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))


class ReportPolicy(Timestamped, Base):
    """The consortium's rules for weekly reports, their scoring and credits (one row)."""

    __tablename__ = "report_policy"

    id: Mapped[int] = mapped_column(primary_key=True)
    reminder: Mapped[str] = mapped_column(String(16), default="fri 17:00")
    second_reminder: Mapped[str] = mapped_column(String(16), default="mon 09:00")
    deadline: Mapped[str] = mapped_column(String(16), default="mon 12:00")
    review_after: Mapped[int] = mapped_column(Integer, default=3 * 86400)  # seconds
    weights: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)
    disagreement: Mapped[int] = mapped_column(Integer, default=20)
    baseline_weeks: Mapped[int] = mapped_column(Integer, default=2)
    current_weeks: Mapped[int] = mapped_column(Integer, default=4)
    credits_per_month: Mapped[str] = mapped_column(String(12), default="2")
    """A decimal, kept as text so that every backend stores it exactly."""


class ReportStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    MISSING = "missing"


class WeeklyReport(Timestamped, Base):
    """A student's report for one ISO week (identified by its Monday): draft, then submitted."""

    __tablename__ = "weekly_report"
    __table_args__ = (
        UniqueConstraint("student_id", "week"),
        CheckConstraint("hours IS NULL OR (hours >= 0 AND hours <= 80)", name="hours"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    placement_id: Mapped[int | None] = mapped_column(
        ForeignKey("placement.id", ondelete="SET NULL"), index=True
    )
    week: Mapped[dt.date] = mapped_column(Date, index=True)
    status: Mapped[ReportStatus] = mapped_column(
        _enum(ReportStatus, "report_status"), default=ReportStatus.DRAFT
    )
    week_chosen: Mapped[bool] = mapped_column(default=False)
    activities: Mapped[str | None] = mapped_column(String(3000))
    hours: Mapped[float | None] = mapped_column()
    episode: Mapped[str | None] = mapped_column(String(2000))
    compliance: Mapped[list[str] | None] = mapped_column(JSON)
    """The kinds of rules met this week; None until the step is done."""
    compliance_note: Mapped[str | None] = mapped_column(String(1000))
    problems: Mapped[str | None] = mapped_column(String(2000))
    self_tech_rd: Mapped[int | None] = mapped_column(Integer)
    self_cross_cultural: Mapped[int | None] = mapped_column(Integer)
    self_rule_adaptation: Mapped[int | None] = mapped_column(Integer)
    attachments_done: Mapped[bool] = mapped_column(default=False)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    """The first submission; a correction keeps it and sets `corrected_at`."""
    corrected_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    late: Mapped[bool] = mapped_column(default=False)

    attachments: Mapped[list[ReportAttachment]] = relationship(
        cascade="all, delete-orphan", lazy="raise", order_by="ReportAttachment.id"
    )


class ReportAttachment(Base):
    __tablename__ = "report_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(
        ForeignKey("weekly_report.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))  # "photo" or "document"
    file_id: Mapped[str] = mapped_column(String(200))
    file_unique_id: Mapped[str] = mapped_column(String(100))
    name: Mapped[str | None] = mapped_column(String(255))
    size: Mapped[int | None] = mapped_column(Integer)
    added_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class ReportReminder(Base):
    """A reminder stage reached for a student's week: each is sent (or recorded) once."""

    __tablename__ = "report_reminder"

    student_id: Mapped[int] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), primary_key=True
    )
    week: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    stage: Mapped[str] = mapped_column(String(16), primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class Assessment(Base):
    """One party's scores for a student's week: requested from a mentor for a report, or
    imported from a consortium's history (then without report and mentor)."""

    __tablename__ = "assessment"
    __table_args__ = (
        UniqueConstraint("student_id", "week", "party_kind"),
        CheckConstraint("tech_rd BETWEEN 0 AND 100", name="tech_rd"),
        CheckConstraint("cross_cultural BETWEEN 0 AND 100", name="cross_cultural"),
        CheckConstraint("rule_adaptation BETWEEN 0 AND 100", name="rule_adaptation"),
        Index("ix_assessment_pending", "completed_at", "requested_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    week: Mapped[dt.date] = mapped_column(Date)
    party_kind: Mapped[PartyKind] = mapped_column(_enum(PartyKind, "party_kind"))
    report_id: Mapped[int | None] = mapped_column(
        ForeignKey("weekly_report.id", ondelete="CASCADE"), index=True
    )
    mentor_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), index=True
    )
    tech_rd: Mapped[float | None] = mapped_column(Score)
    cross_cultural: Mapped[float | None] = mapped_column(Score)
    rule_adaptation: Mapped[float | None] = mapped_column(Score)
    comment: Mapped[str | None] = mapped_column(String(1000))
    source: Mapped[str] = mapped_column(String(8), default="bot")  # "bot" or "import"
    requested_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    reminded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    completed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class Conversation(Base):
    """The guided conversation a person is in (a report draft, scoring a report), so that
    their next private message continues it, across restarts."""

    __tablename__ = "conversation"

    person_id: Mapped[int] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(16))  # "report" or "score"
    ref_id: Mapped[int] = mapped_column(Integer)
    step: Mapped[str] = mapped_column(String(32))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class EarlyPollAnswer(Base):
    """A vote that arrived before the bot had recorded which poll Telegram gave its message
    (a quick voter can answer between Telegram's reply to sendPoll and our write of its id).
    Kept until that poll is known, then counted; forgotten after two days."""

    __tablename__ = "early_poll_answer"

    poll_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    telegram_user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    option_ids: Mapped[list[int]] = mapped_column(JSON)  # empty: the vote was withdrawn
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)


class ProcessedUpdate(Base):
    """An update already handled: Telegram may deliver it again after a restart, and the
    handler's transaction records it, so it takes effect once."""

    __tablename__ = "processed_update"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)


class ConsortiumRules(Base):
    """One section of rules from the consortium file (topics, achievements, credits,
    digest), as the file states it after checking."""

    __tablename__ = "consortium_rules"

    section: Mapped[str] = mapped_column(String(32), primary_key=True)
    values: Mapped[dict[str, Any]] = mapped_column(JSON)


class TopicState(StrEnum):
    DRAFT = "draft"  # being written by its publisher
    OPEN = "open"  # published: students apply
    RUNNING = "running"  # a team works on it and reports every cycle
    CLOSED = "closed"


class Topic(Timestamped, Base):
    """A research topic published by a research institution's contact."""

    __tablename__ = "topic"

    id: Mapped[int] = mapped_column(primary_key=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("party.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    state: Mapped[TopicState] = mapped_column(
        _enum(TopicState, "topic_state"), default=TopicState.DRAFT
    )
    title: Mapped[str | None] = mapped_column(String(200))
    summary: Mapped[str | None] = mapped_column(String(2000))
    skills: Mapped[str | None] = mapped_column(String(500))
    team_size: Mapped[int | None] = mapped_column(Integer)
    deadline: Mapped[dt.date | None] = mapped_column(Date)  # applications close after this day
    cycle_days: Mapped[int] = mapped_column(Integer, default=14)
    published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    announced_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    started_on: Mapped[dt.date | None] = mapped_column(Date)  # the first cycle's first day
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class TopicNeed(Base):
    """What an enterprise or an overseas site needs from a topic."""

    __tablename__ = "topic_need"

    id: Mapped[int] = mapped_column(primary_key=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("topic.id", ondelete="CASCADE"), index=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("party.id", ondelete="CASCADE"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(String(1000))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class ApplicationState(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"


class TopicApplication(Base):
    __tablename__ = "topic_application"
    __table_args__ = (UniqueConstraint("topic_id", "student_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("topic.id", ondelete="CASCADE"), index=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    state: Mapped[ApplicationState] = mapped_column(
        _enum(ApplicationState, "application_state"), default=ApplicationState.PENDING
    )
    applied_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))


class TopicMentor(Base):
    """A running topic's mentor for one kind of party (university, enterprise, research)."""

    __tablename__ = "topic_mentor"

    topic_id: Mapped[int] = mapped_column(
        ForeignKey("topic.id", ondelete="CASCADE"), primary_key=True
    )
    party_kind: Mapped[PartyKind] = mapped_column(_enum(PartyKind, "party_kind"), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("party.id", ondelete="CASCADE"))


class TopicReport(Timestamped, Base):
    """A team's progress report for one cycle of a running topic."""

    __tablename__ = "topic_report"
    __table_args__ = (UniqueConstraint("topic_id", "cycle"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("topic.id", ondelete="CASCADE"), index=True)
    cycle: Mapped[int] = mapped_column(Integer)  # 0 is the first
    author_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    status: Mapped[ReportStatus] = mapped_column(
        _enum(ReportStatus, "report_status"), default=ReportStatus.DRAFT
    )
    progress: Mapped[str | None] = mapped_column(String(3000))
    plans: Mapped[str | None] = mapped_column(String(2000))
    contributors: Mapped[list[int] | None] = mapped_column(JSON)
    """Person ids of the members who took part in this cycle (None: not chosen yet)."""
    contributors_done: Mapped[bool] = mapped_column(default=False)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    late: Mapped[bool] = mapped_column(default=False)


class TopicAssessment(Base):
    """One mentor's scores for a topic report, on the three capability dimensions."""

    __tablename__ = "topic_assessment"
    __table_args__ = (
        UniqueConstraint("report_id", "party_kind"),
        CheckConstraint("tech_rd BETWEEN 0 AND 100", name="tech_rd"),
        CheckConstraint("cross_cultural BETWEEN 0 AND 100", name="cross_cultural"),
        CheckConstraint("rule_adaptation BETWEEN 0 AND 100", name="rule_adaptation"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(
        ForeignKey("topic_report.id", ondelete="CASCADE"), index=True
    )
    party_kind: Mapped[PartyKind] = mapped_column(_enum(PartyKind, "party_kind"))
    mentor_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), index=True
    )
    tech_rd: Mapped[float | None] = mapped_column(Score)
    cross_cultural: Mapped[float | None] = mapped_column(Score)
    rule_adaptation: Mapped[float | None] = mapped_column(Score)
    comment: Mapped[str | None] = mapped_column(String(1000))
    requested_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    reminded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    completed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class TopicReminder(Base):
    """A reminder stage reached for a topic's cycle: each is sent once."""

    __tablename__ = "topic_reminder"

    topic_id: Mapped[int] = mapped_column(
        ForeignKey("topic.id", ondelete="CASCADE"), primary_key=True
    )
    cycle: Mapped[int] = mapped_column(Integer, primary_key=True)
    stage: Mapped[str] = mapped_column(String(16), primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class AchievementKind(StrEnum):
    PATENT = "patent"
    SOFTWARE = "software"
    PRODUCT = "product"
    PAPER = "paper"
    STANDARD = "standard"


class Achievement(Timestamped, Base):
    """An outcome of a team or a student, with the parties and members who made it."""

    __tablename__ = "achievement"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[AchievementKind] = mapped_column(_enum(AchievementKind, "achievement_kind"))
    title: Mapped[str] = mapped_column(String(300))
    topic_id: Mapped[int | None] = mapped_column(ForeignKey("topic.id", ondelete="SET NULL"))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    party_ids: Mapped[list[int]] = mapped_column(JSON)
    member_ids: Mapped[list[int]] = mapped_column(JSON)  # person ids of the students


class Revenue(Base):
    """Revenue from an achievement, in whole minor units of its currency, and its split."""

    __tablename__ = "revenue"

    id: Mapped[int] = mapped_column(primary_key=True)
    achievement_id: Mapped[int] = mapped_column(
        ForeignKey("achievement.id", ondelete="CASCADE"), index=True
    )
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    participation: Mapped[str] = mapped_column(String(32))  # exact rate, e.g. "7/12"
    raised: Mapped[bool] = mapped_column(default=False)
    note: Mapped[str | None] = mapped_column(String(300))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    shares: Mapped[list[RevenueShare]] = relationship(
        cascade="all, delete-orphan", lazy="raise", order_by="RevenueShare.position"
    )


class RevenueShare(Base):
    __tablename__ = "revenue_share"

    revenue_id: Mapped[int] = mapped_column(
        ForeignKey("revenue.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    party_id: Mapped[int | None] = mapped_column(ForeignKey("party.id", ondelete="SET NULL"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(String(200))  # as it was when the split was made
    percent: Mapped[str] = mapped_column(String(48))  # exact, e.g. "14.25" or "35/3"
    amount_minor: Mapped[int] = mapped_column(BigInteger)


class TrainingRecord(Base):
    """Hours of enterprise training a student did, recorded by the enterprise."""

    __tablename__ = "training_record"

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("party.id", ondelete="CASCADE"))
    day: Mapped[dt.date] = mapped_column(Date)
    minutes: Mapped[int] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(String(300))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class PartyMonth(Base):
    """A party's collaboration figures for one month, as the coordinators' digest showed
    them, and whether it was below the thresholds."""

    __tablename__ = "party_month"

    party_id: Mapped[int] = mapped_column(
        ForeignKey("party.id", ondelete="CASCADE"), primary_key=True
    )
    month: Mapped[dt.date] = mapped_column(Date, primary_key=True)  # its first day
    figures: Mapped[dict[str, Any]] = mapped_column(JSON)
    below: Mapped[list[str]] = mapped_column(JSON)  # the figures under their threshold
    flagged: Mapped[bool] = mapped_column(default=False)  # below this month and the last
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
