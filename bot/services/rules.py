"""The rules of the consortium file's sections, read back as the domain's own types (the
defaults when a section was never imported)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from bot.domain.consortium_file import AchievementsSpec, CreditsSpec, DigestSpec, TopicsSpec
from bot.domain.credits import CreditRules
from bot.domain.digest import Thresholds
from bot.domain.revenue import SplitRules
from bot.domain.time import parse_duration
from db.repositories import Repos


async def topics(repos: Repos) -> TopicsSpec:
    return TopicsSpec.model_validate(await repos.rules.get("topics") or {})


async def achievements(repos: Repos) -> AchievementsSpec:
    return AchievementsSpec.model_validate(await repos.rules.get("achievements") or {})


def split_rules(spec: AchievementsSpec) -> SplitRules:
    return SplitRules(
        parties={kind.value: share for kind, share in spec.shares.items()},
        students=spec.students,
        students_raised=spec.students_raised,
        threshold=spec.raised_at / 100,
    )


async def credits(repos: Repos) -> CreditRules:
    stored = await repos.rules.get("credits")
    if stored is None:
        # A file imported before the other sources existed kept only the overseas rate.
        policy = await repos.reports.policy()
        per_month = Decimal(policy.credits_per_month) if policy else Decimal(2)
        return CreditRules(overseas_per_month=per_month)
    spec = CreditsSpec.model_validate(stored)
    return CreditRules(
        overseas_per_month=spec.overseas_per_month,
        training_hours_per_credit=spec.training_hours_per_credit,
        training_credits=spec.training_credits,
        per_topic_cycle=spec.per_topic_cycle,
    )


async def digest(repos: Repos) -> tuple[DigestSpec, Thresholds]:
    spec = DigestSpec.model_validate(await repos.rules.get("digest") or {})
    thresholds = Thresholds(
        checkin_attendance=float(spec.checkin_attendance) / 100,
        response_minutes=parse_duration(spec.response_time) / dt.timedelta(minutes=1),
        scored_on_time=float(spec.scored_on_time) / 100,
        topics_answered=float(spec.topics_answered) / 100,
    )
    return spec, thresholds
