"""Course modules: the consortium file's `courses` section and the pure rules of sessions
(who attends, which reminders are due, credits for attended hours)."""

from __future__ import annotations

from enum import StrEnum


class CoursePhase(StrEnum):
    """Where a module sits in a student's programme."""

    PRE_DEPARTURE = "pre_departure"  # training on the host country's culture and policy
    COURSE = "course"
