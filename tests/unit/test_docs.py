"""The docs stay true: a short README, links that lead somewhere, commands as the registry has them.

A newcomer reads the README, then follows its links into docs/; a page that names a command,
a setting, a file or a link the code no longer has sends them the wrong way. These tests read
the Markdown as text: no bot, no database.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from bot.config import Settings
from bot.domain.access import COMMANDS, COMMANDS_BY_NAME, CommandSpec, Where
from bot.domain.consortium_file import ConsortiumDoc
from db.models import Role

ROOT = next(p for p in Path(__file__).resolve().parents if (p / "pyproject.toml").is_file())
README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").rglob("*.md"))
PAGES = [README, ROOT / "CONTRIBUTING.md", *DOCS]

FENCE = re.compile(r"^```.*?^```", re.M | re.S)
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
CODE = re.compile(r"`([^`\n]+)`")
REPO_PATH = re.compile(r"(bot|db|handlers|jobs|tests|benchmarks|examples|docs)/[\w./-]*")
HEADING = re.compile(r"^#+ (.+)$", re.M)


def _prose(page: Path) -> str:
    """A page without its fenced blocks (examples, transcripts, shell sessions)."""
    return FENCE.sub("", page.read_text(encoding="utf-8"))


def _slug(heading: str) -> str:
    """The anchor GitHub gives a heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower().replace("`", ""))
    return text.replace(" ", "-")


def test_the_readme_is_short_and_has_exactly_the_two_set_up_commands() -> None:
    text = README.read_text(encoding="utf-8")
    assert len(text.encode()) < 12_000
    set_up = text.split("\n## Set up\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"^```sh\n(.*?)^```", set_up, re.M | re.S)
    commands = [line.split("#")[0].strip() for block in blocks for line in block.splitlines()]
    assert [c for c in commands if c] == ["make run", "make test"]
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^run:", makefile, re.M) and re.search(r"^test:", makefile, re.M)


def test_the_readme_names_the_supported_pythons() -> None:
    """requires-python ">=3.11,<3.14" is "Python 3.11, 3.12 or 3.13"."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    bounds = re.fullmatch(r">=3\.(\d+),<3\.(\d+)", project["requires-python"])
    assert bounds, project["requires-python"]
    versions = [f"3.{minor}" for minor in range(int(bounds[1]), int(bounds[2]))]
    sentence = f"Python {', '.join(versions[:-1])} or {versions[-1]}"
    assert sentence in README.read_text(encoding="utf-8")


def test_every_relative_link_leads_to_a_file_and_its_heading() -> None:
    broken = []
    for page in PAGES:
        for target in LINK.findall(_prose(page)):
            if re.match(r"[a-z]+:", target):
                continue  # https:, mailto:
            path, _, anchor = target.partition("#")
            linked = (page.parent / path).resolve() if path else page
            if not linked.exists():
                broken.append(f"{page.relative_to(ROOT)}: {target}")
            elif anchor and linked.suffix == ".md":
                headings = {_slug(h) for h in HEADING.findall(_prose(linked))}
                if anchor not in headings:
                    broken.append(f"{page.relative_to(ROOT)}: {target} (no such heading)")
    assert broken == []


def test_every_file_the_docs_name_exists() -> None:
    missing = [
        f"{page.relative_to(ROOT)}: {name}"
        for page in PAGES
        for name in CODE.findall(_prose(page))
        if REPO_PATH.fullmatch(name) and not (ROOT / name).exists()
    ]
    assert missing == []


def test_every_setting_is_documented() -> None:
    page = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    for field in Settings.model_fields:
        assert f"`{field.upper()}`" in page, field
        assert re.search(rf"^#? ?{field.upper()}=", example, re.M), field
    for key in re.findall(r"^#? ?([A-Z][A-Z_]+)=", example, re.M):
        assert key.lower() in Settings.model_fields, key


def test_every_section_of_the_consortium_file_is_documented() -> None:
    page = (ROOT / "docs" / "consortium-file.md").read_text(encoding="utf-8")
    for section in ConsortiumDoc.model_fields:
        assert f"`{section}`" in page or f"\n{section}:" in page, section


@dataclass(frozen=True)
class Row:
    """One row of a table of commands: the command as written, who, and where it works."""

    page: str
    command: str
    who: str | None
    where: str

    @property
    def spec(self) -> CommandSpec:
        name = re.match(r"`/([a-z]+)", self.command)
        assert name, self
        return COMMANDS_BY_NAME[name.group(1)]

    @property
    def subcommand(self) -> bool:
        """`/checkin next`, `/topic new`: one form of a command, which may work in fewer chats."""
        return bool(re.match(r"`/[a-z]+ [a-z]+", self.command))


WHERE = re.compile(r"(any|private|group)(, answered in private)?( \(.+\))?")
ROLE_WORDS = {role: role.value for role in Role}  # "coordinator" is in "coordinators"


def _rows(page: Path) -> list[Row]:
    """The rows of the page's tables headed `| Command | ... | Where | ...`."""
    rows: list[Row] = []
    columns: list[str] = []
    for line in page.read_text(encoding="utf-8").splitlines():
        if not line.startswith("|"):
            columns = []
            continue
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
        if cells and cells[0] == "Command":
            columns = cells
        elif columns and "Where" in columns and not set(line) <= set("|- "):
            row = dict(zip(columns, cells, strict=True))
            name = str(page.relative_to(ROOT))
            rows.append(Row(name, row["Command"], row.get("Who"), row["Where"]))
    return rows


def _wrong_where(row: Row) -> str | None:
    """Why the row's Where is not what the registry declares, or None."""
    match = WHERE.fullmatch(row.where)
    if not match:
        return f"{row.where!r} is not any/private/group[, answered in private][ (note)]"
    where, personal = Where(match.group(1)), bool(match.group(2))
    spec = row.spec
    if row.subcommand:  # its feature may narrow the command's chats, never widen them
        if spec.where is not Where.ANY and where is not spec.where:
            return f"{where} where the registry says {spec.where}"
        if spec.personal and not (personal or where is Where.PRIVATE):
            return "the registry answers it in private"
        return None
    if where is not spec.where:
        return f"{where} where the registry says {spec.where}"
    if personal != spec.personal:
        return f"answered in private: {personal}, the registry: {spec.personal}"
    return None


def test_the_commands_page_lists_the_registry() -> None:
    rows = _rows(ROOT / "docs" / "commands.md")
    assert {row.spec.name for row in rows} == {spec.name for spec in COMMANDS}
    assert {row.spec.name for row in rows if not row.subcommand} == {s.name for s in COMMANDS}
    wrong = [(row.command, _wrong_where(row)) for row in rows if _wrong_where(row)]
    assert wrong == []
    for row in rows:
        spec = row.spec
        assert row.who, row
        assert (row.who == "anyone") == (not spec.members_only), row
        for role in spec.roles or ():
            assert ROLE_WORDS[role] in row.who, (row.command, role)


GUIDE_READERS = {
    "coordinator": Role.COORDINATOR,
    "contact": Role.CONTACT,
    "mentor": Role.MENTOR,
    "student": Role.STUDENT,
}


def test_the_guides_list_commands_their_readers_may_use_where_they_work() -> None:
    """A guide's table says where each command works, as the registry does (issue 26: the
    coordinators' guide had `/revenue`, `/transcript`, `/digest` and `/export` anywhere)."""
    for stem, role in GUIDE_READERS.items():
        rows = _rows(ROOT / "docs" / "guides" / f"{stem}.md")
        assert rows, stem
        wrong = [(row.command, _wrong_where(row)) for row in rows if _wrong_where(row)]
        assert wrong == [], stem
        refused = [row.command for row in rows if not row.spec.allows({role})]
        assert refused == [], stem
