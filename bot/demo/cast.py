"""The demo's consortium and its month: when it starts, the group, the people (the newcomer
invited on the way), what each student did and how the mentors score it. The script
(`script.py`), the transcript (`transcript.py`) and the playground read them from here.
"""

from __future__ import annotations

import datetime as dt
from importlib import resources

import yaml

from bot.demo.playground import Person
from bot.domain.access import ROLE_NAMES
from bot.i18n import N_, Translator
from bot.renderers import listed
from db.models import Role

# Monday 2 November, 14:00 in Ningbo: the people join after last week's reports were due
# (12:00 in Bangkok), so the bot expects this week's of the students, not last week's.
START = dt.datetime(2026, 11, 2, 6, 0, tzinfo=dt.UTC)
GROUP_ID, GROUP_TITLE = -1001234567890, "Alliance main group"
PEOPLE = {
    1001: "Li Wei",
    1002: "Zhang Min",
    1101: "Wang Fang",
    1201: "Liu Yang",
    1301: "Somchai Prasert",
    2001: "Chen Jie",
    2002: "Li Na",
    2003: "Zhao Lei",
}
NEWCOMER = (1102, "Tan Wei Ming")  # joins GlobalEd Tech through an invite
MENTORS = (1002, 1101, 1201, 1301)
STUDENTS = (2001, 2002, 2003)
# What each student did in the four weeks, and how the four mentors scored it (rising).
WORK = {
    2001: (N_("Taught robotics lessons with the host teachers and built a weather station."), 62),
    2002: (N_("Prepared the science fair and translated the lab's safety rules into Thai."), 55),
    2003: (N_("Ran the coding club and tested the new tablets' parental controls."), 68),
}
STEP = 4  # points gained each week


def people(t: Translator) -> list[Person]:
    """The people of the demo consortium (the newcomer too), with their roles and party."""
    text = resources.files("bot.demo").joinpath("consortium.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    parties = {party["key"]: party["name"] for party in data["parties"]}
    rows = [(p["telegram_id"], p["name"], p["party"], p["roles"]) for p in data["people"]]
    rows.append((*NEWCOMER, "edtech", ["contact"]))
    return [
        Person(
            telegram_id,
            name,
            listed((t.gettext(ROLE_NAMES[Role(role)]) for role in roles), t) + f" · {parties[key]}",
        )
        for telegram_id, name, key, roles in rows
    ]
