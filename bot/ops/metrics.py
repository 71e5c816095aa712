"""Prometheus metrics, served on METRICS_LISTEN:METRICS_PORT when METRICS_PORT is set
(`bot.ops.health`, beside /healthz).

Counted as they happen: updates handled (by kind) and how long each took; Bot API answers
that were errors (by kind: 429, 403, 400, other 4xx, 5xx, time-out, network). Read from the
database by the scheduler tick: the outbox's pending messages and the age of the oldest,
open liaison questions, weekly reports overdue. The replica's role (`bot.leadership`): leader
or standby, the lease's epoch, and the failovers this replica made. Each application has a
registry of its own.
"""

from __future__ import annotations

import datetime as dt
import time
from http import HTTPStatus
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from telegram import Update
from telegram.error import TimedOut

from bot.services.liaison import ACTIVE
from bot.telegram.request import AiohttpRequest
from db.repositories import Repos

UPDATE_KINDS = ("message", "edited_message", "callback_query", "poll_answer", "my_chat_member")


def update_kind(update: object) -> str:
    if isinstance(update, Update):
        for kind in UPDATE_KINDS:
            if getattr(update, kind, None) is not None:
                return kind
    return "other"


def error_kind(status: int) -> str:
    if status in (HTTPStatus.TOO_MANY_REQUESTS, HTTPStatus.FORBIDDEN, HTTPStatus.BAD_REQUEST):
        return str(status)
    return "5xx" if status >= 500 else "4xx"


class Metrics:
    """The bot's metrics, in a registry of their own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.updates = Counter(
            "synergy_updates", "Updates handled, by kind", ["kind"], registry=self.registry
        )
        self.update_seconds = Histogram(
            "synergy_update_seconds",
            "Time to handle an update, replies included",
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=self.registry,
        )
        self.telegram_errors = Counter(
            "synergy_telegram_errors",
            "Bot API requests that failed, by kind (429, 403, 400, 4xx, 5xx, timeout, network)",
            ["kind"],
            registry=self.registry,
        )
        self.outbox_pending = Gauge(
            "synergy_outbox_pending", "Messages waiting in the outbox", registry=self.registry
        )
        self.outbox_oldest = Gauge(
            "synergy_outbox_oldest_seconds",
            "How long the oldest message due in the outbox has waited (0 when none)",
            registry=self.registry,
        )
        self.open_requests = Gauge(
            "synergy_open_requests",
            "Liaison questions not answered or closed",
            registry=self.registry,
        )
        self.overdue_reports = Gauge(
            "synergy_overdue_reports",
            "Weekly reports past their deadline and not submitted",
            registry=self.registry,
        )
        self.leader = Gauge(
            "synergy_leader",
            "1 while this replica leads (scheduler, outbox, polling), 0 on standby",
            registry=self.registry,
        )
        self.epoch = Gauge(
            "synergy_leader_epoch",
            "The lease's epoch this replica leads at (0: none, or SQLite)",
            registry=self.registry,
        )
        self.failovers = Counter(
            "synergy_failovers",
            "Leases this replica took over from a leader that let its lease run out",
            registry=self.registry,
        )
        for kind in (*UPDATE_KINDS, "other"):
            self.updates.labels(kind)
        for kind in ("429", "403", "400", "4xx", "5xx", "timeout", "network"):
            self.telegram_errors.labels(kind)

    def handled(self, update: object, started: float) -> None:
        self.updates.labels(update_kind(update)).inc()
        self.update_seconds.observe(time.perf_counter() - started)

    async def refresh(self, repos: Repos, now: dt.datetime) -> None:
        """The figures read from the database (one query each)."""
        self.outbox_pending.set(await repos.outbox.pending_count())
        # Due messages only: one held for a contact's quiet hours waits on purpose.
        oldest = await repos.outbox.oldest_due(now)
        self.outbox_oldest.set(max(0.0, (now - oldest).total_seconds()) if oldest else 0.0)
        self.open_requests.set(await repos.requests.count_in(ACTIVE))
        self.overdue_reports.set(await repos.reports.overdue_count())


class MeteredRequest(AiohttpRequest):
    """The bot's requests to the Bot API, counting those that failed by kind."""

    def __init__(self, metrics: Metrics | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.metrics = metrics

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        try:
            code, payload = await super().do_request(*args, **kwargs)
        except Exception as exc:
            if self.metrics is not None:
                kind = "timeout" if isinstance(exc, TimedOut) else "network"
                self.metrics.telegram_errors.labels(kind).inc()
            raise
        if self.metrics is not None and code >= HTTPStatus.BAD_REQUEST:
            self.metrics.telegram_errors.labels(error_kind(code)).inc()
        return code, payload
