"""The registry declares sub-commands narrower than their command, so that no handler checks
a role again: `/checkin close` and `/topic announce` are for coordinators, `/checkin next`
for everyone, and `/checkins export` (exactly so) for coordinators."""

from __future__ import annotations

from bot.domain.access import COMMANDS_BY_NAME
from bot.domain.kinds import Role

EVERYONE_ELSE = {Role.STUDENT, Role.MENTOR, Role.CONTACT}


def refused(command: str, args: list[str], roles: set[Role]) -> str | None:
    found = COMMANDS_BY_NAME[command].refused_sub(args, roles)
    return None if found is None else found.refusal


def test_checkin_is_for_coordinators_but_next() -> None:
    for args in ([], ["close"], ["schedule", "15", "09:30"], ["whatever"], ["CLOSE"]):
        assert refused("checkin", args, EVERYONE_ELSE) is not None, args
        assert refused("checkin", args, {Role.COORDINATOR}) is None, args
    assert refused("checkin", ["next"], EVERYONE_ELSE) is None
    assert refused("checkin", ["NEXT"], set()) is None


def test_checkins_export_and_topic_announce_are_for_coordinators() -> None:
    assert refused("checkins", ["export"], EVERYONE_ELSE) == (
        "Only coordinators can export check-ins."
    )
    assert refused("checkins", ["Export"], EVERYONE_ELSE) is None  # the list, as before
    assert refused("checkins", [], EVERYONE_ELSE) is None
    assert refused("topic", ["announce", "3"], EVERYONE_ELSE) == (
        "Only coordinators can announce a topic in the groups."
    )
    assert refused("topic", ["Announce", "3"], {Role.COORDINATOR}) is None
    assert refused("topic", ["3"], EVERYONE_ELSE) is None
