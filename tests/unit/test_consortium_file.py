"""The consortium file: the sample is accepted as it stands; every problem has its place."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.domain.consortium_file import (
    ConsortiumFileError,
    dump_consortium_file,
    parse_consortium_file,
)
from db.models import PartyKind, Role
from tests.conftest import SAMPLE_FILE

SAMPLE = SAMPLE_FILE.read_text(encoding="utf-8")


def problems(text: str) -> list[str]:
    with pytest.raises(ConsortiumFileError) as error:
        parse_consortium_file(text)
    return error.value.problems


def test_the_sample_is_accepted_as_it_stands() -> None:
    doc = parse_consortium_file(SAMPLE)
    assert doc.consortium.name == "Belt and Road EdTech Alliance"
    assert [p.key for p in doc.parties] == ["nbu", "edtech", "ai-lab", "bkk-school"]
    assert doc.parties[2].timezone is None
    assert doc.people[1].all_memberships() == [("nbu", Role.CONTACT), ("nbu", Role.MENTOR)]
    placement = doc.placements[0]
    assert (placement.start, placement.end) == (dt.date(2026, 9, 1), dt.date(2027, 1, 31))
    assert placement.mentors[PartyKind.OVERSEAS_SITE] == 1301


def test_unknown_party_has_its_place() -> None:
    text = SAMPLE.replace(
        "{telegram_id: 2001, name: Chen Jie, party: nbu",
        "{telegram_id: 2001, name: Chen Jie, party: nbx",
    )
    assert "people[2].party: unknown party 'nbx'" in problems(text)


def test_every_problem_is_listed_at_once() -> None:
    text = (
        SAMPLE.replace("party: nbu, roles: [student]", "party: nbx, roles: [student]")
        .replace("country: TH", "country: XX")
        .replace("start: 2026-09-01", "start: 2026-13-01")
        .replace("kind: research", "kind: lab")
        .replace("timezone: Asia/Singapore", "timezone: Asia/Atlantis")
        .replace("language: zh}", "language: fr}")
    )
    found = problems(text)
    assert "people[2].party: unknown party 'nbx'" in found
    assert "parties[3].country: unknown country code 'XX' (ISO 3166, e.g. CN, TH)" in found
    assert any(p.startswith("placements[0].start: ") for p in found)
    assert any(p.startswith("parties[2].kind: ") for p in found)
    assert "parties[1].timezone: unknown time zone 'Asia/Atlantis'" in found
    assert any(p.startswith("people[0].language: ") for p in found)
    assert len(found) == 6


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (("- {key: edtech", "- {key: nbu"), "parties[1].key: duplicate key 'nbu'"),
        (
            ("{telegram_id: 1002", "{telegram_id: 1001"),
            "people[1].telegram_id: 1001 is already people[0]",
        ),
        (
            ("site: bkk-school", "site: nbu"),
            "placements[0].site: party 'nbu' is a university, not an overseas_site",
        ),
        (
            ("end: 2027-01-31", "end: 2026-08-01"),
            "placements[0].end: 2026-08-01 is before start 2026-09-01",
        ),
        (
            ("{student: 2001", "{student: 1002"),
            "placements[0].student: 1002 is not a student in people",
        ),
        (("name: Li Wei, ", "nmae: Li Wei, "), "people[0].nmae: unknown field"),
        (
            ("mentors: {university: 1002", "mentors: {university: 2001"),
            "placements[0].mentors.university: the student cannot mentor themself",
        ),
        (
            ("{key: ai-lab, name: Institute of Educational AI, ", "{key: ai-lab, "),
            "parties[2].name: required",
        ),
    ],
)
def test_single_problems(edit: tuple[str, str], expected: str) -> None:
    assert edit[0] in SAMPLE
    assert expected in problems(SAMPLE.replace(*edit))


def test_yaml_syntax_error_gives_line_and_column() -> None:
    found = problems("consortium: {name: x\nparties: [")
    assert len(found) == 1 and found[0].startswith("line ")


def test_not_a_mapping() -> None:
    assert problems("- just\n- a list\n") == [
        "file: expected a mapping with a 'consortium' section"
    ]


def test_missing_consortium_and_unknown_section() -> None:
    found = problems("parties: []\nteams: []\n")
    assert "teams: unknown section" in found and "consortium: required" not in found
    assert any(p.startswith("consortium") for p in found)


def test_dump_reads_back_identically() -> None:
    doc = parse_consortium_file(SAMPLE)
    dumped = dump_consortium_file(doc.model_dump(mode="json", exclude_unset=True))
    assert parse_consortium_file(dumped) == doc
