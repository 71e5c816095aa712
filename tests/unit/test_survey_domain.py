"""The survey's and the review's rules: the skills list, when a module is due, the demand
summary per party, the figures (means and Cronbach's alpha) and the open requests."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.domain.survey import (
    MAX_NEED,
    REVIEW_WINDOW,
    DemandAnswer,
    Rating,
    SurveyInputError,
    clean_text,
    demand_totals,
    figures,
    figures_by_party,
    next_question,
    open_requests,
    parse_skills,
    review_due,
    summarise_demand,
)


def test_skills_are_split_on_any_separator_trimmed_and_kept_once() -> None:
    text = "data law, Project  management；Mandarin、data LAW\nPython;"
    assert parse_skills(text) == ["data law", "Project management", "Mandarin", "Python"]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        (" , ;", "no_skills"),
        (",".join(f"s{i}" for i in range(11)), "too_many_skills"),
        ("x" * 49, "skill_too_long"),
    ],
)
def test_a_bad_skills_list_is_refused_with_its_reason(text: str, code: str) -> None:
    with pytest.raises(SurveyInputError) as raised:
        parse_skills(text)
    assert raised.value.code == code


def test_free_text_is_trimmed_and_bounded() -> None:
    assert clean_text("  more cases \n") == "more cases"
    with pytest.raises(SurveyInputError, match="empty"):
        clean_text("   ")
    with pytest.raises(SurveyInputError, match="too_long"):
        clean_text("x" * (MAX_NEED + 1))


def test_a_module_is_due_from_its_end_for_the_window_only() -> None:
    end = dt.datetime(2026, 11, 10, 3, 0, tzinfo=dt.UTC)
    assert not review_due(end, end - dt.timedelta(seconds=1))
    assert review_due(end, end)
    assert review_due(end, end + REVIEW_WINDOW)
    assert not review_due(end, end + REVIEW_WINDOW + dt.timedelta(seconds=1))
    assert not review_due(None, end)


def test_the_next_question_is_the_first_unanswered() -> None:
    assert next_question([None, None, None, None]) == 0
    assert next_question([4, None, 3, None]) == 1
    assert next_question([4, 5, 3, 2]) is None


def test_demand_is_counted_per_party_with_every_skill_listed() -> None:
    skills = ["law", "pm", "mandarin"]
    answers = [
        DemandAnswer("EdTech", True, frozenset({"law", "pm"}), "Python"),
        DemandAnswer("EdTech", True, frozenset({"law"}), None),
        DemandAnswer("EdTech", False, frozenset({"mandarin"}), None),  # ticked, never Done
        DemandAnswer("School", True, frozenset({"mandarin", "gone"}), ""),
    ]
    edtech, school = summarise_demand(skills, answers)
    assert (edtech.party, edtech.asked, edtech.answered) == ("EdTech", 3, 2)
    assert dict(edtech.counts) == {"law": 2, "pm": 1, "mandarin": 0}
    assert edtech.needs == ["Python"]
    assert dict(school.counts) == {"law": 0, "pm": 0, "mandarin": 1}  # unknown skill left out
    assert school.needs == []
    # Most wanted first; a tie keeps the order the coordinator listed.
    assert demand_totals(skills, [edtech, school]) == [("law", 2), ("pm", 1), ("mandarin", 1)]


def test_figures_worked_out_by_hand() -> None:
    ratings = [
        Rating("U", (4, 5, 4, 3)),
        Rating("E", (5, 4, 5, 4)),
        Rating("E", (3, 3, 4, 2)),
        Rating("S", (2, 3, 2, 3)),
    ]
    result = figures(ratings)
    assert result is not None
    assert result.raters == 4
    assert result.means == (3.5, 3.75, 3.75, 3.0)
    assert result.overall == 3.5
    # Item variances 5/3, 2.75/3, 4.75/3, 2/3; totals 16, 18, 12, 10 vary by 40/3.
    assert result.alpha == pytest.approx(4 / 3 * (1 - 14.5 / 40))  # 0.85
    per_party, overall = figures_by_party(ratings)
    assert list(per_party) == ["U", "E", "S"]
    assert per_party["E"].means == (4.0, 3.5, 4.5, 3.0) and per_party["E"].alpha is None
    assert overall == result


def test_alpha_needs_three_raters_and_varying_totals() -> None:
    two = [Rating("A", (4, 4, 4, 4)), Rating("B", (2, 3, 2, 3))]
    assert figures(two) is not None and figures(two).alpha is None  # type: ignore[union-attr]
    same = [Rating("A", (3, 3, 3, 3))] * 3
    assert figures(same).alpha is None  # type: ignore[union-attr]
    assert figures([]) is None


def test_requests_no_change_answers_are_open() -> None:
    assert open_requests({3: "a", 1: "b", 7: "c"}, [3, 9]) == [1, 7]
