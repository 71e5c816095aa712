"""How long Telegram finds a text, and cutting a long one into messages that each fit.

Telegram counts a text after parsing its HTML (tags removed, `&amp;` or `&#128512;` one
character), in UTF-16 code units (an emoji outside the BMP counts 2), against 4,096 for a
message and 1,024 for a caption; over that, or with a tag cut in half, it refuses the whole
message. `split_html` cuts a long text into pieces that each fit: on a paragraph, a line or a
word boundary where it can, never inside a tag or an entity. The tags open at a cut are
closed there and opened again at the start of the next piece, so each piece parses on its
own and the pieces read, one after the other, as the original.

Usage::

    caption, messages = fit_message(text, with_file=True)
    # caption is None when the text does not fit under the file: send the file bare, then
    # each of `messages` in order (the buttons go on the last one).
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from dataclasses import dataclass

MAX_TEXT = 4096  # a message's text, as Telegram counts it
MAX_CAPTION = 1024  # a photo's or a document's caption

# A tag (attribute values may hold '>'), or an entity Telegram knows (only these four named
# ones, and numeric ones); everything else is characters (a stray '<' or '&' included).
_MARKUP = re.compile(
    r"""<(?:[^>"']|"[^"]*"|'[^']*')*>"""
    r"|&(?:lt|gt|amp|quot|#[0-9]{1,8}|#[xX][0-9a-fA-F]{1,8});"
)
_TAG_NAME = re.compile(r"<\s*(/?)\s*([A-Za-z][A-Za-z0-9-]*)")
_NAMED = {"&lt;": "<", "&gt;": ">", "&amp;": "&", "&quot;": '"'}
_JOINERS = frozenset("\u200d\ufe0e\ufe0f")  # zero-width joiner, variation selectors
_MODIFIERS = ("\U0001f3fb", "\U0001f3ff")  # skin tones
_FLAGS = ("\U0001f1e6", "\U0001f1ff")  # regional indicators
# Ranks of the boundaries a cut prefers: a blank line, a line end, a space, anywhere.
_PARAGRAPH, _LINE, _WORD, _ANYWHERE = 3, 2, 1, 0


@dataclass(frozen=True, slots=True)
class _Atom:
    """A character as Telegram shows it (from one source character or an entity), or a tag."""

    raw: str
    char: str = ""  # what is shown ("" for a tag)
    tag: str = ""  # a tag's name, lower case ("" for a character)
    closing: bool = False
    units: int = 0  # UTF-16 code units of `char`


def utf16_length(text: str) -> int:
    """Code units in UTF-16, as Telegram counts: 2 for a character outside the BMP."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _entity(raw: str) -> str:
    if raw in _NAMED:
        return _NAMED[raw]
    number = int(raw[3:-1], 16) if raw[2] in "xX" else int(raw[2:-1])
    return chr(number) if 0 < number <= 0x10FFFF else "\ufffd"


def _shown(match: re.Match[str]) -> str:
    raw = match.group()
    if raw[0] == "&":
        return _entity(raw)
    return "" if _TAG_NAME.match(raw) else raw


@functools.lru_cache(maxsize=4096)
def _char(char: str) -> _Atom:
    return _Atom(char, char, units=utf16_length(char))


def _atoms(text: str) -> list[_Atom]:
    atoms: list[_Atom] = []
    at = 0
    for match in _MARKUP.finditer(text):
        atoms.extend(map(_char, text[at : match.start()]))
        at, raw = match.end(), match.group()
        if raw[0] == "&":
            char = _entity(raw)
            atoms.append(_Atom(raw, char, units=utf16_length(char)))
        elif name := _TAG_NAME.match(raw):
            atoms.append(_Atom(raw, tag=name.group(2).lower(), closing=bool(name.group(1))))
        else:
            atoms.extend(map(_char, raw))
    atoms.extend(map(_char, text[at:]))
    return atoms


def plain_text(text: str) -> str:
    """The text as Telegram shows it: tags removed, entities replaced by their character."""
    return _MARKUP.sub(_shown, text)


def telegram_length(text: str) -> int:
    """The length Telegram checks a text of parse mode HTML against (4,096 or 1,024)."""
    return utf16_length(plain_text(text))


def fits(text: str, limit: int = MAX_TEXT, max_chars: int | None = None) -> bool:
    """Whether Telegram takes this text as one message (or caption, with its limit), and it
    is at most `max_chars` characters of HTML (a column's width)."""
    return telegram_length(text) <= limit and (max_chars is None or len(text) <= max_chars)


@dataclass(frozen=True, slots=True)
class _Cut:
    end: int  # the piece ends before this atom
    stack: tuple[_Atom, ...]  # the start tags open there
    fill: float  # how full the piece is, 0 to 1


def _closers(stack: tuple[_Atom, ...]) -> str:
    return "".join(f"</{atom.tag}>" for atom in reversed(stack))


def _with(stack: tuple[_Atom, ...], atom: _Atom) -> tuple[_Atom, ...]:
    if not atom.closing:
        return (*stack, atom)
    for i in range(len(stack) - 1, -1, -1):  # the innermost open tag of that name
        if stack[i].tag == atom.tag:
            return stack[:i] + stack[i + 1 :]
    return stack


def _splits_a_character(char: str, following: str) -> bool:
    """Whether a cut between these two would split what is read as one character (an emoji
    sequence, a letter and its accent, a flag)."""
    if following < "\u0300" and char not in _JOINERS:  # the common case, decided at once
        return False
    return (
        char in _JOINERS
        or following in _JOINERS
        or unicodedata.combining(following) != 0
        or _MODIFIERS[0] <= following <= _MODIFIERS[1]  # a skin tone belongs to its emoji
        or (_FLAGS[0] <= char <= _FLAGS[1] and _FLAGS[0] <= following <= _FLAGS[1])
    )


def _next_cut(
    atoms: list[_Atom], start: int, opened: tuple[_Atom, ...], limit: int, max_chars: int | None
) -> _Cut:
    """Where the piece starting at atoms[start] (with `opened` tags reopened) ends: the
    latest cut of each rank is kept, and the best one chosen once the piece is full."""
    stack, units = opened, 0
    size = sum(len(atom.raw) for atom in opened)
    closing = len(_closers(stack))  # the characters that close the open tags at a cut
    room = math.inf if max_chars is None else max_chars
    best: dict[int, _Cut] = {}
    shown, before, in_emoji = False, "", any(a.tag == "tg-emoji" for a in opened)
    end, count = start, len(atoms)
    while end < count:
        atom = atoms[end]
        if atom.tag:
            after = _with(stack, atom)
            after_closing = len(_closers(after))
            if size + len(atom.raw) + after_closing > room:
                break
            stack, closing, size, end = after, after_closing, size + len(atom.raw), end + 1
            in_emoji = any(a.tag == "tg-emoji" for a in stack)
            if atom.closing:  # a cut just before a closing tag moves after it
                for rank, cut in best.items():
                    if cut.end == end - 1:
                        best[rank] = _Cut(end, stack, cut.fill)
            continue
        if units + atom.units > limit or size + len(atom.raw) + closing > room:
            break
        units, size, end = units + atom.units, size + len(atom.raw), end + 1
        char = atom.char
        if not shown:
            shown = not char.isspace()
        if shown and not in_emoji:
            if char == "\n":
                rank = _PARAGRAPH if before == "\n" else _LINE
            elif char.isspace():
                rank = _WORD
            else:
                following = atoms[end].char if end < count else ""
                rank = _ANYWHERE if not _splits_a_character(char, following) else -1
            if rank >= 0:
                fill = max(units / limit, size / room)
                best[rank] = _Cut(end, stack, fill)
        before = char
    else:
        return _Cut(count, stack, 1.0)
    for rank in (_PARAGRAPH, _LINE, _WORD):  # the best boundary in the piece's second half
        if rank in best and best[rank].fill >= 0.5:
            return best[rank]
    boundaries = [best[rank] for rank in (_PARAGRAPH, _LINE, _WORD) if rank in best]
    if boundaries:  # else the last boundary at all: a word is cut only when it must be
        return max(boundaries, key=lambda cut: cut.end)
    if _ANYWHERE in best:
        return best[_ANYWHERE]
    if end > start:
        return _Cut(end, stack, 1.0)
    atom = atoms[start]  # not even one atom fits beside the reopened tags: take it anyway
    return _Cut(start + 1, _with(opened, atom) if atom.tag else opened, 1.0)


def split_html(text: str, limit: int = MAX_TEXT, *, max_chars: int | None = None) -> list[str]:
    """`text` (HTML) as pieces of at most `limit` as Telegram counts (and at most `max_chars`
    characters of HTML), cut on a paragraph, line or word boundary in the second half of a
    piece where there is one, never inside a tag or an entity; tags open at a cut are closed
    and reopened. A text that fits is returned as it is; a piece that would show only
    whitespace (Telegram refuses an empty message) is left out."""
    if fits(text, limit, max_chars):
        return [text]
    atoms = _atoms(text)
    pieces: list[str] = []
    start = 0  # the next piece's first atom
    opened: tuple[_Atom, ...] = ()  # the tags open before it
    while start < len(atoms):
        cut = _next_cut(atoms, start, opened, limit, max_chars)
        body = atoms[start : cut.end]
        if any(atom.char and not atom.char.isspace() for atom in body):
            reopen = "".join(tag.raw for tag in opened)
            pieces.append(reopen + "".join(atom.raw for atom in body) + _closers(cut.stack))
        start, opened = cut.end, cut.stack
    return pieces or [text]  # only whitespace: nothing to cut (Telegram refuses it anyway)


def fit_message(
    text: str, *, with_file: bool = False, max_chars: int | None = None
) -> tuple[str | None, list[str]]:
    """How a text goes out: (the file's caption, the messages to send after it). The text is
    the caption when it fits one; otherwise the file goes bare and the text follows as
    messages (one, or several when it is too long for one). Without a file: (None, the
    messages). Nothing is ever cut off."""
    if with_file and fits(text, MAX_CAPTION, max_chars):
        return text, []
    return None, split_html(text, MAX_TEXT, max_chars=max_chars)


MAX_ALERT = 200  # answerCallbackQuery's text, plain, in UTF-16 code units


def alert_text(text: str, limit: int = MAX_ALERT) -> str:
    """A plain text for a button's answer: whole when it fits, else cut at a character
    boundary with "…" (an answer that is too long is refused, and the spinner stays)."""
    if utf16_length(text) <= limit:
        return text
    kept, used = [], utf16_length("…")
    for char in text:
        used += utf16_length(char)
        if used > limit:
            break
        kept.append(char)
    return "".join(kept).rstrip() + "…"
