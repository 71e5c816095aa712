"""The assessment manual's and mandatory participation's pure rules: a manual's spec checked
with its place, levels read by each version's bounds, versions made only for a change, and
the participation section's problems, shares and escalation steps."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from bot.domain.consortium_file import ConsortiumFileError, parse_consortium_file
from bot.domain.manual import DEFAULT_MANUAL, ManualSpec, canonical, digest, manual_from_spec
from bot.domain.participation import MentorShare, Step, is_below, missing_kinds, step_due
from bot.i18n import Translator
from bot.renderers.manual import level_label, rubric_lines
from bot.services import manual
from bot.services.people import forget_person, personal_data
from db.models import Assessment, PartyKind, Role
from db.repositories import Repos
from tests.conftest import SAMPLE_FILE
from tests.factories import add_membership, add_party, add_person, submitted_report

DIMS = ("tech_rd", "cross_cultural", "rule_adaptation")


def _spec(bounds: tuple[int, ...] = (0, 50, 80), **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "levels": [{"min": b, "name": {"en": f"L{b}", "zh": f"级{b}"}} for b in bounds],
        "descriptors": {d: [{"en": f"{d} {b}", "zh": f"{d}{b}"} for b in bounds] for d in DIMS},
    }
    return data | changes


def test_levels_are_read_with_the_bounds_of_their_version() -> None:
    own = manual_from_spec(2, ManualSpec.model_validate(_spec()))
    assert own.bounds() == ["0-49", "50-79", "80-100"]
    assert [own.level_of(s).name["en"] for s in (0, 49.99, 50, 79, 80, 100)] == [
        "L0", "L0", "L50", "L50", "L80", "L80",
    ]  # fmt: skip
    # The same score, another version, another level.
    assert DEFAULT_MANUAL.level_of(70).name["en"] == "competent"
    assert own.level_of(70).name["en"] == "L50"


def test_a_manual_shown_in_each_language(en: Translator, zh: Translator) -> None:
    own = manual_from_spec(2, ManualSpec.model_validate(_spec()))
    assert level_label(own, 85, zh) == "级80"
    assert rubric_lines(own, "tech_rd", en)[1] == "50-79 <i>L50</i>: tech_rd 50"
    # The built-in manual's texts go through the catalog.
    assert level_label(DEFAULT_MANUAL, 95, en) == "exemplary"
    assert level_label(DEFAULT_MANUAL, 95, zh) == zh.gettext("exemplary") != "exemplary"


def test_the_same_manual_has_the_same_digest_and_a_change_another() -> None:
    one = canonical(ManualSpec.model_validate(_spec()))
    again = canonical(ManualSpec.model_validate(_spec()))
    other = canonical(ManualSpec.model_validate(_spec((0, 60, 80))))
    assert digest(one) == digest(again) != digest(other)


@pytest.mark.parametrize(
    ("section", "problem"),
    [
        (_spec((10, 50)), "manual.levels: the first level must start at min 0"),
        (_spec((0, 50, 50)), "manual.levels: each level's min must be above"),
        (
            _spec(descriptors={d: [{"en": "x", "zh": "x"}] for d in DIMS}),
            "manual.descriptors: tech_rd has 1 descriptors for 3 levels",
        ),
        (
            _spec(levels=[{"min": 0, "name": {"en": "A"}}, {"min": 5, "name": {"en": "B"}}]),
            "manual.levels[0].name.zh: required",
        ),
    ],
)
def test_a_wrong_manual_is_refused_with_its_place(section: dict[str, object], problem: str) -> None:
    import yaml

    text = SAMPLE_FILE.read_text(encoding="utf-8") + yaml.safe_dump({"manual": section})
    with pytest.raises(ConsortiumFileError) as refused:
        parse_consortium_file(text)
    assert any(p.startswith(problem) for p in refused.value.problems), refused.value.problems


def test_required_kinds_and_the_share() -> None:
    required = [PartyKind.RESEARCH, PartyKind.OVERSEAS_SITE]
    assert missing_kinds(required, [PartyKind.UNIVERSITY, PartyKind.OVERSEAS_SITE]) == [
        PartyKind.RESEARCH
    ]
    assert missing_kinds(required, required) == []
    least = Decimal(50)
    assert is_below(MentorShare(1, 0, 2), least, 2)
    assert not is_below(MentorShare(1, 0, 1), least, 2)  # too few weeks to judge
    assert not is_below(MentorShare(1, 1, 2), least, 2)  # exactly the share
    assert not is_below(MentorShare(1, 0, 9), Decimal(0), 2)  # no share asked


def test_each_step_once_a_delay_apart() -> None:
    start = dt.datetime(2026, 11, 2, tzinfo=dt.UTC)
    after = dt.timedelta(days=3)
    assert step_due(None, None, start, after) is Step.MENTOR
    assert step_due(Step.MENTOR, start, start + after - dt.timedelta(seconds=1), after) is None
    assert step_due(Step.MENTOR, start, start + after, after) is Step.CONTACT
    assert step_due(Step.CONTACT, start, start + after, after) is Step.COORDINATORS
    assert step_due(Step.COORDINATORS, start, start + 10 * after, after) is None


async def test_earlier_scores_in_mydata_and_their_comments_forgotten(repos: Repos) -> None:
    """A week scored again under a newer manual: /mydata lists the earlier scores with their
    version; /forget (anonymising: the scores feed the figures) erases their comment."""
    nbu = await add_party(repos, "nbu")
    student = await add_person(repos, 2001, "Chen Jie")
    mentor = await add_person(repos, 1002, "Zhang Min")
    await add_membership(repos, student, nbu, Role.STUDENT)
    now = dt.datetime(2026, 11, 10, tzinfo=dt.UTC)
    report = await repos.reports.add(submitted_report(student.id, dt.date(2026, 11, 2), now))
    assessment = await repos.assessments.add(
        Assessment(
            student_id=student.id,
            week=report.week,
            party_kind=PartyKind.UNIVERSITY,
            report_id=report.id,
            mentor_id=mentor.id,
            tech_rd=70,
            cross_cultural=60,
            rule_adaptation=50,
            comment="Good work",
            requested_at=now,
            completed_at=now,
        )
    )
    assert not await manual.rescore(repos, assessment, now)  # version 1 is in force
    assert await manual.import_manual(repos, ManualSpec.model_validate(_spec()), now) == 2
    assert await manual.import_manual(repos, ManualSpec.model_validate(_spec()), now) is None
    assert await manual.rescore(repos, assessment, now)
    assert assessment.completed_at is None and assessment.tech_rd is None
    data = await personal_data(repos, student)
    assert [(s["tech_rd"], s["manual_version"], s["comment"]) for s in data[
        "earlier_scores_received"
    ]] == [(70, 1, "Good work")]  # fmt: skip
    assert await forget_person(repos, student)  # anonymised: the scores stay
    (earlier,) = await repos.manual.history(student_id=student.id)
    assert earlier.tech_rd == 70 and earlier.comment is None
