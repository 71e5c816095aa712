"""End to end: a consortium's own assessment manual, imported from its file, shown to a
mentor while scoring and kept with the scores; a week scored again under a newer version
keeps both; /manual in both languages; a placement without a required kind of party
refused at import with its place."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

from bot.clock import ManualClock
from bot.config import Settings
from bot.fake_telegram import FakeTelegram, FakeUser, SentMessage
from bot.services.consortium_io import import_file
from db.engine import Database
from tests.conftest import SAMPLE_FILE
from tests.e2e.conftest import RunningBot, run_cli, started
from tests.e2e.test_participation import _last_file
from tests.e2e.test_reports import _write_report


def manual(bounds: tuple[int, int, int], names: tuple[str, str, str]) -> str:
    """A `manual` section of three levels; each descriptor names its level, in both
    languages."""
    levels = "\n".join(
        f"    - {{min: {low}, name: {{en: {name}, zh: {name}级}}}}"
        for low, name in zip(bounds, names, strict=True)
    )
    descriptors = "\n".join(
        f"    {dim}:\n"
        + "\n".join(f"      - {{en: {dim} as a {name}, zh: {name}级的{dim}}}" for name in names)
        for dim in ("tech_rd", "cross_cultural", "rule_adaptation")
    )
    return f"manual:\n  levels:\n{levels}\n  descriptors:\n{descriptors}\n"


FIRST = manual((0, 50, 80), ("Novice", "Practitioner", "Expert"))
SECOND = manual((0, 60, 75), ("Starter", "Skilled", "Master"))


async def _import(settings: Settings, clock: ManualClock, section: str) -> str:
    text = SAMPLE_FILE.read_text(encoding="utf-8") + section
    return (await import_file(settings, text, now=clock.now())).summary()


async def _score(mentor: FakeUser, request: SentMessage, values: tuple[int, ...]) -> list[str]:
    """Press Score this report on `request`, score, no comment, save: the texts seen."""
    step = await mentor.press_and_read(request, "Score this report")
    seen = [step.text]
    for value in values:
        step = await mentor.press_and_read(step, str(value))
        seen.append(step.text)
    step = await mentor.press_and_read(step, "No comment")
    seen.append(step.text)
    seen.append((await mentor.press_and_read(step, "Save")).text)
    return seen


async def test_own_manual_while_scoring_and_a_week_rescored_under_a_new_version(
    tg: FakeTelegram, bot: RunningBot, database: Database, settings: Settings, clock: ManualClock
) -> None:
    assert "created 1 manual versions" in await _import(settings, clock, FIRST)
    assert await _import(settings, clock, FIRST) == "no changes"  # the same manual: no version
    zhang = await started(tg, 1002, "Zhang Min")
    chen = await started(tg, 2001, "Chen Jie")
    review = await _write_report(chen)
    await chen.press_and_read(review, "Submit")
    request = await zhang.next_message()
    assert "Weekly report from Chen Jie" in request.text

    seen = await _score(zhang, request, (70, 90, 40))
    # Each dimension's step shows the manual in force: its version, bounds, names, texts.
    assert "Assessment manual of the consortium, version 2" in seen[0]
    assert "0-49 <i>Novice</i>: tech_rd as a Novice" in seen[0]
    assert "50-79 <i>Practitioner</i>: tech_rd as a Practitioner" in seen[0]
    assert "80-100 <i>Expert</i>" in seen[0]
    assert "cross_cultural as a Expert" in seen[1]
    assert "rule_adaptation as a Novice" in seen[2]
    assert "Technology R&amp;D: 70 (Practitioner)" in seen[4]  # levels by version 2's bounds
    assert "Saved" in seen[5]
    feedback = await chen.next_message()
    assert "70 (Practitioner)" in feedback.text and "90 (Expert)" in feedback.text
    assert "40 (Novice)" in feedback.text

    # Under the version in force a week is scored once.
    query = zhang.press_data(request, request.buttons[0][1])
    assert (await zhang.callback_answer(query))["text"] == "You have already scored this report."

    # A new version: the same week scored again keeps both.
    assert "created 1 manual versions" in await _import(settings, clock, SECOND)
    seen = await _score(zhang, request, (70, 70, 70))
    assert "version 3" in seen[0] and "60-74 <i>Skilled</i>" in seen[0]
    assert "Technology R&amp;D: 70 (Skilled)" in seen[4]
    feedback = await chen.next_message()
    assert "70 (Skilled)" in feedback.text

    async with database.transaction() as repos:
        student = await repos.people.by_telegram_id(2001)
        assert student is not None
        current = [
            a for a in await repos.personal_data.scores_received(student.id) if a.completed_at
        ]
        assert [
            (a.party_kind.value, a.tech_rd, a.cross_cultural, a.manual_version) for a in current
        ] == [("university", 70, 70, 3)]
        earlier = await repos.manual.history(student_id=student.id)
        assert [
            (h.party_kind.value, h.tech_rd, h.cross_cultural, h.manual_version) for h in earlier
        ] == [("university", 70, 90, 2)]
        assert earlier[0].assessment_id == current[0].id

    # /manual, in each reader's language; an earlier version on request.
    chen.send("/manual")
    shown = await chen.next_message()
    assert "version 3" in shown.text and "Master" in shown.text and "Novice" not in shown.text
    chen.send("/manual 2")
    assert "Practitioner" in (await chen.next_message()).text
    chen.send("/manual 1")
    assert "exemplary" in (await chen.next_message()).text
    chen.send("/manual 9")
    assert "There is no version 9" in (await chen.next_message()).text
    li = await started(tg, 1001, "Li Wei", language="zh")
    li.send("/manual")
    shown = await li.next_message()
    assert "联盟考核手册，第 3 版" in shown.text and "Master级的tech_rd" in shown.text
    li.send("/manual 1")
    assert "内置评分标准" in (await li.next_message()).text

    # /export keeps the earlier scores with their version, and every version.
    li.send("/export")
    archive = await _last_file(tg, li.id, "-csv.zip")
    with zipfile.ZipFile(io.BytesIO(archive)) as files:
        history = list(csv.DictReader(io.StringIO(files.read("score_history.csv").decode())))
        versions = list(csv.DictReader(io.StringIO(files.read("manual_versions.csv").decode())))
    assert [
        (r["student"], float(r["tech_rd"]), float(r["cross_cultural"]), r["manual_version"])
        for r in history
    ] == [("2001", 70, 90, "2")]
    assert [(r["version"], r["levels_en"], r["levels_zh"]) for r in versions] == [
        ("2", "0:Novice 50:Practitioner 80:Expert", "0:Novice级 50:Practitioner级 80:Expert级"),
        ("3", "0:Starter 60:Skilled 75:Master", "0:Starter级 60:Skilled级 75:Master级"),
    ]


def test_a_placement_without_a_required_kind_is_refused_with_its_place(tmp_path: Path) -> None:
    db = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'cli.sqlite3'}"}
    text = SAMPLE_FILE.read_text(encoding="utf-8").replace(" research: 1201,", "")
    text += "participation: {required: [research, overseas_site], mentor_share: 50}\n"
    (tmp_path / "c.yaml").write_text(text, encoding="utf-8")
    done = run_cli("import", "c.yaml", cwd=tmp_path, env=db)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "error: placements[0].mentors: research is required",
        "1 problem; nothing was imported",
    ]
    # With the research mentor back, the same file imports.
    fixed = text.replace("enterprise: 1101,", "enterprise: 1101, research: 1201,")
    (tmp_path / "c.yaml").write_text(fixed, encoding="utf-8")
    done = run_cli("import", "c.yaml", cwd=tmp_path, env=db)
    assert done.returncode == 0, done.stderr
    assert "participation" in done.stdout
